// Rewriting history on a leader's word: truncating the txn log after a zxid
// (ZAB's TRUNC; ZooKeeper's FileTxnLog.truncate via ZKDatabase.truncateLog)
// and installing a leader's snapshot in place of our history (SNAP). ZAB
// paper §5.2 (synchronisation): a follower makes its history the leader's
// before it acknowledges NEWLEADER, and a restart must never bring back what
// it dropped.
//
// Why an intent file. Either operation touches several files (the log file
// holding the cut, every later log file, snapshots), and no order of those
// calls alone leaves "the old history or the new one" after a crash at every
// point:
// - cutting the file that holds the boundary first leaves the later files
//   behind a hole: recovery then refuses to start (a hole within an epoch) or,
//   across epochs, where a hole cannot be proven, replays them;
// - deleting the later files first leaves a prefix longer than the cut, which
//   is neither;
// - a snapshot newer than the cut must be gone before the log is cut
//   (recovery starts from the newest snapshot and would keep the discarded
//   txns in it), but deleting it first makes recovery fall back to an older
//   snapshot, and after a SNAP no log bridges the two.
// So, as a database's redo log does, the operation is named in a small file
// first: `truncate.<zxid>` or `install.<zxid>` in the snapshot directory,
// written temp file, fsync, rename, directory fsync. Until that rename is
// durable nothing else has changed: a crash leaves the old history. Once it
// is, recovery finds the file and performs the operation again before it
// reads any snapshot or log (every step is idempotent: deleting what is
// already gone, cutting a file already cut), so a crash leaves the new one.
// The intent file is deleted last, and the writer appends again only once that
// deletion is durable too: a stale intent found after new appends would cut
// them away.
//
// Installing a snapshot at zxid S: the leader's snapshot is first staged as
// `snapshot.<S>.install` (temp file, fsync, rename, directory fsync), a name
// recovery neither loads (not a plain snapshot name) nor keeps without an
// intent. Then the intent `install.<S>` is made durable: the commit point.
// Then the staged file is renamed to `snapshot.<S>` and every other snapshot
// and every log file is deleted. Deleting the log records at or below S too,
// not only those above it, is what makes a later failure of this snapshot's
// checksum safe: recovery can then fall back on nothing from before the SNAP
// (records and snapshots of a branch the leader may not share), finds no
// valid snapshot and a log that starts after S, and refuses to start (a `gap`
// error from Storage.open) instead of replaying another branch. ZooKeeper
// keeps the old files and would fall back.
//
// Assumption: a snapshot at zxid Z holds exactly the txns up to Z (ours are
// consistent copies, impl/database/snapshotter.ts), so keeping the
// snapshots at or below the cut keeps nothing the leader discarded.

import { assertNever } from '../../lib/assert.ts';
import { filesWithPrefix, logPrefix, snapshotFileName, snapshotPrefix, type NamedFile } from './file-names.ts';
import { hex } from '../../lib/hex.ts';
import { truncateAndSync, writeFileAtomically, type FsLayer } from './fs-layer.ts';
import { logHeaderBytes, recordBytes, scanLog } from './record-format.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { attempt, type StorageError } from './storage-error.ts';
import type { StorageLog } from './storage-log.ts';

/** A rewrite of the history, named by the intent file that makes it atomic. */
export type Intent = { readonly kind: 'truncate' | 'install'; readonly zxid: bigint };

export type RewriteDirs = { readonly fs: FsLayer; readonly snapDir: string; readonly logDir: string };

/** What a rewrite left on disk. */
export type RewriteOutcome = {
  /** The highest zxid still on disk: the last remaining record's or the newest remaining snapshot's, 0 if neither (as recovery counts). */
  readonly lastLoggedZxid: bigint;
  /** The newest snapshot left, -1 if none. */
  readonly newestSnapshotZxid: bigint;
  readonly deletedSnapshots: readonly string[];
  readonly deletedLogs: readonly string[];
  /** The log file cut short, and the bytes it kept. */
  readonly cut: { readonly name: string; readonly keptBytes: number } | undefined;
};

const intentKinds = ['truncate', 'install'] as const;
export const intentFileName = (intent: Intent) => `${intent.kind}.${intent.zxid.toString(16)}`;
export const stagedSnapshotName = (zxid: bigint) => `${snapshotFileName(zxid)}.install`;
const stagedSnapshotPattern = /^snapshot\.[0-9a-f]{1,16}\.install$/;

/** Stages the snapshot an `install` intent will put in place (before the intent exists). */
export function stageSnapshot(dirs: RewriteDirs, zxid: bigint, snapshotBytes: Uint8Array): Promise<Result<void, StorageError>> {
  const name = stagedSnapshotName(zxid);
  return attempt('stage snapshot', `${dirs.snapDir}/${name}`, () => writeFileAtomically(dirs.fs, dirs.snapDir, name, snapshotBytes));
}

/**
 * Makes the intent durable, performs it, and deletes it durably. An error
 * after the intent's rename may have left it on disk: the caller must then
 * stop writing until a restart lets recovery finish the rewrite.
 */
export async function rewrite(dirs: RewriteDirs, intent: Intent): Promise<Result<RewriteOutcome, StorageError>> {
  const name = intentFileName(intent);
  const text = new TextEncoder().encode(`${intent.kind} ${hex(intent.zxid)}\n`);
  const committed = await attempt('write intent', `${dirs.snapDir}/${name}`, () => writeFileAtomically(dirs.fs, dirs.snapDir, name, text));
  if (!committed.ok) return committed;
  const performed = await perform(dirs, intent);
  if (!performed.ok) return performed;
  const retired = await retire(dirs, name);
  if (!retired.ok) return retired;
  return performed;
}

/**
 * Recovery's first step after deleting `*.tmp` files: finish a rewrite a crash
 * interrupted, and delete a staged snapshot whose intent never became durable.
 */
export async function resumeRewrite(dirs: RewriteDirs, log: StorageLog): Promise<Result<Intent | undefined, StorageError>> {
  const { fs, snapDir } = dirs;
  const listed = await attempt('list', snapDir, () => fs.readdir(snapDir));
  if (!listed.ok) return listed;
  const intents: Intent[] = [];
  for (const kind of intentKinds) {
    for (const file of filesWithPrefix(listed.value, `${kind}.`)) intents.push({ kind, zxid: file.zxid });
  }
  // Each rewrite deletes its intent before the writer may start another, and
  // a failed one stops the writer until this recovery: two cannot coexist.
  if (intents.length > 1) {
    const names = intents.map(intentFileName).join(', ');
    return err({ kind: 'corrupt', path: snapDir, message: `${snapDir} holds ${intents.length} interrupted rewrites (${names}); expected at most one` });
  }
  const intent = intents[0];
  const committedStage = intent?.kind === 'install' ? stagedSnapshotName(intent.zxid) : undefined;
  for (const name of listed.value.filter((n) => stagedSnapshotPattern.test(n) && n !== committedStage)) {
    log('info', 'deleting-uncommitted-snapshot', { path: `${snapDir}/${name}`, message: 'staged by an installation that never committed' });
    const removed = await removeIfPresent(fs, `${snapDir}/${name}`);
    if (!removed.ok) return removed;
  }
  if (intent === undefined) return ok(undefined);
  log('info', 'finishing-interrupted-rewrite', { kind: intent.kind, zxid: intent.zxid, intent: `${snapDir}/${intentFileName(intent)}` });
  const performed = await perform(dirs, intent);
  if (!performed.ok) return performed;
  const retired = await retire(dirs, intentFileName(intent));
  if (!retired.ok) return retired;
  return ok(intent);
}

function perform(dirs: RewriteDirs, intent: Intent): Promise<Result<RewriteOutcome, StorageError>> {
  switch (intent.kind) {
    case 'truncate':
      return truncateAfter(dirs, intent.zxid);
    case 'install':
      return installSnapshot(dirs, intent.zxid);
    default:
      return assertNever(intent.kind, 'rewrite kind');
  }
}

async function retire(dirs: RewriteDirs, name: string): Promise<Result<void, StorageError>> {
  const removed = await removeIfPresent(dirs.fs, `${dirs.snapDir}/${name}`);
  if (!removed.ok) return removed;
  return attempt('fsync directory of', dirs.snapDir, () => dirs.fs.syncDirectory(dirs.snapDir));
}

/**
 * Deletes every snapshot above `zxid` and every log record above it: later
 * files whole, the file holding the boundary cut just after its last record at
 * or below `zxid`. Then both directories are fsynced.
 */
async function truncateAfter(dirs: RewriteDirs, zxid: bigint): Promise<Result<RewriteOutcome, StorageError>> {
  const { fs, snapDir, logDir } = dirs;
  const snapNames = await attempt('list', snapDir, () => fs.readdir(snapDir));
  if (!snapNames.ok) return snapNames;
  const snapshots = filesWithPrefix(snapNames.value, snapshotPrefix);
  const removedSnapshots = await removeNewestFirst(fs, snapDir, snapshots.filter((s) => s.zxid > zxid));
  if (!removedSnapshots.ok) return removedSnapshots;
  const deletedSnapshots = removedSnapshots.value;
  const newestSnapshotZxid = snapshots.filter((s) => s.zxid <= zxid).at(-1)?.zxid ?? -1n;

  const logNames = await attempt('list', logDir, () => fs.readdir(logDir));
  if (!logNames.ok) return logNames;
  const logs = filesWithPrefix(logNames.value, logPrefix);
  const removedLogs = await removeNewestFirst(fs, logDir, logs.filter((f) => f.zxid > zxid));
  if (!removedLogs.ok) return removedLogs;
  const deletedLogs = removedLogs.value;
  const boundary = await cutBoundaryLog(fs, logDir, logs.filter((f) => f.zxid <= zxid), zxid);
  if (!boundary.ok) return boundary;
  const { cut, lastRecordZxid } = boundary.value;
  if (boundary.value.deleted !== undefined) deletedLogs.push(boundary.value.deleted);

  const synced = await syncDirectories(fs, [logDir, snapDir]);
  if (!synced.ok) return synced;
  // As recovery counts it: 0 for an empty history.
  let lastLoggedZxid = lastRecordZxid > newestSnapshotZxid ? lastRecordZxid : newestSnapshotZxid;
  if (lastLoggedZxid < 0n) lastLoggedZxid = 0n;
  return ok({ lastLoggedZxid, newestSnapshotZxid, deletedSnapshots, deletedLogs, cut });
}

/**
 * The log's side of a truncation once the later files are gone. The newest
 * file starting at or below `zxid` holds the boundary: it is cut just after
 * its last record at or below `zxid`, or deleted if it has no valid header.
 * Older files hold only records below its first one; they are read, newest
 * first, only while no kept record has been found, for the last zxid kept.
 */
async function cutBoundaryLog(
  fs: FsLayer,
  logDir: string,
  kept: readonly NamedFile[],
  zxid: bigint,
): Promise<Result<{ readonly cut: RewriteOutcome['cut']; readonly deleted: string | undefined; readonly lastRecordZxid: bigint }, StorageError>> {
  let cut: RewriteOutcome['cut'];
  let deleted: string | undefined;
  let lastRecordZxid = -1n;
  for (let i = kept.length - 1; i >= 0 && lastRecordZxid < 0n; i--) {
    const file = kept[i]!;
    const path = `${logDir}/${file.name}`;
    const bytes = await attempt('read', path, () => fs.readFile(path));
    if (!bytes.ok) return bytes;
    const scan = scanLog(bytes.value, -1n);
    let keptBytes = logHeaderBytes;
    for (const record of scan.records) {
      if (record.zxid > zxid) break;
      keptBytes += recordBytes(record.payload);
      lastRecordZxid = record.zxid;
    }
    if (i < kept.length - 1) continue; // an older file, read only for its last zxid
    if (scan.firstZxid === undefined) {
      // No valid header (recovery deletes or sets such a file aside; it can
      // only be here if something else wrote it): it holds no records.
      const removed = await removeIfPresent(fs, path);
      if (!removed.ok) return removed;
      deleted = file.name;
    } else if (bytes.value.length > keptBytes) {
      const truncated = await attempt('truncate', path, () => truncateAndSync(fs, path, keptBytes));
      if (!truncated.ok) return truncated;
      cut = { name: file.name, keptBytes };
    }
  }
  return ok({ cut, deleted, lastRecordZxid });
}

/** Puts the staged snapshot at `zxid` in place and deletes every other snapshot and every log file. */
async function installSnapshot(dirs: RewriteDirs, zxid: bigint): Promise<Result<RewriteOutcome, StorageError>> {
  const { fs, snapDir, logDir } = dirs;
  const snapNames = await attempt('list', snapDir, () => fs.readdir(snapDir));
  if (!snapNames.ok) return snapNames;
  const staged = stagedSnapshotName(zxid);
  const target = snapshotFileName(zxid);
  if (snapNames.value.includes(staged)) {
    const moved = await attempt('rename', `${snapDir}/${staged}`, () => fs.rename(`${snapDir}/${staged}`, `${snapDir}/${target}`));
    if (!moved.ok) return moved;
    const synced = await attempt('fsync directory of', snapDir, () => fs.syncDirectory(snapDir));
    if (!synced.ok) return synced;
  } else if (!snapNames.value.includes(target)) {
    // The staged file is durable before the intent is written, and it leaves
    // only by this rename: someone else deleted it.
    return err({ kind: 'corrupt', path: `${snapDir}/${target}`, message: `installing snapshot ${hex(zxid)}: neither ${staged} nor ${target} exists in ${snapDir}` });
  }

  const deletedSnapshots = await removeNewestFirst(fs, snapDir, filesWithPrefix(snapNames.value, snapshotPrefix).filter((s) => s.zxid !== zxid));
  if (!deletedSnapshots.ok) return deletedSnapshots;
  const logNames = await attempt('list', logDir, () => fs.readdir(logDir));
  if (!logNames.ok) return logNames;
  const deletedLogs = await removeNewestFirst(fs, logDir, filesWithPrefix(logNames.value, logPrefix));
  if (!deletedLogs.ok) return deletedLogs;
  const synced = await syncDirectories(fs, [logDir, snapDir]);
  if (!synced.ok) return synced;
  return ok({ lastLoggedZxid: zxid, newestSnapshotZxid: zxid, deletedSnapshots: deletedSnapshots.value, deletedLogs: deletedLogs.value, cut: undefined });
}

/**
 * Deletes `files` (sorted by zxid) newest first, so that a listing taken
 * between two deletions never shows a hole (recovery would not see one
 * anyway: the intent is finished first); the names deleted.
 */
async function removeNewestFirst(fs: FsLayer, dir: string, files: readonly NamedFile[]): Promise<Result<string[], StorageError>> {
  const deleted: string[] = [];
  for (const file of [...files].reverse()) {
    const removed = await removeIfPresent(fs, `${dir}/${file.name}`);
    if (!removed.ok) return removed;
    deleted.push(file.name);
  }
  return ok(deleted);
}

/** fsyncs each directory once (dataDir and dataLogDir may be the same), so that the deletions and renames in it are durable. */
async function syncDirectories(fs: FsLayer, dirs: readonly string[]): Promise<Result<void, StorageError>> {
  for (const dir of new Set(dirs)) {
    const synced = await attempt('fsync directory of', dir, () => fs.syncDirectory(dir));
    if (!synced.ok) return synced;
  }
  return ok(undefined);
}

/** unlink(2) that counts a file already gone as deleted: a resumed rewrite repeats deletions. */
async function removeIfPresent(fs: FsLayer, path: string): Promise<Result<void, StorageError>> {
  try {
    await fs.unlink(path);
    return ok(undefined);
  } catch (thrown) {
    if ((thrown as { code?: unknown } | null)?.code === 'ENOENT') return ok(undefined);
    return attempt('delete', path, () => Promise.reject(thrown));
  }
}
