// The server core's `persist` hook, backed by the storage's txn log: each txn
// is encoded (TxnHeader + record, tree/txn.ts) and appended; the returned
// promise resolves only when every append of the batch is durable, which the
// core waits for before releasing any reply or watch event that depends on it
// (ZAB paper §5.2: log to disk before acknowledging; ZooKeeper's
// SyncRequestProcessor flushes before FinalRequestProcessor replies).
//
// An append that fails (ENOSPC, EIO, or the log refusing appends after an
// earlier failure) rejects the promise; the core then stops without releasing
// anything of that batch, so no client is told that a write it cannot recover
// is done. Group commit happens twice over, on purpose: the core hands over
// whatever accumulated while the previous persist was in flight, and the log
// merges the appends of one turn of the event loop into one write + fsync.
//
// It also tracks the highest durable zxid, for the snapshotter (which writes a
// snapshot only once the log holds everything the snapshot includes), and
// times each batch for mntr's fsync-time lines.

import { hex } from '../../lib/hex.ts';
import { type Result } from '../../lib/result.ts';
import { type StorageError } from '../storage/storage-error.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import { durationSummary, recordDuration, type DurationSummary } from '../observability/duration-summary.ts';

export type AppendLog = { append(zxid: bigint, payload: Uint8Array): Promise<Result<void, StorageError>> };

/** A txn the log refused, with the storage error that says why. */
export class TxnLogError extends Error {
  constructor(
    readonly zxid: bigint,
    readonly storageError: StorageError,
  ) {
    super(`txn ${hex(zxid)} could not be logged: ${storageError.message}`);
    this.name = 'TxnLogError';
  }
}

export class TxnPersister {
  private durable: bigint;
  private failed = false;
  private waiters: { readonly zxid: bigint; readonly resolve: (durable: boolean) => void }[] = [];
  /** Milliseconds from handing a batch to the log to its last append being durable (write + fsync). */
  readonly batchTimeMs: DurationSummary = durationSummary();

  constructor(
    private readonly log: AppendLog,
    lastDurableZxid: bigint,
  ) {
    this.durable = lastDurableZxid;
  }

  /** The highest zxid known durable. */
  get durableZxid(): bigint {
    return this.durable;
  }

  readonly persist = async (txns: readonly Txn[]): Promise<void> => {
    if (txns.length === 0) return;
    const startedAtMs = performance.now();
    const results = await Promise.all(txns.map((txn) => this.log.append(txn.zxid, encodeTxn(txn))));
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (!result.ok) {
        this.markFailed();
        throw new TxnLogError(txns[i]!.zxid, result.error);
      }
    }
    recordDuration(this.batchTimeMs, performance.now() - startedAtMs);
    this.durable = txns[txns.length - 1]!.zxid;
    this.wake();
  };

  /** Resolves true once `zxid` is durable, false if the log fails or closes first. */
  whenDurable(zxid: bigint): Promise<boolean> {
    if (zxid <= this.durable) return Promise.resolve(true);
    if (this.failed) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push({ zxid, resolve }));
  }

  /** No more txns will become durable (the log failed, or the server is shutting down). */
  markFailed(): void {
    this.failed = true;
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }

  private wake(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.zxid <= this.durable) waiter.resolve(true);
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
