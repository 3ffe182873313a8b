// The child half of crash.test.ts: appends txns forever, keeping `inFlight`
// appends outstanding, and prints `ack <zxid>` for each one the storage
// acknowledged. The parent SIGKILLs it at a moment of its choosing; every
// printed zxid must then be recovered. Arguments: dataDir inFlight.

import { Storage } from './storage.ts';
import { crashPayload } from './crash-payload.ts';

const [dataDir, inFlightText] = process.argv.slice(2);
if (dataDir === undefined || inFlightText === undefined) {
  process.stderr.write('usage: crash-child.ts dataDir inFlight\n');
  process.exit(2);
}
const inFlight = Number(inFlightText);
const opened = await Storage.open({ dataDir, snapshotSeed: 1, logBytesMax: 64 * 1024 });
if (!opened.ok) {
  process.stderr.write(`open failed: ${opened.error.message}\n`);
  process.exit(1);
}
const { storage } = opened.value;
let next = storage.lastLoggedZxid + 1n;
process.stdout.write(`ready ${storage.lastLoggedZxid}\n`);

async function appender(): Promise<void> {
  for (;;) {
    const zxid = next++;
    const result = await storage.append(zxid, crashPayload(zxid));
    if (!result.ok) {
      process.stderr.write(`append ${zxid} failed: ${result.error.message}\n`);
      process.exit(1);
    }
    process.stdout.write(`ack ${zxid}\n`);
  }
}
await Promise.all(Array.from({ length: inFlight }, appender));
