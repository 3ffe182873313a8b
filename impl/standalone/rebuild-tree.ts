// Recovery's second half: turning what storage recovered (the newest valid
// snapshot and the logged txns after it) back into a data tree, as
// ZooKeeper's FileTxnSnapLog.restore does with DataTree.deserialize and
// processTxn. Our snapshots are consistent (snapshotter.ts: the tree is
// serialised in one synchronous step and written only once the log holds
// every txn it includes), so replay starts exactly after the snapshot's zxid
// and needs no idempotence. Sessions come back with the tree
// (DataTree.sessions); the server core re-tracks them from there, so their
// ephemerals live on until the session's client returns or its timeout
// passes, as after a ZooKeeper restart.

import { hex } from '../../lib/hex.ts';
import type { Recovery } from '../storage/recovery.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { DataTree } from '../tree/data-tree.ts';
import { deserializeTree } from '../tree/snapshot.ts';
import { decodeTxn } from '../tree/txn.ts';

export type RebuiltTree = { readonly tree: DataTree; readonly snapshotZxid: bigint | undefined; readonly replayedTxns: number };

export function rebuildTree(recovery: Recovery): Result<RebuiltTree, string> {
  let tree: DataTree;
  if (recovery.snapshot === undefined) {
    tree = new DataTree();
  } else {
    const decoded = deserializeTree(recovery.snapshot.blob);
    // The file's checksum passed, so bytes that do not decode were written wrong: a bug, or a foreign file.
    if (!decoded.ok) return err(`snapshot ${hex(recovery.snapshot.zxid)} passed its checksum but does not decode: ${decoded.error}`);
    tree = decoded.value;
    if (tree.lastProcessedZxid !== recovery.snapshot.zxid) {
      return err(`snapshot ${hex(recovery.snapshot.zxid)} holds a tree at ${hex(tree.lastProcessedZxid)}`);
    }
  }
  let replayedTxns = 0;
  for (const record of recovery.records) {
    const decoded = decodeTxn(record.payload);
    if (!decoded.ok) return err(`logged txn ${hex(record.zxid)} passed its checksum but does not decode: ${decoded.error}`);
    if (decoded.value.zxid !== record.zxid) return err(`log record ${hex(record.zxid)} holds txn ${hex(decoded.value.zxid)}`);
    tree.applyTxn(decoded.value);
    replayedTxns++;
  }
  return ok({ tree, snapshotZxid: recovery.snapshot?.zxid, replayedTxns });
}
