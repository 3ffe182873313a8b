// The nemesis's `disk full`: every member's data directory (dataDir, where
// both kinds of server keep their txn log, snapshots and epoch files here: the
// ensemble sets no dataLogDir) on a small tmpfs of its own
// (impl/testing/tmpfs-disk.ts), mounted as the ensemble lays the members out
// (EnsembleOptions.onDataDir) and unmounted when the run ends, however it
// ends. A fault fills one member's tmpfs with a filler file; the repair
// deletes the filler, and restarts the member if it stopped meanwhile.
//
// What a member does on the full disk is the finding: ours stops (exit code 1,
// a fatal line naming ENOSPC; impl/database/database.ts: it never
// acknowledges a write the disk refused) and must come back with every
// acknowledged write once restarted on the freed disk; Apache ZooKeeper 3.8's
// SyncRequestProcessor dies on the IOException, its server goes to state
// ERROR, and the peer leaves its role for an election while the JVM runs on.
// An exit on the full disk is the expected fail-closed stop, not a member
// exiting on its own: `stoppedOnFullDisk` finds the proof in its log.
//
// Both servers get preAllocSize=16 (KiB) on these disks: ours fills its log
// files with zeros ahead of the records (4 MiB blocks by default), which
// would keep a member writing for many seconds after its disk is full, and
// ZooKeeper's preallocation is sparse anyway (one byte at the block's end).

import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Member } from '../ensemble/cluster.ts';
import { TmpfsDisk, tmpfsUnavailable } from '../testing/tmpfs-disk.ts';

/** The zoo.cfg lines of an ensemble whose members' disks may fill (see the header). */
export const fullDiskZooCfg: readonly string[] = ['preAllocSize=16'];

export class MemberDisks {
  private readonly disks = new Map<number, TmpfsDisk>();
  private whyNot: string | undefined;

  constructor(readonly sizeBytes: number) {
    this.whyNot = tmpfsUnavailable();
  }

  /** For EnsembleOptions.onDataDir: mounts the member's tmpfs; after a refusal, none more (the fault is then skipped). */
  mountFor(member: Member): void {
    if (this.whyNot !== undefined) return;
    const mounted = TmpfsDisk.mount(member.dataDir, this.sizeBytes);
    if (mounted.ok) this.disks.set(member.id, mounted.value);
    else this.whyNot = mounted.error;
  }

  /** Why the fault cannot be injected (not root, a mount refused), or undefined when every member has its disk. */
  get unavailable(): string | undefined {
    return this.whyNot;
  }

  disk(id: number): TmpfsDisk | undefined {
    return this.whyNot === undefined ? this.disks.get(id) : undefined;
  }

  /** Unmounts every disk (the members must be stopped first; a busy one is detached lazily). Idempotent. */
  unmountAll(): void {
    for (const disk of this.disks.values()) disk.unmount();
    this.disks.clear();
  }
}

/** How the last lines of a server's log name a full disk: ours `ENOSPC`, Java's IOException `No space left on device`. */
const fullDiskPattern = /ENOSPC|No space left on device/i;

/**
 * The line of the member's log (the last 16 KiB) that names a full disk, or
 * undefined: the proof that its exit was the stop on a full disk.
 */
export function stoppedOnFullDisk(logPath: string): string | undefined {
  if (!existsSync(logPath)) return undefined;
  const fd = openSync(logPath, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, 16 * 1024);
    const tail = Buffer.alloc(length);
    readSync(fd, tail, 0, length, size - length);
    return tail
      .toString('utf8')
      .split('\n')
      .reverse()
      .find((line) => fullDiskPattern.test(line))
      ?.slice(0, 400);
  } finally {
    closeSync(fd);
  }
}
