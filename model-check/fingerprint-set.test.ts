// The fingerprint set against the obvious reference, a Set<bigint>: same
// answers, dense indices in insertion order, through many growths.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintSet } from './fingerprint-set.ts';
import { SharedFingerprintSet } from './shared-fingerprint-set.ts';

const SEED = 1337;

// (0, 0) is stored as (0, 1): the reference must merge them too.
const keyOf = (hi: number, lo: number): bigint =>
  hi >>> 0 === 0 && lo >>> 0 === 0 ? 1n : (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);

describe('FingerprintSet', () => {
  it('agrees with a Set<bigint> on random adds and lookups, duplicates and (0, 0) included', () => {
    const word = fc.oneof(fc.constantFrom(0, 1, 0xffffffff, -1, 0x80000000), fc.integer({ min: 0, max: 7 }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }));
    const operation = fc.record({ add: fc.boolean(), hi: word, lo: word });
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 400 }), (operations) => {
        const set = new FingerprintSet(4);
        const reference = new Set<bigint>();
        for (const { add, hi, lo } of operations) {
          const key = keyOf(hi, lo);
          if (add) {
            const expected = reference.has(key) ? -1 : reference.size;
            reference.add(key);
            expect(set.add(hi, lo)).toBe(expected);
          } else {
            expect(set.has(hi, lo)).toBe(reference.has(key));
          }
          expect(set.size).toBe(reference.size);
        }
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('holds 200,000 sequential fingerprints through growth, at a load between 0.3 and 0.6', () => {
    const set = new FingerprintSet(4);
    const wrongIndices: number[] = [];
    for (let i = 0; i < 200_000; i++) if (set.add(i >>> 3, i + 1) !== i) wrongIndices.push(i);
    for (let i = 0; i < 200_000; i++) if (set.add(i >>> 3, i + 1) !== -1) wrongIndices.push(i);
    expect(wrongIndices).toEqual([]);
    expect(set.has(0, 200_001)).toBe(false);
    expect(set.size).toBe(200_000);
    const load = set.size / set.capacity;
    expect(load).toBeGreaterThan(0.3);
    expect(load).toBeLessThanOrEqual(0.6);
    expect(set.bytes).toBe(set.capacity * 8);
  });
});

describe('SharedFingerprintSet (one thread; parallel.test.ts covers several)', () => {
  // A zero half is stored as 1 (0 marks an empty slot and an unwritten lo).
  const sharedKey = (hi: number, lo: number): bigint => (BigInt(hi >>> 0 || 1) << 32n) | BigInt(lo >>> 0 || 1);

  /** Grows as the workers do: an empty doubled table, filled in `shares` slices of the old slots. */
  function grownInShares(set: SharedFingerprintSet, shares: number): SharedFingerprintSet {
    const next = set.emptyDoubled();
    for (let w = 0; w < shares; w++) set.rehashShare(next, Math.floor((w * set.capacity) / shares), Math.floor(((w + 1) * set.capacity) / shares));
    return next;
  }

  it('agrees with a Set<bigint>, and growing (rehashed in 1 to 3 shares) keeps every fingerprint', () => {
    const word = fc.oneof(fc.constantFrom(0, 1, -1, 0x80000000), fc.integer({ min: 0, max: 7 }), fc.integer({ min: -(2 ** 31), max: 2 ** 32 - 1 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(word, word), { maxLength: 300 }), fc.integer({ min: 1, max: 3 }), (pairs, shares) => {
        let set = SharedFingerprintSet.create(4);
        const reference = new Set<bigint>();
        for (const [hi, lo] of pairs) {
          if (set.size >= set.growAt) set = grownInShares(set, shares);
          const key = sharedKey(hi, lo);
          expect(set.add(hi, lo)).toBe(!reference.has(key));
          reference.add(key);
          expect(set.size).toBe(reference.size);
        }
        for (const [hi, lo] of pairs) expect(set.add(hi, lo)).toBe(false);
      }),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('claims without counting until published, answers has(), and grows fourfold while small', () => {
    const set = SharedFingerprintSet.create(4);
    expect(set.has(0, 5)).toBe(false);
    expect(set.claim(0, 5)).toBe(true);
    expect(set.claim(7, 0)).toBe(true);
    expect(set.claim(0, 5)).toBe(false);
    // 0 is stored as 1, so (1, 5) is the same fingerprint as (0, 5).
    expect(set.has(1, 5)).toBe(true);
    expect(set.has(7, 1)).toBe(true);
    expect(set.has(7, 2)).toBe(false);
    expect(set.size).toBe(0);
    set.publish(2);
    expect(set.size).toBe(2);
    expect(set.publishEvery).toBe(1);
    expect(set.growthStep).toBe(2);
    const grown = set.emptyGrown(set.growthStep);
    set.rehashShare(grown, 0, set.capacity);
    expect([grown.capacity, grown.size, grown.has(0, 5), grown.has(7, 0)]).toEqual([64, 2, true, true]);
    expect(SharedFingerprintSet.create(23).growthStep).toBe(1);
  });
});
