// Storage for one server: the txn log and snapshots under dataDir (the log
// under dataLogDir when set, as ZooKeeper advises for a dedicated log disk),
// the snapshot schedule, autopurge, and the epoch files. The server sees only
// opaque payloads and blobs; what a txn or a snapshot means is its business.
//
// Lifecycle: `Storage.open` recovers (recovery.ts) and returns what to replay;
// the server applies it, then appends each new txn and replies only when the
// append resolves ok. When `onSnapshotDue` fires, the server serialises its
// tree and calls `writeSnapshot` with the zxid it had applied when it began
// (a fuzzy snapshot: recovery replays the log from that zxid on).
//
// As a ZAB follower (ZAB paper §5.2, synchronisation) the server also
// rewrites its history on the leader's word: `truncateAfter` for TRUNC,
// `installSnapshot` for SNAP, each atomic across a crash (truncation.ts).

import { join } from 'node:path';
import { assert } from '../../lib/assert.ts';
import { encodeSnapshot, snapshotHeaderForPieces } from './record-format.ts';
import { crc32 } from './crc32.ts';
import { snapshotFileName, versionDirName } from './file-names.ts';
import { hex } from '../../lib/hex.ts';
import { nodeFs, writeFileAtomically, type FsLayer } from './fs-layer.ts';
import { purge, type PurgeReport } from './purge.ts';
import { recover, type Recovery } from './recovery.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { attempt, type StorageError } from './storage-error.ts';
import { rewrite, stageSnapshot, type Intent, type RewriteOutcome } from './truncation.ts';
import { SnapshotSchedule } from './snapshot-schedule.ts';
import { TxnLogWriter } from './txn-log.ts';
import { readLogAfter } from './log-reader.ts';
import type { LogRecord } from './record-format.ts';
import { readEpochFile, writeEpochFile, type EpochFileName } from './epoch-file.ts';
import { silentStorageLog, type StorageLog, storageErrorFields } from './storage-log.ts';

export type StorageOptions = {
  readonly dataDir: string;
  /** Where the txn log goes; defaults to dataDir. */
  readonly dataLogDir?: string | undefined;
  /** fsync before acknowledging (ZooKeeper's forceSync, default yes). */
  readonly forceSync?: boolean;
  /** Snapshot after snapCount/2..snapCount txns (ZooKeeper's default 100,000). */
  readonly snapCount?: number;
  /** Seed of the snapshot jitter; a random one when absent (see `snapshotSeed`). */
  readonly snapshotSeed?: number;
  /** false: snapshot after exactly snapCount txns. */
  readonly snapshotJitter?: boolean;
  /** Snapshots autopurge keeps (ZooKeeper's autopurge.snapRetainCount, default and minimum 3). */
  readonly snapRetainCount?: number;
  /** Hours between autopurges; 0 turns autopurge off (ZooKeeper's autopurge.purgeInterval). */
  readonly purgeIntervalHours?: number;
  /** Roll the log at this size (ZooKeeper preallocates 64 MiB files). */
  readonly logBytesMax?: number;
  readonly batchBytesMax?: number;
  /** Preallocate log files in zero-filled blocks of this many bytes (ZooKeeper's zookeeper.preAllocSize is 64 MiB); 0 turns it off. */
  readonly preAllocBytes?: number;
  /** How many txns at or below the snapshot recovery hands back for DIFFs (Recovery.recordsBeforeSnapshot). */
  readonly recordsBeforeSnapshotMax?: number;
  readonly fs?: FsLayer;
  readonly log?: StorageLog;
  /** Called once each time the schedule says a snapshot is due. */
  readonly onSnapshotDue?: () => void;
};

export const storageDefaults = {
  forceSync: true,
  snapCount: 100_000,
  snapRetainCount: 3,
  purgeIntervalHours: 0,
  logBytesMax: 64 * 1024 * 1024,
  batchBytesMax: 4 * 1024 * 1024,
  preAllocBytes: 4 * 1024 * 1024,
  recordsBeforeSnapshotMax: 500,
} as const;

const timerDelayMsMax = 2 ** 31 - 1;

export class Storage {
  /** The `version-2` directory holding snapshots and epoch files. */
  readonly snapDir: string;
  /** The `version-2` directory holding txn logs. */
  readonly logDir: string;
  /** The seed the snapshot schedule uses, for reproducing a run. */
  readonly snapshotSeed: number;
  private readonly fs: FsLayer;
  private readonly writer: TxnLogWriter;
  private readonly schedule: SnapshotSchedule;
  private readonly options: StorageOptions;
  private readonly log: StorageLog;
  private purgeTimer: ReturnType<typeof setInterval> | undefined;
  private purgeRunning: Promise<unknown> | undefined;
  private newestSnapshotZxid: bigint;
  /** Snapshot writes under way; a rewrite waits for them so that none lands after it. */
  private readonly snapshotWrites = new Set<Promise<unknown>>();
  /** A truncation or installation is under way: appends and snapshots must wait for it. */
  private isRewriting = false;

  private constructor(options: StorageOptions, fs: FsLayer, snapDir: string, logDir: string, recovery: Recovery) {
    this.options = options;
    this.fs = fs;
    this.snapDir = snapDir;
    this.logDir = logDir;
    this.log = options.log ?? silentStorageLog;
    this.newestSnapshotZxid = recovery.snapshot?.zxid ?? -1n;
    this.writer = new TxnLogWriter({
      fs,
      logDir,
      forceSync: options.forceSync ?? storageDefaults.forceSync,
      logBytesMax: options.logBytesMax ?? storageDefaults.logBytesMax,
      batchBytesMax: options.batchBytesMax ?? storageDefaults.batchBytesMax,
      preAllocBytes: options.preAllocBytes ?? storageDefaults.preAllocBytes,
      lastLoggedZxid: recovery.lastLoggedZxid,
      log: this.log,
    });
    this.snapshotSeed = options.snapshotSeed ?? Math.floor(Math.random() * 2 ** 32);
    this.schedule = new SnapshotSchedule(options.snapCount ?? storageDefaults.snapCount, this.snapshotSeed, options.snapshotJitter ?? true);
    const purgeIntervalHours = options.purgeIntervalHours ?? storageDefaults.purgeIntervalHours;
    if (purgeIntervalHours > 0) {
      // Node turns a delay above 2^31-1 ms (24.8 days) into 1 ms, which would
      // purge continuously; a longer interval is run every 24.8 days instead.
      const intervalMs = Math.min(purgeIntervalHours * 3_600_000, timerDelayMsMax);
      if (intervalMs < purgeIntervalHours * 3_600_000) this.log('warn', 'autopurge-interval-capped', { purgeIntervalHours, intervalMs, message: 'autopurge interval longer than a timer allows' });
      this.purgeTimer = setInterval(() => void this.autopurge(), intervalMs);
      this.purgeTimer.unref();
    }
  }

  /** Recovers the directories and returns the storage with what the server must replay. */
  static async open(options: StorageOptions): Promise<Result<{ readonly storage: Storage; readonly recovery: Recovery }, StorageError>> {
    const fs = options.fs ?? nodeFs;
    const snapDir = join(options.dataDir, versionDirName);
    const logDir = join(options.dataLogDir ?? options.dataDir, versionDirName);
    const log = options.log ?? silentStorageLog;
    const recovered = await recover(fs, snapDir, logDir, log, options.recordsBeforeSnapshotMax ?? storageDefaults.recordsBeforeSnapshotMax);
    if (!recovered.ok) return recovered;
    const storage = new Storage(options, fs, snapDir, logDir, recovered.value);
    return ok({ storage, recovery: recovered.value });
  }

  /** The highest zxid that is durable on disk (acknowledged appends, or the recovered history). */
  get lastLoggedZxid(): bigint {
    return this.writer.lastLoggedZxid;
  }

  get logStats(): { readonly appends: number; readonly flushes: number } {
    return this.writer.stats;
  }

  /** The zxid of the newest snapshot written or recovered, -1 if none. */
  get lastSnapshotZxid(): bigint {
    return this.newestSnapshotZxid;
  }

  get isSnapshotDue(): boolean {
    return this.schedule.isDue;
  }

  /** Logs one txn; resolves ok only once it is durable. See TxnLogWriter.append. */
  append(zxid: bigint, payload: Uint8Array): Promise<Result<void, StorageError>> {
    assert(!this.isRewriting, () => `append of zxid ${hex(zxid)} while the log is being truncated or replaced`);
    const result = this.writer.append(zxid, payload);
    if (this.schedule.countTxn() && this.options.onSnapshotDue !== undefined) {
      const onSnapshotDue = this.options.onSnapshotDue;
      queueMicrotask(onSnapshotDue);
    }
    return result;
  }

  /**
   * Writes a snapshot of the state at `zxid` (temp file, fsync, rename,
   * directory fsync) and rolls the log so that purge can later drop whole
   * files. The schedule restarts when this is called, whatever the outcome,
   * so a failing disk is not asked for a snapshot after every txn. Refused
   * (kind `refused`) while truncateAfter or installSnapshot runs; those wait
   * for a snapshot already being written, then treat it as any other.
   */
  writeSnapshot(zxid: bigint, blob: Uint8Array): Promise<Result<void, StorageError>> {
    return this.writeSnapshotContent(zxid, blob, blob.length);
  }

  /** `content` is the blob, or the file's bytes already encoded in pieces (writeSnapshotPieces). */
  private async writeSnapshotContent(zxid: bigint, content: Uint8Array | readonly Uint8Array[], blobLength: number): Promise<Result<void, StorageError>> {
    assert(zxid >= 0n, `negative snapshot zxid ${zxid}`);
    // Its tree predates the rewrite: landing after it, it could bring back
    // discarded txns or sit under an installed snapshot as a fallback.
    if (this.isRewriting) return err({ kind: 'refused', message: `snapshot at ${hex(zxid)} refused: the log is being truncated or replaced` });
    const writing = this.writeSnapshotNow(zxid, content, blobLength);
    this.snapshotWrites.add(writing);
    try {
      return await writing;
    } finally {
      this.snapshotWrites.delete(writing);
    }
  }

  /**
   * writeSnapshot for a blob in pieces, as a fuzzy snapshot's slices come
   * (database/snapshotter.ts): the checksum is computed a piece at a time,
   * yielding the event loop every `sliceMs`, and the pieces are written one
   * after the other, so a large snapshot never stalls the server for a copy or
   * a checksum of the whole.
   */
  async writeSnapshotPieces(zxid: bigint, pieces: readonly Uint8Array[], sliceMs: number): Promise<Result<void, StorageError>> {
    if (this.isRewriting) return err({ kind: 'refused', message: `snapshot at ${hex(zxid)} refused: the log is being truncated or replaced` });
    let blobLength = 0;
    for (const piece of pieces) blobLength += piece.length;
    const { header, checksumStart, seal } = snapshotHeaderForPieces(zxid, blobLength);
    let sum = checksumStart;
    let sliceStart = performance.now();
    for (const piece of pieces) {
      sum = crc32(piece, sum);
      if (performance.now() - sliceStart < sliceMs) continue;
      await new Promise<void>((resolve) => setImmediate(resolve));
      sliceStart = performance.now();
    }
    seal(sum);
    // A truncation or installation may have begun while the checksum was taken: writeSnapshotContent checks again.
    return this.writeSnapshotContent(zxid, [header, ...pieces], blobLength);
  }

  private async writeSnapshotNow(zxid: bigint, content: Uint8Array | readonly Uint8Array[], blobLength: number): Promise<Result<void, StorageError>> {
    this.schedule.reset();
    this.writer.requestRoll();
    const name = snapshotFileName(zxid);
    const written = await attempt('write snapshot', `${this.snapDir}/${name}`, () =>
      writeFileAtomically(this.fs, this.snapDir, name, content instanceof Uint8Array ? encodeSnapshot(zxid, content) : content),
    );
    if (written.ok) {
      if (zxid > this.newestSnapshotZxid) this.newestSnapshotZxid = zxid;
      this.log('info', 'snapshot-file-written', { zxid, path: `${this.snapDir}/${name}`, bytes: blobLength });
    }
    return written;
  }

  /**
   * Resolves once every append made so far is durable, or refused: ok, or
   * the error that stopped the log (then every later append fails too).
   */
  flush(): Promise<Result<void, StorageError>> {
    return this.writer.flush();
  }

  /**
   * TRUNC (ZAB §5.2; ZooKeeper's ZKDatabase.truncateLog): deletes every
   * logged txn and every snapshot above `zxid`, durably and atomically across
   * a crash (truncation.ts). Afterwards `lastLoggedZxid` is the last remaining
   * record's zxid or the newest remaining snapshot's, whichever is higher (0
   * for nothing), and appends continue above it. A no-op, touching no file,
   * when nothing on disk is above `zxid`.
   *
   * The caller must have flushed: an append in flight is a programmer error
   * (its acknowledgement would promise a txn this then deletes). An error may
   * leave the files half-rewritten: the log then refuses appends until a
   * restart, whose recovery finishes the truncation if its intent became
   * durable. Either way the server's in-memory state may still hold the
   * discarded txns and must be rebuilt without them, as ZooKeeper reloads its
   * database after truncateLog.
   */
  async truncateAfter(zxid: bigint): Promise<Result<void, StorageError>> {
    assert(zxid >= 0n, `negative truncation zxid ${zxid}`);
    assert(this.writer.isIdle, () => `truncateAfter(${hex(zxid)}) with appends in flight: call flush first`);
    assert(!this.isRewriting, () => `truncateAfter(${hex(zxid)}) during another truncation or installation`);
    const failed = this.writer.failed;
    if (failed !== undefined) return err(failed);
    if (zxid >= this.writer.lastLoggedZxid && zxid >= this.newestSnapshotZxid) return ok(undefined);
    return this.rewriteHistory({ kind: 'truncate', zxid }, undefined);
  }

  /**
   * SNAP (ZAB §5.2): replaces the whole history with the leader's snapshot
   * at `zxid`. Waits for appends made before the call, then, atomically
   * across a crash (truncation.ts), puts the snapshot in place and deletes
   * every other snapshot and every log file, those at or below `zxid`
   * included: nothing from before the SNAP can ever be replayed over it, and
   * if this snapshot later fails its checksum, `Storage.open` returns a `gap`
   * error rather than fall back on an older branch. Afterwards
   * `lastLoggedZxid` and `lastSnapshotZxid` are `zxid`. An error while
   * staging the snapshot changes nothing; an error after it leaves the log
   * refusing appends until a restart, as for truncateAfter.
   */
  async installSnapshot(zxid: bigint, blob: Uint8Array): Promise<Result<void, StorageError>> {
    assert(zxid >= 0n, `negative snapshot zxid ${zxid}`);
    assert(!this.isRewriting, () => `installSnapshot(${hex(zxid)}) during another truncation or installation`);
    const flushed = await this.flush();
    if (!flushed.ok) return flushed;
    this.schedule.reset();
    const result = await this.rewriteHistory({ kind: 'install', zxid }, blob);
    if (result.ok) this.log('info', 'snapshot-installed', { zxid, bytes: blob.length });
    return result;
  }

  /** Runs one rewrite with the writer stopped, and restarts the writer after it. */
  private async rewriteHistory(intent: Intent, blob: Uint8Array | undefined): Promise<Result<void, StorageError>> {
    this.isRewriting = true;
    try {
      // Nothing else may touch the files meanwhile: a snapshot of the old
      // history landing after the rewrite would be loaded by the next recovery.
      while (this.snapshotWrites.size > 0) await Promise.allSettled([...this.snapshotWrites]);
      if (this.purgeRunning !== undefined) await this.purgeRunning;
      await this.writer.closeFile();
      const dirs = { fs: this.fs, snapDir: this.snapDir, logDir: this.logDir };
      if (blob !== undefined) {
        // Before the intent: a failure here changes nothing recovery reads.
        const staged = await stageSnapshot(dirs, intent.zxid, encodeSnapshot(intent.zxid, blob));
        if (!staged.ok) return staged;
      }
      const rewritten: Result<RewriteOutcome, StorageError> = await rewrite(dirs, intent);
      if (!rewritten.ok) {
        this.writer.fail(rewritten.error);
        return rewritten;
      }
      const outcome = rewritten.value;
      this.writer.restartAfter(outcome.lastLoggedZxid);
      this.newestSnapshotZxid = outcome.newestSnapshotZxid;
      this.log('info', 'history-rewritten', {
        kind: intent.kind,
        zxid: intent.zxid,
        lastLoggedZxid: outcome.lastLoggedZxid,
        cutLog: outcome.cut?.name,
        cutToBytes: outcome.cut?.keptBytes,
        deletedLogs: outcome.deletedLogs,
        deletedSnapshots: outcome.deletedSnapshots,
      });
      return ok(undefined);
    } finally {
      this.isRewriting = false;
    }
  }

  /**
   * The durable txns above `afterZxid`, read back from the log files (for a
   * leader's DIFF, ZAB §5.2), or `undefined` when the files cannot show them
   * as a whole run right after `afterZxid` (it was purged, lies before an
   * installed snapshot, or is above `lastLoggedZxid`), or when there are more
   * than `recordsMax`: the peer then needs a SNAP. `afterZxid` equal to
   * `lastLoggedZxid` gives none. Appends may go on meanwhile; only those
   * already durable are read.
   */
  readLog(afterZxid: bigint, recordsMax = Number.POSITIVE_INFINITY): Promise<Result<readonly LogRecord[] | undefined, StorageError>> {
    assert(!this.isRewriting, () => `readLog(${hex(afterZxid)}) while the log is being truncated or replaced`);
    return readLogAfter(this.fs, this.logDir, afterZxid, this.writer.lastLoggedZxid, this.newestSnapshotZxid, recordsMax);
  }

  /** Deletes snapshots and logs beyond the retention (see purge.ts). */
  purge(): Promise<Result<PurgeReport, StorageError>> {
    return purge(this.fs, this.snapDir, this.logDir, this.options.snapRetainCount ?? storageDefaults.snapRetainCount);
  }

  readEpoch(name: EpochFileName): Promise<Result<bigint | undefined, StorageError>> {
    return readEpochFile(this.fs, this.snapDir, name);
  }

  writeEpoch(name: EpochFileName, epoch: bigint): Promise<Result<void, StorageError>> {
    return writeEpochFile(this.fs, this.snapDir, name, epoch);
  }

  /** Stops autopurge, waits for pending appends, closes the log. */
  async close(): Promise<void> {
    if (this.purgeTimer !== undefined) clearInterval(this.purgeTimer);
    this.purgeTimer = undefined;
    if (this.purgeRunning !== undefined) await this.purgeRunning;
    await this.writer.close();
  }

  private async autopurge(): Promise<void> {
    if (this.purgeRunning !== undefined) return; // the previous run is still going: skip, do not pile up
    if (this.isRewriting) return; // the files are being rewritten; the next interval purges
    this.purgeRunning = this.purge();
    const result = (await this.purgeRunning) as Result<PurgeReport, StorageError>;
    this.purgeRunning = undefined;
    if (!result.ok) this.log('error', 'autopurge-failed', storageErrorFields(result.error));
    else if (result.value.deletedSnapshots.length + result.value.deletedLogs.length > 0) {
      this.log('info', 'autopurge-deleted', { deletedSnapshots: result.value.deletedSnapshots, deletedLogs: result.value.deletedLogs });
    }
  }
}
