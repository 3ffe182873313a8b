// The server as operators run it: `node dist/server.js zoo.cfg` (the build), a
// child process on 127.0.0.1 with a temp dataDir, driven by
// node-zookeeper-client. Restarts read the same dataDir. Every child is
// SIGKILLed by PID after its test.

import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import type { RawClient } from '../server/raw-client.ts';
import { builtServer, runBuiltServerToExit } from '../testing/built-server.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { call, connectClient, eventually, startChild, zookeeper, type ZkClient } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();
const tempDir = (extra: readonly string[] = []) => fixture.dataDir(extra);

async function client(port: number, sessionTimeoutMs = 4000): Promise<ZkClient> {
  const c = await connectClient(port, sessionTimeoutMs);
  fixture.onCleanup(() => c.close());
  return c;
}

const text = (data: Buffer | undefined) => data?.toString('utf8');

describe('the standalone server as a process', () => {
  it('serves create, get, set, ephemeral and sequential znodes, and has them all back after a clean restart (SIGTERM)', async () => {
    const dir = tempDir(['tickTime=200', 'snapCount=10']);
    const first = await startChild(dir.configPath);
    const c = await client(first.port);
    expect(await call(c, 'create', '/app', Buffer.from('v0'))).toBe('/app');
    const [, created] = await call(c, 'getData', '/app');
    expect(created.version).toBe(0);
    for (let i = 1; i <= 12; i++) await call(c, 'setData', '/app', Buffer.from(`v${i}`), -1);
    const seq1 = await call(c, 'create', '/app/job-', Buffer.from('a'), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL);
    const seq2 = await call(c, 'create', '/app/job-', Buffer.from('b'), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL);
    expect([seq1, seq2]).toEqual(['/app/job-0000000000', '/app/job-0000000001']);
    expect(await call(c, 'create', '/app/lock', Buffer.from('mine'), zookeeper.CreateMode.EPHEMERAL)).toBe('/app/lock');
    c.close();

    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    const events = first.logs.map((l) => l.event);
    expect(events).toContain('stopping');
    expect(events.at(-1)).toBe('stopped');
    // 12 setData + creates passed snapCount=10 at least once: replay starts from a snapshot.
    expect(events).toContain('snapshot-written');

    const second = await startChild(dir.configPath);
    const recovered = second.logs.find((l) => l.event === 'recovered')!;
    expect(recovered['snapshotZxid']).toBeDefined();
    const d = await client(second.port);
    const [data, stat] = await call(d, 'getData', '/app');
    expect(text(data)).toBe('v12');
    expect(stat.version).toBe(12);
    const [children] = await call<[string[]]>(d, 'getChildren', '/app');
    expect(children.sort()).toEqual(['job-0000000000', 'job-0000000001']);
    // The sequence counter (the parent's cversion) survived: three children were created under /app, so the next is 3.
    expect(await call(d, 'create', '/app/job-', Buffer.from('c'), zookeeper.CreateMode.PERSISTENT_SEQUENTIAL)).toBe('/app/job-0000000003');
    // The closing client's session ended with closeSession: its ephemeral went with it.
    expect(await call(d, 'exists', '/app/lock')).toBeNull();
  }, 60_000);

  it('keeps the ephemerals of a session that outlives a crash until its timeout passes, then deletes them', async () => {
    const dir = tempDir(['tickTime=200']);
    const first = await startChild(dir.configPath);
    const c = await client(first.port, 1200);
    await call(c, 'create', '/owner-gone', Buffer.from('e'), zookeeper.CreateMode.EPHEMERAL);
    await call(c, 'create', '/kept', Buffer.from('p'));
    first.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    // The client never comes back: closing it now cannot reach any server.
    c.close();

    const second = await startChild(dir.configPath);
    const restartedAtMs = Date.now();
    expect(second.logs.find((l) => l.event === 'recovered')).toMatchObject({ sessions: 1, ephemerals: 1 });
    const d = await client(second.port);
    // ZooKeeper re-tracks recovered sessions with a fresh timeout: the ephemeral is still there right after the restart...
    expect(await call(d, 'exists', '/owner-gone')).not.toBeNull();
    // ...and goes once the session's timeout (1200 ms, at tick granularity) passes without its client.
    await eventually(async () => (await call(d, 'exists', '/owner-gone')) === null, 10_000, 'the expired session\'s ephemeral to go');
    expect(Date.now() - restartedAtMs).toBeGreaterThanOrEqual(1000);
    expect(await call(d, 'exists', '/kept')).not.toBeNull();
  }, 60_000);

  it('lets a client whose session outlived the crash reconnect with its session id and password and keep its ephemerals', async () => {
    const dir = tempDir(['tickTime=200']);
    const first = await startChild(dir.configPath);
    const owner = await fixture.rawClient(first.port);
    await owner.handshake({ timeOut: 1200 });
    const { sessionId, passwd } = owner.session!;
    expect((await owner.create('/mine', 'held', 1 /* EPHEMERAL */)).header.err).toBe(0);
    first.kill('SIGKILL');
    await first.exited;

    const second = await startChild(dir.configPath);
    const back = await fixture.rawClient(second.port);
    const response = await back.handshake({ sessionId, passwd, timeOut: 1200, lastZxidSeen: 0n });
    expect(response.sessionId).toBe(sessionId);
    expect(response.timeOut).toBe(1200);
    // Twice the session timeout, with the client active: the session and its ephemeral live on.
    for (let i = 0; i < 8; i++) {
      expect((await back.exists('/mine')).header.err).toBe(0);
      await new Promise((r) => setTimeout(r, 300));
    }
  }, 60_000);

  it('keeps null data (jute length -1) as null, apart from empty data, through the log and a snapshot, across restarts', async () => {
    const dir = tempDir(['tickTime=200']);
    const open = async (port: number) => {
      const c = await fixture.rawClient(port);
      await c.handshake();
      return c;
    };
    const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    const create = (c: RawClient, path: string, data: Uint8Array | null) => c.request(OpCode.create, R.CreateRequest, { path, data, acl, flags: 0 });
    /** getData's raw data field: null for length -1. */
    const dataOf = async (c: RawClient, path: string) => {
      const reply = await c.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
      expect(reply.header.err).toBe(0);
      const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
      if (!decoded.ok) throw new Error(decoded.error);
      return decoded.value.data === null ? null : Buffer.from(decoded.value.data).toString();
    };
    const expectAll = async (c: RawClient) => {
      expect(await dataOf(c, '/created-null')).toBeNull();
      expect(await dataOf(c, '/set-null')).toBeNull();
      expect(await dataOf(c, '/empty')).toBe('');
      expect(await dataOf(c, '/text')).toBe('v');
    };

    const first = await startChild(dir.configPath);
    const c = await open(first.port);
    expect((await create(c, '/created-null', null)).header.err).toBe(0);
    expect((await create(c, '/set-null', Buffer.from('was set'))).header.err).toBe(0);
    expect((await c.request(OpCode.setData, R.SetDataRequest, { path: '/set-null', data: null, version: -1 })).header.err).toBe(0);
    expect((await create(c, '/empty', new Uint8Array(0))).header.err).toBe(0);
    expect((await create(c, '/text', Buffer.from('v'))).header.err).toBe(0);
    await expectAll(c);
    // SIGKILL: no snapshot at shutdown, so the restart replays these txns from the log.
    first.kill('SIGKILL');
    await first.exited;
    const second = await startChild(dir.configPath);
    await expectAll(await open(second.port));
    second.kill('SIGKILL');
    await second.exited;

    // Now with snapCount=2: enough writes to snapshot a tree that holds them, then restart from that snapshot.
    appendFileSync(dir.configPath, 'snapCount=2\n');
    const third = await startChild(dir.configPath);
    const d = await open(third.port);
    for (let i = 0; i < 6; i++) expect((await create(d, `/filler-${i}`, null)).header.err).toBe(0);
    await eventually(() => third.logs.some((l) => l.event === 'snapshot-written'), 10_000, 'a snapshot');
    third.kill('SIGTERM');
    expect(await third.exited).toBe(0);
    const fourth = await startChild(dir.configPath);
    expect(fourth.logs.find((l) => l.event === 'recovered')!['snapshotZxid']).toBeDefined();
    const e = await open(fourth.port);
    await expectAll(e);
    expect(await dataOf(e, '/filler-5')).toBeNull();
  }, 90_000);

  it('refuses an invalid zoo.cfg with exit code 2 and a message naming the key and the value, and warns about unknown keys', async () => {
    const dir = tempDir(['tickTime=fast', 'colour=blue']);
    const child = spawn(process.execPath, [builtServer(), dir.configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (exitCode) => {
        clearTimeout(timer);
        resolve(exitCode);
      });
    });
    expect(code).toBe(2);
    const lines = stderr.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'fatal', event: 'invalid-config', key: 'tickTime', value: 'fast' }));
    expect(String(lines.find((l) => l['event'] === 'invalid-config')!['message'])).toContain('tickTime="fast"');
  }, 30_000);

  it('fails closed: a zoo.cfg with a TLS key it does not implement stops the server (exit 2, the key named) before it listens', async () => {
    const dir = tempDir(['secureClientPort=0', 'secureClientPortAddress=127.0.0.1', 'ssl.keyStore.location=/etc/zk/keystore.p12', 'ssl.keyStore.password=hunter2', 'sslQuorumReloadCertFiles=true', 'ssl.crl=true', 'sslQuorum=false']);
    const startedAtMs = Date.now();
    const { code, stderr, lines } = await runBuiltServerToExit([dir.configPath]);
    expect(code, `exited after ${Date.now() - startedAtMs} ms; stderr:\n${stderr}`).toBe(2);
    const refused = lines.filter((l) => l['event'] === 'invalid-config');
    expect(refused.map((l) => l['key'])).toEqual(['sslQuorumReloadCertFiles', 'ssl.crl']);
    expect(String(refused[1]!['message'])).toContain('ssl.crl: certificate revocation checking (CRL and OCSP) is not implemented; revoked certificates would be accepted');
    expect(stderr).not.toContain('hunter2');
    expect(lines.some((l) => l['event'] === 'serving')).toBe(false);
  }, 30_000);

  it('refuses a zoo.cfg without dataDir, and no zoo.cfg at all, as ZooKeeper does (exit 2)', async () => {
    const dir = tempDir();
    writeLoopbackZooCfg(dir.configPath, ['clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false']);
    const run = runBuiltServerToExit;
    const noDataDir = await run([dir.configPath]);
    expect(noDataDir.code).toBe(2);
    expect(noDataDir.lines).toContainEqual(expect.objectContaining({ level: 'fatal', event: 'invalid-config', key: 'dataDir', message: expect.stringContaining('dataDir is not set') }));
    const noFile = await run([]);
    expect(noFile.code).toBe(2);
    expect(noFile.lines).toContainEqual(expect.objectContaining({ level: 'fatal', event: 'bad-usage', message: expect.stringContaining('zoo.cfg must set dataDir') }));
  }, 45_000);

  it('starts with unknown keys, warning about each', async () => {
    const dir = tempDir(['colour=blue']);
    const server = await startChild(dir.configPath);
    expect(server.logs).toContainEqual(expect.objectContaining({ level: 'warn', event: 'config-warning', message: expect.stringContaining('unknown key colour') }));
  }, 30_000);
});
