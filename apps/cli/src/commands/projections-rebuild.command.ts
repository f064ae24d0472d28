// `tasklog projections rebuild <name>`: rebuilds a projection from offset 0
// of the event log in the foreground (the runner the API runs in the
// background), printing its phases. Resumes an unfinished rebuild whose
// process died; refused (exit 3) while another one runs, in any process.
import { parseArgs } from 'node:util';
import { TOPICS } from '@tasklog/contracts';
import { kafkaSection, postgresSection, type EnvSource } from '@tasklog/platform/config';
import { createKafka } from '@tasklog/platform/kafka';
import { createLogger } from '@tasklog/platform/observability';
import { RebuildRefused, beginRebuild, createOrm, sqlPool, type RebuildDeps } from '@tasklog/platform/postgres';
import { print, type CliCommand } from './cli-command.js';

export const EXIT = { ok: 0, failed: 1, usage: 2, refused: 3, cancelled: 4 } as const;

/** The clients a projections command needs, from the usual environment; `close()` when done. */
export async function openProjectionDeps(env: EnvSource): Promise<RebuildDeps & { close(): Promise<void> }> {
  const logger = createLogger('cli', 'warn');
  const kafkaConfig = kafkaSection(env);
  const orm = await createOrm(postgresSection(env), logger);
  return {
    pool: await sqlPool(orm),
    kafka: createKafka(kafkaConfig, logger),
    topic: kafkaConfig.topicPrefix + TOPICS.events,
    logger,
    kafkaConfig,
    close: () => orm.close(true),
  };
}

/** Reports a refusal on stderr with its exit code; rethrows anything else. */
export function refusalExit(error: unknown): number {
  if (!(error instanceof RebuildRefused)) throw error;
  process.stderr.write(`tasklog: ${error.message}\n`);
  return error.reason === 'unknown-projection' ? EXIT.usage : EXIT.refused;
}

export const projectionsRebuildCommand: CliCommand = {
  name: 'projections rebuild',
  summary: 'rebuild a projection from the event log into shadow tables and swap it in: <name> (task-view)',
  async run(args, env) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const name = positionals[0];
    if (!name) {
      process.stderr.write('usage: tasklog projections rebuild <name>\n');
      return EXIT.usage;
    }
    const deps = await openProjectionDeps(env);
    try {
      const started = await beginRebuild(deps, name, {
        requestedBy: 'cli',
        tuning: { onPhase: (phase) => print(`${new Date().toISOString()}  ${phase}`) },
      });
      print(`${started.resumed ? 'resuming' : 'started'} rebuild ${started.rebuild.rebuildId} of ${name}`);
      const final = await started.run();
      if (final.state === 'cancelled') {
        print(`rebuild ${final.rebuildId} was cancelled; the live projection is unchanged`);
        return EXIT.cancelled;
      }
      print(`swapped in at offsets ${JSON.stringify(final.swapOffsets)}, generation ${final.generation}`);
      return EXIT.ok;
    } catch (error) {
      return refusalExit(error);
    } finally {
      await deps.close();
    }
  },
};
