// Record batches (message format v2, the only one Kafka 4 writes) as a
// read_committed consumer sees them: the batches of aborted transactions and
// the control batches (transaction markers) are skipped, the rest are decoded
// into records whose key and header values are text and whose value is a
// view of the fetched bytes (ADR 0042). Offsets and timestamps are computed
// only when asked for.
import * as zlib from 'node:zlib';
import type { AbortedTransaction } from './fetch.protocol.js';

/** A record as consumers read it: the fields of kafkajs' KafkaMessage, plus the offset as a bigint. */
export class LogRecord {
  constructor(
    readonly key: string | null,
    readonly value: Buffer | null,
    readonly headers: Record<string, string | string[] | null>,
    readonly offsetValue: bigint,
    readonly timestampMs: number,
    readonly attributes: number,
  ) {}

  get offset(): string {
    return this.offsetValue.toString();
  }

  get timestamp(): string {
    return String(this.timestampMs);
  }
}

export class RecordBatchError extends Error {
  override readonly name = 'RecordBatchError';
}

const BATCH_HEADER = 61;
const COMPRESSION_MASK = 0x07;
const TRANSACTIONAL = 0x10;
const CONTROL = 0x20;
const ABORT_MARKER = 0;

/** One complete batch's header: where it is and what it covers. */
export interface BatchHeader {
  readonly start: number;
  readonly end: number;
  readonly baseOffset: bigint;
  /** One past the batch's last offset: where the next fetch starts. */
  readonly nextOffset: bigint;
}

/** The complete batches of a fetched records buffer (a cut-short last one is left out). */
export function scanBatches(records: Buffer): BatchHeader[] {
  const batches: BatchHeader[] = [];
  let o = 0;
  while (o + BATCH_HEADER <= records.length) {
    const end = o + 12 + records.readInt32BE(o + 8);
    if (end > records.length) break;
    const baseOffset = records.readBigInt64BE(o);
    batches.push({ start: o, end, baseOffset, nextOffset: baseOffset + BigInt(records.readInt32BE(o + 23)) + 1n });
    o = end;
  }
  return batches;
}

/**
 * Decodes the records of `batches` with offsets in [from, to), leaving out
 * aborted transactions (the fetch response's list for this partition) and
 * transaction markers.
 */
export function decodeCommitted(
  records: Buffer,
  batches: readonly BatchHeader[],
  aborted: readonly AbortedTransaction[],
  from: bigint,
  to: bigint,
  out: LogRecord[],
): void {
  const pendingAborts = [...aborted].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const abortedProducers = new Set<bigint>();
  for (const batch of batches) {
    if (batch.baseOffset >= to) break;
    const o = batch.start;
    const magic = records.readInt8(o + 16);
    if (magic !== 2)
      throw new RecordBatchError(`record batch at offset ${batch.baseOffset} has message format v${magic}; v2 only`);
    const attributes = records.readInt16BE(o + 21);
    const producerId = records.readBigInt64BE(o + 43);
    // The broker lists the aborted transactions overlapping this response;
    // a producer's records count as aborted from its first offset to its abort marker.
    while (pendingAborts.length > 0 && pendingAborts[0]!.firstOffset < batch.nextOffset)
      abortedProducers.add(pendingAborts.shift()!.producerId);
    if (attributes & CONTROL) {
      if (records.readInt32BE(o + 57) > 0 && controlType(records, batch) === ABORT_MARKER)
        abortedProducers.delete(producerId);
      continue;
    }
    if (attributes & TRANSACTIONAL && abortedProducers.has(producerId)) continue;
    if (batch.nextOffset > from) decodeBatch(records, batch, attributes, from, to, out);
  }
}

function controlType(records: Buffer, batch: BatchHeader): number {
  const body = recordsOf(records, batch, records.readInt16BE(batch.start + 21));
  const r = new VarintReader(body, 0);
  r.varint(); // length
  r.pos += 1; // attributes
  r.varint(); // timestamp delta
  r.varint(); // offset delta
  const keyLength = r.varint();
  if (keyLength < 4) throw new RecordBatchError(`control record at offset ${batch.baseOffset} has no type`);
  return body.readInt16BE(r.pos + 2);
}

function recordsOf(records: Buffer, batch: BatchHeader, attributes: number): Buffer {
  const body = records.subarray(batch.start + BATCH_HEADER, batch.end);
  switch (attributes & COMPRESSION_MASK) {
    case 0:
      return body;
    case 1:
      return zlib.gunzipSync(body);
    case 4: {
      const zstd = (zlib as { zstdDecompressSync?: (b: Buffer) => Buffer }).zstdDecompressSync;
      if (zstd) return zstd(body);
      break;
    }
  }
  const codec = ['none', 'gzip', 'snappy', 'lz4', 'zstd'][attributes & COMPRESSION_MASK] ?? 'unknown';
  throw new RecordBatchError(
    `record batch at offset ${batch.baseOffset} is compressed with ${codec}, which this reader cannot decompress (none, gzip and zstd only)`,
  );
}

function decodeBatch(
  records: Buffer,
  batch: BatchHeader,
  attributes: number,
  from: bigint,
  to: bigint,
  out: LogRecord[],
): void {
  const o = batch.start;
  const baseTimestamp = records.readInt32BE(o + 27) * 2 ** 32 + records.readUInt32BE(o + 31);
  const count = records.readInt32BE(o + 57);
  const body = recordsOf(records, batch, attributes);
  const skipBelow = from > batch.baseOffset ? Number(from - batch.baseOffset) : 0;
  const upTo = to - batch.baseOffset;
  const r = new VarintReader(body, 0);
  for (let i = 0; i < count; i++) {
    const length = r.varint();
    const next = r.pos + length;
    const recordAttributes = body[r.pos]!;
    r.pos += 1;
    const timestampDelta = r.varlong();
    const offsetDelta = r.varint();
    if (offsetDelta < skipBelow) {
      r.pos = next;
      continue;
    }
    if (BigInt(offsetDelta) >= upTo) return;
    const keyLength = r.varint();
    const key = keyLength < 0 ? null : utf8(body, r.pos, r.pos + keyLength);
    r.pos += Math.max(keyLength, 0);
    const valueLength = r.varint();
    const value = valueLength < 0 ? null : body.subarray(r.pos, r.pos + valueLength);
    r.pos += Math.max(valueLength, 0);
    const headerCount = r.varint();
    const headers: Record<string, string | string[] | null> = {};
    for (let h = 0; h < headerCount; h++) {
      const nameLength = r.varint();
      const name = headerName(body, r.pos, nameLength, h);
      r.pos += nameLength;
      const textLength = r.varint();
      const text = textLength < 0 ? null : utf8(body, r.pos, r.pos + textLength);
      r.pos += Math.max(textLength, 0);
      addHeader(headers, name, text);
    }
    if (r.pos !== next)
      throw new RecordBatchError(`record at offset ${batch.baseOffset + BigInt(offsetDelta)} is malformed`);
    out.push(
      new LogRecord(
        key,
        value,
        headers,
        batch.baseOffset + BigInt(offsetDelta),
        baseTimestamp + timestampDelta,
        recordAttributes,
      ),
    );
  }
}

/** Buffer#toString('utf8', start, end) without its argument checks (every key and header value goes through here). */
const utf8 = (buffer: Buffer, start: number, end: number): string =>
  (buffer as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);

/**
 * Records of one producer carry the same header names in the same order:
 * the name at each position is kept with its bytes, and reused while the
 * bytes match (no string per header name per record).
 */
const NAME_SLOTS = 32;
const nameBytes: (Buffer | undefined)[] = new Array<Buffer | undefined>(NAME_SLOTS);
const nameTexts: string[] = new Array<string>(NAME_SLOTS);

function headerName(body: Buffer, start: number, length: number, slot: number): string {
  if (slot < NAME_SLOTS) {
    const known = nameBytes[slot];
    if (known !== undefined && known.length === length) {
      let i = 0;
      while (i < length && known[i] === body[start + i]) i++;
      if (i === length) return nameTexts[slot]!;
    }
  }
  const text = utf8(body, start, start + length);
  if (slot < NAME_SLOTS) {
    nameBytes[slot] = Buffer.from(body.subarray(start, start + length));
    nameTexts[slot] = text;
  }
  return text;
}

function addHeader(headers: Record<string, string | string[] | null>, name: string, text: string | null): void {
  const previous = headers[name];
  if (previous === undefined || !Object.hasOwn(headers, name)) {
    // `__proto__` as a plain assignment would set the prototype instead.
    if (name === '__proto__') Object.defineProperty(headers, name, { value: text, enumerable: true, writable: true });
    else headers[name] = text;
    return;
  }
  // A repeated header becomes a list, as kafkajs hands it out.
  headers[name] = [...(Array.isArray(previous) ? previous : [previous ?? '']), text ?? ''];
}

/** Zig-zag varints of the record format; numbers only (a long beyond 2^53 loses precision, as timestamps never do). */
class VarintReader {
  constructor(
    private readonly buf: Buffer,
    public pos: number,
  ) {}

  varint(): number {
    const buf = this.buf;
    let b = buf[this.pos++]!;
    let value = b & 0x7f;
    let shift = 7;
    while (b & 0x80) {
      if (shift > 63) throw new RecordBatchError('varint too long');
      b = buf[this.pos++]!;
      value += (b & 0x7f) * 2 ** shift;
      shift += 7;
    }
    return value % 2 === 0 ? value / 2 : -(value + 1) / 2;
  }

  varlong(): number {
    return this.varint();
  }
}
