import { randomFillSync } from 'node:crypto';

// Random bits come from a pooled buffer refilled 4 KiB at a time: one
// getrandom call per 400 ids instead of one per id (ids are minted per event).
const pool = Buffer.alloc(4096);
let used = pool.length;

function random10(): Buffer {
  if (used + 10 > pool.length) {
    randomFillSync(pool);
    used = 0;
  }
  used += 10;
  return pool.subarray(used - 10, used);
}

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits; sorts by time. */
export function uuidv7(now = Date.now()): string {
  const bytes = Buffer.allocUnsafe(16);
  bytes.writeUIntBE(now, 0, 6);
  random10().copy(bytes, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
