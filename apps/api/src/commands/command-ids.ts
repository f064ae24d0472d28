// Ids the API gives commands and new tasks. Without an Idempotency-Key a task
// gets a UUIDv7 (time-ordered, DESIGN.md §3) and a command a random UUID.
// With one, both are derived from (user, key), so a retry names the same
// command and the same task even when the API's idempotency record is gone,
// and the processor's dedup by command id still holds (ADR 0011).
import { createHash, randomFillSync, randomUUID } from 'node:crypto';

// One system call fills a pool for 256 ids: a call per id shows in profiles at thousands of commands a second.
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;

function random16(): Buffer {
  if (poolOffset >= pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  poolOffset += 16;
  return Buffer.from(pool.subarray(poolOffset - 16, poolOffset));
}

/** RFC 9562 UUIDv7: 48-bit Unix milliseconds, then random bits; sorts by time. */
export function uuidv7(now = Date.now()): string {
  const bytes = random16();
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return format(bytes);
}

/**
 * RFC 9562 UUIDv8 from a SHA-256 name hash (the name-based example of its
 * appendix B.2): the same (purpose, user, key) always gives the same id.
 */
export function derivedUuid(purpose: 'command' | 'task', userId: string, key: string): string {
  const bytes = createHash('sha256')
    .update(JSON.stringify(['tasklog', purpose, userId, key]))
    .digest()
    .subarray(0, 16);
  bytes[6] = 0x80 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  return format(bytes);
}

export const randomCommandId = (): string => randomUUID();

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

function format(bytes: Buffer): string {
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
