// Quotas, the tree digest and TTL nodes on a three-member ensemble: the quota
// usage and the digest are kept by each member as it applies the committed
// txns, so every member shows the same; a TTL node is deleted by the leader's
// sweeper through the write path, so it is gone from every member. Runs against
// Apache ZooKeeper 3.8 where installed and against ours (cluster.ts, testsRunAgainst);
// the TTL part against ours only (ZooKeeper reads znode.container.checkIntervalMs
// only as a JVM system property, and its default is a minute).

import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode, OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { Ensemble, fourLetterWord, testsRunAgainst } from './cluster.ts';

const ensembles: Ensemble[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const e of ensembles.splice(0)) await e.stopAll();
});

const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const utf8 = (s: string) => new TextEncoder().encode(s);

async function session(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  clients.push(client);
  await client.handshake({ timeOut: 6000 });
  return client;
}

const create = (c: RawClient, path: string, data: string | null = '') => c.request(OpCode.create, R.CreateRequest, { path, data: data === null ? null : utf8(data), acl: open, flags: 0 });

/** The data of `path` as a member serves it after a sync (so it has applied every txn committed before). */
async function readSynced(c: RawClient, path: string): Promise<string | undefined> {
  await c.request(OpCode.sync, R.SyncRequest, { path });
  const reply = await c.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
  if (reply.header.err !== 0) return undefined;
  const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value.data === null ? '' : new TextDecoder().decode(decoded.value.data);
}

async function eventually(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A TTL node is deleted by the leader's sweeper and so from every member; one with a child stays. */
async function ttlNodes(e: Ensemble, c: RawClient): Promise<void> {
  const ttl = (path: string) => c.request(OpCode.createTTL, R.CreateTTLRequest, { path, data: utf8('t'), acl: open, flags: 5, ttl: 500n });
  expect((await ttl('/gone')).header.err).toBe(0);
  expect((await ttl('/kept')).header.err).toBe(0);
  expect((await create(c, '/kept/child')).header.err).toBe(0);
  for (const id of e.ids) {
    const member = await session(e.member(id).clientPort);
    await eventually(`/gone deleted on member ${id}`, 10_000, async () => (await readSynced(member, '/gone')) === undefined);
    expect(await readSynced(member, '/kept'), `member ${id}`).toBe('t');
  }
}

for (const kind of ['zookeeper', 'ours'] as const) {
  describe.runIf(testsRunAgainst(kind))(`quotas, the digest and TTL nodes on a three-member ${kind} ensemble`, () => {
    it(`every member counts the same usage, refuses past a hard limit and logs the same digest${kind === 'ours' ? '; TTL nodes expire everywhere' : ''}`, async () => {
      const extra = ['enforceQuota=true', 'extendedTypesEnabled=true', '4lw.commands.whitelist=*', 'znode.container.checkIntervalMs=250'];
      const e = await Ensemble.start({ kind, size: 3, tickTimeMs: 200, extraConfig: extra });
      ensembles.push(e);
      await e.waitUntilServing(e.ids, 30_000);
      const leader = await e.leader(20_000);
      const follower = e.ids.find((id) => id !== leader)!;

      // What zkCli.sh's `setquota -N 3 /q` writes, through a follower (forwarded to the leader).
      const c = await session(e.member(follower).clientPort);
      expect((await create(c, '/q')).header.err).toBe(0);
      expect((await create(c, '/zookeeper/quota/q')).header.err).toBe(0);
      expect((await create(c, '/zookeeper/quota/q/zookeeper_limits', 'count=-1,bytes=-1=;byteHardLimit=-1;countHardLimit=3')).header.err).toBe(0);
      expect((await create(c, '/zookeeper/quota/q/zookeeper_stats', 'count=0,bytes=0')).header.err).toBe(0);
      expect((await create(c, '/q/a', 'abc')).header.err).toBe(0);
      expect((await create(c, '/q/b', null)).header.err).toBe(0);
      expect((await create(c, '/q/c')).header.err).toBe(ErrorCode.QUOTAEXCEEDED);
      for (const id of e.ids) {
        const member = await session(e.member(id).clientPort);
        expect(await readSynced(member, '/zookeeper/quota/q/zookeeper_stats'), `member ${id}`).toBe('count=3,bytes=3');
      }

      // Writes up to the epoch's 128th txn: every member logs the same digest there.
      const before = await c.request(OpCode.exists, R.ExistsRequest, { path: '/q', watch: false });
      const counter = Number(before.header.zxid & 0xffffffffn);
      const writes: Promise<unknown>[] = [];
      for (let i = counter; i < 0x80; i++) writes.push(c.request(OpCode.setData, R.SetDataRequest, { path: '/q/a', data: utf8(`v${i}`), version: -1 }));
      await Promise.all(writes);
      const hashes = new Map<number, string>();
      for (const id of e.ids) {
        const member = await session(e.member(id).clientPort);
        await member.request(OpCode.sync, R.SyncRequest, { path: '/' });
        hashes.set(id, await fourLetterWord(e.member(id).clientPort, 'hash'));
      }
      const leaderHash = hashes.get(leader)!;
      expect(leaderHash).toMatch(/^[0-9a-f]+80: -?\d+\n$/);
      for (const [id, hash] of hashes) expect(hash, `member ${id}`).toBe(leaderHash);
      if (kind === 'ours') await ttlNodes(e, c);
    }, 90_000);

  });
}
