// `tasklog projections verify <name> [--sample N] [--json]`: compares the live
// read model with a fresh fold of the event log at the live positions;
// exit 0 when equal, 1 on any difference (checksums per table, a sample of
// differing tasks with their fields).
import { parseArgs } from 'node:util';
import { verifyProjection, type VerifyReport } from '@tasklog/platform/postgres';
import { print, type CliCommand } from './cli-command.js';
import { EXIT, openProjectionDeps } from './projections-rebuild.command.js';

function printReport(report: VerifyReport): void {
  print(
    `projection ${report.projection} at offsets ${JSON.stringify(report.offsets)} (${report.events} records folded)`,
  );
  for (const t of report.tables) {
    const verdict = t.equal ? 'equal' : 'DIFFERENT';
    print(
      `  ${t.table.padEnd(18)} ${verdict.padEnd(9)} rows ${t.liveRows}/${t.expectedRows}  checksum ${t.liveChecksum}/${t.expectedChecksum}`,
    );
  }
  for (const d of report.differences) {
    const fields = d.fields.map(
      (f) => `${f.field}: live ${JSON.stringify(f.live)} ≠ log ${JSON.stringify(f.expected)}`,
    );
    print(`  task ${d.taskId} ${d.kind}${fields.length > 0 ? ` (${fields.join('; ')})` : ''}`);
  }
  print(report.equal ? 'verify: equal' : 'verify: the live read model differs from the log');
}

export const projectionsVerifyCommand: CliCommand = {
  name: 'projections verify',
  summary: 'compare a projection with a fresh fold of the log: <name> [--sample N] [--json]; exit 1 on a difference',
  async run(args, env) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { sample: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } },
    });
    const name = positionals[0];
    const sample = Number(values.sample);
    if (!name || !Number.isInteger(sample) || sample < 0) {
      process.stderr.write('usage: tasklog projections verify <name> [--sample N] [--json]\n');
      return EXIT.usage;
    }
    const deps = await openProjectionDeps(env);
    try {
      const report = await verifyProjection(deps, name, { sample });
      if (values.json) print(JSON.stringify(report));
      else printReport(report);
      return report.equal ? EXIT.ok : EXIT.failed;
    } finally {
      await deps.close();
    }
  },
};
