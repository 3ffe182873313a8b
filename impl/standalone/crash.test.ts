// Durability across SIGKILL: several clients stream pipelined creates and
// setData requests at the server process; when the acknowledgements reach a
// chosen count the server is SIGKILLed mid-stream, restarted from the same
// dataDir, and read back. Every acknowledged write must be there with its
// data (and, for setData, at least its version), nothing never sent may
// appear, and each session's writes survive as a prefix (the log is replayed
// in order). Three rounds with different kill points; snapCount is small so
// kills also land around snapshots. Everything earlier rounds acknowledged
// must still be there in later rounds.

import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

const clientsPerRound = 4;
const outstandingPerClient = 8;
const encoder = new TextEncoder();
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** What one writer client did in one round. */
type WriterLog = {
  readonly sentCreates: Set<string>;
  readonly ackedCreates: Map<string, string>;
  /** The paths of creates in the order they were sent (index = sequence). */
  readonly createOrder: string[];
  setDataSent: number;
  /** The highest version an acknowledged setData returned. */
  setDataAckedVersion: number;
};

const createData = (path: string) => `data of ${path} `.padEnd(64, '.');

/** Streams writes on one session until the connection dies; `onAck` counts acknowledgements. */
async function streamWrites(client: RawClient, root: string, k: number, log: WriterLog, onAck: () => void): Promise<void> {
  let nextCreate = 0;
  const slot = async (slotIndex: number) => {
    for (;;) {
      // Two creates for each setData, alternating by slot so both kinds are always in flight.
      if ((slotIndex + nextCreate) % 3 === 2) {
        const m = ++log.setDataSent;
        const reply = await client.request(OpCode.setData, R.SetDataRequest, { path: `${root}/s${k}`, data: encoder.encode(`v${m}`), version: -1 });
        if (reply.header.err === RawClient.closedErr) return;
        expect(reply.header.err, `setData ${m} on ${root}/s${k}`).toBe(0);
        const stat = decodeRecord(reply.body, R.SetDataResponse.read);
        if (!stat.ok) throw new Error(stat.error);
        log.setDataAckedVersion = Math.max(log.setDataAckedVersion, stat.value.stat.version);
        onAck();
      } else {
        const path = `${root}/c${k}-${String(nextCreate++).padStart(6, '0')}`;
        log.sentCreates.add(path);
        log.createOrder.push(path);
        const reply = await client.request(OpCode.create, R.CreateRequest, { path, data: encoder.encode(createData(path)), acl: open, flags: 0 });
        if (reply.header.err === RawClient.closedErr) return;
        expect(reply.header.err, `create ${path}`).toBe(0);
        log.ackedCreates.set(path, createData(path));
        onAck();
      }
    }
  };
  await Promise.all(Array.from({ length: outstandingPerClient }, (_, i) => slot(i)));
}

async function getData(client: RawClient, path: string): Promise<{ data: string; version: number } | undefined> {
  const reply = await client.request(OpCode.getData, R.GetDataRequest, { path, watch: false });
  if (reply.header.err !== 0) return undefined;
  const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
  if (!decoded.ok) throw new Error(decoded.error);
  return { data: new TextDecoder().decode(decoded.value.data), version: decoded.value.stat.version };
}

async function getChildren(client: RawClient, path: string): Promise<string[]> {
  const reply = await client.request(OpCode.getChildren, R.GetChildrenRequest, { path, watch: false });
  expect(reply.header.err, `getChildren ${path}`).toBe(0);
  const decoded = decodeRecord(reply.body, R.GetChildrenResponse.read);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value.children;
}

/** Checks every round so far against what the server serves now. */
async function verify(port: number, rounds: readonly { root: string; logs: WriterLog[] }[]): Promise<{ acked: number; present: number }> {
  const reader = await fixture.session(port);
  let acked = 0;
  let present = 0;
  for (const { root, logs } of rounds) {
    const children = new Set((await getChildren(reader, root)).map((name) => `${root}/${name}`));
    for (const [k, log] of logs.entries()) {
      // Nothing that was never sent.
      for (const path of children) if (path.startsWith(`${root}/c${k}-`)) expect(log.sentCreates.has(path), `${path} was never sent`).toBe(true);
      // Every acknowledged create, with its data.
      const reads = await Promise.all([...log.ackedCreates.keys()].map((path) => getData(reader, path)));
      for (const [i, [path, data]] of [...log.ackedCreates].entries()) {
        expect(reads[i], `acknowledged ${path} is missing`).toBeDefined();
        expect(reads[i]!.data).toBe(data);
      }
      acked += log.ackedCreates.size;
      // A session's creates survive as a prefix of the order they were sent in.
      const survived = log.createOrder.map((path) => children.has(path));
      const firstMissing = survived.indexOf(false);
      if (firstMissing >= 0) expect(survived.slice(firstMissing).every((s) => !s), `${root} client ${k}: a hole after ${log.createOrder[firstMissing]}`).toBe(true);
      present += survived.filter(Boolean).length;
      // The setData counter: at least the last acknowledged version, at most what was sent, data matching the version.
      const counter = await getData(reader, `${root}/s${k}`);
      expect(counter).toBeDefined();
      expect(counter!.version).toBeGreaterThanOrEqual(log.setDataAckedVersion);
      expect(counter!.version).toBeLessThanOrEqual(log.setDataSent);
      expect(counter!.data).toBe(counter!.version === 0 ? '' : `v${counter!.version}`);
    }
  }
  reader.close();
  return { acked, present };
}

describe('crash safety of the server process: every acknowledged write survives SIGKILL', () => {
  it('over three rounds killed at different points, with snapshots along the way', async () => {
    const dir = fixture.dataDir(['tickTime=500', 'snapCount=400']);
    const killAfterAcks = [150, 900, 1_800];
    const rounds: { root: string; logs: WriterLog[] }[] = [];
    for (const [round, killAt] of killAfterAcks.entries()) {
      const server = await startChild(dir.configPath);
      if (round > 0) await verify(server.port, rounds);
      const root = `/round${round}`;
      const setup = await fixture.session(server.port);
      expect((await setup.create(root)).header.err).toBe(0);
      for (let k = 0; k < clientsPerRound; k++) {
        expect((await setup.request(OpCode.create, R.CreateRequest, { path: `${root}/s${k}`, data: new Uint8Array(0), acl: open, flags: 0 })).header.err).toBe(0);
      }
      const logs: WriterLog[] = Array.from({ length: clientsPerRound }, () => ({
        sentCreates: new Set<string>(),
        ackedCreates: new Map<string, string>(),
        createOrder: [],
        setDataSent: 0,
        setDataAckedVersion: 0,
      }));
      rounds.push({ root, logs });
      let acks = 0;
      const onAck = () => {
        if (++acks === killAt) server.kill('SIGKILL');
      };
      const writers = await Promise.all(logs.map(async (log, k) => streamWrites(await fixture.session(server.port), root, k, log, onAck)));
      expect(writers.length).toBe(clientsPerRound);
      expect(await server.exited, `round ${round}: the server was killed, not stopped`).toBe('SIGKILL');
      expect(acks).toBeGreaterThanOrEqual(killAt);
    }
    const final = await startChild(dir.configPath);
    const { acked, present } = await verify(final.port, rounds);
    // Two writes in three are creates: at least half of the acknowledgements each round waited for.
    expect(acked).toBeGreaterThanOrEqual((150 + 900 + 1_800) / 2);
    expect(present).toBeGreaterThanOrEqual(acked);
    // Snapshots were taken and recovery started from one.
    expect(final.logs.find((l) => l.event === 'recovered')?.['snapshotZxid']).toBeDefined();
  }, 110_000);
});
