// Fingerprints: equal encodings agree, bags ignore order but not multiplicity,
// symmetric states share a fingerprint, and a million distinct small inputs
// do not collide.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FingerprintSet } from './fingerprint-set.ts';
import { FingerprintSink, fingerprintOf, permutationsOf } from './fingerprint.ts';
import type { StateSink } from './model.ts';
import { Random } from '../lib/random.ts';
import { crewModel, type CrewState } from './toys.ts';

const SEED = 20240601;

function hashOf(write: (sink: StateSink) => void): bigint {
  const sink = new FingerprintSink();
  sink.reset();
  write(sink);
  sink.finish();
  return (BigInt(sink.hi) << 32n) | BigInt(sink.lo);
}

const ints = (values: readonly number[]) => (sink: StateSink) => values.forEach((v) => sink.int(v));
const bag = (values: readonly number[]) => (sink: StateSink) => sink.unordered(values, (v, s) => s.int(v));

describe('FingerprintSink', () => {
  it('gives equal encodings equal fingerprints and tells the kinds of values apart', () => {
    expect(hashOf(ints([1, 2, 3]))).toBe(hashOf(ints([1, 2, 3])));
    expect(hashOf(ints([1, 2, 3]))).not.toBe(hashOf(ints([3, 2, 1])));
    expect(hashOf((s) => s.int(1))).not.toBe(hashOf((s) => s.bool(true)));
    expect(hashOf((s) => s.int(0))).not.toBe(hashOf((s) => s.str('')));
    expect(hashOf((s) => s.str('ab'))).not.toBe(hashOf((s) => s.str('ba')));
    expect(hashOf((s) => (s.str('a'), s.str('b')))).not.toBe(hashOf((s) => s.str('ab')));
    expect(hashOf((s) => s.int(2 ** 40))).not.toBe(hashOf((s) => s.int(2 ** 40 + 1)));
    expect(hashOf((s) => s.int(0.5))).not.toBe(hashOf((s) => s.int(1)));
    expect(hashOf((s) => s.int(-1))).not.toBe(hashOf((s) => s.int(0xffffffff)));
  });

  it('hashes a bag independently of order, but counts duplicates and nests', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: -5, max: 5 }), { maxLength: 12 }), fc.integer(), (items, shuffleSeed) => {
        const random = new Random(shuffleSeed);
        const shuffled = items.slice();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = random.nextInt(i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(hashOf(bag(shuffled))).toBe(hashOf(bag(items)));
      }),
      { seed: SEED, numRuns: 500 },
    );
    expect(hashOf(bag([1, 1]))).not.toBe(hashOf(bag([1])));
    expect(hashOf(bag([]))).not.toBe(hashOf(ints([])));
    const nested = (groups: number[][]) => (sink: StateSink) =>
      sink.unordered(groups, (group, s) => s.unordered(group, (v, t) => t.int(v)));
    expect(hashOf(nested([[1, 2], [3]]))).toBe(hashOf(nested([[3], [2, 1]])));
    expect(hashOf(nested([[1, 2], [3]]))).not.toBe(hashOf(nested([[1], [2, 3]])));
    // What follows a bag still matters.
    expect(hashOf((s) => (bag([1])(s), s.int(1)))).not.toBe(hashOf((s) => (bag([1])(s), s.int(2))));
  });

  it('spreads a one-bit change of the input over about half of the 64 output bits', () => {
    const random = new Random(SEED);
    let flippedBits = 0;
    const trials = 2000;
    for (let t = 0; t < trials; t++) {
      const values = [random.nextUint32() | 0, random.nextUint32() | 0];
      const before = hashOf(ints(values));
      values[t % 2] = values[t % 2]! ^ (1 << random.nextInt(32));
      let diff = before ^ hashOf(ints(values));
      while (diff > 0n) {
        flippedBits += Number(diff & 1n);
        diff >>= 1n;
      }
    }
    const mean = flippedBits / trials;
    expect(mean).toBeGreaterThan(31);
    expect(mean).toBeLessThan(33);
  });

  it('does not collide on a million distinct small inputs, and each 32-bit lane is near the birthday bound', () => {
    const sink = new FingerprintSink();
    const both = new FingerprintSet(21);
    const hiOnly = new FingerprintSet(21);
    const loOnly = new FingerprintSet(21);
    let collisions = 0;
    let hiCollisions = 0;
    let loCollisions = 0;
    // Distinct inputs: a server's (term, index, vote) with small values, as specs write them.
    for (let i = 0; i < 1_000_000; i++) {
      sink.reset();
      sink.int(i % 100);
      sink.int(Math.floor(i / 100) % 100);
      sink.int(Math.floor(i / 10_000));
      sink.finish();
      if (both.add(sink.hi, sink.lo) < 0) collisions++;
      if (hiOnly.add(sink.hi, 1) < 0) hiCollisions++;
      if (loOnly.add(1, sink.lo) < 0) loCollisions++;
    }
    expect(collisions).toBe(0);
    // 10^12 / 2^33 = 116 expected collisions in 32 bits; a broken lane would show thousands.
    expect(hiCollisions).toBeLessThan(250);
    expect(loCollisions).toBeLessThan(250);
  });
});

describe('fingerprintOf with symmetry', () => {
  it('lists permutations in lexicographic order, identity first, each with its inverse', () => {
    const permutations = permutationsOf(3);
    expect(permutations.map((p) => p.map.join(''))).toEqual(['012', '021', '102', '120', '201', '210']);
    for (const p of permutations) p.map.forEach((newId, oldId) => expect(p.inverse[newId]).toBe(oldId));
    expect(permutationsOf(5)).toHaveLength(120);
  });

  it('gives every permuted copy of a state the same fingerprint, with or without signatures', () => {
    const servers = 4;
    const model = crewModel(servers, true);
    const signed = crewModel(servers, true, true);
    const permutations = permutationsOf(servers);
    const stateArbitrary = fc.record({
      values: fc.array(fc.integer({ min: 0, max: 2 }), { minLength: servers, maxLength: servers }),
      leader: fc.integer({ min: 0, max: servers - 1 }),
      bumps: fc.array(fc.integer({ min: 0, max: servers - 1 }), { maxLength: 6 }),
    });
    fc.assert(
      fc.property(stateArbitrary, fc.integer({ min: 0, max: permutations.length - 1 }), (state: CrewState, p) => {
        const { map, inverse } = permutations[p]!;
        const permuted: CrewState = {
          values: inverse.map((oldId) => state.values[oldId]!),
          leader: map[state.leader]!,
          bumps: state.bumps.map((id) => map[id]!),
        };
        expect(fingerprintOf(model, permuted)).toBe(fingerprintOf(model, state));
        expect(fingerprintOf(signed, permuted)).toBe(fingerprintOf(signed, state));
      }),
      { seed: SEED, numRuns: 300 },
    );
  });

  it('without symmetry, permuted copies are different states', () => {
    const model = crewModel(3, false);
    expect(fingerprintOf(model, { values: [1, 0, 0], leader: 0, bumps: [] })).not.toBe(
      fingerprintOf(model, { values: [0, 1, 0], leader: 1, bumps: [] }),
    );
  });
});
