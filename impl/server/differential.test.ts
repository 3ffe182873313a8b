// Differential test against Apache ZooKeeper itself: the same script of client
// requests goes to a fresh Apache ZooKeeper 3.8 standalone server (Debian's
// package, bound to 127.0.0.1 with a throwaway data directory) and to ours, and
// every reply and watch event must be the same, field for field, once the
// values that depend on the clock or on the session id are normalised. This is
// the "a client cannot tell them apart" property checked at the wire.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient, type Received } from './raw-client.ts';
import { startServer, type ZooKeeperServer } from './server.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';

const haveZooKeeperHere = haveApacheZooKeeper();

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  while (Date.now() < deadlineMs) {
    try {
      // Serving, not just listening: a handshake gets an answer.
      const client = await RawClient.open(port);
      const timer = setTimeout(() => client.close(), 2000);
      await client.handshake({ timeOut: 4000 });
      clearTimeout(timer);
      await client.request(OpCode.closeSession, undefined, undefined);
      client.close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
  throw new Error(`no ZooKeeper serving on ${port}`);
}

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (s: string) => new TextEncoder().encode(s);

type Step = { type: number; codec?: R.Codec<any>; body?: unknown; response?: R.Codec<any>; xid?: number };

/** The script: every request kind, the successes and the errors ZooKeeper's prep and final processors produce. */
const script: Step[] = [
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d', data: bytes('root'), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.create2, codec: R.CreateRequest, body: { path: '/d/seq-', data: bytes('s'), acl: open, flags: 2 }, response: R.Create2Response },
  { type: OpCode.create2, codec: R.CreateRequest, body: { path: '/d/seq-', data: bytes('s'), acl: open, flags: 2 }, response: R.Create2Response },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d/eph', data: bytes(''), acl: open, flags: 1 }, response: R.CreateResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d/eph/child', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/nope/x', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d/bad/', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d/x', data: bytes(''), acl: [], flags: 0 }, response: R.CreateResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/d/x', data: bytes(''), acl: open, flags: 42 }, response: R.CreateResponse },
  { type: OpCode.createTTL, codec: R.CreateTTLRequest, body: { path: '/d/ttl', data: bytes(''), acl: open, flags: 5, ttl: 100n }, response: R.Create2Response },
  { type: OpCode.createContainer, codec: R.CreateRequest, body: { path: '/box', data: bytes('c'), acl: open, flags: 4 }, response: R.Create2Response },
  { type: OpCode.exists, codec: R.ExistsRequest, body: { path: '/later', watch: true }, response: R.ExistsResponse },
  { type: OpCode.getData, codec: R.GetDataRequest, body: { path: '/d', watch: true }, response: R.GetDataResponse },
  { type: OpCode.getChildren2, codec: R.GetChildren2Request, body: { path: '/d', watch: true }, response: R.GetChildren2Response },
  { type: OpCode.setData, codec: R.SetDataRequest, body: { path: '/d', data: bytes('v2'), version: 0 }, response: R.SetDataResponse },
  { type: OpCode.setData, codec: R.SetDataRequest, body: { path: '/d', data: bytes('v3'), version: 0 }, response: R.SetDataResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/later', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.delete, codec: R.DeleteRequest, body: { path: '/d', version: -1 }, response: undefined },
  { type: OpCode.delete, codec: R.DeleteRequest, body: { path: '/zookeeper', version: -1 }, response: undefined },
  { type: OpCode.delete, codec: R.DeleteRequest, body: { path: '/later', version: 5 }, response: undefined },
  { type: OpCode.delete, codec: R.DeleteRequest, body: { path: '/later', version: 0 }, response: undefined },
  { type: OpCode.getACL, codec: R.GetACLRequest, body: { path: '/zookeeper/config' }, response: R.GetACLResponse },
  { type: OpCode.getData, codec: R.GetDataRequest, body: { path: '/zookeeper/config', watch: false }, response: R.GetDataResponse },
  { type: OpCode.getChildren, codec: R.GetChildrenRequest, body: { path: '/zookeeper/quota', watch: false }, response: R.GetChildrenResponse },
  { type: OpCode.auth, codec: R.AuthPacket, body: { type: 0, scheme: 'digest', auth: bytes('alice:pw') }, response: undefined, xid: -4 },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/mine', data: bytes(''), acl: [{ perms: 31, id: { scheme: 'auth', id: '' } }], flags: 0 }, response: R.CreateResponse },
  { type: OpCode.getACL, codec: R.GetACLRequest, body: { path: '/mine' }, response: R.GetACLResponse },
  { type: OpCode.setACL, codec: R.SetACLRequest, body: { path: '/mine', acl: [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }], version: 0 }, response: R.SetACLResponse },
  { type: OpCode.setData, codec: R.SetDataRequest, body: { path: '/mine', data: bytes('x'), version: -1 }, response: R.SetDataResponse },
  { type: OpCode.setACL, codec: R.SetACLRequest, body: { path: '/mine', acl: [{ perms: 1, id: { scheme: 'digest', id: 'nocolon' } }], version: -1 }, response: R.SetACLResponse },
  {
    type: OpCode.multi,
    codec: R.MultiRequest,
    body: [
      { type: OpCode.create, request: { path: '/m', data: bytes('1'), acl: open, flags: 0 } },
      { type: OpCode.create, request: { path: '/m/c', data: bytes(''), acl: open, flags: 2 } },
      { type: OpCode.setData, request: { path: '/m', data: bytes('2'), version: 0 } },
      { type: OpCode.check, request: { path: '/m', version: 1 } },
    ],
    response: R.MultiResponse,
  },
  {
    type: OpCode.multi,
    codec: R.MultiRequest,
    body: [
      { type: OpCode.create, request: { path: '/n', data: bytes(''), acl: open, flags: 0 } },
      { type: OpCode.check, request: { path: '/m', version: 7 } },
      { type: OpCode.delete, request: { path: '/m/c0000000000', version: -1 } },
    ],
    response: R.MultiResponse,
  },
  {
    type: OpCode.multiRead,
    codec: R.MultiRequest,
    body: [
      { type: OpCode.getData, request: { path: '/m', watch: false } },
      { type: OpCode.getChildren, request: { path: '/m', watch: false } },
      { type: OpCode.getData, request: { path: '/absent', watch: false } },
    ],
    response: R.MultiResponse,
  },
  { type: OpCode.addWatch, codec: R.AddWatchRequest, body: { path: '/m', mode: 1 }, response: R.ErrorResponse },
  { type: OpCode.checkWatches, codec: R.CheckWatchesRequest, body: { path: '/m', type: 5 }, response: undefined },
  { type: OpCode.checkWatches, codec: R.CheckWatchesRequest, body: { path: '/m', type: 1 }, response: undefined },
  { type: OpCode.setData, codec: R.SetDataRequest, body: { path: '/m/c0000000000', data: bytes('deep'), version: -1 }, response: R.SetDataResponse },
  { type: OpCode.removeWatches, codec: R.RemoveWatchesRequest, body: { path: '/m', type: 5 }, response: undefined },
  { type: OpCode.removeWatches, codec: R.RemoveWatchesRequest, body: { path: '/m', type: 5 }, response: undefined },
  { type: OpCode.getAllChildrenNumber, codec: R.GetAllChildrenNumberRequest, body: { path: '/' }, response: R.GetAllChildrenNumberResponse },
  { type: OpCode.getEphemerals, codec: R.GetEphemeralsRequest, body: { prefixPath: '/' }, response: R.GetEphemeralsResponse },
  { type: OpCode.whoAmI, response: R.WhoAmIResponse },
  { type: OpCode.sync, codec: R.SyncRequest, body: { path: '/m' }, response: R.SyncResponse },
  { type: OpCode.ping, response: undefined, xid: -2 },
  { type: OpCode.setWatches, codec: R.SetWatches, body: { relativeZxid: 1n, dataWatches: ['/m', '/gone'], existWatches: ['/m/c0000000000'], childWatches: ['/'] }, response: undefined, xid: -8 },
  { type: OpCode.exists, codec: R.ExistsRequest, body: { path: 'no-slash', watch: false }, response: R.ExistsResponse },
  { type: OpCode.getData, codec: R.GetDataRequest, body: { path: '/a//b', watch: false }, response: R.GetDataResponse },
  { type: OpCode.setData, codec: R.SetDataRequest, body: { path: '/a//b', data: bytes(''), version: -1 }, response: R.SetDataResponse },
  { type: OpCode.create, codec: R.CreateRequest, body: { path: '/box/kid', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
  { type: OpCode.reconfig, codec: R.ReconfigRequest, body: { joiningServers: '', leavingServers: '', newMembers: '', curConfigId: -1n }, response: undefined },
  { type: OpCode.closeSession, response: undefined },
];

/** Replaces what depends on the wall clock or the session id. */
function normalise(value: unknown, sessionId: bigint): unknown {
  if (Array.isArray(value)) return value.map((v) => normalise(v, sessionId));
  if (value instanceof Uint8Array) return Buffer.from(value).toString('hex');
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (k === 'ctime' || k === 'mtime') out[k] = 'TIME';
      else if (k === 'ephemeralOwner' && v === sessionId) out[k] = 'SESSION';
      else out[k] = normalise(v, sessionId);
    }
    return out;
  }
  return value;
}

async function runScript(port: number, steps: readonly Step[] = script): Promise<unknown[]> {
  const client = await RawClient.open(port);
  const connected = await client.handshake({ timeOut: 10000 });
  const transcript: unknown[] = [{ connect: { timeOut: connected.timeOut, readOnly: connected.readOnly, passwdLength: connected.passwd.byteLength } }];
  let xid = 1;
  for (const step of steps) {
    const pending = client.request(step.type, step.codec, step.body, step.xid ?? xid++);
    const reply = await Promise.race([
      pending,
      new Promise<{ header: R.ReplyHeader; body: Uint8Array }>((resolve) =>
        setTimeout(() => resolve({ header: { xid: 0, zxid: -1n, err: 2 }, body: new Uint8Array(0) }), 3000),
      ),
    ]);
    if (reply.header.err === 2) {
      // No reply within 3 s: record it and stop (the stream is out of step from here).
      transcript.push({ request: step.type, header: 'NO REPLY' });
      break;
    }
    let body: unknown = Buffer.from(reply.body).toString('hex');
    if (reply.header.err === 0 && step.response !== undefined) {
      const decoded = decodeRecord(reply.body, step.response.read);
      body = decoded.ok ? decoded.value : `undecodable: ${decoded.error}`;
    }
    transcript.push({ request: step.type, header: reply.header, body });
  }
  if (!client.isClosed) await Promise.race([client.closed, new Promise((resolve) => setTimeout(resolve, 2000))]);
  client.close();
  // Interleave events with replies as they arrived.
  const arrival = client.received.map((r: Received) => (r.kind === 'event' ? { event: r.event, zxid: r.zxid } : { reply: r.header.xid }));
  return normalise([...transcript, { arrival }], connected.sessionId) as unknown[];
}

type SessionStep = Step & { session: 0 | 1 };

/** Two sessions taking turns; each request waits for its reply, so every event has a determined place. */
async function runTwoSessions(port: number, steps: readonly SessionStep[]): Promise<unknown> {
  const clients = [await RawClient.open(port), await RawClient.open(port)] as const;
  const sessions: bigint[] = [];
  for (const c of clients) sessions.push((await c.handshake({ timeOut: 10000 })).sessionId);
  const xids = [1, 1];
  const replies: unknown[] = [];
  for (const step of steps) {
    const client = clients[step.session];
    if (client.isClosed) {
      replies.push({ session: step.session, closed: true });
      continue;
    }
    const reply = await client.request(step.type, step.codec, step.body, step.xid ?? xids[step.session]!++);
    let body: unknown = Buffer.from(reply.body).toString('hex');
    if (reply.header.err === 0 && step.response !== undefined) {
      const decoded = decodeRecord(reply.body, step.response.read);
      body = decoded.ok ? decoded.value : `undecodable: ${decoded.error}`;
    }
    replies.push({ session: step.session, header: reply.header, body });
  }
  for (const c of clients) {
    if (!c.isClosed) await c.request(OpCode.closeSession, undefined, undefined);
    c.close();
  }
  const arrivals = clients.map((c) => c.received.map((r: Received) => (r.kind === 'event' ? { event: r.event } : { reply: r.header.xid, err: r.header.err })));
  // Each session's id becomes SESSION0 / SESSION1.
  const text = JSON.stringify({ replies, arrivals }, (_k, v) => {
    if (typeof v === 'bigint') return v === sessions[0] ? 'SESSION0' : v === sessions[1] ? 'SESSION1' : `${v}n`;
    if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
    return v;
  });
  return JSON.parse(text.replace(/"(ctime|mtime)":"\d+n"/g, '"$1":"TIME"'));
}

type Pair = { apache: ApacheStandalone; apachePort: number; ours: ZooKeeperServer };

/** A fresh Apache ZooKeeper (with the given JVM system properties) and a fresh server of ours, each probed once so zxids line up. */
async function startPair(systemProperties: string[], extendedTypesEnabled: boolean): Promise<Pair> {
  const [apache, ours] = await Promise.all([
    startApacheStandalone({ serverJvmFlags: systemProperties }),
    startServer({ port: 0, tickTimeMs: 2000, extendedTypesEnabled, log: () => {} }),
  ]);
  try {
    await waitForPort(ours.port, Date.now() + 5_000);
    await waitForPort(apache.port, Date.now() + 30_000);
  } catch (error) {
    const log = apache.log();
    await apache.stop();
    await ours.close();
    throw new Error(`${(error as Error).message}; ZooKeeper's log:\n${log}`);
  }
  return { apache, apachePort: apache.port, ours };
}

async function stopPair(pair: Pair | undefined): Promise<void> {
  if (pair === undefined) return;
  await pair.apache.stop();
  await pair.ours.close();
}

describe.runIf(haveZooKeeperHere)('differential: Apache ZooKeeper 3.8 and our server give the same answers', () => {
  let pair: Pair | undefined;
  let apachePort = 0;
  let ours: ZooKeeperServer;

  beforeAll(async () => {
    pair = await startPair([], false);
    ({ apachePort, ours } = pair);
  }, 40_000);

  afterAll(() => stopPair(pair));

  it('replays the script on both and compares every reply and event', async () => {
    const theirs = await runScript(apachePort);
    const mine = await runScript(ours.port);
    expect(mine.length).toBe(script.length + 2);
    const differences: string[] = [];
    for (let i = 0; i < theirs.length; i++) {
      const a = JSON.stringify(theirs[i], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
      const b = JSON.stringify(mine[i], (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
      if (a !== b) differences.push(`step ${i - 1}:\n  apache: ${a}\n  ours:   ${b}`);
    }
    expect(differences.join('\n')).toBe('');
  }, 60_000);

  it('seeded random request sequences get the same replies and events from both', async () => {
    const seed = 424242;
    let run = 0;
    const names = ['a', 'b', 'a/x', 'a/y', 'b/z', 'a/x/deep'];
    // Every kind of data a client can put on the wire: null (jute length -1), empty, short, and large (64 KiB; jute.maxbuffer is 1 MiB).
    const large = new Uint8Array(64 * 1024).map((_, i) => i % 251);
    const data = fc.constantFrom<Uint8Array | null>(null, new Uint8Array(0), bytes('v'), large);
    const op = fc.oneof(
      fc.record({ t: fc.constant('create' as const), n: fc.constantFrom(...names), flags: fc.constantFrom(0, 1, 2, 3, 4), data }),
      fc.record({ t: fc.constant('delete' as const), n: fc.constantFrom(...names), version: fc.constantFrom(-1, 0, 1) }),
      fc.record({ t: fc.constant('set' as const), n: fc.constantFrom(...names), version: fc.constantFrom(-1, 0, 1), data }),
      fc.record({ t: fc.constant('get' as const), n: fc.constantFrom(...names), watch: fc.boolean() }),
      fc.record({ t: fc.constant('exists' as const), n: fc.constantFrom(...names), watch: fc.boolean() }),
      fc.record({ t: fc.constant('children' as const), n: fc.constantFrom('', ...names), watch: fc.boolean() }),
      fc.record({ t: fc.constant('addWatch' as const), n: fc.constantFrom('', ...names), mode: fc.constantFrom(0, 1) }),
      fc.record({ t: fc.constant('multi' as const), a: fc.constantFrom(...names), b: fc.constantFrom(...names) }),
      fc.record({ t: fc.constant('multiCheck' as const), a: fc.constantFrom(...names), version: fc.constantFrom(-1, 0, 1), b: fc.constantFrom(...names) }),
      fc.record({ t: fc.constant('multiRead' as const), a: fc.constantFrom(...names), b: fc.constantFrom('', ...names) }),
      fc.record({ t: fc.constant('container' as const), n: fc.constantFrom(...names) }),
      fc.record({ t: fc.constant('getACL' as const), n: fc.constantFrom('', ...names) }),
      fc.record({ t: fc.constant('setACL' as const), n: fc.constantFrom(...names), version: fc.constantFrom(-1, 0), readOnly: fc.boolean() }),
      fc.record({ t: fc.constant('count' as const), n: fc.constantFrom('', ...names) }),
      fc.record({ t: fc.constant('watches' as const), n: fc.constantFrom('', ...names), check: fc.boolean(), type: fc.constantFrom(1, 2, 3) }),
      fc.record({ t: fc.constant('setWatches' as const), n: fc.constantFrom(...names), m: fc.constantFrom('', ...names) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
        const root = `/r${run++}`;
        const p = (n: string) => (n === '' ? root : `${root}/${n}`);
        const steps: Step[] = [{ type: OpCode.create, codec: R.CreateRequest, body: { path: root, data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse }];
        for (const o of ops) {
          switch (o.t) {
            case 'create':
              steps.push({ type: OpCode.create2, codec: R.CreateRequest, body: { path: p(o.n), data: o.data, acl: open, flags: o.flags }, response: R.Create2Response });
              break;
            case 'delete':
              steps.push({ type: OpCode.delete, codec: R.DeleteRequest, body: { path: p(o.n), version: o.version } });
              break;
            case 'set':
              steps.push({ type: OpCode.setData, codec: R.SetDataRequest, body: { path: p(o.n), data: o.data, version: o.version }, response: R.SetDataResponse });
              break;
            case 'get':
              steps.push({ type: OpCode.getData, codec: R.GetDataRequest, body: { path: p(o.n), watch: o.watch }, response: R.GetDataResponse });
              break;
            case 'exists':
              steps.push({ type: OpCode.exists, codec: R.ExistsRequest, body: { path: p(o.n), watch: o.watch }, response: R.ExistsResponse });
              break;
            case 'children':
              steps.push({ type: OpCode.getChildren2, codec: R.GetChildren2Request, body: { path: p(o.n), watch: o.watch }, response: R.GetChildren2Response });
              break;
            case 'addWatch':
              steps.push({ type: OpCode.addWatch, codec: R.AddWatchRequest, body: { path: p(o.n), mode: o.mode }, response: R.ErrorResponse });
              break;
            case 'multi':
              steps.push({
                type: OpCode.multi,
                codec: R.MultiRequest,
                body: [
                  { type: OpCode.create, request: { path: p(o.a), data: bytes(''), acl: open, flags: 0 } },
                  { type: OpCode.delete, request: { path: p(o.b), version: -1 } },
                ],
                response: R.MultiResponse,
              });
              break;
            case 'multiCheck':
              steps.push({
                type: OpCode.multi,
                codec: R.MultiRequest,
                body: [
                  { type: OpCode.check, request: { path: p(o.a), version: o.version } },
                  { type: OpCode.setData, request: { path: p(o.b), data: bytes('m'), version: -1 } },
                ],
                response: R.MultiResponse,
              });
              break;
            case 'multiRead':
              steps.push({
                type: OpCode.multiRead,
                codec: R.MultiRequest,
                body: [
                  { type: OpCode.getData, request: { path: p(o.a), watch: false } },
                  { type: OpCode.getChildren, request: { path: p(o.b), watch: false } },
                ],
                response: R.MultiResponse,
              });
              break;
            case 'container':
              steps.push({ type: OpCode.createContainer, codec: R.CreateRequest, body: { path: p(o.n), data: bytes(''), acl: open, flags: 4 }, response: R.Create2Response });
              break;
            case 'getACL':
              steps.push({ type: OpCode.getACL, codec: R.GetACLRequest, body: { path: p(o.n) }, response: R.GetACLResponse });
              break;
            case 'setACL': {
              const acl = o.readOnly ? [{ perms: 1, id: { scheme: 'world', id: 'anyone' } }] : open;
              steps.push({ type: OpCode.setACL, codec: R.SetACLRequest, body: { path: p(o.n), acl, version: o.version }, response: R.SetACLResponse });
              break;
            }
            case 'count':
              steps.push({ type: OpCode.getAllChildrenNumber, codec: R.GetAllChildrenNumberRequest, body: { path: p(o.n) }, response: R.GetAllChildrenNumberResponse });
              break;
            case 'watches':
              steps.push({ type: o.check ? OpCode.checkWatches : OpCode.removeWatches, codec: R.CheckWatchesRequest, body: { path: p(o.n), type: o.type } });
              break;
            case 'setWatches':
              steps.push({
                type: OpCode.setWatches,
                codec: R.SetWatches,
                body: { relativeZxid: 1n, dataWatches: [p(o.n)], existWatches: [p(o.m)], childWatches: [p(o.m)] },
                xid: -8,
              });
              break;
          }
        }
        steps.push({ type: OpCode.getEphemerals, codec: R.GetEphemeralsRequest, body: { prefixPath: root }, response: R.GetEphemeralsResponse });
        steps.push({ type: OpCode.closeSession });
        const theirs = await runScript(apachePort, steps);
        const mine = await runScript(ours.port, steps);
        const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));
        if (show(mine) !== show(theirs)) {
          throw new Error(`seed ${seed}, run ${root}:\napache: ${show(theirs)}\nours:   ${show(mine)}`);
        }
      }),
      { seed, numRuns: 100, endOnFailure: true },
    );
  }, 120_000);

  it('seeded random two-session workloads: watches across sessions, ephemerals, auth and ACLs agree', async () => {
    const seed = 777;
    let run = 0;
    const names = ['a', 'b', 'a/x', 'b/y'];
    const digestAcl = [{ perms: 31, id: { scheme: 'auth', id: '' } }, { perms: 1, id: { scheme: 'world', id: 'anyone' } }];
    const op = fc.record({
      session: fc.constantFrom(0 as const, 1 as const),
      t: fc.constantFrom('create', 'createEph', 'createSeq', 'createPrivate', 'delete', 'set', 'get', 'exists', 'children', 'addWatch', 'auth', 'close'),
      n: fc.constantFrom(...names),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 20 }), async (ops) => {
        const root = `/s${run++}`;
        const p = (n: string) => `${root}/${n}`;
        const steps: SessionStep[] = [{ session: 0, type: OpCode.create, codec: R.CreateRequest, body: { path: root, data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse }];
        for (const o of ops) {
          const session = o.session;
          switch (o.t) {
            case 'create':
            case 'createEph':
            case 'createSeq':
            case 'createPrivate': {
              const flags = o.t === 'createEph' ? 1 : o.t === 'createSeq' ? 2 : 0;
              const acl = o.t === 'createPrivate' ? digestAcl : open;
              steps.push({ session, type: OpCode.create2, codec: R.CreateRequest, body: { path: p(o.n), data: bytes(o.n), acl, flags }, response: R.Create2Response });
              break;
            }
            case 'delete':
              steps.push({ session, type: OpCode.delete, codec: R.DeleteRequest, body: { path: p(o.n), version: -1 } });
              break;
            case 'set':
              steps.push({ session, type: OpCode.setData, codec: R.SetDataRequest, body: { path: p(o.n), data: bytes('v'), version: -1 }, response: R.SetDataResponse });
              break;
            case 'get':
              steps.push({ session, type: OpCode.getData, codec: R.GetDataRequest, body: { path: p(o.n), watch: true }, response: R.GetDataResponse });
              break;
            case 'exists':
              steps.push({ session, type: OpCode.exists, codec: R.ExistsRequest, body: { path: p(o.n), watch: true }, response: R.ExistsResponse });
              break;
            case 'children':
              steps.push({ session, type: OpCode.getChildren2, codec: R.GetChildren2Request, body: { path: root, watch: true }, response: R.GetChildren2Response });
              break;
            case 'addWatch':
              steps.push({ session, type: OpCode.addWatch, codec: R.AddWatchRequest, body: { path: root, mode: 1 }, response: R.ErrorResponse });
              break;
            case 'auth':
              steps.push({ session, type: OpCode.auth, codec: R.AuthPacket, body: { type: 0, scheme: 'digest', auth: bytes(`user${session}:pw`) }, xid: -4 });
              break;
            case 'close':
              steps.push({ session, type: OpCode.closeSession });
              break;
          }
        }
        const theirs = await runTwoSessions(apachePort, steps);
        const mine = await runTwoSessions(ours.port, steps);
        if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
          throw new Error(`seed ${seed}, run ${root}:\napache: ${JSON.stringify(theirs)}\nours:   ${JSON.stringify(mine)}`);
        }
      }),
      { seed, numRuns: 60, endOnFailure: true },
    );
  }, 120_000);
});

describe.runIf(haveZooKeeperHere)('differential with zookeeper.extendedTypesEnabled=true: TTL nodes', () => {
  let pair: Pair | undefined;
  beforeAll(async () => {
    pair = await startPair(['-Dzookeeper.extendedTypesEnabled=true'], true);
  }, 40_000);
  afterAll(() => stopPair(pair));

  it('creates TTL nodes and refuses bad TTLs exactly as ZooKeeper does', async () => {
    const ttl = (path: string, flags: number, ms: bigint): Step => ({
      type: OpCode.createTTL,
      codec: R.CreateTTLRequest,
      body: { path, data: bytes('t'), acl: open, flags, ttl: ms },
      response: R.Create2Response,
    });
    const steps: Step[] = [
      ttl('/ttl', 5, 60_000n),
      ttl('/ttl-seq-', 6, 60_000n),
      ttl('/ttl-seq-', 6, 60_000n),
      ttl('/zero', 5, 0n),
      ttl('/negative', 5, -5n),
      ttl('/huge', 5, 1n << 41n),
      ttl('/not-ttl-mode', 0, 1000n),
      { type: OpCode.create, codec: R.CreateRequest, body: { path: '/ttl-flag-no-ttl', data: bytes(''), acl: open, flags: 5 }, response: R.CreateResponse },
      { type: OpCode.exists, codec: R.ExistsRequest, body: { path: '/ttl', watch: false }, response: R.ExistsResponse },
      { type: OpCode.create, codec: R.CreateRequest, body: { path: '/ttl/child', data: bytes(''), acl: open, flags: 0 }, response: R.CreateResponse },
      { type: OpCode.getChildren2, codec: R.GetChildren2Request, body: { path: '/', watch: false }, response: R.GetChildren2Response },
      { type: OpCode.closeSession },
    ];
    const theirs = await runScript(pair!.apachePort, steps);
    const mine = await runScript(pair!.ours.port, steps);
    // TTL nodes really were created (not refused as Unimplemented on both sides).
    expect((theirs[1] as { header: { err: number } }).header.err).toBe(0);
    expect((theirs[4] as { header: { err: number } }).header.err).toBe(-8);
    const show = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x), 1);
    expect(show(mine)).toBe(show(theirs));
  }, 30_000);
});
