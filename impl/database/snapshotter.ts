// Taking a snapshot when storage's SnapshotSchedule says one is due (every
// snapCount/2..snapCount logged txns, as ZooKeeper's SyncRequestProcessor).
// ZooKeeper's snapshots are fuzzy: a thread serialises the tree while txns
// keep being applied, and replaying the log from the snapshot's starting zxid
// (txns are idempotent) makes the result right. Ours take a consistent copy
// instead, which is simpler and, here, cheap: the tree is serialised in one
// synchronous step of the event loop (nothing can change it meanwhile; ~1 s
// of pause per million znodes, measured by mntr's snapshottime), at the zxid
// the tree has applied.
//
// One subtlety: a server applies a txn to its tree before the log has made it
// durable (the standalone server's core does so for every write). A snapshot
// that included such a txn and reached the disk before the txn's log record
// would, after a crash, resurrect a write whose log record was lost, and put
// the log behind the snapshot. So the snapshot's bytes are taken at zxid Z,
// and the file is written only once the txn log is durable up to Z; if the
// log fails first, the snapshot is dropped. When the log already is durable
// up to Z the write starts at once, in the same turn of the event loop (an
// ensemble member relies on it: see ensemble/replica-store.ts).
//
// Which tree may be snapshotted, and when, is the caller's business: the
// standalone server offers its live tree whenever one is due; an ensemble
// member offers a tree holding committed txns only.

import { durationSummary, recordDuration, type DurationSummary } from '../observability/duration-summary.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { Storage } from '../storage/storage.ts';
import { storageErrorFields } from '../storage/storage-log.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { serializeTree } from '../tree/snapshot.ts';

/** A snapshot on disk: its zxid and the serialised tree. */
export type Snapshot = { readonly zxid: bigint; readonly blob: Uint8Array };

/** What the snapshotter needs to know of the log's durability (the database's). */
export interface LogDurability {
  readonly durableZxid: bigint;
  /** Resolves true once `zxid` is durable, false if the log fails or closes first. */
  whenDurable(zxid: bigint): Promise<boolean>;
}

export class Snapshotter {
  private running: Promise<Snapshot | undefined> | undefined;
  private stopped = false;
  /** Milliseconds to serialise and write each snapshot (mntr's snapshottime). */
  readonly snapshotTimeMs: DurationSummary = durationSummary();

  constructor(
    private readonly storage: Storage,
    private readonly durability: LogDurability,
    private readonly log: StructuredLogger,
    /** Called when a snapshot was written and the schedule is already due again (the standalone server offers its tree again). */
    private readonly dueAgain: (() => void) | undefined,
  ) {}

  /**
   * If a snapshot is due and none is under way: serialises `tree` now and
   * writes it once the log is durable up to the tree's zxid. Resolves with
   * the snapshot written, or undefined (not due, busy, dropped or failed).
   */
  snapshotIfDue(tree: DataTree): Promise<Snapshot | undefined> {
    if (this.stopped || this.running !== undefined || !this.storage.isSnapshotDue) return Promise.resolve(undefined);
    const running = this.take(tree);
    this.running = running;
    void running.then((written) => {
      this.running = undefined;
      if (written !== undefined && !this.stopped && this.storage.isSnapshotDue) this.dueAgain?.();
    });
    return running;
  }

  /** Waits for a snapshot under way and takes no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running !== undefined) await this.running;
  }

  private async take(tree: DataTree): Promise<Snapshot | undefined> {
    const startedAtMs = performance.now();
    const zxid = tree.lastProcessedZxid;
    const blob = serializeTree(tree);
    const nodeCount = tree.nodeCount;
    if (zxid > this.durability.durableZxid && !(await this.durability.whenDurable(zxid))) {
      this.log('warn', 'snapshot-dropped', { zxid, message: 'the txn log did not become durable up to zxid; snapshot not written' });
      return undefined;
    }
    const written = await this.storage.writeSnapshot(zxid, blob);
    const elapsedMs = Math.round(performance.now() - startedAtMs);
    if (!written.ok) {
      // A failed snapshot loses nothing (the log still has every txn); the next one is tried after snapCount more.
      this.log('error', 'snapshot-failed', { zxid, ...storageErrorFields(written.error) });
      return undefined;
    }
    recordDuration(this.snapshotTimeMs, elapsedMs);
    this.log('info', 'snapshot-written', { zxid, nodeCount, bytes: blob.byteLength, elapsedMs });
    return { zxid, blob };
  }
}
