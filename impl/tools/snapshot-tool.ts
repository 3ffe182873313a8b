// `npm run snapshot -- [-d | -json] FILE`: prints one of our snapshot files
// (version-2/snapshot.<zxid>) as ZooKeeper's SnapshotFormatter prints theirs:
// every znode depth first with its stat and data length (-d: the data, base64
// as SnapshotFormatter prints it), then the sessions with their timeouts and
// ephemeral counts, then the last zxid. -json prints SnapshotFormatter's JSON,
// the ncdu export format (`ncdu -f`), where a znode's size is its data's.
//
// Before any of that, the file's checksum: the whole snapshot has one (it is
// written at once and renamed into place, record-format.ts), and recovery
// skips a snapshot whose checksum fails or whose zxid is not its name's; this
// tool says the same with the same function (decodeSnapshot). Unlike
// SnapshotFormatter, a null znode value (a client's "no data", which the tree
// keeps as null) prints as `null`, not as empty data.
//
// Exit codes: 0 a valid snapshot, 1 damaged (checksum, zxid, or a body that
// does not decode), 2 bad usage or a file that cannot be read.

import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { filesWithPrefix, snapshotPrefix } from '../storage/file-names.ts';
import { decodeSnapshot } from '../storage/record-format.ts';
import { deserializeTree } from '../tree/snapshot.ts';
import { longHex } from './java-format.ts';
import { snapshotDetails, snapshotNcduJson } from './snapshot-format.ts';
import { isMainModule, processIo, type ToolIo } from './tool-io.ts';

const usage = `usage: npm run snapshot -- [-d | -json] FILE
  prints a zkspec snapshot file (version-2/snapshot.<zxid>) as ZooKeeper's SnapshotFormatter
  -d         print every znode's data (base64) instead of its length
  -json      print the znodes in SnapshotFormatter's JSON (ncdu's export format)
exit codes: 0 valid, 1 damaged, 2 bad usage or unreadable file`;

/** The command: its exit code for `argv` (the arguments after the script). */
export async function snapshotTool(argv: readonly string[], io: ToolIo = processIo): Promise<number> {
  const say = io.out;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: argv.map((a) => (a === '-json' ? '--json' : a)), allowPositionals: true, options: { d: { type: 'boolean', short: 'd' }, json: { type: 'boolean', short: 'j' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values['help'] === true) {
    say(usage);
    return 0;
  }
  const problem = positionals.length !== 1 ? 'one FILE, please' : values['d'] === true && values['json'] === true ? 'Cannot specify both data dump (-d) and json mode (-json) in same call' : undefined;
  if (problem !== undefined) {
    io.err(`${problem}\n${usage}`);
    return 2;
  }
  const path = positionals[0]!;
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    io.err(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return 2;
  }
  const name = basename(path);
  const decoded = decodeSnapshot(bytes);
  if (!decoded.ok) {
    say(`${name}: DAMAGED: ${decoded.reason}; the server's recovery skips it and starts from an older snapshot`);
    return 1;
  }
  const named = filesWithPrefix([name], snapshotPrefix)[0];
  const tree = deserializeTree(decoded.blob);
  if (!tree.ok) {
    say(`${name}: checksum ok, but the data does not decode as a tree: ${tree.error}`);
    return 1;
  }
  if (values['json'] === true) say(snapshotNcduJson(tree.value, Date.now()));
  else {
    say(`zkspec snapshot file ${name}: format version 1, zxid ${longHex(decoded.zxid)}, ${decoded.blob.byteLength} bytes of data, checksum ok`);
    for (const line of snapshotDetails(tree.value, decoded.zxid, values['d'] === true)) say(line);
  }
  if (named !== undefined && named.zxid !== decoded.zxid) {
    // stderr: -json's stdout must stay one JSON document.
    io.err(`${name}: DAMAGED: holds zxid ${longHex(decoded.zxid)}, not its name's; the server's recovery skips it`);
    return 1;
  }
  return 0;
}

if (isMainModule(import.meta.url)) process.exitCode = await snapshotTool(process.argv.slice(2), processIo);
