// A differential test: random sequences of appends (some opening a new
// epoch), snapshots, truncations, snapshot installations and restarts, run
// against Storage and against a model that is a plain list of txns and
// snapshots. After every restart, recovery must hand back what the model
// says a server replays, and readLog must either refuse or return exactly the
// model's txns after the zxid asked for.

import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { hex } from '../../lib/hex.ts';
import { Storage } from './storage.ts';
import type { Recovery } from './recovery.ts';
import { temporaryDir, textOf, unwrap } from './test-support.ts';

const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

type Op =
  | { readonly t: 'append'; readonly count: number; readonly newEpoch: boolean }
  | { readonly t: 'snapshot' }
  | { readonly t: 'truncate'; readonly back: number }
  | { readonly t: 'install'; readonly ahead: number }
  | { readonly t: 'restart' };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ t: fc.constant('append' as const), count: fc.integer({ min: 1, max: 6 }), newEpoch: fc.integer({ min: 0, max: 4 }).map((n) => n === 0) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('snapshot' as const) }) },
  { weight: 2, arbitrary: fc.record({ t: fc.constant('truncate' as const), back: fc.integer({ min: -1, max: 9 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('install' as const), ahead: fc.integer({ min: -6, max: 6 }) }) },
  { weight: 1, arbitrary: fc.record({ t: fc.constant('restart' as const) }) },
);

/** What is on disk, as the model sees it. */
class Model {
  records: { zxid: bigint; text: string }[] = [];
  snapshots = new Map<bigint, string>();

  get newestSnapshot(): bigint | undefined {
    let newest: bigint | undefined;
    for (const zxid of this.snapshots.keys()) if (newest === undefined || zxid > newest) newest = zxid;
    return newest;
  }

  get lastLoggedZxid(): bigint {
    const last = this.records.at(-1)?.zxid ?? 0n;
    const snapshot = this.newestSnapshot ?? 0n;
    return last > snapshot ? last : snapshot;
  }

  truncateAfter(zxid: bigint): void {
    this.records = this.records.filter((r) => r.zxid <= zxid);
    for (const s of [...this.snapshots.keys()]) if (s > zxid) this.snapshots.delete(s);
  }

  /** What recovery should hand a server to replay: the newest snapshot, then every txn after it. */
  replayed(): string[] {
    const base = this.newestSnapshot;
    const head = base === undefined ? ['no snapshot'] : [`snapshot ${hex(base)}: ${this.snapshots.get(base)}`];
    return [...head, ...this.records.filter((r) => r.zxid > (base ?? 0n)).map((r) => `${hex(r.zxid)}: ${r.text}`)];
  }
}

function replayed(recovery: Recovery): string[] {
  const head = recovery.snapshot === undefined ? ['no snapshot'] : [`snapshot ${hex(recovery.snapshot.zxid)}: ${textOf(recovery.snapshot.blob)}`];
  return [...head, ...recovery.records.map((r) => `${hex(r.zxid)}: ${textOf(r.payload)}`)];
}

async function check(storage: Storage, recovery: Recovery | undefined, model: Model, trail: string): Promise<void> {
  expect(storage.lastLoggedZxid, trail).toBe(model.lastLoggedZxid);
  if (recovery !== undefined) {
    expect(replayed(recovery), trail).toEqual(model.replayed());
    // recordsBeforeSnapshot: a run of the model's txns ending at the snapshot's, or nothing.
    const base = model.newestSnapshot;
    const before = recovery.recordsBeforeSnapshot.map((r) => `${hex(r.zxid)}: ${textOf(r.payload)}`);
    if (before.length > 0) {
      const atOrBelow = model.records.filter((r) => base !== undefined && r.zxid <= base).map((r) => `${hex(r.zxid)}: ${r.text}`);
      expect(atOrBelow.slice(atOrBelow.length - before.length), trail).toEqual(before);
      expect(recovery.recordsBeforeSnapshot.at(-1)?.zxid, trail).toBe(base);
    }
  }
  // readLog from every zxid the model holds, from 0 and past the end: refused, or exactly the model's txns after it.
  const afters = [0n, ...model.records.map((r) => r.zxid), ...model.snapshots.keys(), model.lastLoggedZxid + 1n];
  for (const after of afters) {
    const read = unwrap(await storage.readLog(after));
    // Nothing is purged here, so a txn the model holds is on disk, and the run after it can be read.
    const isKnown = model.records.some((r) => r.zxid === after);
    if (isKnown) expect(read, `${trail}; readLog(${hex(after)})`).toBeDefined();
    if (read === undefined) continue;
    // A run is handed out only after a zxid the peer and we provably share: a txn, a snapshot, or the end.
    expect(isKnown || model.snapshots.has(after) || after === model.lastLoggedZxid, `${trail}; readLog(${hex(after)}) should refuse`).toBe(true);
    const expected = model.records.filter((r) => r.zxid > after).map((r) => `${hex(r.zxid)}: ${r.text}`);
    expect(read.map((r) => `${hex(r.zxid)}: ${textOf(r.payload)}`), `${trail}; readLog(${hex(after)})`).toEqual(expected);
  }
}

describe('truncation, installation and restarts against a model', () => {
  it('agrees with the model on every random history (seeded)', async () => {
    const seed = Number(process.env.STORAGE_MODEL_SEED ?? 20261122);
    const settings = fc.record({ logBytesMax: fc.integer({ min: 60, max: 300 }), preAllocBytes: fc.constantFrom(0, 4096) });
    await fc.assert(
      fc.asyncProperty(settings, fc.array(op, { minLength: 1, maxLength: 16 }), async ({ logBytesMax, preAllocBytes }, ops) => {
        const dir = temporaryDir('zk-truncate-model-');
        dirs.push(dir);
        const options = { dataDir: dir.path, logBytesMax, preAllocBytes, snapshotSeed: 7 };
        let { storage, recovery } = unwrap(await Storage.open(options));
        const model = new Model();
        let generation = 0;
        const trail: string[] = [];
        try {
          for (const o of [...ops, { t: 'restart' } as const]) {
            generation++;
            trail.push(JSON.stringify(o));
            const where = `seed ${seed}, logBytesMax ${logBytesMax}, preAllocBytes ${preAllocBytes}, ops ${trail.join(' ')}`;
            let recovered: Recovery | undefined;
            switch (o.t) {
              case 'append': {
                let zxid = model.lastLoggedZxid;
                for (let i = 0; i < o.count; i++) {
                  zxid = i === 0 && o.newEpoch ? (((zxid >> 32n) + 1n) << 32n) | 1n : zxid + 1n;
                  const text = `txn ${hex(zxid)} of generation ${generation}`;
                  unwrap(await storage.append(zxid, new TextEncoder().encode(text)));
                  model.records.push({ zxid, text });
                }
                break;
              }
              case 'snapshot': {
                const zxid = model.lastLoggedZxid;
                const text = `tree at ${hex(zxid)} of generation ${generation}`;
                unwrap(await storage.writeSnapshot(zxid, new TextEncoder().encode(text)));
                model.snapshots.set(zxid, text);
                break;
              }
              case 'truncate': {
                let zxid = model.lastLoggedZxid - BigInt(o.back);
                if (zxid < 0n) zxid = 0n;
                unwrap(await storage.truncateAfter(zxid));
                model.truncateAfter(zxid);
                break;
              }
              case 'install': {
                let zxid = model.lastLoggedZxid + BigInt(o.ahead);
                if (zxid < 1n) zxid = 1n;
                const text = `leader's tree at ${hex(zxid)} of generation ${generation}`;
                unwrap(await storage.installSnapshot(zxid, new TextEncoder().encode(text)));
                model.records = [];
                model.snapshots = new Map([[zxid, text]]);
                break;
              }
              case 'restart': {
                await storage.close();
                ({ storage, recovery } = unwrap(await Storage.open(options)));
                recovered = recovery;
                break;
              }
            }
            await check(storage, recovered, model, where);
          }
        } finally {
          await storage.close();
        }
      }),
      { seed, numRuns: 40 },
    );
  });
});
