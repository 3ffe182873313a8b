// The fault switch in the built server (dist/server.js), standalone, through
// its loopback port (ZKSPEC_FAULT_PORT): a value that is not a port refuses
// the start; `fsync fail` stops the server (exit 1, the reason in its log)
// without acknowledging the write whose fsync failed, and a restart has every
// write acknowledged before it; `crash at <point>` SIGKILLs it there, and a
// restart has every acknowledged write (the points a standalone server
// passes: the txn log's and the snapshots'; the ensemble's epoch, TRUNC and
// SNAP points are fault-switch.test.ts's and the nemesis's); a clock stepped an
// hour forward expires no session and one stepped back holds no expiry back
// (seven server starts: 20-23 s at a load average of 35-45 on 2 cores).

import { afterEach, describe, expect, it } from 'vitest';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { dataDirWithConfig, killChildren, startChild, type ChildServer, type DataDir } from '../standalone/test-support.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { LineClient } from './line-protocol.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

async function faultPort(): Promise<number> {
  const [port] = await reservePorts(1);
  cleanups.push(() => releasePorts([port!]));
  return port!;
}

function dataDir(extra: readonly string[] = []): DataDir {
  const dir = dataDirWithConfig(['tickTime=200', ...extra], 'zk-faults-');
  cleanups.push(() => dir.remove());
  return dir;
}

async function session(port: number, timeOut = 30_000): Promise<RawClient> {
  const client = await RawClient.open(port);
  cleanups.push(() => client.close());
  await client.handshake({ timeOut });
  return client;
}

async function control(port: number): Promise<LineClient> {
  const client = await LineClient.connect(port, performance.now() + 5000);
  if (client === undefined) throw new Error(`no fault switch on 127.0.0.1:${port}`);
  cleanups.push(() => client.close());
  return client;
}

async function command(faults: LineClient, line: string): Promise<Record<string, unknown>> {
  const answer = await faults.send(line, 5000);
  if (answer['ok'] !== true) throw new Error(`'${line}' refused: ${JSON.stringify(answer)}`);
  return answer;
}

/** Creates /prefix-1, /prefix-2, ... one after another until a reply is not OK; the paths acknowledged. */
async function createUntilRefused(client: RawClient, prefix: string, max: number): Promise<string[]> {
  const acked: string[] = [];
  for (let n = 1; n <= max; n++) {
    const reply = await client.create(`${prefix}-${n}`, `data ${n}`);
    if (reply.header.err !== 0) break;
    acked.push(`${prefix}-${n}`);
  }
  return acked;
}

async function missing(server: ChildServer, paths: readonly string[]): Promise<string[]> {
  const reader = await session(server.port);
  const gone: string[] = [];
  for (const path of paths) if ((await reader.exists(path)).header.err !== 0) gone.push(path);
  return gone;
}

describe('the fault switch in a standalone server process', () => {
  it('refuses to start when ZKSPEC_FAULT_PORT is not a port', async () => {
    const dir = dataDir();
    await expect(startChild(dir.configPath, 15_000, { ZKSPEC_FAULT_PORT: 'yes' })).rejects.toThrow(/exited \(2\)[\s\S]*ZKSPEC_FAULT_PORT=yes: expected a port/);
  });

  it('clock steps, then fsync fail: no session expired by a step, none held back; exit 1 without acknowledging the write; a restart has every acknowledged one', async () => {
    // One server for both, to spare a start (about 1.5 s on this machine's load).
    const dir = dataDir();
    const port = await faultPort();
    const server = await startChild(dir.configPath, 15_000, { ZKSPEC_FAULT_PORT: String(port) });
    const faults = await control(port);
    const busy = await session(server.port, 2000);
    await command(faults, 'clock step +3600000');
    const stepped = Date.now() + 3_600_000;
    await new Promise((r) => setTimeout(r, 600)); // three ticks: the old server expired every session at the first
    expect((await busy.create('/stepped')).header.err).toBe(0);
    const exists = await busy.exists('/stepped');
    const stat = decodeRecord(exists.body, R.ExistsResponse.read);
    if (!stat.ok) throw new Error(stat.error);
    expect(Math.abs(Number(stat.value.stat.ctime) - stepped), 'ctime is the stepped wall clock').toBeLessThan(2000);
    await command(faults, 'clock step -7200000');
    const silent = await session(server.port, 800);
    await new Promise((r) => setTimeout(r, 1600)); // past its timeout, on the monotonic clock
    // Expired: the server closed its connection (on the wall clock it would have waited two hours).
    expect((await silent.exists('/stepped')).header.err, 'the silent session expired').toBe(RawClient.closedErr);
    expect(server.logs.some((line) => line.event === 'session-expired')).toBe(true);

    const client = await session(server.port);
    const acked = ['/stepped', ...(await createUntilRefused(client, '/before', 5))];
    expect(acked).toHaveLength(6);
    await command(faults, 'fsync fail');
    const refused = await client.create('/after-the-failure');
    expect(refused.header.err, 'never acknowledged').not.toBe(0);
    expect(await server.exited).toBe(1);
    const failure = server.logs.find((line) => line.event === 'txn-log-failed');
    expect(failure, JSON.stringify(server.logs.slice(-5))).toMatchObject({ level: 'fatal', code: 'EIO' });
    expect(String(failure!['error'])).toMatch(/fsync/);
    const again = await startChild(dir.configPath);
    expect(await missing(again, acked)).toEqual([]);
  }, 20_000);

  it('crash at each point of the txn log and the snapshots: every acknowledged create survives the SIGKILL', async () => {
    // snapCount=8 without jitter's certainty: a snapshot every 4 to 8 txns, so the snapshot points come up within 20 creates.
    const dir = dataDir(['snapCount=8']);
    const port = await faultPort();
    const everAcked: string[] = [];
    // The log's points with a real SIGKILL are the nemesis's too (switch-faults.test.ts); the snapshots' only here.
    for (const [point, nth] of [
      ['log-synced', 4],
      ['snapshot-written', 1],
      ['snapshot-renamed', 1],
    ] as const) {
      const server = await startChild(dir.configPath, 15_000, { ZKSPEC_FAULT_PORT: String(port) });
      expect(await missing(server, everAcked), `lost after the crash before ${point}`).toEqual([]);
      await command(await control(port), `crash at ${point} ${nth}`);
      const client = await session(server.port);
      const acked = await createUntilRefused(client, `/${point}`, 40);
      expect(await server.exited, `${point}: the process SIGKILLed itself`).toBe('SIGKILL');
      expect(acked.length, point).toBeLessThan(40);
      everAcked.push(...acked);
    }
    const last = await startChild(dir.configPath);
    expect(await missing(last, everAcked)).toEqual([]);
  }, 30_000);
});
