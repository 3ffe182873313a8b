// The safety checks must be able to fail: a workload runs against a one-member
// ensemble (Apache ZooKeeper where installed, else ours, both standalone),
// verifies clean, and then the test plays the ensemble's part in a lost
// write behind the clients' backs: a register is set back to an old value, an
// acknowledged create is deleted, a create nobody sent appears, a register
// holds a value nobody sent. verify() must name each of them.

import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { WireSession, requests } from '../testing/wire-client.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { Ensemble } from './cluster.ts';
import { SafetyWorkload, type HistoryCall, type HistoryResult, type HistorySink } from './safety-workload.ts';
import { seededRandom } from '../../lib/random.ts';

const ensembles: Ensemble[] = [];
afterEach(async () => {
  for (const e of ensembles.splice(0)) await e.stopAll();
});

function send(session: WireSession, type: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve) => session.send(type, body, (err) => resolve(err)));
}

describe('the safety workload and its checks', () => {
  it('replays the same reads from the same seed', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const c = seededRandom(43);
    const first = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(first);
    expect(Array.from({ length: 5 }, c)).not.toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('passes a clean history and names every kind of lost or invented write planted afterwards', async () => {
    const kind = haveApacheZooKeeper() ? 'zookeeper' : 'ours';
    const e = await Ensemble.start({ kind, size: 1, proxies: false });
    ensembles.push(e);
    await e.waitUntilServing([1], 30_000);
    // The history as a sink records it: every invocation completed, the OKs matching what the workload counted.
    const invoked = new Map<number, HistoryCall>();
    const completed = new Map<number, HistoryResult>();
    const history: HistorySink = {
      now: () => 0,
      connected: () => {},
      invoke: (_session, call) => {
        invoked.set(invoked.size, call);
        return invoked.size - 1;
      },
      complete: (id, result) => {
        expect(completed.has(id)).toBe(false);
        completed.set(id, result);
      },
    };
    const w = new SafetyWorkload(e, { root: '/checked', writers: 2, registersPerWriter: 2, readers: 1, readsInFlight: 2, seed: 7, history });
    await w.setup();
    w.start();
    await w.waitForAcks(400, 15_000, 'the workload');
    await w.stop();
    const clean = await w.verify();
    expect(clean.violations).toEqual([]);
    expect(clean.registers).toBe(4);
    expect(clean.ackedSetData).toBeGreaterThan(100);
    expect(clean.ackedCreates).toBeGreaterThan(50);
    expect(clean.reads).toBeGreaterThan(100);
    expect(clean.lostAcknowledgedWrites).toBe(0);
    expect(completed.size).toBe(invoked.size);
    const oks = (op: HistoryCall['op']) => [...invoked].filter(([id, call]) => call.op === op && completed.get(id) !== 'info' && (completed.get(id) as { code: string }).code === 'OK').length;
    expect(oks('setData')).toBe(clean.ackedSetData);
    expect(oks('create')).toBe(clean.ackedCreates);
    // The workload's reads and verify's: one per register and per acknowledged create, after one sync.
    expect(oks('getData')).toBe(clean.reads + clean.registers + clean.ackedCreates);
    expect(oks('sync')).toBe(1);

    const session = await WireSession.open(e.member(1).clientPort);
    const lostCreate = w.acknowledgedCreates()[0]!;
    expect(await send(session, OpCode.setData, requests.setData('/checked/k0', new TextEncoder().encode('k0:1')))).toBe(0);
    expect(await send(session, OpCode.setData, requests.setData('/checked/k1', new TextEncoder().encode('k1:999999')))).toBe(0);
    expect(await send(session, OpCode.delete, encodeRecord({ path: lostCreate, version: -1 }, R.DeleteRequest.write))).toBe(0);
    expect(await send(session, OpCode.create, requests.create('/checked/c/w99-0', new Uint8Array(0)))).toBe(0);
    await session.close();

    const tampered = await w.verify();
    const text = tampered.violations.join('\n');
    expect(text).toMatch(/^k0: acknowledged seq \d+ \(v\d+\) lost; final is seq 1 /m);
    expect(text).toMatch(/^read of k0 seq \d+ v\d+ from member 1: newer than the final state/m);
    expect(text).toContain('k1: final seq 999999 was never sent');
    expect(text).toContain(`member 1: acknowledged create ${lostCreate} is missing`);
    expect(text).toContain('member 1: /checked/c/w99-0 exists but was never sent');
    // k0 behind its last acknowledged write, and the deleted create; k1's invented value loses nothing.
    expect(tampered.lostAcknowledgedWrites).toBe(2);
  }, 60_000);
});
