// The shallowest depth at which each fingerprint was reached in one bounded
// depth-first pass: what makes a depth-bounded DFS with a seen set complete
// within its bound (iddfs.ts, swarm.ts).
//
// A bounded DFS that prunes on "seen before" is wrong: a state first reached
// at depth 5 under a bound of 6 has only one level of successors explored; met
// again at depth 2 it is pruned, and the states 2..4 actions beyond it are
// never reached although they lie within the bound (dfs.ts says so of its cut
// search). The classic repair (Holzmann's SPIN with -i/-I, and every correct
// iterative deepening with a closed set) is to remember the depth at which
// each state was expanded and to expand it again when it is reached at a
// strictly smaller depth. Then every state at distance k <= bound is
// eventually expanded at depth k, by induction along a shortest path.
//
// Open addressing over one Uint32Array of (hi, lo, depth + 1) triples, as
// fingerprint-set.ts (depth + 1 so that 0 marks an empty slot); `clear` empties
// it between passes without reallocating.

import { assert } from '../lib/assert.ts';

const LOAD_MAX = 0.6;
const CAPACITY_LOG2_MAX = 28;

export class DepthTable {
  private table: Uint32Array;
  private capacityLog2: number;
  private count = 0;

  constructor(capacityLog2 = 12) {
    this.capacityLog2 = capacityLog2;
    this.table = new Uint32Array(3 * 2 ** capacityLog2);
  }

  get size(): number {
    return this.count;
  }

  clear(): void {
    this.table.fill(0);
    this.count = 0;
  }

  /**
   * Records that (hi, lo) was reached at `depth`. Returns true when the state
   * must be expanded: it was never reached in this pass, or only deeper.
   */
  lower(hi: number, lo: number, depth: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    const table = this.table;
    const mask = (1 << this.capacityLog2) - 1;
    let slot = this.home(hi, lo);
    for (;;) {
      const i = slot * 3;
      const stored = table[i + 2]!;
      if (stored === 0) {
        table[i] = hi;
        table[i + 1] = lo;
        table[i + 2] = depth + 1;
        this.count++;
        if (this.count > (1 << this.capacityLog2) * LOAD_MAX) this.grow();
        return true;
      }
      if (table[i] === hi && table[i + 1] === lo) {
        if (depth + 1 >= stored) return false;
        table[i + 2] = depth + 1;
        return true;
      }
      slot = (slot + 1) & mask;
    }
  }

  private home(hi: number, lo: number): number {
    return Math.imul(lo ^ Math.imul(hi, 0x85ebca6b), 0x9e3779b1) >>> (32 - this.capacityLog2);
  }

  private grow(): void {
    assert(this.capacityLog2 < CAPACITY_LOG2_MAX, () => `depth table full at ${this.count} states`);
    const old = this.table;
    this.capacityLog2++;
    this.table = new Uint32Array(3 * 2 ** this.capacityLog2);
    const table = this.table;
    const mask = (1 << this.capacityLog2) - 1;
    for (let i = 0; i < old.length; i += 3) {
      if (old[i + 2] === 0) continue;
      let slot = this.home(old[i]!, old[i + 1]!);
      while (table[slot * 3 + 2] !== 0) slot = (slot + 1) & mask;
      table.set(old.subarray(i, i + 3), slot * 3);
    }
  }
}
