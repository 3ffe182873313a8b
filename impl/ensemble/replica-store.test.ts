// ReplicaStore is what every role run starts from: after appends, a TRUNC, a
// SNAP and a snapshot of its own, a store reopened from the same directory
// must offer the peer core the same disk (epochs, log, what is committed) and
// rebuild the same tree.

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
import { ReplicaStore } from './replica-store.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function config(): ZooKeeperConfig {
  const dir = mkdtempSync(join(tmpdir(), 'replica-store-'));
  dirs.push(dir);
  return { ...defaultConfig(dir), snapCount: 1_000_000 };
}

const quiet = createLogger('error', () => {});

/** A create of /n<counter> in `epoch`, as a leader would log it. */
function create(epoch: number, counter: number): { txn: Txn; peer: PeerTxn } {
  const zxid = makeZxid(epoch, BigInt(counter));
  const txn: Txn = {
    sessionId: 0n,
    cxid: counter,
    zxid,
    time: 1_700_000_000_000n,
    body: { type: 'create', opCode: OpCode.create, path: `/n${epoch}-${counter}`, data: new Uint8Array([counter]), acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }], ephemeral: false, parentCVersion: counter },
  } as Txn;
  return { txn, peer: { zxid, data: encodeTxn(txn) } };
}

async function open(c: ZooKeeperConfig): Promise<ReplicaStore> {
  const opened = await ReplicaStore.open(c, quiet);
  if (!opened.ok) throw new Error(opened.error);
  return opened.value;
}

describe('ReplicaStore', () => {
  it('appends, epochs and TRUNC survive a reopen; the tree is rebuilt up to any zxid', async () => {
    const c = config();
    const store = await open(c);
    expect(store.peerDisk()).toEqual({ acceptedEpoch: 0, currentEpoch: 0, log: [], snapshotCount: 0 });
    await store.writeEpoch('acceptedEpoch', 1);
    await store.writeEpoch('currentEpoch', 1);
    const txns = [1, 2, 3, 4].map((n) => create(1, n));
    const results = await Promise.all(txns.map((t) => store.append(t.peer)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(store.durableZxid).toBe(makeZxid(1, 4n));
    const truncated = await store.truncateAfter(makeZxid(1, 2n));
    expect(truncated.ok).toBe(true);
    expect(store.lastLoggedZxid).toBe(makeZxid(1, 2n));
    await store.close();

    const reopened = await open(c);
    const disk = reopened.peerDisk();
    expect(disk.acceptedEpoch).toBe(1);
    expect(disk.currentEpoch).toBe(1);
    expect(disk.log.map((t) => t.zxid)).toEqual([makeZxid(1, 1n), makeZxid(1, 2n)]);
    expect(disk.snapshotCount).toBe(0);
    const tree = reopened.buildTree(makeZxid(1, 1n));
    expect(tree.ok && tree.value.lastProcessedZxid).toBe(makeZxid(1, 1n));
    expect(tree.ok && tree.value.getNode('/n1-1') !== undefined && tree.value.getNode('/n1-2') === undefined).toBe(true);
    await reopened.close();
  });

  it("a SNAP replaces the log: after a reopen the leader's tree is there and none of our own later txns", async () => {
    const c = config();
    const store = await open(c);
    for (const n of [1, 2, 3]) await store.append(create(1, n).peer);
    const leaderTree = new DataTree();
    for (const n of [1, 2]) leaderTree.applyTxn(create(2, n).txn);
    const installed = await store.installSnapshot(makeZxid(2, 2n), serializeTree(leaderTree));
    expect(installed.ok).toBe(true);
    await store.append(create(2, 3).peer);
    await store.close();

    const reopened = await open(c);
    const disk = reopened.peerDisk();
    // The stand-in for the snapshot, then what came after it: nothing of epoch 1.
    expect(disk.log.map((t) => [t.zxid, t.data.byteLength > 0])).toEqual([
      [makeZxid(2, 2n), false],
      [makeZxid(2, 3n), true],
    ]);
    expect(disk.snapshotCount).toBe(1);
    const tree = reopened.buildTree();
    expect(tree.ok).toBe(true);
    if (!tree.ok) return;
    expect(tree.value.lastProcessedZxid).toBe(makeZxid(2, 3n));
    expect(['/n2-1', '/n2-2', '/n2-3'].every((p) => tree.value.getNode(p) !== undefined)).toBe(true);
    expect(tree.value.getNode('/n1-1')).toBeUndefined();
    await reopened.close();
  });

  it('its own snapshot keeps the committedLog before it, so a reopened leader can still send DIFFs', async () => {
    const c = { ...config(), snapCount: 4 };
    const store = await open(c);
    const tree = new DataTree();
    for (let n = 1; n <= 6; n++) {
      const t = create(1, n);
      await store.append(t.peer);
      tree.applyTxn(t.txn);
    }
    store.maybeSnapshot(tree);
    await new Promise((r) => setTimeout(r, 200));
    await store.append(create(1, 7).peer);
    expect(store.peerDisk().log.map((t) => t.zxid)).toEqual([1, 2, 3, 4, 5, 6, 7].map((n) => makeZxid(1, BigInt(n))));
    await store.close();
    const reopened = await open(c);
    const disk = reopened.peerDisk();
    expect(disk.log.at(-1)!.zxid).toBe(makeZxid(1, 7n));
    expect(disk.log.every((t) => t.data.byteLength > 0)).toBe(true);
    expect(disk.log[disk.snapshotCount - 1]!.zxid).toBe(makeZxid(1, 6n));
    const rebuilt = reopened.buildTree();
    expect(rebuilt.ok && rebuilt.value.getNode('/n1-7') !== undefined).toBe(true);
    await reopened.close();
  });

  it('a TRUNC or SNAP asked for while another is being written waits for it (a role run that ended leaves its rewrite in flight)', async () => {
    // Issue 15: a follower whose connection was stolen by a spoofed FOLLOWERINFO went LOOKING with its TRUNC still
    // being written, was TRUNCed again by the next run and exited on the database's assertion. The store serialises.
    const c = config();
    const store = await open(c);
    for (const n of [1, 2, 3, 4, 5]) await store.append(create(1, n).peer);
    const leaderTree = new DataTree();
    for (const n of [1, 2]) leaderTree.applyTxn(create(1, n).txn);
    const first = store.truncateAfter(makeZxid(1, 4n));
    const second = store.truncateAfter(makeZxid(1, 3n));
    const third = store.installSnapshot(makeZxid(1, 2n), serializeTree(leaderTree));
    const settled = store.settled();
    const results = await Promise.all([first, second, third, settled]);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(store.peerDisk().log.map((t) => t.zxid)).toEqual([makeZxid(1, 2n)]);
    await store.append(create(1, 3).peer);
    await store.close();
    const reopened = await open(c);
    expect(reopened.peerDisk().log.map((t) => t.zxid)).toEqual([makeZxid(1, 2n), makeZxid(1, 3n)]);
    const tree = reopened.buildTree();
    expect(tree.ok && ['/n1-1', '/n1-2', '/n1-3'].every((p) => tree.value.getNode(p) !== undefined)).toBe(true);
    expect(tree.ok && tree.value.getNode('/n1-4')).toBeUndefined();
    await reopened.close();
  });
});
