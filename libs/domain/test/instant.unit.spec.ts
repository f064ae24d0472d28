import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { addMinutes, isCanonicalInstant, parseInstant } from '@tasklog/domain';

describe('parseInstant', () => {
  it.each([
    ['2026-01-10T09:00:00.000Z', '2026-01-10T09:00:00.000Z'],
    ['2026-01-10T09:00:00Z', '2026-01-10T09:00:00.000Z'],
    ['2026-01-10T09:00Z', '2026-01-10T09:00:00.000Z'],
    ['2026-01-10T10:30:00+01:30', '2026-01-10T09:00:00.000Z'],
    ['2026-01-10T09:00:00.123456789Z', '2026-01-10T09:00:00.123Z'],
    ['2026-01-10', '2026-01-10T00:00:00.000Z'],
    ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ])('reads %s as %s', (text, canonical) => {
    expect(parseInstant(text)).toBe(canonical);
  });

  it.each([
    'tomorrow',
    '2026-01-10T09:00:00',
    '2026-02-29T00:00:00Z',
    '2026-04-31',
    '2026-13-01',
    '2026-01-10T24:00:00Z',
    '2026-01-10T09:60:00Z',
    '1969-12-31T23:59:59Z',
    '+010000-01-01T00:00:00Z',
    '2026-01-10T09:00:00+25:00',
    ' 2026-01-10',
  ])('refuses %s', (text) => {
    expect(parseInstant(text)).toBeNull();
  });

  it.each([
    '2026-02-29T00:00:00.000Z',
    '2026-04-31T00:00:00.000Z',
    '2026-00-10T00:00:00.000Z',
    '2026-01-00T00:00:00.000Z',
    '2026-01-10T24:00:00.000Z',
    '2026-01-10T09:60:00.000Z',
    '2026-01-10T09:00:60.000Z',
    '1969-12-31T23:59:59.999Z',
    '1900-02-29T00:00:00.000Z',
  ])('refuses the canonical-looking %s', (text) => {
    expect(parseInstant(text)).toBeNull();
  });

  it('accepts a canonical-looking text exactly when Date round-trips it (1970 on)', () => {
    const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((v) => String(v).padStart(n, '0'));
    const text = fc
      .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), digits(3))
      .map(([y, mo, d, h, mi, s, ms]) => `${y}-${mo}-${d}T${h}:${mi}:${s}.${ms}Z`);
    const realistic = fc
      .integer({ min: 0, max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) })
      .map((ms) => new Date(ms).toISOString());
    fc.assert(
      fc.property(fc.oneof(text, realistic), (candidate) => {
        const ms = Date.parse(candidate);
        const valid = !Number.isNaN(ms) && ms >= 0 && new Date(ms).toISOString() === candidate;
        expect(parseInstant(candidate)).toBe(valid ? candidate : null);
      }),
      { numRuns: 20_000 },
    );
  });

  it('tells canonical instants apart', () => {
    expect(isCanonicalInstant('2026-01-10T09:00:00.000Z')).toBe(true);
    expect(isCanonicalInstant('2026-01-10T09:00:00Z')).toBe(false);
  });

  it('adds and subtracts minutes', () => {
    expect(addMinutes('2026-01-10T09:00:00.000Z', -90)).toBe('2026-01-10T07:30:00.000Z');
  });
});
