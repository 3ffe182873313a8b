// The seen set when it may not fit in memory (TLC's DiskFPSet): an in-memory
// table (fingerprint-set.ts) of bounded size and, behind it, a file of every
// older fingerprint sorted as unsigned 64-bit numbers, with an in-memory
// index holding the first fingerprint of each page (PAGE_ENTRIES entries,
// 8 KiB). When the table reaches its bound it is flushed: its fingerprints
// are sorted and merged with the file into a new sorted file (one sequential
// pass), and the table starts empty. A lookup that misses the table
// binary-searches the index and reads the one page that may hold the
// fingerprint: one read per miss, as in TLC, mostly served by the operating
// system's page cache while the file fits there.
//
// Memory: the table (at most `memoryBytes`) plus 8 bytes per page of the
// file in the index, 1/1024 of the file (8 MB for 10^9 states). Dense
// indices continue across flushes: the n-th distinct fingerprint gets n - 1.

import { closeSync, existsSync, openSync, readSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../lib/assert.ts';
import { FingerprintSet, type SeenSet } from './fingerprint-set.ts';

const PAGE_ENTRIES = 1024;
const PAGE_BYTES = PAGE_ENTRIES * 8;
const LOAD_MAX = 0.6; // fingerprint-set.ts's: the table grows past this load, so the bound flushes at it
const CAPACITY_LOG2_MIN = 10;
const CAPACITY_LOG2_MAX = 29;
const MERGE_CHUNK_ENTRIES = 1 << 19; // 4 MiB of the old file at a time

export class DiskFingerprintSet implements SeenSet {
  private memory = new FingerprintSet(CAPACITY_LOG2_MIN);
  private readonly capacityLog2: number;
  private readonly flushAt: number;
  private readonly path: string;
  private fd = -1;
  private diskCount = 0;
  private total = 0;
  /** The first fingerprint of each page of the file, as (hi, lo) pairs. */
  private index = new Uint32Array(0);
  private readonly page = Buffer.allocUnsafe(PAGE_BYTES);
  private readonly pageWords = new Uint32Array(this.page.buffer, this.page.byteOffset, PAGE_ENTRIES * 2);
  /** Flushes so far, and reads of a page on a miss of the table. */
  flushes = 0;
  diskReads = 0;

  constructor(
    directory: string,
    /** The bound on the in-memory table's bytes (a power of two at most this is used). */
    memoryBytes: number,
  ) {
    const log2 = Math.floor(Math.log2(Math.max(1, memoryBytes / 8)));
    this.capacityLog2 = Math.min(CAPACITY_LOG2_MAX, Math.max(CAPACITY_LOG2_MIN, log2));
    this.flushAt = Math.floor(2 ** this.capacityLog2 * LOAD_MAX);
    this.path = join(directory, `fingerprints-${process.pid}.sorted`);
  }

  get size(): number {
    return this.total;
  }

  /** Bytes in memory: the table and the page index. */
  get bytes(): number {
    return this.memory.bytes + this.index.byteLength;
  }

  /** Bytes of the sorted file. */
  get diskBytes(): number {
    return this.diskCount * 8;
  }

  add(hi: number, lo: number): number {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    if (this.memory.has(hi, lo)) return -1;
    if (this.diskCount > 0 && this.onDisk(hi, lo)) return -1;
    if (this.memory.size >= this.flushAt) this.flush();
    this.memory.add(hi, lo);
    return this.total++;
  }

  /** Writes every fingerprint as a 64-bit little-endian number (lo, hi), the file's order then the table's; for a checkpoint. */
  writeTo(fd: number): number {
    let bytes = 0;
    if (this.diskCount > 0) {
      const chunk = Buffer.allocUnsafe(MERGE_CHUNK_ENTRIES * 8);
      for (let at = 0; at < this.diskCount * 8; ) {
        const read = readSync(this.fd, chunk, 0, Math.min(chunk.length, this.diskCount * 8 - at), at);
        assert(read > 0, () => `${this.path} is shorter than its ${this.diskCount} entries`);
        writeAll(fd, chunk.subarray(0, read));
        at += read;
        bytes += read;
      }
    }
    const words = swapHalves(this.memory.pairs());
    writeAll(fd, Buffer.from(words.buffer, words.byteOffset, words.byteLength));
    return bytes + words.byteLength;
  }

  /** Deletes the sorted file. */
  close(): void {
    if (this.fd >= 0) closeSync(this.fd);
    this.fd = -1;
    if (existsSync(this.path)) unlinkSync(this.path);
  }

  private onDisk(hi: number, lo: number): boolean {
    const index = this.index;
    // The last page whose first entry is <= (hi, lo).
    let low = 0;
    let high = index.length / 2 - 1;
    if (compare(index[0]!, index[1]!, hi, lo) > 0) return false;
    while (low < high) {
      const mid = (low + high + 1) >>> 1;
      if (compare(index[2 * mid]!, index[2 * mid + 1]!, hi, lo) <= 0) low = mid;
      else high = mid - 1;
    }
    const entries = Math.min(PAGE_ENTRIES, this.diskCount - low * PAGE_ENTRIES);
    const read = readSync(this.fd, this.page, 0, entries * 8, low * PAGE_BYTES);
    assert(read === entries * 8, () => `short read of page ${low} of ${this.path}`);
    this.diskReads++;
    // Entries are stored (lo, hi), little-endian 64-bit.
    const words = this.pageWords;
    let a = 0;
    let b = entries - 1;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      const c = compare(words[2 * mid + 1]!, words[2 * mid]!, hi, lo);
      if (c === 0) return true;
      if (c < 0) a = mid + 1;
      else b = mid - 1;
    }
    return false;
  }

  /** Sorts the table's fingerprints and merges them with the file into a new sorted file. */
  private flush(): void {
    const fresh = swapHalves(this.memory.pairs());
    new BigUint64Array(fresh.buffer, fresh.byteOffset, fresh.length / 2).sort();
    const next = `${this.path}.next`;
    const out = openSync(next, 'w');
    const merged = this.diskCount + fresh.length / 2;
    const index = new Uint32Array(2 * Math.ceil(merged / PAGE_ENTRIES));
    try {
      this.merge(fresh, out, index);
    } finally {
      closeSync(out);
    }
    if (this.fd >= 0) closeSync(this.fd);
    renameSync(next, this.path);
    this.fd = openSync(this.path, 'r');
    this.diskCount = merged;
    this.index = index;
    this.memory = new FingerprintSet(this.capacityLog2);
    this.flushes++;
  }

  // One pass over the old file (in chunks) and the sorted fresh entries, both (lo, hi) words.
  private merge(fresh: Uint32Array, out: number, index: Uint32Array): void {
    const outWords = new Uint32Array(MERGE_CHUNK_ENTRIES * 2);
    const oldChunk = Buffer.allocUnsafe(MERGE_CHUNK_ENTRIES * 8);
    const oldWords = new Uint32Array(oldChunk.buffer, oldChunk.byteOffset, MERGE_CHUNK_ENTRIES * 2);
    let oldAt = 0; // entries of the old file consumed
    let oldLength = 0; // entries in oldWords
    let oldPos = 0; // position in oldWords
    let freshPos = 0;
    const freshLength = fresh.length / 2;
    let written = 0;
    let buffered = 0;
    for (;;) {
      if (oldPos === oldLength && oldAt < this.diskCount) {
        const entries = Math.min(MERGE_CHUNK_ENTRIES, this.diskCount - oldAt);
        const read = readSync(this.fd, oldChunk, 0, entries * 8, oldAt * 8);
        assert(read === entries * 8, () => `short read of ${this.path}`);
        oldAt += entries;
        oldLength = entries;
        oldPos = 0;
      }
      const haveOld = oldPos < oldLength;
      if (!haveOld && freshPos === freshLength) break;
      let lo: number;
      let hi: number;
      if (haveOld && (freshPos === freshLength || compare(oldWords[2 * oldPos + 1]!, oldWords[2 * oldPos]!, fresh[2 * freshPos + 1]!, fresh[2 * freshPos]!) < 0)) {
        lo = oldWords[2 * oldPos]!;
        hi = oldWords[2 * oldPos + 1]!;
        oldPos++;
      } else {
        lo = fresh[2 * freshPos]!;
        hi = fresh[2 * freshPos + 1]!;
        freshPos++;
      }
      if (written % PAGE_ENTRIES === 0) {
        index[(2 * written) / PAGE_ENTRIES] = hi;
        index[(2 * written) / PAGE_ENTRIES + 1] = lo;
      }
      outWords[2 * buffered] = lo;
      outWords[2 * buffered + 1] = hi;
      buffered++;
      written++;
      if (buffered === MERGE_CHUNK_ENTRIES) {
        writeAll(out, Buffer.from(outWords.buffer, 0, buffered * 8));
        buffered = 0;
      }
    }
    writeAll(out, Buffer.from(outWords.buffer, 0, buffered * 8));
  }
}

/** Compares (hi1, lo1) with (hi2, lo2) as unsigned 64-bit numbers. */
function compare(hi1: number, lo1: number, hi2: number, lo2: number): number {
  if (hi1 !== hi2) return hi1 < hi2 ? -1 : 1;
  return lo1 === lo2 ? 0 : lo1 < lo2 ? -1 : 1;
}

/** (hi, lo) pairs to (lo, hi) in place: the words of little-endian 64-bit numbers. */
function swapHalves(pairs: Uint32Array): Uint32Array {
  for (let i = 0; i < pairs.length; i += 2) {
    const hi = pairs[i]!;
    pairs[i] = pairs[i + 1]!;
    pairs[i + 1] = hi;
  }
  return pairs;
}

const WRITE_BYTES_MAX = 1 << 30;

/** Writes all of `bytes` (at most a gigabyte per call: a write takes no more than 2 GB). */
export function writeAll(fd: number, bytes: Uint8Array): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, Math.min(WRITE_BYTES_MAX, bytes.length - at));
}
