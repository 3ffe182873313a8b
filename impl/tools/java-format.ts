// How ZooKeeper's offline tools print times, ids and data, so that our tools'
// output reads like theirs (and diffs against it line by line): Java's
// Date.toString and DateFormat(SHORT, LONG) in en_US, `%#016x`, and data as
// UTF-8 text or base64. Times are printed in UTC: the machine reading a
// file is often not the one that wrote it.

import { javaDate, javaHex } from '../admin/java-format.ts';

const two = (n: number) => String(n).padStart(2, '0');

/** Java's `new Date(ms).toString()` in UTC: `Thu Jan 01 00:00:00 UTC 1970` (SnapshotFormatter's ctime and mtime). */
export function javaDateString(ms: bigint): string {
  const epochMs = Number(ms);
  return Number.isNaN(new Date(epochMs).getTime()) ? `invalid time ${ms}` : javaDate(epochMs);
}

/** Java's DateFormat.getDateTimeInstance(SHORT, LONG) in en_US, UTC: `1/1/70, 12:00:00 AM UTC` (TxnLogToolkit's txn time). */
export function javaShortDateTime(ms: bigint): string {
  const d = new Date(Number(ms));
  if (Number.isNaN(d.getTime())) return `invalid time ${ms}`;
  const hours = d.getUTCHours();
  const hour12 = hours % 12 === 0 ? 12 : hours % 12;
  return `${d.getUTCMonth() + 1}/${d.getUTCDate()}/${two(d.getUTCFullYear() % 100)}, ${hour12}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'} UTC`;
}

/** Java's `String.format("%#016x", long)`: 0x and at least 14 digits, the 64-bit pattern of a negative value. */
export function paddedHex(value: bigint): string {
  return `0x${BigInt.asUintN(64, value).toString(16).padStart(14, '0')}`;
}

/** Java's Long.toHexString with 0x: the 64-bit pattern, no padding. */
export function longHex(value: bigint | number): string {
  return `0x${javaHex(value)}`;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

const isControl = (char: string) => {
  const code = char.codePointAt(0)!;
  return (code < 0x20 && char !== '\t' && char !== '\n') || code === 0x7f;
};

/** Data for a person: `null`, its UTF-8 text in quotes when it is printable text, else `base64:...`. */
export function dataText(data: Uint8Array | null): string {
  if (data === null) return 'null';
  try {
    const text = utf8.decode(data);
    // Control characters other than tab and newline would garble a terminal: those go out as base64.
    if (![...text].some(isControl)) return JSON.stringify(text);
  } catch {
    // not UTF-8: base64 below
  }
  return `base64:${Buffer.from(data).toString('base64')}`;
}

/** Data summarised without its content: `null` or `#<length>` (the default; -d prints it whole). */
export function dataSummary(data: Uint8Array | null): string {
  return data === null ? 'null' : `#${data.byteLength}`;
}
