import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { fromTimestamp, toTimestamp } from '../src/common/time.codec.js';

const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

describe('time codec', () => {
  it('formats every instant from 1970 to 9999 exactly as Date#toISOString does', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: MAX_MS }), (ms) => {
        expect(fromTimestamp(timestampFromMs(ms), 't')).toBe(new Date(ms).toISOString());
      }),
      { numRuns: 20_000 },
    );
  });

  it('gets the edges right: epoch, leap days, century years, the last millisecond', () => {
    for (const text of [
      '1970-01-01T00:00:00.000Z',
      '2000-02-29T23:59:59.999Z',
      '2100-03-01T00:00:00.001Z',
      '2024-02-29T12:00:00.010Z',
      '2023-12-31T23:59:59.100Z',
      '9999-12-31T23:59:59.999Z',
    ]) {
      expect(fromTimestamp(toTimestamp(text, 't'), 't')).toBe(text);
    }
  });

  it('still answers instants before 1970 (a reminder offset before an old due date)', () => {
    const ms = Date.UTC(1969, 6, 20, 20, 17);
    expect(fromTimestamp(timestampFromMs(ms), 't')).toBe('1969-07-20T20:17:00.000Z');
  });
});
