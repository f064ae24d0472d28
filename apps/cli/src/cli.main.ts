// `tasklog`: the operator's command line. Each sub-command lives in its own
// file under commands/ and is registered in commands/index.ts.
import { commands } from './commands/index.js';

function usage(): string {
  const lines = commands.map((c) => `  ${c.name.padEnd(28)} ${c.summary}`);
  return `usage: tasklog <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

async function main(argv: string[]): Promise<number> {
  const words = argv.filter((a) => !a.startsWith('-'));
  // Longest match first, so "projections rebuild" wins over "projections".
  const command = [...commands]
    .sort((a, b) => b.name.split(' ').length - a.name.split(' ').length)
    .find((c) => c.name.split(' ').every((w, i) => words[i] === w));
  if (!command) {
    process.stderr.write(usage());
    return argv.length === 0 || argv.includes('--help') ? 0 : 2;
  }
  const consumed = command.name.split(' ').length;
  const rest = [...argv];
  for (let i = 0; i < consumed; i++) rest.splice(rest.indexOf(words[i]!), 1);
  return command.run(rest, process.env);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`tasklog: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
