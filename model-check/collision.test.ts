// TLC's calculated (optimistic) fingerprint collision probability.

import { describe, expect, it } from 'vitest';
import { collisionProbability, formatProbability } from './collision.ts';

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
