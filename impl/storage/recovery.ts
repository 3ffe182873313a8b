// Recovery: the newest valid snapshot, then every logged txn after it.
//
// ZooKeeper's FileTxnSnapLog.restore does the same: deserialize the most
// recent snapshot that validates (FileSnap.deserialize tries up to 100,
// newest first), then replay the log from the snapshot's zxid. A snapshot is
// "fuzzy" (taken while txns kept being applied), so replay starts at its zxid
// and relies on txns being idempotent; that is the caller's part.
//
// What we do about damage, and why:
// - A snapshot that fails its checksum is skipped in favour of the previous
//   one; the log still holds the txns in between because purge keeps the logs
//   every retained snapshot needs (purge.ts).
// - The log is read in zxid order and reading stops at the first record that
//   is torn, fails its checksum or does not increase the zxid. That file is
//   truncated there (durably: fsync after truncate) and every later log file
//   is renamed to `<name>.corrupt` so that it is never replayed: replaying past
//   a hole would apply txns out of order, and a later recovery must not find
//   them after new records are appended. Renaming rather than deleting keeps
//   the bytes for an operator to inspect.
// - The records lost this way were never acknowledged if the damage is a torn
//   tail (an ack follows the fsync of every byte before it). Damage in the
//   middle is bit rot; we log it loudly, as ZooKeeper has no better answer
//   either short of fetching the history from a peer.
// - Leftover `*.tmp` files are interrupted snapshot or epoch writes; they are
//   deleted, their final names were never taken.
// - A truncation or snapshot installation that a crash interrupted after its
//   intent file became durable is finished before anything is read, so what
//   follows sees either the history before it or the one after (truncation.ts).

import { decodeSnapshot, scanLog, type LogRecord, type LogScan, type ScanStop } from './record-format.ts';
import { filesWithPrefix, logPrefix, snapshotPrefix, type NamedFile } from './file-names.ts';
import { hex } from '../../lib/hex.ts';
import { truncateAndSync, type FsLayer } from './fs-layer.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { attempt, type StorageError } from './storage-error.ts';
import { resumeRewrite, type Intent } from './truncation.ts';
import { readRecordsBeforeSnapshot } from './log-reader.ts';
import type { StorageLog } from './storage-log.ts';

export type Recovery = {
  /** The snapshot replay starts from, if any valid one exists. */
  readonly snapshot: { readonly zxid: bigint; readonly blob: Uint8Array } | undefined;
  /** Logged txns with zxid above the snapshot's, in zxid order. */
  readonly records: readonly LogRecord[];
  /**
   * The last logged txns at or below the snapshot's zxid still on disk (at
   * most `recordsBeforeSnapshotMax`), in zxid order, ending with the
   * snapshot's own txn; empty when the log cannot show that run whole (see
   * log-reader.ts). Not to be replayed: the snapshot holds them. A leader
   * serves DIFFs from them and `records` (ZAB §5.2).
   */
  readonly recordsBeforeSnapshot: readonly LogRecord[];
  /** The highest zxid on disk: the snapshot's or the last valid record's. */
  readonly lastLoggedZxid: bigint;
  readonly skippedSnapshots: readonly { readonly name: string; readonly reason: string }[];
  readonly truncation:
    | { readonly name: string; readonly stop: ScanStop; readonly keptBytes: number; readonly discardedBytes: number; readonly setAside: readonly string[] }
    | undefined;
  /** A truncation or installation a crash interrupted, finished before reading (truncation.ts). */
  readonly resumedRewrite?: Intent | undefined;
};

export async function recover(
  fs: FsLayer,
  snapDir: string,
  logDir: string,
  log: StorageLog,
  recordsBeforeSnapshotMax = 500,
): Promise<Result<Recovery, StorageError>> {
  for (const dir of new Set([snapDir, logDir])) {
    const made = await attempt('create directory', dir, () => fs.mkdir(dir));
    if (!made.ok) return made;
    const listed = await attempt('list', dir, () => fs.readdir(dir));
    if (!listed.ok) return listed;
    for (const name of listed.value.filter((n) => n.endsWith('.tmp'))) {
      log('info', 'deleting-interrupted-write', { path: `${dir}/${name}` });
      const removed = await attempt('delete', `${dir}/${name}`, () => fs.unlink(`${dir}/${name}`));
      if (!removed.ok) return removed;
    }
  }

  const resumed = await resumeRewrite({ fs, snapDir, logDir }, log);
  if (!resumed.ok) return resumed;

  const snapNames = await attempt('list', snapDir, () => fs.readdir(snapDir));
  if (!snapNames.ok) return snapNames;
  const snapshots = filesWithPrefix(snapNames.value, snapshotPrefix).reverse();
  const skippedSnapshots: { name: string; reason: string }[] = [];
  let snapshot: Recovery['snapshot'];
  for (const file of snapshots) {
    const bytes = await attempt('read', `${snapDir}/${file.name}`, () => fs.readFile(`${snapDir}/${file.name}`));
    if (!bytes.ok) return bytes;
    const decoded = decodeSnapshot(bytes.value);
    const reason = !decoded.ok ? decoded.reason : decoded.zxid !== file.zxid ? `holds zxid ${hex(decoded.zxid)}, not its name's` : undefined;
    if (reason !== undefined || !decoded.ok) {
      log('warn', 'snapshot-skipped', { path: `${snapDir}/${file.name}`, reason });
      skippedSnapshots.push({ name: file.name, reason: reason ?? 'invalid' });
      continue;
    }
    snapshot = { zxid: decoded.zxid, blob: decoded.blob };
    break;
  }
  const baseZxid = snapshot?.zxid ?? 0n;

  const logNames = await attempt('list', logDir, () => fs.readdir(logDir));
  if (!logNames.ok) return logNames;
  const logs = filesWithPrefix(logNames.value, logPrefix);
  // The newest file starting at or below the snapshot holds the txns right after it.
  let first = 0;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= baseZxid) first = i;
  const gap = findGap(logs[first], baseZxid, snapshot !== undefined, skippedSnapshots.length);
  if (gap !== undefined) return err({ kind: 'gap', message: gap });

  const records: LogRecord[] = [];
  const atOrBelowBase: LogRecord[] = [];
  let lastZxid = -1n;
  let truncation: Recovery['truncation'];
  for (let i = first; i < logs.length; i++) {
    const file = logs[i]!;
    const path = `${logDir}/${file.name}`;
    const hole = findHoleBetweenFiles(lastZxid, baseZxid, file);
    if (hole !== undefined) return err({ kind: 'gap', message: hole });
    const bytes = await attempt('read', path, () => fs.readFile(path));
    if (!bytes.ok) return bytes;
    const scan = scanLogFile(bytes.value, file, lastZxid);
    const stop = scan.stop;
    for (const record of scan.records) {
      lastZxid = record.zxid;
      if (record.zxid > baseZxid) records.push(record);
      else if (snapshot !== undefined) atOrBelowBase.push(record);
    }
    if (stop === undefined) continue;

    const later = logs.slice(i + 1).map((f) => f.name);
    const discardedBytes = bytes.value.length - scan.validBytes;
    log('warn', 'txn-log-damaged', { path, offset: stop.offset, reason: stop.reason, keptRecords: scan.records.length, discardedBytes, setAside: later });
    const repaired = await repairLog(fs, logDir, file, stop, scan.validBytes, later);
    if (!repaired.ok) return repaired;
    truncation = { name: file.name, stop, keptBytes: scan.validBytes, discardedBytes, setAside: later };
    break;
  }

  const lastLoggedZxid = lastZxid > baseZxid ? lastZxid : baseZxid;
  const before = await readRecordsBeforeSnapshot(fs, logDir, logs, first, atOrBelowBase, baseZxid, recordsBeforeSnapshotMax);
  if (!before.ok) return before;
  return ok({ snapshot, records, recordsBeforeSnapshot: before.value, lastLoggedZxid, skippedSnapshots, truncation, resumedRewrite: resumed.value });
}

/**
 * A hole between the snapshot and the first log we can replay: the txns in it
 * are gone, and starting anyway would serve a history with a missing middle.
 * Zxids are `epoch << 32 | counter`, so a hole is provable only within one
 * epoch (a new epoch restarts the counter at 1).
 */
function findGap(firstLog: NamedFile | undefined, baseZxid: bigint, hasSnapshot: boolean, skipped: number): string | undefined {
  if (firstLog === undefined) {
    return skipped > 0 && !hasSnapshot ? `no valid snapshot among ${skipped} and no txn log to rebuild from` : undefined;
  }
  if (firstLog.zxid <= baseZxid + 1n) return undefined;
  const sameEpoch = firstLog.zxid >> 32n === baseZxid >> 32n;
  if (!hasSnapshot && skipped > 0) {
    return `no valid snapshot among ${skipped}, and the oldest txn log starts at ${hex(firstLog.zxid)}: the txns before it are gone`;
  }
  if (hasSnapshot && sameEpoch) {
    return `snapshot ends at ${hex(baseZxid)} but the oldest txn log after it starts at ${hex(firstLog.zxid)}: the txns in between are gone`;
  }
  return undefined;
}

/**
 * Within one epoch zxids are consecutive (every txn takes the next counter),
 * so a file starting more than one past the previous file's last record, and
 * past the snapshot, lost the txns in between (a deleted or set-aside file).
 */
function findHoleBetweenFiles(lastZxid: bigint, baseZxid: bigint, file: NamedFile): string | undefined {
  if (lastZxid < 0n) return undefined;
  const reached = lastZxid > baseZxid ? lastZxid : baseZxid;
  if (file.zxid <= reached + 1n || file.zxid >> 32n !== reached >> 32n) return undefined;
  return `the txn log reaches ${hex(reached)} but the next file, ${file.name}, starts at ${hex(file.zxid)}: the txns in between are gone`;
}

/**
 * Recovery's verdict on one log file: scanLog's, plus a header whose first
 * zxid is not the file name's (a file renamed by hand, or a header rewritten
 * by damage that kept its checksum valid) counted as a bad header. The
 * offline check (impl/tools/log-check.ts) asks this same function, so the
 * tool and the server agree on what a torn tail is.
 */
export function scanLogFile(bytes: Uint8Array, file: NamedFile, previousZxid: bigint): LogScan {
  const scan = scanLog(bytes, previousZxid);
  if (scan.stop === undefined && scan.firstZxid !== file.zxid) return { ...scan, stop: { reason: 'bad-header', offset: 0 } };
  return scan;
}

/**
 * What recovery does to a damaged log file, durably: a torn header (the file
 * never held a record) is deleted, a bad header renamed `.corrupt`, anything
 * else cut after its last good record (fsync after truncate); the `later`
 * files are renamed `.corrupt` so they are never replayed past the hole.
 */
export async function repairLog(
  fs: FsLayer,
  logDir: string,
  file: NamedFile,
  stop: ScanStop,
  validBytes: number,
  later: readonly string[],
): Promise<Result<void, StorageError>> {
  const path = `${logDir}/${file.name}`;
  if (stop.reason === 'torn-header') {
    // Cut short while being created: it never held a record.
    const removed = await attempt('delete', path, () => fs.unlink(path));
    if (!removed.ok) return removed;
  } else if (stop.reason === 'bad-header') {
    const moved = await attempt('rename', path, () => fs.rename(path, `${path}.corrupt`));
    if (!moved.ok) return moved;
  } else {
    const cut = await attempt('truncate', path, () => truncateAndSync(fs, path, validBytes));
    if (!cut.ok) return cut;
  }
  for (const name of later) {
    const moved = await attempt('rename', `${logDir}/${name}`, () => fs.rename(`${logDir}/${name}`, `${logDir}/${name}.corrupt`));
    if (!moved.ok) return moved;
  }
  return attempt('fsync directory of', logDir, () => fs.syncDirectory(logDir));
}
