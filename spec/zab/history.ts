// Helpers over histories, zxids and server-id sets shared by the phases.
// Histories are sequences of transactions in zxid order; an index counts
// entries (index n means the first n entries), as ZkV3_7_0.tla's LastItem.index.

import * as commonTypes from '../common/types.ts';
import * as quorums from '../../lib/quorum.ts';
import type { Txn, Zxid, ZabNode } from './types.ts';
import * as zabTypes from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { compareZxid } = commonTypes;
const { hasQuorum } = quorums;
const { ZXID_ZERO } = zabTypes;

export { compareZxid };

export function zxidEquals(a: Zxid, b: Zxid): boolean {
  return a.epoch === b.epoch && a.counter === b.counter;
}

export function txnEquals(a: Txn, b: Txn): boolean {
  return a.value === b.value && zxidEquals(a.zxid, b.zxid);
}

/** Zxid of the entry before index `n` (the last of the first n), or zero. */
export function zxidAt(history: readonly Txn[], n: number): Zxid {
  return n <= 0 ? ZXID_ZERO : history[n - 1]!.zxid;
}

export function lastZxid(history: readonly Txn[]): Zxid {
  return zxidAt(history, history.length);
}

/**
 * The index (count of entries up to and including it) of the entry with this
 * zxid, 0 for the zero zxid, or -1 when absent (ZkV3_7_0.tla: ZxidToIndex).
 */
export function indexOfZxid(history: readonly Txn[], target: Zxid): number {
  if (target.epoch === 0 && target.counter === 0) return 0;
  for (let i = 0; i < history.length; i++) {
    if (zxidEquals(history[i]!.zxid, target)) return i + 1;
  }
  return -1;
}

/** Number of entries whose zxid is <= target (IndexOfZxid: history[idx] <= zxid < history[idx+1]). */
export function indexAtOrBefore(history: readonly Txn[], target: Zxid): number {
  let n = 0;
  while (n < history.length && compareZxid(history[n]!.zxid, target) <= 0) n++;
  return n;
}

/**
 * Whether `next` may follow `current` in a log (ZkV3_7_0.tla: IsNextZxid):
 * the first proposal of a newer epoch, or the next counter in the same epoch.
 */
export function isNextZxid(current: Zxid, next: Zxid): boolean {
  if (next.counter === 1) return current.epoch < next.epoch;
  return next.counter > 1 && current.epoch === next.epoch && current.counter + 1 === next.counter;
}

/** The committed (delivered) prefix of a server's history. */
export function delivered(node: ZabNode): readonly Txn[] {
  return node.history.slice(0, node.lastCommitted);
}

// Server-id sets as bitmasks.
export const bit = (id: number) => 1 << id;
export const has = (set: number, id: number) => (set & (1 << id)) !== 0;

export function ids(set: number): number[] {
  const out: number[] = [];
  for (let id = 0; set >> id !== 0; id++) if (has(set, id)) out.push(id);
  return out;
}

export function popcount(set: number): number {
  let n = 0;
  for (let s = set; s !== 0; s &= s - 1) n++;
  return n;
}

/** Bitmask of the voting members 0..voters-1. */
export const votersMask = (voters: number) => (1 << voters) - 1;

/** Whether the voters in `set` form a majority of the voting members (observers never count). */
export function isQuorum(set: number, voters: number): boolean {
  return hasQuorum(popcount(set & votersMask(voters)), voters);
}

/** A follower or an observer: a server that syncs from a leader (ZooKeeper's Learner). */
export function isLearner(node: ZabNode): boolean {
  return node.state === 'FOLLOWING' || node.state === 'OBSERVING';
}

export function isVoter(node: ZabNode, id: number = node.id): boolean {
  return id < node.config.voters;
}

/** Whether this server runs the named known-bug mutant (mutants.ts). */
export function runs(node: ZabNode, mutant: string): boolean {
  return node.config.mutant === mutant;
}
