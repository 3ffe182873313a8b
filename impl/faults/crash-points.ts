// The named points of the persistence order where `crash at <point>` makes a
// member SIGKILL itself (fault-switch.ts). Each is recognised from the
// file-system calls storage makes (faulty-fs.ts), by the file's name
// (storage/file-names.ts, storage/truncation.ts, storage/epoch-file.ts) and
// whether the call is about to happen or has just returned, so storage itself
// carries no hooks: what it does on disk is exactly what it does in
// production.
//
// A SIGKILL loses no write that reached the page cache, only what the
// process had not handed to the kernel yet: so "after the write, before the
// fsync" tests the order of the steps, not a power cut (a torn tail is
// storage's crash tests' business, impl/storage/crash.test.ts).

export const CRASH_POINTS = [
  'log-written',
  'log-synced',
  'snapshot-written',
  'snapshot-renamed',
  'accepted-epoch-before',
  'accepted-epoch-written',
  'current-epoch-before',
  'current-epoch-written',
  'truncate-committed',
  'truncate-cut',
  'install-committed',
  'install-placed',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** What each point is, in the order of the persistence steps; the README's table is this. */
export const crashPointMeaning: Readonly<Record<CrashPoint, string>> = {
  'log-written': "txns written to the txn log, before its fsync (nothing of the group acknowledged yet)",
  'log-synced': "the txn log's fsync returned, before the appends resolve: before any ACK or reply that waits on them",
  'snapshot-written': 'a snapshot written and fsynced as snapshot.<zxid>.tmp, before its rename',
  'snapshot-renamed': "a snapshot renamed into place, before the directory's fsync",
  'accepted-epoch-before': 'before the acceptedEpoch file is written (its temp file not yet created)',
  'accepted-epoch-written': "acceptedEpoch renamed into place and its directory fsynced, before the member acts on it",
  'current-epoch-before': 'before the currentEpoch file is written',
  'current-epoch-written': 'currentEpoch renamed into place and its directory fsynced',
  'truncate-committed': "a TRUNC's intent file (truncate.<zxid>) durable, before any log file is cut",
  'truncate-cut': 'a log file cut (ftruncate) in the middle of a TRUNC, later files and the intent not yet deleted',
  'install-committed': "a SNAP's intent file (install.<zxid>) durable, before the staged snapshot is put in place",
  'install-placed': 'the staged snapshot renamed into place in the middle of a SNAP, the older files not yet deleted',
};

export function isCrashPoint(name: string): name is CrashPoint {
  return (CRASH_POINTS as readonly string[]).includes(name);
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const logFile = /^log\.[0-9a-f]+$/;
const snapshotTemp = /^snapshot\.[0-9a-f]+\.tmp$/;
const stagedSnapshot = /^snapshot\.[0-9a-f]+\.install$/;

/** The point just before opening `path` for writing, if any. */
export function pointBeforeOpen(path: string): CrashPoint | undefined {
  switch (baseName(path)) {
    case 'acceptedEpoch.tmp':
      return 'accepted-epoch-before';
    case 'currentEpoch.tmp':
      return 'current-epoch-before';
    default:
      return undefined;
  }
}

/** Whether fsyncs of a file opened for writing at `path` are the txn log's (log-written, log-synced). */
export function isLogFile(path: string): boolean {
  return logFile.test(baseName(path));
}

/** The point just before renaming `from`, if any. */
export function pointBeforeRename(from: string): CrashPoint | undefined {
  return snapshotTemp.test(baseName(from)) ? 'snapshot-written' : undefined;
}

/** The point just after renaming `from` (before any directory fsync), if any. */
export function pointAfterRename(from: string): CrashPoint | undefined {
  if (snapshotTemp.test(baseName(from))) return 'snapshot-renamed';
  if (stagedSnapshot.test(baseName(from))) return 'install-placed';
  return undefined;
}

/**
 * The point once the directory holding `renamedTo` has been fsynced after
 * the rename: the epoch files and the intent files are durable from then on.
 */
export function pointAfterDirectorySync(renamedTo: string): CrashPoint | undefined {
  const name = baseName(renamedTo);
  if (name === 'acceptedEpoch') return 'accepted-epoch-written';
  if (name === 'currentEpoch') return 'current-epoch-written';
  if (/^truncate\.[0-9a-f]+$/.test(name)) return 'truncate-committed';
  if (/^install\.[0-9a-f]+$/.test(name)) return 'install-committed';
  return undefined;
}

/** The point just after cutting `path` (ftruncate by path: a TRUNC's cut; recovery's cut of a torn tail too). */
export function pointAfterTruncate(path: string): CrashPoint | undefined {
  return logFile.test(baseName(path)) ? 'truncate-cut' : undefined;
}
