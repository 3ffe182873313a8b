// One server's database, for the standalone server and an ensemble member
// alike: what ZooKeeper's ZKDatabase and FileTxnSnapLog do together. Under it,
// impl/storage keeps bytes (txn log files, snapshot files, epoch files, with
// checksums, fsync and crash-atomic rewrites) and knows nothing of what they
// mean; this layer knows they hold txns that change a DataTree and snapshots
// of one, and keeps the rules that tie the two together.
//
// - `open` recovers (storage's recovery: the newest valid snapshot, the log
//   after it, a torn or corrupt tail cut off) and logs what recovery had to
//   skip or cut; `rebuildTree` (rebuild-tree.ts) makes a tree of the result.
// - `append` is the group commit: the promise resolves only once every txn
//   of the call is durable (fsynced, unless forceSync=no), and no caller
//   acknowledges a txn before then (ZAB paper §5.2: log to disk before
//   acknowledging; ZooKeeper's SyncRequestProcessor flushes before
//   FinalRequestProcessor replies, and before a follower ACKs). Group commit
//   happens twice over, on purpose: a caller hands over whatever accumulated
//   while its previous append was in flight, and the log merges the appends
//   of one turn of the event loop into one write + fsync. Each call is timed
//   for mntr's fsynctime.
// - A refused append (ENOSPC, EIO, or the log refusing appends after an
//   earlier failure) resolves with a TxnLogError; the first one is kept in
//   `failure`. The server must then stop without acknowledging anything of
//   it: acknowledging a write the disk refused would be a lie a restart would
//   expose.
// - `durableZxid` and `whenDurable` say how far the log is durable; the
//   snapshotter (snapshotter.ts) writes a snapshot at Z only once it is
//   durable up to Z.
// - For an ensemble member: `truncateAfter` (TRUNC, ZKDatabase.truncateLog),
//   `installSnapshot` (SNAP) and the epoch files, each durable when its
//   promise resolves.

import { hex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { storageOptionsFrom } from '../config/storage-options.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { durationSummary, recordDuration, type DurationSummary } from '../observability/duration-summary.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { EpochFileName } from '../storage/epoch-file.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import type { Recovery } from '../storage/recovery.ts';
import type { StorageError } from '../storage/storage-error.ts';
import { Storage } from '../storage/storage.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { Snapshotter, type Snapshot } from './snapshotter.ts';

/** A txn as it is logged: its zxid and the bytes of TxnHeader + txn record (tree/txn.ts encodes them). The peer core's PeerTxn has this shape. */
export interface LoggedTxn {
  readonly zxid: bigint;
  readonly data: Uint8Array;
}

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

/**
 * What a server's fatal line says when the disk is full (ENOSPC, or EDQUOT: a
 * quota): the refused write was not acknowledged, and the server stops rather
 * than go on past a log tail it cannot vouch for. The next start's recovery
 * cuts a torn tail; nothing acknowledged is in it.
 */
export const diskFullAdvice =
  'the disk is full: stopping the server without acknowledging the write (everything acknowledged before it is on disk); free space under dataDir/dataLogDir, then restart';

/** Whether `text` (a StorageError's message, or a reason built from one) names a full disk. */
export function namesFullDisk(text: string): boolean {
  return /\b(ENOSPC|EDQUOT)\b/.test(text);
}

export type DatabaseOptions = {
  readonly log: StructuredLogger;
  /** The file system under storage; tests inject faults (a full disk) here. */
  readonly fs?: FsLayer;
  /** Seed of the snapshot schedule's jitter, for reproducible tests. */
  readonly snapshotSeed?: number;
  /**
   * Called each time the schedule says a snapshot is due, and again after a
   * snapshot if it already is; the owner answers with `snapshotIfDue(tree)`
   * when its tree may be snapshotted. Without it the owner asks at moments of
   * its choosing (an ensemble member, after each committed txn).
   */
  readonly onSnapshotDue?: () => void;
};

export class Database {
  private durable: bigint;
  private closing = false;
  private waiters: { readonly zxid: bigint; readonly resolve: (durable: boolean) => void }[] = [];
  private readonly snapshotter: Snapshotter;
  private firstFailure: TxnLogError | undefined;
  /** Milliseconds from handing txns to the log to the last of them being durable (write + fsync). */
  readonly fsyncTimeMs: DurationSummary = durationSummary();

  private constructor(
    readonly storage: Storage,
    log: StructuredLogger,
    onSnapshotDue: (() => void) | undefined,
  ) {
    this.durable = storage.lastLoggedZxid;
    this.snapshotter = new Snapshotter(storage, this, log, onSnapshotDue);
  }

  /** Recovers dataDir / dataLogDir; returns the database with what recovery found, for the caller to rebuild from. */
  static async open(config: ZooKeeperConfig, options: DatabaseOptions): Promise<Result<{ readonly database: Database; readonly recovery: Recovery }, string>> {
    const { log, onSnapshotDue } = options;
    const opened = await Storage.open({
      ...storageOptionsFrom(config),
      ...(options.fs === undefined ? {} : { fs: options.fs }),
      ...(options.snapshotSeed === undefined ? {} : { snapshotSeed: options.snapshotSeed }),
      log,
      ...(onSnapshotDue === undefined ? {} : { onSnapshotDue }),
    });
    if (!opened.ok) return err(`cannot recover ${config.dataDir}: ${opened.error.message}`);
    const { storage, recovery } = opened.value;
        if (recovery.truncation !== undefined) {
      const t = recovery.truncation;
      log('warn', 'log-truncated', {
        name: t.name,
        reason: t.stop.reason,
        offset: t.stop.offset,
        keptBytes: t.keptBytes,
        discardedBytes: t.discardedBytes,
        setAside: t.setAside,
        message: 'the txn log was damaged; the bytes after its last good record were discarded'
      });
    }
    return ok({ database: new Database(storage, log, onSnapshotDue), recovery });
  }

  /** The first append the log refused; every later one is refused too. */
  get failure(): TxnLogError | undefined {
    return this.firstFailure;
  }

  /** The highest zxid known durable. */
  get durableZxid(): bigint {
    return this.durable;
  }

  /** Milliseconds to serialise and write each snapshot (mntr's snapshottime). */
  get snapshotTimeMs(): DurationSummary {
    return this.snapshotter.snapshotTimeMs;
  }

  /** Logs `txns` (in zxid order, above every txn logged before); resolves ok once all of them are durable. */
  async append(txns: readonly LoggedTxn[]): Promise<Result<void, TxnLogError>> {
    if (txns.length === 0) return ok(undefined);
    const startedAtMs = performance.now();
    const results = await Promise.all(txns.map((txn) => this.storage.append(txn.zxid, txn.data)));
    for (let i = 0; i < results.length; i++) {
      const result = results[i]!;
      if (!result.ok) {
        const error = new TxnLogError(txns[i]!.zxid, result.error);
        this.firstFailure ??= error;
        this.stopWaiters();
        return err(error);
      }
    }
    recordDuration(this.fsyncTimeMs, performance.now() - startedAtMs);
    this.advance(txns[txns.length - 1]!.zxid);
    return ok(undefined);
  }

  /** Resolves true once `zxid` is durable, false if the log fails or closes first. */
  whenDurable(zxid: bigint): Promise<boolean> {
    if (zxid <= this.durable) return Promise.resolve(true);
    if (this.firstFailure !== undefined || this.closing) return Promise.resolve(false);
    return new Promise((resolve) => this.waiters.push({ zxid, resolve }));
  }

  /** Waits until every append issued so far is durable. */
  async flush(): Promise<Result<void, string>> {
    const flushed = await this.storage.flush();
    if (!flushed.ok) return err(flushed.error.message);
    this.advance(this.storage.lastLoggedZxid);
    return ok(undefined);
  }

  /**
   * If the schedule says a snapshot is due and none is under way, snapshots
   * `tree` (snapshotter.ts: serialised now, written once the log is durable
   * up to its zxid). Resolves with the snapshot written, or undefined.
   */
  snapshotIfDue(tree: DataTree): Promise<Snapshot | undefined> {
    return this.snapshotter.snapshotIfDue(tree);
  }

  /**
   * The standalone server's kind: a fuzzy snapshot of its live tree,
   * serialised a slice at a time without stalling requests (snapshotter.ts).
   * Resolves with the zxid replay starts from once written, or undefined.
   */
  fuzzySnapshotIfDue(tree: DataTree): Promise<bigint | undefined> {
    return this.snapshotter.fuzzySnapshotIfDue(tree);
  }

  /** TRUNC (ZKDatabase.truncateLog): drops every logged txn after `zxid`, once the appends in flight are durable. */
  async truncateAfter(zxid: bigint): Promise<Result<void, string>> {
    const flushed = await this.flush();
    if (!flushed.ok) return flushed;
    const snapshotZxid = this.storage.lastSnapshotZxid;
    if (zxid < snapshotZxid) return err(`cannot truncate to ${hex(zxid)}: the snapshot is at ${hex(snapshotZxid)}`);
    const truncated = await this.storage.truncateAfter(zxid);
    if (!truncated.ok) return err(`truncating the log after ${hex(zxid)} failed: ${truncated.error.message}`);
    this.durable = this.storage.lastLoggedZxid;
    return ok(undefined);
  }

  /** SNAP: the leader's tree replaces our whole history, on disk before anything after it is acked. */
  async installSnapshot(zxid: bigint, blob: Uint8Array): Promise<Result<void, string>> {
    const flushed = await this.flush();
    if (!flushed.ok) return flushed;
    const installed = await this.storage.installSnapshot(zxid, blob);
    if (!installed.ok) return err(`installing snapshot ${hex(zxid)} failed: ${installed.error.message}`);
    this.durable = zxid;
    return ok(undefined);
  }

  /** An epoch file (acceptedEpoch, currentEpoch); undefined when it does not exist yet (a new member). */
  async readEpoch(name: EpochFileName): Promise<Result<number | undefined, string>> {
    const read = await this.storage.readEpoch(name);
    if (!read.ok) return err(`cannot read ${name}: ${read.error.message}`);
    return ok(read.value === undefined ? undefined : Number(read.value));
  }

  /** Replaces an epoch file; resolves once the new value is durable. */
  async writeEpoch(name: EpochFileName, epoch: number): Promise<Result<void, string>> {
    const written = await this.storage.writeEpoch(name, BigInt(epoch));
    if (!written.ok) return err(`cannot write ${name} ${epoch}: ${written.error.message}`);
    return ok(undefined);
  }

  /** Waits for a snapshot under way, takes no more, and closes the log once its pending appends are done. */
  async close(): Promise<void> {
    await this.snapshotter.stop();
    this.closing = true;
    this.stopWaiters();
    await this.storage.close();
  }

  private advance(zxid: bigint): void {
    if (zxid > this.durable) this.durable = zxid;
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.zxid <= this.durable) waiter.resolve(true);
      else still.push(waiter);
    }
    this.waiters = still;
  }

  /** No more txns will become durable (the log failed, or the server is closing). */
  private stopWaiters(): void {
    for (const waiter of this.waiters.splice(0)) waiter.resolve(false);
  }
}
