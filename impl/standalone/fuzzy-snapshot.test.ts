// Fuzzy snapshots on the built server (database/snapshotter.ts): with a small
// snapCount and a tree of 20,000 znodes, snapshots are walked a slice at a
// time while clients keep creating, deleting and setting znodes, including
// the ones the walk has already written and the ones it has not reached. The
// server is SIGKILLed right after a snapshot that txns interleaved with was
// written, restarted from that snapshot plus the log after its zxid, and must
// serve every acknowledged write: acknowledged creates present with their
// data, acknowledged deletes absent, each setData counter at least at its last
// acknowledged version. Then, with the snapshots removed, the same log
// replayed from its start gives the same tree, every znode's data and stat
// (cversion and pzxid included) equal.

import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { eventually, startChild, type ChildServer } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

const baseNodes = 10_000;
const clients = 4;
const outstanding = 8;
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const encoder = new TextEncoder();
const baseData = (i: number) => encoder.encode(`base ${i}`.padEnd(48, '.'));

/** /base/n0../base/n9999, 200 creates per multi. */
async function populate(client: RawClient): Promise<void> {
  expect((await client.create('/base')).header.err).toBe(0);
  expect((await client.create('/load')).header.err).toBe(0);
  const multis: Promise<unknown>[] = [];
  for (let first = 0; first < baseNodes; first += 200) {
    const ops: R.MultiOp[] = [];
    for (let i = first; i < first + 200; i++) ops.push({ type: OpCode.create, request: { path: `/base/n${i}`, data: baseData(i), acl: open, flags: 0 } });
    multis.push(client.request(OpCode.multi, R.MultiRequest, ops).then((reply) => expect(reply.header.err).toBe(0)));
  }
  await Promise.all(multis);
}

type Acked = { readonly creates: Set<string>; readonly deletes: Set<string>; readonly versions: Map<string, number> };

/**
 * Client k, until its connection dies: creates under /load, deletes base nodes
 * k, k+clients, ... (spread over the whole tree, so the walk meets some before
 * and some after), and sets base nodes from the other end.
 */
async function load(client: RawClient, k: number, acked: Acked): Promise<void> {
  let n = 0;
  let nextDelete = k;
  let nextSet = baseNodes - 1 - k;
  const slot = async () => {
    for (;;) {
      const op = n++ % 3;
      if (op === 0) {
        const path = `/load/c${k}-${n}`;
        const reply = await client.create(path, `load ${path}`);
        if (reply.header.err === RawClient.closedErr) return;
        expect(reply.header.err, `create ${path}`).toBe(0);
        acked.creates.add(path);
      } else if (op === 1) {
        const path = `/base/n${nextDelete}`;
        nextDelete = (nextDelete + clients * 7) % baseNodes;
        const reply = await client.request(OpCode.delete, R.DeleteRequest, { path, version: -1 });
        if (reply.header.err === RawClient.closedErr) return;
        // A second pass over the ring finds some already gone.
        if (reply.header.err === 0) acked.deletes.add(path);
      } else {
        const path = `/base/n${nextSet}`;
        nextSet = (nextSet - clients * 5 + baseNodes) % baseNodes;
        const reply = await client.request(OpCode.setData, R.SetDataRequest, { path, data: encoder.encode(`set ${n}`), version: -1 });
        if (reply.header.err === RawClient.closedErr) return;
        if (reply.header.err !== 0) continue; // deleted by another client
        const stat = decodeRecord(reply.body, R.SetDataResponse.read);
        if (!stat.ok) throw new Error(stat.error);
        acked.versions.set(path, Math.max(acked.versions.get(path) ?? 0, stat.value.stat.version));
      }
    }
  };
  await Promise.all(Array.from({ length: outstanding }, slot));
}

/** Every znode under /, /base and /load with its data and stat, as a client reads them. */
async function dump(client: RawClient): Promise<Map<string, { data: string; stat: R.Stat }>> {
  const paths = ['/', '/base', '/load'];
  for (const parent of ['/base', '/load']) {
    const reply = await client.request(OpCode.getChildren, R.GetChildrenRequest, { path: parent, watch: false });
    const decoded = decodeRecord(reply.body, R.GetChildrenResponse.read);
    if (!decoded.ok) throw new Error(decoded.error);
    for (const name of decoded.value.children) paths.push(`${parent}/${name}`);
  }
  const replies = await Promise.all(paths.map((path) => client.request(OpCode.getData, R.GetDataRequest, { path, watch: false })));
  const entries = new Map<string, { data: string; stat: R.Stat }>();
  replies.forEach((reply, i) => {
    const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
    if (!decoded.ok) throw new Error(`${paths[i]}: ${decoded.error}`);
    entries.set(paths[i]!, { data: new TextDecoder().decode(decoded.value.data ?? new Uint8Array(0)), stat: decoded.value.stat });
  });
  return entries;
}

async function exists(client: RawClient, path: string): Promise<R.Stat | undefined> {
  const reply = await client.exists(path);
  if (reply.header.err !== 0) return undefined;
  const decoded = decodeRecord(reply.body, R.ExistsResponse.read);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value.stat;
}

/** Fuzzy snapshots written so far that txns were applied during (their last zxid is past their own). */
const interleavedSnapshots = (server: ChildServer) =>
  server.logs.filter((l) => l.event === 'snapshot-written' && l['fuzzy'] === true && (l['slices'] as number) > 1 && BigInt(l['lastZxid'] as string) > BigInt(l['zxid'] as string));

describe('fuzzy snapshots of the built server under write load', () => {
  it('a restart from a snapshot walked while writes went on serves every acknowledged write', async () => {
    const dir = fixture.dataDir(['tickTime=500', 'snapCount=600']);
    const server = await startChild(dir.configPath);
    await populate(await fixture.session(server.port));
    const acked: Acked = { creates: new Set(), deletes: new Set(), versions: new Map() };
    const writers = Promise.all(Array.from({ length: clients }, async (_, k) => load(await fixture.session(server.port), k, acked)));
    await eventually(() => interleavedSnapshots(server).length >= 3, 60_000, 'three fuzzy snapshots with writes between their slices');
    server.kill('SIGKILL');
    await writers;
    expect(await server.exited).toBe('SIGKILL');
    const last = interleavedSnapshots(server).at(-1)!;

    const restarted = await startChild(dir.configPath);
    const recovered = restarted.logs.find((l) => l.event === 'recovered')!;
    expect(BigInt(recovered['snapshotZxid'] as string), 'recovery starts from the last fuzzy snapshot or a later one').toBeGreaterThanOrEqual(BigInt(last['zxid'] as string));
    expect(recovered['replayedTxns'] as number).toBeGreaterThan(0);
    const reader = await fixture.session(restarted.port);
    const creates = [...acked.creates];
    const deletes = [...acked.deletes];
    const versions = [...acked.versions];
    expect(creates.length).toBeGreaterThan(100);
    expect(deletes.length).toBeGreaterThan(100);
    const [created, deleted, set] = await Promise.all([
      Promise.all(creates.map((path) => exists(reader, path))),
      Promise.all(deletes.map((path) => exists(reader, path))),
      Promise.all(versions.map(([path]) => exists(reader, path))),
    ]);
    created.forEach((stat, i) => expect(stat, `acknowledged create ${creates[i]} is missing`).toBeDefined());
    deleted.forEach((stat, i) => expect(stat, `acknowledged delete ${deletes[i]} came back`).toBeUndefined());
    set.forEach((stat, i) => {
      const [path, version] = versions[i]!;
      // Deleted later by another client, or at least at its acknowledged version.
      if (stat !== undefined) expect(stat.version, `setData of ${path}`).toBeGreaterThanOrEqual(version);
    });
    const fromSnapshot = await dump(reader);
    reader.close();

    // The same log replayed from its start, without any snapshot, gives the same tree, stat for stat.
    restarted.kill('SIGTERM');
    expect(await restarted.exited).toBe(0);
    const versionDir = join(dir.path, 'data', 'version-2');
    const snapshots = readdirSync(versionDir).filter((name) => name.startsWith('snapshot.'));
    expect(snapshots.length).toBeGreaterThanOrEqual(3);
    for (const name of snapshots) rmSync(join(versionDir, name));
    const replayed = await startChild(dir.configPath);
    expect(replayed.logs.find((l) => l.event === 'recovered')?.['snapshotZxid']).toBeUndefined();
    const fromLog = await dump(await fixture.session(replayed.port));
    expect(fromLog.size).toBe(fromSnapshot.size);
    for (const [path, entry] of fromLog) expect(fromSnapshot.get(path), path).toEqual(entry);
  }, 120_000);
});
