// FIFO links between every ordered pair of servers: the network of a protocol
// over TCP (ZooKeeper's quorum and election connections; ZkV3_7_0.tla's msgs
// and electionMsgs are sequences too). The queue from `from` to `to` is at
// index from * n + to; a message is delivered only at the head of its queue,
// so messages between two servers arrive in the order sent, while queues
// between different pairs interleave freely. Losing a connection empties both
// directions (clearPair): TCP drops what was in flight when it closes.
//
// The state holds `Links<M>`, immutable; an action works on a copy of the
// outer array (`links.slice()`, once per action) with the functions below,
// each of which replaces the one queue it changes.

import { assert } from '../../lib/assert.ts';
import type { Permutation, StateSink } from '../../model-check/model.ts';

/** Queues indexed from * n + to. */
export type Links<M> = readonly (readonly M[])[];

/** A working copy of links while one action is applied. */
export type MutableLinks<M> = (readonly M[])[];

export function emptyLinks<M>(n: number): Links<M> {
  return Array.from({ length: n * n }, () => []);
}

/** Appends m to the queue at `index` (a send). */
export function enqueue<M>(links: MutableLinks<M>, index: number, m: M): void {
  links[index] = [...links[index]!, m];
}

/** Takes the head of the queue at `index` (a delivery, or a loss of the head); it must be there. */
export function dequeue<M>(links: MutableLinks<M>, index: number): M {
  // On every delivery: slice rather than an iterator spread, and no message closure unless it fails.
  const queue = links[index]!;
  if (queue.length === 0) assert(false, `dequeue from the empty link ${index}`);
  links[index] = queue.slice(1);
  return queue[0]!;
}

/** Empties both directions between a and b (the connection closed). */
export function clearPair<M>(links: MutableLinks<M>, n: number, a: number, b: number): void {
  links[a * n + b] = [];
  links[b * n + a] = [];
}

/** Whether every queue holds at most `max` messages (a state CONSTRAINT). */
export function queuesWithin<M>(links: Links<M>, max: number): boolean {
  for (let i = 0; i < links.length; i++) if (links[i]!.length > max) return false;
  return true;
}

/**
 * Writes one queue: its length, then each message in order. A spec writes
 * the queue of pair (newFrom, newTo) under a permutation as the queue at
 * oldId(newFrom) * n + oldId(newTo) (spec/common/symmetry.ts); `encodeItem`
 * renames the ids a message carries. Pass a module-level function: the
 * checker's hot path must not create a closure per call (model-check/model.ts).
 */
export function encodeQueue<M>(sink: StateSink, perm: Permutation, queue: readonly M[], encodeItem: (item: M, sink: StateSink, perm: Permutation) => void): void {
  sink.int(queue.length);
  for (let k = 0; k < queue.length; k++) encodeItem(queue[k]!, sink, perm);
}
