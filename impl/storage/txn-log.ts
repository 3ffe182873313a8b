// The txn log writer: appends records and acknowledges each only after it is
// on stable storage, with group commit.
//
// Why group commit: an fsync costs a disk round trip (milliseconds on most
// disks), so one fsync per txn caps a server at a few hundred writes per
// second. ZooKeeper's SyncRequestProcessor batches whatever requests queued up
// while the previous flush ran into one write and one fsync (`toFlush`,
// `flush()`); we do the same: while a flush is in flight, new appends wait in
// `pending`, and the next flush takes them all. A burst of appends made in the
// same turn of the event loop also lands in one flush, because flushing starts
// on a microtask.
//
// Order of effects for each batch: write the records, fsync the file (and its
// directory if the file is new), and only then resolve the appends (ZAB paper
// §5.2: a follower ACKs a proposal only after it is logged to disk; for a
// standalone server the client reply plays the ACK's role). forceSync=no skips
// both fsyncs, as ZooKeeper's zookeeper.forceSync does, and is then only as
// durable as the page cache.
//
// Preallocation and fdatasync: like ZooKeeper's FileTxnLog (preAllocSize and
// FileChannel.force(false)), a log file is extended in blocks of
// `preAllocBytes` ahead of the records, so that most appends neither change the
// file's size nor allocate blocks, and it is forced with fdatasync, which then
// writes the data alone. We fill the blocks with zeros (ZooKeeper writes one
// byte at the block's end, a sparse file, which measured no faster than plain
// growth here) in 4 MiB blocks rather than 64 MiB, so the batch that pays for
// a block waits for 4 MiB of zeros, not 64. The unwritten part reads as
// zeros; recovery takes an all-zero record header followed by nothing but
// zeros as the end of the log (record-format.ts). A clean close trims the
// file back to its last record. The directory is still fsynced when a file is
// created.
//
// Rolling: a new file starts when the current one reaches `logBytesMax` or
// after a snapshot (ZooKeeper rolls in SyncRequestProcessor before each
// snapshot so that purging whole files frees space). A new file is named after
// its first zxid. A write or fsync error poisons the writer: the bytes on disk
// past the last acknowledged record are then unknown, so every later append
// fails fast until a restart runs recovery, which truncates the torn tail.
// ZooKeeper makes the same choice by exiting on a log IOException.

import { assert } from '../../lib/assert.ts';
import { encodeLogHeader, encodeRecordInto, logHeaderBytes, recordBytes } from './record-format.ts';
import { logFileName } from './file-names.ts';
import { hex } from '../../lib/hex.ts';
import { writeFully, writeFullyNow, type FileHandleLike, type FsLayer } from './fs-layer.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { ioError, type StorageError } from './storage-error.ts';
import { type StorageLog, storageErrorFields } from './storage-log.ts';

export type TxnLogOptions = {
  readonly fs: FsLayer;
  /** The `version-2` directory the log files live in. */
  readonly logDir: string;
  readonly forceSync: boolean;
  /** Roll to a new file once the current one holds at least this many bytes. */
  readonly logBytesMax: number;
  /** Bound on the bytes written by one flush; a larger backlog takes several flushes. */
  readonly batchBytesMax: number;
  /** Extend the file in blocks of this many bytes ahead of the records (0: never preallocate). */
  readonly preAllocBytes?: number;
  /** The last zxid recovery found on disk; appends must go above it. */
  readonly lastLoggedZxid: bigint;
  readonly log: StorageLog;
};

type PendingAppend = {
  readonly zxid: bigint;
  readonly payload: Uint8Array;
  readonly resolve: (result: Result<void, StorageError>) => void;
};

/**
 * The largest batch written on the event loop's own thread (fs-layer.ts
 * writeNow): a write into the page cache of up to this much takes tens of
 * microseconds; a larger one (a backlog after a slow fsync) goes to the pool.
 */
const writeNowBytesMax = 64 * 1024;

/** `sizeBytes` ends at the last record; `allocatedBytes` is the file's length, zeros past sizeBytes. */
type OpenLogFile = { readonly path: string; readonly handle: FileHandleLike; sizeBytes: number; allocatedBytes: number };

export class TxnLogWriter {
  private readonly options: TxnLogOptions;
  private pending: PendingAppend[] = [];
  private flushing: Promise<void> | undefined;
  private current: OpenLogFile | undefined;
  private rollRequested = false;
  private failure: StorageError | undefined;
  private lastAppendedZxid: bigint;
  private lastDurableZxid: bigint;
  /** Counters for metrics and for tests of group commit. */
  private flushCount = 0;
  private appendCount = 0;
  /** Appends whose promise has not resolved yet. */
  private unresolvedAppends = 0;

  constructor(options: TxnLogOptions) {
    assert(options.logBytesMax > 0 && options.batchBytesMax > 0, `bad log bounds ${options.logBytesMax}/${options.batchBytesMax}`);
    this.options = options;
    this.lastAppendedZxid = options.lastLoggedZxid;
    this.lastDurableZxid = options.lastLoggedZxid;
  }

  /** The highest zxid whose record is durable (acknowledged or about to be). */
  get lastLoggedZxid(): bigint {
    return this.lastDurableZxid;
  }

  get stats(): { readonly appends: number; readonly flushes: number } {
    return { appends: this.appendCount, flushes: this.flushCount };
  }

  /**
   * Logs one txn. Resolves ok once the record is fsynced (or written, with
   * forceSync off); resolves with an error if the disk refused it. Zxids must
   * strictly increase: a server that appends out of order has a bug.
   */
  append(zxid: bigint, payload: Uint8Array): Promise<Result<void, StorageError>> {
    assert(zxid > this.lastAppendedZxid, () => `append of zxid ${hex(zxid)} after ${hex(this.lastAppendedZxid)}`);
    this.lastAppendedZxid = zxid;
    this.appendCount++;
    if (this.failure !== undefined) return Promise.resolve(err(this.failedError()));
    this.unresolvedAppends++;
    return new Promise((resolve) => {
      const resolveOnce = (result: Result<void, StorageError>) => {
        this.unresolvedAppends--;
        resolve(result);
      };
      this.pending.push({ zxid, payload, resolve: resolveOnce });
      this.startFlushing();
    });
  }

  /** The next flush starts a new file (after a snapshot, so purge can drop whole files). */
  requestRoll(): void {
    this.rollRequested = true;
  }

  /**
   * Resolves once every append made before the call has been written and
   * fsynced, or refused: ok if the log is healthy, the writer's failure if not.
   * Appends made while waiting are waited for too (the loop runs until the
   * queue is empty).
   */
  async flush(): Promise<Result<void, StorageError>> {
    while (this.flushing !== undefined) await this.flushing;
    return this.failure === undefined ? ok(undefined) : err(this.failedError());
  }

  /**
   * Every append made so far has resolved (the flush loop may still be
   * finishing its turn; closeFile waits for it).
   */
  get isIdle(): boolean {
    return this.unresolvedAppends === 0;
  }

  /** The writer's failure as a refusal, if an earlier write failed. */
  get failed(): StorageError | undefined {
    return this.failure === undefined ? undefined : this.failedError();
  }

  /**
   * Closes the current file so that the log's files may be rewritten under
   * the writer (truncation, snapshot installation); the next append opens a
   * new file. The caller must have flushed: nothing may be in flight.
   */
  async closeFile(): Promise<void> {
    assert(this.isIdle, 'closeFile with appends in flight');
    while (this.flushing !== undefined) await this.flushing;
    await this.closeCurrent();
  }

  /**
   * Continues after the log was rewritten on disk: the next append must go
   * above `lastLoggedZxid`, which may be lower than before (a truncation).
   */
  restartAfter(lastLoggedZxid: bigint): void {
    assert(this.isIdle && this.flushing === undefined && this.current === undefined, 'restartAfter with an open file or appends in flight');
    assert(this.failure === undefined, 'restartAfter on a failed writer');
    this.lastAppendedZxid = lastLoggedZxid;
    this.lastDurableZxid = lastLoggedZxid;
    this.rollRequested = false;
  }

  /**
   * Refuses every later append: the files were left in a state only recovery
   * can settle (a rewrite failed halfway).
   */
  fail(error: StorageError): void {
    if (this.failure !== undefined) return;
    this.failure = error;
    this.options.log('error', 'txn-log-write-failed', { ...storageErrorFields(error), message: 'refusing further appends until restart' });
  }

  /** Waits for every pending append, then closes the current file. */
  async close(): Promise<void> {
    while (this.flushing !== undefined) await this.flushing;
    await this.closeCurrent();
  }

  private startFlushing(): void {
    if (this.flushing !== undefined) return;
    this.flushing = new Promise<void>((resolve) => queueMicrotask(resolve))
      .then(() => this.flushLoop())
      .finally(() => {
        this.flushing = undefined;
        // An append made after the loop's last look at `pending` but before
        // this callback found `flushing` set and left the flush to us.
        if (this.pending.length > 0) this.startFlushing();
      });
  }

  private async flushLoop(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.takeBatch();
      const result = await this.writeBatch(batch);
      if (result.ok) {
        this.lastDurableZxid = batch[batch.length - 1]!.zxid;
      } else {
        this.failure = result.error;
        this.options.log('error', 'txn-log-write-failed', { ...storageErrorFields(result.error), message: 'refusing further appends until restart' });
      }
      for (const append of batch) append.resolve(result);
      if (this.failure !== undefined) {
        const refused = this.pending;
        this.pending = [];
        for (const append of refused) append.resolve(err(this.failedError()));
        await this.closeCurrent();
        return;
      }
    }
  }

  /** Takes pending appends up to batchBytesMax (always at least one). */
  private takeBatch(): PendingAppend[] {
    let bytes = 0;
    let count = 0;
    while (count < this.pending.length) {
      const size = recordBytes(this.pending[count]!.payload);
      if (count > 0 && bytes + size > this.options.batchBytesMax) break;
      bytes += size;
      count++;
    }
    const batch = this.pending.slice(0, count);
    this.pending = this.pending.slice(count);
    return batch;
  }

  private async writeBatch(batch: readonly PendingAppend[]): Promise<Result<void, StorageError>> {
    const { fs, logDir, forceSync } = this.options;
    if (this.current !== undefined && (this.rollRequested || this.current.sizeBytes >= this.options.logBytesMax)) {
      await this.closeCurrent();
    }
    this.rollRequested = false;

    let isNewFile = false;
    let path = this.current?.path ?? `${logDir}/${logFileName(batch[0]!.zxid)}`;
    let bytes = 0;
    for (const append of batch) bytes += recordBytes(append.payload);
    const headerBytes = this.current === undefined ? logHeaderBytes : 0;
    const buffer = new Uint8Array(headerBytes + bytes);
    let offset = 0;
    if (headerBytes > 0) {
      buffer.set(encodeLogHeader(batch[0]!.zxid), 0);
      offset = headerBytes;
    }
    for (const append of batch) offset = encodeRecordInto(buffer, offset, append.zxid, append.payload);

    let op = 'open';
    try {
      if (this.current === undefined) {
        // 'w' truncates: a file of this name can only hold a torn header or
        // records recovery already rejected, since every valid record in it
        // would have a zxid at or above this one.
        this.current = { path, handle: await fs.open(path, 'w'), sizeBytes: 0, allocatedBytes: 0 };
        isNewFile = true;
      }
      const current = this.current;
      path = current.path;
      const preAllocBytes = this.options.preAllocBytes ?? 0;
      const endBytes = current.sizeBytes + buffer.length;
      if (preAllocBytes > 0 && current.handle.preallocate !== undefined && endBytes > current.allocatedBytes) {
        // FilePadding.padFile: grow to the next whole block past the new records.
        op = 'preallocate';
        const allocatedBytes = Math.ceil(endBytes / preAllocBytes) * preAllocBytes;
        await current.handle.preallocate(Math.max(current.allocatedBytes, current.sizeBytes), allocatedBytes);
        current.allocatedBytes = allocatedBytes;
      }
      op = 'write';
      if (current.handle.writeNow !== undefined && buffer.length <= writeNowBytesMax) writeFullyNow(current.handle.writeNow, buffer, current.sizeBytes);
      else await writeFully(current.handle, buffer, current.sizeBytes);
      current.sizeBytes = endBytes;
      if (forceSync) {
        op = 'fsync';
        if (current.handle.datasync !== undefined) await current.handle.datasync();
        else await current.handle.sync();
        if (isNewFile) {
          op = 'fsync directory of';
          await fs.syncDirectory(logDir);
        }
      }
      this.flushCount++;
      return ok(undefined);
    } catch (thrown) {
      return err(ioError(op, path, thrown));
    }
  }

  private async closeCurrent(): Promise<void> {
    const current = this.current;
    this.current = undefined;
    if (current === undefined) return;
    // Trim the preallocated zeros so a closed file ends at its last record. Not
    // fsynced: if the trim is lost in a crash, recovery reads the zeros as the
    // end of the log. Skipped after a failure, when sizeBytes may not match the disk.
    if (current.allocatedBytes > current.sizeBytes && this.failure === undefined && current.handle.truncate !== undefined) {
      try {
        await current.handle.truncate(current.sizeBytes);
      } catch (thrown) {
        this.options.log('warn', 'txn-log-trim-failed', storageErrorFields(ioError('trim', current.path, thrown)));
      }
    }
    try {
      await current.handle.close();
    } catch (thrown) {
      // The data was fsynced before any ack; a failing close loses nothing we promised.
      this.options.log('warn', 'txn-log-close-failed', storageErrorFields(ioError('close', current.path, thrown)));
    }
  }

  private failedError(): StorageError {
    assert(this.failure !== undefined, 'failedError without a failure');
    return { kind: 'failed', message: `txn log is failed after an earlier error: ${this.failure.message}`, cause: this.failure };
  }
}
