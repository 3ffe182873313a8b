// File names as ZooKeeper lays them out (FileTxnLog, FileSnap, Util.makeLogName):
// `<dir>/version-2/log.<zxid>` and `<dir>/version-2/snapshot.<zxid>`, the zxid
// in lowercase hexadecimal without padding, as Java's Long.toHexString prints
// it. A log file is named after the first zxid it holds, a snapshot after the
// last zxid it includes. Operators' scripts (zkCleanup.sh, `ls -t`) and habits
// carry over even though the bytes inside are ours (record-format.ts).

export const versionDirName = 'version-2';
export const logPrefix = 'log.';
export const snapshotPrefix = 'snapshot.';

export const logFileName = (zxid: bigint) => `${logPrefix}${zxid.toString(16)}`;
export const snapshotFileName = (zxid: bigint) => `${snapshotPrefix}${zxid.toString(16)}`;

export type NamedFile = { readonly name: string; readonly zxid: bigint };

/** The files of one kind in a directory listing, sorted by zxid ascending; other names are ignored. */
export function filesWithPrefix(names: readonly string[], prefix: string): NamedFile[] {
  const files: NamedFile[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const hex = name.slice(prefix.length);
    if (!/^[0-9a-f]{1,16}$/.test(hex)) continue; // `.tmp`, `.corrupt` and foreign files
    files.push({ name, zxid: BigInt(`0x${hex}`) });
  }
  return files.sort((a, b) => (a.zxid < b.zxid ? -1 : a.zxid > b.zxid ? 1 : 0));
}

