// The member's data tree kept in memory from one role run to the next, as
// ZooKeeper keeps its ZKDatabase across elections (QuorumPeer reuses it, and
// ZooKeeperServer.loadData only reloads a database that is not initialised).
//
// Why: every role run used to rebuild its tree from the newest snapshot and
// the log (replica-store.ts's header), a leader at the start of BROADCAST and
// a learner as the leader's UPTODATE arrived. Deserialising a snapshot costs
// about 16 us a znode on this project's machine (200,000 znodes: 3.2 s at load
// 10), all in one turn of the event loop, and it landed exactly where peers
// hold the member to syncLimit: the leader stopped pinging, or the learners
// stopped answering, for longer than syncLimit, the leader lost its quorum,
// and the next election did it all again (issue 15's 5-voter, 2-observer run
// that never settled; docs/reliability.md, "Runs of 1,000 faults").
//
// What may be kept: a tree whose every txn is in the log as it is now, with
// no client's watch in it. That is a learner's tree (it holds committed txns
// only, each logged before it was delivered) and a leader's (it holds every
// txn it prepared; kept only when each of them was logged, which the caller
// checks). The next run brings it forward by replaying the log from its zxid;
// a TRUNC below that zxid or an installed SNAP rewrites the history under it,
// so the store drops it then, and a tree that changed after it was kept (its
// zxid moved) is refused. Whether the txns in it are committed is the peer
// core's business, not the tree's: the core still starts from the disk
// (PeerDisk), and a run only asks for the tree at a zxid its core has
// delivered (learner) or established (leader).

import { hex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { PeerTxn } from '../quorum/peer/types.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { decodeTxn } from '../tree/txn.ts';

/** A kept tree and the zxid it had when it was kept. */
export type KeptTree = { readonly tree: DataTree; readonly zxid: bigint };

/** The tree as the next run may have it: every client's watch is gone with the run that set it. */
export function keepable(tree: DataTree): KeptTree {
  for (const watches of [tree.dataWatches, tree.childWatches]) {
    for (const watcher of [...watches.byWatcher().keys()]) watches.removeWatcher(watcher);
  }
  return { tree, zxid: tree.lastProcessedZxid };
}

/**
 * Where replay of `log` starts for a tree at `zxid`: the index of the first
 * entry after it. Only when `zxid` is the snapshot's or an entry of the log
 * (a tree between two entries, or before the log, cannot be brought forward).
 */
export function replayStart(log: readonly PeerTxn[], snapshotZxid: bigint, zxid: bigint): number | undefined {
  let low = 0;
  let high = log.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (log[middle]!.zxid <= zxid) low = middle + 1;
    else high = middle;
  }
  const atEntry = low > 0 && log[low - 1]!.zxid === zxid;
  return atEntry || zxid === snapshotZxid ? low : undefined;
}

/**
 * The kept tree brought forward to `upToZxid` by replaying the log's entries
 * after it; an error (the caller rebuilds from the disk instead) when it
 * cannot be: it changed since it was kept, it is past `upToZxid`, or the log
 * does not hold every txn between.
 */
export function bringForward(kept: KeptTree, log: readonly PeerTxn[], snapshotZxid: bigint, upToZxid: bigint): Result<DataTree, string> {
  const { tree, zxid } = kept;
  if (tree.lastProcessedZxid !== zxid) return err(`the kept tree moved from ${hex(zxid)} to ${hex(tree.lastProcessedZxid)} after it was kept`);
  if (zxid > upToZxid) return err(`the kept tree at ${hex(zxid)} is past ${hex(upToZxid)}`);
  const start = replayStart(log, snapshotZxid, zxid);
  if (start === undefined) return err(`the log does not hold the kept tree's zxid ${hex(zxid)}`);
  // Checked before anything is applied: a tree half brought forward would be neither.
  for (let index = start; index < log.length && log[index]!.zxid <= upToZxid; index++) {
    if (log[index]!.data.byteLength === 0) return err(`the log holds only a snapshot's stand-in at ${hex(log[index]!.zxid)}`);
  }
  for (let index = start; index < log.length && log[index]!.zxid <= upToZxid; index++) {
    const entry = log[index]!;
    const decoded = decodeTxn(entry.data);
    // As rebuildTree's checks; the half-applied tree is dropped with the error, and the rebuild reports it again.
    if (!decoded.ok) return err(`logged txn ${hex(entry.zxid)} does not decode: ${decoded.error}`);
    if (decoded.value.zxid !== entry.zxid) return err(`log record ${hex(entry.zxid)} holds txn ${hex(decoded.value.zxid)}`);
    tree.applyTxn(decoded.value);
  }
  return ok(tree);
}
