// The fingerprint set shared by the parallel search's worker threads (TLC's
// FPSet shared by its workers): the same open addressing with linear probing
// as fingerprint-set.ts, but over an Int32Array on a SharedArrayBuffer and
// inserted into lock-free with Atomics.
//
// A slot is claimed by a compare-and-swap of its `hi` word from 0; the winner
// then stores `lo`. A thread that finds the `hi` it is inserting waits for
// `lo` to be stored (a few instructions away in the winner) and compares it.
// So 0 must never be a stored hi or lo: both are remapped from 0 to 1, which
// merges a negligible share of the 2^64 fingerprints.
//
// Layout: word 0 is the count, word 1 the capacity's log2, then (hi, lo)
// pairs. The table never grows by itself: workers pause when the count
// reaches 0.6 of the capacity, the main thread allocates a table four times
// the size (twice from 2^24 slots on, to bound the memory overshoot), and the
// workers rehash into it together, each its share of the old table's slots
// (parallel.ts), then resume. Rehashing on the main thread while every worker
// waited cost a fixed serial stretch per doubling (2^23 slots at the end of
// Raft's ci preset). The count is published by the workers in batches
// (`claim`, then `publish`), not written once a state.

import { assert } from '../lib/assert.ts';

const HEADER_WORDS = 2;
const COUNT = 0;
const CAPACITY_LOG2 = 1;
export const SHARED_LOAD_MAX = 0.6;
const CAPACITY_LOG2_MAX = 29;
const PUBLISH_EVERY_MAX = 256;
const QUADRUPLE_UP_TO_LOG2 = 22;

export class SharedFingerprintSet {
  readonly words: Int32Array;
  readonly capacityLog2: number;
  private readonly mask: number;
  /** When the count reaches this, workers pause so the table can grow. */
  readonly growAt: number;

  constructor(readonly buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer);
    this.capacityLog2 = this.words[CAPACITY_LOG2]!;
    assert(this.words.length === HEADER_WORDS + 2 * 2 ** this.capacityLog2, () => `shared table of ${this.words.length} words is not 2^${this.capacityLog2} slots`);
    this.mask = 2 ** this.capacityLog2 - 1;
    this.growAt = Math.floor(2 ** this.capacityLog2 * SHARED_LOAD_MAX);
  }

  static create(capacityLog2: number): SharedFingerprintSet {
    assert(Number.isInteger(capacityLog2) && capacityLog2 >= 4 && capacityLog2 <= CAPACITY_LOG2_MAX, () => `capacityLog2 ${capacityLog2} outside 4..${CAPACITY_LOG2_MAX}`);
    const buffer = new SharedArrayBuffer(4 * (HEADER_WORDS + 2 * 2 ** capacityLog2));
    new Int32Array(buffer)[CAPACITY_LOG2] = capacityLog2;
    return new SharedFingerprintSet(buffer);
  }

  get size(): number {
    return Atomics.load(this.words, COUNT);
  }

  get capacity(): number {
    return this.mask + 1;
  }

  get bytes(): number {
    return this.buffer.byteLength;
  }

  /** Adds (hi, lo) and counts it; true when it was not present. Safe to call from many threads at once. */
  add(hi: number, lo: number): boolean {
    if (!this.claim(hi, lo)) return false;
    this.publish(1);
    return true;
  }

  /**
   * Adds each fingerprint added since its last call to the count. The workers
   * count their claims themselves and publish them in batches of
   * `publishEvery`: the count shares a cache line that every claim would
   * otherwise write, so each core would take it from the other about once a
   * state.
   */
  publish(claimed: number): void {
    if (claimed !== 0) Atomics.add(this.words, COUNT, claimed);
  }

  /** How many claims a worker may hold back from the count: few enough that the table cannot fill between two checks of `growAt`. */
  get publishEvery(): number {
    return Math.max(1, Math.min(PUBLISH_EVERY_MAX, this.capacity >> 8));
  }

  /** Adds (hi, lo) without counting it (the caller publishes); true when it was not present. Safe to call from many threads at once. */
  claim(hi: number, lo: number): boolean {
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    if (lo === 0) lo = 1;
    const words = this.words;
    let slot = this.home(hi, lo);
    for (;;) {
      const i = HEADER_WORDS + (slot << 1);
      let current = Atomics.load(words, i);
      if (current === 0) {
        current = Atomics.compareExchange(words, i, 0, hi);
        if (current === 0) {
          Atomics.store(words, i + 1, lo);
          return true;
        }
      }
      if (current === hi) {
        let storedLo = Atomics.load(words, i + 1);
        // The slot's winner stores lo right after its compare-and-swap.
        while (storedLo === 0) storedLo = Atomics.load(words, i + 1);
        if (storedLo === lo) return false;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** Whether (hi, lo) is present; safe while other threads add (a slot being claimed is waited for, as in `add`). */
  has(hi: number, lo: number): boolean {
    hi |= 0;
    lo |= 0;
    if (hi === 0) hi = 1;
    if (lo === 0) lo = 1;
    const words = this.words;
    for (let slot = this.home(hi, lo); ; slot = (slot + 1) & this.mask) {
      const i = HEADER_WORDS + (slot << 1);
      const current = Atomics.load(words, i);
      if (current === 0) return false;
      if (current !== hi) continue;
      let storedLo = Atomics.load(words, i + 1);
      while (storedLo === 0) storedLo = Atomics.load(words, i + 1);
      if (storedLo === lo) return true;
    }
  }

  /** An empty table twice as large whose count is already this one's: the workers then rehash into it (`rehashShare`). */
  emptyDoubled(): SharedFingerprintSet {
    return this.emptyGrown(1);
  }

  /**
   * An empty table 2^log2Step times as large (at most 2^29 slots) whose count
   * is already this one's. Growing four times at once while the table is
   * small halves the stops every worker makes for a growth.
   */
  emptyGrown(log2Step: number): SharedFingerprintSet {
    const next = SharedFingerprintSet.create(Math.min(CAPACITY_LOG2_MAX, this.capacityLog2 + log2Step));
    next.words[COUNT] = this.size;
    return next;
  }

  /**
   * Inserts this table's fingerprints in slots [from, to) into `into`, which
   * other threads may be filling at the same time from other slots; the
   * count is not touched (emptyDoubled set it). Only while no thread adds.
   */
  rehashShare(into: SharedFingerprintSet, from: number, to: number): void {
    const source = this.words;
    const target = into.words;
    const mask = into.mask;
    for (let i = HEADER_WORDS + 2 * from; i < HEADER_WORDS + 2 * to; i += 2) {
      const hi = source[i]!;
      if (hi === 0) continue;
      const lo = source[i + 1]!;
      let slot = into.home(hi, lo);
      // Fingerprints are distinct, so a slot is only ever contended, never a duplicate.
      while (Atomics.compareExchange(target, HEADER_WORDS + (slot << 1), 0, hi) !== 0) slot = (slot + 1) & mask;
      Atomics.store(target, HEADER_WORDS + (slot << 1) + 1, lo);
    }
  }

  /** How far to grow from here: four times while the table is at most 2^22 slots (32 MiB; 2^24 after), then twice. */
  get growthStep(): number {
    return this.capacityLog2 <= QUADRUPLE_UP_TO_LOG2 ? 2 : 1;
  }

  private home(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.capacityLog2);
  }
}
