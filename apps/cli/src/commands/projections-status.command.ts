// `tasklog projections status` and `tasklog projections cancel <name>`: what
// each projection and its latest rebuild look like, and stopping a rebuild
// (its shadow tables are dropped; the live projection is never touched).
import { parseArgs } from 'node:util';
import { cancelRebuildOf, projectionStatuses } from '@tasklog/platform/postgres';
import { print, type CliCommand } from './cli-command.js';
import { EXIT, openProjectionDeps, refusalExit } from './projections-rebuild.command.js';

export const projectionsStatusCommand: CliCommand = {
  name: 'projections status',
  summary: 'each projection: state, generation, lag, rebuild progress (JSON lines)',
  async run(_args, env) {
    const deps = await openProjectionDeps(env);
    try {
      for (const status of await projectionStatuses(deps)) print(JSON.stringify(status));
      return EXIT.ok;
    } finally {
      await deps.close();
    }
  },
};

export const projectionsCancelCommand: CliCommand = {
  name: 'projections cancel',
  summary: 'cancel the unfinished rebuild of a projection: <name>',
  async run(args, env) {
    const { positionals } = parseArgs({ args, allowPositionals: true, options: {} });
    const name = positionals[0];
    if (!name) {
      process.stderr.write('usage: tasklog projections cancel <name>\n');
      return EXIT.usage;
    }
    const deps = await openProjectionDeps(env);
    try {
      const cancelled = await cancelRebuildOf(deps.pool, name);
      print(cancelled ? `cancelled rebuild ${cancelled.rebuildId} of ${name}` : `no unfinished rebuild of ${name}`);
      return EXIT.ok;
    } catch (error) {
      return refusalExit(error);
    } finally {
      await deps.close();
    }
  },
};
