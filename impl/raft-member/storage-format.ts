// The bytes of a Raft member's durable state, in `<dataDir>/raft/`, built on
// impl/storage's framing so that the checksums, the torn-tail rules and the
// preallocated zeros are the txn log's (record-format.ts), not a second copy:
//
//   hardstate            Figure 2's currentTerm and votedFor, replaced atomically
//                        (temp file, fsync, rename, directory fsync):
//                        magic "ZKRH" u32 | version u32 = 1 | term u64 | vote + 1 u64 | crc32 of the 24 bytes before it u32
//   log.<index hex>      a log segment: impl/storage's log file with the record's
//                        zxid the Raft index and its payload term u64 | data
//   snapshot.<index hex> impl/storage's snapshot file with zxid the last included
//                        index and blob term u64 | the application's data
//
// Why not ZooKeeper's epoch files and txn log as they are: Raft's vote has no
// ZAB counterpart, and its log is truncated and rewritten by index, which the
// txn log (zxid-addressed, truncated only by TRUNC) does not offer.
//
// The anchor: a log that was replaced by an InstallSnapshot starts with a
// record at the snapshot's own index, carrying the snapshot's term and no
// data. Recovery keeps the entries after a snapshot (index S, term T) only when
// the log holds S with term T (an ordinary entry after a compaction, which
// keeps the segment holding S, or the anchor after an installation), so a crash
// between writing an installed snapshot and replacing the log never leaves
// stale entries glued after a snapshot they do not follow (raft-storage.ts).

import { crc32 } from '../storage/crc32.ts';
import { NONE } from '../raft/types.ts';

export const hardStateFileName = 'hardstate';
export const segmentPrefix = 'log.';
export const snapshotPrefix = 'snapshot.';

const hardStateMagic = 0x5a4b5248; // "ZKRH"
const hardStateVersion = 1;
export const hardStateBytes = 28;
export const termBytes = 8;

export const segmentName = (firstIndex: number) => `${segmentPrefix}${firstIndex.toString(16)}`;
export const snapshotName = (index: number) => `${snapshotPrefix}${index.toString(16)}`;

export function encodeHardState(term: number, vote: number): Uint8Array {
  const bytes = new Uint8Array(hardStateBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, hardStateMagic);
  view.setUint32(4, hardStateVersion);
  view.setBigUint64(8, BigInt(term));
  // NONE (-1) is stored as 0: every stored field is unsigned.
  view.setBigUint64(16, BigInt(vote - NONE));
  view.setUint32(24, crc32(bytes.subarray(0, 24)));
  return bytes;
}

export type Decoded<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly reason: string };

export function decodeHardState(bytes: Uint8Array): Decoded<{ term: number; vote: number }> {
  if (bytes.length !== hardStateBytes) return { ok: false, reason: `${bytes.length} bytes, expected ${hardStateBytes}` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0) !== hardStateMagic) return { ok: false, reason: 'bad magic number' };
  if (view.getUint32(4) !== hardStateVersion) return { ok: false, reason: `unknown format version ${view.getUint32(4)}` };
  if (view.getUint32(24) !== crc32(bytes.subarray(0, 24))) return { ok: false, reason: 'checksum mismatch' };
  const term = view.getBigUint64(8);
  const vote = view.getBigUint64(16);
  if (term > BigInt(Number.MAX_SAFE_INTEGER) || vote > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: 'term or vote beyond 2^53' };
  return { ok: true, value: { term: Number(term), vote: Number(vote) + NONE } };
}

/** A log record's or a snapshot blob's payload: the term, then the opaque bytes. */
export function withTerm(term: number, data: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(termBytes + data.length);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(term));
  bytes.set(data, termBytes);
  return bytes;
}

export function splitTerm(payload: Uint8Array): Decoded<{ term: number; data: Uint8Array }> {
  if (payload.length < termBytes) return { ok: false, reason: `a payload of ${payload.length} bytes holds no term` };
  const term = new DataView(payload.buffer, payload.byteOffset, payload.length).getBigUint64(0);
  if (term > BigInt(Number.MAX_SAFE_INTEGER)) return { ok: false, reason: `term ${term} beyond 2^53` };
  return { ok: true, value: { term: Number(term), data: payload.slice(termBytes) } };
}

/** The names of one kind in a directory listing with their index, ascending; `.tmp` and foreign names are left out. */
export function indexedNames(names: readonly string[], prefix: string): { readonly name: string; readonly index: number }[] {
  const out: { name: string; index: number }[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const hex = name.slice(prefix.length);
    if (!/^[0-9a-f]{1,13}$/.test(hex)) continue;
    out.push({ name, index: Number.parseInt(hex, 16) });
  }
  return out.sort((a, b) => a.index - b.index);
}
