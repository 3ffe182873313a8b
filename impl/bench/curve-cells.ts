// The measurements of the cost curve (curve.ts), one server at a time: how
// ops/s and p99 move as the tree, the connected sessions and the watches grow,
// what a restart with the whole tree costs, and 1 MB znodes. Each function
// takes a running server (servers.ts) and leaves it running, except where it
// says so.

import { OpCode } from '../protocol/constants.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { runLoad, type LoadResult, type Workload } from './load.ts';
import type { RunningServer } from './servers.ts';
import { createMany, payload100 } from './workloads.ts';

export const treePath = (i: number) => `/t/n${i}`;
/** Both workloads for `seconds`, unmeasured: the JIT of both servers warmed before the first cell. */
export async function warmUp(port: number, size: number, seconds: number): Promise<void> {
  for (const workload of treeWorkloads(size)) await runLoad(port, workload, loadShape(seconds));
}

/** Spreads a session's requests over the whole tree, not a hot pool: the cost of a large tree is in the misses. */
const treeIndex = (size: number, session: number, seq: number) => (session * 7919 + seq * 104_729) % size;

export const loadShape = (seconds: number) => ({ sessions: 8, outstandingPerSession: 8, durationMs: seconds * 1000 });

export function treeWorkloads(size: number): readonly Workload[] {
  return [
    { name: 'getData', next: (s, seq) => ({ type: OpCode.getData, body: requests.getData(treePath(treeIndex(size, s, seq))) }) },
    { name: 'setData', next: (s, seq) => ({ type: OpCode.setData, body: requests.setData(treePath(treeIndex(size, s, seq)), payload100) }) },
  ];
}

/** Grows the tree under /t from `from` to `to` znodes of 100 bytes; returns the creates per second. */
export async function growTree(port: number, from: number, to: number): Promise<number> {
  if (from === 0) await createMany(port, 1, () => '/t', new Uint8Array(0));
  const started = performance.now();
  await createMany(port, to - from, (i) => treePath(from + i), payload100);
  return ((to - from) * 1000) / (performance.now() - started);
}

export type RestartResult = { readonly server: RunningServer; readonly firstReadMs: number };

/** SIGKILLs the server and starts it on its dataDir: ms from the kill to the first getData of the tree answered. */
export async function restartToFirstRead(server: RunningServer, size: number): Promise<RestartResult> {
  const started = performance.now();
  const restarted = await server.restart();
  const session = await WireSession.open(restarted.port);
  const err = await new Promise<number>((resolve) => session.send(OpCode.getData, requests.getData(treePath(size - 1)), (e) => resolve(e)));
  const firstReadMs = performance.now() - started;
  await session.close();
  if (err !== 0) throw new Error(`the first read after the restart failed with ${err}`);
  return { server: restarted, firstReadMs };
}

/**
 * Idle sessions as a client library keeps them: connected, pinging every
 * third of their 30 s timeout (staggered), counting the watch events they get.
 */
export class IdleSessions {
  readonly sessions: WireSession[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  notified = 0;
  private onNotified: (() => void) | undefined;

  /** Opens sessions until there are `count`, `batch` handshakes at a time. */
  async growTo(port: number, count: number, batch = 100): Promise<void> {
    while (this.sessions.length < count) {
      const n = Math.min(batch, count - this.sessions.length);
      const opened = await Promise.all(Array.from({ length: n }, () => WireSession.open(port, 30_000)));
      for (const session of opened) {
        session.onNotification = () => {
          this.notified++;
          this.onNotified?.();
        };
        const timer = setInterval(() => session.ping(), 10_000);
        timer.unref();
        this.timers.push(timer);
        this.sessions.push(session);
      }
    }
  }

  /** How many of the sessions are still connected (a server that dropped some is not measuring the same thing). */
  connected(): number {
    return this.sessions.filter((s) => !s.closed).length;
  }

  /** Resolves once `count` notifications have arrived since the call, with the ms at which each of them came. */
  waitForNotifications(count: number, timeoutMs: number): { readonly started: number; readonly done: Promise<number[]> } {
    const started = performance.now();
    const times: number[] = [];
    const done = new Promise<number[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${times.length} of ${count} watch events within ${timeoutMs} ms`)), timeoutMs);
      this.onNotified = () => {
        times.push(performance.now() - started);
        if (times.length === count) {
          clearTimeout(timer);
          this.onNotified = undefined;
          resolve(times);
        }
      };
    });
    return { started, done };
  }

  async close(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const session of this.sessions.splice(0)) session.destroy();
  }
}

/** Sends one request on `session` and resolves with its error code. */
export function call(session: WireSession, type: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve) => session.send(type, body, (err) => resolve(err)));
}

export type WatchDelivery = { readonly watches: number; readonly fired: number; readonly firstMs: number; readonly medianMs: number; readonly lastMs: number };

/**
 * Every idle session sets `perSession` watches (an exists watch on /hot and on
 * perSession - 1 znodes of its own), then one setData of /hot fires one watch
 * in each session: the time until every session has its event.
 */
export async function watchDelivery(port: number, idle: IdleSessions, perSession: number): Promise<WatchDelivery> {
  const writer = await WireSession.open(port);
  await call(writer, OpCode.create, requests.create('/hot', payload100));
  await call(writer, OpCode.create, requests.create('/w', new Uint8Array(0)));
  let watches = 0;
  const batch = 200;
  for (let i = 0; i < idle.sessions.length; i += batch) {
    await Promise.all(
      idle.sessions.slice(i, i + batch).map(async (session, k) => {
        const err = await call(session, OpCode.exists, requests.exists('/hot', true));
        if (err !== 0) throw new Error(`exists /hot failed with ${err}`);
        watches++;
        for (let w = 1; w < perSession; w++) {
          // Absent znodes: an exists watch on them waits for a create.
          await call(session, OpCode.exists, requests.exists(`/w/s${i + k}-${w}`, true));
          watches++;
        }
      }),
    );
  }
  const { done } = idle.waitForNotifications(idle.sessions.length, 120_000);
  const err = await call(writer, OpCode.setData, requests.setData('/hot', payload100));
  if (err !== 0) throw new Error(`setData /hot failed with ${err}`);
  const times = (await done).sort((a, b) => a - b);
  await writer.close();
  return { watches, fired: times.length, firstMs: times[0]!, medianMs: times[Math.floor(times.length / 2)]!, lastMs: times.at(-1)! };
}

export const megabyte = 1_000_000;
const bigPath = (i: number) => `/big/b${i}`;

/** setData and getData of 1 MB values over 8 znodes, 8 sessions with one request outstanding each. */
export async function bigZnodes(port: number, seconds: number): Promise<{ setData: LoadResult; getData: LoadResult }> {
  const value = new Uint8Array(megabyte).fill(0x62);
  await createMany(port, 1, () => '/big', new Uint8Array(0));
  await createMany(port, 8, bigPath, value);
  const shape = { sessions: 8, outstandingPerSession: 1, durationMs: seconds * 1000 };
  const setBody = Array.from({ length: 8 }, (_, i) => requests.setData(bigPath(i), value));
  const getBody = Array.from({ length: 8 }, (_, i) => requests.getData(bigPath(i)));
  const setData = await runLoad(port, { name: 'setData 1 MB', next: (s) => ({ type: OpCode.setData, body: setBody[s % 8]! }) }, shape);
  const getData = await runLoad(port, { name: 'getData 1 MB', next: (s) => ({ type: OpCode.getData, body: getBody[s % 8]! }) }, shape);
  return { setData, getData };
}
