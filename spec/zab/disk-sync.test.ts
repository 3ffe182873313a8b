// The disk as SyncRequestProcessor runs it: a DiskSync that makes a prefix of
// the queue durable (the partialSync bound) and a failed fsync, at which the
// server exits without acknowledging (maxFsyncFailures). Both are off in every
// preset but ci-disk, whose exhaustive check is pinned here.

import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import { enabledActions, nextCluster } from './actions.ts';
import { formatAction } from './format.ts';
import { zabBounds, zabSpec } from './spec.ts';
import { zxid, type Txn } from './types.ts';
import { initialCluster, World, type PendingWrite, type ZabCluster } from './world.ts';

const t1: Txn = { zxid: zxid(1, 1), value: 1 };
const t2: Txn = { zxid: zxid(1, 2), value: 2 };

/** Three servers from Init, server 0 holding two proposals in its queue, each with the ACK queued behind it. */
function withQueue(partialSync: boolean, maxFsyncFailures = 0): { cluster: ZabCluster; bounds: ReturnType<typeof zabBounds> } {
  const bounds = zabBounds({ servers: 3, maxTransactions: 2, partialSync, maxFsyncFailures });
  const init = initialCluster(bounds, undefined);
  const pending: PendingWrite[] = [
    { kind: 'log', txns: [t1] },
    { kind: 'send', to: 1, message: { type: 'ACK', zxid: t1.zxid } },
    { kind: 'log', txns: [t2] },
    { kind: 'send', to: 1, message: { type: 'ACK', zxid: t2.zxid } },
  ];
  const world = new World(init);
  world.setPending(0, pending);
  return { cluster: world.freeze(), bounds };
}

const diskSyncs = (c: ZabCluster, bounds: ReturnType<typeof zabBounds>) =>
  enabledActions(c, bounds)
    .filter((a) => (a.type === 'DiskSync' || (a.type === 'NodeCrash' && a.fsyncFailed === true)) && a.server === 0)
    .map(formatAction);

describe('DiskSync of a prefix of the queue', () => {
  it('is offered only with partialSync: one action per prefix of the writes, the whole queue as before', () => {
    expect(diskSyncs(withQueue(false).cluster, withQueue(false).bounds)).toEqual(['DiskSync(s0)']);
    const { cluster, bounds } = withQueue(true);
    expect(diskSyncs(cluster, bounds)).toEqual(['DiskSync(s0)', 'DiskSync(s0, 1 of the queued writes)']);
  });

  it('makes the first writes durable and releases the messages behind them, up to the next write, which stays queued', () => {
    const { cluster, bounds } = withQueue(true);
    const action = enabledActions(cluster, bounds).find((a) => a.type === 'DiskSync' && a.writes === 1)!;
    const after = nextCluster(cluster, action);
    const server = after.servers[0]!;
    expect(server.disk.log).toEqual([t1]);
    expect(server.pending).toEqual([
      { kind: 'log', txns: [t2] },
      { kind: 'send', to: 1, message: { type: 'ACK', zxid: t2.zxid } },
    ]);
    // The ACK of t1 left (server 1 is up and reachable from Init); the ACK of t2 waits for its fsync.
    expect(after.channels[0 * 3 + 1]).toEqual([{ type: 'ACK', zxid: t1.zxid }]);
    const whole = nextCluster(cluster, { type: 'DiskSync', server: 0 });
    expect(whole.servers[0]!.disk.log).toEqual([t1, t2]);
    expect(whole.servers[0]!.pending).toEqual([]);
    expect(whole.channels[0 * 3 + 1]).toHaveLength(2);
  });
});

describe('a failed fsync', () => {
  it('is offered while the budget lasts and a write is queued, and stops the server with its queue lost and nothing acknowledged', () => {
    const { cluster, bounds } = withQueue(false, 1);
    expect(diskSyncs(cluster, bounds)).toEqual(['DiskSync(s0)', 'FsyncFailure(s0)']);
    const failed = nextCluster(cluster, { type: 'NodeCrash', server: 0, fsyncFailed: true });
    expect(failed.servers[0]!.node).toBeNull();
    expect(failed.servers[0]!.disk.log).toEqual([]);
    expect(failed.servers[0]!.pending).toEqual([]);
    expect(failed.channels[0 * 3 + 1]).toEqual([]);
    expect(failed.fsyncFailures).toBe(1);
    expect(failed.crashes).toBe(0);
    // The budget is spent: no second failure, though the ordinary crash budget (0 here) is untouched.
    const restarted = nextCluster(failed, { type: 'NodeStart', server: 0 });
    const w = new World(restarted);
    w.setPending(0, [{ kind: 'log', txns: [t1] }]);
    expect(diskSyncs(w.freeze(), bounds)).toEqual(['DiskSync(s0)']);
  });
});

describe('ci-disk: prefixes and a failed fsync under the checker', () => {
  it('is exhaustive with no violation, reaches every sometimes, and takes both new steps', () => {
    const bounds = zabSpec.presets.find((p) => p.name === 'ci-disk')!.bounds;
    const report = check(zabSpec.build(bounds, undefined), { progress: false, coverage: true });
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.sometimes.filter((s) => !s.reached)).toEqual([]);
    expect([report.distinctStates, report.generatedStates, report.maxDepth]).toEqual([CI_DISK.distinct, CI_DISK.generated, CI_DISK.depth]);
    const fired = new Map(report.coverage!.actions.map((a) => [a.kind, a.generated]));
    expect(fired.get('FsyncFailure')).toBeGreaterThan(0);
    expect(fired.get('NodeCrash') ?? 0).toBe(0);
  }, 180_000);
});

/** ci-disk's counts (npm run check -- zab --preset ci-disk); docs/zab.md has them. */
const CI_DISK = { distinct: 121_854, generated: 330_715, depth: 50 };
