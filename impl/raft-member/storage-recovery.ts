// Recovery of a Raft member's durable state (storage-format.ts) after a clean
// stop or a crash: what the core restarts from (impl/raft's `Stored`), and
// where every log record sits on disk, so the log can later be cut by index.
//
// The rules, and why:
// - A record cut short at the end of the last segment is a torn tail: the
//   write that made it was never fsynced, so no Ready that depended on it was
//   carried out (raft-storage.ts fsyncs before the receipt). It is cut off.
// - Any other damage (a bad checksum, a torn record in an earlier segment, a
//   hole in the indexes, a damaged hard state or newest snapshot) is an error
//   that stops the member: those bytes were fsynced, so a vote or an
//   acknowledgement may have been sent for them, and forgetting them could
//   let two leaders commit different entries at one index.
// - Entries after the snapshot are kept only when the log holds the
//   snapshot's (index, term) (storage-format.ts: the anchor).

import { err, ok, type Result } from '../../lib/result.ts';
import { type Entry, type HardState, NONE, type Snapshot } from '../raft/types.ts';
import type { Stored } from '../raft/node.ts';
import { truncateAndSync, type FsLayer } from '../storage/fs-layer.ts';
import { decodeSnapshot, isAllZero, logHeaderBytes, recordHeaderBytes, scanLog, type ScanStop } from '../storage/record-format.ts';
import { attempt, ioError, type StorageError } from '../storage/storage-error.ts';
import { decodeHardState, hardStateFileName, indexedNames, segmentPrefix, snapshotPrefix, splitTerm } from './storage-format.ts';

/** A log segment on disk: `offsets[k]` is where the record of index first + k starts; `end` the bytes of valid records. */
export interface Segment {
  readonly name: string;
  readonly first: number;
  offsets: number[];
  end: number;
}

export interface RecoveryReport {
  /** A torn tail cut off the last segment. */
  readonly tornTail?: { readonly name: string; readonly offset: number; readonly reason: ScanStop['reason']; readonly discardedBytes: number };
  /** Entries dropped because the log did not hold the snapshot's (index, term). */
  readonly droppedAfterSnapshot?: number;
  /** Leftover files removed: `.tmp` files, empty segments, snapshots older than the newest. */
  readonly removed: readonly string[];
}

export interface Recovered {
  readonly stored: Stored;
  readonly segments: Segment[];
  readonly report: RecoveryReport;
}

class Stop {
  constructor(readonly error: StorageError) {}
}

/** Reads the state in `dir` (created when missing), repairing only what a crash can leave: a torn tail, leftover temporary files. */
export async function recover(fs: FsLayer, dir: string): Promise<Result<Recovered, StorageError>> {
  try {
    return ok(await recoverOrStop(fs, dir));
  } catch (thrown) {
    if (thrown instanceof Stop) return err(thrown.error);
    return err(ioError('recover', dir, thrown));
  }
}

async function call<T>(op: string, path: string, run: () => Promise<T>): Promise<T> {
  const result = await attempt(op, path, run);
  if (!result.ok) throw new Stop(result.error);
  return result.value;
}

const corrupt = (path: string, message: string) => new Stop({ kind: 'corrupt', path, message: `${path}: ${message}` });

async function recoverOrStop(fs: FsLayer, dir: string): Promise<Recovered> {
  await call('mkdir', dir, () => fs.mkdir(dir));
  const names = await call('list', dir, () => fs.readdir(dir));
  const removed: string[] = [];
  for (const name of names.filter((n) => n.endsWith('.tmp'))) {
    await call('unlink', `${dir}/${name}`, () => fs.unlink(`${dir}/${name}`));
    removed.push(name);
  }
  const hardState = await readHardState(fs, dir, names);
  const snapshot = await readNewestSnapshot(fs, dir, names, removed);
  const scanned = await readSegments(fs, dir, names, removed);
  let { segments, entries } = scanned;
  let droppedAfterSnapshot: number | undefined;
  if (snapshot !== undefined) {
    const atSnapshot = entries.find((e) => e.index === snapshot.index);
    if (atSnapshot?.term !== snapshot.term) {
      // An installation cut short, or a log that never reached the snapshot: what follows does not follow it.
      droppedAfterSnapshot = entries.filter((e) => e.index > snapshot.index).length;
      for (const segment of [...segments].reverse()) await call('unlink', `${dir}/${segment.name}`, () => fs.unlink(`${dir}/${segment.name}`));
      segments = [];
      entries = [];
    }
  } else if (entries.length > 0 && entries[0]!.index !== 1) {
    throw corrupt(`${dir}/${segments[0]!.name}`, `the log starts at index ${entries[0]!.index} without a snapshot before it`);
  }
  if (removed.length > 0 || droppedAfterSnapshot !== undefined) await call('fsync directory', dir, () => fs.syncDirectory(dir));
  const after = entries.filter((e) => e.index > (snapshot?.index ?? 0));
  return {
    stored: { hardState, snapshot, entries: after },
    segments,
    report: { ...(scanned.tornTail ? { tornTail: scanned.tornTail } : {}), ...(droppedAfterSnapshot !== undefined ? { droppedAfterSnapshot } : {}), removed },
  };
}

async function readHardState(fs: FsLayer, dir: string, names: readonly string[]): Promise<HardState> {
  if (!names.includes(hardStateFileName)) return { term: 0, vote: NONE };
  const path = `${dir}/${hardStateFileName}`;
  const decoded = decodeHardState(await call('read', path, () => fs.readFile(path)));
  if (!decoded.ok) throw corrupt(path, `the term and vote cannot be read back (${decoded.reason}); a member that forgot its vote could vote twice in one term`);
  return decoded.value;
}

async function readNewestSnapshot(fs: FsLayer, dir: string, names: readonly string[], removed: string[]): Promise<Snapshot | undefined> {
  const snapshots = indexedNames(names, snapshotPrefix);
  const newest = snapshots.at(-1);
  if (newest === undefined) return undefined;
  const path = `${dir}/${newest.name}`;
  const decoded = decodeSnapshot(await call('read', path, () => fs.readFile(path)));
  if (!decoded.ok) throw corrupt(path, `the newest snapshot is damaged (${decoded.reason}); the log before it is gone, so the member cannot rebuild its state`);
  const split = splitTerm(decoded.blob);
  if (!split.ok || decoded.zxid !== BigInt(newest.index)) throw corrupt(path, `the snapshot does not hold index ${newest.index} and a term`);
  // Older snapshots are left by a crash between writing the newest one and removing them.
  for (const older of snapshots.slice(0, -1)) {
    await call('unlink', `${dir}/${older.name}`, () => fs.unlink(`${dir}/${older.name}`));
    removed.push(older.name);
  }
  return { index: newest.index, term: split.value.term, data: split.value.data };
}

interface ScannedSegments {
  segments: Segment[];
  entries: Entry[];
  tornTail: RecoveryReport['tornTail'];
}

async function readSegments(fs: FsLayer, dir: string, names: readonly string[], removed: string[]): Promise<ScannedSegments> {
  const listed = indexedNames(names, segmentPrefix);
  const segments: Segment[] = [];
  const entries: Entry[] = [];
  let tornTail: RecoveryReport['tornTail'];
  for (const [k, { name, index: first }] of listed.entries()) {
    const path = `${dir}/${name}`;
    const bytes = await call('read', path, () => fs.readFile(path));
    const scan = scanLog(bytes, 0n);
    const isLast = k === listed.length - 1;
    let end = scan.validBytes;
    if (scan.stop !== undefined) {
      const torn = scan.stop.reason === 'torn-record' || scan.stop.reason === 'torn-header' || (scan.stop.reason === 'bad-header' && isAllZero(bytes, 0));
      if (!isLast || !torn) {
        throw corrupt(path, `${scan.stop.reason} at byte ${scan.stop.offset}, before the end of the log; these bytes were fsynced and may have been acknowledged, so the member stops rather than forget them (restore this member's dataDir from a healthy member or remove it to rejoin empty)`);
      }
      if (scan.stop.offset === 0) {
        // A segment created by a crash before its header was durable: it held nothing.
        await call('unlink', path, () => fs.unlink(path));
        removed.push(name);
        continue;
      }
      await call('truncate', path, () => truncateAndSync(fs, path, scan.validBytes));
      tornTail = { name, offset: scan.stop.offset, reason: scan.stop.reason, discardedBytes: bytes.length - scan.validBytes };
      end = scan.validBytes;
    }
    if (scan.firstZxid !== BigInt(first)) throw corrupt(path, `the header names index ${scan.firstZxid}, the file name ${first}`);
    if (scan.records.length === 0) {
      if (!isLast) throw corrupt(path, 'an empty segment before the end of the log');
      await call('unlink', path, () => fs.unlink(path));
      removed.push(name);
      continue;
    }
    const offsets: number[] = [];
    let offset = logHeaderBytes;
    for (const record of scan.records) {
      const index = Number(record.zxid);
      const expected = offsets.length === 0 ? first : first + offsets.length;
      const previous = entries.at(-1)?.index;
      if (index !== expected || (previous !== undefined && index !== previous + 1)) {
        throw corrupt(path, `index ${index} where ${previous === undefined ? expected : previous + 1} was expected: a hole in the log`);
      }
      const split = splitTerm(record.payload);
      if (!split.ok) throw corrupt(path, `index ${index}: ${split.reason}`);
      entries.push({ index, term: split.value.term, data: split.value.data });
      offsets.push(offset);
      offset += recordHeaderBytes + record.payload.length;
    }
    segments.push({ name, first, offsets, end });
  }
  return { segments, entries, tornTail };
}
