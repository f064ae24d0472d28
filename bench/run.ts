// `npm run bench [scenario…] [--scale N]`: runs the named scenarios (all by
// default), prints a table for each and writes JSON results to bench/results/.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { cpuRows, cpuTimes, printTable, writeResults, type BenchScenario } from './bench.harness.js';
import { scenarios } from './scenarios/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { scale: { type: 'string', default: '1' }, list: { type: 'boolean', default: false } },
});

if (values.list) {
  for (const s of scenarios) process.stdout.write(`${s.name.padEnd(28)} ${s.summary}\n`);
  process.exit(0);
}

const wanted: BenchScenario[] =
  positionals.length === 0
    ? [...scenarios]
    : positionals.map((name) => {
        const found = scenarios.find((s) => s.name === name);
        if (!found) throw new Error(`unknown scenario ${name}; try --list`);
        return found;
      });

const resultsDir = join(import.meta.dirname, '..', '..', 'bench', 'results');
for (const scenario of wanted) {
  const before = await cpuTimes();
  const rows = [...(await scenario.run({ scale: Number(values.scale) })), ...cpuRows(before, await cpuTimes())];
  printTable(scenario.name, rows);
  const file = await writeResults(resultsDir, scenario.name, rows);
  process.stdout.write(`results: ${file}\n`);
}
process.exit(0);
