// A tree serialised a slice at a time, yielding the event loop between
// slices, for a SNAP: serialising 100,000 znodes in one step took 4 s at load
// 16 on this project's machine, during which the leader pinged nobody and its
// learners dropped it (issue 15). The walk is tree/fuzzy-snapshot.ts's; on a
// tree that does not change until the walk is over (the caller's promise),
// its bytes are exactly serializeTree's content, at the tree's zxid.

import type { DataTree } from '../tree/data-tree.ts';
import { FuzzySnapshotWriter } from '../tree/fuzzy-snapshot.ts';

/** How long one slice may keep the event loop, in ms (as the standalone server's fuzzy snapshots). */
export const serialiseSliceMs = 5;

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The tree's snapshot body; the caller must not change `tree` until this resolves. */
export async function serialiseInSlices(tree: DataTree, sliceMs = serialiseSliceMs): Promise<Uint8Array> {
  const writer = new FuzzySnapshotWriter(tree);
  while (!writer.step(sliceMs)) await nextTurn();
  const { chunks, byteLength } = writer.finish();
  const blob = new Uint8Array(byteLength);
  let offset = 0;
  for (const chunk of chunks) {
    blob.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return blob;
}
