// The primitive types of the Kafka protocol: a growing writer for requests
// and a cursor for responses. The non-flexible versions' types (int16
// lengths, int32 counts) and, for the flexible versions (KIP-482) the
// transaction protocol v2 needs (ADR 0057), the compact ones (unsigned
// varint lengths plus one) and tagged fields.

export class RequestWriter {
  private buffer = Buffer.allocUnsafe(256);
  private offset = 0;

  int8(value: number): this {
    this.room(1);
    this.offset = this.buffer.writeInt8(value, this.offset);
    return this;
  }

  bool(value: boolean): this {
    return this.int8(value ? 1 : 0);
  }

  int16(value: number): this {
    this.room(2);
    this.offset = this.buffer.writeInt16BE(value, this.offset);
    return this;
  }

  int32(value: number): this {
    this.room(4);
    this.offset = this.buffer.writeInt32BE(value, this.offset);
    return this;
  }

  int64(value: bigint): this {
    this.room(8);
    this.offset = this.buffer.writeBigInt64BE(value, this.offset);
    return this;
  }

  string(value: string | null): this {
    if (value === null) return this.int16(-1);
    const length = Buffer.byteLength(value, 'utf8');
    this.int16(length);
    this.room(length);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    return this;
  }

  /** BYTES / RECORDS: an int32 length, then the bytes. */
  bytes(value: Uint8Array): this {
    this.int32(value.length);
    this.room(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  array<T>(items: Iterable<T> & { readonly length?: number; readonly size?: number }, each: (item: T) => void): this {
    this.int32(items.length ?? items.size ?? 0);
    for (const item of items) each(item);
    return this;
  }

  /** UNSIGNED_VARINT. */
  uvarint(value: number): this {
    this.room(5);
    let v = value >>> 0;
    while (v >= 0x80) {
      this.buffer[this.offset++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    this.buffer[this.offset++] = v;
    return this;
  }

  /** COMPACT_(NULLABLE_)STRING: the UTF-8 length plus one (0: null), then the bytes. */
  compactString(value: string | null): this {
    if (value === null) return this.uvarint(0);
    const length = Buffer.byteLength(value, 'utf8');
    this.uvarint(length + 1);
    this.room(length);
    this.offset += this.buffer.write(value, this.offset, 'utf8');
    return this;
  }

  /** COMPACT_BYTES / COMPACT_RECORDS. */
  compactBytes(value: Uint8Array): this {
    this.uvarint(value.length + 1);
    this.room(value.length);
    this.buffer.set(value, this.offset);
    this.offset += value.length;
    return this;
  }

  compactArray<T>(
    items: Iterable<T> & { readonly length?: number; readonly size?: number },
    each: (item: T) => void,
  ): this {
    this.uvarint((items.length ?? items.size ?? 0) + 1);
    for (const item of items) each(item);
    return this;
  }

  /** An empty TAG_BUFFER: this client sends no tagged fields. */
  tags(): this {
    return this.uvarint(0);
  }

  done(): Buffer {
    return this.buffer.subarray(0, this.offset);
  }

  private room(bytes: number): void {
    if (this.offset + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.offset + bytes));
    this.buffer.copy(grown, 0, 0, this.offset);
    this.buffer = grown;
  }
}

export class ResponseReader {
  constructor(
    private readonly buffer: Buffer,
    private offset = 0,
  ) {}

  int8(): number {
    return this.buffer.readInt8(this.advance(1));
  }

  bool(): boolean {
    return this.int8() !== 0;
  }

  int16(): number {
    return this.buffer.readInt16BE(this.advance(2));
  }

  int32(): number {
    return this.buffer.readInt32BE(this.advance(4));
  }

  int64(): bigint {
    return this.buffer.readBigInt64BE(this.advance(8));
  }

  string(): string {
    return this.nullableString() ?? '';
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const start = this.advance(length);
    return this.buffer.toString('utf8', start, start + length);
  }

  /** BYTES: an int32 length (-1: null, read as empty), then the bytes (a view, not a copy). */
  bytes(): Buffer {
    const length = this.int32();
    if (length < 0) return this.buffer.subarray(0, 0);
    const start = this.advance(length);
    return this.buffer.subarray(start, start + length);
  }

  uvarint(): number {
    let value = 0;
    for (let shift = 0; shift <= 28; shift += 7) {
      const byte = this.buffer.readUInt8(this.advance(1));
      value += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return value;
    }
    throw new RangeError('Kafka response holds an unsigned varint longer than 5 bytes');
  }

  compactString(): string {
    return this.compactNullableString() ?? '';
  }

  compactNullableString(): string | null {
    const length = this.uvarint() - 1;
    if (length < 0) return null;
    const start = this.advance(length);
    return this.buffer.toString('utf8', start, start + length);
  }

  compactArray<T>(each: () => T): T[] {
    const count = this.uvarint() - 1;
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(each());
    return items;
  }

  /** Reads a TAG_BUFFER; `read` gets the fields it knows (by tag), the others are skipped. */
  tags(read?: (tag: number, field: ResponseReader) => void): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      const tag = this.uvarint();
      const size = this.uvarint();
      const start = this.advance(size);
      read?.(tag, new ResponseReader(this.buffer.subarray(start, start + size)));
    }
  }

  array<T>(each: () => T): T[] {
    const count = this.int32();
    const items: T[] = [];
    for (let i = 0; i < count; i++) items.push(each());
    return items;
  }

  /** Where the next read starts. */
  get position(): number {
    return this.offset;
  }

  private advance(bytes: number): number {
    const at = this.offset;
    if (at + bytes > this.buffer.length) throw new RangeError('Kafka response ended early');
    this.offset += bytes;
    return at;
  }
}
