// The child half of storage-crash.test.ts: opens a Raft storage directory and
// carries out seeded persists one after the other (storage-test-support.ts's
// randomPersist from what it recovered), printing `ack <n>` once the n-th has
// resolved, that is once it is fsynced. The parent SIGKILLs it at a moment of
// its choosing and replays the same persists to know what must be on disk.
// Arguments: dir seed.

import { Random } from '../../lib/random.ts';
import { applyPersist } from '../raft/world.ts';
import { nodeFs } from '../storage/fs-layer.ts';
import { RaftStorage } from './raft-storage.ts';
import { randomPersist } from './storage-test-support.ts';

const [dir, seedText] = process.argv.slice(2);
if (dir === undefined || seedText === undefined) {
  process.stderr.write('usage: storage-crash-child.ts dir seed\n');
  process.exit(2);
}
// Small segments and preallocation, so that kills land in rolls, cuts and compactions.
const opened = await RaftStorage.open(nodeFs, dir, { segmentBytesMax: 2048, preallocateBytes: 1024 });
if (!opened.ok) {
  process.stderr.write(`open failed: ${opened.error.message}\n`);
  process.exit(1);
}
const { storage } = opened.value;
let model = opened.value.stored;
const random = new Random(Number(seedText));
process.stdout.write('ready\n');
for (let n = 0; ; n++) {
  const persist = randomPersist(random, model, n);
  const result = await storage.persist(persist);
  if (!result.ok) {
    process.stderr.write(`persist ${n} failed: ${result.error.message}\n`);
    process.exit(1);
  }
  model = applyPersist(model, persist);
  process.stdout.write(`ack ${n}\n`);
}
