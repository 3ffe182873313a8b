import { describe, expect, it } from 'vitest';
import { permutationsOf } from '../../model-check/fingerprint.ts';
import type { StateSink } from '../../model-check/model.ts';
import { encodePartitions, heal, isPartitioned, partition } from './partitions.ts';

describe('partitions as a set of unordered pairs', () => {
  it('are symmetric, and heal', () => {
    const p = partition(0, 3, 2, 0);
    expect(isPartitioned(p, 3, 0, 2) && isPartitioned(p, 3, 2, 0)).toBe(true);
    expect(isPartitioned(p, 3, 0, 1)).toBe(false);
    expect(heal(p, 3, 0, 2)).toBe(0);
  });

  it('encode as the renamed copy would: one bool per pair of new ids', () => {
    const bools: boolean[] = [];
    const sink: StateSink = { int: () => {}, bool: (b) => void bools.push(b), str: () => {}, unordered: () => {} };
    const swap01 = permutationsOf(3)[2]!; // map [1, 0, 2]
    encodePartitions(sink, swap01, 3, partition(0, 3, 0, 2)); // s0|s2 becomes s1|s2
    expect(bools).toEqual([false, false, true]); // pairs (0,1), (0,2), (1,2)
  });
});
