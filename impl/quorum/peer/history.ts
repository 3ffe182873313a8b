// Zxids and logs for the peer core. A zxid is the wire's 64-bit
// `epoch << 32 | counter` (ZxidUtils.makeZxid); an index counts entries, as in
// spec/zab/history.ts (index n means the first n entries).

import { assert } from '../../../lib/assert.ts';
import { hasQuorum } from '../../../lib/quorum.ts';
import type { PeerTxn } from './types.ts';

export const ZXID_COUNTER_MAX = 0xffffffffn;

export function makeZxid(epoch: number, counter: bigint): bigint {
  assert(epoch >= 0 && counter >= 0n && counter <= ZXID_COUNTER_MAX, () => `bad zxid parts ${epoch}/${counter}`);
  return (BigInt(epoch) << 32n) | counter;
}

export function epochOfZxid(zxid: bigint): number {
  return Number(zxid >> 32n);
}

export function counterOfZxid(zxid: bigint): bigint {
  return zxid & ZXID_COUNTER_MAX;
}

/** Zxid of the last of the first n entries, or 0. */
export function zxidAt(history: readonly PeerTxn[], n: number): bigint {
  return n <= 0 ? 0n : history[n - 1]!.zxid;
}

export function lastZxid(history: readonly PeerTxn[]): bigint {
  return zxidAt(history, history.length);
}

/** Index (entries up to and including it) of the entry with this zxid, 0 for zxid 0, -1 if absent. */
export function indexOfZxid(history: readonly PeerTxn[], zxid: bigint): number {
  if (zxid === 0n) return 0;
  // From the end: the zxids a running peer looks up (ACKs, COMMITs) are the recent ones.
  for (let i = history.length - 1; i >= 0; i--) if (history[i]!.zxid === zxid) return i + 1;
  return -1;
}

/** Number of entries whose zxid is <= zxid. */
export function indexAtOrBefore(history: readonly PeerTxn[], zxid: bigint): number {
  let n = 0;
  while (n < history.length && history[n]!.zxid <= zxid) n++;
  return n;
}

export const bit = (id: number): number => {
  assert(Number.isInteger(id) && id >= 0 && id < 31, () => `server id ${id} outside the bitmask range`);
  return 1 << id;
};
export const has = (set: number, id: number): boolean => (set & (1 << id)) !== 0;

export function ids(set: number): number[] {
  const out: number[] = [];
  for (let id = 0; set >> id !== 0; id++) if (has(set, id)) out.push(id);
  return out;
}

/** Whether the voters (ids 0..voters-1) in `set` form a majority of the voters; observers never count. */
export function isQuorum(set: number, voters: number): boolean {
  let count = 0;
  for (let id = 0; id < voters; id++) if (has(set, id)) count++;
  return hasQuorum(count, voters);
}
