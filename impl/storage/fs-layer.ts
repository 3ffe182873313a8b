// The handful of file-system calls storage makes, behind an interface so tests
// can count fsyncs (group commit must issue fewer of them than appends) and
// inject ENOSPC or EIO at any call without a full disk. Production passes
// `nodeFs`, a thin veneer over node:fs/promises.
//
// Directory fsync matters: creating or renaming a file changes its directory,
// and on Linux that change is durable only after the directory itself is
// fsynced (ext4, xfs). ZooKeeper's AtomicFileOutputStream fsyncs the file
// and renames it but never fsyncs the directory; we do.

import { writeSync } from 'node:fs';
import * as fsp from 'node:fs/promises';

export interface FileHandleLike {
  /** Writes `length` bytes of `buffer` from `offset` at file position `position`; may write fewer. */
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
  /**
   * pwrite(2) on the calling thread; returns the bytes written (may be fewer).
   * For a write small enough that handing it to the thread pool costs more
   * than the write: the txn log's group of appends, a few KiB into the page
   * cache, where the pool costs a promise, two thread hops and a wakeup of
   * the event loop per batch, and adds them to every reply's latency (#14).
   * Optional; never for large writes (a snapshot), which would stall the loop.
   */
  writeNow?(buffer: Uint8Array, offset: number, length: number, position: number): number;
  /** fsync(2): the file's data and metadata are on stable storage when this resolves. */
  sync(): Promise<void>;
  /**
   * fdatasync(2): the data, and the metadata needed to read it back (the size,
   * the block map), are on stable storage; timestamps may lag. ZooKeeper's
   * FileTxnLog forces its log with FileChannel.force(false), which is this.
   * Optional so that a test's wrapper may offer only `sync` (then used instead).
   */
  datasync?(): Promise<void>;
  /** ftruncate(2): sets the file's length. Optional; the log trims its preallocated zeros with it on close. */
  truncate?(lengthBytes: number): Promise<void>;
  /**
   * Writes zeros over [fromBytes, toBytes), so that later writes there land in
   * blocks the file system has already allocated: an fdatasync after them then
   * writes data only, no allocation metadata. (Extending with ftruncate instead,
   * as a sparse file, measured no faster than plain growth here: the blocks
   * are still allocated at the first write.) Optional; without it the log is
   * not preallocated.
   */
  preallocate?(fromBytes: number, toBytes: number): Promise<void>;
  close(): Promise<void>;
}

export interface FsLayer {
  /** 'w' creates or truncates for writing; 'r' opens for reading (used for directory fsync). */
  open(path: string, flags: 'w' | 'r'): Promise<FileHandleLike>;
  readFile(path: string): Promise<Uint8Array>;
  readdir(path: string): Promise<string[]>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
  truncate(path: string, lengthBytes: number): Promise<void>;
  mkdir(path: string): Promise<void>;
  /** fsync of a directory, making the creations and renames inside it durable. */
  syncDirectory(path: string): Promise<void>;
}

export const nodeFs: FsLayer = {
  open: async (path, flags) => {
    const handle = await fsp.open(path, flags);
    return {
      write: (buffer, offset, length, position) => handle.write(buffer, offset, length, position),
      writeNow: (buffer, offset, length, position) => writeSync(handle.fd, buffer, offset, length, position),
      sync: () => handle.sync(),
      datasync: () => handle.datasync(),
      truncate: (lengthBytes) => handle.truncate(lengthBytes),
      preallocate: (fromBytes, toBytes) => writeZeros(handle, fromBytes, toBytes),
      close: () => handle.close(),
    };
  },
  readFile: async (path) => new Uint8Array(await fsp.readFile(path)),
  readdir: (path) => fsp.readdir(path),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
  truncate: (path, lengthBytes) => fsp.truncate(path, lengthBytes),
  mkdir: async (path) => {
    await fsp.mkdir(path, { recursive: true });
  },
  syncDirectory: async (path) => {
    const handle = await fsp.open(path, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  },
};

const zeros = new Uint8Array(1024 * 1024);

async function writeZeros(handle: FileHandleLike, fromBytes: number, toBytes: number): Promise<void> {
  for (let position = fromBytes; position < toBytes; position += zeros.length) {
    await writeFully(handle, zeros.subarray(0, Math.min(zeros.length, toBytes - position)), position);
  }
}

/** Writes all of `bytes` at `position`, looping over short writes. */
export async function writeFully(handle: FileHandleLike, bytes: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < bytes.length) {
    const { bytesWritten } = await handle.write(bytes, written, bytes.length - written, position + written);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    written += bytesWritten;
  }
}

/** writeFully through `writeNow`, on this thread. */
export function writeFullyNow(writeNow: NonNullable<FileHandleLike['writeNow']>, bytes: Uint8Array, position: number): void {
  let written = 0;
  while (written < bytes.length) {
    const bytesWritten = writeNow(bytes, written, bytes.length - written, position + written);
    if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
    written += bytesWritten;
  }
}

/**
 * A file created durably: written, fsynced, renamed over `path`, directory
 * fsynced. A reader sees either the old file or the whole new one, never a
 * prefix, and after a crash the rename is not lost.
 */
export async function writeFileAtomically(fs: FsLayer, directory: string, name: string, bytes: Uint8Array | readonly Uint8Array[]): Promise<void> {
  const finalPath = `${directory}/${name}`;
  const tempPath = `${finalPath}.tmp`;
  const handle = await fs.open(tempPath, 'w');
  try {
    try {
      // Pieces (a fuzzy snapshot's slices) are written one after the other, never joined into one buffer.
      let position = 0;
      for (const piece of bytes instanceof Uint8Array ? [bytes] : bytes) {
        await writeFully(handle, piece, position);
        position += piece.length;
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (thrown) {
    // A full disk: the half-written temp file would hold its pages until a
    // restart's recovery deleted it, and a server that carries on after a
    // failed snapshot needs them back. Best effort; the write's error is what counts.
    await fs.unlink(tempPath).catch(() => undefined);
    throw thrown;
  }
  await fs.rename(tempPath, finalPath);
  await fs.syncDirectory(directory);
}

/** ftruncate, then fsync the file: a cut log has no preallocated zeros left, which recovery reads as a clean end. */
export async function truncateAndSync(fs: FsLayer, path: string, bytes: number): Promise<void> {
  await fs.truncate(path, bytes);
  const handle = await fs.open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
