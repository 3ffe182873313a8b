// The file system a member runs on when the fault switch is on: storage's
// FsLayer (impl/storage/fs-layer.ts, the one seam every fsync of the txn
// log, snapshots, epoch and intent files and directories goes through) with
// the switch consulted at each fsync (delay, EIO) and at each crash point of
// the persistence order (crash-points.ts). Reads, writes, renames and
// unlinks are passed through untouched.

import type { FileHandleLike, FsLayer } from '../storage/fs-layer.ts';
import { isLogFile, pointAfterDirectorySync, pointAfterRename, pointAfterTruncate, pointBeforeOpen, pointBeforeRename, type CrashPoint } from './crash-points.ts';
import type { FaultSwitch } from './fault-switch.ts';

export function faultyFs(inner: FsLayer, faults: FaultSwitch): FsLayer {
  /** Directory -> the points its next fsync makes true (an epoch or intent file renamed into it). */
  const afterDirectorySync = new Map<string, CrashPoint[]>();
  const directoryOf = (path: string) => path.slice(0, path.lastIndexOf('/'));
  return {
    open: async (path, flags) => {
      if (flags === 'w') {
        const before = pointBeforeOpen(path);
        if (before !== undefined) faults.passing(before);
      }
      return faultyHandle(await inner.open(path, flags), path, flags === 'w' && isLogFile(path), faults);
    },
    readFile: (path) => inner.readFile(path),
    readdir: (path) => inner.readdir(path),
    rename: async (from, to) => {
      const before = pointBeforeRename(from);
      if (before !== undefined) faults.passing(before);
      await inner.rename(from, to);
      const after = pointAfterRename(from);
      if (after !== undefined) faults.passing(after);
      const durable = pointAfterDirectorySync(to);
      if (durable !== undefined) afterDirectorySync.set(directoryOf(to), [...(afterDirectorySync.get(directoryOf(to)) ?? []), durable]);
    },
    unlink: (path) => inner.unlink(path),
    truncate: async (path, lengthBytes) => {
      await inner.truncate(path, lengthBytes);
      const after = pointAfterTruncate(path);
      if (after !== undefined) faults.passing(after);
    },
    mkdir: (path) => inner.mkdir(path),
    syncDirectory: async (path) => {
      await faults.beforeFsync(path);
      await inner.syncDirectory(path);
      const points = afterDirectorySync.get(path) ?? [];
      afterDirectorySync.delete(path);
      for (const point of points) faults.passing(point);
    },
  };
}

function faultyHandle(handle: FileHandleLike, path: string, txnLog: boolean, faults: FaultSwitch): FileHandleLike {
  const synced = async (sync: () => Promise<void>) => {
    if (txnLog) faults.passing('log-written');
    await faults.beforeFsync(path);
    await sync();
    if (txnLog) faults.passing('log-synced');
  };
  return {
    write: (buffer, offset, length, position) => handle.write(buffer, offset, length, position),
    ...(handle.writeNow === undefined ? {} : { writeNow: handle.writeNow.bind(handle) }),
    sync: () => synced(() => handle.sync()),
    ...(handle.datasync === undefined ? {} : { datasync: () => synced(() => handle.datasync!()) }),
    ...(handle.truncate === undefined ? {} : { truncate: (lengthBytes: number) => handle.truncate!(lengthBytes) }),
    ...(handle.preallocate === undefined ? {} : { preallocate: (fromBytes: number, toBytes: number) => handle.preallocate!(fromBytes, toBytes) }),
    close: () => handle.close(),
  };
}
