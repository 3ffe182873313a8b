// The offline check and repair of one txn log file, as ZooKeeper's
// TxnLogToolkit -r does it for theirs, with the verdict of our own recovery:
// the check is recovery's scanLogFile (impl/storage/recovery.ts), the repair
// is recovery's repairLog, so the tool finds the same first bad record the
// server would at its next start, and leaves the files as the server would
// (the damaged file cut after its last good record, or deleted when its
// header is torn, or set aside as `.corrupt` when its header is bad; every
// later log file of the directory set aside as `.corrupt`).
//
// Unlike the server, the tool never repairs by itself: it reports, and cuts
// only when asked (-r), after a copy of the original is kept beside it
// (`<file>.orig`, or `.orig.1`, ... if that exists), so that nothing is lost
// that an operator might still want to read. Recovery reads a file knowing
// the previous file's last zxid; the tool reads one file alone, so a first
// record that does not follow the previous file is left to the server.

import { copyFile, readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { err, ok, type Result } from '../../lib/result.ts';
import { filesWithPrefix, logPrefix, type NamedFile } from '../storage/file-names.ts';
import { nodeFs } from '../storage/fs-layer.ts';
import type { LogScan, ScanStop } from '../storage/record-format.ts';
import { repairLog, scanLogFile } from '../storage/recovery.ts';

export type LogCheck = {
  readonly path: string;
  readonly file: NamedFile;
  readonly fileBytes: number;
  readonly scan: LogScan;
  /** Later log files in the same directory: the server sets them aside when this file is damaged. */
  readonly later: readonly string[];
};

/** What a repair does to the file, in words for the operator (and the prompt). */
export function repairPlan(check: LogCheck): string {
  const stop = check.scan.stop;
  if (stop === undefined) return 'nothing to repair';
  const setAside = check.later.length > 0 ? `; set aside the later log files ${check.later.join(', ')} as .corrupt` : '';
  switch (stop.reason) {
    case 'torn-header':
      return `delete ${check.file.name} (its header is cut short: it never held a record)${setAside}`;
    case 'bad-header':
      return `rename ${check.file.name} to ${check.file.name}.corrupt (its header is not a valid one for this file)${setAside}`;
    default:
      return `cut ${check.file.name} to ${check.scan.validBytes} bytes after record ${check.scan.records.length} (zxid ${lastZxidText(check)}), discarding ${check.fileBytes - check.scan.validBytes} bytes${setAside}`;
  }
}

const lastZxidText = (check: LogCheck) => {
  const last = check.scan.records.at(-1);
  return last === undefined ? 'none' : `0x${last.zxid.toString(16)}`;
};

/** Reads and judges one log file as recovery would. A name that is not `log.<hex>` is judged by its header's first zxid. */
export async function checkLog(path: string): Promise<Result<LogCheck, string>> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    return err(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const name = basename(path);
  const named = filesWithPrefix([name], logPrefix)[0];
  // A copy under another name: compare the header with itself (the name check is the server's, for files it lists).
  const file = named ?? { name, zxid: headerZxid(bytes) };
  const scan = scanLogFile(bytes, file, -1n);
  let later: string[] = [];
  if (named !== undefined) {
    try {
      later = filesWithPrefix(await readdir(dirname(path)), logPrefix)
        .filter((f) => f.zxid > named.zxid)
        .map((f) => f.name);
    } catch {
      // An unreadable directory only hides the later files; the check of this file stands.
    }
  }
  return ok({ path, file, fileBytes: bytes.byteLength, scan, later });
}

function headerZxid(bytes: Uint8Array): bigint {
  return bytes.byteLength >= 16 ? new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(8) : -1n;
}

/** Where the damage is, in words: the first bad record's offset and what is wrong with it. */
export function stopText(stop: ScanStop): string {
  const what: Record<ScanStop['reason'], string> = {
    'torn-header': 'the file header is cut short',
    'bad-header': 'the file header is invalid (magic, version, checksum or first zxid)',
    'torn-record': 'a record cut short (a torn write: the tail of an interrupted append)',
    'bad-length': 'a record length beyond any record (damage)',
    'bad-checksum': 'a record fails its checksum (damage: a flipped bit or an overwritten block)',
    'zxid-not-increasing': 'a record whose zxid does not increase (damage, or records from another log)',
  };
  return `${what[stop.reason]} at byte ${stop.offset}`;
}

/** A name beside `path` not yet taken: `<path>.orig`, else `<path>.orig.1`, ... */
async function freeBackupPath(path: string): Promise<string> {
  for (let i = 0; ; i++) {
    const candidate = i === 0 ? `${path}.orig` : `${path}.orig.${i}`;
    try {
      await stat(candidate);
    } catch {
      return candidate;
    }
  }
}

/** Copies the original aside, then repairs as recovery does. The check must be fresh: the file is re-read and must not have changed. */
export async function repair(check: LogCheck): Promise<Result<{ readonly backup: string }, string>> {
  const { stop } = check.scan;
  if (stop === undefined) return err(`${check.path} is not damaged`);
  const again = await checkLog(check.path);
  if (!again.ok) return again;
  if (again.value.fileBytes !== check.fileBytes || again.value.scan.validBytes !== check.scan.validBytes) return err(`${check.path} changed since it was checked; check it again`);
  const backup = await freeBackupPath(check.path);
  try {
    await copyFile(check.path, backup);
  } catch (error) {
    return err(`cannot copy ${check.path} to ${backup}: ${(error as NodeJS.ErrnoException).code ?? String(error)}; nothing repaired`);
  }
  const repaired = await repairLog(nodeFs, dirname(check.path), check.file, stop, check.scan.validBytes, check.later);
  if (!repaired.ok) return err(`${repaired.error.message} (the original is kept as ${backup})`);
  return ok({ backup });
}
