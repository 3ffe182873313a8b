// A Raft member's durable state on disk: carries out a Ready's `persist`
// (impl/raft/ready.ts) and resolves only once it is on stable storage, so the
// driver writes `persisted(ready)`, and opens the outbox, only after the fsync.
// The role of etcd's raft.Storage with its WAL, over impl/storage's framing
// and FsLayer (storage-format.ts has the bytes, storage-recovery.ts the restart).
//
// A persist is carried out in the Ready's order, each part durable before the
// next starts, so that a crash anywhere leaves a state recovery accepts:
// 1. the hard state, replaced atomically (temp file, fsync, rename, directory fsync);
// 2. a snapshot, written the same way, then the log it makes redundant:
//    a compaction removes the segments wholly before the one holding the
//    snapshot's index; an installation removes every segment (highest first)
//    and starts a new one with the anchor record;
// 3. entries: the log cut before the first of them (segments after the cut
//    removed highest first, the segment holding it truncated and fsynced, or
//    removed when it starts there), then the records appended in one write to
//    the newest segment and fdatasynced. A segment is never reopened for
//    writing: a cut or a restart starts a new one.
//
// An operating error (ENOSPC, EIO) fails the persist with a StorageError and
// every later one with `failed`: the state on disk is then unknown until a
// restart recovers it, and acknowledging anything would be a lie.

import { assert } from '../../lib/assert.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { Persist } from '../raft/ready.ts';
import type { Entry, Snapshot } from '../raft/types.ts';
import { type FileHandleLike, type FsLayer, truncateAndSync, writeFileAtomically, writeFully } from '../storage/fs-layer.ts';
import { encodeLogHeader, encodeRecordInto, encodeSnapshot, logHeaderBytes, recordBytes } from '../storage/record-format.ts';
import { ioError, type StorageError } from '../storage/storage-error.ts';
import { encodeHardState, hardStateFileName, segmentName, snapshotName, withTerm } from './storage-format.ts';
import { type Recovered, recover, type Segment } from './storage-recovery.ts';

export interface RaftStorageOptions {
  /** A segment past this size is closed and the next append starts a new one (so compaction can remove whole files). */
  readonly segmentBytesMax: number;
  /** Zeros written ahead of the records, so that an fdatasync after an append writes data, not allocation metadata (txn-log.ts). 0: none. */
  readonly preallocateBytes: number;
}

export const defaultRaftStorageOptions: RaftStorageOptions = { segmentBytesMax: 64 * 1024 * 1024, preallocateBytes: 4 * 1024 * 1024 };

class Stop {
  constructor(readonly error: StorageError) {}
}

interface Active {
  readonly segment: Segment;
  readonly handle: FileHandleLike;
  preallocatedTo: number;
}

export class RaftStorage {
  #active: Active | undefined;
  #failed: StorageError | undefined;
  #snapshot: { index: number; term: number };
  #busy = false;

  private constructor(
    private readonly fs: FsLayer,
    readonly dir: string,
    private readonly options: RaftStorageOptions,
    private segments: Segment[],
    snapshot: { index: number; term: number },
  ) {
    this.#snapshot = snapshot;
  }

  /** Recovers `dir` (created when missing) and returns the storage with what the core restarts from. */
  static async open(fs: FsLayer, dir: string, options: Partial<RaftStorageOptions> = {}): Promise<Result<{ storage: RaftStorage } & Recovered, StorageError>> {
    const recovered = await recover(fs, dir);
    if (!recovered.ok) return recovered;
    const { stored, segments } = recovered.value;
    const storage = new RaftStorage(fs, dir, { ...defaultRaftStorageOptions, ...options }, segments, { index: stored.snapshot?.index ?? 0, term: stored.snapshot?.term ?? 0 });
    return ok({ storage, ...recovered.value });
  }

  /** The error that stopped this storage, if any. */
  get failure(): StorageError | undefined {
    return this.#failed;
  }

  /** Carries out `persist` durably; resolves once every part of it is fsynced. One at a time, in the Readys' order. */
  async persist(persist: Persist): Promise<Result<void, StorageError>> {
    assert(!this.#busy, 'RaftStorage.persist called while another persist is under way: Readys are carried out one at a time');
    if (this.#failed !== undefined) return err({ kind: 'failed', message: `the Raft log refuses writes after an earlier failure: ${this.#failed.message}`, cause: this.#failed });
    this.#busy = true;
    try {
      if (persist.hardState !== undefined) {
        const bytes = encodeHardState(persist.hardState.term, persist.hardState.vote);
        await this.call('write', `${this.dir}/${hardStateFileName}`, () => writeFileAtomically(this.fs, this.dir, hardStateFileName, bytes));
      }
      if (persist.snapshot !== undefined) await this.storeSnapshot(persist.snapshot.snapshot, persist.snapshot.replacesLog);
      if (persist.entries !== undefined && persist.entries.length > 0) await this.storeEntries(persist.entries);
      return ok(undefined);
    } catch (thrown) {
      const error = thrown instanceof Stop ? thrown.error : ioError('persist', this.dir, thrown);
      this.#failed = error;
      return err(error);
    } finally {
      this.#busy = false;
    }
  }

  /** Closes the newest segment's file. Nothing is lost: every persist was fsynced before it resolved. */
  async close(): Promise<void> {
    const active = this.#active;
    this.#active = undefined;
    await active?.handle.close().catch(() => undefined);
  }

  private async call<T>(op: string, path: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (thrown) {
      throw new Stop(ioError(op, path, thrown));
    }
  }

  private path(name: string): string {
    return `${this.dir}/${name}`;
  }

  private async storeSnapshot(snapshot: Snapshot, replacesLog: boolean): Promise<void> {
    const name = snapshotName(snapshot.index);
    const bytes = encodeSnapshot(BigInt(snapshot.index), withTerm(snapshot.term, snapshot.data));
    await this.call('write', this.path(name), () => writeFileAtomically(this.fs, this.dir, name, bytes));
    const olderSnapshots = this.#snapshot.index > 0 && this.#snapshot.index !== snapshot.index ? [snapshotName(this.#snapshot.index)] : [];
    this.#snapshot = { index: snapshot.index, term: snapshot.term };
    if (replacesLog) {
      await this.closeActive();
      await this.unlinkSegments(this.segments.length);
      await this.call('fsync directory', this.dir, () => this.fs.syncDirectory(this.dir));
      // The anchor: the new log starts at the snapshot's index with its term (storage-format.ts).
      await this.appendRecords([{ index: snapshot.index, term: snapshot.term, data: new Uint8Array(0) }]);
    } else {
      // Keep the segment holding the snapshot's index: its record there is what recovery checks the snapshot against.
      const holding = this.segments.findLastIndex((s) => s.first <= snapshot.index);
      for (const segment of this.segments.slice(0, Math.max(0, holding))) await this.call('unlink', this.path(segment.name), () => this.fs.unlink(this.path(segment.name)));
      this.segments = this.segments.slice(Math.max(0, holding));
    }
    for (const older of olderSnapshots) await this.call('unlink', this.path(older), () => this.fs.unlink(this.path(older)));
    await this.call('fsync directory', this.dir, () => this.fs.syncDirectory(this.dir));
  }

  private async storeEntries(entries: readonly Entry[]): Promise<void> {
    const from = entries[0]!.index;
    const last = this.lastIndex();
    assert(from <= last + 1, () => `entries from ${from} after the stored log's last index ${last}: a hole`);
    if (from <= last) await this.cutFrom(from);
    // A log that recovery emptied (it did not follow the snapshot) starts again with the anchor.
    const anchor = this.segments.length === 0 && this.#snapshot.index > 0 ? [{ index: this.#snapshot.index, term: this.#snapshot.term, data: new Uint8Array(0) }] : [];
    await this.appendRecords([...anchor, ...entries]);
  }

  private lastIndex(): number {
    const segment = this.segments.at(-1);
    return segment === undefined ? this.#snapshot.index : segment.first + segment.offsets.length - 1;
  }

  /** Deletes every stored record from index `from` on (a conflicting suffix, Figure 2's AppendEntries rule 3). */
  private async cutFrom(from: number): Promise<void> {
    await this.closeActive();
    const keep = this.segments.findIndex((s) => s.first >= from);
    const holding = keep === -1 ? this.segments.length - 1 : keep - 1;
    await this.unlinkSegments(this.segments.length - (keep === -1 ? this.segments.length : keep));
    // The segment holding `from` is now the last one; cut it there (it starts before `from`: one starting at it was removed).
    const segment = this.segments[holding];
    if (segment !== undefined && from - segment.first < segment.offsets.length) {
      const cut = segment.offsets[from - segment.first]!;
      await this.call('truncate', this.path(segment.name), () => truncateAndSync(this.fs, this.path(segment.name), cut));
      segment.offsets = segment.offsets.slice(0, from - segment.first);
      segment.end = cut;
    }
    await this.call('fsync directory', this.dir, () => this.fs.syncDirectory(this.dir));
  }

  /** Removes the newest `count` segments, the newest first, so that a crash part way leaves a prefix of the log. */
  private async unlinkSegments(count: number): Promise<void> {
    for (let k = 0; k < count; k++) {
      const segment = this.segments.pop()!;
      await this.call('unlink', this.path(segment.name), () => this.fs.unlink(this.path(segment.name)));
    }
  }

  private async closeActive(): Promise<void> {
    const active = this.#active;
    this.#active = undefined;
    if (active !== undefined) await this.call('close', this.path(active.segment.name), () => active.handle.close());
  }

  private async appendRecords(entries: readonly Entry[]): Promise<void> {
    const payloads = entries.map((e) => withTerm(e.term, e.data));
    const size = payloads.reduce((sum, p) => sum + recordBytes(p), 0);
    const active = this.#active !== undefined && this.#active.segment.end < this.options.segmentBytesMax ? this.#active : await this.startSegment(entries[0]!.index);
    const { segment, handle } = active;
    const bytes = new Uint8Array(size);
    let offset = 0;
    const offsets: number[] = [];
    for (const [k, e] of entries.entries()) {
      offsets.push(segment.end + offset);
      offset = encodeRecordInto(bytes, offset, BigInt(e.index), payloads[k]!);
    }
    const path = this.path(segment.name);
    const end = segment.end + size;
    if (this.options.preallocateBytes > 0 && handle.preallocate !== undefined && end > active.preallocatedTo) {
      const to = end + this.options.preallocateBytes;
      await this.call('preallocate', path, () => handle.preallocate!(active.preallocatedTo, to));
      active.preallocatedTo = to;
    }
    await this.call('write', path, () => writeFully(handle, bytes, segment.end));
    await this.call('fsync', path, () => (handle.datasync !== undefined ? handle.datasync() : handle.sync()));
    segment.offsets.push(...offsets);
    segment.end = end;
  }

  /** A new segment whose first record will be `first`: its header fsynced and its name in the directory before any record. */
  private async startSegment(first: number): Promise<Active> {
    await this.closeActive();
    const name = segmentName(first);
    const path = this.path(name);
    const handle = await this.call('open', path, () => this.fs.open(path, 'w'));
    const active: Active = { segment: { name, first, offsets: [], end: logHeaderBytes }, handle, preallocatedTo: logHeaderBytes };
    this.#active = active;
    this.segments.push(active.segment);
    await this.call('write', path, () => writeFully(handle, encodeLogHeader(BigInt(first)), 0));
    await this.call('fsync', path, () => handle.sync());
    await this.call('fsync directory', this.dir, () => this.fs.syncDirectory(this.dir));
    return active;
  }
}
