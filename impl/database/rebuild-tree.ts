// Recovery's second half, and every later rebuild: turning a snapshot and the
// logged txns after it back into a data tree, as ZooKeeper's
// FileTxnSnapLog.restore does with DataTree.deserialize and processTxn. The
// standalone server rebuilds once, from what storage recovered; an ensemble
// member rebuilds at the start of every role run and for every SNAP it sends,
// from its store's snapshot and its mirror of the log, up to a zxid it knows
// committed (ensemble/replica-store.ts).
//
// Replay starts right after the snapshot's zxid; logged txns at or below it
// (an ensemble member keeps some for DIFFs, and a stand-in for the snapshot
// itself) are skipped. An ensemble member's snapshots are consistent (the tree
// at exactly that zxid); the standalone server's are fuzzy (snapshotter.ts):
// named by the zxid at which the walk started, they may already hold some of
// the txns replayed after it, which is why replay relies on applyTxn being
// idempotent as DataTree.processTxn is (tree/fuzzy-snapshot.ts lists how).
// Either way the file was written only once the log held every txn it holds. Sessions come
// back with the tree (DataTree.sessions); the server core re-tracks them from
// there, so their ephemerals live on until the session's client returns or
// its timeout passes, as after a ZooKeeper restart.

import { hex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { DataTree } from '../tree/data-tree.ts';
import { deserializeTree } from '../tree/snapshot.ts';
import { decodeTxn } from '../tree/txn.ts';
import type { LoggedTxn } from './database.ts';

export type RebuiltTree = { readonly tree: DataTree; readonly snapshotZxid: bigint | undefined; readonly replayedTxns: number };

/**
 * The tree holding `snapshot` and the txns of `log` after it, in zxid order,
 * up to `upToZxid` (all of them when undefined). An error names the snapshot
 * or txn whose bytes passed their checksum but do not make a tree: a bug, or
 * a foreign file.
 */
export function rebuildTree(
  snapshot: { readonly zxid: bigint; readonly blob: Uint8Array } | undefined,
  log: readonly LoggedTxn[],
  upToZxid?: bigint,
): Result<RebuiltTree, string> {
  let tree: DataTree;
  if (snapshot === undefined) {
    tree = new DataTree();
  } else {
    const decoded = deserializeTree(snapshot.blob);
    if (!decoded.ok) return err(`snapshot ${hex(snapshot.zxid)} passed its checksum but does not decode: ${decoded.error}`);
    tree = decoded.value;
    if (tree.lastProcessedZxid !== snapshot.zxid) return err(`snapshot ${hex(snapshot.zxid)} holds a tree at ${hex(tree.lastProcessedZxid)}`);
  }
  let replayedTxns = 0;
  for (const entry of log) {
    if (entry.zxid <= tree.lastProcessedZxid) continue;
    if (upToZxid !== undefined && entry.zxid > upToZxid) break;
    const decoded = decodeTxn(entry.data);
    if (!decoded.ok) return err(`logged txn ${hex(entry.zxid)} passed its checksum but does not decode: ${decoded.error}`);
    if (decoded.value.zxid !== entry.zxid) return err(`log record ${hex(entry.zxid)} holds txn ${hex(decoded.value.zxid)}`);
    tree.applyTxn(decoded.value);
    replayedTxns++;
  }
  return ok({ tree, snapshotZxid: snapshot?.zxid, replayedTxns });
}
