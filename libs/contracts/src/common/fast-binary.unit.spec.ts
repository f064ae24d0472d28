import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { ScalarType, create, fromBinary, toBinary, type DescField, type DescMessage } from '@bufbuild/protobuf';
import * as commands from '../gen/tasklog/v1/commands_pb.js';
import * as events from '../gen/tasklog/v1/events_pb.js';
import * as results from '../gen/tasklog/v1/command_results_pb.js';
import * as snapshots from '../gen/tasklog/v1/snapshots_pb.js';
import { decodeBinary, hasFastPath } from './fast-binary.js';
import { encodeBinary, hasFastWriter } from './fast-binary.writer.js';

const schemas: DescMessage[] = [commands, events, results, snapshots].flatMap((module) =>
  Object.values(module).filter((v): v is DescMessage => (v as { kind?: string }).kind === 'message'),
);

/** A small deterministic generator, driven by fast-check's seeds. */
function random(seed: number) {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const int = (n: number) => Math.floor(next() * n);
  const texts = [
    '',
    'a',
    'Tâche ✓',
    '𝄞 clef',
    '\uFEFFbom',
    'x'.repeat(300),
    '\u0000nul',
    '\uFFFDreplacement',
    '✓'.repeat(42), // 126 bytes: the longest one-byte length
    '✓'.repeat(45), // 135 bytes in 45 UTF-16 units
    '\uD800 lone surrogate',
  ];
  return { next, int, text: () => (next() < 0.7 ? texts[int(texts.length)]! : String(next()).repeat(int(4))) };
}

type Random = ReturnType<typeof random>;

function value(field: DescField, r: Random, depth: number, plain = false): unknown {
  const scalar = (type: ScalarType, longAsString: boolean): unknown => {
    switch (type) {
      case ScalarType.STRING:
        return r.text();
      case ScalarType.BOOL:
        return r.next() < 0.5;
      case ScalarType.UINT32:
        return [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1][r.int(6)];
      case ScalarType.INT32:
        return [0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 999_999_999][r.int(6)];
      case ScalarType.INT64: {
        const values = [0n, 1n, -1n, 1_700_000_000n, 2n ** 53n + 1n, 2n ** 63n - 1n, -(2n ** 63n)];
        values.push(2n ** 32n, 2n ** 32n + 5n, 2n ** 35n - 1n, 0x123456789abcdefn, -1_700_000_000n, -(2n ** 35n) + 3n);
        const big = values[r.int(values.length)]!;
        return longAsString ? big.toString() : big;
      }
      default:
        throw new Error(`no generator for scalar ${type}`);
    }
  };
  switch (field.fieldKind) {
    case 'scalar':
      return scalar(field.scalar, field.longAsString);
    case 'enum':
      return field.enum.values[r.int(field.enum.values.length)]!.number;
    case 'message':
      return message(field.message, r, depth + 1, plain);
    case 'list':
      return Array.from({ length: r.int(4) }, () =>
        field.listKind === 'message' ? message(field.message, r, depth + 1, plain) : scalar(field.scalar!, false),
      );
    default:
      throw new Error(`no generator for ${field.fieldKind}`);
  }
}

/** A random message of the schema; `plain`: its init object instead (nested ones plain too, int64 sometimes as number or text). */
function message(schema: DescMessage, r: Random, depth = 0, plain = false): object {
  const init: Record<string, unknown> = {};
  for (const member of schema.members) {
    if (depth > 3 || r.next() < 0.25) continue;
    if (member.kind === 'oneof') {
      const field = member.fields[r.int(member.fields.length)]!;
      init[member.localName] = { case: field.localName, value: value(field, r, depth, plain) };
    } else init[member.localName] = value(member, r, depth, plain);
  }
  if (!plain) return create(schema, init);
  for (const [name, v] of Object.entries(init))
    if (typeof v === 'bigint' && v >= -(2n ** 52n) && v <= 2n ** 52n && r.next() < 0.5)
      init[name] = r.next() < 0.5 ? Number(v) : v.toString();
  return init;
}

const reflective = (schema: DescMessage, bytes: Uint8Array) => {
  try {
    return { ok: fromBinary(schema, bytes) };
  } catch (error) {
    return { error: (error as Error).message };
  }
};
const fast = (schema: DescMessage, bytes: Uint8Array) => {
  try {
    return { ok: decodeBinary(schema, bytes) };
  } catch (error) {
    return { error: (error as Error).message };
  }
};

describe('decodeBinary', () => {
  it('covers every message of the record contracts', () => {
    expect(schemas.map((s) => s.typeName)).toEqual(
      expect.arrayContaining(['tasklog.v1.TaskEventEnvelope', 'tasklog.v1.TaskCommandEnvelope']),
    );
    expect(schemas.filter((s) => !hasFastPath(s)).map((s) => s.typeName)).toEqual([]);
  });

  it('gives exactly what fromBinary gives, for random messages of every contract (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: schemas.length - 1 }), (seed, index) => {
        const schema = schemas[index]!;
        const bytes = toBinary(schema, message(schema, random(seed)) as never);
        expect(decodeBinary(schema, bytes)).toEqual(fromBinary(schema, bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('agrees with fromBinary on damaged bytes: the same message, or an error from both (property)', () => {
    fc.assert(
      fc.property(
        fc.integer(),
        fc.integer({ min: 0, max: schemas.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 4 }),
        fc.nat(),
        (seed, index, flips, cut) => {
          const schema = schemas[index]!;
          const bytes = toBinary(schema, message(schema, random(seed)) as never);
          if (bytes.length === 0) return;
          const damaged = bytes.slice(0, bytes.length - (cut % 3 === 0 ? cut % bytes.length : 0));
          for (const [at, byte] of flips) if (damaged.length > 0) damaged[at % damaged.length] = byte;
          const expected = reflective(schema, damaged);
          const actual = fast(schema, damaged);
          if ('ok' in expected) expect(actual).toEqual(expected);
          else expect(actual).toHaveProperty('error');
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('keeps unknown fields and merged messages as fromBinary does', () => {
    const known = toBinary(
      events.EventMetadataSchema,
      create(events.EventMetadataSchema, { eventId: 'e', version: 3 }),
    );
    const unknownField = Uint8Array.from([...known, 0xf8, 0x01, 0x05]); // field 31, varint 5
    expect(decodeBinary(events.EventMetadataSchema, unknownField)).toEqual(
      fromBinary(events.EventMetadataSchema, unknownField),
    );
    const t1 = toBinary(events.TaskDeletedSchema, create(events.TaskDeletedSchema, { deletedAt: { seconds: 5n } }));
    const t2 = toBinary(events.TaskDeletedSchema, create(events.TaskDeletedSchema, { deletedAt: { nanos: 7 } }));
    const merged = Uint8Array.from([...t1, ...t2]);
    expect(decodeBinary(events.TaskDeletedSchema, merged)).toEqual(fromBinary(events.TaskDeletedSchema, merged));
    expect(decodeBinary(events.TaskDeletedSchema, merged).deletedAt).toMatchObject({ seconds: 5n, nanos: 7 });
  });
});

describe('encodeBinary', () => {
  it('covers every message of the record contracts', () => {
    expect(schemas.filter((s) => !hasFastWriter(s)).map((s) => s.typeName)).toEqual([]);
  });

  it('gives byte for byte what toBinary gives, for random messages of every contract (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: schemas.length - 1 }), (seed, index) => {
        const schema = schemas[index]!;
        const msg = message(schema, random(seed));
        expect(Buffer.from(encodeBinary(schema, msg as never))).toEqual(Buffer.from(toBinary(schema, msg as never)));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes init objects as create() does: the bytes of toBinary(create(init)) (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: schemas.length - 1 }), (seed, index) => {
        const schema = schemas[index]!;
        const init = message(schema, random(seed), 0, true);
        const expected = toBinary(schema, create(schema, init as never));
        expect(Buffer.from(encodeBinary(schema, init as never))).toEqual(Buffer.from(expected));
        expect(fromBinary(schema, encodeBinary(schema, init as never))).toEqual(fromBinary(schema, expected));
      }),
      { numRuns: 3000 },
    );
  });

  it('writes nested lengths that need more than one byte, and big lengths of every size', () => {
    for (const length of [0, 42, 43, 127, 128, 300, 16_383, 16_384, 70_000, 2_100_000]) {
      const init = { eventId: 'é'.repeat(length), correlationId: 'x'.repeat(length % 1000) };
      const envelope = {
        metadata: init,
        event: { case: 'taskDeleted' as const, value: { taskId: 't'.repeat(length) } },
      };
      const expected = toBinary(events.TaskEventEnvelopeSchema, create(events.TaskEventEnvelopeSchema, envelope));
      const actual = Buffer.from(encodeBinary(events.TaskEventEnvelopeSchema, envelope));
      expect(actual.length).toBe(expected.length);
      expect(actual.equals(expected)).toBe(true);
    }
  });

  it('leaves what it does not handle to create() and toBinary: their bytes, or their error', () => {
    const withUnknown = create(events.EventMetadataSchema, { eventId: 'e' });
    withUnknown.$unknown = [{ no: 31, wireType: 0, data: Uint8Array.of(5) }];
    expect(Buffer.from(encodeBinary(events.EventMetadataSchema, withUnknown))).toEqual(
      Buffer.from(toBinary(events.EventMetadataSchema, withUnknown)),
    );
    const outcome = (encode: () => Uint8Array) => {
      try {
        return { bytes: Buffer.from(encode()) };
      } catch (error) {
        return { error: (error as Error).message };
      }
    };
    const odd: Record<string, unknown>[] = [
      { eventId: 42 },
      { version: -1 },
      { version: 1.5 },
      { version: 2 ** 32 },
      { recordedAt: null },
      { recordedAt: { seconds: 'soon' } },
      { recordedAt: { seconds: 2n ** 64n } },
      { correlationId: undefined, causationId: 'c' },
    ];
    for (const init of odd) {
      const schema = events.EventMetadataSchema;
      expect(outcome(() => encodeBinary(schema, init as never))).toEqual(
        outcome(() => toBinary(schema, create(schema, init as never))),
      );
    }
    const foreign = create(events.TaskDeletedSchema, { taskId: 't' });
    expect(outcome(() => encodeBinary(events.EventMetadataSchema, foreign as never))).toEqual(
      outcome(() => toBinary(events.EventMetadataSchema, create(events.EventMetadataSchema, foreign as never))),
    );
  });

  it('returns bytes of its own: a second encoding does not overwrite the first', () => {
    const a = encodeBinary(events.EventMetadataSchema, { eventId: 'first' });
    const copy = Buffer.from(a);
    encodeBinary(events.EventMetadataSchema, { eventId: 'second, and longer' });
    expect(Buffer.from(a)).toEqual(copy);
  });
});
