import { describe, expect, it } from '@jest/globals';
import { nowIso } from './clock.js';

describe('nowIso', () => {
  it('gives each millisecond its canonical instant, whatever came before', () => {
    const base = Date.parse('2026-12-02T06:30:00.000Z');
    for (const ms of [base, base, base + 1, base - 5, base + 1, base + 86_400_000]) {
      expect(nowIso(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('reads the clock when given no time', () => {
    const before = Date.now();
    const now = Date.parse(nowIso());
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Date.now());
  });
});
