// Purge: keep the newest snapRetainCount valid snapshots and the log files
// they need, delete the rest (ZooKeeper's PurgeTxnLog.purge, run by
// DatadirCleanupManager every autopurge.purgeInterval hours).
//
// The log files a snapshot at zxid Z needs are every file starting after Z
// plus the newest file starting at or before Z (it holds the txns right after
// Z). Keeping them for the oldest retained snapshot keeps them for all newer
// ones. Only valid snapshots count towards the retained number, so a corrupt
// newest snapshot never leaves fewer good ones than asked; corrupt snapshots
// newer than the oldest retained one are left alone (recovery skips them).

import { assert } from '../../lib/assert.ts';
import { decodeSnapshot } from './record-format.ts';
import { filesWithPrefix, logPrefix, snapshotPrefix } from './file-names.ts';
import type { FsLayer } from './fs-layer.ts';
import { ok, type Result } from '../../lib/result.ts';
import { attempt, type StorageError } from './storage-error.ts';

export type PurgeReport = { readonly deletedSnapshots: readonly string[]; readonly deletedLogs: readonly string[] };

export async function purge(fs: FsLayer, snapDir: string, logDir: string, snapRetainCount: number): Promise<Result<PurgeReport, StorageError>> {
  assert(Number.isInteger(snapRetainCount) && snapRetainCount >= 1, `snapRetainCount must be >= 1, got ${snapRetainCount}`);
  const snapNames = await attempt('list', snapDir, () => fs.readdir(snapDir));
  if (!snapNames.ok) return snapNames;
  const snapshots = filesWithPrefix(snapNames.value, snapshotPrefix);

  let retained = 0;
  let oldestRetainedZxid: bigint | undefined;
  for (let i = snapshots.length - 1; i >= 0 && retained < snapRetainCount; i--) {
    const path = `${snapDir}/${snapshots[i]!.name}`;
    const bytes = await attempt('read', path, () => fs.readFile(path));
    if (!bytes.ok) return bytes;
    if (!decodeSnapshot(bytes.value).ok) continue;
    retained++;
    oldestRetainedZxid = snapshots[i]!.zxid;
  }
  if (oldestRetainedZxid === undefined) return ok({ deletedSnapshots: [], deletedLogs: [] });
  const keepFrom = oldestRetainedZxid;

  const logNames = await attempt('list', logDir, () => fs.readdir(logDir));
  if (!logNames.ok) return logNames;
  const logs = filesWithPrefix(logNames.value, logPrefix);
  let newestAtOrBefore = -1;
  for (let i = 0; i < logs.length; i++) if (logs[i]!.zxid <= keepFrom) newestAtOrBefore = i;

  const deletedSnapshots = snapshots.filter((s) => s.zxid < keepFrom).map((s) => s.name);
  const deletedLogs = logs.slice(0, Math.max(newestAtOrBefore, 0)).map((l) => l.name);
  for (const name of deletedSnapshots) {
    const removed = await attempt('delete', `${snapDir}/${name}`, () => fs.unlink(`${snapDir}/${name}`));
    if (!removed.ok) return removed;
  }
  for (const name of deletedLogs) {
    const removed = await attempt('delete', `${logDir}/${name}`, () => fs.unlink(`${logDir}/${name}`));
    if (!removed.ok) return removed;
  }
  return ok({ deletedSnapshots, deletedLogs });
}
