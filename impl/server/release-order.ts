// When an output may leave: ZooKeeper's CommitProcessor rule, as the local
// write path (standalone and leader) needs it.
//
// Requests are handled in arrival order, one at a time. A write is prepped and
// applied to the tree at once, so the next request is validated against it,
// but nothing it produced (its reply, the watch events it fired) leaves the
// server before `persist` has made its txn durable (group-commit.ts numbers the
// persist batches).
//
// Each connection has its own output FIFO (output-queues.ts); an output is
// released when the persist batch it depends on is durable and everything
// ahead of it in that connection's FIFO has been released. A request waits
// only for its own session's earlier requests, so a read of one session is not
// held up by another session's writes on their way to disk. What a read
// depends on (reads.ts names it, `readBatch` turns it into a batch):
// - a read of a path (exists, getData, getChildren, getACL, multiRead) depends
//   on the newest non-durable txn that changed that path: the node itself, or,
//   for a create or delete, its parent too (children, cversion, pzxid). It runs
//   against the tree now, which holds that txn, so it is released only once
//   the txn is durable; a read of a path no pending txn touched is answered
//   at once, and what it shows is durable already;
// - any other read (sync, setWatches, addWatch, getAllChildrenNumber, ...)
//   depends on the newest txn of all.
// A read's reply header carries the newest zxid that is both durable and
// applied when it was read, never a non-durable one (a client reconnecting
// with a zxid the server lost would be refused). Watch events join the
// watcher's FIFO with the batch of the change, ahead of any later reply to that
// watcher, and a reply that shows the change depends on that batch: the
// client sees the event before the new data, as ZooKeeper guarantees.
//
// A learner's tree holds committed txns only, so for it every batch is 0 and
// "durable" is "applied" (forwarding-path.ts calls `committed`).

import { assertNever } from '../../lib/assert.ts';
import type { DataTree } from '../tree/data-tree.ts';
import type { Txn, TxnOp } from '../tree/txn.ts';
import { wholeTree, type ReadDependency } from './reads.ts';

export class ReleaseOrder {
  /** The newest persist batch that is durable; outputs waiting for it or an older one may leave. */
  durableBatch = 0;
  /** The last zxid `persist` has made durable (a learner: the last committed). */
  durableZxid: bigint;
  /** The batch of the newest txn applied. */
  private lastTxnBatch = 0;
  /** Path -> the newest batch with a txn that changed it; entries at or below durableBatch are stale. */
  private readonly pendingPaths = new Map<string, number>();

  /**
   * @param tracksPaths whether txns wait for a persist at all: an in-memory
   *   server makes each one durable as it is applied, so no read ever waits.
   */
  constructor(
    private readonly tree: DataTree,
    private readonly tracksPaths: boolean,
  ) {
    this.durableZxid = tree.lastProcessedZxid;
  }

  /** Records the paths whose reads must wait for `batch`; called before the txn is applied (a closeSession reads the session's ephemerals). */
  markPending(txn: Txn, batch: number): void {
    if (!this.tracksPaths) return;
    const body = txn.body;
    switch (body.type) {
      case 'multi':
        for (const op of body.ops) this.markPendingOp(op, batch);
        return;
      case 'closeSession':
        for (const path of body.paths2Delete) this.markPendingChild(path, batch);
        // Whatever else the tree deletes for the session: normally the same paths, so only a lookup each
        // (unordered: getEphemerals' two sorts and a second marking took 50,000 ephemerals' expiry 300 ms).
        for (const path of this.tree.ephemeralPaths(txn.sessionId)) if (this.pendingPaths.get(path) !== batch) this.markPendingChild(path, batch);
        return;
      case 'createSession':
        return;
      default:
        this.markPendingOp(body, batch);
    }
  }

  /** A txn of `batch` has been applied to the tree: a read of the whole tree now waits for it. */
  applied(batch: number): void {
    this.lastTxnBatch = batch;
  }

  /** The batch a read's reply must wait for. */
  readBatch(dependency: ReadDependency): number {
    if (typeof dependency === 'string') return this.pathBatch(dependency);
    if (dependency === wholeTree) return this.lastTxnBatch;
    let batch = 0;
    for (const path of dependency) batch = Math.max(batch, this.pathBatch(path));
    return batch;
  }

  /** The zxid a read's reply carries: what it saw, but never beyond what is durable. */
  visibleZxid(readZxid: bigint): bigint {
    return readZxid < this.durableZxid ? readZxid : this.durableZxid;
  }

  /** `persist` has made `batch` durable; its outputs may leave. */
  batchDurable(batch: number, txns: readonly Txn[]): void {
    this.durableBatch = batch;
    for (const txn of txns) if (txn.zxid > this.durableZxid) this.durableZxid = txn.zxid;
    for (const [path, pathBatch] of this.pendingPaths) if (pathBatch <= batch) this.pendingPaths.delete(path);
  }

  /** An in-memory server's batch is durable as soon as its txn is applied. */
  appliedInMemory(batch: number): void {
    this.durableBatch = batch;
    this.durableZxid = this.tree.lastProcessedZxid;
  }

  /** A learner applied a committed txn. */
  committed(zxid: bigint): void {
    this.durableZxid = zxid;
  }

  private markPendingOp(op: TxnOp, batch: number): void {
    switch (op.type) {
      case 'create':
      case 'createContainer':
      case 'createTTL':
      case 'delete':
        this.markPendingChild(op.path, batch);
        return;
      case 'setData':
      case 'setACL':
        this.pendingPaths.set(op.path, batch);
        return;
      case 'check':
      case 'error':
        return;
      default:
        assertNever(op);
    }
  }

  /** A created or deleted node changes its parent's children, cversion and pzxid too. */
  private markPendingChild(path: string, batch: number): void {
    this.pendingPaths.set(path, batch);
    const slash = path.lastIndexOf('/');
    this.pendingPaths.set(slash <= 0 ? '/' : path.slice(0, slash), batch);
  }

  /** The batch a read of `path` must wait for: 0 when every change to it is durable. */
  private pathBatch(path: string): number {
    const batch = this.pendingPaths.get(path);
    return batch === undefined || batch <= this.durableBatch ? 0 : batch;
  }
}
