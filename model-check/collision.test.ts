// TLC's calculated (optimistic) fingerprint collision probability, and its
// observed estimate from the closest pair of fingerprints.

import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { closestPairDistance, collisionProbability, formatProbability, observedCollisionProbability } from './collision.ts';
import { FingerprintSet } from './fingerprint-set.ts';
import { clockModel } from './toys.ts';

describe('collisionProbability', () => {
  it('is distinct x (generated - distinct) / 2^64', () => {
    expect(collisionProbability(1000, 3000)).toBe((1000 * 2000) / 2 ** 64);
    // Paxos ci (check:all): 202,334 distinct of 972,612 generated.
    expect(collisionProbability(202_334, 972_612)).toBeCloseTo(8.45e-9, 11);
  });

  it('is 0 when no state was generated twice, and never above 1', () => {
    expect(collisionProbability(10, 10)).toBe(0);
    expect(collisionProbability(2 ** 40, 2 ** 41)).toBe(1);
    expect(collisionProbability(4, 8, 4)).toBe(1);
    expect(collisionProbability(2, 3, 4)).toBe(2 / 16);
  });
});

describe('formatProbability', () => {
  it('writes it as TLC does', () => {
    expect(formatProbability(0)).toBe('0');
    expect(formatProbability(8.46e-9)).toBe('8.5E-9');
    expect(formatProbability(0.125)).toBe('1.3E-1');
  });
});

describe('closestPairDistance and the observed estimate', () => {
  const pairs = (...fingerprints: bigint[]) => new Uint32Array(fingerprints.flatMap((f) => [Number(f >> 32n), Number(f & 0xffffffffn)]));

  it('finds the closest two fingerprints whatever their order, across the 32-bit halves', () => {
    expect(closestPairDistance(pairs(0x5_0000_0000n, 0x1_0000_0000n, 0x3_0000_0000n))).toBe(2 ** 33);
    // 0x1_ffff_fffe and 0x2_0000_0001 are 3 apart although their high halves differ.
    expect(closestPairDistance(pairs(0xffff_ffff_ffff_ffffn, 0x2_0000_0001n, 0x1_ffff_fffen, 0n))).toBe(3);
    expect(closestPairDistance(pairs(7n))).toBe(Number.POSITIVE_INFINITY);
  });

  it('is 1 / distance, 0 without a pair, at most 1', () => {
    expect(observedCollisionProbability(2 ** 40)).toBe(2 ** -40);
    expect(observedCollisionProbability(Number.POSITIVE_INFINITY)).toBe(0);
    expect(observedCollisionProbability(0)).toBe(1);
  });

  it('reads a FingerprintSet through its pairs, and a breadth-first report carries it', () => {
    const set = new FingerprintSet();
    set.add(1, 10);
    set.add(1, 17);
    set.add(9, 0);
    expect(closestPairDistance(set.pairs())).toBe(7);
    const report = check(clockModel({ n: 10 }), { progress: false });
    expect(report.closestFingerprintDistance).toBeGreaterThan(0);
    expect(report.closestFingerprintDistance).toBeLessThan(Number.POSITIVE_INFINITY);
  });
});
