// Helpers for storage tests: temporary data directories and an fs layer that
// counts calls and can fail on command, and one that holds fsyncs on command.

import { mkdtempSync, rmSync } from 'node:fs';
import { afterEach } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs, type FileHandleLike, type FsLayer } from './fs-layer.ts';
import type { Result } from '../../lib/result.ts';
import type { StorageError } from './storage-error.ts';
import type { StorageLog, StorageLogFields, StorageLogLevel } from './storage-log.ts';

export function temporaryDir(prefix = 'zk-storage-'): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** A test file's source of data directories: each call makes one, all are removed after each test. */
export function freshDirs(prefix?: string): () => string {
  const dirs: { remove(): void }[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) dir.remove();
  });
  return () => {
    const dir = temporaryDir(prefix);
    dirs.push(dir);
    return dir.path;
  };
}

/** The value of a storage result a test expects to succeed. */
export function unwrap<T>(result: Result<T, StorageError>): T {
  if (!result.ok) throw new Error(`unexpected storage error: ${result.error.message}`);
  return result.value;
}

export type FaultPlan = {
  /** Throw this errno code on the next `write` calls whose index (0-based) is in the set. */
  failWrites?: { readonly code: string; readonly at: ReadonlySet<number> };
  failSyncs?: { readonly code: string; readonly at: ReadonlySet<number> };
};

export class CountingFs implements FsLayer {
  writes = 0;
  fileSyncs = 0;
  /** The subset of fileSyncs that were fdatasyncs. */
  datasyncs = 0;
  /** ftruncate calls on open files (trimming a log's preallocated zeros). */
  handleTruncates = 0;
  /** Zero-filled extensions of log files. */
  preallocations = 0;
  directorySyncs = 0;
  renames = 0;
  plan: FaultPlan = {};
  private readonly inner: FsLayer;

  constructor(inner: FsLayer = nodeFs) {
    this.inner = inner;
  }

  async open(path: string, flags: 'w' | 'r'): Promise<FileHandleLike> {
    const handle = await this.inner.open(path, flags);
    return {
      write: async (buffer, offset, length, position) => {
        const index = this.writes++;
        const fail = this.plan.failWrites;
        if (fail?.at.has(index)) throw Object.assign(new Error(`injected ${fail.code}`), { code: fail.code });
        return handle.write(buffer, offset, length, position);
      },
      // Counts, and fails, as a write: it is the same write on another thread.
      ...(handle.writeNow === undefined
        ? {}
        : {
            writeNow: (buffer: Uint8Array, offset: number, length: number, position: number) => {
              const index = this.writes++;
              const fail = this.plan.failWrites;
              if (fail?.at.has(index)) throw Object.assign(new Error(`injected ${fail.code}`), { code: fail.code });
              return handle.writeNow!(buffer, offset, length, position);
            },
          }),
      sync: async () => {
        const index = this.fileSyncs++;
        const fail = this.plan.failSyncs;
        if (fail?.at.has(index)) throw Object.assign(new Error(`injected ${fail.code}`), { code: fail.code });
        return handle.sync();
      },
      // fdatasync counts, and fails, as a file sync: it is the log's fsync.
      datasync: async () => {
        const index = this.fileSyncs++;
        const fail = this.plan.failSyncs;
        if (fail?.at.has(index)) throw Object.assign(new Error(`injected ${fail.code}`), { code: fail.code });
        this.datasyncs++;
        return handle.datasync!();
      },
      truncate: async (lengthBytes) => {
        this.handleTruncates++;
        return handle.truncate!(lengthBytes);
      },
      // Not counted as writes: `writes` counts the log's record writes.
      preallocate: async (fromBytes, toBytes) => {
        this.preallocations++;
        return handle.preallocate!(fromBytes, toBytes);
      },
      close: () => handle.close(),
    };
  }

  readFile = (path: string) => this.inner.readFile(path);
  readdir = (path: string) => this.inner.readdir(path);
  unlink = (path: string) => this.inner.unlink(path);
  truncate = (path: string, lengthBytes: number) => this.inner.truncate(path, lengthBytes);
  mkdir = (path: string) => this.inner.mkdir(path);
  rename = async (from: string, to: string) => {
    this.renames++;
    return this.inner.rename(from, to);
  };
  syncDirectory = async (path: string) => {
    this.directorySyncs++;
    return this.inner.syncDirectory(path);
  };
}

/** A payload that names its zxid, so a test can tell records apart by content. */
export const payloadFor = (zxid: bigint, padBytes = 0) => new TextEncoder().encode(`txn-${zxid.toString(16)}` + 'x'.repeat(padBytes));
export const textOf = (payload: Uint8Array) => new TextDecoder().decode(payload);

/**
 * An fs that simulates a crash: call number `crashAtCall` (0-based, counting
 * every call on the layer and on its open files except close) fails with EIO
 * and so does every call after it, so nothing more reaches the disk; `calls`
 * names each call, for a failure message that says where the crash was. The
 * real disk keeps every write made before the crash, fsynced or not: this
 * checks the order of the calls, not what a power cut does to the page cache.
 */
export class CrashingFs implements FsLayer {
  readonly calls: string[] = [];
  crashAtCall: number | undefined;
  private readonly inner: FsLayer;

  constructor(inner: FsLayer = nodeFs) {
    this.inner = inner;
  }

  get hasCrashed(): boolean {
    return this.crashAtCall !== undefined && this.calls.length > this.crashAtCall;
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    this.calls.push(what);
    if (this.hasCrashed) throw Object.assign(new Error(`crashed at ${what}`), { code: 'EIO' });
    return run();
  }

  async open(path: string, flags: 'w' | 'r'): Promise<FileHandleLike> {
    const handle = await this.call(`open ${flags} ${baseName(path)}`, () => this.inner.open(path, flags));
    const name = baseName(path);
    return {
      write: (buffer, offset, length, position) => this.call(`write ${name}`, () => handle.write(buffer, offset, length, position)),
      sync: () => this.call(`fsync ${name}`, () => handle.sync()),
      datasync: () => this.call(`fdatasync ${name}`, () => handle.datasync!()),
      truncate: (lengthBytes) => this.call(`ftruncate ${name}`, () => handle.truncate!(lengthBytes)),
      preallocate: (fromBytes, toBytes) => this.call(`preallocate ${name}`, () => handle.preallocate!(fromBytes, toBytes)),
      close: () => handle.close(),
    };
  }

  readFile = (path: string) => this.call(`read ${baseName(path)}`, () => this.inner.readFile(path));
  readdir = (path: string) => this.call(`list ${baseName(path)}`, () => this.inner.readdir(path));
  unlink = (path: string) => this.call(`unlink ${baseName(path)}`, () => this.inner.unlink(path));
  truncate = (path: string, lengthBytes: number) => this.call(`truncate ${baseName(path)} to ${lengthBytes}`, () => this.inner.truncate(path, lengthBytes));
  mkdir = (path: string) => this.call(`mkdir ${baseName(path)}`, () => this.inner.mkdir(path));
  rename = (from: string, to: string) => this.call(`rename ${baseName(from)} to ${baseName(to)}`, () => this.inner.rename(from, to));
  syncDirectory = (path: string) => this.call(`fsync directory ${baseName(path)}`, () => this.inner.syncDirectory(path));
}

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/**
 * nodeFs whose file fsyncs wait while `held` is set; with `gates`, only those
 * of the files it picks by name (the txn log's alone, so that a snapshot
 * written too early is not hidden by its own held fsync).
 */
export function gatedFs(gates: (fileName: string) => boolean = () => true) {
  const gate = { held: false, waiting: 0, release: () => {}, opened: Promise.resolve() };
  const fs: FsLayer = {
    ...nodeFs,
    open: async (path, flags) => {
      const handle = await nodeFs.open(path, flags);
      const gated = gates(baseName(path));
      return {
        write: (buffer, offset, length, position) => handle.write(buffer, offset, length, position),
        sync: async () => {
          if (gated && gate.held) {
            gate.waiting++;
            await gate.opened;
            gate.waiting--;
          }
          return handle.sync();
        },
        close: () => handle.close(),
      };
    },
  };
  const hold = () => {
    gate.held = true;
    gate.opened = new Promise<void>((resolve) => (gate.release = resolve));
  };
  const release = () => {
    gate.held = false;
    gate.release();
  };
  return { fs, gate, hold, release };
}

export type LoggedLine = { readonly level: StorageLogLevel; readonly event: string; readonly fields: StorageLogFields };

/** A StorageLog that keeps every line, for tests to look for an event and its fields. */
export function recordingLog(): { readonly log: StorageLog; readonly lines: LoggedLine[]; find(event: string): LoggedLine | undefined } {
  const lines: LoggedLine[] = [];
  return { log: (level, event, fields = {}) => void lines.push({ level, event, fields }), lines, find: (event) => lines.find((line) => line.event === event) };
}
