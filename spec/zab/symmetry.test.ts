// ZAB's server symmetry is exact (issue #12, as Paxos's model.test.ts shows
// for acceptors): over every reachable state of a small configuration, an
// exact search that keys each state by the least of its encodings under all
// 3! permutations (plain word lists, no hashing, no signature pruning) counts
// exactly the distinct states the checker counts with 64-bit fingerprints and
// the signatures that prune the permutations it tries. A signature that split
// an orbit, or a collision, would make the counts differ. The ci preset itself
// (with its partition) agrees too, 248,130 both ways, but takes 50 s; this
// test keeps to the configuration without the partition.

import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import { permutationsOf } from '../../model-check/fingerprint.ts';
import type { Model, Permutation, StateSink } from '../../model-check/model.ts';
import { zabSpec } from './spec.ts';

/** The encoding under `perm` as a plain word list (an exact key). */
function encoding<S>(model: Model<S, unknown>, state: S, perm: Permutation): string {
  const words: string[] = [];
  const sink: StateSink = {
    int: (v) => void words.push(String(v)),
    bool: (b) => void words.push(b ? 'T' : 'F'),
    str: (s) => void words.push(JSON.stringify(s)),
    unordered: (items, encodeItem) => {
      const keys: string[] = [];
      for (const item of items) {
        const inner: string[] = [];
        const innerSink: StateSink = { ...sink, int: (v) => void inner.push(String(v)) };
        encodeItem(item, innerSink);
        keys.push(inner.join(' '));
      }
      words.push(`{${keys.sort().join('|')}}`);
    },
  };
  model.encode(state, sink, perm);
  return words.join(',');
}

/** Distinct states up to symmetry, by exact keys: breadth-first within the model's boundary. */
function exactOrbits<S>(model: Model<S, unknown>, perms: readonly Permutation[]): number {
  const key = (s: S) => perms.map((p) => encoding(model, s, p)).sort()[0]!;
  const seen = new Set<string>();
  const queue: S[] = [];
  for (const s of model.init()) {
    if (!model.withinBoundary(s) || seen.has(key(s))) continue;
    seen.add(key(s));
    queue.push(s);
  }
  for (let i = 0; i < queue.length; i++) {
    const s = queue[i]!;
    for (const a of model.actions(s)) {
      const t = model.next(s, a);
      if (t === undefined || !model.withinBoundary(t)) continue;
      const k = key(t);
      if (seen.has(k)) continue;
      seen.add(k);
      queue.push(t);
    }
  }
  return seen.size;
}

describe('ZAB: server symmetry is exact', () => {
  it('the checker counts exactly the orbits of an exact search over all permutations (3 servers, 1 transaction, 1 crash)', () => {
    const bounds = { servers: 3, observers: 0, maxEpoch: 2, maxTransactions: 1, maxTimeouts: 0, maxCrashes: 1, maxPartitions: 0 };
    const model = zabSpec.build(bounds, undefined) as Model<unknown, unknown>;
    expect(model.symmetry?.servers).toBe(3);
    const report = check(model, { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    const exact = exactOrbits(model, permutationsOf(3));
    expect(report.distinctStates).toBe(exact);
    expect(exact).toBe(23_294);
    // Without the symmetry the same space is larger: the reduction does something.
    const plain = check({ ...model, symmetry: undefined }, { progress: false });
    expect(plain.distinctStates).toBeGreaterThan(exact);
  }, 120_000);
});
