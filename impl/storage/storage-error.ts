// Operating errors of the disk are values, not exceptions (lib/result.ts): a
// full disk or a failing sector is something a server must report and survive
// long enough to say so, never a crash with a stack trace.

import { err, ok, type Result } from '../../lib/result.ts';

/**
 * What went wrong on disk. `io` wraps a failed system call with its errno code
 * (ENOSPC, EIO, EACCES, ...); `gap` is a hole in the recovered history that no
 * amount of retrying fixes; `corrupt` is a small file (an epoch) whose content
 * cannot be read back; `failed` is an append refused because an earlier
 * write failed (the log's tail is then unknown until a restart recovers it);
 * `refused` is a write that would contradict a rewrite of the history under
 * way (a snapshot of the tree from before a truncation or installation).
 */
export type StorageError =
  | { readonly kind: 'io'; readonly op: string; readonly path: string; readonly code: string; readonly message: string }
  | { readonly kind: 'gap'; readonly message: string }
  | { readonly kind: 'corrupt'; readonly path: string; readonly message: string }
  | { readonly kind: 'failed'; readonly message: string; readonly cause: StorageError }
  | { readonly kind: 'refused'; readonly message: string };

const errnoText: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EIO: 'input/output error',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOENT: 'no such file or directory',
  EDQUOT: 'disk quota exceeded',
  EMFILE: 'too many open files',
  EBADF: 'bad file descriptor',
};

/** Turns a thrown system-call error into a StorageError; rethrows anything else (a bug). */
export function ioError(op: string, path: string, thrown: unknown): StorageError {
  const code = (thrown as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') throw thrown;
  const text = errnoText[code] ?? (thrown instanceof Error ? thrown.message : code);
  return { kind: 'io', op, path, code, message: `${op} ${path} failed: ${code} (${text})` };
}

/** Runs a system call and returns its outcome as a Result. */
export async function attempt<T>(op: string, path: string, call: () => Promise<T>): Promise<Result<T, StorageError>> {
  try {
    return ok(await call());
  } catch (thrown) {
    return err(ioError(op, path, thrown));
  }
}
