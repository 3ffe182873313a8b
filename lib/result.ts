// Operating errors are values, not exceptions: a full disk, a bad zoo.cfg line
// or a peer that went away is something the caller must handle and report,
// never a crash with a stack trace. Programmer errors are assertions instead
// (assert.ts). Each part names its own error type E (StorageError,
// a config message, ...); this file only gives the shape.

export type Result<T, E> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: E };

export const ok = <T>(value: T): Result<T, never> => ({ ok: true, value });
export const err = <E>(error: E): Result<never, E> => ({ ok: false, error });
