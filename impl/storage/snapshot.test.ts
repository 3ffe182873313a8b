import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Storage, type StorageOptions } from './storage.ts';
import { SnapshotSchedule } from './snapshot-schedule.ts';
import { CountingFs, recordingLog, payloadFor, textOf, freshDirs, unwrap } from './test-support.ts';

const freshDir = freshDirs();
async function open(options: StorageOptions) {
  return unwrap(await Storage.open({ snapshotSeed: 7, ...options }));
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const zxidsOf = (records: readonly { zxid: bigint }[]) => records.map((r) => Number(r.zxid));
const blobAt = (zxid: number) => new TextEncoder().encode(`tree at ${zxid}`);
const sortedByZxid = (names: string[]) =>
  names.sort((a, b) => a.split('.')[0]!.localeCompare(b.split('.')[0]!) || parseInt(a.split('.')[1]!, 16) - parseInt(b.split('.')[1]!, 16));

/** Appends txns one by one and snapshots after each zxid in `snapshotAt`. */
async function history(storage: Storage, last: number, snapshotAt: readonly number[]): Promise<void> {
  for (const z of range(Number(storage.lastLoggedZxid) + 1, last)) {
    unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    if (snapshotAt.includes(z)) unwrap(await storage.writeSnapshot(BigInt(z), blobAt(z)));
  }
}

describe('snapshots', () => {
  it('recovers the newest snapshot and replays only the txns after it', async () => {
    const dataDir = freshDir();
    const fs = new CountingFs();
    const { storage } = await open({ dataDir, fs });
    await history(storage, 15, [10]);
    await storage.close();
    // temp file, fsync, rename, directory fsync
    expect(fs.renames).toBe(1);
    // The snapshot rolled the log: txns after it start a new file.
    expect(sortedByZxid(readdirSync(join(dataDir, 'version-2')))).toEqual(['log.1', 'log.b', 'snapshot.a']);

    const { storage: again, recovery } = await open({ dataDir });
    expect(recovery.snapshot?.zxid).toBe(10n);
    expect(textOf(recovery.snapshot!.blob)).toBe('tree at 10');
    expect(zxidsOf(recovery.records)).toEqual(range(11, 15));
    expect(again.lastLoggedZxid).toBe(15n);
    expect(again.lastSnapshotZxid).toBe(10n);
    await again.close();
  });

  it('replays a fuzzy snapshot from its zxid even when the log rolled after later txns', async () => {
    // The server began serialising at zxid 10 while txns 11 and 12 were being logged.
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 12, []);
    unwrap(await storage.writeSnapshot(10n, blobAt(10)));
    await history(storage, 14, []);
    await storage.close();
    const { storage: again, recovery } = await open({ dataDir });
    expect(recovery.snapshot?.zxid).toBe(10n);
    expect(zxidsOf(recovery.records)).toEqual([11, 12, 13, 14]);
    await again.close();
  });

  it('skips a corrupt newest snapshot in favour of the previous one', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 15, [5, 10]);
    await storage.close();
    const path = join(dataDir, 'version-2', 'snapshot.a');
    const bytes = readFileSync(path);
    bytes[bytes.length - 2] = bytes[bytes.length - 2]! ^ 1;
    writeFileSync(path, bytes);

    const logged = recordingLog();
    const { storage: again, recovery } = await open({ dataDir, log: logged.log });
    expect(recovery.snapshot?.zxid).toBe(5n);
    expect(recovery.skippedSnapshots).toEqual([{ name: 'snapshot.a', reason: 'checksum mismatch' }]);
    expect(zxidsOf(recovery.records)).toEqual(range(6, 15));
    expect(logged.find('snapshot-skipped')?.fields).toMatchObject({ path: expect.stringMatching(/snapshot\.a$/), reason: 'checksum mismatch' });
    await again.close();
  });

  it('refuses to start from a history with a hole: snapshot at 0x5, oldest later log at 0x9', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 12, [5, 8]);
    await storage.close();
    const dir = join(dataDir, 'version-2');
    expect(sortedByZxid(readdirSync(dir))).toEqual(['log.1', 'log.6', 'log.9', 'snapshot.5', 'snapshot.8']);
    writeFileSync(join(dir, 'snapshot.8'), 'garbage');
    const { rmSync } = await import('node:fs');
    rmSync(join(dir, 'log.6'));
    const opened = await Storage.open({ dataDir });
    expect(opened.ok).toBe(false);
    if (!opened.ok) {
      expect(opened.error.kind).toBe('gap');
      expect(opened.error.message).toBe('the txn log reaches 0x5 but the next file, log.9, starts at 0x9: the txns in between are gone');
    }
  });

  it('deletes a snapshot temp file left by a crash before its rename', async () => {
    const dataDir = freshDir();
    mkdirSync(join(dataDir, 'version-2'));
    writeFileSync(join(dataDir, 'version-2', 'snapshot.7.tmp'), 'half a snapshot');
    const { storage, recovery } = await open({ dataDir });
    expect(recovery.snapshot).toBeUndefined();
    expect(readdirSync(join(dataDir, 'version-2'))).toEqual([]);
    await storage.close();
  });
});

describe('the snapshot schedule (snapCount)', () => {
  it('fires after a number of txns in (snapCount/2, snapCount], the same for the same seed', () => {
    const thresholds = (seed: number) => {
      const schedule = new SnapshotSchedule(100, seed);
      const seen: number[] = [];
      for (let round = 0; round < 50; round++) {
        let txns = 0;
        while (!schedule.countTxn()) txns++;
        seen.push(txns + 1);
        schedule.reset();
      }
      return seen;
    };
    const a = thresholds(42);
    expect(thresholds(42)).toEqual(a);
    expect(thresholds(43)).not.toEqual(a);
    for (const t of a) expect(t, `seed 42: ${a.join(',')}`).toBeGreaterThan(50);
    for (const t of a) expect(t, `seed 42: ${a.join(',')}`).toBeLessThanOrEqual(100);
    expect(new Set(a).size).toBeGreaterThan(10);
  });

  it('fires after exactly snapCount txns without jitter, once, and calls onSnapshotDue', async () => {
    let due = 0;
    const { storage } = await open({ dataDir: freshDir(), snapCount: 10, snapshotJitter: false, onSnapshotDue: () => due++ });
    for (const z of range(1, 9)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    expect(due).toBe(0);
    expect(storage.isSnapshotDue).toBe(false);
    unwrap(await storage.append(10n, payloadFor(10n)));
    expect(due).toBe(1);
    unwrap(await storage.append(11n, payloadFor(11n)));
    expect(due).toBe(1);
    expect(storage.isSnapshotDue).toBe(true);
    unwrap(await storage.writeSnapshot(11n, blobAt(11)));
    expect(storage.isSnapshotDue).toBe(false);
    await storage.close();
  });
});

describe('purge keeps snapRetainCount snapshots and the logs they need', () => {
  it('keeps the newest 3 of 6 snapshots and every log from the newest one starting at or before the oldest kept', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, snapRetainCount: 3 });
    await history(storage, 30, [5, 10, 15, 20, 25]);
    unwrap(await storage.writeSnapshot(27n, blobAt(27))); // a fuzzy snapshot in the middle of log.1a (26..30)
    const report = unwrap(await storage.purge());
    // Kept: snapshots 0x1b, 0x19, 0x14. log.10 (16..20) starts at or before 0x14: a snapshot taken
    // in the middle of a file needs it, so it is kept even though this one was taken at its end.
    expect(report).toEqual({ deletedSnapshots: ['snapshot.5', 'snapshot.a', 'snapshot.f'], deletedLogs: ['log.1', 'log.6', 'log.b'] });
    await storage.close();
    expect(sortedByZxid(readdirSync(join(dataDir, 'version-2')))).toEqual(['log.10', 'log.15', 'log.1a', 'snapshot.14', 'snapshot.19', 'snapshot.1b']);

    // The oldest retained snapshot can still be recovered from: corrupt the two newer ones.
    for (const name of ['snapshot.1b', 'snapshot.19']) writeFileSync(join(dataDir, 'version-2', name), 'rot');
    const { storage: again, recovery } = await open({ dataDir });
    expect(recovery.snapshot?.zxid).toBe(20n);
    expect(zxidsOf(recovery.records)).toEqual(range(21, 30));
    await again.close();
  });

  it('counts only valid snapshots towards the retained number', async () => {
    const purgeWith = async (corruptNewest: boolean) => {
      const dataDir = freshDir();
      const { storage } = await open({ dataDir, snapRetainCount: 2 });
      await history(storage, 20, [5, 10, 15]);
      if (corruptNewest) writeFileSync(join(dataDir, 'version-2', 'snapshot.f'), 'rot');
      const report = unwrap(await storage.purge());
      await storage.close();
      return report;
    };
    expect(await purgeWith(false)).toEqual({ deletedSnapshots: ['snapshot.5'], deletedLogs: ['log.1'] });
    // With 0xf corrupt, the two valid ones are 0xa and 0x5: nothing may go.
    expect(await purgeWith(true)).toEqual({ deletedSnapshots: [], deletedLogs: [] });
  });

  it('runs by itself every purgeInterval hours', async () => {
    const dataDir = freshDir();
    const logged = recordingLog();
    // 0.00001 hours is 36 ms.
    const { storage } = await open({ dataDir, snapRetainCount: 1, purgeIntervalHours: 0.00001, log: logged.log });
    await history(storage, 10, [5, 10]);
    const deadline = Date.now() + 5_000;
    while (existsSync(join(dataDir, 'version-2', 'snapshot.5')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await storage.close();
    expect(sortedByZxid(readdirSync(join(dataDir, 'version-2')))).toEqual(['log.6', 'snapshot.a']);
    expect(logged.find('autopurge-deleted')?.fields['deletedSnapshots']).toContain('snapshot.5');
  });
});

describe('autopurge intervals', () => {
  it('does not purge continuously when the interval exceeds what a timer can hold (1000 hours)', async () => {
    const dataDir = freshDir();
    const logged = recordingLog();
    const { storage } = await open({ dataDir, snapRetainCount: 1, purgeIntervalHours: 1000, log: logged.log });
    await history(storage, 10, [5, 10]);
    await new Promise((r) => setTimeout(r, 50));
    await storage.close();
    expect(existsSync(join(dataDir, 'version-2', 'snapshot.5'))).toBe(true);
    expect(logged.lines[0]).toMatchObject({ level: 'warn', event: 'autopurge-interval-capped', fields: { purgeIntervalHours: 1000, intervalMs: 2147483647 } });
  });
});

describe('acceptedEpoch and currentEpoch', () => {
  it('reads back what was written, and nothing for a new server', async () => {
    const dataDir = freshDir();
    const fs = new CountingFs();
    const { storage } = await open({ dataDir, fs });
    expect(unwrap(await storage.readEpoch('acceptedEpoch'))).toBeUndefined();
    unwrap(await storage.writeEpoch('acceptedEpoch', 3n));
    unwrap(await storage.writeEpoch('currentEpoch', 2n));
    unwrap(await storage.writeEpoch('acceptedEpoch', 4n));
    expect(unwrap(await storage.readEpoch('acceptedEpoch'))).toBe(4n);
    expect(unwrap(await storage.readEpoch('currentEpoch'))).toBe(2n);
    expect(readFileSync(join(dataDir, 'version-2', 'acceptedEpoch'), 'utf8')).toBe('4\n');
    // Each write: one file fsync, one rename, one directory fsync.
    expect({ fileSyncs: fs.fileSyncs, renames: fs.renames, directorySyncs: fs.directorySyncs }).toEqual({ fileSyncs: 3, renames: 3, directorySyncs: 3 });
    await storage.close();
  });

  it('reports an epoch file that does not hold a number as corrupt', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    writeFileSync(join(dataDir, 'version-2', 'currentEpoch'), 'x7');
    const result = await storage.readEpoch('currentEpoch');
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toMatchObject({ kind: 'corrupt', message: expect.stringContaining('should hold a decimal epoch, holds "x7"') });
    await storage.close();
  });
});
