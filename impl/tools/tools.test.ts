import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { logHeaderBytes, recordHeaderBytes } from '../storage/record-format.ts';
import { Storage } from '../storage/storage.ts';
import { openAclUnsafe } from '../tree/acl.ts';
import { DataTree } from '../tree/data-tree.ts';
import { serializeTree } from '../tree/snapshot.ts';
import { encodeTxn, type Txn, type TxnBody, type TxnOp } from '../tree/txn.ts';
import { snapshotTool } from './snapshot-tool.ts';
import type { ToolIo } from './tool-io.ts';
import { txnLogTool } from './txn-log-tool.ts';

const txnLogScript = fileURLToPath(new URL('./txn-log-tool.ts', import.meta.url));
const snapshotScript = fileURLToPath(new URL('./snapshot-tool.ts', import.meta.url));

const bytes = (text: string) => new TextEncoder().encode(text);
const session = 0x100000abcn;
const time = 1_700_000_000_000n; // 11/14/23, 10:13:20 PM UTC
const create = (path: string, data: Uint8Array | null, ephemeral = false, parentCVersion = 1): TxnOp => ({ type: 'create', opCode: OpCode.create, path, data, acl: openAclUnsafe, ephemeral, parentCVersion });
const bodies: TxnBody[] = [
  { type: 'createSession', timeOut: 30_000 },
  create('/a', bytes('hello')),
  create('/a/null', null),
  create('/eph', bytes('x'), true, 2),
  { type: 'setData', path: '/a', data: bytes('world'), version: 1 },
  { type: 'multi', ops: [create('/m', null, false, 3), { type: 'delete', opCode: OpCode.delete, path: '/m' }] },
  // After the snapshot, in the second log file.
  create('/b', bytes('b'), false, 5),
  { type: 'setData', path: '/b', data: null, version: 1 },
  create('/c', new Uint8Array([0, 1, 2, 255]), false, 6),
];
const txns: Txn[] = bodies.map((body, i) => ({ sessionId: session, cxid: i, zxid: BigInt(i + 1), time, body }));
const payloads = txns.map(encodeTxn);
/** Byte offset of txn n (1-based) in its file: log.1 holds 1..6, log.7 holds 7..9. */
const offsetOf = (n: number) => logHeaderBytes + payloads.slice(n <= 6 ? 0 : 6, n - 1).reduce((sum, p) => sum + recordHeaderBytes + p.byteLength, 0);

let root: string;
let pristine: string;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'zk-tools-'));
  pristine = join(root, 'pristine');
  // Written by the real storage code, as the server writes them: txns 1..6, a snapshot at 6 (which rolls the log), txns 7..9.
  const { storage } = unwrapOk(await Storage.open({ dataDir: pristine, snapshotSeed: 1 }));
  const tree = new DataTree();
  for (const [i, txn] of txns.entries()) {
    tree.applyTxn(txn);
    unwrapOk(await storage.append(txn.zxid, payloads[i]!));
    if (txn.zxid === 6n) unwrapOk(await storage.writeSnapshot(6n, serializeTree(tree)));
  }
  await storage.close();
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

function unwrapOk<T>(result: { ok: true; value: T } | { ok: false; error: unknown }): T {
  if (!result.ok) throw new Error(JSON.stringify(result.error));
  return result.value;
}

let copies = 0;
/** A copy of the pristine dataDir to damage; returns its version-2 directory. */
function copy(): string {
  const dir = join(root, `copy-${++copies}`);
  cpSync(pristine, dir, { recursive: true });
  return join(dir, 'version-2');
}

type Tool = (argv: readonly string[], io: ToolIo) => Promise<number>;

/** A tool run in this process, its output collected (most cases: a spawn costs seconds). */
async function call(tool: Tool, args: readonly string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await tool(args, { out: (text) => (stdout += `${text}\n`), err: (text) => (stderr += `${text}\n`), input: Readable.from(stdin === '' ? [] : [stdin]) });
  return { code, stdout, stderr };
}

/** A tool run as the command it is, in a process of its own (the exit code is the process's). */
function run(script: string, args: readonly string[], stdin = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run txnlog', () => {
  it("prints each txn as TxnLogToolkit does, with its checksum's verdict; -d prints the data", async () => {
    const dir = join(pristine, 'version-2');
    // As a command, in a process of its own; the other cases run the same function in this process.
    const { code, stdout } = await run(txnLogScript, [join(dir, 'log.1')]);
    expect(code, stdout).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^zkspec txn log file log\.1: format version 1, first zxid 0x1, \d+ bytes$/);
    expect(lines.slice(1, -1)).toEqual([
      'crc ok - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x0 zxid 0x1 createSession 30000',
      'crc ok - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x1 zxid 0x2 create /a,#5,[world:anyone:cdrwa],false,1',
      'crc ok - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x2 zxid 0x3 create /a/null,null,[world:anyone:cdrwa],false,1',
      'crc ok - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x3 zxid 0x4 create /eph,#1,[world:anyone:cdrwa],true,2',
      'crc ok - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x4 zxid 0x5 setData /a,#5,1',
      'crc ok - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x5 zxid 0x6 multi create:/m,null,[world:anyone:cdrwa],false,3;delete:/m',
    ]);
    expect(lines.at(-1)).toBe('EOF reached after 6 txns.');
    const withData = await call(txnLogTool, ['-d', join(dir, 'log.7')]);
    expect(withData.code).toBe(0);
    expect(withData.stdout).toContain('zxid 0x7 create /b,"b",[world:anyone:cdrwa],false,5\n');
    expect(withData.stdout).toContain('zxid 0x8 setData /b,null,1\n');
    expect(withData.stdout).toContain(`zxid 0x9 create /c,base64:${Buffer.from([0, 1, 2, 255]).toString('base64')},`);
  }, 30_000);

  it('-json prints one object per txn and one for the end, null data kept as null', async () => {
    const { code, stdout } = await call(txnLogTool, ['-json', '-d', join(pristine, 'version-2', 'log.7')]);
    expect(code).toBe(0);
    const objects = stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(objects).toHaveLength(4);
    expect(objects[0]).toMatchObject({ offset: offsetOf(7), crc: 'ok', session: '0x100000abc', cxid: 6, zxid: '0x7', type: 'create', path: '/b', data: 'Yg==', time: '2023-11-14T22:13:20.000Z' });
    expect(objects[1]).toMatchObject({ zxid: '0x8', type: 'setData', path: '/b', data: null });
    expect(objects[3]).toEqual({ end: 'eof', offset: offsetOf(10), txns: 3, fileBytes: expect.any(Number) });
  }, 30_000);

  it('finds a torn tail where the server does, and prints the record cut short', async () => {
    const dir = copy();
    truncateSync(join(dir, 'log.7'), offsetOf(9) + 7);
    const checked = await call(txnLogTool, ['-c', join(dir, 'log.7')]);
    expect(checked.code).toBe(1);
    expect(checked.stdout).toContain(`log.7: DAMAGED: a record cut short (a torn write: the tail of an interrupted append) at byte ${offsetOf(9)}; 2 good txns before it (zxid 0x7 to 0x8)`);
    expect(checked.stdout).toContain(`would cut log.7 to ${offsetOf(9)} bytes after record 2 (zxid 0x8), discarding 7 bytes`);
    const dumped = await call(txnLogTool, [join(dir, 'log.7')]);
    expect(dumped.code).toBe(1);
    expect(dumped.stdout).toContain(`TORN - a record cut short (a torn write: the tail of an interrupted append) at byte ${offsetOf(9)}: 7 bytes of a record header`);
    // The server's recovery, on another copy damaged the same way, stops at the same byte for the same reason.
    const serverDir = copy();
    truncateSync(join(serverDir, 'log.7'), offsetOf(9) + 7);
    const { storage, recovery } = unwrapOk(await Storage.open({ dataDir: join(serverDir, '..'), snapshotSeed: 1 }));
    await storage.close();
    expect(recovery.truncation?.stop).toEqual({ reason: 'torn-record', offset: offsetOf(9) });
  }, 30_000);

  it('reports a flipped byte as a checksum error, still decoding the record, and says which later files the server would set aside', async () => {
    const dir = copy();
    const path = join(dir, 'log.1');
    const damaged = readFileSync(path);
    // Inside the path of txn 4 (after the header's 8+4+8+8+4 bytes and the path's length): '/eph' becomes '/dph'.
    damaged[offsetOf(4) + recordHeaderBytes + 37]! ^= 0x01;
    writeFileSync(path, damaged);
    const dumped = await call(txnLogTool, [path]);
    expect(dumped.code).toBe(1);
    const lines = dumped.stdout.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('crc ok - '))).toHaveLength(3);
    expect(lines[4]).toBe('CRC ERROR - 11/14/23, 10:13:20 PM UTC session 0x100000abc cxid 0x3 zxid 0x4 create /dph,#1,[world:anyone:cdrwa],true,2');
    expect(lines[5]).toContain(`The server's recovery would cut log.1 to ${offsetOf(4)} bytes after record 3 (zxid 0x3)`);
    expect(lines[5]).toContain('set aside the later log files log.7 as .corrupt');
  }, 30_000);

  it('repairs only when asked: a "no" leaves the file alone; -y cuts it as recovery would, keeps the original, and the server then finds nothing to repair', async () => {
    const dir = copy();
    const path = join(dir, 'log.1');
    const damaged = readFileSync(path);
    damaged[offsetOf(5) + 9]! ^= 0x80; // inside txn 5's zxid field
    writeFileSync(path, damaged);

    const declined = await call(txnLogTool, ['-r', path], 'no\n');
    expect(declined.code).toBe(1);
    expect(declined.stdout).toContain(`Repair: cut log.1 to ${offsetOf(5)} bytes`);
    expect(declined.stdout).toContain('not repaired');
    expect(readFileSync(path).equals(damaged)).toBe(true);

    const repaired = await call(txnLogTool, ['-r', '-y', path]);
    expect(repaired.code, repaired.stdout).toBe(0);
    expect(repaired.stdout).toContain(`the original is kept as ${path}.orig`);
    expect(readFileSync(`${path}.orig`).equals(damaged)).toBe(true);
    expect(statSync(path).size).toBe(offsetOf(5));
    expect(readdirSync(dir).sort()).toEqual(['log.1', 'log.1.orig', 'log.7.corrupt', 'snapshot.6']);
    expect((await call(txnLogTool, ['-c', path])).code).toBe(0);

    // The server agrees: nothing to cut, txns 1..4 in the log (the snapshot at 6 is ahead of them).
    const { storage, recovery } = unwrapOk(await Storage.open({ dataDir: join(dir, '..'), snapshotSeed: 1 }));
    await storage.close();
    expect(recovery.truncation).toBeUndefined();
    expect(recovery.lastLoggedZxid).toBe(6n);
  }, 30_000);

  it('exits 2 on bad usage and on a file it cannot read', async () => {
    expect((await run(txnLogScript, [])).code).toBe(2);
    expect((await call(txnLogTool, ['-c', '-r', 'x'])).code).toBe(2);
    const missing = await run(snapshotScript, [join(root, 'no-such-log')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
  }, 30_000);
});

describe('npm run snapshot', () => {
  it('prints znodes, sessions and the last zxid as SnapshotFormatter does, null data and ephemerals included', async () => {
    const { code, stdout } = await call(snapshotTool, [join(pristine, 'version-2', 'snapshot.6')]);
    expect(code, stdout).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^zkspec snapshot file snapshot\.6: format version 1, zxid 0x6, \d+ bytes of data, checksum ok$/);
    expect(lines[1]).toBe('ZNode Details (count=7):');
    const node = (path: string) => lines.slice(lines.indexOf(path), lines.indexOf(path) + 11);
    expect(node('/a/null')).toEqual([
      '/a/null',
      '  cZxid = 0x00000000000003',
      '  ctime = Tue Nov 14 22:13:20 UTC 2023',
      '  mZxid = 0x00000000000003',
      '  mtime = Tue Nov 14 22:13:20 UTC 2023',
      '  pZxid = 0x00000000000003',
      '  cversion = 0',
      '  dataVersion = 0',
      '  aclVersion = 0',
      '  ephemeralOwner = 0x00000000000000',
      '  dataLength = null',
    ]);
    expect(node('/eph')).toContain('  ephemeralOwner = 0x00000100000abc');
    expect(node('/a')).toContain('  dataLength = 5');
    expect(lines.slice(-5)).toEqual(['----', 'Session Details (sid, timeout, ephemeralCount):', '0x00000100000abc, 30000, 1', '----', 'Last zxid: 0x6']);
    const withData = await call(snapshotTool, ['-d', join(pristine, 'version-2', 'snapshot.6')]);
    expect(withData.stdout).toContain(`/a\n${'  '}cZxid`);
    expect(withData.stdout).toContain(`  data = ${Buffer.from('world').toString('base64')}\n`);
    expect(withData.stdout).toContain('/a/null\n');
    expect(withData.stdout.split('\n')).toContain('  data = null');
  }, 30_000);

  it("-json prints SnapshotFormatter's ncdu tree", async () => {
    const { code, stdout } = await call(snapshotTool, ['-json', join(pristine, 'version-2', 'snapshot.6')]);
    expect(code).toBe(0);
    const [major, minor, header, tree] = JSON.parse(stdout) as [number, number, Record<string, unknown>, unknown[]];
    expect([major, minor, header['progname']]).toEqual([1, 0, 'SnapshotFormatter.java']);
    const names = JSON.stringify(tree).match(/"name":"[^"]*"/g);
    expect(names?.sort()).toEqual(['"name":"/"', '"name":"a"', '"name":"config"', '"name":"eph"', '"name":"null"', '"name":"quota"', '"name":"zookeeper"']);
  }, 30_000);

  it('says a damaged snapshot is damaged (exit 1) and refuses -d with -json (exit 2)', async () => {
    const dir = copy();
    const path = join(dir, 'snapshot.6');
    const damaged = readFileSync(path);
    damaged[damaged.length - 3]! ^= 0x10;
    writeFileSync(path, damaged);
    const result = await call(snapshotTool, [path]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("snapshot.6: DAMAGED: checksum mismatch; the server's recovery skips it and starts from an older snapshot\n");
    expect((await call(snapshotTool, ['-d', '-json', path])).code).toBe(2);
    expect(existsSync(path)).toBe(true);
  }, 30_000);
});
