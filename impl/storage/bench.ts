// Throughput of the txn log with fsync on (group commit): npx tsx impl/storage/bench.ts
// Prints appends per second and appends per fsync for 1, 10, 100 and 1000 appends in flight.
import { Storage } from './storage.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtempSync, rmSync } from 'node:fs';
const dir = mkdtempSync(join(tmpdir(), 'zkb-'));
const o = await Storage.open({ dataDir: dir, snapshotSeed: 1 });
if (!o.ok) throw new Error();
const s = o.value.storage;
let z = 0n;
let t = performance.now();
for (let i = 0; i < 300; i++) await s.append(++z, new Uint8Array(100));
console.log('sequential fsync per append: %s appends/s', (300 / ((performance.now() - t) / 1000)).toFixed(0));
for (const inflight of [10, 100, 1000]) {
  t = performance.now();
  const N = 20000;
  let done = 0;
  const worker = async () => { while (done < N) { done++; await s.append(++z, new Uint8Array(100)); } };
  const f0 = s.logStats.flushes;
  await Promise.all(Array.from({ length: inflight }, worker));
  console.log('%d in flight: %s appends/s, %s appends per fsync', inflight, (N / ((performance.now() - t) / 1000)).toFixed(0), (N / (s.logStats.flushes - f0)).toFixed(1));
}
await s.close(); rmSync(dir, { recursive: true });
