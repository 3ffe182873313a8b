// The messages of a Paxos or Multi-Paxos state as one digest per acceptor,
// for the fingerprint encodings (encoding.ts, multi/encoding.ts). Every
// message names at most one acceptor (the sender of a 1b or 2b, the address
// of a 1a or 2a in a bag); each is hashed with that id taken out and summed
// into its acceptor's part, or into the part of messages naming none. A part
// is its count and two 32-bit sums, so it stands for its multiset of
// messages up to a collision near 2^-64, like the checker's `unordered`
// (model-check/fingerprint.ts), and sums need no sorting.
//
// Why: under a symmetry permutation an encoding renames every message and,
// before this, re-sorted them; about 85% of the encodings on the ci presets
// are under a permutation other than the identity, and writing the sorted
// messages plus the signatures' own pass over them took 16% of Paxos's
// profile (writeMessages 7.2%, sumMentions 8.6%; docs/benchmarks.md). With a
// digest per acceptor, renaming moves whole parts: the encoding writes
// acceptor inverse[newId]'s part beside its own fields, which is exactly the
// renamed copy's part at newId. The messages are hashed once per state, in
// the same pass as the symmetry signatures (which read the first sum),
// instead of once for the signatures and once per permutation tried.

import type { StateSink } from '../../model-check/model.ts';

/** Parts 0..PARTS_MAX-2 are acceptors; the last holds the messages that name none. */
const PARTS_MAX = 17;
export const NO_ACCEPTOR = PARTS_MAX - 1;

// Reused by every encoding (encode is never re-entered); module-level typed arrays, no allocation per state.
const counts = new Int32Array(PARTS_MAX);
const sums1 = new Int32Array(PARTS_MAX);
const sums2 = new Int32Array(PARTS_MAX);

// A copy of the parts, for a list that many successors share unchanged (spec/paxos's history).
const savedCounts = new Int32Array(PARTS_MAX);
const savedSums1 = new Int32Array(PARTS_MAX);
const savedSums2 = new Int32Array(PARTS_MAX);

/** Copies the parts of acceptors 0..acceptors-1 and of the messages naming none aside (restoreDigest puts them back). */
export function saveDigest(acceptors: number): void {
  // Loops, not fill/set: for a few entries the builtins' calls cost more (clearing, saving and restoring measured 5% of Paxos's check).
  for (let part = 0; part < acceptors; part++) copyPart(counts, sums1, sums2, savedCounts, savedSums1, savedSums2, part);
  copyPart(counts, sums1, sums2, savedCounts, savedSums1, savedSums2, NO_ACCEPTOR);
}

/** The parts as saveDigest left them. */
export function restoreDigest(acceptors: number): void {
  for (let part = 0; part < acceptors; part++) copyPart(savedCounts, savedSums1, savedSums2, counts, sums1, sums2, part);
  copyPart(savedCounts, savedSums1, savedSums2, counts, sums1, sums2, NO_ACCEPTOR);
}

function copyPart(fromCounts: Int32Array, from1: Int32Array, from2: Int32Array, toCounts: Int32Array, to1: Int32Array, to2: Int32Array, part: number): void {
  toCounts[part] = fromCounts[part] as number;
  to1[part] = from1[part] as number;
  to2[part] = from2[part] as number;
}

/** Empties the parts of acceptors 0..acceptors-1 and of the messages naming none. */
export function clearDigest(acceptors: number): void {
  for (let part = 0; part < acceptors; part++) {
    counts[part] = 0;
    sums1[part] = 0;
    sums2[part] = 0;
  }
  counts[NO_ACCEPTOR] = 0;
  sums1[NO_ACCEPTOR] = 0;
  sums2[NO_ACCEPTOR] = 0;
}

/**
 * Adds a message (its acceptor id taken out: a non-negative integer below
 * 2^53) to `part`; `salt` tells apart lists the same part holds (the network
 * and the history).
 */
export function addToDigest(part: number, message: number, salt: number): void {
  addHalves(part, message | 0, Math.floor(message / 0x100000000) | 0, salt);
}

/** As addToDigest, for a message below 2^31 (single-decree Paxos's packing is below 2^22). */
export function addSmallToDigest(part: number, message: number, salt: number): void {
  addHalves(part, message, 0, salt);
}

function addHalves(part: number, lo: number, hi: number, salt: number): void {
  // Two different reductions of (hi, lo), each through MurmurHash3's fmix32, so the sums do not collide together.
  let h = lo ^ Math.imul(hi, 0x9e3779b1) ^ salt;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  let g = (Math.imul(lo ^ salt, 0x27d4eb2f) + hi + 0x3c6ef372) | 0;
  g ^= g >>> 15;
  g = Math.imul(g, 0x2c1b3c6d);
  g ^= g >>> 12;
  g = Math.imul(g, 0x297a2d39);
  g ^= g >>> 15;
  counts[part] = (counts[part] as number) + 1;
  sums1[part] = ((sums1[part] as number) + h) | 0;
  sums2[part] = ((sums2[part] as number) + g) | 0;
}

/** The first sum of `part`: the id-free summary a symmetry signature mixes in. */
export function digestSum(part: number): number {
  return sums1[part] as number;
}

/** Writes `part`: its count and its two sums. */
export function writePart(sink: StateSink, part: number): void {
  sink.int(counts[part] as number);
  sink.int(sums1[part] as number);
  sink.int(sums2[part] as number);
}
