import { describe, expect, it } from '@jest/globals';
import { uuidv7 } from './uuid-v7.js';

describe('uuidv7', () => {
  it('has version 7, the RFC variant, the time in its first 48 bits, and no repeats', () => {
    const now = Date.parse('2026-11-22T00:00:00.000Z');
    const ids = Array.from({ length: 5000 }, () => uuidv7(now));
    for (const id of ids.slice(0, 10)) {
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect(parseInt(id.replace(/-/g, '').slice(0, 12), 16)).toBe(now);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
