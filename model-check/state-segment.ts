// The file format of a spilled stretch of the breadth-first frontier (and of
// a checkpoint's frontier): states one after another, each as a 4-byte
// little-endian length and the codec's bytes (state-codec.ts). A writer
// batches records into one buffer and writes it with one call; a reader reads
// the file in chunks of a few megabytes, so a frontier of any size is read
// back with bounded memory and in the order it was written.

import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { assert } from '../lib/assert.ts';
import type { StateCodec } from './state-codec.ts';

const HEADER_BYTES = 4;
const CHUNK_BYTES = 1 << 20;

/** Appends records to a file descriptor, buffering up to a few megabytes between writes. */
export class SegmentWriter<S> {
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  /** Bytes handed to the file so far (flushed or buffered). */
  bytes = 0;
  states = 0;

  constructor(
    private readonly fd: number,
    private readonly codec: StateCodec<S>,
  ) {}

  write(state: S): void {
    this.writeRecord(this.codec.encode(state));
  }

  /** Appends an already encoded record body (a state's codec bytes). */
  writeRecord(body: Uint8Array): void {
    const need = HEADER_BYTES + body.length;
    if (this.used + need > this.buffer.length) {
      this.flush();
      if (need > this.buffer.length) this.buffer = Buffer.allocUnsafe(need);
    }
    this.buffer.writeUInt32LE(body.length, this.used);
    this.buffer.set(body, this.used + HEADER_BYTES);
    this.used += need;
    this.bytes += need;
    this.states++;
  }

  flush(): void {
    let at = 0;
    while (at < this.used) at += writeSync(this.fd, this.buffer, at, this.used - at);
    this.used = 0;
  }
}

/** Reads the records of a segment file from `offset` on, in order. */
export class SegmentReader<S> {
  private readonly fd: number;
  private buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  /** Unconsumed bytes are buffer[start, end); `fileAt` is the file offset of buffer[end]. */
  private start = 0;
  private end = 0;
  private fileAt: number;
  private closed = false;

  constructor(
    readonly path: string,
    private readonly codec: StateCodec<S>,
    /** How many records remain from `offset` (the writer's count). */
    public remaining: number,
    offset = 0,
  ) {
    this.fd = openSync(path, 'r');
    this.fileAt = offset;
  }

  /** The file offset of the next unread record (what a checkpoint copies from). */
  get offset(): number {
    return this.fileAt - (this.end - this.start);
  }

  /** Reads up to `max` states into `into`; returns how many. */
  read(into: S[], max: number): number {
    let n = 0;
    while (n < max && this.remaining > 0) {
      const length = this.ensure(HEADER_BYTES) ? this.buffer.readUInt32LE(this.start) : -1;
      assert(length >= 0 && this.ensure(HEADER_BYTES + length), () => `segment ${this.path} ends inside a record`);
      const body = this.buffer.subarray(this.start + HEADER_BYTES, this.start + HEADER_BYTES + length);
      into.push(this.codec.decode(body));
      this.start += HEADER_BYTES + length;
      this.remaining--;
      n++;
    }
    return n;
  }

  /** Copies the unread records to `fd` (from the open file, so it works after the path was deleted); returns the bytes. */
  copyRestTo(fd: number): number {
    return copyFileTail(this.fd, this.offset, fd);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  /** Makes `bytes` unconsumed bytes available; false at the end of the file. */
  private ensure(bytes: number): boolean {
    if (this.end - this.start >= bytes) return true;
    if (bytes > this.buffer.length) {
      const grown = Buffer.allocUnsafe(bytes);
      this.buffer.copy(grown, 0, this.start, this.end);
      this.buffer = grown;
    } else {
      this.buffer.copy(this.buffer, 0, this.start, this.end);
    }
    this.end -= this.start;
    this.start = 0;
    while (this.end < bytes) {
      const read = readSync(this.fd, this.buffer, this.end, this.buffer.length - this.end, this.fileAt);
      if (read === 0) return false;
      this.end += read;
      this.fileAt += read;
    }
    return true;
  }
}

/** Copies bytes [from, end of file) of the open file `source` to `fd` (a checkpoint taking a spilled segment as it is). */
function copyFileTail(source: number, from: number, fd: number): number {
  const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
  let copied = 0;
  for (;;) {
    const read = readSync(source, buffer, 0, buffer.length, from + copied);
    if (read === 0) return copied;
    let at = 0;
    while (at < read) at += writeSync(fd, buffer, at, read - at);
    copied += read;
  }
}
