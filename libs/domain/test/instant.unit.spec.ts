import { describe, expect, it } from '@jest/globals';
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

  it('tells canonical instants apart', () => {
    expect(isCanonicalInstant('2026-01-10T09:00:00.000Z')).toBe(true);
    expect(isCanonicalInstant('2026-01-10T09:00:00Z')).toBe(false);
  });

  it('adds and subtracts minutes', () => {
    expect(addMinutes('2026-01-10T09:00:00.000Z', -90)).toBe('2026-01-10T07:30:00.000Z');
  });
});
