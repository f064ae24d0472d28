// Record batches (message format v2) as an idempotent, transactional
// producer writes them: uncompressed, one timestamp for the batch, the
// producer id, epoch and base sequence in the header, CRC-32C over
// everything after the checksum (ADR 0051). Sizes are computed first, then
// the batch is written into one buffer of exactly that size.
import { crc32c } from './crc32c.js';

/** What the batch writer needs of a record: text key and header values, bytes as the value. */
export interface BatchRecord {
  readonly key: string;
  readonly value: Buffer;
  readonly headers: Readonly<Record<string, string>>;
}

export interface BatchProducer {
  readonly producerId: bigint;
  readonly epoch: number;
}

const HEADER_BYTES = 61;
const MAGIC = 2;
const TRANSACTIONAL = 0x10;

/** Header names as bytes: every record of a writer carries the same few. */
const NAME_CACHE_LIMIT = 256;
const headerNames = new Map<string, Buffer>();

function nameBytes(name: string): Buffer {
  let bytes = headerNames.get(name);
  if (bytes === undefined) {
    bytes = Buffer.from(name, 'utf8');
    if (headerNames.size < NAME_CACHE_LIMIT) headerNames.set(name, bytes);
  }
  return bytes;
}

/** Bytes of a zig-zag varint of a non-negative int32 (lengths, counts, deltas). */
function varintBytes(value: number): number {
  const z = value * 2;
  return z < 0x80 ? 1 : z < 0x4000 ? 2 : z < 0x200000 ? 3 : z < 0x10000000 ? 4 : 5;
}

function writeVarint(out: Buffer, offset: number, value: number): number {
  let z = value * 2;
  while (z >= 0x80) {
    out[offset++] = (z & 0x7f) | 0x80;
    z = Math.floor(z / 128);
  }
  out[offset++] = z;
  return offset;
}

/** The byte length of each record's body (after its length varint), and the batch's total. */
export function measureRecords(records: readonly BatchRecord[]): {
  readonly bodies: Int32Array;
  readonly total: number;
} {
  const bodies = new Int32Array(records.length);
  let total = HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    const keyLength = textBytes(r.key);
    // attributes, timestamp delta (always 0), offset delta, key, value
    let body = 2 + varintBytes(i) + varintBytes(keyLength) + keyLength + varintBytes(r.value.length) + r.value.length;
    let count = 0;
    for (const name in r.headers) {
      const n = nameBytes(name).length;
      const v = textBytes(r.headers[name]!);
      body += varintBytes(n) + n + varintBytes(v) + v;
      count++;
    }
    body += varintBytes(count);
    bodies[i] = body;
    total += varintBytes(body) + body;
  }
  return { bodies, total };
}

/** One transactional record batch holding `records` (at least one) from `baseSequence` on. */
export function encodeRecordBatch(
  records: readonly BatchRecord[],
  producer: BatchProducer,
  baseSequence: number,
  timestamp: number,
  measured = measureRecords(records),
): Buffer {
  const out = Buffer.allocUnsafe(measured.total);
  out.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  out.writeInt32BE(measured.total - 12, 8);
  out.writeInt32BE(-1, 12); // partition leader epoch
  out.writeInt8(MAGIC, 16);
  out.writeInt16BE(TRANSACTIONAL, 21);
  out.writeInt32BE(records.length - 1, 23); // last offset delta
  writeInt64(out, 27, timestamp);
  writeInt64(out, 35, timestamp);
  out.writeBigInt64BE(producer.producerId, 43);
  out.writeInt16BE(producer.epoch, 51);
  out.writeInt32BE(baseSequence, 53);
  out.writeInt32BE(records.length, 57);
  let o = HEADER_BYTES;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    o = writeVarint(out, o, measured.bodies[i]!);
    out[o++] = 0; // attributes
    out[o++] = 0; // timestamp delta
    o = writeVarint(out, o, i);
    o = writeText(out, o, r.key);
    o = writeVarint(out, o, r.value.length);
    out.set(r.value, o);
    o += r.value.length;
    let count = 0;
    for (const _ in r.headers) count++;
    o = writeVarint(out, o, count);
    for (const name in r.headers) {
      const bytes = nameBytes(name);
      o = writeVarint(out, o, bytes.length);
      out.set(bytes, o);
      o = writeText(out, o + bytes.length, r.headers[name]!);
    }
  }
  if (o !== measured.total) throw new Error(`record batch measured ${measured.total} bytes but wrote ${o}`);
  out.writeUInt32BE(crc32c(out, 21, out.length), 17);
  return out;
}

/**
 * Most keys and header values are short ASCII text (ids, types, instants):
 * those are measured and copied in JavaScript, without a call into Node's
 * UTF-8 encoder for each. Text is ASCII exactly when its UTF-8 length
 * equals its length.
 */
const SHORT_TEXT = 64;

/** The UTF-8 length of `text`. */
function textBytes(text: string): number {
  const length = text.length;
  if (length > SHORT_TEXT) return Buffer.byteLength(text, 'utf8');
  for (let i = 0; i < length; i++) if (text.charCodeAt(i) > 0x7f) return Buffer.byteLength(text, 'utf8');
  return length;
}

/** A length-prefixed UTF-8 string. */
function writeText(out: Buffer, offset: number, text: string): number {
  const length = textBytes(text);
  offset = writeVarint(out, offset, length);
  if (length !== text.length || length > SHORT_TEXT) return offset + out.write(text, offset, 'utf8');
  for (let i = 0; i < length; i++) out[offset + i] = text.charCodeAt(i);
  return offset + length;
}

function writeInt64(out: Buffer, offset: number, value: number): void {
  out.writeInt32BE(Math.floor(value / 2 ** 32), offset);
  out.writeUInt32BE(value >>> 0, offset + 4);
}

/** The sequence after `count` records from `sequence` (it wraps to 0 past int32's maximum, as Kafka's does). */
export function nextSequence(sequence: number, count: number): number {
  return sequence > 0x7fffffff - count ? count - (0x7fffffff - sequence) - 1 : sequence + count;
}
