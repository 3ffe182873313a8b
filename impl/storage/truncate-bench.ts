// Cost of TRUNC and SNAP on a large log: npx tsx impl/storage/truncate-bench.ts
// Logs 200,000 txns of 200 bytes (about 43 MiB, one 64 MiB file), then times
// truncateAfter to the middle (reads and cuts the file) and installSnapshot of
// a 10 MiB blob over what is left; then recovery of the result.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Storage } from './storage.ts';

const dir = mkdtempSync(join(tmpdir(), 'zk-truncate-bench-'));
const unwrap = <T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T => {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
};
try {
  const { storage } = unwrap(await Storage.open({ dataDir: dir, snapshotSeed: 1 }));
  const txns = 200_000;
  const payload = new Uint8Array(200).fill(7);
  for (let z = 1; z <= txns; z += 1000) {
    const batch = [];
    for (let i = z; i < z + 1000; i++) batch.push(storage.append(BigInt(i), payload));
    for (const r of await Promise.all(batch)) unwrap(r);
  }
  let t = performance.now();
  unwrap(await storage.truncateAfter(BigInt(txns / 2)));
  console.log('truncateAfter(%d) of %d txns in one file: %s ms', txns / 2, txns, (performance.now() - t).toFixed(1));
  t = performance.now();
  unwrap(await storage.installSnapshot(BigInt(txns), new Uint8Array(10 * 1024 * 1024).fill(1)));
  console.log('installSnapshot of 10 MiB over %d txns: %s ms', txns / 2, (performance.now() - t).toFixed(1));
  await storage.close();
  t = performance.now();
  const again = unwrap(await Storage.open({ dataDir: dir, snapshotSeed: 1 }));
  console.log('recovery after it: %s ms, snapshot %s, %d records', (performance.now() - t).toFixed(1), again.recovery.snapshot?.zxid, again.recovery.records.length);
  await again.storage.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
