// What the storage layer tells the server's log: one structured line per
// event (a stable `event` name, the data as fields), in the shape of
// observability/logger.ts's StructuredLogger, spelled out here so that this
// leaf imports nothing of the server. Recovery, the txn log writer, snapshot
// and purge code all log through it; the offline tools (impl/tools/) pass
// their own, so they report what the server would.

import { assertNever } from '../../lib/assert.ts';
import type { StorageError } from './storage-error.ts';

export type StorageLogLevel = 'info' | 'warn' | 'error';
export type StorageLogFields = Readonly<Record<string, string | number | boolean | bigint | undefined | readonly string[]>>;
export type StorageLog = (level: StorageLogLevel, event: string, fields?: StorageLogFields) => void;

export const silentStorageLog: StorageLog = () => {};

/** A StorageError as log fields: its kind, the errno code, operation and path when it has them, and its message. */
export function storageErrorFields(error: StorageError): StorageLogFields {
  switch (error.kind) {
    case 'io':
      return { errorKind: error.kind, op: error.op, path: error.path, code: error.code, error: error.message };
    case 'corrupt':
      return { errorKind: error.kind, path: error.path, error: error.message };
    case 'gap':
    case 'failed':
    case 'refused':
      return { errorKind: error.kind, error: error.message };
    default:
      return assertNever(error, 'storage error');
  }
}
