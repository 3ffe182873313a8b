// The server end to end on 127.0.0.1 with an ephemeral port: node-zookeeper-client
// (a client we did not write) for the everyday API, and our raw client for what
// real clients do not do (go silent, reconnect with a forged password, send
// garbage). Every server is closed after its test.

import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, EventType, OpCode } from '../protocol/constants.ts';
import { decodeRecord, JuteWriter } from '../protocol/jute.ts';
import { frame } from '../protocol/frame-decoder.ts';
import * as R from '../protocol/records.ts';
import { generateDigest } from '../tree/acl.ts';
import type { Txn } from '../tree/txn.ts';
import { call, connectClient as connectZkClient, type ZkClient as Client, zookeeper } from '../testing/zk-client.ts';
import { RawClient } from './raw-client.ts';
import { startServer, type StartServerOptions, type ZooKeeperServer } from './server.ts';

const servers: ZooKeeperServer[] = [];
const clients: { close(): void }[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

/** Every story runs twice: in-memory, and with a persist that takes a millisecond (replies wait for it). */
let currentPersist: StartServerOptions['persist'];
const slowPersist = () => new Promise<void>((resolve) => setTimeout(resolve, 1));

async function start(options: StartServerOptions = {}): Promise<ZooKeeperServer> {
  const server = await startServer({ port: 0, tickTimeMs: 100, log: () => {}, persist: currentPersist, ...options });
  servers.push(server);
  return server;
}

async function connectClient(server: ZooKeeperServer, sessionTimeout = 4000): Promise<Client> {
  const client = await connectZkClient(server.port, sessionTimeout);
  clients.push(client);
  return client;
}

function codeOf(promise: Promise<unknown>): Promise<number> {
  return promise.then(
    () => 0,
    (error: { getCode?: () => number }) => error.getCode?.() ?? -999,
  );
}

const nextEvent = (register: (watcher: (event: any) => void) => void) =>
  new Promise<{ type: number; path: string }>((resolve) => register((event) => resolve({ type: event.getType(), path: event.getPath() })));

describe.each([
  ['in-memory', undefined],
  ['with a 1 ms persist', slowPersist],
] as const)('%s', (_mode, persist) => {
  beforeAll(() => {
    currentPersist = persist;
  });

  describe('node-zookeeper-client against our server', () => {
    it('creates, reads, updates, lists and deletes znodes with ZooKeeper stats', async () => {
      const server = await start();
      const client = await connectClient(server);
      expect(client.getSessionTimeout()).toBe(2000); // 4000 requested, capped at 20 x tickTime
      expect(await call(client, 'create', '/app', Buffer.from('v1'))).toBe('/app');
      const [data, stat] = await call<[Buffer, any]>(client, 'getData', '/app');
      expect(data.toString()).toBe('v1');
      expect(stat.version).toBe(0);
      expect(stat.dataLength).toBe(2);
      const updated = await call<any>(client, 'setData', '/app', Buffer.from('v2'), 0);
      expect(updated.version).toBe(1);
      expect(await codeOf(call(client, 'setData', '/app', Buffer.from('v3'), 0))).toBe(ErrorCode.BADVERSION);
      expect(await call(client, 'create', '/app/child')).toBe('/app/child');
      expect(await codeOf(call(client, 'remove', '/app', -1))).toBe(ErrorCode.NOTEMPTY);
      expect((await call<[string[], unknown]>(client, 'getChildren', '/'))[0].sort()).toEqual(['app', 'zookeeper']);
      await call(client, 'remove', '/app/child', -1);
      await call(client, 'remove', '/app', 1);
      expect(await call(client, 'exists', '/app')).toBeNull();
      expect(await codeOf(call(client, 'getData', '/app'))).toBe(ErrorCode.NONODE);
      expect(await codeOf(call(client, 'create', '/zookeeper'))).toBe(ErrorCode.NODEEXISTS);
    });

    it('delivers one-shot data, child and exists watches, each before the reply that follows the change', async () => {
      const server = await start();
      const watcher = await connectClient(server);
      const writer = await connectClient(server);
      await call(writer, 'create', '/w', Buffer.from('0'));
      const dataEvent = nextEvent((w) => watcher.getData('/w', w, () => {}));
      const childEvent = nextEvent((w) => watcher.getChildren('/w', w, () => {}));
      const existsEvent = nextEvent((w) => watcher.exists('/w/new', w, () => {}));
      await call(watcher, 'exists', '/w'); // the watches above are registered once this returns
      await call(writer, 'setData', '/w', Buffer.from('1'), -1);
      expect(await dataEvent).toEqual({ type: EventType.NodeDataChanged, path: '/w' });
      await call(writer, 'create', '/w/new');
      expect(await existsEvent).toEqual({ type: EventType.NodeCreated, path: '/w/new' });
      expect(await childEvent).toEqual({ type: EventType.NodeChildrenChanged, path: '/w' });
    });

    it('names sequential nodes from the parent cversion and removes ephemerals when their session closes', async () => {
      const server = await start();
      const owner = await connectClient(server);
      const observer = await connectClient(server);
      await call(owner, 'create', '/locks');
      const mode = zookeeper.CreateMode;
      expect(await call(owner, 'create', '/locks/lock-', Buffer.alloc(0), mode.EPHEMERAL_SEQUENTIAL)).toBe('/locks/lock-0000000000');
      expect(await call(owner, 'create', '/locks/lock-', Buffer.alloc(0), mode.EPHEMERAL_SEQUENTIAL)).toBe('/locks/lock-0000000001');
      const [, stat] = await call<[Buffer, any]>(observer, 'getData', '/locks/lock-0000000000');
      expect(stat.ephemeralOwner.toString('hex')).toBe(owner.getSessionId().toString('hex'));
      const gone = nextEvent((w) => observer.exists('/locks/lock-0000000001', w, () => {}));
      await call(observer, 'exists', '/locks');
      owner.close();
      expect(await gone).toEqual({ type: EventType.NodeDeleted, path: '/locks/lock-0000000001' });
      expect((await call<[string[], unknown]>(observer, 'getChildren', '/locks'))[0]).toEqual([]);
    });

    it('keeps the session and its watches when the client reconnects after a dropped connection', async () => {
      const server = await start({ tickTimeMs: 200 });
      const client = await connectClient(server, 4000);
      const writer = await connectClient(server);
      await call(client, 'create', '/keep', Buffer.from('1'), zookeeper.CreateMode.EPHEMERAL);
      const changed = nextEvent((w) => client.getData('/keep', w, () => {}));
      await call(client, 'exists', '/keep');
      const sessionId = client.getSessionId().toString('hex');
      // Drop the client's connection from the server side; the client reconnects
      // with its session id and password and re-sends its watches (setWatches).
      const connection = server.core.stats().connections.find((c) => c.sessionId === BigInt(`0x${sessionId}`))!;
      const reconnected = new Promise<void>((resolve) => client.once('connected', () => resolve()));
      server.core.closeConnection(connection.connectionId, 'test drops the connection');
      await reconnected;
      expect(client.getSessionId().toString('hex')).toBe(sessionId);
      await call(writer, 'setData', '/keep', Buffer.from('2'), -1);
      expect(await changed).toEqual({ type: EventType.NodeDataChanged, path: '/keep' });
      expect(await call(writer, 'exists', '/keep')).not.toBeNull(); // the ephemeral survived
    });

    it('runs a transaction all-or-nothing', async () => {
      const server = await start();
      const client = await connectClient(server);
      const ok = await call<any[]>(client.transaction().create('/t').create('/t/a').setData('/t', Buffer.from('x'), 0).check('/t', 1), 'commit');
      expect(ok.map((r: any) => r.type)).toEqual([OpCode.create, OpCode.create, OpCode.setData, OpCode.check]);
      const failed = await new Promise<any>((resolve) =>
        client.transaction().create('/t/b').remove('/t/missing').create('/t/c').commit((error: any, results: any) => resolve({ error, results })),
      );
      expect(failed.error.getCode()).toBe(ErrorCode.NONODE);
      expect(failed.results).toEqual([
        { type: OpCode.error, err: 0 },
        { type: OpCode.error, err: ErrorCode.NONODE },
        { type: OpCode.error, err: ErrorCode.RUNTIMEINCONSISTENCY },
      ]);
      expect((await call<[string[], unknown]>(client, 'getChildren', '/t'))[0]).toEqual(['a']);
    });

    it('enforces digest ACLs, lets addAuth in, and redacts hashes from getACL without ADMIN', async () => {
      const server = await start();
      const alice = await connectClient(server);
      alice.addAuthInfo('digest', Buffer.from('alice:secret'));
      const { ACL, Id, Permission } = zookeeper;
      const acl = [new ACL(Permission.ALL, new Id('auth', '')), new ACL(Permission.READ, new Id('world', 'anyone'))];
      await call(alice, 'create', '/private', Buffer.from('s'), acl);
      const stranger = await connectClient(server);
      expect(await codeOf(call(stranger, 'setData', '/private', Buffer.from('x'), -1))).toBe(ErrorCode.NOAUTH);
      const seen = await call<[any[], any]>(stranger, 'getACL', '/private');
      expect(seen[0].map((a: any) => `${a.id.scheme}:${a.id.id}`)).toEqual(['digest:alice:x', 'world:anyone']);
      const full = await call<[any[], any]>(alice, 'getACL', '/private');
      expect(full[0][0].id.id).toBe(generateDigest('alice:secret'));
      stranger.addAuthInfo('digest', Buffer.from('alice:secret'));
      expect((await call<any>(stranger, 'setData', '/private', Buffer.from('x'), -1)).version).toBe(1);
    });

    it('lets the super digest through every ACL', async () => {
      const server = await start({ superDigest: generateDigest('super:pw') });
      const owner = await connectClient(server);
      const { ACL, Id, Permission } = zookeeper;
      await call(owner, 'create', '/sealed', Buffer.alloc(0), [new ACL(Permission.READ, new Id('digest', generateDigest('nobody:x')))]);
      const admin = await connectClient(server);
      expect(await codeOf(call(admin, 'remove', '/sealed', -1))).toBe(0); // DELETE is checked on the parent "/"
      await call(owner, 'create', '/sealed2', Buffer.alloc(0), [new ACL(Permission.READ, new Id('digest', generateDigest('nobody:x')))]);
      expect(await codeOf(call(admin, 'setData', '/sealed2', Buffer.from('x'), -1))).toBe(ErrorCode.NOAUTH);
      admin.addAuthInfo('digest', Buffer.from('super:pw'));
      expect(await codeOf(call(admin, 'setData', '/sealed2', Buffer.from('x'), -1))).toBe(0);
    });
  });

  describe('sessions', () => {
    it('expires a silent session after its timeout: its ephemerals go and watchers hear NodeDeleted', async () => {
      const server = await start({ tickTimeMs: 50, minSessionTimeoutMs: 100 });
      const silent = await RawClient.open(server.port);
      expect((await silent.handshake({ timeOut: 200 })).timeOut).toBe(200);
      expect((await silent.create('/lease', '', 1)).header.err).toBe(0);
      const observer = await connectClient(server, 2000);
      const gone = nextEvent((w) => observer.exists('/lease', w, () => {}));
      const startedAt = Date.now();
      expect(await gone).toEqual({ type: EventType.NodeDeleted, path: '/lease' });
      const elapsedMs = Date.now() - startedAt;
      expect(elapsedMs).toBeGreaterThanOrEqual(100);
      expect(elapsedMs).toBeLessThan(2000);
      await silent.closed; // the server closed the expired session's connection
      // Reconnecting to the expired session gets ZooKeeper's "expired" answer: zeros, then close.
      const late = await RawClient.open(server.port);
      const response = await late.handshake({ sessionId: silent.session!.sessionId, passwd: silent.session!.passwd });
      expect({ timeOut: response.timeOut, sessionId: response.sessionId, passwd: [...response.passwd] }).toEqual({ timeOut: 0, sessionId: 0n, passwd: new Array(16).fill(0) });
      await late.closed;
    });

    it('restores a session on reconnect with its id and password, and refuses a wrong password', async () => {
      const server = await start();
      const first = await RawClient.open(server.port);
      await first.handshake({ timeOut: 5000 });
      await first.create('/mine', '', 1);
      const { sessionId, passwd } = first.session!;
      first.close();
      await first.closed;
      const forged = await RawClient.open(server.port);
      const refused = await forged.handshake({ sessionId, passwd: new Uint8Array(16).fill(1) });
      expect(refused.timeOut).toBe(0);
      await forged.closed;
      const again = await RawClient.open(server.port);
      const resumed = await again.handshake({ sessionId, passwd, timeOut: 5000 });
      expect(resumed.sessionId).toBe(sessionId);
      expect(resumed.passwd).toEqual(passwd);
      const reply = await again.request(OpCode.getEphemerals, R.GetEphemeralsRequest, { prefixPath: '/' });
      expect(decodeRecord(reply.body, R.GetEphemeralsResponse.read)).toEqual({ ok: true, value: { ephemerals: ['/mine'] } });
      again.close();
    });

    it('re-arms watches sent with setWatches and fires those whose node changed after relativeZxid', async () => {
      const server = await start();
      const client = await RawClient.open(server.port);
      await client.handshake();
      await client.create('/s', 'a');
      const relativeZxid = (await client.exists('/s')).header.zxid;
      await client.request(OpCode.setData, R.SetDataRequest, { path: '/s', data: new Uint8Array([1]), version: -1 });
      const reply = await client.request(
        OpCode.setWatches,
        R.SetWatches,
        { relativeZxid, dataWatches: ['/s'], existWatches: ['/t'], childWatches: [] },
        -8,
      );
      expect(reply.header).toMatchObject({ xid: -8, err: 0 });
      expect(client.events).toEqual([{ type: EventType.NodeDataChanged, state: 3, path: '/s' }]);
      const created = client.nextEvent();
      await client.create('/t');
      expect(await created).toEqual({ type: EventType.NodeCreated, state: 3, path: '/t' });
      client.close();
    });

    it('re-arms persistent and recursive watches sent with setWatches2', async () => {
    const server = await start();
    const client = await RawClient.open(server.port);
    await client.handshake();
    const reply = await client.request(
      OpCode.setWatches2,
      R.SetWatches2,
      { relativeZxid: 0n, dataWatches: [], existWatches: [], childWatches: [], persistentWatches: ['/p'], persistentRecursiveWatches: ['/r'] },
      -8,
    );
    expect(reply.header.err).toBe(0);
    const first = client.nextEvent();
    await client.create('/r');
    expect(await first).toEqual({ type: EventType.NodeCreated, state: 3, path: '/r' });
    const second = client.nextEvent();
    await client.create('/r/deep');
    expect(await second).toEqual({ type: EventType.NodeCreated, state: 3, path: '/r/deep' });
    const third = client.nextEvent();
    await client.create('/p');
    expect(await third).toEqual({ type: EventType.NodeCreated, state: 3, path: '/p' });
    const fourth = client.nextEvent();
    await client.create('/p/child');
    expect(await fourth).toEqual({ type: EventType.NodeChildrenChanged, state: 3, path: '/p' });
    client.close();
  });

  it('answers ping, sync, whoAmI, addWatch, checkWatches and removeWatches as ZooKeeper does', async () => {
      const server = await start();
      const client = await RawClient.open(server.port);
      await client.handshake();
      expect((await client.request(OpCode.ping, undefined, undefined, -2)).header).toMatchObject({ xid: -2, err: 0 });
      const sync = await client.request(OpCode.sync, R.SyncRequest, { path: '/' });
      expect(decodeRecord(sync.body, R.SyncResponse.read)).toEqual({ ok: true, value: { path: '/' } });
      const who = await client.request(OpCode.whoAmI, undefined, undefined);
      expect(decodeRecord(who.body, R.WhoAmIResponse.read)).toEqual({ ok: true, value: { clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] } });
      const added = await client.request(OpCode.addWatch, R.AddWatchRequest, { path: '/p', mode: 1 });
      expect(decodeRecord(added.body, R.ErrorResponse.read)).toEqual({ ok: true, value: { err: 0 } });
      // 3.8's WatcherType knows Children (1), Data (2) and Any (3); addWatch sets both tables.
      expect((await client.request(OpCode.checkWatches, R.CheckWatchesRequest, { path: '/p', type: 1 })).header.err).toBe(0);
      expect((await client.request(OpCode.checkWatches, R.CheckWatchesRequest, { path: '/q', type: 2 })).header.err).toBe(ErrorCode.NOWATCHER);
      expect((await client.request(OpCode.checkWatches, R.CheckWatchesRequest, { path: '/p', type: 5 })).header.err).toBe(ErrorCode.MARSHALLINGERROR);
      const deep = client.nextEvent();
      await client.create('/p');
      expect(await deep).toEqual({ type: EventType.NodeCreated, state: 3, path: '/p' });
      const deeper = client.nextEvent();
      await client.create('/p/q');
      expect(await deeper).toEqual({ type: EventType.NodeCreated, state: 3, path: '/p/q' });
      expect((await client.request(OpCode.removeWatches, R.RemoveWatchesRequest, { path: '/p', type: 3 })).header.err).toBe(0);
      expect((await client.request(OpCode.removeWatches, R.RemoveWatchesRequest, { path: '/p', type: 3 })).header.err).toBe(ErrorCode.NOWATCHER);
      const count = await client.request(OpCode.getAllChildrenNumber, R.GetAllChildrenNumberRequest, { path: '/' });
      expect(decodeRecord(count.body, R.GetAllChildrenNumberResponse.read)).toEqual({ ok: true, value: { totalNumber: 5 } });
      client.close();
    });

    it('waits for persist before replying, and batches the txns that arrive meanwhile', async () => {
      const batches: Txn[][] = [];
      let release: () => void = () => {};
      const persist = (txns: readonly Txn[]) => {
        batches.push([...txns]);
        return new Promise<void>((resolve) => (release = resolve));
      };
      const server = await start({ persist });
      const client = await RawClient.open(server.port);
      const connected = client.handshake();
      await until(() => batches.length === 1);
      release();
      await connected;
      const replies = [client.create('/a'), client.create('/b'), client.create('/c')];
      let answered = 0;
      for (const r of replies) void r.then(() => answered++);
      await until(() => batches.length === 2);
      await sleep(30);
      expect(answered).toBe(0); // nothing leaves before the batch is durable
      release();
      await until(() => batches.length === 3);
      expect([batches[1]!.length, batches[2]!.length]).toEqual([1, 2]); // /a alone, then /b and /c together
      release();
      const zxids = (await Promise.all(replies)).map((r) => r.header.zxid);
      expect(zxids).toEqual([2n, 3n, 4n]);
      client.close();
    });

    it('stops reading from clients while more than globalOutstandingLimit requests are unanswered, and resumes as persist catches up', async () => {
      const held: (() => void)[] = [];
      let holding = false;
      const persist = () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve());
      const server = await start({ persist, globalOutstandingLimit: 5 });
      const client = await RawClient.open(server.port);
      await client.handshake();
      holding = true;
      const first = Array.from({ length: 8 }, (_, i) => client.create(`/t${i}`));
      await until(() => server.core.outstandingRequests > 5);
      await sleep(30);
      // Reading stopped once the count passed 5: at most the 8 already sent were taken in.
      const received = server.core.stats().packetsReceived;
      expect(server.core.outstandingRequests).toBeGreaterThan(5);
      expect(server.core.outstandingRequests).toBeLessThanOrEqual(8);
      const more = Array.from({ length: 4 }, (_, i) => client.create(`/u${i}`));
      await sleep(50);
      expect(server.core.stats().packetsReceived).toBe(received);
      holding = false;
      for (const resolve of held.splice(0)) resolve();
      const replies = await Promise.all([...first, ...more]);
      expect(replies.map((r) => r.header.err)).toEqual(new Array(12).fill(0));
      expect(server.core.outstandingRequests).toBe(0);
      client.close();
    });
  });

  describe('bad input', () => {
    it('closes only the offending connection for an oversized frame, a bad handshake or an unknown opcode', async () => {
      const server = await start({ frameBytesMax: 1024 });
      const healthy = await RawClient.open(server.port);
      await healthy.handshake();

      const oversized = await RawClient.open(server.port);
      await oversized.handshake();
      const header = new Uint8Array(4);
      new DataView(header.buffer).setInt32(0, 1025);
      oversized.write(header);
      await oversized.closed;

      const garbage = await RawClient.open(server.port);
      garbage.write(new Uint8Array([0, 0, 0, 3, 1, 2, 3]));
      await garbage.closed;

      const unknown = await RawClient.open(server.port);
      await unknown.handshake();
      const reply = await unknown.request(77, undefined, undefined);
      expect(reply.header.err).toBe(ErrorCode.UNIMPLEMENTED);
      await unknown.closed;

      const short = await RawClient.open(server.port);
      await short.handshake();
      short.write(new Uint8Array([0, 0, 0, 2, 0, 1]));
      await short.closed;

      // A request body that does not decode is a MarshallingError reply; the connection lives on.
      const w = new JuteWriter();
      R.RequestHeader.write(w, { xid: 9, type: OpCode.getData });
      w.writeInt(1000);
      expect((await healthy.sendRaw(w.toBytes())).header.err).toBe(ErrorCode.MARSHALLINGERROR);
      expect((await healthy.create('/still-here')).header.err).toBe(0);
      healthy.close();
    });

    it('answers a SASL token as ZooKeeper 3.8 does with no SASL configured (OK, null token, session open and unauthenticated), and fails an auth packet of scheme sasl', async () => {
      const logged: string[] = [];
      const server = await start({ log: (_level, event) => logged.push(event) });
      const client = await RawClient.open(server.port);
      await client.handshake();
      // The hand-written packet a DIGEST-MD5 client sends first: header (xid 5, type 102), GetSASLRequest with an empty token.
      const w = new JuteWriter();
      R.RequestHeader.write(w, { xid: 5, type: OpCode.sasl });
      w.writeBuffer(new Uint8Array(0));
      const reply = await client.sendRaw(w.toBytes());
      expect(reply.header).toEqual({ xid: 5, zxid: 0n, err: 0 });
      // SetSASLResponse { token: null }: length -1, nothing else.
      expect([...reply.body]).toEqual([0xff, 0xff, 0xff, 0xff]);
      expect(logged).toContain('sasl-no-login');
      // The session goes on, with no sasl identity: whoAmI lists only the ip id every connection has.
      expect((await client.exists('/')).header.err).toBe(0);
      const whoAmI = await client.request(OpCode.whoAmI, undefined, undefined);
      expect(decodeRecord(whoAmI.body, R.WhoAmIResponse.read)).toEqual({ ok: true, value: { clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] } });
      expect(client.isClosed).toBe(false);
      const setup = await RawClient.open(server.port);
      await setup.handshake();

      // An auth packet for scheme "sasl": no such provider, AuthFailed and the connection closes (processPacket's auth case).
      const auth = await setup.request(OpCode.auth, R.AuthPacket, { type: 0, scheme: 'sasl', auth: new Uint8Array(0) });
      expect(auth.header.err).toBe(ErrorCode.AUTHFAILED);
      await setup.closed;
      client.close();
    });

    it('refuses connections beyond maxClientCnxns from one address', async () => {
      const server = await start({ maxClientCnxns: 2 });
      const a = await RawClient.open(server.port);
      const b = await RawClient.open(server.port);
      await Promise.all([a.handshake(), b.handshake()]);
      const c = await RawClient.open(server.port);
      await c.closed;
      a.close();
      await a.closed;
      await until(() => server.core.stats().connections.length === 1);
      const d = await RawClient.open(server.port);
      expect((await d.handshake()).timeOut).toBe(2000);
      b.close();
      d.close();
    });

    it('disconnects a client that stops reading instead of buffering for it without bound', async () => {
    const server = await start({ writeBufferBytesMax: 64 * 1024 });
    const writer = await RawClient.open(server.port);
    await writer.handshake();
    await writer.request(OpCode.create, R.CreateRequest, { path: '/big', data: new Uint8Array(60_000), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags: 0 });
    const reader = await RawClient.open(server.port);
    await reader.handshake();
    reader.socket.pause(); // stops reading
    const w = new JuteWriter();
    for (let i = 0; i < 200; i++) {
      R.RequestHeader.write(w, { xid: i + 1, type: OpCode.getData });
      R.GetDataRequest.write(w, { path: '/big', watch: false });
      const payload = w.toBytes();
      reader.write(frame(payload));
      w.length = 0;
    }
    await until(() => server.core.stats().connections.length === 1, 10_000);
    expect((await writer.exists('/big')).header.err).toBe(0);
    writer.close();
    reader.close();
  });

  it('pauses a client that does not read its own replies, and cuts off one whose watch events pile up unread past writeBufferBytesMax (recv-throttle.ts)', async () => {
    const server = await start({ replyBacklogBytesMax: 64 * 1024, writeBufferBytesMax: 1024 * 1024 });
    const writer = await RawClient.open(server.port);
    await writer.handshake();
    const anyone = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
    await writer.request(OpCode.create, R.CreateRequest, { path: '/big', data: new Uint8Array(60_000), acl: anyone, flags: 0 });
    await writer.create('/w');
    // 200 getData of 60 KB (12 MB of replies) not read: paused at the backlog, never cut off, all answered once it reads.
    const slow = await RawClient.open(server.port);
    await slow.handshake();
    slow.socket.pause();
    const replies = Array.from({ length: 200 }, () => slow.request(OpCode.getData, R.GetDataRequest, { path: '/big', watch: false }));
    await sleep(500);
    expect(server.core.stats().connections.length).toBe(2);
    slow.socket.resume();
    expect((await Promise.all(replies)).every((reply) => reply.header.err === 0)).toBe(true);
    // A persistent recursive watch on /w and 10,000 setData of a znode with a 1 KB name under it: 10 MB of
    // events it never reads (the writer's own replies stay small: a Stat each).
    const watcher = await RawClient.open(server.port);
    await watcher.handshake();
    expect((await watcher.request(OpCode.addWatch, R.AddWatchRequest, { path: '/w', mode: 1 })).header.err).toBe(0);
    watcher.socket.pause();
    const path = `/w/${'n'.repeat(1000)}`;
    await writer.create(path);
    const sets = [];
    for (let start = 0; start < 10_000; start += 500) {
      const ops: R.MultiOp[] = Array.from({ length: 500 }, () => ({ type: OpCode.setData, request: { path, data: new Uint8Array(1), version: -1 } }));
      sets.push(writer.request(OpCode.multi, R.MultiRequest, ops));
    }
    expect([...new Set((await Promise.all(sets)).map((reply) => reply.header.err))]).toEqual([0]);
    await until(() => server.core.stats().connections.length === 2, 10_000);
    expect(slow.isClosed).toBe(false);
    expect((await slow.exists('/w')).header.err).toBe(0);
    writer.close();
    slow.close();
    watcher.close();
  });

  it('answers a four-letter word through the admin hook and closes', async () => {
      const server = await start({ fourLetterWord: (word) => (word === 'ruok' ? 'imok' : undefined) });
      const client = await RawClient.open(server.port);
      const chunks: Buffer[] = [];
      client.socket.on('data', (c) => chunks.push(c));
      client.write(Buffer.from('ruok'));
      await client.closed;
      expect(Buffer.concat(chunks).toString()).toBe('imok');
    });
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await sleep(5);
  }
}
