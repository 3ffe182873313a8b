import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isNextZxid } from './log-reader.ts';
import { logHeaderBytes, recordBytes } from './record-format.ts';
import { Storage, type StorageOptions } from './storage.ts';
import { payloadFor, textOf, freshDirs, unwrap } from './test-support.ts';

const freshDir = freshDirs('zk-log-reader-');
async function open(options: StorageOptions) {
  return unwrap(await Storage.open({ snapshotSeed: 7, ...options }));
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const zxidsOf = (records: readonly { zxid: bigint }[] | undefined) => records?.map((r) => Number(r.zxid));

async function history(storage: Storage, last: number, snapshotAt: readonly number[] = []): Promise<void> {
  for (const z of range(Number(storage.lastLoggedZxid) + 1, last)) {
    unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    if (snapshotAt.includes(z)) unwrap(await storage.writeSnapshot(BigInt(z), new TextEncoder().encode(`tree at ${z}`)));
  }
}

/** log.1 (1-4), log.5 (5-8), log.9 (9, 10), snapshot.a, log.b (11-14). */
async function rolledWithSnapshotAt10(dataDir: string): Promise<void> {
  const { storage } = await open({ dataDir, logBytesMax: 100 });
  await history(storage, 14, [10]);
  await storage.close();
}

describe('Recovery.recordsBeforeSnapshot: the txns a leader can still DIFF from', () => {
  it('reads back across rolled files, up to recordsBeforeSnapshotMax, ending at the snapshot', async () => {
    const dataDir = freshDir();
    await rolledWithSnapshotAt10(dataDir);
    const expectations: [number | undefined, number[]][] = [[undefined, range(1, 10)], [3, [8, 9, 10]], [6, range(5, 10)], [0, []]];
    for (const [max, expected] of expectations) {
      const { storage, recovery } = await open({ dataDir, recordsBeforeSnapshotMax: max });
      expect(zxidsOf(recovery.recordsBeforeSnapshot), `max ${max}`).toEqual(expected);
      expect(zxidsOf(recovery.records)).toEqual(range(11, 14)); // unchanged: what a restart replays
      await storage.close();
    }
    const { storage, recovery } = await open({ dataDir });
    expect(textOf(recovery.recordsBeforeSnapshot[6]!.payload)).toBe('txn-7');
    await storage.close();
  });

  it('holds only what purge left', async () => {
    const dataDir = freshDir();
    await rolledWithSnapshotAt10(dataDir);
    const { storage } = await open({ dataDir, snapRetainCount: 1 });
    expect(unwrap(await storage.purge()).deletedLogs).toEqual(['log.1', 'log.5']);
    await storage.close();
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.recordsBeforeSnapshot)).toEqual([9, 10]);
    await again.storage.close();
  });

  it('stops at a damaged older file instead of handing out a run with a hole', async () => {
    const dataDir = freshDir();
    await rolledWithSnapshotAt10(dataDir);
    const path = join(dataDir, 'version-2', 'log.1');
    const bytes = readFileSync(path);
    const at = logHeaderBytes + recordBytes(payloadFor(1n)) + 18; // inside record 2
    bytes[at] = bytes[at]! ^ 1;
    writeFileSync(path, bytes);
    const { storage, recovery } = await open({ dataDir });
    expect(zxidsOf(recovery.recordsBeforeSnapshot)).toEqual(range(5, 10));
    expect(readFileSync(path)).toEqual(bytes); // not repaired: nothing is replayed from it
    await storage.close();
  });

  it('is empty with no snapshot, and after an installed snapshot until a snapshot of our own', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, logBytesMax: 100 });
    await history(storage, 6);
    unwrap(await storage.installSnapshot(10n, new TextEncoder().encode("leader's tree")));
    await history(storage, 14, [13]);
    await storage.close();
    const { storage: again, recovery } = await open({ dataDir });
    expect(recovery.snapshot?.zxid).toBe(13n);
    expect(zxidsOf(recovery.recordsBeforeSnapshot)).toEqual([11, 12, 13]);
    await again.close();

    const plain = freshDir();
    const first = await open({ dataDir: plain });
    await history(first.storage, 3);
    await first.storage.close();
    const second = await open({ dataDir: plain });
    expect(second.recovery.recordsBeforeSnapshot).toEqual([]);
    await second.storage.close();
  });
});

describe('Storage.readLog: the txns after a follower\'s last zxid', () => {
  it('returns the whole run after a zxid it holds, and undefined when it cannot prove one', async () => {
    const dataDir = freshDir();
    await rolledWithSnapshotAt10(dataDir);
    const { storage } = await open({ dataDir });
    expect(zxidsOf(unwrap(await storage.readLog(3n)))).toEqual(range(4, 14));
    expect(textOf(unwrap(await storage.readLog(12n))![0]!.payload)).toBe('txn-d');
    expect(zxidsOf(unwrap(await storage.readLog(14n)))).toEqual([]);
    expect(unwrap(await storage.readLog(15n))).toBeUndefined(); // the follower is ahead: TRUNC, not DIFF
    expect(unwrap(await storage.readLog(3n, 5))).toBeUndefined(); // 11 txns to send: SNAP
    expect(zxidsOf(unwrap(await storage.readLog(3n, 11)))).toEqual(range(4, 14));

    // Purge keeps the logs from the newest one starting at or before the snapshot (log.9).
    expect(unwrap(await storage.purge()).deletedLogs).toEqual(['log.1', 'log.5']);
    expect(unwrap(await storage.readLog(3n))).toBeUndefined();
    expect(unwrap(await storage.readLog(8n))).toBeUndefined(); // txn 8 itself is gone
    expect(zxidsOf(unwrap(await storage.readLog(9n)))).toEqual(range(10, 14));
    expect(zxidsOf(unwrap(await storage.readLog(10n)))).toEqual(range(11, 14));
    await storage.close();
  });

  it('reads from an installed snapshot on, never before it', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 6);
    const installed = 0x100000005n;
    unwrap(await storage.installSnapshot(installed, new TextEncoder().encode("leader's tree")));
    for (const z of [installed + 1n, installed + 2n, 0x200000001n]) unwrap(await storage.append(z, payloadFor(z)));
    expect(unwrap(await storage.readLog(installed))?.map((r) => r.zxid)).toEqual([installed + 1n, installed + 2n, 0x200000001n]);
    expect(unwrap(await storage.readLog(installed + 1n))?.map((r) => r.zxid)).toEqual([installed + 2n, 0x200000001n]);
    expect(unwrap(await storage.readLog(3n))).toBeUndefined();
    expect(unwrap(await storage.readLog(installed - 1n))).toBeUndefined();
    await storage.close();
  });

  it('reads only durable txns from the live, preallocated file while appends go on', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, preAllocBytes: 4096 });
    await history(storage, 7);
    const more = range(8, 20).map((z) => storage.append(BigInt(z), payloadFor(BigInt(z))));
    const read = unwrap(await storage.readLog(2n));
    expect(zxidsOf(read)).toEqual(range(3, 7));
    for (const m of more) unwrap(await m);
    expect(zxidsOf(unwrap(await storage.readLog(2n)))).toEqual(range(3, 20));
    await storage.close();
  });
});

describe('isNextZxid', () => {
  it('accepts the next counter or a later epoch, nothing else', () => {
    expect(isNextZxid(0x100000005n, 0x100000006n)).toBe(true);
    expect(isNextZxid(0x100000005n, 0x200000001n)).toBe(true);
    expect(isNextZxid(0x100000005n, 0x100000007n)).toBe(false);
    expect(isNextZxid(0x100000005n, 0x100000005n)).toBe(false);
    expect(isNextZxid(0x200000001n, 0x100000009n)).toBe(false);
  });
});
