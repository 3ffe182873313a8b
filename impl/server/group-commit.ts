// Group commit (ZooKeeper's SyncRequestProcessor): the txns the write path
// appends are handed to `persist` in batches, and a batch that `persist` has
// made durable lets its outputs go (release-order.ts, output-queues.ts).
//
// - In memory (no `persist`): a txn is durable as soon as it is applied.
// - One batch at a time (standalone): all txns appended while a persist is in
//   flight go to the next persist call as one batch.
// - Pipelined (a leader): each batch is proposed as soon as it is complete
//   (the txns of one turn of the event loop), without waiting for the previous
//   one to commit, as ZooKeeper's ProposalRequestProcessor does. Waiting would
//   cap throughput at one batch per quorum round trip. Commits, and so
//   persist's promises, complete in zxid order.
//
// If persist fails the server stops, as SyncRequestProcessor does on a log
// write error: the tree already holds the change and cannot be rolled back.

import { assert } from '../../lib/assert.ts';
import type { Txn } from '../tree/txn.ts';
import type { Persist } from './options.ts';
import type { OutputQueues } from './output-queues.ts';
import type { ReleaseOrder } from './release-order.ts';
import type { ServerCounters } from './stats.ts';


export class GroupCommit {
  /** The txns of the batch being filled. */
  private batchTxns: Txn[] = [];
  /** The number of the batch being filled; batches become durable in this order. */
  private batch = 1;
  private flushQueued = false;
  private batchesInFlight = 0;
  private stopped = false;

  /**
   * @param pipelined a leader's: a batch goes to persist without waiting for the previous one.
   * @param onFailure called once when persist fails; the server must stop.
   */
  constructor(
    private readonly persist: Persist | undefined,
    private readonly pipelined: boolean,
    private readonly order: ReleaseOrder,
    private readonly queues: OutputQueues,
    private readonly counters: ServerCounters,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  /** The batch the next txn appended joins. */
  get currentBatch(): number {
    return this.batch;
  }

  /** Adds an applied txn to the current batch. */
  append(txn: Txn): void {
    if (this.persist === undefined) {
      // In-memory: a txn is "durable" as soon as it is applied.
      this.counters.txnsPersisted++;
      this.order.appliedInMemory(this.batch++);
      return;
    }
    this.batchTxns.push(txn);
    if (this.pipelined) {
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => {
          this.flushQueued = false;
          void this.flush();
        });
      }
      return;
    }
    if (this.batchesInFlight === 0) queueMicrotask(() => void this.flush());
  }

  private async flush(): Promise<void> {
    const persist = this.persist;
    if (persist === undefined || (this.batchesInFlight > 0 && !this.pipelined) || this.batchTxns.length === 0 || this.stopped) return;
    const txns = this.batchTxns;
    const batch = this.batch;
    this.batchTxns = [];
    this.batch++;
    this.batchesInFlight++;
    try {
      await persist(txns);
    } catch (error) {
      this.batchesInFlight--;
      this.onFailure(error);
      return;
    }
    this.batchesInFlight--;
    assert(batch === this.order.durableBatch + 1 || this.stopped, () => `persist batch ${batch} completed after batch ${this.order.durableBatch}: out of order`);
    this.counters.txnsPersisted += txns.length;
    this.counters.persistBatches++;
    this.counters.metrics.summaries.sync_processor_batch_size.add(txns.length);
    this.order.batchDurable(batch, txns);
    this.queues.releaseAll();
    if (this.batchTxns.length > 0 && !this.pipelined) void this.flush();
  }

  /** Nothing more goes to persist. */
  stop(): void {
    this.stopped = true;
  }

  /** True when no txn waits for persist or is being persisted. */
  get isIdle(): boolean {
    return this.batchTxns.length === 0 && this.batchesInFlight === 0;
  }
}
