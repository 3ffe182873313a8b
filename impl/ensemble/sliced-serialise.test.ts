// A SNAP serialised a slice at a time (sliced-serialise.ts) is the tree a
// one-step serialisation gives, read back; and it does yield the event loop
// between slices, so a leader's timers run while a large tree is serialised.

import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { makeZxid } from '../quorum/peer/history.ts';
import { DataTree } from '../tree/data-tree.ts';
import { deserializeTree, serializeTree } from '../tree/snapshot.ts';
import { serialiseInSlices } from './sliced-serialise.ts';

function tree(count: number): DataTree {
  const t = new DataTree();
  const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
  let counter = 0n;
  const create = (path: string, parentCVersion: number, ephemeral = false, sessionId = 0n) =>
    t.applyTxn({ sessionId, cxid: 0, zxid: makeZxid(3, ++counter), time: 1_700_000_000_000n, body: { type: 'create', opCode: OpCode.create, path, data: new TextEncoder().encode(path), acl, ephemeral, parentCVersion } });
  t.applyTxn({ sessionId: 77n, cxid: 0, zxid: makeZxid(3, ++counter), time: 1_700_000_000_000n, body: { type: 'createSession', timeOut: 30_000, passwd: new Uint8Array(16).fill(5) } });
  create('/a', 1);
  create('/a/b', 1);
  for (let i = 0; i < count; i++) create(`/a/b/n${i}`, i + 1, i % 97 === 0, i % 97 === 0 ? 77n : 0n);
  return t;
}

describe('serialiseInSlices', () => {
  it('gives the tree back exactly as serializeTree does, sessions and ephemerals included', async () => {
    const original = tree(5_000);
    const read = deserializeTree(await serialiseInSlices(original, 2));
    expect(read.ok).toBe(true);
    if (!read.ok) return;
    expect(read.value.lastProcessedZxid).toBe(original.lastProcessedZxid);
    expect(serializeTree(read.value)).toEqual(serializeTree(original));
  });

  it('lets timers run between slices', async () => {
    const original = tree(60_000);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await serialiseInSlices(original, 2);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(0);
  });
});
