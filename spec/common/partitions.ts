// Network partitions as a set of unordered server pairs that cannot talk, in
// one bitmask (bit lo * n + hi for lo < hi; n <= 5 keeps it below 2^31). A
// partition is a fault with a budget (the spec counts PartitionStart against
// its bound); healing is free. What a partition does to the links in flight
// is the spec's: ZAB empties both directions (spec/common/fifo.ts clearPair).

import type { Permutation, StateSink } from '../../model-check/model.ts';
import * as symmetry from './symmetry.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { oldId } = symmetry;

const pairBit = (n: number, a: number, b: number): number => (a < b ? 1 << (a * n + b) : 1 << (b * n + a));

export function isPartitioned(partitions: number, n: number, a: number, b: number): boolean {
  return (partitions & pairBit(n, a, b)) !== 0;
}

/** PartitionStart(a, b). */
export function partition(partitions: number, n: number, a: number, b: number): number {
  return partitions | pairBit(n, a, b);
}

/** PartitionRecover(a, b). */
export function heal(partitions: number, n: number, a: number, b: number): number {
  return partitions & ~pairBit(n, a, b);
}

/** One bool per pair of new ids a < b: whether the servers written there are partitioned. */
export function encodePartitions(sink: StateSink, perm: Permutation, n: number, partitions: number): void {
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) sink.bool(isPartitioned(partitions, n, oldId(perm, a), oldId(perm, b)));
}
