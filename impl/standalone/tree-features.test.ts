// Quotas, TTL nodes and the gtmk/stmk/hash four-letter words, each against
// Apache ZooKeeper 3.8 (Debian's, ZooKeeperServerMain) and our server process
// in the same test: the same zkCli.sh commands must print the same thing on
// both, and ours must keep it across a restart.

import { appendFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { runZkCli, zkCli } from '../testing/zkcli.ts';
import { znodeDigest } from '../tree/digest.ts';
import { dataDirWithConfig, eventually, killChildren, startChild, type DataDir } from './test-support.ts';

const dirs: DataDir[] = [];
const apaches: ApacheStandalone[] = [];
afterEach(async () => {
  killChildren();
  for (const dir of dirs.splice(0)) dir.remove();
  for (const apache of apaches.splice(0)) await apache.stop();
});

/** Ours and Apache ZooKeeper, both standalone with the same zoo.cfg lines (and the JVM flags ZooKeeper reads only there). */
async function startBoth(zooCfg: readonly string[], jvmFlags: readonly string[] = []) {
  const apache = await startApacheStandalone({ zooCfg, serverJvmFlags: jvmFlags });
  apaches.push(apache);
  const dir = dataDirWithConfig(['tickTime=2000', '4lw.commands.whitelist=*', ...zooCfg]);
  dirs.push(dir);
  const ours = await startChild(dir.configPath);
  return { apache, dir, ours };
}

/**
 * zkCli.sh's output without what differs between two servers or two runs: the
 * address it connects to, the wall-clock times, its JVM's logging noise and the
 * session's own events (whether the Closed event is printed before it exits is a race).
 */
async function cli(port: number, commands: readonly string[]): Promise<string> {
  const output = await runZkCli(`127.0.0.1:${port}`, commands);
  const noise = /^(Connecting to |SLF4J: |WATCHER::|WatchedEvent state:\w+ type:None path:null|\s*$)/;
  return output
    .split('\n')
    .filter((line) => !noise.test(line))
    .map((line) => `${line.replace(/^(ctime|mtime) = .*/, '$1 = TIME')}\n`)
    .join('');
}

/**
 * The lines of two outputs as multisets: zkCli.sh writes results to stdout and
 * messages ("absolute path is ...", errors) to stderr, which arrive interleaved
 * in no fixed order.
 */
const sameLines = (mine: string, theirs: string) => expect(mine.split('\n').sort()).toEqual(theirs.split('\n').sort());

const quotaScript = [
  'create /q',
  'setquota -n 5 /q',
  'setquota -N 4 /q',
  'create /q/a 12345',
  'create /q/b',
  'listquota /q',
  'set /q/a 1234567890',
  'listquota /q',
  'delete /q/b',
  'create /q/b',
  'create /q/d',
  'create /q/e',
  'listquota /q',
  'get /zookeeper/quota/q/zookeeper_limits',
  'create /s',
  'setquota -b 3 /s',
  'create /s/x abcdef',
  'setquota -B 8 /s',
  'set /s/x abcdefghi',
  'create /s/y',
  'listquota /s',
  'create -t 2000 /not-enabled',
];

const canCompare = haveApacheZooKeeper() && existsSync(zkCli);

describe.runIf(canCompare)('quotas as Apache ZooKeeper 3.8 counts and enforces them', () => {
  it('listquota shows the same usage after creates, setData and deletes, QuotaExceeded over a hard limit, and ours keeps it across restarts', async () => {
    const { apache, dir, ours } = await startBoth(['enforceQuota=true'], []);
    const theirs = await cli(apache.port, quotaScript);
    const mine = await cli(ours.port, quotaScript);
    expect(theirs).toContain('Output stat for /q count=3,bytes=5\n');
    expect(theirs).toContain('Output stat for /q count=3,bytes=10\n');
    expect(theirs).toContain('Quota has exceeded : /q/e\n');
    expect(theirs).toContain('Output stat for /q count=4,bytes=10\n');
    expect(theirs).toContain('count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=4\n');
    expect(theirs).toContain('Quota has exceeded : /s/x\n');
    expect(theirs).toContain('Output stat for /s count=3,bytes=6\n');
    // Without extendedTypesEnabled a TTL create is Unimplemented (-6).
    expect(theirs).toContain('KeeperErrorCode = Unimplemented for /not-enabled\n');
    sameLines(mine, theirs);
    // A soft limit only logs (ZooKeeperServer.checkQuota's rate-limited line).
    expect(ours.logs).toContainEqual(expect.objectContaining({ level: 'warn', event: 'quota-exceeded', path: '/s', what: 'bytes', current: 6, limitName: 'softByteLimit', limit: 3 }));

    // Three times: the first restart replays the whole log; with snapCount=2 from the second on, the third loads a snapshot.
    let server = ours;
    for (const extra of [[], ['snapCount=2'], []]) {
      server.kill('SIGKILL');
      await server.exited;
      if (extra.length > 0) appendFileSync(dir.configPath, `${extra.join('\n')}\n`);
      server = await startChild(dir.configPath);
      const after = await cli(server.port, ['listquota /q', 'listquota /s', 'create /q/f', 'create /s/z', 'delete /s/z']);
      expect(after).toContain('Output stat for /q count=4,bytes=10\n');
      expect(after).toContain('Output stat for /s count=3,bytes=6\n');
      expect(after).toContain('Quota has exceeded : /q/f\n');
    }
    const recovered = server.logs.find((l) => l.event === 'recovered');
    expect(recovered?.['snapshotZxid'], JSON.stringify(recovered)).toBeTruthy();
    expect(recovered?.['snapshotZxid'], JSON.stringify(recovered)).not.toBe('0x0');
    server.kill('SIGKILL');
  }, 180_000);
});

const createTtl = (client: RawClient, path: string, ttlMs: bigint, flags = 5) =>
  client.request(OpCode.createTTL, R.CreateTTLRequest, { path, data: new TextEncoder().encode('t'), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], flags, ttl: ttlMs });

async function exists(port: number, path: string): Promise<boolean> {
  const client = await RawClient.open(port);
  try {
    await client.handshake({ timeOut: 4000 });
    const reply = await client.exists(path);
    await client.request(OpCode.closeSession, undefined, undefined);
    return reply.header.err === 0;
  } finally {
    client.close();
  }
}

describe.runIf(canCompare)('TTL nodes with extendedTypesEnabled=true, as Apache ZooKeeper 3.8 has them', () => {
  it('create -t answers alike; a TTL node without children is deleted after its TTL, one with a child stays; ours keeps the TTL across a restart', async () => {
    // ZooKeeper reads znode.container.checkIntervalMs only as a JVM system property.
    const { apache, dir, ours } = await startBoth(['extendedTypesEnabled=true', 'znode.container.checkIntervalMs=250'], ['-Dznode.container.checkIntervalMs=250']);
    const script = ['create -t 2000 /ttl x', 'create -t 2000 /ttlp', 'create /ttlp/child', 'create -s -t 2000 /seq-', 'stat /ttl', 'create -t 0 /zero', 'create -e -t 2000 /eph'];
    const theirs = await cli(apache.port, script);
    const mine = await cli(ours.port, script);
    expect(theirs).toContain('Created /ttl\n');
    expect(theirs).toContain('Created /seq-0000000002\n');
    sameLines(mine, theirs);
    for (const port of [apache.port, ours.port]) {
      await eventually(async () => !(await exists(port, '/ttl')) && !(await exists(port, '/seq-0000000002')), 15_000, `the TTL nodes to expire on ${port}`, 250);
      expect(await exists(port, '/ttlp')).toBe(true);
      expect(await exists(port, '/ttlp/child')).toBe(true);
    }

    // The TTL is in the txn log and the snapshot (the node's ephemeralOwner): after a restart the node still expires.
    const client = await RawClient.open(ours.port);
    await client.handshake();
    const created = Date.now();
    expect((await createTtl(client, '/keep', 6000n)).header.err).toBe(0);
    client.close();
    ours.kill('SIGKILL');
    await ours.exited;
    const again = await startChild(dir.configPath);
    if (Date.now() - created < 5000) expect(await exists(again.port, '/keep')).toBe(true);
    await eventually(async () => !(await exists(again.port, '/keep')), 20_000, 'the TTL node to expire after the restart', 250);
    expect(Date.now() - created).toBeGreaterThanOrEqual(6000);
  }, 120_000);
});

/** Sends `bytes` (a four-letter word and what follows it) and returns the whole answer. */
function sendWord(port: number, bytes: Uint8Array): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(bytes));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no answer within 5 s'));
    }, 5000);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

const stmk = (mask: bigint) => {
  const bytes = Buffer.alloc(12);
  bytes.write('stmk', 'latin1');
  bytes.writeBigInt64BE(mask, 4);
  return bytes;
};

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Writes of every kind until zxid 0x80, the first zxid the digest log keeps. */
async function writeTo0x80(port: number): Promise<void> {
  const client = await RawClient.open(port);
  await client.handshake();
  const steps: Promise<unknown>[] = [];
  const write = <T>(type: number, codec: R.Codec<T>, body: T) => steps.push(client.request(type, codec, body));
  write(OpCode.create, R.CreateRequest, { path: '/h', data: utf8('root'), acl: open, flags: 0 });
  for (let i = 0; i < 60; i++) write(OpCode.create, R.CreateRequest, { path: `/h/n${i}`, data: i % 7 === 0 ? null : utf8(`v${i}`), acl: open, flags: i % 5 === 0 ? 2 : 0 });
  for (let i = 0; i < 40; i++) write(OpCode.setData, R.SetDataRequest, { path: '/h', data: utf8(`w${i}`), version: -1 });
  for (let i = 1; i < 15; i++) write(OpCode.delete, R.DeleteRequest, { path: `/h/n${i}`, version: -1 });
  for (let i = 0; i < 5; i++) write(OpCode.setACL, R.SetACLRequest, { path: `/h/n2${i}`, acl: open, version: -1 });
  write(OpCode.create, R.CreateRequest, { path: '/h', data: null, acl: open, flags: 0 }); // NodeExists: an error txn takes a zxid too
  write(OpCode.setData, R.SetDataRequest, { path: '/', data: utf8('r'), version: -1 });
  const replies = (await Promise.all(steps)) as { header: R.ReplyHeader }[];
  // Up to 0x80 whatever came before (the sessions of the other checks take zxids too).
  let zxid = replies.at(-1)!.header.zxid;
  while (zxid < 0x80n) zxid = (await client.request(OpCode.setData, R.SetDataRequest, { path: '/h/n0', data: utf8(`p${zxid}`), version: -1 })).header.zxid;
  expect(zxid).toBe(0x80n);
  client.close();
}

function decoded<T>(bytes: Uint8Array, read: Parameters<typeof decodeRecord<T>>[1]): T {
  const result = decodeRecord(bytes, read);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

/** The digest DigestCalculator gives the tree a client reads back: the sum of every znode's (not under /zookeeper/). */
async function digestOfReads(port: number): Promise<bigint> {
  const client = await RawClient.open(port);
  await client.handshake();
  let sum = 0n;
  const stack = ['/'];
  while (stack.length > 0) {
    const path = stack.pop()!;
    const got = await client.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
    const { data, stat } = decoded(got.body, R.GetDataResponse.read);
    // A client sees cversion as 2 x creations - children (DataNode.copyStat); the digest takes the stored count.
    const persisted = { ...stat, cversion: (stat.cversion + stat.numChildren) / 2 };
    sum += BigInt(znodeDigest(path, data, persisted));
    const children = await client.request(OpCode.getChildren, R.GetChildrenRequest, { path, watch: false });
    for (const child of decoded(children.body, R.GetChildrenResponse.read).children) stack.push(path === '/' ? `/${child}` : `${path}/${child}`);
  }
  client.close();
  return BigInt.asIntN(64, sum);
}

describe.runIf(canCompare)('gtmk, stmk, hash and a read-only client as Apache ZooKeeper 3.8 answers them', () => {
  it('prints and sets the trace mask, logs the same tree digest at zxid 0x80, and gives a read-only client a read-write session', async () => {
    const { apache, ours } = await startBoth([]);
    for (const port of [apache.port, ours.port]) {
      // A client that may accept a read-only server (canBeReadOnly) gets an ordinary session from a read-write one.
      const client = await RawClient.open(port);
      const connected = await client.handshake({ readOnly: true });
      expect(connected.readOnly, `port ${port}`).toBe(false);
      expect(connected.timeOut).toBeGreaterThan(0);
      expect((await client.request(OpCode.closeSession, undefined, undefined)).header.err).toBe(0);
      client.close();
      expect(await sendWord(port, utf8('isro'))).toBe('rw');
      expect(await sendWord(port, utf8('gtmk'))).toBe('306');
      expect(await sendWord(port, stmk(0x1234n))).toBe('4660');
      expect(await sendWord(port, utf8('gtmk'))).toBe('4660');
      expect(await sendWord(port, stmk(-1n))).toBe('-1');
      expect(await sendWord(port, utf8('hash'))).toBe('');
    }
    const digests: string[] = [];
    for (const port of [apache.port, ours.port]) {
      await writeTo0x80(port);
      const hash = await sendWord(port, utf8('hash'));
      expect(hash).toMatch(/^80: -?\d+\n$/);
      // The value the formula gives for what a client reads back: ZooKeeper's digest is recomputable from the tree.
      expect(hash).toBe(`80: ${await digestOfReads(port)}\n`);
      digests.push(hash);
    }
    // The times differ between the two servers, so the digests do too.
    expect(digests[0]).not.toBe(digests[1]);
  }, 90_000);
});
