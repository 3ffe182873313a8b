// Bitstate hashing (bitstate-set.ts): the bit array itself, and searches over
// it on the clock, whose 100 x 100 = 10,000 states are known, so the coverage
// the report estimates can be compared with the coverage reached.

import { describe, expect, it } from 'vitest';
import { BitstateSet } from './bitstate-set.ts';
import { check } from './check.ts';
import { formatReport } from './report.ts';
import { clockModel, doublerModel } from './toys.ts';

const CLOCK_STATES = 100 * 100;

function clockBitstate(bytes: number, order: 'bfs' | 'dfs') {
  return check(clockModel({ n: 99 }), { strategy: { kind: 'bitstate', bytes, order }, progress: false });
}

describe('the bit array', () => {
  it('takes a fingerprint for seen the second time, sets at most k bits per state, rounds its size down to a power of two', () => {
    const set = new BitstateSet(1000, 3);
    expect(set.bits).toBe(4096);
    expect(set.bytes).toBe(512);
    expect(set.add(0x12345678, 0x9abcdef0)).toBe(0);
    expect(set.add(0x12345678, 0x9abcdef0)).toBe(-1);
    expect(set.add(0x0badf00d, 0x11111111)).toBe(1);
    const summary = set.summary();
    expect(summary.bitsSet).toBeGreaterThan(3);
    expect(summary.bitsSet).toBeLessThanOrEqual(6);
    expect(summary.fillRatio).toBe(summary.bitsSet / 4096);
    expect(summary.omissionProbability).toBeCloseTo(summary.fillRatio ** 3, 12);
  });

  it('places the k bits of a fingerprint on distinct positions (h2 odd, m a power of two)', () => {
    const set = new BitstateSet(8, 32); // 64 bits, 32 hashes
    set.add(0, 0);
    expect(set.summary().bitsSet).toBe(32);
  });
});

describe('a search over the bit array', () => {
  it('finds every state of the clock with room to spare, and says coverage is complete', () => {
    for (const order of ['bfs', 'dfs'] as const) {
      const report = clockBitstate(1 << 20, order);
      expect(report).toMatchObject({ strategy: order, complete: true, distinctStates: CLOCK_STATES, maxDepth: 198 });
      expect(report.bitstate!.hashFactor).toBeCloseTo((1 << 23) / CLOCK_STATES, 6);
      expect(report.bitstate!.expectedCoverage).toBeGreaterThan(0.9999);
    }
  });

  it('estimates its coverage within a percent of the truth while the hash factor is above 5', () => {
    for (const order of ['bfs', 'dfs'] as const) {
      for (const bytes of [16384, 8192]) {
        const report = clockBitstate(bytes, order);
        const truth = report.distinctStates / CLOCK_STATES;
        expect(truth).toBeLessThan(1);
        expect(report.complete).toBe(false);
        expect(report.bitstate!.hashFactor).toBeGreaterThan(5);
        expect(Math.abs(report.bitstate!.expectedCoverage - truth)).toBeLessThan(0.01);
      }
    }
  });

  it('overestimates when the array is crowded, and the report says so', () => {
    const report = clockBitstate(2048, 'dfs');
    const truth = report.distinctStates / CLOCK_STATES;
    expect(report.bitstate!.hashFactor).toBeLessThan(5);
    expect(report.bitstate!.expectedCoverage).toBeGreaterThan(truth);
    expect(formatReport(report)).toMatch(/hash factor below 5 what only they reach is lost too/);
  });

  it('finds the shortest counterexample breadth-first, as BFS over the exact set does', () => {
    const report = check(doublerModel(37), { strategy: { kind: 'bitstate', bytes: 1 << 16, order: 'bfs' }, progress: false });
    expect(report.violations.map((v) => v.depth)).toEqual([7]);
    expect(formatReport(report)).toMatch(/bitstate {10}524,288 bits \(65,536 bytes\), 3 bits per state/);
  });
});
