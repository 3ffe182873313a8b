// Bytes that live only until something copies or writes them: a reply's
// record (copied into its frame), a frame (until its socket has written it), a
// txn's encoding (until the log has copied it into its write). They come from
// Node's shared 8 KiB pool (Buffer.allocUnsafe) because a typed array of its
// own over 64 bytes costs about a microsecond to allocate and more to
// collect, more than encoding most records (measured for #14, recorded in
// docs/benchmarks.md). Never for bytes kept longer (znode data, a snapshot):
// a pooled slice keeps its whole 8 KiB slab alive.

import { encodeRecord, type JuteWriter } from '../protocol/jute.ts';

/** `byteLength` uninitialised bytes from the pool: the caller writes every one. */
export function pooledBytes(byteLength: number): Buffer {
  return Buffer.allocUnsafe(byteLength);
}

/** encodeRecord into pooled bytes, for a record that is copied on at once. */
export function encodeBrief<T>(value: T, write: (writer: JuteWriter, value: T) => void): Uint8Array {
  return encodeRecord(value, write, pooledBytes);
}
