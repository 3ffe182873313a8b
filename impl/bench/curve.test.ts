// The cost curve's own parts against an in-process server: idle sessions that
// stay connected and receive their watch events, the watch-delivery count,
// the tree growth and its workloads, the arguments, and the tables the
// report prints (the curve itself takes many minutes and two servers).

import { afterEach, describe, expect, it } from 'vitest';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import { growTree, IdleSessions, loadShape, treeWorkloads, watchDelivery } from './curve-cells.ts';
import { curveSection, type CurveResults } from './curve-report.ts';
import { parseCurveArgs } from './curve-options.ts';
import { runLoad } from './load.ts';

const servers: ZooKeeperServer[] = [];
const idles: IdleSessions[] = [];
afterEach(async () => {
  for (const idle of idles.splice(0)) await idle.close();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function server(): Promise<ZooKeeperServer> {
  const s = await startServer({ port: 0, log: () => {} });
  servers.push(s);
  return s;
}

describe('the cost curve', () => {
  it('delivers one change to every idle session holding its watches, and counts the watches set', async () => {
    const s = await server();
    const idle = new IdleSessions();
    idles.push(idle);
    await idle.growTo(s.port, 30, 7);
    expect(idle.connected()).toBe(30);
    expect(s.core.stats().sessionCount).toBe(30);
    const delivery = await watchDelivery(s.port, idle, 3);
    expect(delivery).toMatchObject({ watches: 90, fired: 30 });
    expect(delivery.lastMs).toBeGreaterThanOrEqual(delivery.medianMs);
    expect(delivery.medianMs).toBeGreaterThanOrEqual(delivery.firstMs);
  });

  it('grows the tree to the asked size and spreads the workloads over all of it without errors', async () => {
    const s = await server();
    await growTree(s.port, 0, 500);
    await growTree(s.port, 500, 1200);
    expect(s.core.tree.getNode('/t')?.children.size).toBe(1200);
    for (const workload of treeWorkloads(1200)) {
      const result = await runLoad(s.port, workload, { ...loadShape(0.2), sessions: 2 });
      expect(result.errors, workload.name).toBe(0);
      expect(result.ops).toBeGreaterThan(0);
    }
  });

  it('parses its arguments, sorted, and refuses bad ones', () => {
    expect(parseCurveArgs(['curve'])).toMatchObject({ sizes: [10_000, 100_000, 1_000_000], sessions: [8, 1000, 10_000], seconds: 3, heapMb: 4096, record: false });
    expect(parseCurveArgs(['--sizes', '100000,10000', '--only', 'ours', '--record'])).toMatchObject({ sizes: [10_000, 100_000], only: 'ours', record: true });
    expect(parseCurveArgs(['--sessions', '4'])).toMatch(/at least 8/);
    expect(parseCurveArgs(['--only', 'etcd'])).toMatch(/ours or zookeeper/);
    expect(parseCurveArgs(['--seconds'])).toMatch(/positive number/);
    expect(parseCurveArgs(['--bogus'])).toMatch(/unknown argument/);
  });

  it('prints a row per step with both servers and their ratio', () => {
    const load = (opsPerSecond: number) => ({ ops: opsPerSecond, errors: 0, firstError: undefined, elapsedMs: 1000, opsPerSecond, p50Ms: 1, p99Ms: 2, maxMs: 3 });
    const results: CurveResults = {
      tree: (['ours', 'zookeeper'] as const).map((kind) => ({ kind, znodes: 10, createsPerSecond: 5, rssBytes: 2 ** 20, getData: load(kind === 'ours' ? 300 : 100), setData: load(50) })),
      restart: [{ kind: 'ours', znodes: 10, ms: 12 }],
      sessions: [{ kind: 'ours', sessions: 8, idleConnected: 0, rssBytes: 1, getData: load(1), setData: load(1) }],
      watches: [{ kind: 'ours', watches: 10, fired: 1, firstMs: 1, medianMs: 1, lastMs: 1 }],
      big: [{ kind: 'ours', setData: load(1), getData: load(1) }],
    };
    const options = parseCurveArgs(['--sizes', '10', '--sessions', '8']);
    if (typeof options === 'string') throw new Error(options);
    const text = curveSection(options, results, { startedAt: new Date(0), loadBefore: [1, 1, 1], loadAfter: [1, 1, 1], machine: { cpu: 'cpu', cores: 2, memoryGiB: 1, node: 'v20', java: 'java' } });
    expect(text).toContain('| 10 | 300 | 2.00 | 100 | 2.00 | 3.00 | 50 | 2.00 | 50 | 2.00 | 1.00 |');
    expect(text).toContain('ours 12 ms');
    expect(text).toContain('| 8 | 1 | 2.00 | - | - | - |');
  });
});
