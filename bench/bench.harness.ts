// What every bench scenario shares: the result shape, a printed table, and a
// JSON file under bench/results/ with the machine's details beside the figures.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem, release, hostname } from 'node:os';
import { join } from 'node:path';

export interface BenchRow {
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly target?: string;
  readonly note?: string;
}

export interface BenchScenario {
  readonly name: string;
  readonly summary: string;
  run(options: BenchOptions): Promise<BenchRow[]>;
}

export interface BenchOptions {
  readonly scale: number;
}

export function machine() {
  const cpu = cpus();
  return {
    hostname: hostname(),
    kernel: release(),
    cpuModel: cpu[0]?.model ?? 'unknown',
    cores: cpu.length,
    memoryGiB: +(totalmem() / 2 ** 30).toFixed(1),
    freeMemoryGiB: +(freemem() / 2 ** 30).toFixed(1),
    node: process.version,
  };
}

export function printTable(scenario: string, rows: readonly BenchRow[]): void {
  const lines = rows.map((r) => [r.metric, formatValue(r.value), r.unit, r.target ?? '', r.note ?? '']);
  const header = ['metric', 'value', 'unit', 'target', 'note'];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cols: string[]) =>
    cols
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  process.stdout.write(`\n${scenario}\n${fmt(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const l of lines) process.stdout.write(`${fmt(l)}\n`);
}

function formatValue(v: number): string {
  return Number.isInteger(v) ? v.toLocaleString('en-US') : v.toFixed(v < 10 ? 3 : 1);
}

export async function writeResults(dir: string, scenario: string, rows: readonly BenchRow[]): Promise<string> {
  await mkdir(dir, { recursive: true });
  const at = new Date().toISOString();
  const file = join(dir, `${scenario}-${at.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, JSON.stringify({ scenario, at, machine: machine(), rows }, null, 2));
  return file;
}

/** Percentile of an unsorted sample (nearest rank). */
export function percentile(sample: readonly number[], p: number): number {
  if (sample.length === 0) return Number.NaN;
  const sorted = [...sample].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}
