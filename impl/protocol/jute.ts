// Jute, ZooKeeper's binary record encoding (zookeeper-jute, BinaryOutputArchive /
// BinaryInputArchive): big-endian int (4 bytes) and long (8 bytes), boolean as one
// byte, buffer and ustring as an int length followed by the bytes (length -1 means
// null), vector as an int count (-1 = null) followed by the elements.
//
// Sans-IO: a reader over one Uint8Array and a growable writer. Longs are bigint
// because zxids ((epoch << 32) | counter), session ids ((serverId << 56) | ...)
// and TTL/container ephemeral owners all use the full 64 bits.
//
// A malformed input is an operating error (a peer sent it), so decoding returns a
// Result. Inside one decode the reader throws JuteDecodeError at the first short
// read and `decodeRecord` turns it into a value, which keeps every record's read
// function a straight line of field reads like the generated Java.

import { err, ok, type Result } from '../../lib/result.ts';


export class JuteDecodeError extends Error {
  override readonly name = 'JuteDecodeError';
}

const textDecoder = new TextDecoder('utf-8');
const textEncoder = new TextEncoder();

export class JuteReader {
  private readonly view: DataView;
  offset = 0;

  constructor(readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.byteLength - this.offset;
  }

  private need(byteCount: number, what: string): void {
    if (byteCount > this.remaining) {
      throw new JuteDecodeError(`${what}: need ${byteCount} bytes at offset ${this.offset}, have ${this.remaining}`);
    }
  }

  readInt(): number {
    this.need(4, 'int');
    const value = this.view.getInt32(this.offset);
    this.offset += 4;
    return value;
  }

  readLong(): bigint {
    this.need(8, 'long');
    const value = this.view.getBigInt64(this.offset);
    this.offset += 8;
    return value;
  }

  readBool(): boolean {
    this.need(1, 'boolean');
    const value = this.bytes[this.offset] !== 0;
    this.offset += 1;
    return value;
  }

  /** A jute buffer; null (length -1) reads as an empty buffer, as Java callers treat it. */
  readBuffer(): Uint8Array {
    const length = this.readInt();
    if (length < 0) {
      if (length === -1) return new Uint8Array(0);
      throw new JuteDecodeError(`buffer: negative length ${length}`);
    }
    this.need(length, 'buffer');
    const value = this.bytes.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  /** A jute buffer where null (length -1) matters: znode data, which ZooKeeper keeps and returns as null. */
  readNullableBuffer(): Uint8Array | null {
    if (this.offset + 4 <= this.bytes.byteLength && this.view.getInt32(this.offset) === -1) {
      this.offset += 4;
      return null;
    }
    return this.readBuffer();
  }

  /** A jute ustring; null (length -1) reads as undefined so callers can tell it apart from "". */
  readStringOrNull(): string | undefined {
    const length = this.readInt();
    if (length < 0) {
      if (length === -1) return undefined;
      throw new JuteDecodeError(`ustring: negative length ${length}`);
    }
    this.need(length, 'ustring');
    const value = textDecoder.decode(this.bytes.subarray(this.offset, this.offset + length));
    this.offset += length;
    return value;
  }

  readString(): string {
    return this.readStringOrNull() ?? '';
  }

  /** A jute vector; null (count -1) reads as an empty array. Count is bounded by the bytes left. */
  readVector<T>(readElement: (reader: JuteReader) => T): T[] {
    const count = this.readInt();
    if (count < 0) {
      if (count === -1) return [];
      throw new JuteDecodeError(`vector: negative count ${count}`);
    }
    // Every element takes at least one byte, so a count above the bytes left is
    // malformed; checking it first bounds the loop by the frame size.
    if (count > this.remaining) throw new JuteDecodeError(`vector: count ${count} exceeds ${this.remaining} bytes left`);
    const values: T[] = [];
    for (let i = 0; i < count; i++) values.push(readElement(this));
    return values;
  }
}

export class JuteWriter {
  private bytes: Uint8Array;
  private view: DataView;
  length = 0;

  constructor(initialCapacity = 256) {
    this.bytes = new Uint8Array(initialCapacity);
    this.view = new DataView(this.bytes.buffer);
  }

  private reserve(byteCount: number): void {
    const needed = this.length + byteCount;
    if (needed <= this.bytes.byteLength) return;
    let capacity = this.bytes.byteLength * 2;
    while (capacity < needed) capacity *= 2;
    const grown = new Uint8Array(capacity);
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
    this.view = new DataView(grown.buffer);
  }

  writeInt(value: number): this {
    this.reserve(4);
    this.view.setInt32(this.length, value);
    this.length += 4;
    return this;
  }

  writeLong(value: bigint): this {
    this.reserve(8);
    this.view.setBigInt64(this.length, BigInt.asIntN(64, value));
    this.length += 8;
    return this;
  }

  writeBool(value: boolean): this {
    this.reserve(1);
    this.bytes[this.length] = value ? 1 : 0;
    this.length += 1;
    return this;
  }

  writeBuffer(value: Uint8Array | undefined): this {
    if (value === undefined) return this.writeInt(-1);
    this.writeInt(value.byteLength);
    this.writeRaw(value);
    return this;
  }

  writeString(value: string | undefined): this {
    if (value === undefined) return this.writeInt(-1);
    // Paths, schemes and ids are nearly always ASCII: written byte by byte into
    // the buffer, without TextEncoder's fresh array per string (allocating it
    // cost more than the encoding on the create path; docs/benchmarks.md, #14).
    const chars = value.length;
    this.reserve(4 + chars);
    const start = this.length + 4;
    const bytes = this.bytes;
    for (let i = 0; i < chars; i++) {
      const code = value.charCodeAt(i);
      if (code >= 0x80) return this.writeUtf8(value);
      bytes[start + i] = code;
    }
    this.view.setInt32(this.length, chars);
    this.length = start + chars;
    return this;
  }

  /** A string with a non-ASCII character: UTF-8 needs at most 3 bytes per UTF-16 unit. */
  private writeUtf8(value: string): this {
    this.reserve(4 + 3 * value.length);
    const start = this.length + 4;
    const { written } = textEncoder.encodeInto(value, this.bytes.subarray(start));
    this.view.setInt32(this.length, written);
    this.length = start + written;
    return this;
  }

  writeVector<T>(values: readonly T[] | undefined, writeElement: (writer: JuteWriter, value: T) => void): this {
    if (values === undefined) return this.writeInt(-1);
    this.writeInt(values.length);
    for (const value of values) writeElement(this, value);
    return this;
  }

  writeRaw(value: Uint8Array): this {
    this.reserve(value.byteLength);
    this.bytes.set(value, this.length);
    this.length += value.byteLength;
    return this;
  }

  /** The bytes the writer holds before it must grow. */
  get capacity(): number {
    return this.bytes.byteLength;
  }

  /** Overwrites an int already written at `offset` (a length prefix known only at the end). */
  patchInt(offset: number, value: number): this {
    this.view.setInt32(offset, value);
    return this;
  }

  /** The bytes written, without a copy; the writer must not be used afterwards. */
  finish(): Uint8Array {
    return this.length === this.bytes.byteLength ? this.bytes : this.bytes.subarray(0, this.length);
  }

  /** Copies the bytes written so far into `target` (exactly their length) and returns it. */
  copyInto(target: Uint8Array): Uint8Array {
    if (target.byteLength !== this.length) throw new RangeError(`copyInto: target holds ${target.byteLength} bytes, the writer ${this.length}`);
    target.set(this.bytes.subarray(0, this.length));
    return target;
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/**
 * One writer reused by every encodeRecord: a fresh writer is a fresh 256-byte
 * array, and on the request path allocating it cost more than filling it.
 * Taken out while in use, so a nested encodeRecord (a multi's inner records)
 * or one that throws halfway gets a writer of its own; one grown past
 * `scratchBytesMax` (a large znode's data) is let go rather than kept.
 */
let scratch: JuteWriter | undefined = new JuteWriter(1024);
const scratchBytesMax = 64 * 1024;

/**
 * Encodes one record into a fresh byte array, from `allocate` when given (a
 * caller whose bytes live briefly may take them from a pool).
 */
export function encodeRecord<T>(value: T, write: (writer: JuteWriter, value: T) => void, allocate?: (byteLength: number) => Uint8Array): Uint8Array {
  const writer = scratch ?? new JuteWriter();
  scratch = undefined;
  writer.length = 0;
  write(writer, value);
  const bytes = allocate === undefined ? writer.toBytes() : writer.copyInto(allocate(writer.length));
  if (writer.capacity <= scratchBytesMax) scratch = writer;
  return bytes;
}

/**
 * Decodes one record that must span all of `bytes`. Trailing bytes are an error:
 * ZooKeeper ignores them, but a frame with garbage after the record is a sign of
 * a confused peer and refusing it keeps round-trip tests honest.
 */
export function decodeRecord<T>(bytes: Uint8Array, read: (reader: JuteReader) => T, allowTrailing = false): Result<T, string> {
  const reader = new JuteReader(bytes);
  try {
    const value = read(reader);
    if (!allowTrailing && reader.remaining !== 0) return err(`${reader.remaining} trailing bytes after record`);
    return ok(value);
  } catch (error) {
    if (error instanceof JuteDecodeError) return err(error.message);
    throw error;
  }
}
