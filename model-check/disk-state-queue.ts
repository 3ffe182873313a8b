// The breadth-first frontier when it may not fit in memory (TLC's
// DiskStateQueue): a FIFO of states whose oldest part (the head, being
// expanded) and newest part (the tail, being filled) are arrays in memory,
// and whose middle is a list of segments of `segmentStates` states each.
// When the tail fills up it becomes a segment: kept in memory while
// `shouldSpill()` says there is room, else written to a file in the spill
// directory (state-segment.ts). The head is refilled from the oldest segment,
// so states leave in exactly the order they came in and the search's order
// and counts do not change; only the states of at most a few segments are
// objects in memory at once when spilling.
//
// A checkpoint writes the queue's states, oldest first, into one segment file
// (`writeTo`); a recovered run starts from that file as its first segment
// (`adoptFile`), read in place and never deleted.

import { closeSync, openSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../lib/assert.ts';
import type { StateCodec } from './state-codec.ts';
import { SegmentReader, SegmentWriter } from './state-segment.ts';

type Segment<S> =
  | { readonly kind: 'memory'; readonly states: S[] }
  | { readonly kind: 'file'; readonly reader: SegmentReader<S>; readonly bytes: number; readonly owned: boolean };

export interface DiskStateQueueOptions {
  /** Where spilled segments go; without it the queue never spills. */
  readonly directory?: string;
  /** States per segment (the unit of spilling and of reading back). */
  readonly segmentStates: number;
  /** Asked when the tail fills up: write it to disk (true) or keep it in memory. */
  readonly shouldSpill: () => boolean;
}

export class DiskStateQueue<S> {
  private head: (S | undefined)[] = [];
  private headAt = 0;
  private readonly middle: Segment<S>[] = [];
  private tail: S[] = [];
  private count = 0;
  private files = 0;
  /** Bytes of the spilled segments now on disk, and the most there ever were. */
  diskBytes = 0;
  diskBytesPeak = 0;
  /** States written to disk in all (a state may be written once at most). */
  spilledStates = 0;

  constructor(
    private readonly codec: StateCodec<S>,
    private readonly options: DiskStateQueueOptions,
  ) {
    assert(options.segmentStates >= 1, 'a segment holds at least one state');
  }

  get size(): number {
    return this.count;
  }

  /** States held as objects in memory (head, in-memory segments, tail). */
  get inMemory(): number {
    let n = this.head.length - this.headAt + this.tail.length;
    for (const segment of this.middle) if (segment.kind === 'memory') n += segment.states.length;
    return n;
  }

  enqueue(state: S): void {
    this.tail.push(state);
    this.count++;
    if (this.tail.length >= this.options.segmentStates) this.sealTail();
  }

  dequeue(): S {
    assert(this.count > 0, 'dequeue from an empty state queue');
    if (this.headAt === this.head.length) this.refill();
    const state = this.head[this.headAt]!;
    this.head[this.headAt++] = undefined;
    this.count--;
    return state;
  }

  /** Starts the queue from a segment file written by `writeTo` (a checkpoint's frontier); the file is read, never deleted. */
  adoptFile(path: string, states: number, bytes: number): void {
    assert(this.count === 0, 'a recovered frontier goes into an empty queue');
    if (states === 0) return;
    this.middle.push({ kind: 'file', reader: new SegmentReader(path, this.codec, states), bytes, owned: false });
    this.count = states;
  }

  /** Writes every queued state, oldest first, as one segment file to `fd`; returns its bytes. */
  writeTo(fd: number): number {
    const writer = new SegmentWriter(fd, this.codec);
    for (let i = this.headAt; i < this.head.length; i++) writer.write(this.head[i]!);
    writer.flush();
    let bytes = writer.bytes;
    for (const segment of this.middle) {
      if (segment.kind === 'memory') {
        const part = new SegmentWriter(fd, this.codec);
        for (const state of segment.states) part.write(state);
        part.flush();
        bytes += part.bytes;
      } else {
        bytes += segment.reader.copyRestTo(fd);
      }
    }
    const last = new SegmentWriter(fd, this.codec);
    for (const state of this.tail) last.write(state);
    last.flush();
    return bytes + last.bytes;
  }

  /** Deletes the spilled files still on disk (the search ended early or finished). */
  close(): void {
    for (const segment of this.middle) if (segment.kind === 'file') this.release(segment);
    this.middle.length = 0;
  }

  private sealTail(): void {
    const states = this.tail;
    this.tail = [];
    const directory = this.options.directory;
    if (directory === undefined || !this.options.shouldSpill()) {
      this.middle.push({ kind: 'memory', states });
      return;
    }
    const path = join(directory, `frontier-${process.pid}-${this.files++}.seg`);
    const fd = openSync(path, 'w');
    const writer = new SegmentWriter(fd, this.codec);
    try {
      for (const state of states) writer.write(state);
      writer.flush();
    } finally {
      closeSync(fd);
    }
    this.diskBytes += writer.bytes;
    if (this.diskBytes > this.diskBytesPeak) this.diskBytesPeak = this.diskBytes;
    this.spilledStates += states.length;
    this.middle.push({ kind: 'file', reader: new SegmentReader(path, this.codec, states.length), bytes: writer.bytes, owned: true });
  }

  private refill(): void {
    this.head = [];
    this.headAt = 0;
    const segment = this.middle[0];
    if (segment === undefined) {
      this.head = this.tail;
      this.tail = [];
      return;
    }
    if (segment.kind === 'memory') {
      this.head = segment.states;
      this.middle.shift();
      return;
    }
    segment.reader.read(this.head as S[], this.options.segmentStates);
    if (segment.reader.remaining === 0) {
      this.release(segment);
      this.middle.shift();
    }
  }

  private release(segment: Extract<Segment<S>, { kind: 'file' }>): void {
    segment.reader.close();
    if (!segment.owned) return;
    unlinkSync(segment.reader.path);
    this.diskBytes -= segment.bytes;
  }
}
