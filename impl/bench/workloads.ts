// The workloads both benchmarks (main.ts: standalone, ensemble.ts: three
// members) run, so that their numbers are of the same operations: creates
// of 100-byte znodes, and setData/getData over a pool of 1,000 100-byte
// znodes that sessions touch with a prime stride (concurrent sessions hit
// different znodes); the standalone one adds a 90/10 getData/setData mix.

import { ErrorCode, OpCode } from '../protocol/constants.ts';
import type { Operation, Workload } from './load.ts';
import { requests, WireSession } from '../testing/wire-client.ts';

export const payload100 = new Uint8Array(100).fill(0x61);
export const poolSize = 1000;
export const poolPath = (i: number) => `/bench/pool/p${String(i).padStart(4, '0')}`;
const poolIndex = (session: number, seq: number) => (session * 7919 + seq * 31) % poolSize;

export type NamedWorkload = { readonly name: string; readonly make: (tag: string) => Workload };

/** create, setData and getData of 100 bytes; `tag` keeps one run's creates apart from another's. */
export const basicWorkloads: readonly NamedWorkload[] = [
  { name: 'create 100 B', make: (tag) => ({ name: 'create', next: (s, seq): Operation => ({ type: OpCode.create, body: requests.create(`/bench/${tag}-s${s}-${seq}`, payload100) }) }) },
  { name: 'setData 100 B', make: () => ({ name: 'setData', next: (s, seq) => ({ type: OpCode.setData, body: requests.setData(poolPath(poolIndex(s, seq)), payload100) }) }) },
  { name: 'getData 100 B', make: () => ({ name: 'getData', next: (s, seq) => ({ type: OpCode.getData, body: requests.getData(poolPath(poolIndex(s, seq))) }) }) },
];

export const mixWorkload: NamedWorkload = {
  name: '90% get / 10% set',
  make: () => ({
    name: 'mix',
    next: (s, seq) =>
      seq % 10 === 9
        ? { type: OpCode.setData, body: requests.setData(poolPath(poolIndex(s, seq)), payload100) }
        : { type: OpCode.getData, body: requests.getData(poolPath(poolIndex(s, seq))) },
  }),
};

/** `/bench`, `/bench/pool` and the pool's znodes. */
export async function createPool(port: number): Promise<void> {
  await createMany(port, 2, (i) => ['/bench', '/bench/pool'][i]!, new Uint8Array(0));
  await createMany(port, poolSize, poolPath, payload100);
}

/**
 * Creates `count` znodes over 8 sessions x 8 outstanding (a session's creates
 * go in order, so a parent issued first on the first session exists before its
 * children); NODEEXISTS counts as created, any other error throws.
 */
export async function createMany(port: number, count: number, pathOf: (i: number) => string, data: Uint8Array): Promise<void> {
  const sessions = await Promise.all(Array.from({ length: 8 }, () => WireSession.open(port)));
  let next = 0;
  let done = 0;
  await new Promise<void>((resolve, reject) => {
    if (count === 0) resolve();
    const issue = (session: WireSession) => {
      if (next >= count) return;
      const path = pathOf(next++);
      session.send(OpCode.create, requests.create(path, data), (err) => {
        if (err !== 0 && err !== ErrorCode.NODEEXISTS) {
          reject(new Error(`create ${path} failed with error ${err}`));
          return;
        }
        if (++done === count) resolve();
        else issue(session);
      });
    };
    for (const session of sessions) for (let i = 0; i < 8; i++) issue(session);
  });
  await Promise.all(sessions.map((s) => s.close()));
}
