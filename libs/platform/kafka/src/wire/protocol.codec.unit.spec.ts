import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { decodeApiVersions } from './producer.protocol.js';
import { RequestWriter, ResponseReader } from './protocol.codec.js';

// The flexible versions' types (KIP-482) the transaction protocol v2 needs (ADR 0057).
describe('the compact protocol types', () => {
  it('reads back every unsigned varint it writes, in the fewest bytes', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 31 - 1 }), (value) => {
        const bytes = new RequestWriter().uvarint(value).done();
        expect(bytes.length).toBe(
          value < 2 ** 7 ? 1 : value < 2 ** 14 ? 2 : value < 2 ** 21 ? 3 : value < 2 ** 28 ? 4 : 5,
        );
        expect(new ResponseReader(bytes).uvarint()).toBe(value);
      }),
    );
    expect([...new RequestWriter().uvarint(300).done()]).toEqual([0xac, 0x02]);
  });

  it('writes compact strings, bytes and arrays as their length plus one (0: null)', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'grapheme', maxLength: 200 })), fc.uint8Array(), (text, bytes) => {
        const w = new RequestWriter().compactString(text).compactBytes(bytes);
        w.compactArray([7, 8, 9], (n) => w.int32(n));
        const r = new ResponseReader(w.done());
        expect(r.compactNullableString()).toBe(text);
        expect(r.compactArray(() => r.int8())).toEqual([...bytes].map((b) => (b > 127 ? b - 256 : b)));
        expect(r.compactArray(() => r.int32())).toEqual([7, 8, 9]);
      }),
    );
    expect([...new RequestWriter().compactString(null).compactString('').done()]).toEqual([0, 1]);
  });

  it('skips tagged fields it does not know and hands over those it asks for', () => {
    const field = (tag: number, body: Buffer) => [tag, body.length, ...body];
    const bytes = Buffer.from([
      3,
      ...field(0, Buffer.from([1, 2, 3])),
      ...field(2, Buffer.from([0, 42])),
      ...field(9, Buffer.alloc(0)),
      0x7f,
    ]);
    const r = new ResponseReader(bytes);
    const seen: number[] = [];
    r.tags((tag, f) => {
      if (tag === 2) seen.push(f.int16());
    });
    expect(seen).toEqual([42]);
    expect(r.int8()).toBe(0x7f);
  });

  it('reads the served versions and the finalized features of an ApiVersions v3 answer', () => {
    const features = new RequestWriter();
    features.compactArray(
      [
        ['transaction.version', 2],
        ['metadata.version', 27],
      ] as const,
      ([name, level]) => features.compactString(name).int16(level).int16(1).tags(),
    );
    const featureBytes = features.done();
    const w = new RequestWriter().int16(0);
    w.compactArray(
      [
        [0, 13],
        [26, 5],
      ],
      ([key, max]) => w.int16(key!).int16(0).int16(max!).tags(),
    );
    w.int32(0); // throttle
    w.uvarint(2).uvarint(1).uvarint(8).int64(5n); // tag 1: finalized features epoch
    w.uvarint(2).uvarint(featureBytes.length);
    const body = Buffer.concat([w.done(), featureBytes]);
    const versions = decodeApiVersions(body);
    expect(versions.errorCode).toBe(0);
    expect([...versions.maxVersions]).toEqual([
      [0, 13],
      [26, 5],
    ]);
    expect(versions.features.get('transaction.version')).toBe(2);
    expect(versions.features.get('metadata.version')).toBe(27);
  });
});
