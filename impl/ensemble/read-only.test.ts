// Read-only mode, side by side: our three-member ensemble and Apache ZooKeeper
// 3.8's, both with -Dreadonlymode.enabled=true in the JVM flags (SERVER_JVMFLAGS
// for ours) and localSessionsEnabled=true (ZooKeeper 3.7+ answers a read-only
// client's connect with a NotReadOnly reply header instead of a session
// without it: ReadOnlyRequestProcessor refuses a global createSession). Two
// members are SIGKILLed; the survivor, after its grace period, serves
// read-only clients (zkCli.sh -r and a wire client with the readOnly flag):
// reads of what was written before, NotReadOnly for every write and sync, `isro`
// ro, srvr and mntr in read-only mode; a client without the flag is refused.
// The two members come back: the read-only connection is closed and the
// survivor serves read-write again. Each kind's observations must equal the
// same expected record. About 20 s per kind.

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { runZkCli, zkCli } from '../testing/zkcli.ts';
import { Ensemble, fourLetterWord, testsRunAgainst, type ServerKind } from './cluster.ts';

const ensembles: Ensemble[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const e of ensembles.splice(0)) await e.stopAll();
});

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const utf8 = (s: string) => new TextEncoder().encode(s);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(100);
  }
}

/** A session on `port`; the handshake's outcome, or 'refused' when the server closes the connection instead of answering. */
async function connect(port: number, readOnly: boolean): Promise<{ client: RawClient; response: R.ConnectResponse | 'refused' }> {
  const client = await RawClient.open(port);
  clients.push(client);
  const response = await client.handshake({ timeOut: 6000, readOnly }).catch(() => 'refused' as const);
  return { client, response };
}

const mntrLine = (mntr: string, key: string) => mntr.split('\n').find((l) => l.startsWith(`${key}\t`))?.split('\t')[1];

/** What zkCli.sh -r prints for each command, without its log lines and the stat's dates and zxids. */
function zkCliAnswers(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(WatchedEvent state:ConnectedReadOnly|hello|Not a read-only call|\[|Sync has failed|dataLength|numChildren)/.test(l));
}

/** The wire-level requests of a read-only session: each reply's error code, and what the reads returned. */
async function readOnlySession(c: RawClient) {
  const get = await c.request(OpCode.getData, R.GetDataRequest, { path: '/ro', watch: false });
  const data = decodeRecord(get.body, R.GetDataResponse.read);
  const children = await c.request(OpCode.getChildren, R.GetChildrenRequest, { path: '/', watch: false });
  const names = decodeRecord(children.body, R.GetChildrenResponse.read);
  const multiRead = await c.request(OpCode.multiRead, R.MultiRequest, [{ type: OpCode.getData, request: { path: '/ro', watch: false } }]);
  const errors = {
    create: (await c.request(OpCode.create, R.CreateRequest, { path: '/x', data: utf8('y'), acl: open, flags: 0 })).header,
    setData: (await c.request(OpCode.setData, R.SetDataRequest, { path: '/ro', data: utf8('z'), version: -1 })).header,
    delete: (await c.request(OpCode.delete, R.DeleteRequest, { path: '/ro', version: -1 })).header,
    setACL: (await c.request(OpCode.setACL, R.SetACLRequest, { path: '/ro', acl: open, version: -1 })).header,
    multi: (await c.request(OpCode.multi, R.MultiRequest, [{ type: OpCode.create, request: { path: '/m', data: utf8(''), acl: open, flags: 0 } }])).header,
    sync: (await c.request(OpCode.sync, R.SyncRequest, { path: '/' })).header,
  };
  return {
    getData: data.ok ? new TextDecoder().decode(data.value.data ?? new Uint8Array()) : data.error,
    children: names.ok ? [...names.value.children].sort() : names.error,
    multiRead: multiRead.header.err,
    writes: Object.fromEntries(Object.entries(errors).map(([op, h]) => [op, h.err])),
    // ReadOnlyRequestProcessor answers with the tree's last zxid, as the reads do.
    writeZxidsAreTheTrees: Object.values(errors).every((h) => h.zxid === get.header.zxid),
  };
}

async function observe(kind: ServerKind) {
  const e = await Ensemble.start({
    kind,
    size: 3,
    jvmFlags: ['-Dreadonlymode.enabled=true'],
    // isro is left out of the whitelist: read-only mode allows it anyway (FourLetterCommands.isEnabled).
    extraConfig: ['localSessionsEnabled=true', '4lw.commands.whitelist=srvr,mntr,ruok'],
  });
  ensembles.push(e);
  const leader = await e.leader(45_000);
  const survivor = e.ids.find((id) => id !== leader)!;
  const port = e.member(survivor).clientPort;
  const isroBefore = await fourLetterWord(port, 'isro');
  const writer = await connect(port, false);
  expect((await writer.client.create('/ro', 'hello')).header.err).toBe(0);
  writer.client.close();

  const lostAt = Date.now();
  for (const id of e.ids) if (id !== survivor) await e.kill(id);
  await eventually('the survivor in read-only mode', 20_000, async () => ((await fourLetterWord(port, 'isro')) === 'ro' ? true : undefined));
  const readOnlyAfterMs = Date.now() - lostAt;
  const srvr = await fourLetterWord(port, 'srvr');
  const mntr = await fourLetterWord(port, 'mntr');
  const refused = (await connect(port, false)).response;
  const reader = await connect(port, true);
  const response = reader.response;
  const session = response === 'refused' ? undefined : await readOnlySession(reader.client);
  const zkCli = zkCliAnswers(await runZkCli(`127.0.0.1:${port}`, ['get /ro', 'create /x y', 'set /ro z', 'delete /ro', 'ls /', 'sync /', 'stat /ro'], 45_000, {}, { readOnly: true }));

  for (const id of e.ids) if (id !== survivor) e.restart(id);
  const readWrite = await eventually('the survivor in read-write mode', 30_000, async () => ((await fourLetterWord(port, 'isro')) === 'rw' ? true : undefined));
  await Promise.race([reader.client.closed, sleep(5000)]);
  const rw = await connect(port, false);
  const writeAfter = rw.response === 'refused' ? 'refused' : (await rw.client.create('/after', '')).header.err;
  console.log(`${kind}: read-only ${readOnlyAfterMs} ms after the kills`);
  return {
    isroBefore,
    isro: 'ro',
    // Not before the grace period (max(2 s, tickTime) from the start of looking, which follows the kills), nor long after.
    readOnlyAfterGrace: readOnlyAfterMs >= 2000 && readOnlyAfterMs < 15_000,
    srvrMode: /\nMode: (.*)\n/.exec(srvr)?.[1],
    srvrBanner: srvr.split('\n')[1],
    mntrState: mntrLine(mntr, 'zk_server_state'),
    mntrPeerState: mntrLine(mntr, 'zk_peer_state'),
    notReadOnlyClient: refused === 'refused' ? 'refused' : 'served',
    readOnlyConnect: response === 'refused' ? 'refused' : { readOnly: response.readOnly, sessionOwner: Number(response.sessionId >> 56n) === survivor },
    session,
    zkCli,
    afterRestart: { readWrite, readOnlyConnectionClosed: reader.client.isClosed, writeAfter },
  };
}

const expected = {
  isroBefore: 'rw',
  isro: 'ro',
  readOnlyAfterGrace: true,
  srvrMode: 'read-only',
  srvrBanner: 'READ-ONLY mode; serving only read-only clients',
  mntrState: 'read-only',
  mntrPeerState: undefined,
  notReadOnlyClient: 'refused',
  readOnlyConnect: { readOnly: true, sessionOwner: true },
  session: {
    getData: 'hello',
    children: ['ro', 'zookeeper'],
    multiRead: 0,
    writes: { create: -119, setData: -119, delete: -119, setACL: -119, multi: -119, sync: -119 },
    writeZxidsAreTheTrees: true,
  },
  zkCli: [
    'WatchedEvent state:ConnectedReadOnly type:None path:null',
    'hello',
    'Not a read-only call: /x',
    'Not a read-only call: /ro',
    'Not a read-only call: /ro',
    '[ro, zookeeper]',
    'Sync has failed. rc=-119',
    'dataLength = 5',
    'numChildren = 0',
  ],
  afterRestart: { readWrite: true, readOnlyConnectionClosed: true, writeAfter: 0 },
};

const kinds = (['zookeeper', 'ours'] as const).filter(testsRunAgainst);

describe.runIf(kinds.length > 0 && existsSync(zkCli))('read-only mode on a three-member ensemble cut down to one', () => {
  it(`serves read-only clients and refuses the others the same way on ${kinds.join(' and ')}, then goes back to read-write`, async () => {
    const observed: Record<string, unknown> = {};
    for (const kind of kinds) {
      observed[kind] = await observe(kind);
      await ensembles.pop()!.stopAll();
    }
    for (const kind of kinds) expect(observed[kind], kind).toEqual(expected);
  }, 180_000);
});
