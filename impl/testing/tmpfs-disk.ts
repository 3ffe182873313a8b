// A server's disk that a test can fill: a small tmpfs mounted over one of its
// directories (a member's dataDir, or its dataLogDir), a filler file that
// takes every free page so the server's next write that needs a new page
// fails with ENOSPC, and the filler's removal that gives the space back
// (impl/nemesis's `disk full`, and the full-disk tests of our servers).
//
// Mounting needs root (CI and this project's sandbox run as root); a run that
// is not root, or whose mount is refused (a container without CAP_SYS_ADMIN),
// gets the reason instead of a disk, and says so.
//
// No mount may outlive the run that made it. Each mount's source is named
// `zkspec-disk-<pid>` after the process that made it, so /proc/mounts tells
// whose it is. It is unmounted by `unmount` (the caller's cleanup), at this
// process's exit (beside impl/testing/processes.ts's exit hook, which
// SIGKILLs the servers), on SIGINT, SIGTERM and SIGHUP while a mount is live
// (the handler exits, which runs both hooks), and by the next mount made on
// this machine for any process that is gone (a SIGKILLed run). An unmount
// that finds the file system busy (a server not yet reaped) detaches it
// lazily (umount -l): it leaves /proc/mounts at once and its pages go with
// the last open file. Every umount and mount is bounded in time.

import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, rmSync, statfsSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { join } from 'node:path';
import { err, ok, type Result } from '../../lib/result.ts';
import { processAlive } from './processes.ts';

const sourcePrefix = 'zkspec-disk-';
const commandTimeoutMs = 10_000;
/** The filler's name: in the mount's root, beside the server's own files, which never read it. */
export const fillerName = 'zkspec-disk-filler';

/** The mounts this process made and has not unmounted. */
const live = new Set<TmpfsDisk>();
const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let hooksInstalled = false;

export class TmpfsDisk {
  private filled = false;

  private constructor(
    /** The directory the tmpfs is mounted on. */
    readonly path: string,
    readonly sizeBytes: number,
  ) {}

  /**
   * Mounts a tmpfs of `sizeBytes` on `path` (which must exist and should be
   * empty: what is there is hidden until the unmount). Err with the reason
   * when this process is not root or the mount is refused.
   */
  static mount(path: string, sizeBytes: number): Result<TmpfsDisk, string> {
    const why = tmpfsUnavailable();
    if (why !== undefined) return err(why);
    sweepStaleMounts();
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeBytes},mode=0755`, `${sourcePrefix}${process.pid}`, path], {
      encoding: 'utf8',
      timeout: commandTimeoutMs,
    });
    if (mounted.status !== 0) return err(`mount -t tmpfs on ${path} failed: ${(mounted.stderr || mounted.error?.message || `status ${mounted.status}`).trim()}`);
    const disk = new TmpfsDisk(path, sizeBytes);
    live.add(disk);
    installHooks();
    return ok(disk);
  }

  /** Bytes free on the file system now (statfs). */
  freeBytes(): number {
    const s = statfsSync(this.path);
    return Number(s.bavail) * Number(s.bsize);
  }

  /**
   * Takes every free page with the filler file: fallocate(1) of what statfs
   * says is free (tmpfs reserves the pages without writing them: a fraction
   * of a second for 128 MiB on a busy machine, where writing them took
   * seconds), then pieces of 1 MiB and 4 KiB written until ENOSPC, for what
   * the first missed or freed meanwhile. Resolves with the filler's size. The
   * server's writes into pages it already holds (the rest of a log's last
   * page, a preallocated block) still succeed; its next new page does not.
   */
  async fill(): Promise<number> {
    const path = join(this.path, fillerName);
    this.filled = true;
    const free = this.freeBytes();
    // Without fallocate (or if it fails) the writes below do it all.
    if (free > 0) await runBounded('fallocate', ['-l', String(free), path]).catch(() => undefined);
    const handle = await fsp.open(path, 'a');
    let bytes = (await handle.stat()).size;
    try {
      for (const piece of [1024 * 1024, 4096]) {
        const zeros = new Uint8Array(piece);
        for (;;) {
          try {
            const { bytesWritten } = await handle.write(zeros, 0, piece, null);
            bytes += bytesWritten;
            if (bytesWritten < piece) break;
          } catch (error) {
            if ((error as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw error;
          }
        }
      }
    } finally {
      await handle.close();
    }
    return bytes;
  }

  /** Removes the filler: its pages are free again at once. */
  free(): void {
    if (!this.filled) return;
    this.filled = false;
    rmSync(join(this.path, fillerName), { force: true });
  }

  get isFilled(): boolean {
    return this.filled;
  }

  /** Unmounts (lazily if busy); what was on it is gone. Idempotent. */
  unmount(): void {
    if (!live.delete(this)) return;
    unmountPath(this.path);
    if (live.size === 0) removeSignalHandlers();
  }
}

/** Why no tmpfs can be mounted here, or undefined when this process is root. */
export function tmpfsUnavailable(): string | undefined {
  const uid = process.getuid?.();
  if (uid === undefined) return 'this platform has no uid: mounting a tmpfs needs Linux and root';
  if (uid !== 0) return `the run is not root (uid ${uid}): mounting a tmpfs needs root`;
  return undefined;
}

/** The tmpfs mounts any run made on this machine that are still mounted: /proc/mounts lines `zkspec-disk-<pid> <path> tmpfs`. */
export function zkspecMounts(): { readonly pid: number; readonly path: string }[] {
  let text: string;
  try {
    text = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return [];
  }
  const mounts: { pid: number; path: string }[] = [];
  for (const line of text.split('\n')) {
    const [source, path, type] = line.split(' ');
    if (type !== 'tmpfs' || source === undefined || path === undefined || !source.startsWith(sourcePrefix)) continue;
    // /proc/mounts escapes a space in a path as \040.
    mounts.push({ pid: Number(source.slice(sourcePrefix.length)), path: path.replace(/\\040/g, ' ') });
  }
  return mounts;
}

/** Unmounts the tmpfs mounts of runs whose process is gone (SIGKILLed before their cleanup). */
export function sweepStaleMounts(): string[] {
  const swept: string[] = [];
  for (const m of zkspecMounts()) {
    if (m.pid === process.pid || processAlive(m.pid)) continue;
    unmountPath(m.path);
    swept.push(m.path);
  }
  return swept;
}

/** Runs `command` without blocking the event loop, within commandTimeoutMs; rejects on a failure. */
function runBounded(command: string, args: readonly string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { timeout: commandTimeoutMs }, (error) => (error === null ? resolve() : reject(error)));
  });
}

function unmountPath(path: string): void {
  const plain = spawnSync('umount', [path], { encoding: 'utf8', timeout: commandTimeoutMs });
  if (plain.status === 0) return;
  // Busy (a server not reaped yet) or the command timed out: detach now, free when the last file closes.
  spawnSync('umount', ['-l', path], { encoding: 'utf8', timeout: commandTimeoutMs });
}

function unmountAll(): void {
  for (const disk of [...live]) disk.unmount();
}

function onSignal(signal: NodeJS.Signals): void {
  // process.exit runs the exit hooks: servers SIGKILLed (processes.ts), then every mount undone.
  process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
}

function installHooks(): void {
  if (!hooksInstalled) {
    hooksInstalled = true;
    process.on('exit', unmountAll);
  }
  for (const signal of signals) if (!process.listeners(signal).includes(onSignal)) process.on(signal, onSignal);
}

function removeSignalHandlers(): void {
  for (const signal of signals) process.off(signal, onSignal);
}

