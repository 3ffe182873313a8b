// The sans-IO core with a fake clock and in-memory sinks: session expiry by tick
// buckets, container reaping, the order of events and replies, stats, and
// ZooKeeper's session passwords.

import { describe, expect, it } from 'vitest';
import { ErrorCode, EventType, OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { ServerCore } from './core.ts';
import { MemoryClient } from './memory-client.ts';
import { checkPasswd, generatePasswd, initialSessionId, javaRandomBytes } from './session-password.ts';
import { SessionTracker } from './session-tracker.ts';

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (s: string) => new TextEncoder().encode(s);

function clock(startMs: number) {
  const c = { nowMs: startMs, now: () => c.nowMs, clocks: { now: () => c.nowMs, elapsedNow: () => c.nowMs } };
  return c;
}

describe('session passwords (ZooKeeperServer.generatePasswd)', () => {
  it('reproduces java.util.Random: new Random(0).nextInt() is -1155484576, new Random(42).nextInt() is -1170105035', () => {
    expect([...javaRandomBytes(0n, 4)]).toEqual([0x60, 0xb4, 0x20, 0xbb]); // -1155484576 = 0xbb20b460, low byte first
    expect(new DataView(javaRandomBytes(42n, 4).reverse().buffer).getInt32(0)).toBe(-1170105035);
  });

  it('gives the password Apache ZooKeeper 3.8 gave for session 0x010000221d450000', () => {
    expect(Buffer.from(generatePasswd(0x010000221d450000n)).toString('hex')).toBe('118d930cca87d181d7186f88230675d5');
  });

  it('derives 16 bytes from the session id and accepts only those', () => {
    const id = 0x0100018b2c3d4e5fn;
    expect(generatePasswd(id)).toHaveLength(16);
    expect(checkPasswd(id, generatePasswd(id))).toBe(true);
    expect(checkPasswd(id + 1n, generatePasswd(id))).toBe(false);
    expect(checkPasswd(0n, generatePasswd(0n))).toBe(false);
  });

  it('puts the server id in the top byte of session ids', () => {
    expect(initialSessionId(3, 1_700_000_000_000) >> 56n).toBe(3n);
  });
});

describe('SessionTracker (ExpiryQueue buckets)', () => {
  it('expires a session in the first tick bucket after now + timeout, and a touch moves it', () => {
    const tracker = new SessionTracker(2000);
    tracker.add(1n, 6000, 10_500); // 16_500 rounds up to 18_000
    expect(tracker.get(1n)!.expiresAtMs).toBe(18_000);
    expect(tracker.expire(17_999)).toEqual([]);
    tracker.touch(1n, 13_000); // 19_000 rounds up to 20_000
    expect(tracker.expire(18_000)).toEqual([]);
    expect(tracker.expire(20_000).map((s) => s.sessionId)).toEqual([1n]);
    expect(tracker.touch(1n, 20_001)).toBe(false); // closing
  });
});

describe('ServerCore', () => {
  it('numbers standalone sessions with server id 1 in the top byte, as ZooKeeperServer does', () => {
    const core = new ServerCore({ ...clock(1_700_000_000_000).clocks });
    const a = new MemoryClient(core);
    a.connect(30000);
    expect(a.session.sessionId >> 56n).toBe(1n);
  });

  it('negotiates the timeout into [2, 20] ticks and answers with the readOnly byte the client sent', () => {
    const core = new ServerCore({ tickTimeMs: 1000, ...clock(0).clocks });
    const low = new MemoryClient(core);
    low.connect(10);
    const high = new MemoryClient(core);
    high.connect(1_000_000);
    expect([low.session.timeOut, high.session.timeOut]).toEqual([2000, 20000]);
    expect(low.session.readOnly).toBe(false);
    expect(low.session.sessionId).not.toBe(high.session.sessionId);
  });

  it('expires sessions on the monotonic clock: a wall clock stepped an hour forward expires none, one stepped back holds none back', () => {
    // Issue 15's clock step: session expiry read the wall clock, so a step forward expired every session at the next tick.
    const wall = clock(1_700_000_000_000);
    const elapsed = clock(1_000);
    const core = new ServerCore({ tickTimeMs: 1000, now: wall.now, elapsedNow: elapsed.now });
    const a = new MemoryClient(core);
    a.connect(4000);
    a.create(1, '/a', '', 1);
    wall.nowMs += 3_600_000;
    core.tick();
    expect(core.tree.getNode('/a'), 'a step forward expires nothing').toBeDefined();
    // Txn times (ctime, mtime) are wall-clock times, stepped with it, as ZooKeeper's.
    a.create(2, '/b', '');
    expect(core.tree.getNode('/b')!.stat.ctime).toBe(BigInt(wall.nowMs));
    wall.nowMs -= 7_200_000;
    elapsed.nowMs = 6_000; // the session's bucket, 4 s of silence later
    core.tick();
    expect(core.tree.getNode('/a'), 'a step back holds nothing back').toBeUndefined();
    expect(a.seen.at(-1)).toEqual({ kind: 'closed', reason: 'session expired' });
  });

  it('expires a silent session on the tick after its bucket, deleting its ephemerals and closing its connection', () => {
    const c = clock(1_000);
    const core = new ServerCore({ tickTimeMs: 1000, ...c.clocks });
    const silent = new MemoryClient(core);
    silent.connect(4000);
    silent.create(1, '/lease', '', 1);
    const watcher = new MemoryClient(core);
    watcher.connect(20_000);
    watcher.send(1, OpCode.exists, R.ExistsRequest, { path: '/lease', watch: true });
    // Each session's expiry bucket: the next tick multiple after now + timeout.
    expect(core.sessionExpiries()).toEqual([
      { sessionId: silent.session.sessionId, expiresAtMs: 6_000 },
      { sessionId: watcher.session.sessionId, expiresAtMs: 22_000 },
    ]);
    c.nowMs = 5_999; // bucket: round(1000 + 4000) = 6000
    core.tick();
    expect(core.tree.getNode('/lease')).toBeDefined();
    c.nowMs = 6_000;
    core.tick();
    expect(core.tree.getNode('/lease')).toBeUndefined();
    expect(silent.seen.at(-1)).toEqual({ kind: 'closed', reason: 'session expired' });
    expect(watcher.seen.at(-1)).toEqual({ kind: 'event', event: { type: EventType.NodeDeleted, state: 3, path: '/lease' } });
    expect(core.stats().sessionCount).toBe(1);
  });

  it('sends the watch event to another session before any reply that follows the change', () => {
    const core = new ServerCore({ ...clock(0).clocks });
    const a = new MemoryClient(core);
    a.connect(30000);
    const b = new MemoryClient(core);
    b.connect(30000);
    a.create(1, '/x');
    b.send(1, OpCode.getData, R.GetDataRequest, { path: '/x', watch: true });
    a.send(2, OpCode.setData, R.SetDataRequest, { path: '/x', data: bytes('new'), version: -1 });
    b.send(2, OpCode.getData, R.GetDataRequest, { path: '/x', watch: false });
    expect(b.seen.slice(1).map((s) => s.kind)).toEqual(['reply', 'event', 'reply']);
    const last = b.seen.at(-1)!;
    expect(last.kind === 'reply' && decodeRecord(last.body, R.GetDataResponse.read).ok).toBe(true);
  });

  it('does not tell a connection about a znode it may not READ (ZooKeeper 3.8.4+, CVE-2024-23944)', () => {
    const core = new ServerCore({ ...clock(0).clocks });
    const owner = new MemoryClient(core);
    owner.connect(30000);
    owner.send(-4, OpCode.auth, R.AuthPacket, { type: 0, scheme: 'digest', auth: bytes('owner:pw') });
    const spy = new MemoryClient(core);
    spy.connect(30000);
    spy.send(1, OpCode.addWatch, R.AddWatchRequest, { path: '/', mode: 1 });
    owner.send(1, OpCode.create, R.CreateRequest, { path: '/secret', data: bytes(''), acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 });
    owner.create(2, '/public');
    expect(spy.seen.filter((s) => s.kind === 'event')).toEqual([{ kind: 'event', event: { type: EventType.NodeCreated, state: 3, path: '/public' } }]);
  });

  it('answers a write error with an error txn that takes a zxid, and a closeSession with a reply then a close', () => {
    const core = new ServerCore({ ...clock(0).clocks });
    const a = new MemoryClient(core);
    a.connect(30000); // zxid 1: createSession
    a.create(1, '/dup'); // zxid 2
    a.create(2, '/dup'); // zxid 3: error txn
    a.send(3, OpCode.closeSession);
    const replies = a.seen.filter((s) => s.kind === 'reply').map((s) => s.kind === 'reply' && [s.header.xid, s.header.zxid, s.header.err]);
    expect(replies).toEqual([[1, 2n, 0], [2, 3n, ErrorCode.NODEEXISTS], [3, 4n, 0]]);
    expect(a.seen.at(-1)).toEqual({ kind: 'closed', reason: 'client closed the session' });
  });

  it('reaps an emptied container at the container check interval', () => {
    const c = clock(0);
    const core = new ServerCore({ ...c.clocks, containerCheckIntervalMs: 1000 });
    const a = new MemoryClient(core);
    a.connect(30000);
    a.send(1, OpCode.createContainer, R.CreateRequest, { path: '/box', data: bytes(''), acl, flags: 4 });
    a.create(2, '/box/item');
    a.send(3, OpCode.delete, R.DeleteRequest, { path: '/box/item', version: -1 });
    c.nowMs = 999;
    core.tick();
    expect(core.tree.getNode('/box')).toBeDefined();
    c.nowMs = 1000;
    core.tick();
    expect(core.tree.getNode('/box')).toBeUndefined();
  });

  it('deletes expired TTL nodes at most znode.container.maxPerMinute a minute, spread over the ticks', () => {
    const c = clock(0);
    const core = new ServerCore({ ...c.clocks, containerCheckIntervalMs: 1000, containerMaxPerMinute: 60, extendedTypesEnabled: true });
    const a = new MemoryClient(core);
    a.connect(30000);
    for (let i = 0; i < 3; i++) a.send(1 + i, OpCode.createTTL, R.CreateTTLRequest, { path: `/t${i}`, data: bytes(''), acl, flags: 5, ttl: 100n });
    const left = () => [0, 1, 2].filter((i) => core.tree.getNode(`/t${i}`) !== undefined).length;
    // 60 a minute: one a second, the first as the check finds them.
    for (const [at, expected] of [[1000, 2], [1500, 2], [2000, 1], [2999, 1], [3000, 0]] as const) {
      c.nowMs = at;
      core.tick();
      expect(left(), `at ${at} ms`).toBe(expected);
    }
  });

  it('counts packets, latency, znodes, watches and connections for the four-letter words', () => {
    const c = clock(0);
    const core = new ServerCore({ ...c.clocks });
    const a = new MemoryClient(core);
    a.connect(30000);
    a.create(1, '/s');
    a.send(2, OpCode.getData, R.GetDataRequest, { path: '/s', watch: true });
    const stats = core.stats();
    expect(stats).toMatchObject({ packetsReceived: 3, packetsSent: 3, znodeCount: 5, watchCount: 1, sessionCount: 1, lastProcessedZxid: 2n, outstandingRequests: 0 });
    expect(stats.connections).toHaveLength(1);
    expect(stats.connections[0]).toMatchObject({ remoteAddress: '127.0.0.1', sessionId: a.session.sessionId, packetsReceived: 3, lastOperation: 'getData' });
    expect(core.watchesBySession()).toEqual(new Map([[a.session.sessionId, ['/s']]]));
    expect(core.watchesByPath()).toEqual(new Map([['/s', [a.session.sessionId]]]));
    core.resetStats();
    expect(core.stats().packetsReceived).toBe(0);
  });

  it('holds replies until persist resolves and tracks the last durable zxid', async () => {
    let release: () => void = () => {};
    const batches: bigint[][] = [];
    const core = new ServerCore({
      ...clock(0).clocks,
      persist: (txns) => {
        batches.push(txns.map((t) => t.zxid));
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    const a = new MemoryClient(core);
    a.connect(30000);
    await Promise.resolve();
    expect(a.seen).toEqual([]);
    expect([core.lastDurableZxid, core.tree.lastProcessedZxid, core.isIdle]).toEqual([0n, 1n, false]);
    release();
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.seen.map((s) => s.kind)).toEqual(['connect']);
    expect([core.lastDurableZxid, core.isIdle]).toEqual([1n, true]);
    expect(batches).toEqual([[1n]]);
  });

  describe('per-session order (CommitProcessor): a read waits only for its own session and for the changes it would show', () => {
    /** A core whose persist completes at once until `hold()`, then waits for `release()`. */
    function heldCore() {
      const held: (() => void)[] = [];
      let holding = false;
      const core = new ServerCore({
        ...clock(0).clocks,
        persist: () => (holding ? new Promise<void>((resolve) => held.push(resolve)) : Promise.resolve()),
      });
      const settle = () => new Promise((resolve) => setImmediate(resolve));
      return {
        core,
        settle,
        hold: () => (holding = true),
        release: async () => {
          holding = false;
          for (const resolve of held.splice(0)) resolve();
          await settle();
        },
      };
    }
    const replies = (client: MemoryClient) => client.seen.flatMap((s) => (s.kind === 'reply' ? [s] : []));
    const dataOf = (reply: { body: Uint8Array }) => {
      const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
      if (!decoded.ok) throw new Error(decoded.error);
      return new TextDecoder().decode(decoded.value.data);
    };

    it("answers B's read while A's write is held in persist, without showing the write; A's own read waits for it", async () => {
      const { core, settle, hold, release } = heldCore();
      const a = new MemoryClient(core);
      a.connect(30000);
      const b = new MemoryClient(core);
      b.connect(30000);
      a.send(1, OpCode.create, R.CreateRequest, { path: '/a', data: bytes('a0'), acl, flags: 0 });
      b.send(1, OpCode.create, R.CreateRequest, { path: '/b', data: bytes('b0'), acl, flags: 0 });
      await settle();
      expect(core.lastDurableZxid).toBe(4n); // two createSessions, two creates
      expect(core.isIdle).toBe(true);

      hold();
      a.send(2, OpCode.setData, R.SetDataRequest, { path: '/b', data: bytes('b1'), version: -1 }); // zxid 5, held
      a.send(3, OpCode.getData, R.GetDataRequest, { path: '/a', watch: false }); // A's read: behind A's write
      b.send(2, OpCode.getData, R.GetDataRequest, { path: '/a', watch: false }); // nothing pending on /a: answered now
      expect(core.tree.lastProcessedZxid).toBe(5n);
      expect(core.lastDurableZxid).toBe(4n);
      expect(replies(a).map((r) => r.header.xid)).toEqual([1]);
      expect(replies(b).map((r) => [r.header.xid, r.header.zxid])).toEqual([
        [1, 4n],
        // The header zxid is the durable one: B is not shown zxid 5 either.
        [2, 4n],
      ]);
      expect(dataOf(replies(b)[1]!)).toBe('a0');

      b.send(3, OpCode.getData, R.GetDataRequest, { path: '/b', watch: false }); // would show A's write: held
      b.send(4, OpCode.getData, R.GetDataRequest, { path: '/a', watch: false }); // behind B's own earlier read
      await settle();
      expect(replies(a).map((r) => r.header.xid)).toEqual([1]);
      expect(replies(b).map((r) => r.header.xid)).toEqual([1, 2]);

      await release();
      expect(replies(a).map((r) => [r.header.xid, r.header.zxid])).toEqual([
        [1, 3n],
        [2, 5n],
        [3, 5n],
      ]);
      expect(replies(b).map((r) => [r.header.xid, r.header.zxid])).toEqual([
        [1, 4n],
        [2, 4n],
        [3, 5n],
        [4, 5n],
      ]);
      expect(dataOf(replies(b)[2]!)).toBe('b1');
      expect(core.isIdle).toBe(true);
    });

    it("holds a read of a node another session is creating or deleting, and of its parent's children", async () => {
      const { core, settle, hold, release } = heldCore();
      const a = new MemoryClient(core);
      a.connect(30000);
      const b = new MemoryClient(core);
      b.connect(30000);
      a.create(1, '/p');
      a.create(2, '/q');
      await settle();
      hold();
      a.create(3, '/p/c');
      b.send(1, OpCode.exists, R.ExistsRequest, { path: '/p/c', watch: false });
      b.send(2, OpCode.getChildren, R.GetChildrenRequest, { path: '/p', watch: false });
      const other = new MemoryClient(core);
      other.connect(30000); // its createSession is held too
      await settle();
      expect(replies(b)).toEqual([]);
      await release();
      expect(replies(b).map((r) => [r.header.xid, r.header.err])).toEqual([
        [1, 0],
        [2, 0],
      ]);
      const children = decodeRecord(replies(b)[1]!.body, R.GetChildrenResponse.read);
      expect(children.ok && children.value.children).toEqual(['c']);
      expect(other.seen.map((s) => s.kind)).toEqual(['connect']);
    });

    it("delivers the watch event of a held write before B's reply that shows the change, and after B's earlier reply", async () => {
      const { core, settle, hold, release } = heldCore();
      const a = new MemoryClient(core);
      a.connect(30000);
      const b = new MemoryClient(core);
      b.connect(30000);
      a.create(1, '/x');
      a.create(2, '/y');
      b.send(1, OpCode.getData, R.GetDataRequest, { path: '/x', watch: true });
      await settle();
      hold();
      a.send(3, OpCode.setData, R.SetDataRequest, { path: '/x', data: bytes('new'), version: -1 });
      b.send(2, OpCode.getData, R.GetDataRequest, { path: '/x', watch: false });
      await settle();
      expect(b.seen.slice(1).map((s) => s.kind)).toEqual(['reply']);
      await release();
      expect(b.seen.slice(1).map((s) => s.kind)).toEqual(['reply', 'event', 'reply']);
      expect(dataOf(replies(b)[1]!)).toBe('new');
    });
  });

  it('stops, closing every connection, when persist fails (as SyncRequestProcessor does on a log write error)', async () => {
    const fatal: unknown[] = [];
    const core = new ServerCore({ ...clock(0).clocks, persist: () => Promise.reject(new Error('disk full')), onFatal: (e) => fatal.push(e) });
    const a = new MemoryClient(core);
    a.connect(30000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(a.seen).toEqual([{ kind: 'closed', reason: 'server stopping' }]);
    expect(fatal).toEqual([new Error('disk full')]);
    expect(core.isStopped).toBe(true);
    const late = new MemoryClient(core);
    expect(late.seen).toEqual([{ kind: 'closed', reason: 'server stopped' }]);
  });

  it('recovers sessions from the tree it is given and expires them if their clients never return', () => {
    const c = clock(0);
    const first = new ServerCore({ ...c.clocks, tickTimeMs: 1000 });
    const a = new MemoryClient(first);
    a.connect(4000);
    a.create(1, '/eph', '', 1);
    const second = new ServerCore({ ...c.clocks, tickTimeMs: 1000, tree: first.tree });
    expect(second.stats().sessionCount).toBe(1);
    const back = new MemoryClient(second);
    back.connect(4000, { sessionId: a.session.sessionId, passwd: a.session.passwd });
    expect(back.session.sessionId).toBe(a.session.sessionId);
    c.nowMs = 10_000;
    second.tick();
    expect(second.tree.getNode('/eph')).toBeUndefined();
  });
});
