// Taking a snapshot when storage's SnapshotSchedule says one is due (every
// snapCount/2..snapCount logged txns, as ZooKeeper's SyncRequestProcessor).
// Two kinds, chosen by the caller:
//
// - fuzzy (the standalone server's live tree), as ZooKeeper's: the tree is
//   serialised a slice of about `sliceMs` at a time, yielding the event loop
//   between slices while txns keep being applied (tree/fuzzy-snapshot.ts). It
//   is named by the zxid the tree had applied when it started, and replaying
//   the log from there (txns are idempotent) makes it right. Serialising in
//   one synchronous step instead cost about 1 s of pause per million znodes
//   (mntr's snapshottime), a stall every client saw; copying the tree to a
//   worker thread to serialise there costs as much on the event loop as
//   serialising it (measured: docs/benchmarks.md, "Snapshots off the event
//   loop"), so slicing is what takes the pause away.
// - consistent (an ensemble member's tree of committed txns): serialised in
//   one synchronous step at the zxid the tree has applied, nothing changing
//   meanwhile. An ensemble member keeps it: its snapshot must be written in
//   the same turn it is taken (below), and a leader's SNAP and every role
//   run are rebuilt from the newest snapshot's bytes, which replay exactly
//   from its zxid.
//
// One subtlety: a server applies a txn to its tree before the log has made it
// durable (the standalone server's core does so for every write). A snapshot
// that included such a txn and reached the disk before the txn's log record
// would, after a crash, resurrect a write whose log record was lost, and put
// the log behind the snapshot. So the file is written only once the txn log
// is durable up to the last zxid the snapshot may hold: Z for a consistent
// one taken at Z, and for a fuzzy one the last zxid the tree had applied
// when the walk finished. If the log fails first, the snapshot is dropped.
// When the log already is durable up to Z, a consistent snapshot's write
// starts at once, in the same turn of the event loop (an ensemble member
// relies on it: see ensemble/replica-store.ts).
//
// Which tree may be snapshotted, and when, is the caller's business: the
// standalone server offers its live tree whenever one is due; an ensemble
// member offers a tree holding committed txns only.

import { durationSummary, recordDuration, type DurationSummary } from '../observability/duration-summary.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { Storage } from '../storage/storage.ts';
import { storageErrorFields } from '../storage/storage-log.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { FuzzySnapshotWriter } from '../tree/fuzzy-snapshot.ts';
import { serializeTree } from '../tree/snapshot.ts';

/** A snapshot on disk: its zxid and the serialised tree. */
export type Snapshot = { readonly zxid: bigint; readonly blob: Uint8Array };

/** What the snapshotter needs to know of the log's durability (the database's). */
export interface LogDurability {
  readonly durableZxid: bigint;
  /** Resolves true once `zxid` is durable, false if the log fails or closes first. */
  whenDurable(zxid: bigint): Promise<boolean>;
}

/** How long one slice of a fuzzy snapshot may keep the event loop, in ms. */
export const fuzzySliceMs = 2;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class Snapshotter {
  private running: Promise<unknown> | undefined;
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
   * If a snapshot is due and none is under way: serialises `tree` now (one
   * consistent copy) and writes it once the log is durable up to the tree's
   * zxid. Resolves with the snapshot written, or undefined (not due, busy,
   * dropped or failed).
   */
  snapshotIfDue(tree: DataTree): Promise<Snapshot | undefined> {
    return this.startIfDue(() => this.take(tree)) ?? Promise.resolve(undefined);
  }

  /**
   * If a snapshot is due and none is under way: starts a fuzzy snapshot of
   * `tree`, serialised a slice at a time while the tree keeps changing.
   * Resolves with the zxid it is named by (where replay starts) once written,
   * or undefined (not due, busy, stopped, dropped or failed).
   */
  fuzzySnapshotIfDue(tree: DataTree): Promise<bigint | undefined> {
    return this.startIfDue(() => this.takeFuzzy(tree)) ?? Promise.resolve(undefined);
  }

  private startIfDue<T>(take: () => Promise<T | undefined>): Promise<T | undefined> | undefined {
    if (this.stopped || this.running !== undefined || !this.storage.isSnapshotDue) return undefined;
    const running = take();
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

  private async takeFuzzy(tree: DataTree): Promise<bigint | undefined> {
    const startedAtMs = performance.now();
    const writer = new FuzzySnapshotWriter(tree);
    const zxid = writer.startZxid;
    let slices = 1;
    while (!writer.step(fuzzySliceMs)) {
      await nextTurn();
      slices++;
      // Closing: the log already holds everything; a half-walked snapshot is simply not written.
      if (this.stopped) return undefined;
    }
    const { chunks, byteLength } = writer.finish();
    const lastZxid = tree.lastProcessedZxid;
    const nodeCount = writer.nodeCount;
    this.log('debug', 'snapshot-serialised', { zxid, lastZxid, slices, nodeCount, bytes: byteLength, elapsedMs: Math.round(performance.now() - startedAtMs) });
    if (lastZxid > this.durability.durableZxid && !(await this.durability.whenDurable(lastZxid))) {
      this.log('warn', 'snapshot-dropped', { zxid, lastZxid, message: 'the txn log did not become durable up to the last zxid the snapshot may hold; snapshot not written' });
      return undefined;
    }
    const written = await this.storage.writeSnapshotPieces(zxid, chunks, fuzzySliceMs);
    const elapsedMs = Math.round(performance.now() - startedAtMs);
    if (!written.ok) {
      this.log('error', 'snapshot-failed', { zxid, ...storageErrorFields(written.error) });
      return undefined;
    }
    recordDuration(this.snapshotTimeMs, elapsedMs);
    this.log('info', 'snapshot-written', { zxid, lastZxid, fuzzy: true, slices, nodeCount, bytes: byteLength, elapsedMs });
    return zxid;
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
