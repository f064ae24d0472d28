import { describe, expect, it } from '@jest/globals';
import { cpuRows, cpuTimes, percentile } from './bench.harness.js';

describe('bench harness', () => {
  it('reports the shares of stolen and idle CPU between two readings', () => {
    const rows = cpuRows({ total: 1000, idle: 400, steal: 10 }, { total: 3000, idle: 900, steal: 510 });
    expect(rows.map((r) => [r.metric, r.value, r.unit])).toEqual([
      ['CPU stolen by the hypervisor', 25, '%'],
      ['CPU idle', 25, '%'],
    ]);
  });

  it('reports nothing without two readings or without time between them', () => {
    expect(cpuRows(undefined, { total: 1, idle: 0, steal: 0 })).toEqual([]);
    expect(cpuRows({ total: 5, idle: 1, steal: 0 }, { total: 5, idle: 1, steal: 0 })).toEqual([]);
  });

  it('reads /proc/stat where there is one', async () => {
    const times = await cpuTimes();
    if (process.platform !== 'linux') return expect(times).toBeUndefined();
    expect(times!.total).toBeGreaterThan(0);
    expect(times!.idle).toBeLessThanOrEqual(times!.total);
    expect(times!.steal).toBeGreaterThanOrEqual(0);
  });

  it('takes percentiles by nearest rank', () => {
    const sample = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(percentile(sample, 50)).toBe(50);
    expect(percentile(sample, 99)).toBe(99);
    expect(percentile(sample, 100)).toBe(100);
    expect(percentile([], 50)).toBeNaN();
  });
});
