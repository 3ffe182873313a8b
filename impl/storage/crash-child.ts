// The child half of crash.test.ts: appends txns forever, keeping `inFlight`
// appends outstanding, and prints `ack <zxid>` for each one the storage
// acknowledged. The parent SIGKILLs it at a moment of its choosing; every
// printed zxid must then be recovered. Arguments: dataDir inFlight.
// It also snapshots every 200..400 txns (the blob is the snapshot's zxid in
// decimal) and purges down to 3 snapshots after each, so kills land in the
// middle of snapshot writes, log rolls and purges too.

import { Storage } from './storage.ts';
import { crashPayload } from './crash-payload.ts';

const [dataDir, inFlightText] = process.argv.slice(2);
if (dataDir === undefined || inFlightText === undefined) {
  process.stderr.write('usage: crash-child.ts dataDir inFlight\n');
  process.exit(2);
}
const inFlight = Number(inFlightText);
let storage: Storage | undefined;
let snapshotting = false;
async function snapshotAndPurge(): Promise<void> {
  if (storage === undefined || snapshotting) return;
  snapshotting = true;
  const zxid = storage.lastLoggedZxid;
  const written = await storage.writeSnapshot(zxid, new TextEncoder().encode(String(zxid)));
  const purged = written.ok ? await storage.purge() : written;
  if (!purged.ok) {
    process.stderr.write(`snapshot or purge failed: ${purged.error.message}\n`);
    process.exit(1);
  }
  snapshotting = false;
}
const opened = await Storage.open({
  dataDir,
  snapshotSeed: 1,
  snapCount: 400,
  logBytesMax: 64 * 1024,
  onSnapshotDue: () => void snapshotAndPurge(),
});
if (!opened.ok) {
  process.stderr.write(`open failed: ${opened.error.message}\n`);
  process.exit(1);
}
storage = opened.value.storage;
const log = storage;
let next = storage.lastLoggedZxid + 1n;
process.stdout.write(`ready ${storage.lastLoggedZxid}\n`);

async function appender(): Promise<void> {
  for (;;) {
    const zxid = next++;
    const result = await log.append(zxid, crashPayload(zxid));
    if (!result.ok) {
      process.stderr.write(`append ${zxid} failed: ${result.error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`ack ${zxid}\n`);
  }
}
await Promise.all(Array.from({ length: inFlight }, appender));
