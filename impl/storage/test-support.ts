// Helpers for storage tests: temporary data directories and an fs layer that
// counts calls and can fail on command.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeFs, type FileHandleLike, type FsLayer } from './fs-layer.ts';

export function temporaryDir(prefix = 'zk-storage-'): { readonly path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
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
