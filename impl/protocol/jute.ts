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
    return this.writeBuffer(textEncoder.encode(value));
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

  /** Overwrites an int already written at `offset` (a length prefix known only at the end). */
  patchInt(offset: number, value: number): this {
    this.view.setInt32(offset, value);
    return this;
  }

  /** The bytes written, without a copy; the writer must not be used afterwards. */
  finish(): Uint8Array {
    return this.length === this.bytes.byteLength ? this.bytes : this.bytes.subarray(0, this.length);
  }

  /** The bytes written so far (a copy, so the writer can be reused). */
  toBytes(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

/** Encodes one record into a fresh byte array. */
export function encodeRecord<T>(value: T, write: (writer: JuteWriter, value: T) => void): Uint8Array {
  const writer = new JuteWriter();
  write(writer, value);
  return writer.toBytes();
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
