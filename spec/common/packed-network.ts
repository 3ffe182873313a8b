// A network of packed messages: each message is a small non-negative integer
// (its fields, ids included, in fixed bit fields; the spec owns the packing),
// and the network is a sorted array of them, either
// - a set: Paxos.tla's msgs. Sent messages are never removed, so any message
//   can be received any number of times or never: loss and duplication are
//   implicit (spec/paxos with `bag: false`, spec/paxos/multi); or
// - a bag: a multiset of addressed copies; delivery consumes one, and losing
//   or duplicating a copy is an explicit action (spec/paxos with `bag: true`).
// Packing keeps the state plain data and makes the sorted array its own
// canonical form, so encoding writes ints only (under a symmetry permutation
// the specs fingerprint messages by acceptor instead: spec/paxos/message-digest.ts).
//
// Every operation returns a new array, or the same array when nothing changes,
// so that a caller detects a no-op by identity.

import { assert } from '../../lib/assert.ts';

function lowerBound(items: readonly number[], value: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as number) < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export function contains(items: readonly number[], value: number): boolean {
  const i = lowerBound(items, value);
  return i < items.length && items[i] === value;
}

/** Set insertion: the same array if `value` is already there. */
export function setAdd(items: readonly number[], value: number): readonly number[] {
  const i = lowerBound(items, value);
  if (i < items.length && items[i] === value) return items;
  return insertAt(items, i, value);
}

/** Bag insertion: one more copy (a send, or DuplicateMessage). */
export function bagAdd(items: readonly number[], value: number): readonly number[] {
  return insertAt(items, lowerBound(items, value), value);
}

/**
 * Bag insertion of `count` copies at once (a broadcast, one copy per
 * recipient), `values[0..count)` ascending: one new array instead of one per
 * copy. The same array when count is 0.
 */
export function bagAddSorted(items: readonly number[], values: ArrayLike<number>, count: number): readonly number[] {
  if (count === 0) return items;
  const out = new Array<number>(items.length + count);
  let i = 0;
  let v = 0;
  for (let o = 0; o < out.length; o++) {
    if (v < count && (i === items.length || (values[v] as number) <= (items[i] as number))) out[o] = values[v++] as number;
    else out[o] = items[i++] as number;
  }
  return out;
}

/** Bag removal of one copy (a delivery, or DropMessage); the value must be there. */
export function bagRemove(items: readonly number[], value: number): readonly number[] {
  const i = lowerBound(items, value);
  assert(i < items.length && items[i] === value, () => `message ${value} is not in the network`);
  const out = new Array<number>(items.length - 1);
  for (let j = 0; j < i; j++) out[j] = items[j] as number;
  for (let j = i + 1; j < items.length; j++) out[j - 1] = items[j] as number;
  return out;
}

function insertAt(items: readonly number[], i: number, value: number): number[] {
  const out = new Array<number>(items.length + 1);
  for (let j = 0; j < i; j++) out[j] = items[j] as number;
  out[i] = value;
  for (let j = i; j < items.length; j++) out[j + 1] = items[j] as number;
  return out;
}
