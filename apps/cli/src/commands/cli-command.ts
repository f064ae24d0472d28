import type { EnvSource } from '@tasklog/platform/config';

/** One sub-command of the CLI: `args` are what follows its name. */
export interface CliCommand {
  readonly name: string;
  readonly summary: string;
  run(args: string[], env: EnvSource): Promise<number>;
}

/** Writes one line for a human, to stdout; the CLI's only output channel. */
export function print(line: string): void {
  process.stdout.write(`${line}\n`);
}
