// The set of fingerprints already seen (TLC's FPSet): open addressing with
// linear probing over one Uint32Array of (hi, lo) pairs, so a state costs 8
// bytes per slot and nothing else: no per-entry objects, no bigint keys, no
// pointers for the garbage collector to trace. The capacity is a power of two
// and doubles when the load passes 0.6, so the table holds between 0.3 and
// 0.6 states per slot: 13 to 27 bytes per state (about 200 MB for 10^7
// states, at most 2 GB for 8·10^7).
//
// The pair (0, 0) marks an empty slot; a fingerprint equal to it is stored as
// (0, 1), which merges two of the 2^64 fingerprints (a negligible extra
// collision). `add` hands out dense indices 0, 1, 2, ... in insertion order,
// so the breadth-first search can keep each state's parent and action in
// typed arrays indexed by the same number.

import { assert } from '../lib/assert.ts';

const LOAD_MAX = 0.6;
const CAPACITY_LOG2_MIN = 4;
const CAPACITY_LOG2_MAX = 29; // 2^29 slots: a 4 GB table, 3.2·10^8 states

/**
 * What a search needs of its seen set: this table, the disk-backed one
 * (disk-fingerprint-set.ts) that keeps this table as its in-memory part, or
 * the lossy bit array of bitstate hashing (bitstate-set.ts).
 */
export interface SeenSet {
  /** The new entry's dense index (0, 1, 2, ...), or -1 when (hi, lo) was taken for present. */
  add(hi: number, lo: number): number;
  readonly size: number;
  /** Bytes held in memory. */
  readonly bytes: number;
}

export class FingerprintSet implements SeenSet {
  private table: Uint32Array;
  private capacityLog2: number;
  private mask: number;
  private growAt: number;
  private count = 0;

  constructor(capacityLog2 = 16) {
    assert(
      Number.isInteger(capacityLog2) && capacityLog2 >= CAPACITY_LOG2_MIN && capacityLog2 <= CAPACITY_LOG2_MAX,
      () => `capacityLog2 ${capacityLog2} outside ${CAPACITY_LOG2_MIN}..${CAPACITY_LOG2_MAX}`,
    );
    this.capacityLog2 = capacityLog2;
    this.table = new Uint32Array(2 * 2 ** capacityLog2);
    this.mask = (1 << capacityLog2) - 1;
    this.growAt = Math.floor((1 << capacityLog2) * LOAD_MAX);
  }

  /** Distinct fingerprints held. */
  get size(): number {
    return this.count;
  }

  /** Bytes of the table (what the set costs in memory). */
  get bytes(): number {
    return this.table.byteLength;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  /**
   * Adds the fingerprint (hi, lo) (unsigned or signed 32-bit halves). Returns
   * the new entry's dense index, or -1 when it was already present.
   */
  add(hi: number, lo: number): number {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    const table = this.table;
    const mask = this.mask;
    let slot = this.home(hi, lo);
    for (;;) {
      const i = slot << 1;
      const th = table[i]!;
      const tl = table[i + 1]!;
      if (th === 0 && tl === 0) {
        table[i] = hi;
        table[i + 1] = lo;
        const index = this.count++;
        if (this.count > this.growAt) this.grow();
        return index;
      }
      if (th === hi && tl === lo) return -1;
      slot = (slot + 1) & mask;
    }
  }

  has(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    const table = this.table;
    const mask = this.mask;
    let slot = this.home(hi, lo);
    for (;;) {
      const i = slot << 1;
      const th = table[i]!;
      const tl = table[i + 1]!;
      if (th === 0 && tl === 0) return false;
      if (th === hi && tl === lo) return true;
      slot = (slot + 1) & mask;
    }
  }

  /**
   * The stored fingerprints as (hi, lo) pairs, in table order (for a
   * checkpoint, and for the disk-backed set's flush to its sorted file).
   * (0, 0) comes back as (0, 1), as stored.
   */
  pairs(): Uint32Array {
    const out = new Uint32Array(2 * this.count);
    const table = this.table;
    let at = 0;
    for (let i = 0; i < table.length; i += 2) {
      if (table[i] === 0 && table[i + 1] === 0) continue;
      out[at++] = table[i]!;
      out[at++] = table[i + 1]!;
    }
    return out;
  }

  // Fibonacci hashing of both halves: the top bits of a multiplicative hash,
  // so that even poorly mixed fingerprints (tests, sequential ids) spread out.
  private home(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.capacityLog2);
  }

  private grow(): void {
    assert(this.capacityLog2 < CAPACITY_LOG2_MAX, () => `fingerprint set full at ${this.count} states`);
    const old = this.table;
    this.capacityLog2++;
    this.table = new Uint32Array(2 * 2 ** this.capacityLog2);
    this.mask = (1 << this.capacityLog2) - 1;
    this.growAt = Math.floor((1 << this.capacityLog2) * LOAD_MAX);
    const table = this.table;
    const mask = this.mask;
    for (let i = 0; i < old.length; i += 2) {
      const hi = old[i]!;
      const lo = old[i + 1]!;
      if (hi === 0 && lo === 0) continue;
      let slot = this.home(hi, lo);
      while (table[slot << 1] !== 0 || table[(slot << 1) + 1] !== 0) slot = (slot + 1) & mask;
      table[slot << 1] = hi;
      table[(slot << 1) + 1] = lo;
    }
  }
}
