// A faster fromBinary for the messages every consumer decodes per record
// (ADR 0043). From a message's descriptor it builds, once, a table of field
// readers; decoding then walks the bytes with those readers and no reflection.
// The result is the very object @bufbuild/protobuf's fromBinary gives (the
// unit tests compare the two on random messages). Anything this reader does
// not handle (unknown fields, a message field repeated for merging, packed
// or unusual scalar types, malformed or non-UTF-8 bytes) goes to fromBinary,
// which decodes it, or throws its own error.
import { isUtf8 } from 'node:buffer';
import { ScalarType, fromBinary, type DescField, type DescMessage, type MessageShape } from '@bufbuild/protobuf';

/** Thrown inside the reader when a message needs the reflective decoder. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

interface Cursor {
  readonly buf: Buffer;
  pos: number;
}

type Read = (c: Cursor) => unknown;

interface FieldPlan {
  readonly name: string;
  /** The oneof's property, when the field is one of its cases. */
  readonly oneof: string | undefined;
  readonly wireType: number;
  readonly repeated: boolean;
  readonly read: Read;
  /** A message field: a second occurrence would merge into the first (reflective path). */
  readonly message: boolean;
}

interface MessagePlan {
  readonly fields: (FieldPlan | undefined)[];
  readonly zero: () => Record<string, unknown>;
}

/** FeatureSet.FieldPresence.IMPLICIT: a proto3 field without `optional`. */
const IMPLICIT = 2;

/** fromBinary(schema, bytes), faster for the field types the platform's contracts use. */
export function decodeBinary<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const plan = planOf(schema);
  if (plan !== null) {
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      const cursor: Cursor = { buf, pos: 0 };
      return readMessage(plan, cursor, buf.length) as MessageShape<Desc>;
    } catch (error) {
      if (!(error instanceof Unsupported) && !(error instanceof RangeError)) throw error;
    }
  }
  return fromBinary(schema, bytes);
}

/** Whether decodeBinary reads this message type itself (else it always calls fromBinary). */
export function hasFastPath(schema: DescMessage): boolean {
  return planOf(schema) !== null;
}

const planOf = compiledPerMessage(compile);

/**
 * `compile` memoized per message type; null (left to the reflective code)
 * for a type it cannot compile, and for a recursive one.
 */
export function compiledPerMessage<Plan>(
  compile: (schema: DescMessage) => Plan | null,
): (schema: DescMessage) => Plan | null {
  const plans = new WeakMap<DescMessage, Plan | null>();
  return (schema) => {
    let plan = plans.get(schema);
    if (plan === undefined) {
      plans.set(schema, null);
      plan = compile(schema);
      plans.set(schema, plan);
    }
    return plan;
  };
}

function compile(schema: DescMessage): MessagePlan | null {
  const fields: (FieldPlan | undefined)[] = [];
  for (const field of schema.fields) {
    const plan = fieldPlan(field);
    if (plan === null) return null;
    fields[field.number] = plan;
  }
  // The zero message as create() makes it: implicit-presence scalars and
  // enums at their zero value, unset oneofs, empty lists, in field order.
  const zeros: [name: string, kind: 'value' | 'oneof' | 'list', value: unknown][] = [];
  for (const member of schema.members) {
    if (member.kind === 'oneof') zeros.push([member.localName, 'oneof', undefined]);
    else if (member.fieldKind === 'list') zeros.push([member.localName, 'list', undefined]);
    else if (member.fieldKind === 'scalar' && member.presence === IMPLICIT)
      zeros.push([member.localName, 'value', zeroOf(member)]);
    else if (member.fieldKind === 'enum' && member.presence === IMPLICIT) zeros.push([member.localName, 'value', 0]);
  }
  const typeName = schema.typeName;
  const zero = () => {
    const message: Record<string, unknown> = { $typeName: typeName };
    for (const [name, kind, value] of zeros)
      message[name] = kind === 'value' ? value : kind === 'oneof' ? { case: undefined } : [];
    return message;
  };
  return { fields, zero };
}

function zeroOf(field: DescField & { fieldKind: 'scalar' }): unknown {
  switch (field.scalar) {
    case ScalarType.STRING:
      return '';
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
      return field.longAsString ? '0' : 0n;
    default:
      return 0;
  }
}

function fieldPlan(field: DescField): FieldPlan | null {
  const base = { name: field.localName, oneof: field.oneof?.localName, repeated: false, message: false };
  switch (field.fieldKind) {
    case 'scalar': {
      const scalar = scalarReader(field.scalar, field.longAsString);
      return scalar && { ...base, ...scalar };
    }
    case 'enum':
      return { ...base, wireType: 0, read: readInt32 };
    case 'message': {
      const nested = field.message;
      return { ...base, wireType: 2, message: true, read: (c) => readNested(nested, c) };
    }
    case 'list': {
      // Lists of strings and of messages only (numeric lists may come packed).
      if (field.listKind === 'message') {
        const nested = field.message;
        return { ...base, repeated: true, wireType: 2, read: (c) => readNested(nested, c) };
      }
      if (field.listKind === 'scalar' && field.scalar === ScalarType.STRING)
        return { ...base, repeated: true, wireType: 2, read: readString };
      return null;
    }
    default:
      return null;
  }
}

function scalarReader(type: ScalarType, longAsString: boolean): { wireType: number; read: Read } | null {
  switch (type) {
    case ScalarType.STRING:
      return { wireType: 2, read: readString };
    case ScalarType.BOOL:
      return { wireType: 0, read: (c) => readVarint32(c) !== 0 };
    case ScalarType.UINT32:
      return { wireType: 0, read: (c) => readVarint32(c) >>> 0 };
    case ScalarType.INT32:
      return { wireType: 0, read: readInt32 };
    case ScalarType.INT64:
      return { wireType: 0, read: longAsString ? (c) => readInt64(c).toString() : readInt64 };
    default:
      return null;
  }
}

function readMessage(plan: MessagePlan, c: Cursor, end: number): Record<string, unknown> {
  const message = plan.zero();
  while (c.pos < end) {
    const tag = readVarint32(c);
    const field = plan.fields[tag >>> 3];
    if (field === undefined || (tag & 7) !== field.wireType) throw UNSUPPORTED;
    if (field.message && !field.repeated) {
      const current = field.oneof === undefined ? message[field.name] : message[field.oneof];
      if (field.oneof === undefined ? current !== undefined : (current as { case: unknown }).case === field.name)
        throw UNSUPPORTED;
    }
    const value = field.read(c);
    if (field.oneof !== undefined) message[field.oneof] = { case: field.name, value };
    else if (field.repeated) (message[field.name] as unknown[]).push(value);
    else message[field.name] = value;
  }
  if (c.pos !== end) throw UNSUPPORTED;
  return message;
}

function readNested(schema: DescMessage, c: Cursor): Record<string, unknown> {
  const plan = planOf(schema);
  if (plan === null) throw UNSUPPORTED;
  const length = readVarint32(c) >>> 0;
  const end = c.pos + length;
  if (end > c.buf.length) throw UNSUPPORTED;
  return readMessage(plan, c, end);
}

function readString(c: Cursor): string {
  const length = readVarint32(c) >>> 0;
  const start = c.pos;
  const end = start + length;
  if (end > c.buf.length) throw UNSUPPORTED;
  c.pos = end;
  const text = (c.buf as Buffer & { utf8Slice(start: number, end: number): string }).utf8Slice(start, end);
  // Invalid UTF-8 decodes to U+FFFD; proto3 refuses it (fromBinary says how).
  if (text.includes('\uFFFD') && !isUtf8(c.buf.subarray(start, end))) throw UNSUPPORTED;
  return text;
}

/** The low 32 bits of a varint (any length up to 10 bytes), as a signed number. */
function readVarint32(c: Cursor): number {
  const buf = c.buf;
  let value = 0;
  for (let shift = 0; shift < 32; shift += 7) {
    const b = buf[c.pos++];
    if (b === undefined) throw UNSUPPORTED;
    value |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return value;
  }
  // Bytes 6 to 10 carry bits 35 and up: skip them.
  for (let i = 0; i < 5; i++) {
    const b = buf[c.pos++];
    if (b === undefined) throw UNSUPPORTED;
    if ((b & 0x80) === 0) return value;
  }
  throw UNSUPPORTED;
}

function readInt32(c: Cursor): number {
  return readVarint32(c) | 0;
}

function readInt64(c: Cursor): bigint {
  const buf = c.buf;
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (let i = 0; i < 10; i++, shift += 7) {
    const b = buf[c.pos++];
    if (b === undefined) throw UNSUPPORTED;
    const bits = b & 0x7f;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= (bits & 0x0f) << 28;
      hi |= bits >>> 4;
    } else hi |= bits << (shift - 32);
    if ((b & 0x80) === 0) {
      if (hi === 0) return BigInt(lo >>> 0);
      return BigInt.asIntN(64, (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0));
    }
  }
  throw UNSUPPORTED;
}
