// Snapshots every snapCount txns (storage's SnapshotSchedule decides when and
// calls `due`). ZooKeeper's snapshots are fuzzy: a thread serialises the
// tree while txns keep being applied, and replaying the log from the
// snapshot's starting zxid (txns are idempotent) makes the result right. Ours
// take a consistent copy instead, which is simpler and, here, cheap: the tree
// is serialised in one synchronous step of the event loop (nothing can change
// it meanwhile; ~1 s of pause per million znodes, measured by mntr's
// snapshottime), at the zxid the tree has applied.
//
// One subtlety: the core applies a txn to the tree before the log has made it
// durable. A snapshot that included such a txn and reached the disk before
// the txn's log record would, after a crash, resurrect a write whose log
// record was lost, and put the log behind the snapshot. So the snapshot's bytes
// are taken at zxid Z, and the file is written only once the txn log is
// durable up to Z; if the log fails first, the snapshot is dropped.

import { hex } from '../../lib/hex.ts';
import type { Storage } from '../storage/storage.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { serializeTree } from '../tree/snapshot.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { TxnPersister } from './txn-persister.ts';
import { durationSummary, recordDuration, type DurationSummary } from '../observability/duration-summary.ts';

export class Snapshotter {
  private running: Promise<void> | undefined;
  private dueAgain = false;
  private stopped = false;
  /** Milliseconds to serialise and write each snapshot (mntr's snapshottime). */
  readonly snapshotTimeMs: DurationSummary = durationSummary();
  snapshotsWritten = 0;

  constructor(
    private readonly tree: DataTree,
    private readonly storage: Storage,
    private readonly persister: TxnPersister,
    private readonly log: StructuredLogger,
  ) {}

  /** The schedule says a snapshot is due. A snapshot already under way is followed by another. */
  due(): void {
    if (this.stopped) return;
    if (this.running !== undefined) {
      this.dueAgain = true;
      return;
    }
    this.running = this.run().finally(() => (this.running = undefined));
  }

  /** Waits for a snapshot under way and takes no more. */
  async stop(): Promise<void> {
    this.stopped = true;
    while (this.running !== undefined) await this.running;
  }

  private async run(): Promise<void> {
    do {
      this.dueAgain = false;
      const startedAtMs = performance.now();
      const zxid = this.tree.lastProcessedZxid;
      const blob = serializeTree(this.tree);
      const nodeCount = this.tree.nodeCount;
      if (!(await this.persister.whenDurable(zxid))) {
        this.log('warn', 'snapshot-dropped', { zxid, message: `the txn log did not become durable up to ${hex(zxid)}; snapshot not written` });
        return;
      }
      const written = await this.storage.writeSnapshot(zxid, blob);
      const elapsedMs = Math.round(performance.now() - startedAtMs);
      if (!written.ok) {
        // A failed snapshot loses nothing (the log still has every txn); the next one is tried after snapCount more.
        this.log('error', 'snapshot-failed', { zxid, message: written.error.message });
        return;
      }
      recordDuration(this.snapshotTimeMs, elapsedMs);
      this.snapshotsWritten++;
      this.log('info', 'snapshot-written', { zxid, nodeCount, bytes: blob.byteLength, elapsedMs });
    } while (this.dueAgain && !this.stopped);
  }
}
