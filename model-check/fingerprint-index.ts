// A map from fingerprint to dense state index, for the state graph of the
// liveness check (state-graph.ts): the seen set (fingerprint-set.ts) says
// only whether a state is new, but an edge into a state seen before needs
// that state's index. Open addressing with linear probing over one
// Uint32Array of (hi, lo, index + 1) triples, so a slot whose third word is 0
// is empty and no per-entry object exists; 20 to 40 bytes per state at load
// 0.3 to 0.6. It is only built when a model declares a liveness property, so
// the plain breadth-first search pays nothing for it.

import { assert } from '../lib/assert.ts';

const LOAD_MAX = 0.6;
const CAPACITY_LOG2_MAX = 29;

export class FingerprintIndex {
  private table: Uint32Array;
  private capacityLog2: number;
  private mask: number;
  private growAt: number;
  private count = 0;

  constructor(capacityLog2 = 16) {
    this.capacityLog2 = capacityLog2;
    this.table = new Uint32Array(3 * 2 ** capacityLog2);
    this.mask = (1 << capacityLog2) - 1;
    this.growAt = Math.floor((1 << capacityLog2) * LOAD_MAX);
  }

  get bytes(): number {
    return this.table.byteLength;
  }

  /** The index stored for (hi, lo), or -1. */
  get(hi: number, lo: number): number {
    hi >>>= 0;
    lo >>>= 0;
    const table = this.table;
    for (let slot = this.home(hi, lo); ; slot = (slot + 1) & this.mask) {
      const i = slot * 3;
      const stored = table[i + 2]!;
      if (stored === 0) return -1;
      if (table[i] === hi && table[i + 1] === lo) return stored - 1;
    }
  }

  /** Stores `index` for (hi, lo), which must not be present yet. */
  put(hi: number, lo: number, index: number): void {
    hi >>>= 0;
    lo >>>= 0;
    assert(index >= 0 && index < 0xffffffff, () => `state index ${index} out of range`);
    this.place(this.table, hi, lo, index + 1);
    this.count++;
    if (this.count > this.growAt) this.grow();
  }

  private place(table: Uint32Array, hi: number, lo: number, stored: number): void {
    for (let slot = this.home(hi, lo); ; slot = (slot + 1) & this.mask) {
      const i = slot * 3;
      if (table[i + 2] === 0) {
        table[i] = hi;
        table[i + 1] = lo;
        table[i + 2] = stored;
        return;
      }
      assert(table[i] !== hi || table[i + 1] !== lo, 'fingerprint stored twice in the index');
    }
  }

  // Fibonacci hashing of both halves, as fingerprint-set.ts.
  private home(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.capacityLog2);
  }

  private grow(): void {
    assert(this.capacityLog2 < CAPACITY_LOG2_MAX, () => `fingerprint index full at ${this.count} states`);
    const old = this.table;
    this.capacityLog2++;
    this.table = new Uint32Array(3 * 2 ** this.capacityLog2);
    this.mask = (1 << this.capacityLog2) - 1;
    this.growAt = Math.floor((1 << this.capacityLog2) * LOAD_MAX);
    for (let i = 0; i < old.length; i += 3) {
      if (old[i + 2] !== 0) this.place(this.table, old[i]!, old[i + 1]!, old[i + 2]!);
    }
  }
}
