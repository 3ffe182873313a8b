// `npm run txnlog -- [options] FILE`: prints one of our txn log files
// (version-2/log.<zxid>) as ZooKeeper's TxnLogToolkit prints theirs, checks it
// and repairs it offline, with the server's own verdict (log-check.ts).
//
//   (no option)   one line per txn: its checksum verdict, then TxnLogToolkit's
//                 line (time, session, cxid, zxid, type, the txn's fields)
//   -d            the data of every txn in full (UTF-8 text, else base64)
//   -j, -json     one JSON object per txn, then one for the end of the file
//   -c, --check   no txns: only whether the file is whole and where it is not
//   -r, --repair  check, then cut the file after its last good record as the
//                 server's recovery would, after asking (-y: without asking),
//                 keeping a copy of the original as <FILE>.orig
//
// Exit codes: 0 the file is whole (or was repaired), 1 damage found and not
// repaired, 2 bad usage or a file that cannot be read. What is printed goes to
// stdout; the reason for exit 2 to stderr.

import { createInterface } from 'node:readline';
import { assertNever } from '../../lib/assert.ts';
import { parseArgs } from 'node:util';
import { decodeTxn } from '../tree/txn.ts';
import { logHeaderBytes, recordHeaderBytes, type LogRecord } from '../storage/record-format.ts';
import { readFile } from 'node:fs/promises';
import { checkLog, type LogCheck, repair, repairPlan, stopText } from './log-check.ts';
import { longHex } from './java-format.ts';
import { txnJson, txnLine } from './txn-format.ts';
import { isMainModule, processIo, type ToolIo } from './tool-io.ts';

const usage = `usage: npm run txnlog -- [-d] [-j|-json] [-c|--check] [-r|--repair [-y]] FILE
  prints a zkspec txn log file (version-2/log.<zxid>) one txn a line, as ZooKeeper's TxnLogToolkit
  -d            print every txn's data in full (UTF-8 text, else base64)
  -j, -json     one JSON object per txn, then one for the end of the file
  -c, --check   only check the file: exit 0 if it is whole, 1 if it is damaged
  -r, --repair  check, then cut the file after its last good record as the server's recovery would,
                keeping a copy of the original as FILE.orig; asks first unless -y
  -y, --yes     repair without asking
exit codes: 0 whole (or repaired), 1 damage found and not repaired, 2 bad usage or unreadable file`;

type Mode = 'dump' | 'check' | 'repair';
type Options = { readonly mode: Mode; readonly dumpData: boolean; readonly json: boolean; readonly yes: boolean; readonly file: string };

function parse(argv: readonly string[]): Options | string | 'help' {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv.map((a) => (a === '-json' ? '--json' : a)),
      allowPositionals: true,
      options: {
        d: { type: 'boolean', short: 'd' },
        json: { type: 'boolean', short: 'j' },
        check: { type: 'boolean', short: 'c' },
        repair: { type: 'boolean', short: 'r' },
        yes: { type: 'boolean', short: 'y' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  const v = parsed.values;
  if (v['help'] === true) return 'help';
  if (parsed.positionals.length !== 1) return parsed.positionals.length === 0 ? 'no FILE given' : `one FILE at a time, got ${parsed.positionals.length}`;
  if (v['check'] === true && v['repair'] === true) return '-c and -r are different modes: pick one';
  if (v['yes'] === true && v['repair'] !== true) return '-y only goes with -r';
  const mode: Mode = v['repair'] === true ? 'repair' : v['check'] === true ? 'check' : 'dump';
  if (mode !== 'dump' && (v['d'] === true || v['json'] === true)) return '-d and -j print txns: they go without -c and -r';
  return { mode, dumpData: v['d'] === true, json: v['json'] === true, yes: v['yes'] === true, file: parsed.positionals[0]! };
}

function summary(check: LogCheck): string {
  const { scan } = check;
  const first = scan.records[0];
  const last = scan.records.at(-1);
  const range = first === undefined || last === undefined ? '' : ` (zxid ${longHex(first.zxid)} to ${longHex(last.zxid)})`;
  if (scan.stop === undefined) return `${check.file.name}: whole: ${scan.records.length} txns${range}, every checksum holds`;
  return (
    `${check.file.name}: DAMAGED: ${stopText(scan.stop)}; ${scan.records.length} good txns before it${range}, ` +
    `${check.fileBytes - scan.validBytes} bytes from there on. The server's recovery would ${repairPlan(check)}`
  );
}

function recordText(record: LogRecord, offset: number, dumpData: boolean): string {
  const txn = decodeTxn(record.payload);
  if (!txn.ok) return `record at byte ${offset}, zxid ${longHex(record.zxid)}: not a txn (${txn.error})`;
  return txnLine(txn.value, dumpData);
}

/** The first bad record, as far as its bytes let it be read (a bad checksum often still decodes: TxnLogToolkit prints it too). */
function damagedRecordText(bytes: Uint8Array, check: LogCheck, dumpData: boolean): string {
  const stop = check.scan.stop!;
  if (stop.reason === 'torn-header' || stop.reason === 'bad-header') return `DAMAGED - ${stopText(stop)}`;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const label = stop.reason === 'bad-checksum' ? 'CRC ERROR' : stop.reason === 'torn-record' ? 'TORN' : 'DAMAGED';
  if (stop.offset + recordHeaderBytes > bytes.byteLength) return `${label} - ${stopText(stop)}: ${bytes.byteLength - stop.offset} bytes of a record header`;
  const length = view.getUint32(stop.offset);
  const end = stop.offset + recordHeaderBytes + length;
  if (end > bytes.byteLength) return `${label} - ${stopText(stop)}: ${bytes.byteLength - stop.offset} of the record's ${recordHeaderBytes + length} bytes`;
  const record = { zxid: view.getBigUint64(stop.offset + 8), payload: bytes.subarray(stop.offset + recordHeaderBytes, end) };
  return `${label} - ${recordText(record, stop.offset, dumpData)}`;
}

async function dump(options: Options, check: LogCheck, say: (line: string) => void): Promise<void> {
  const bytes = await readFile(options.file);
  const { scan } = check;
  let offset = logHeaderBytes;
  if (!options.json) say(`zkspec txn log file ${check.file.name}: format version 1, first zxid ${longHex(check.scan.firstZxid ?? check.file.zxid)}, ${check.fileBytes} bytes`);
  for (const record of scan.records) {
    if (options.json) {
      const txn = decodeTxn(record.payload);
      say(JSON.stringify(txn.ok ? { offset, crc: 'ok', ...txnJson(txn.value, options.dumpData) } : { offset, crc: 'ok', zxid: longHex(record.zxid), error: txn.error }));
    } else say(`crc ok - ${recordText(record, offset, options.dumpData)}`);
    offset += recordHeaderBytes + record.payload.byteLength;
  }
  const stop = scan.stop;
  if (options.json) {
    say(JSON.stringify({ end: stop === undefined ? 'eof' : stop.reason, offset: stop?.offset ?? scan.validBytes, txns: scan.records.length, fileBytes: check.fileBytes }));
    return;
  }
  if (stop === undefined) say(`EOF reached after ${scan.records.length} txns.`);
  else {
    say(damagedRecordText(bytes, check, options.dumpData));
    say(summary(check));
  }
}

async function confirm(question: string, io: ToolIo): Promise<boolean> {
  io.out(`${question} (yes/no)`);
  const lines = createInterface({ input: io.input });
  for await (const line of lines) {
    lines.close();
    return /^y(es)?$/i.test(line.trim());
  }
  return false;
}

/** The command: its exit code for `argv` (the arguments after the script). */
export async function txnLogTool(argv: readonly string[], io: ToolIo = processIo): Promise<number> {
  const say = io.out;
  const options = parse(argv);
  if (options === 'help') {
    say(usage);
    return 0;
  }
  if (typeof options === 'string') {
    io.err(`${options}\n${usage}`);
    return 2;
  }
  const checked = await checkLog(options.file);
  if (!checked.ok) {
    io.err(checked.error);
    return 2;
  }
  const check = checked.value;
  const damaged = check.scan.stop !== undefined;
  switch (options.mode) {
    case 'dump':
      await dump(options, check, say);
      return damaged ? 1 : 0;
    case 'check':
      say(summary(check));
      return damaged ? 1 : 0;
    case 'repair': {
      say(summary(check));
      if (!damaged) return 0;
      // Never silently: the plan is printed, and carried out only on a yes.
      if (!options.yes && !(await confirm(`Repair: ${repairPlan(check)}?`, io))) {
        say('not repaired');
        return 1;
      }
      const repaired = await repair(check);
      if (!repaired.ok) {
        say(`not repaired: ${repaired.error}`);
        return 1;
      }
      say(`repaired: ${repairPlan(check)}; the original is kept as ${repaired.value.backup}`);
      return 0;
    }
    default:
      return assertNever(options.mode, 'mode');
  }
}

if (isMainModule(import.meta.url)) process.exitCode = await txnLogTool(process.argv.slice(2), processIo);
