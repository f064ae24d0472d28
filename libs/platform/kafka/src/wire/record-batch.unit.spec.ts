import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { decodeCommitted, scanBatches, type LogRecord } from './record-batch.js';

// Batches are encoded with kafkajs' own record-batch encoder, so the decoder
// is checked against another implementation of the format, not against itself.
const require = createRequire(import.meta.url);
type Encoded = { buffer: Buffer };
const { RecordBatch: encodeBatch } = require('kafkajs/src/protocol/recordBatch/v0/index.js') as {
  RecordBatch: (batch: object) => Promise<Encoded>;
};
const encodeRecord = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (record: object) => unknown;
const Long = require('kafkajs/src/utils/long.js') as { fromValue(v: number | string): unknown };

interface TestRecord {
  key: string | null;
  value: string | null;
  headers: Record<string, string | string[]>;
}

async function batch(
  baseOffset: number,
  records: TestRecord[],
  options: { producerId?: number; transactional?: boolean; gzip?: boolean } = {},
): Promise<Buffer> {
  const encoded = await encodeBatch({
    compression: options.gzip ? 1 : 0,
    firstOffset: Long.fromValue(baseOffset),
    firstTimestamp: 1_700_000_000_000,
    maxTimestamp: 1_700_000_000_000 + records.length,
    lastOffsetDelta: records.length - 1,
    transactional: options.transactional ?? false,
    producerId: Long.fromValue(options.producerId ?? -1),
    records: records.map((r, i) =>
      encodeRecord({
        offsetDelta: i,
        timestampDelta: i,
        key: r.key === null ? null : Buffer.from(r.key),
        value: r.value === null ? null : Buffer.from(r.value),
        headers: r.headers,
      }),
    ),
  });
  return Buffer.from(encoded.buffer);
}

/** A transaction marker: a control batch whose one record's key is version 0 and the type (0 abort, 1 commit). */
async function marker(offset: number, producerId: number, type: 'commit' | 'abort'): Promise<Buffer> {
  const encoded = await encodeBatch({
    firstOffset: Long.fromValue(offset),
    lastOffsetDelta: 0,
    transactional: true,
    producerId: Long.fromValue(producerId),
    records: [
      encodeRecord({
        key: Buffer.from([0, 0, 0, type === 'abort' ? 0 : 1]),
        value: Buffer.from([0, 0, 0, 0, 0, 0]),
      }),
    ],
  });
  const buffer = Buffer.from(encoded.buffer);
  buffer.writeInt16BE(buffer.readInt16BE(21) | 0x20, 21);
  return buffer;
}

function read(records: Buffer, from = 0n, to = 1n << 62n, aborted: { producerId: bigint; firstOffset: bigint }[] = []) {
  const out: LogRecord[] = [];
  decodeCommitted(records, scanBatches(records), aborted, from, to, out);
  return out;
}

const plain = (value: string, headers: Record<string, string | string[]> = {}): TestRecord => ({
  key: `k-${value}`,
  value,
  headers,
});

describe('record batches', () => {
  it('decodes keys, values, headers, offsets and timestamps as kafkajs encodes them', async () => {
    const records = Buffer.concat([
      await batch(0, [plain('a', { ce_id: 'one', 'content-type': 'application/protobuf' }), plain('b')]),
      await batch(2, [{ key: null, value: null, headers: { repeated: ['x', 'y'], empty: '' } }]),
    ]);
    const out = read(records);
    expect(out.map((r) => [r.offset, r.key, r.value?.toString() ?? null, r.headers])).toEqual([
      ['0', 'k-a', 'a', { ce_id: 'one', 'content-type': 'application/protobuf' }],
      ['1', 'k-b', 'b', {}],
      ['2', null, null, { repeated: ['x', 'y'], empty: '' }],
    ]);
    expect(out.map((r) => r.timestamp)).toEqual(['1700000000000', '1700000000001', '1700000000000']);
    expect(out.map((r) => r.offsetValue)).toEqual([0n, 1n, 2n]);
  });

  it('keeps headers named like Object.prototype members as plain headers', async () => {
    const names = JSON.parse('{"__proto__": "p", "constructor": "c", "toString": "t"}') as Record<string, string>;
    const [record] = read(await batch(0, [plain('odd names', names)]));
    expect(Object.getPrototypeOf(record!.headers)).toBe(Object.prototype);
    expect(Object.entries(record!.headers)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['toString', 't'],
    ]);
  });

  it('hands out only [from, to), and leaves a cut-short last batch for the next fetch', async () => {
    const whole = Buffer.concat([
      await batch(
        10,
        ['a', 'b', 'c'].map((v) => plain(v)),
      ),
      await batch(
        13,
        ['d', 'e'].map((v) => plain(v)),
      ),
    ]);
    expect(read(whole, 11n, 14n).map((r) => r.value!.toString())).toEqual(['b', 'c', 'd']);
    const cut = whole.subarray(0, whole.length - 3);
    expect(scanBatches(cut).map((b) => b.nextOffset)).toEqual([13n]);
    expect(read(cut).map((r) => r.value!.toString())).toEqual(['a', 'b', 'c']);
  });

  it('skips aborted transactions up to their abort marker and every transaction marker', async () => {
    const records = Buffer.concat([
      await batch(0, [plain('committed-1')], { transactional: true, producerId: 7 }),
      await marker(1, 7, 'commit'),
      await batch(2, [plain('aborted-1'), plain('aborted-2')], { transactional: true, producerId: 7 }),
      await batch(4, [plain('other producer')], { transactional: true, producerId: 8 }),
      await marker(5, 7, 'abort'),
      await marker(6, 8, 'commit'),
      await batch(7, [plain('committed-2')], { transactional: true, producerId: 7 }),
      await batch(8, [plain('not transactional')]),
    ]);
    const out = read(records, 0n, 100n, [{ producerId: 7n, firstOffset: 2n }]);
    expect(out.map((r) => [r.offset, r.value!.toString()])).toEqual([
      ['0', 'committed-1'],
      ['4', 'other producer'],
      ['7', 'committed-2'],
      ['8', 'not transactional'],
    ]);
  });

  it('decompresses gzip batches', async () => {
    const records = await batch(0, [plain('zipped', { h: 'v' }), plain('too')], { gzip: true });
    expect(read(records).map((r) => [r.value!.toString(), r.headers])).toEqual([
      ['zipped', { h: 'v' }],
      ['too', {}],
    ]);
  });

  it('round-trips any text, any size (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            key: fc.option(fc.string({ unit: 'grapheme', maxLength: 40 })),
            value: fc.option(fc.string({ unit: 'grapheme', maxLength: 400 })),
            headers: fc.dictionary(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 200 }), {
              maxKeys: 6,
            }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: 0, max: 2 ** 40 }),
        async (records, base) => {
          const out = read(await batch(base, records));
          expect(out.map((r) => ({ key: r.key, value: r.value?.toString() ?? null, headers: r.headers }))).toEqual(
            records,
          );
          expect(out.map((r) => r.offsetValue)).toEqual(records.map((_, i) => BigInt(base + i)));
        },
      ),
      { numRuns: 300 },
    );
  });
});
