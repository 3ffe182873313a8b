// The tree a role run hands to the next (kept-tree.ts, replica-store.ts's
// keepTree/takeTree): brought forward through the log instead of rebuilt from
// the snapshot, and refused whenever it could be wrong (it moved after it was
// kept, it is past the zxid asked for, the log no longer holds its zxid, a
// TRUNC went below it, a SNAP replaced the history under it).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { defaultConfig, type ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { makeZxid } from '../quorum/peer/history.ts';
import type { PeerTxn } from '../quorum/peer/types.ts';
import { createLogger } from '../observability/logger.ts';
import { DataTree } from '../tree/data-tree.ts';
import { serializeTree } from '../tree/snapshot.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import { bringForward, keepable, replayStart } from './kept-tree.ts';
import { ReplicaStore } from './replica-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

function create(epoch: number, counter: number): { txn: Txn; peer: PeerTxn } {
  const zxid = makeZxid(epoch, BigInt(counter));
  const txn: Txn = { sessionId: 0n, cxid: counter, zxid, time: 1_700_000_000_000n, body: { type: 'create', opCode: OpCode.create, path: `/n${epoch}-${counter}`, data: new Uint8Array([counter]), acl, ephemeral: false, parentCVersion: counter } };
  return { txn, peer: { zxid, data: encodeTxn(txn) } };
}

function treeOf(txns: readonly Txn[]): DataTree {
  const tree = new DataTree();
  for (const txn of txns) tree.applyTxn(txn);
  return tree;
}

describe('bringForward', () => {
  const log = [1, 2, 3, 4, 5].map((n) => create(1, n));
  const peerLog = log.map((t) => t.peer);

  it('replays the log after the kept zxid up to the one asked for, and gives the tree a rebuild would give', () => {
    const kept = keepable(treeOf(log.slice(0, 2).map((t) => t.txn)));
    const forward = bringForward(kept, peerLog, 0n, makeZxid(1, 4n));
    expect(forward.ok && forward.value).toBe(kept.tree);
    expect(kept.tree.lastProcessedZxid).toBe(makeZxid(1, 4n));
    expect(serializeTree(kept.tree)).toEqual(serializeTree(treeOf(log.slice(0, 4).map((t) => t.txn))));
  });

  it('refuses a tree that moved after it was kept, one past the zxid asked for, and one whose zxid the log does not hold', () => {
    const moved = keepable(treeOf(log.slice(0, 2).map((t) => t.txn)));
    moved.tree.applyTxn(log[2]!.txn);
    expect(bringForward(moved, peerLog, 0n, makeZxid(1, 5n)).ok).toBe(false);
    const ahead = keepable(treeOf(log.slice(0, 4).map((t) => t.txn)));
    expect(bringForward(ahead, peerLog, 0n, makeZxid(1, 3n)).ok).toBe(false);
    // A tree at 1-2 over a log that lost 1-2 (cut and written again by another epoch) cannot be brought forward.
    const other = [create(1, 1).peer, create(2, 1).peer];
    expect(bringForward(keepable(treeOf(log.slice(0, 2).map((t) => t.txn))), other, 0n, makeZxid(2, 1n)).ok).toBe(false);
  });

  it('starts replay at the snapshot or at an entry of the log, never between', () => {
    expect(replayStart(peerLog, 0n, 0n)).toBe(0);
    expect(replayStart(peerLog, 0n, makeZxid(1, 3n))).toBe(3);
    expect(replayStart(peerLog.slice(2), makeZxid(1, 2n), makeZxid(1, 2n))).toBe(0);
    expect(replayStart(peerLog.slice(2), makeZxid(1, 1n), makeZxid(1, 2n))).toBeUndefined();
    expect(replayStart(peerLog, 0n, makeZxid(1, 9n))).toBeUndefined();
  });

  it('drops every watch: they belonged to the clients of the run that set them', () => {
    const tree = treeOf(log.slice(0, 1).map((t) => t.txn));
    const watcher = { deliver: () => {} } as never;
    tree.dataWatches.addWatch('/n1-1', watcher);
    tree.childWatches.addWatch('/', watcher);
    keepable(tree);
    expect(tree.dataWatches.size + tree.childWatches.size).toBe(0);
  });
});

describe('ReplicaStore keeps the tree between role runs', () => {
  async function open(): Promise<ReplicaStore> {
    const dir = mkdtempSync(join(tmpdir(), 'kept-tree-'));
    dirs.push(dir);
    const c: ZooKeeperConfig = { ...defaultConfig(dir), snapCount: 1_000_000 };
    const opened = await ReplicaStore.open(c, createLogger('error', () => {}));
    if (!opened.ok) throw new Error(opened.error);
    return opened.value;
  }

  it('takes the kept tree brought forward rather than rebuilding it; a TRUNC below it and a SNAP drop it', async () => {
    const store = await open();
    for (const n of [1, 2, 3, 4]) await store.append(create(1, n).peer);
    const first = store.takeTree(makeZxid(1, 2n));
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    store.keepTree(first.value);
    const second = store.takeTree();
    expect(second.ok && second.value).toBe(first.value);
    expect(first.value.lastProcessedZxid).toBe(makeZxid(1, 4n));
    expect(store.treeCounts).toEqual({ broughtForward: 1, rebuilt: 1 });

    // A TRUNC below the kept tree: the next run rebuilds, and gets the truncated history.
    store.keepTree(first.value);
    expect((await store.truncateAfter(makeZxid(1, 3n))).ok).toBe(true);
    const afterTrunc = store.takeTree();
    expect(afterTrunc.ok && afterTrunc.value).not.toBe(first.value);
    expect(afterTrunc.ok && afterTrunc.value.lastProcessedZxid).toBe(makeZxid(1, 3n));
    expect(store.treeCounts).toEqual({ broughtForward: 1, rebuilt: 2 });

    // A SNAP replaces the history under a kept tree.
    if (!afterTrunc.ok) return;
    store.keepTree(afterTrunc.value);
    const leaderTree = treeOf([create(2, 1).txn]);
    expect((await store.installSnapshot(makeZxid(2, 1n), serializeTree(leaderTree))).ok).toBe(true);
    const afterSnap = store.takeTree();
    expect(afterSnap.ok && afterSnap.value.getNode('/n2-1') !== undefined && afterSnap.value.getNode('/n1-1') === undefined).toBe(true);
    expect(store.treeCounts).toEqual({ broughtForward: 1, rebuilt: 3 });
    await store.close();
  });

  it('keeps no tree holding a txn the log does not have (a leader that prepared one it never logged)', async () => {
    const store = await open();
    for (const n of [1, 2]) await store.append(create(1, n).peer);
    const taken = store.takeTree();
    if (!taken.ok) throw new Error(taken.error);
    taken.value.applyTxn(create(1, 3).txn);
    store.keepTree(taken.value);
    const next = store.takeTree();
    expect(next.ok && next.value).not.toBe(taken.value);
    expect(next.ok && next.value.lastProcessedZxid).toBe(makeZxid(1, 2n));
    await store.close();
  });
});
