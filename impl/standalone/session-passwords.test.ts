// Session passwords no one can derive (impl/server/session-password.ts):
// random, carried in the createSession txn, kept in the log and snapshots.
// ZooKeeper's derivation from the session id, which anyone who reads a znode's
// ephemeralOwner can repeat, is refused as a wrong password is in ZooKeeper
// 3.8 (ZooKeeperServer.reopenSession -> finishSessionInit(false): timeOut 0,
// session id 0, 16 zero bytes, then the close); the password the server gave
// works, also after a restart that recovers the session from a snapshot and
// the log. Data written before passwords were kept is still read: its
// sessions and ephemerals are there, and no password attaches to them.

import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { JuteWriter } from '../protocol/jute.ts';
import { generatePasswd } from '../server/session-password.ts';
import { Storage } from '../storage/storage.ts';
import { DataTree } from '../tree/data-tree.ts';
import { serializeTree } from '../tree/snapshot.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import { startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

type Attach = { readonly timeOut: number; readonly sessionId: bigint; readonly zeroPasswd: boolean; readonly closed: boolean };

/** Reattaches to `sessionId` with `passwd`: what the ConnectResponse says and whether the server then closed the connection. */
async function reattach(port: number, sessionId: bigint, passwd: Uint8Array): Promise<Attach> {
  const client = await fixture.rawClient(port);
  const response = await client.handshake({ sessionId, passwd, timeOut: 30_000 });
  const closed = await Promise.race([client.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500))]);
  client.close();
  return { timeOut: response.timeOut, sessionId: response.sessionId, zeroPasswd: response.passwd.every((b) => b === 0), closed };
}

/** ZooKeeper 3.8's answer to a wrong password or a dead session. */
const refused: Attach = { timeOut: 0, sessionId: 0n, zeroPasswd: true, closed: true };
const accepted = (sessionId: bigint): Attach => ({ timeOut: 30_000, sessionId, zeroPasswd: false, closed: false });

const world = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const txn = (zxid: bigint, sessionId: bigint, body: Txn['body']): Txn => ({ sessionId, cxid: 0, zxid, time: 1_700_000_000_000n, body });
const ephemeral = (path: string): Txn['body'] => ({ type: 'create', opCode: OpCode.create, path, data: new Uint8Array(0), acl: world, ephemeral: true, parentCVersion: 0 });

/** A snapshot body in the layout before passwords: today's with the session table as (long id, int timeout)*. */
function withoutPasswords(tree: DataTree): Uint8Array {
  const today = serializeTree(tree); // zxid, tag, count, (id, timeout, null buffer)*, nodes
  const w = new JuteWriter(today.byteLength);
  w.writeLong(tree.lastProcessedZxid).writeInt(tree.sessions.size);
  for (const [id, timeout] of tree.sessions) w.writeLong(id).writeInt(timeout);
  return new JuteWriter(today.byteLength).writeRaw(w.toBytes()).writeRaw(today.subarray(16 + 16 * tree.sessions.size)).toBytes();
}

describe('session passwords', () => {
  it('refuses the password derived from the session id, accepts the one given, also after a restart that reads a snapshot and the log', async () => {
    const dir = fixture.dataDir(['snapCount=2']);
    let server = await startChild(dir.configPath);
    const owner = await fixture.rawClient(server.port);
    const { sessionId, passwd } = await owner.handshake({ timeOut: 30_000 });
    const derived = generatePasswd(sessionId);
    expect(Buffer.from(passwd).equals(Buffer.from(derived)), 'the server gave the derivable password').toBe(false);
    expect((await owner.create('/mine', '', 1)).header.err).toBe(0);
    for (let i = 0; i < 4; i++) expect((await owner.create(`/n${i}`, '')).header.err).toBe(0);

    // An attacker who knows the session id (a znode's ephemeralOwner) tries ZooKeeper's derivation.
    expect(await reattach(server.port, sessionId, derived)).toEqual(refused);
    expect(await reattach(server.port, sessionId, passwd)).toEqual(accepted(sessionId));

    // SIGKILL and restart: the session comes back from a snapshot (snapCount 2) and the log with its password.
    expect(readdirSync(join(dir.path, 'data', 'version-2')).filter((f) => f.startsWith('snapshot.') && f !== 'snapshot.0').length).toBeGreaterThan(0);
    server.kill('SIGKILL');
    await server.exited;
    server = await startChild(dir.configPath);
    expect(await reattach(server.port, sessionId, derived)).toEqual(refused);
    expect(await reattach(server.port, sessionId, passwd)).toEqual(accepted(sessionId));
    const check = await fixture.rawClient(server.port);
    await check.handshake();
    expect((await check.exists('/mine')).header.err, 'the refused attempts did not close the session').toBe(0);
    expect(server.logs.some((l) => l.event === 'incorrect-password' && l['sessionId'] !== undefined)).toBe(true);
  }, 40_000);

  it('recovers data written before passwords were kept: its sessions and ephemerals stay, no password attaches to them, and a leftover session-secret file is only noted', async () => {
    const dir = fixture.dataDir();
    const dataDir = join(dir.path, 'data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'session-secret'), new Uint8Array(32), { mode: 0o600 });
    // A snapshot at zxid 2 holding session 0x51 and its ephemeral, then the log: session 0x52 and its ephemeral.
    const [inSnapshot, inLog] = [0x51n, 0x52n];
    const tree = new DataTree();
    for (const t of [txn(1n, inSnapshot, { type: 'createSession', timeOut: 30_000 }), txn(2n, inSnapshot, ephemeral('/old'))]) tree.applyTxn(t);
    const opened = await Storage.open({ dataDir });
    if (!opened.ok) throw new Error(opened.error.message);
    const { storage } = opened.value;
    expect((await storage.writeSnapshot(2n, withoutPasswords(tree))).ok).toBe(true);
    for (const t of [txn(3n, inLog, { type: 'createSession', timeOut: 30_000 }), txn(4n, inLog, ephemeral('/older'))]) {
      expect((await storage.append(t.zxid, encodeTxn(t))).ok).toBe(true);
    }
    await storage.close();

    const server = await startChild(dir.configPath);
    expect(server.logs.some((l) => l.event === 'session-secret-unused')).toBe(true);
    const reader = await fixture.rawClient(server.port);
    const mine = await reader.handshake({ timeOut: 30_000 });
    for (const path of ['/old', '/older']) expect((await reader.exists(path)).header.err, path).toBe(0);
    for (const sessionId of [inSnapshot, inLog]) {
      expect(await reattach(server.port, sessionId, generatePasswd(sessionId))).toEqual(refused);
      expect(await reattach(server.port, sessionId, new Uint8Array(16))).toEqual(refused);
    }
    // A session made now has a password that works.
    expect(await reattach(server.port, mine.sessionId, mine.passwd)).toEqual(accepted(mine.sessionId));
  }, 40_000);
});
