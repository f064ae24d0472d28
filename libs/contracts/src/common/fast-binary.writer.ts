// A faster toBinary for the messages every producer encodes per record
// (ADR 0045), the counterpart of decodeBinary (ADR 0043). From a message's
// descriptor it builds, once, the field writers in field-number order; they
// write straight into one reused buffer, nested lengths patched in place.
// It takes a message or its init object (what create() accepts), so callers
// need not create() first, and gives byte for byte what
// toBinary(schema, create(schema, init)) gives (the unit tests compare the
// two on random messages). Anything it does not handle (unknown fields, field
// types the contracts do not use, values of the wrong type) goes to
// create() and toBinary, which encode it or throw their own error.
import {
  ScalarType,
  create,
  toBinary,
  type DescField,
  type DescMessage,
  type MessageInitShape,
} from '@bufbuild/protobuf';
import { compiledPerMessage } from './fast-binary.js';

/** Thrown inside the writer when a message needs the reflective encoder. */
class Unsupported extends Error {}
const UNSUPPORTED = new Unsupported();

interface Output {
  buf: Buffer & { utf8Write(text: string, offset: number, length?: number): number };
  pos: number;
}

type Message = Record<string, unknown>;
type WriteField = (o: Output, message: Message) => void;

interface WritePlan {
  readonly typeName: string;
  readonly fields: readonly WriteField[];
}

/** FeatureSet.FieldPresence.IMPLICIT: a proto3 field without `optional`. */
const IMPLICIT = 2;
const MAX_REUSED = 1024 * 1024;

let output: Output = { buf: Buffer.allocUnsafe(16 * 1024) as Output['buf'], pos: 0 };

/**
 * An init object of `schema`'s message, type-checked as create() checks it.
 * Where a message is built only to be encoded, encodeBinary takes it as it
 * is: the create() (a copy with every default filled in) is skipped.
 */
export function messageInit<Desc extends DescMessage>(
  _schema: Desc,
  init: MessageInitShape<Desc>,
): MessageInitShape<Desc> {
  return init;
}

/** toBinary(schema, create(schema, init)), faster for the field types the platform's contracts use. */
export function encodeBinary<Desc extends DescMessage>(schema: Desc, init: MessageInitShape<Desc>): Uint8Array {
  const plan = planOf(schema);
  if (plan !== null) {
    const o = output;
    o.pos = 0;
    try {
      writeMessage(plan, o, init as Message);
      const bytes = Buffer.allocUnsafe(o.pos);
      o.buf.copy(bytes, 0, 0, o.pos);
      return bytes;
    } catch (error) {
      if (!(error instanceof Unsupported)) throw error;
    } finally {
      // A buffer grown for one huge message is not kept.
      if (o.buf.length > MAX_REUSED) output = { buf: Buffer.allocUnsafe(16 * 1024) as Output['buf'], pos: 0 };
    }
  }
  return toBinary(schema, create(schema, init));
}

/** Whether encodeBinary writes this message type itself (else it always calls toBinary). */
export function hasFastWriter(schema: DescMessage): boolean {
  return planOf(schema) !== null;
}

const planOf = compiledPerMessage(compile);

function compile(schema: DescMessage): WritePlan | null {
  const fields: WriteField[] = [];
  for (const field of [...schema.fields].sort((a, b) => a.number - b.number)) {
    const write = fieldWriter(field);
    if (write === null) return null;
    fields.push(write);
  }
  return { typeName: schema.typeName, fields };
}

function writeMessage(plan: WritePlan, o: Output, message: Message): void {
  if (typeof message !== 'object' || message === null) throw UNSUPPORTED;
  const typeName = message['$typeName'];
  if (typeName !== undefined && typeName !== plan.typeName) throw UNSUPPORTED;
  const unknown = message['$unknown'] as unknown[] | undefined;
  if (unknown !== undefined && unknown.length > 0) throw UNSUPPORTED;
  const fields = plan.fields;
  for (let i = 0; i < fields.length; i++) fields[i]!(o, message);
}

type WriteValue = (o: Output, value: unknown) => void;

function fieldWriter(field: DescField): WriteField | null {
  const name = field.localName;
  if (field.fieldKind === 'list') {
    const write = listItemWriter(field);
    if (write === null) return null;
    return (o, message) => {
      const items = message[name];
      if (items === undefined) return;
      if (!Array.isArray(items)) throw UNSUPPORTED;
      for (let i = 0; i < items.length; i++) write(o, items[i]);
    };
  }
  const write = valueWriter(field);
  if (write === null) return null;
  if (field.oneof !== undefined) {
    const oneof = field.oneof.localName;
    return (o, message) => {
      const selected = message[oneof] as { case?: string; value?: unknown } | undefined;
      if (selected !== undefined && selected.case === name) write(o, selected.value);
    };
  }
  if (field.fieldKind === 'message' || field.presence !== IMPLICIT) {
    return (o, message) => {
      const value = message[name];
      if (value !== undefined) write(o, value);
    };
  }
  // Implicit presence: written unless it is the zero value.
  const zero =
    field.fieldKind === 'enum' ? field.enum.values[0]!.number : field.fieldKind === 'scalar' ? zeroOf(field.scalar) : 0;
  return (o, message) => {
    const value = message[name];
    // Loose for int64: 0n, 0 and '0' are all the zero value.
    if (value !== undefined && (zero === 0n ? value != 0 : value !== zero)) write(o, value);
  };
}

function zeroOf(type: ScalarType): unknown {
  switch (type) {
    case ScalarType.STRING:
      return '';
    case ScalarType.BOOL:
      return false;
    case ScalarType.INT64:
      return 0n;
    default:
      return 0;
  }
}

/** Tag and value of a singular field (or of one oneof case). */
function valueWriter(field: DescField): WriteValue | null {
  switch (field.fieldKind) {
    case 'scalar': {
      const write = scalarWriter(field.scalar);
      return write && tagged(field.number, wireTypeOf(field.scalar), write);
    }
    case 'enum':
      return tagged(field.number, 0, writeInt32);
    case 'message': {
      const nested = field.message;
      return tagged(field.number, 2, (o, value) => writeNested(nested, o, value));
    }
    default:
      return null;
  }
}

function listItemWriter(field: DescField & { fieldKind: 'list' }): WriteValue | null {
  // Lists of strings and of messages only (numeric lists would be packed).
  if (field.listKind === 'message') {
    const nested = field.message;
    return tagged(field.number, 2, (o, value) => writeNested(nested, o, value));
  }
  if (field.listKind === 'scalar' && field.scalar === ScalarType.STRING) return tagged(field.number, 2, writeString);
  return null;
}

function wireTypeOf(type: ScalarType): number {
  return type === ScalarType.STRING ? 2 : 0;
}

function scalarWriter(type: ScalarType): WriteValue | null {
  switch (type) {
    case ScalarType.STRING:
      return writeString;
    case ScalarType.BOOL:
      return writeBool;
    case ScalarType.UINT32:
      return writeUint32;
    case ScalarType.INT32:
      return writeInt32;
    case ScalarType.INT64:
      return writeInt64;
    default:
      return null;
  }
}

/** Prefixes a value writer with the field's tag (one varint, precomputed). */
function tagged(fieldNumber: number, wireType: number, write: WriteValue): WriteValue {
  const tag = ((fieldNumber << 3) | wireType) >>> 0;
  if (tag < 0x80)
    return (o, value) => {
      ensure(o, 1);
      o.buf[o.pos++] = tag;
      write(o, value);
    };
  return (o, value) => {
    writeVarint32(o, tag);
    write(o, value);
  };
}

function ensure(o: Output, bytes: number): void {
  if (o.pos + bytes <= o.buf.length) return;
  let size = o.buf.length * 2;
  while (size < o.pos + bytes) size *= 2;
  const grown = Buffer.allocUnsafe(size) as Output['buf'];
  o.buf.copy(grown, 0, 0, o.pos);
  o.buf = grown;
}

/** A nested message, its length written in front once known (one byte reserved, moved up if it needs more). */
function writeNested(schema: DescMessage, o: Output, value: unknown): void {
  const plan = planOf(schema);
  if (plan === null) throw UNSUPPORTED;
  ensure(o, 1);
  const start = o.pos;
  o.pos += 1;
  writeMessage(plan, o, value as Message);
  const length = o.pos - start - 1;
  if (length < 0x80) {
    o.buf[start] = length;
    return;
  }
  const size = varintSize(length);
  ensure(o, size - 1);
  o.buf.copyWithin(start + size, start + 1, o.pos);
  const end = o.pos + size - 1;
  o.pos = start;
  writeVarint32(o, length);
  o.pos = end;
}

function writeString(o: Output, value: unknown): void {
  if (typeof value !== 'string') throw UNSUPPORTED;
  // At most three bytes per UTF-16 unit: short strings fit a one-byte length.
  if (value.length < 43) {
    ensure(o, 1 + value.length * 3);
    const written = o.buf.utf8Write(value, o.pos + 1);
    o.buf[o.pos] = written;
    o.pos += 1 + written;
    return;
  }
  const length = Buffer.byteLength(value, 'utf8');
  writeVarint32(o, length);
  ensure(o, length);
  o.pos += o.buf.utf8Write(value, o.pos, length);
}

function writeBool(o: Output, value: unknown): void {
  if (typeof value !== 'boolean') throw UNSUPPORTED;
  ensure(o, 1);
  o.buf[o.pos++] = value ? 1 : 0;
}

function writeUint32(o: Output, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 0xffffffff) throw UNSUPPORTED;
  writeVarint32(o, value);
}

function writeInt32(o: Output, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < -0x80000000 || value > 0x7fffffff)
    throw UNSUPPORTED;
  if (value >= 0) writeVarint32(o, value);
  else writeVarint64(o, value >>> 0, 0xffffffff); // sign-extended to 64 bits, as protobuf requires
}

function writeInt64(o: Output, value: unknown): void {
  let big: bigint;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  else if (typeof value === 'string' && /^-?\d{1,19}$/.test(value)) big = BigInt(value);
  else throw UNSUPPORTED;
  if (big >= 0n && big <= 0xffffffffn) return writeVarint32(o, Number(big));
  if (big < -(2n ** 63n) || big >= 2n ** 63n) throw UNSUPPORTED;
  const bits = BigInt.asUintN(64, big);
  writeVarint64(o, Number(bits & 0xffffffffn), Number(bits >> 32n));
}

/** An unsigned 32-bit varint. */
function writeVarint32(o: Output, value: number): void {
  ensure(o, 5);
  const buf = o.buf;
  let v = value >>> 0;
  while (v > 0x7f) {
    buf[o.pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[o.pos++] = v;
}

/** A 64-bit varint from its low and high 32 bits (unsigned). */
function writeVarint64(o: Output, lo: number, hi: number): void {
  ensure(o, 10);
  const buf = o.buf;
  for (let i = 0; i < 4; i++) {
    buf[o.pos++] = (lo & 0x7f) | 0x80;
    lo >>>= 7;
  }
  // Bits 28–34: four from lo, three from hi.
  const v = (lo | (hi << 4)) & 0x7f;
  hi >>>= 3;
  if (hi === 0) {
    buf[o.pos++] = v;
    return;
  }
  buf[o.pos++] = v | 0x80;
  while (hi > 0x7f) {
    buf[o.pos++] = (hi & 0x7f) | 0x80;
    hi >>>= 7;
  }
  buf[o.pos++] = hi;
}

function varintSize(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}
