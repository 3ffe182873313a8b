// Reading logged txns back for a peer: a ZAB leader synchronises a follower
// that is a little behind by sending the txns it misses (DIFF, ZAB paper
// §5.2; ZooKeeper's LearnerHandler.syncFollower reads them from its in-memory
// committedLog, which ZKDatabase fills from the txn log on load), and sends
// its whole snapshot (SNAP) only when those txns are no longer at hand.
//
// Whatever is handed out must be a run without holes that starts right after
// a txn the follower has: a DIFF with a hole would leave the follower with
// a history the leader never had. Within one epoch zxids are consecutive
// (each txn takes the next counter), so a run is provably whole when every
// record is the previous one plus one or opens a later epoch. Anything this
// cannot prove gives `undefined`, and the leader falls back to SNAP.

import { filesWithPrefix, logPrefix, type NamedFile } from './file-names.ts';
import type { FsLayer } from './fs-layer.ts';
import { scanLog, type LogRecord } from './record-format.ts';
import { ok, type Result } from '../../lib/result.ts';
import { attempt, type StorageError } from './storage-error.ts';

/** True when `next` may directly follow `previous` in a history: the next counter, or a later epoch. */
export function isNextZxid(previous: bigint, next: bigint): boolean {
  return next === previous + 1n || next >> 32n > previous >> 32n;
}

/**
 * The last `recordsMax` records at or below `baseZxid` (the snapshot's),
 * oldest first: `inFirstFile` (those recovery already read from the file
 * holding the txns right after the snapshot, `logs[first]`), preceded by
 * records of older files read backwards until there are enough. Empty unless
 * the run ends at the snapshot's own txn, since a run ending earlier has a
 * hole before the snapshot (after an installed snapshot, say, whose txns were
 * never logged here). Reading stops at a damaged older file or a hole between
 * files; damage there is not repaired, as nothing is replayed from it.
 */
export async function readRecordsBeforeSnapshot(
  fs: FsLayer,
  logDir: string,
  logs: readonly NamedFile[],
  first: number,
  inFirstFile: readonly LogRecord[],
  baseZxid: bigint,
  recordsMax: number,
): Promise<Result<readonly LogRecord[], StorageError>> {
  if (recordsMax <= 0 || inFirstFile.at(-1)?.zxid !== baseZxid || !isWhole(inFirstFile)) return ok([]);
  const chunks: (readonly LogRecord[])[] = [inFirstFile];
  let count = inFirstFile.length;
  let earliest = inFirstFile[0]!.zxid;
  for (let i = first - 1; i >= 0 && count < recordsMax; i--) {
    const path = `${logDir}/${logs[i]!.name}`;
    const bytes = await attempt('read', path, () => fs.readFile(path));
    if (!bytes.ok) return bytes;
    const scan = scanLog(bytes.value, -1n);
    const last = scan.records.at(-1);
    if (scan.stop !== undefined || scan.firstZxid !== logs[i]!.zxid || last === undefined) break;
    if (!isNextZxid(last.zxid, earliest) || !isWhole(scan.records)) break;
    chunks.unshift(scan.records);
    count += scan.records.length;
    earliest = scan.records[0]!.zxid;
  }
  const all = chunks.flat();
  return ok(all.slice(Math.max(0, all.length - recordsMax)));
}

/**
 * The records above `afterZxid` up to `lastLoggedZxid`, read from the log
 * files on disk, or `undefined` when the files cannot prove they follow
 * `afterZxid` without a hole: the record `afterZxid` itself must be on disk,
 * unless `afterZxid` is the newest snapshot's zxid (recovery checked that the
 * log continues from it) or the end of the history. `undefined` as well past
 * `recordsMax` records: the peer is better served by a snapshot.
 */
export async function readLogAfter(
  fs: FsLayer,
  logDir: string,
  afterZxid: bigint,
  lastLoggedZxid: bigint,
  snapshotZxid: bigint,
  recordsMax: number,
): Promise<Result<readonly LogRecord[] | undefined, StorageError>> {
  if (afterZxid >= lastLoggedZxid) return ok(afterZxid === lastLoggedZxid ? [] : undefined);
  const names = await attempt('list', logDir, () => fs.readdir(logDir));
  if (!names.ok) return names;
  const logs = filesWithPrefix(names.value, logPrefix);
  let from = 0;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= afterZxid) from = i;

  const records: LogRecord[] = [];
  let hasAfterZxid = afterZxid === snapshotZxid;
  let previous = afterZxid;
  for (let i = from; i < logs.length; i++) {
    const path = `${logDir}/${logs[i]!.name}`;
    const bytes = await attempt('read', path, () => fs.readFile(path));
    if (!bytes.ok) return bytes.error.kind === 'io' && bytes.error.code === 'ENOENT' ? ok(undefined) : bytes; // purged meanwhile
    // A stop in the newest file may be an append being written right now;
    // only records up to lastLoggedZxid are durable, and they come before it.
    const scan = scanLog(bytes.value, -1n);
    for (const record of scan.records) {
      if (record.zxid === afterZxid) hasAfterZxid = true;
      if (record.zxid <= afterZxid || record.zxid > lastLoggedZxid) continue;
      if (!hasAfterZxid || !isNextZxid(previous, record.zxid)) return ok(undefined);
      if (records.length === recordsMax) return ok(undefined);
      records.push(record);
      previous = record.zxid;
    }
  }
  return ok(previous === lastLoggedZxid ? records : undefined);
}

function isWhole(records: readonly LogRecord[]): boolean {
  for (let i = 1; i < records.length; i++) if (!isNextZxid(records[i - 1]!.zxid, records[i]!.zxid)) return false;
  return true;
}
