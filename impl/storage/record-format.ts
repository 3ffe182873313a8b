// The bytes of our txn log and snapshot files. ZooKeeper's own layout
// (FileTxnLog: "ZKLG" header, then per record an Adler-32 checksum, a length,
// the jute-serialised TxnHeader and txn, and an end-of-record byte 0x42) ties
// the log to jute; ours stores opaque payloads so that storage knows nothing of
// the data tree, and it uses different magic numbers so neither ZooKeeper's
// tools nor ours mistake one format for the other. All integers are big-endian
// (jute's byte order).
//
// Txn log file `version-2/log.<first zxid in hex>`:
//
//   header, 20 bytes:  magic "ZKSL" u32 | formatVersion u32 = 1 | firstZxid u64 | crc32 of the previous 16 bytes u32
//   record, repeated:  payloadLength u32 | crc32 u32 | zxid u64 | payload (payloadLength bytes)
//
//   A record's crc32 covers payloadLength, zxid and payload (everything but
//   itself), so a flipped bit in the length is caught as surely as one in the
//   payload. Zxids strictly increase within a file and across files. Files are
//   preallocated (txn-log.ts), so the records may be followed by zeros up to
//   the file's end: a record header of 16 zero bytes with nothing but zeros
//   after it is the end of the log (a real record has a zxid above 0 and a
//   checksum, so it is never all zeros). Zeros followed by anything else are
//   damage, not an end. A record cut short by a crash is a torn tail: either
//   the file ends inside it (an unpreallocated file, or a cut past the zeros)
//   or it fails its checksum and its last byte and everything after it are
//   zero (the write stopped partway into preallocated space).
//
// Snapshot file `version-2/snapshot.<zxid in hex>`:
//
//   header, 28 bytes:  magic "ZKSS" u32 | formatVersion u32 = 1 | zxid u64 | blobLength u64 | crc32 u32
//   blob:              blobLength bytes, opaque (the server's serialised data tree and sessions)
//
//   The crc32 covers zxid, blobLength and the blob. A snapshot is written to
//   `snapshot.<zxid>.tmp`, fsynced, then renamed, so a complete name never
//   holds a partial snapshot; the checksum catches what the disk did later.

import { crc32 } from './crc32.ts';

export const logMagic = 0x5a4b534c; // "ZKSL"
export const snapshotMagic = 0x5a4b5353; // "ZKSS"
export const formatVersion = 1;
export const logHeaderBytes = 20;
export const recordHeaderBytes = 16;
export const snapshotHeaderBytes = 28;
/** A length above this is a corrupt length field, not a record (jute.maxbuffer defaults to 1 MiB). */
export const recordPayloadBytesMax = 256 * 1024 * 1024;

const zxidMax = (1n << 64n) - 1n;

export function encodeLogHeader(firstZxid: bigint): Uint8Array {
  const bytes = new Uint8Array(logHeaderBytes);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, logMagic);
  view.setUint32(4, formatVersion);
  view.setBigUint64(8, firstZxid);
  view.setUint32(16, crc32(bytes.subarray(0, 16)));
  return bytes;
}

/** Appends one record to `target` at `offset`; returns the offset after it. */
export function encodeRecordInto(target: Uint8Array, offset: number, zxid: bigint, payload: Uint8Array): number {
  const view = new DataView(target.buffer, target.byteOffset + offset, recordHeaderBytes);
  view.setUint32(0, payload.length);
  view.setBigUint64(8, zxid);
  target.set(payload, offset + recordHeaderBytes);
  let sum = crc32(target.subarray(offset, offset + 4));
  sum = crc32(target.subarray(offset + 8, offset + recordHeaderBytes + payload.length), sum);
  view.setUint32(4, sum);
  return offset + recordHeaderBytes + payload.length;
}

export function recordBytes(payload: Uint8Array): number {
  return recordHeaderBytes + payload.length;
}

export type LogRecord = { readonly zxid: bigint; readonly payload: Uint8Array };

/** Why scanning a log file stopped before its end. */
export type ScanStop =
  | { readonly reason: 'torn-header' | 'bad-header'; readonly offset: 0 }
  | { readonly reason: 'torn-record' | 'bad-length' | 'bad-checksum' | 'zxid-not-increasing'; readonly offset: number };

export type LogScan = {
  readonly firstZxid: bigint | undefined;
  /** The records before the first invalid byte, in file order. */
  readonly records: readonly LogRecord[];
  /** Offset just after the last valid record: the file's length after truncation. */
  readonly validBytes: number;
  readonly stop: ScanStop | undefined;
};

/**
 * Reads every valid record of one log file, stopping at the first record that
 * is cut short, fails its checksum, or does not increase the zxid. Nothing
 * after that point is looked at: a corrupt length makes every later offset
 * meaningless, and replaying past a hole would apply txns out of order.
 */
export function scanLog(bytes: Uint8Array, previousZxid: bigint): LogScan {
  if (bytes.length < logHeaderBytes) {
    return { firstZxid: undefined, records: [], validBytes: 0, stop: { reason: 'torn-header', offset: 0 } };
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  const headerOk =
    view.getUint32(0) === logMagic &&
    view.getUint32(4) === formatVersion &&
    view.getUint32(16) === crc32(bytes.subarray(0, 16));
  if (!headerOk) return { firstZxid: undefined, records: [], validBytes: 0, stop: { reason: 'bad-header', offset: 0 } };
  const firstZxid = view.getBigUint64(8);

  const records: LogRecord[] = [];
  let offset = logHeaderBytes;
  let lastZxid = previousZxid;
  let stop: ScanStop | undefined;
  while (offset < bytes.length) {
    // The preallocated tail: end of the log. Fewer than a header's worth of zeros
    // is rather a record cut inside its length field (whose high bytes are 0).
    if (bytes.length - offset >= recordHeaderBytes && isAllZero(bytes, offset)) break;
    if (bytes.length - offset < recordHeaderBytes) {
      stop = { reason: 'torn-record', offset };
      break;
    }
    const payloadLength = view.getUint32(offset);
    if (payloadLength > recordPayloadBytesMax) {
      stop = { reason: 'bad-length', offset };
      break;
    }
    const end = offset + recordHeaderBytes + payloadLength;
    if (end > bytes.length) {
      stop = { reason: 'torn-record', offset };
      break;
    }
    let sum = crc32(bytes.subarray(offset, offset + 4));
    sum = crc32(bytes.subarray(offset + 8, end), sum);
    if (sum !== view.getUint32(offset + 4)) {
      // A write that stopped partway into preallocated space leaves zeros from
      // the cut to the file's end; a flipped bit leaves the record's tail in place.
      stop = { reason: isAllZero(bytes, end - 1) ? 'torn-record' : 'bad-checksum', offset };
      break;
    }
    const zxid = view.getBigUint64(offset + 8);
    if (zxid <= lastZxid || (records.length === 0 && zxid < firstZxid)) {
      stop = { reason: 'zxid-not-increasing', offset };
      break;
    }
    records.push({ zxid, payload: bytes.slice(offset + recordHeaderBytes, end) });
    lastZxid = zxid;
    offset = end;
  }
  return { firstZxid, records, validBytes: offset, stop };
}

/** True when every byte from `from` to the end is zero (true for an empty range). */
export function isAllZero(bytes: Uint8Array, from: number): boolean {
  let i = from;
  // Four bytes at a time once aligned; the preallocated tail can be megabytes.
  while (i < bytes.length && (bytes.byteOffset + i) % 4 !== 0) if (bytes[i++] !== 0) return false;
  const words = Math.floor((bytes.length - i) / 4);
  if (words > 0) {
    const wide = new Uint32Array(bytes.buffer, bytes.byteOffset + i, words);
    for (let w = 0; w < words; w++) if (wide[w] !== 0) return false;
    i += words * 4;
  }
  while (i < bytes.length) if (bytes[i++] !== 0) return false;
  return true;
}

export function encodeSnapshot(zxid: bigint, blob: Uint8Array): Uint8Array {
  if (zxid < 0n || zxid > zxidMax) throw new RangeError(`zxid out of range: ${zxid}`);
  const bytes = new Uint8Array(snapshotHeaderBytes + blob.length);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, snapshotMagic);
  view.setUint32(4, formatVersion);
  view.setBigUint64(8, zxid);
  view.setBigUint64(16, BigInt(blob.length));
  bytes.set(blob, snapshotHeaderBytes);
  let sum = crc32(bytes.subarray(8, 24));
  sum = crc32(blob, sum);
  view.setUint32(24, sum);
  return bytes;
}

/**
 * encodeSnapshot's header for a blob given in pieces (a fuzzy snapshot's
 * slices), which are written after it as they are: `pieceSum` continues the
 * checksum over each piece in order (the caller may spread that over turns of
 * the event loop), and `seal` writes the result into the header.
 */
export function snapshotHeaderForPieces(zxid: bigint, blobLength: number): { readonly header: Uint8Array; readonly checksumStart: number; seal(sum: number): void } {
  if (zxid < 0n || zxid > zxidMax) throw new RangeError(`zxid out of range: ${zxid}`);
  const header = new Uint8Array(snapshotHeaderBytes);
  const view = new DataView(header.buffer);
  view.setUint32(0, snapshotMagic);
  view.setUint32(4, formatVersion);
  view.setBigUint64(8, zxid);
  view.setBigUint64(16, BigInt(blobLength));
  return { header, checksumStart: crc32(header.subarray(8, 24)), seal: (sum) => view.setUint32(24, sum) };
}

export type SnapshotDecode =
  | { readonly ok: true; readonly zxid: bigint; readonly blob: Uint8Array }
  | { readonly ok: false; readonly reason: string };

export function decodeSnapshot(bytes: Uint8Array): SnapshotDecode {
  if (bytes.length < snapshotHeaderBytes) return { ok: false, reason: `${bytes.length} bytes is shorter than the header` };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
  if (view.getUint32(0) !== snapshotMagic) return { ok: false, reason: 'bad magic number' };
  if (view.getUint32(4) !== formatVersion) return { ok: false, reason: `unknown format version ${view.getUint32(4)}` };
  const blobLength = view.getBigUint64(16);
  if (blobLength !== BigInt(bytes.length - snapshotHeaderBytes)) {
    return { ok: false, reason: `header says ${blobLength} bytes of data, file has ${bytes.length - snapshotHeaderBytes}` };
  }
  const blob = bytes.subarray(snapshotHeaderBytes);
  let sum = crc32(bytes.subarray(8, 24));
  sum = crc32(blob, sum);
  if (sum !== view.getUint32(24)) return { ok: false, reason: 'checksum mismatch' };
  return { ok: true, zxid: view.getBigUint64(8), blob };
}
