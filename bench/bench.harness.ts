// What every bench scenario shares: the result shape, a printed table, and a
// JSON file under bench/results/ with the machine's details beside the figures.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
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

/** The machine's CPU time so far (Linux /proc/stat, in clock ticks); undefined elsewhere. */
export interface CpuTimes {
  readonly total: number;
  readonly idle: number;
  readonly steal: number;
}

export async function cpuTimes(): Promise<CpuTimes | undefined> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0]!;
    // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
    if (ticks.length < 8 || ticks.some((t) => !Number.isFinite(t))) return undefined;
    return { total: ticks.reduce((a, b) => a + b, 0), idle: ticks[3]! + ticks[4]!, steal: ticks[7]! };
  } catch {
    return undefined;
  }
}

/** The pid of the Kafka broker scripts/infra.sh started on this machine, if it did. */
export async function localBrokerPid(): Promise<number | undefined> {
  const file = join(import.meta.dirname, '..', '..', '.infra', 'kafka', 'kafka.pid');
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return pid > 0 ? pid : undefined;
}

/** CPU time (user + system, seconds) a process has used so far (Linux /proc); undefined elsewhere or once it is gone. */
export async function processCpuSeconds(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  if (fields.length < 13) return undefined;
  // utime and stime are in USER_HZ clock ticks (100 per second on Linux).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * How much of the machine's CPU the run had: on a shared VM the hypervisor
 * may take a large share (steal), and latency figures of such a run are not
 * comparable with a quiet one's.
 */
export function cpuRows(before: CpuTimes | undefined, after: CpuTimes | undefined): BenchRow[] {
  if (!before || !after || after.total <= before.total) return [];
  const total = after.total - before.total;
  const pct = (ticks: number) => +((100 * ticks) / total).toFixed(1);
  return [
    {
      metric: 'CPU stolen by the hypervisor',
      value: pct(after.steal - before.steal),
      unit: '%',
      note: "share of the machine's CPU time during the scenario (/proc/stat steal); high: a noisy host, compare with care",
    },
    {
      metric: 'CPU idle',
      value: pct(after.idle - before.idle),
      unit: '%',
      note: "share of the machine's CPU time nobody used during the scenario",
    },
  ];
}
