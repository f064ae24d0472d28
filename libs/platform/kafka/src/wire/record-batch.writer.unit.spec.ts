import { describe, expect, it } from '@jest/globals';
import { createRequire } from 'node:module';
import fc from 'fast-check';
import { crc32c } from './crc32c.js';
import { decodeCommitted, scanBatches } from './record-batch.js';
import { encodeRecordBatch, nextSequence, type BatchRecord } from './record-batch.writer.js';

// The writer is checked against kafkajs' implementation of the format (its
// record-batch decoder and its CRC-32C) and against this library's reader.
const require = createRequire(import.meta.url);
const decodeBatch = require('kafkajs/src/protocol/recordBatch/v0/decoder.js') as (decoder: unknown) => Promise<{
  firstOffset: string;
  inTransaction: boolean;
  producerId: string;
  producerEpoch: number;
  firstSequence: number;
  records: Array<{ key: Buffer; value: Buffer; headers: Record<string, Buffer>; offset: string; timestamp: string }>;
}>;
const Decoder = require('kafkajs/src/protocol/decoder.js') as new (buffer: Buffer) => unknown;
const kafkajsCrc32C = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (buffer: Buffer) => number;

const producer = { producerId: 4_000_000_123n, epoch: 7 };

// Short and long, ASCII and not: the writer copies short ASCII text itself.
const text = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ maxLength: 100 }));
const recordArb: fc.Arbitrary<BatchRecord> = fc.record({
  key: text,
  value: fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
  // kafkajs' decoder builds headers on a plain object: names of Object.prototype's members (`valueOf`) confuse it.
  headers: fc.dictionary(
    fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !(name in Object.prototype)),
    text,
    { maxKeys: 8 },
  ),
});

describe('CRC-32C', () => {
  it('gives the check value of the standard test vector', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283);
  });

  it('agrees with kafkajs’ on any bytes and any start', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat(20), (bytes, cut) => {
        const buffer = Buffer.from(bytes);
        const start = Math.min(cut, buffer.length);
        expect(crc32c(buffer, start)).toBe(kafkajsCrc32C(buffer.subarray(start)) >>> 0);
      }),
    );
  });
});

describe('record batch writer', () => {
  it('writes batches kafkajs decodes to the same records, with a valid checksum', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(recordArb, { minLength: 1, maxLength: 20 }),
        fc.nat(2 ** 31 - 1),
        async (records, sequence) => {
          const batch = encodeRecordBatch(records, producer, sequence, 1_764_000_000_123);
          expect(batch.readUInt32BE(17)).toBe(crc32c(batch, 21));
          const decoded = await decodeBatch(new Decoder(batch));
          expect(decoded.inTransaction).toBe(true);
          expect(decoded.producerId).toBe(String(producer.producerId));
          expect(decoded.producerEpoch).toBe(producer.epoch);
          expect(decoded.firstSequence).toBe(sequence);
          expect(decoded.records.map((r) => r.offset)).toEqual(records.map((_, i) => String(i)));
          decoded.records.forEach((r, i) => {
            expect(r.key.toString('utf8')).toBe(records[i]!.key);
            expect(Buffer.compare(r.value, records[i]!.value)).toBe(0);
            expect(r.timestamp).toBe('1764000000123');
            const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, v.toString('utf8')]));
            expect(headers).toEqual({ ...records[i]!.headers });
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('writes batches this library’s reader decodes once committed (base offset set as the broker does)', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      key: `task-${i}`,
      value: Buffer.from(`value ${i}`),
      headers: { ce_type: 'TaskCreated', ce_id: `id-${i}` },
    }));
    const batch = encodeRecordBatch(records, producer, 0, Date.now());
    batch.writeBigInt64BE(1_000n, 0);
    const [header] = scanBatches(batch);
    expect(header).toMatchObject({ baseOffset: 1_000n, nextOffset: 1_300n, end: batch.length });
    const out: Parameters<typeof decodeCommitted>[5] = [];
    decodeCommitted(batch, [header!], [], 1_000n, 2_000n, out);
    expect(out.map((r) => [r.key, r.value?.toString(), r.headers.ce_id, r.offsetValue])).toEqual(
      records.map((r, i) => [r.key, r.value.toString(), r.headers.ce_id, 1_000n + BigInt(i)]),
    );
  });

  it('wraps sequences past int32’s maximum to 0, as Kafka does', () => {
    expect(nextSequence(10, 5)).toBe(15);
    expect(nextSequence(2 ** 31 - 1, 1)).toBe(0);
    expect(nextSequence(2 ** 31 - 3, 5)).toBe(2);
  });
});
