// CRC-32 (IEEE 802.3, the polynomial of zlib and gzip) over byte ranges.
//
// ZooKeeper checksums every txn log record with Adler-32 (FileTxnLog) and
// every snapshot with Adler-32 too; we use CRC-32 instead because it detects
// every burst error up to 32 bits, and Adler-32 is weak on short records, which
// is most of a ZooKeeper log (a setData of a few bytes). node:zlib exports a
// native crc32 since Node 20.15 and 22.2; the table-driven version below is
// the fallback for older Node 20 releases and the reference the native one is
// differentially tested against (crc32.test.ts).

import * as zlib from 'node:zlib';

const table: Uint32Array = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Table-driven CRC-32, one byte per step; `previous` continues a running checksum. */
export function crc32Reference(bytes: Uint8Array, previous = 0): number {
  let c = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < bytes.length; i++) {
    c = table[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  }
  return (c ^ 0xffffffff) >>> 0;
}

type NativeCrc32 = (data: Uint8Array, value?: number) => number;
const native: NativeCrc32 | undefined = (zlib as unknown as { crc32?: NativeCrc32 }).crc32;

/** CRC-32 of `bytes`, continuing from `previous` (0 to start). */
export function crc32(bytes: Uint8Array, previous = 0): number {
  return native !== undefined ? native(bytes, previous) >>> 0 : crc32Reference(bytes, previous);
}

export const hasNativeCrc32 = native !== undefined;
