import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { logHeaderBytes, recordBytes } from './record-format.ts';
import { Storage, type StorageOptions } from './storage.ts';
import type { Recovery } from './recovery.ts';
import type { Result } from '../../lib/result.ts';
import type { StorageError } from './storage-error.ts';
import { CountingFs, recordingLog, CrashingFs, payloadFor, textOf, freshDirs, unwrap } from './test-support.ts';

const freshDir = freshDirs('zk-truncate-');
async function open(options: StorageOptions) {
  return unwrap(await Storage.open({ snapshotSeed: 7, ...options }));
}
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const zxidsOf = (records: readonly { zxid: bigint }[]) => records.map((r) => Number(r.zxid));
const blobAt = (zxid: number) => new TextEncoder().encode(`tree at ${zxid}`);
const leaderPayload = (zxid: number) => new TextEncoder().encode(`leader's txn ${zxid}`);
const byZxid = (names: string[]) =>
  names.sort((a, b) => a.split('.')[0]!.localeCompare(b.split('.')[0]!) || parseInt(a.split('.')[1]!, 16) - parseInt(b.split('.')[1]!, 16));
const filesIn = (dataDir: string) => byZxid(readdirSync(join(dataDir, 'version-2')));

/** Appends txns one by one, snapshotting after each zxid in `snapshotAt`. */
async function history(storage: Storage, last: number, snapshotAt: readonly number[] = []): Promise<void> {
  for (const z of range(Number(storage.lastLoggedZxid) + 1, last)) {
    unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    if (snapshotAt.includes(z)) unwrap(await storage.writeSnapshot(BigInt(z), blobAt(z)));
  }
}

/** What a server would rebuild from: the snapshot's zxid and blob, then each record's zxid and payload. */
function replayed(recovery: Recovery): string[] {
  const snapshot = recovery.snapshot === undefined ? ['no snapshot'] : [`snapshot ${recovery.snapshot.zxid}: ${textOf(recovery.snapshot.blob)}`];
  return [...snapshot, ...recovery.records.map((r) => `${r.zxid}: ${textOf(r.payload)}`)];
}

/** 12 txns in three files of 4 (log.1, log.5, log.9), as the rolling test in storage.test.ts makes them. */
async function threeFiles(dataDir: string, options: Partial<StorageOptions> = {}) {
  const opened = await open({ dataDir, logBytesMax: 100, ...options });
  await history(opened.storage, 12);
  expect(filesIn(dataDir)).toEqual(['log.1', 'log.5', 'log.9']);
  return opened;
}

describe('flush', () => {
  it('resolves once every append made before it is durable', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    const acked: number[] = [];
    for (const z of range(1, 20)) void storage.append(BigInt(z), payloadFor(BigInt(z))).then(() => acked.push(z));
    unwrap(await storage.flush());
    expect(acked).toEqual(range(1, 20));
    expect(storage.lastLoggedZxid).toBe(20n);
    expect(fs.fileSyncs).toBe(1);
    unwrap(await storage.flush()); // nothing pending: at once, no fsync
    expect(fs.fileSyncs).toBe(1);
    await storage.close();
  });

  it('reports the error that stopped the log', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    fs.plan = { failSyncs: { code: 'EIO', at: new Set([0]) } };
    void storage.append(1n, payloadFor(1n));
    const flushed = await storage.flush();
    expect(flushed.ok).toBe(false);
    if (!flushed.ok) expect(flushed.error.message).toMatch(/^txn log is failed after an earlier error: fsync .*log\.1 failed: EIO/);
    await storage.close();
  });
});

describe('truncateAfter (TRUNC) removes every txn above the zxid', () => {
  it('cuts the file holding the boundary in its middle and deletes the later files; new txns follow the cut', async () => {
    const dataDir = freshDir();
    const { storage } = await threeFiles(dataDir);
    unwrap(await storage.truncateAfter(6n));
    expect(storage.lastLoggedZxid).toBe(6n);
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.5']);
    // log.5 keeps its header and txns 5 and 6.
    expect(statSync(join(dataDir, 'version-2', 'log.5')).size).toBe(logHeaderBytes + recordBytes(payloadFor(5n)) + recordBytes(payloadFor(6n)));
    for (const z of [7, 8, 9]) unwrap(await storage.append(BigInt(z), leaderPayload(z)));
    await storage.close();

    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 9));
    expect(textOf(again.recovery.records[5]!.payload)).toBe('txn-6');
    expect(textOf(again.recovery.records[6]!.payload)).toBe("leader's txn 7");
    expect(again.recovery.truncation).toBeUndefined();
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.5', 'log.7']);
    await again.storage.close();
  });

  it('at a file boundary deletes the later files whole and cuts nothing', async () => {
    const dataDir = freshDir();
    const { storage } = await threeFiles(dataDir);
    const sizeBefore = statSync(join(dataDir, 'version-2', 'log.5')).size;
    unwrap(await storage.truncateAfter(8n));
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.5']);
    expect(statSync(join(dataDir, 'version-2', 'log.5')).size).toBe(sizeBefore);
    unwrap(await storage.append(9n, leaderPayload(9)));
    await storage.close();
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 9));
    expect(textOf(again.recovery.records[8]!.payload)).toBe("leader's txn 9");
    await again.storage.close();
  });

  it('to the last record or beyond is a no-op that touches no file', async () => {
    const dataDir = freshDir();
    const fs = new CountingFs();
    const { storage } = await threeFiles(dataDir, { fs });
    const before = { renames: fs.renames, directorySyncs: fs.directorySyncs, fileSyncs: fs.fileSyncs, handleTruncates: fs.handleTruncates };
    unwrap(await storage.truncateAfter(12n));
    unwrap(await storage.truncateAfter(0x100000000n));
    expect({ renames: fs.renames, directorySyncs: fs.directorySyncs, fileSyncs: fs.fileSyncs, handleTruncates: fs.handleTruncates }).toEqual(before);
    expect(storage.lastLoggedZxid).toBe(12n);
    unwrap(await storage.append(13n, payloadFor(13n)));
    await storage.close();
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 13));
    await again.storage.close();
  });

  it('below every record deletes every log file; the history starts again at zxid 1', async () => {
    const dataDir = freshDir();
    const { storage } = await threeFiles(dataDir);
    unwrap(await storage.truncateAfter(0n));
    expect(storage.lastLoggedZxid).toBe(0n);
    expect(filesIn(dataDir)).toEqual([]);
    unwrap(await storage.append(1n, leaderPayload(1)));
    await storage.close();
    const again = await open({ dataDir });
    expect(replayed(again.recovery)).toEqual(['no snapshot', "1: leader's txn 1"]);
    await again.storage.close();
  });

  it('across an epoch change keeps the old epoch and continues in the new one (zxid = epoch << 32 | counter)', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    const epoch1 = [1n, 2n, 3n].map((c) => (1n << 32n) | c);
    const epoch2 = [1n, 2n].map((c) => (2n << 32n) | c);
    for (const z of [...epoch1, ...epoch2]) unwrap(await storage.append(z, payloadFor(z)));
    // The leader of epoch 3 had only epoch 1 up to counter 2.
    unwrap(await storage.truncateAfter(epoch1[1]!));
    expect(storage.lastLoggedZxid).toBe(epoch1[1]);
    const epoch3 = (3n << 32n) | 1n;
    unwrap(await storage.append(epoch3, payloadFor(epoch3)));
    await storage.close();
    const again = await open({ dataDir });
    expect(again.recovery.records.map((r) => r.zxid)).toEqual([epoch1[0], epoch1[1], epoch3]);
    await again.storage.close();
  });

  it('cuts a live preallocated file: the zeros go with the discarded records', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, preAllocBytes: 4096 });
    await history(storage, 10);
    expect(statSync(join(dataDir, 'version-2', 'log.1')).size).toBe(4096);
    unwrap(await storage.truncateAfter(5n));
    const fiveRecords = range(1, 5).reduce((n, z) => n + recordBytes(payloadFor(BigInt(z))), logHeaderBytes);
    expect(statSync(join(dataDir, 'version-2', 'log.1')).size).toBe(fiveRecords);
    await history(storage, 7);
    await storage.close();
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.6']);
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 7));
    expect(again.recovery.truncation).toBeUndefined();
    await again.storage.close();
  });

  it('after recovery cut a torn tail, truncates the rest as asked', async () => {
    const dataDir = freshDir();
    const first = await open({ dataDir });
    await history(first.storage, 5);
    await first.storage.close();
    const path = join(dataDir, 'version-2', 'log.1');
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 3)); // record 5 torn
    const second = await open({ dataDir });
    expect(second.recovery.truncation?.stop.reason).toBe('torn-record');
    expect(second.storage.lastLoggedZxid).toBe(4n);
    unwrap(await second.storage.truncateAfter(2n));
    expect(second.storage.lastLoggedZxid).toBe(2n);
    unwrap(await second.storage.append(3n, leaderPayload(3)));
    await second.storage.close();
    const third = await open({ dataDir });
    expect(replayed(third.recovery)).toEqual(['no snapshot', '1: txn-1', '2: txn-2', "3: leader's txn 3"]);
    await third.storage.close();
  });

  it('deletes the snapshots above the zxid and keeps those at or below it', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 15, [5, 10]);
    unwrap(await storage.truncateAfter(7n));
    expect(storage.lastSnapshotZxid).toBe(5n);
    expect(storage.lastLoggedZxid).toBe(7n);
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.6', 'snapshot.5']);
    unwrap(await storage.append(8n, leaderPayload(8)));
    await storage.close();
    const again = await open({ dataDir });
    expect(replayed(again.recovery)).toEqual(['snapshot 5: tree at 5', '6: txn-6', '7: txn-7', "8: leader's txn 8"]);
    await again.storage.close();
  });

  it('below every snapshot deletes them all', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 12, [5, 10]);
    unwrap(await storage.truncateAfter(3n));
    expect(storage.lastSnapshotZxid).toBe(-1n);
    expect(storage.lastLoggedZxid).toBe(3n);
    expect(filesIn(dataDir)).toEqual(['log.1']);
    await storage.close();
    const again = await open({ dataDir });
    expect(replayed(again.recovery)).toEqual(['no snapshot', '1: txn-1', '2: txn-2', '3: txn-3']);
    await again.storage.close();
  });

  it('asserts that no append is in flight, and that none starts during it', async () => {
    const { storage } = await open({ dataDir: freshDir() });
    await history(storage, 3);
    const inFlight = storage.append(4n, payloadFor(4n));
    await expect(storage.truncateAfter(1n)).rejects.toThrow(/truncateAfter\(0x1\) with appends in flight: call flush first/);
    unwrap(await inFlight);
    const truncating = storage.truncateAfter(1n);
    expect(() => storage.append(2n, payloadFor(2n))).toThrow(/append of zxid 0x2 while the log is being truncated or replaced/);
    unwrap(await truncating);
    await storage.close();
  });

  it('waits for a snapshot being written, deletes it if above the zxid, and refuses one asked for meanwhile', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 8, [4]);
    const writing = storage.writeSnapshot(8n, blobAt(8));
    const truncating = storage.truncateAfter(6n);
    const refused = await storage.writeSnapshot(7n, blobAt(7));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toEqual({ kind: 'refused', message: 'snapshot at 0x7 refused: the log is being truncated or replaced' });
    unwrap(await writing);
    unwrap(await truncating);
    expect(storage.lastSnapshotZxid).toBe(4n);
    await storage.close();
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.5', 'snapshot.4']);
  });

  it('refuses on a failed log, whose tail only recovery knows', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    await history(storage, 3);
    fs.plan = { failSyncs: { code: 'EIO', at: new Set([fs.fileSyncs]) } };
    expect((await storage.append(4n, payloadFor(4n))).ok).toBe(false);
    const result = await storage.truncateAfter(1n);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.kind).toBe('failed');
    await storage.close();
  });
});

/**
 * Builds a history with `setUp`, then crashes `operation` at its n-th fs call
 * for n = 0, 1, ... until it completes, and after each crash checks that a
 * restart replays exactly the history before or after, and goes on from there.
 */
async function crashAtEveryCall(
  setUp: (storage: Storage) => Promise<void>,
  operation: (storage: Storage) => Promise<Result<void, StorageError>>,
  next: (lastLoggedZxid: bigint) => bigint,
): Promise<{ calls: readonly string[]; outcomes: readonly ('old' | 'new')[] }> {
  // The two histories, from runs without a crash.
  const reference = async (apply: boolean) => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, logBytesMax: 100 });
    await setUp(storage);
    if (apply) unwrap(await operation(storage));
    await storage.close();
    const again = await open({ dataDir });
    await again.storage.close();
    return replayed(again.recovery);
  };
  const oldHistory = await reference(false);
  const newHistory = await reference(true);
  expect(newHistory).not.toEqual(oldHistory);

  const outcomes: ('old' | 'new')[] = [];
  for (let n = 0; ; n++) {
    const dataDir = freshDir();
    const fs = new CrashingFs();
    const { storage } = await open({ dataDir, fs, logBytesMax: 100 });
    await setUp(storage);
    const start = fs.calls.length;
    fs.crashAtCall = start + n;
    const result = await operation(storage);
    await storage.close();
    if (!fs.hasCrashed) {
      unwrap(result);
      return { calls: fs.calls.slice(start), outcomes };
    }
    const where = `crash at call ${n} (${fs.calls[start + n]}) of ${fs.calls.slice(start).join(', ')}`;
    expect(result.ok, where).toBe(false);
    const restarted = await open({ dataDir });
    const history = replayed(restarted.recovery);
    expect([oldHistory, newHistory], where).toContainEqual(history);
    outcomes.push(history === newHistory || JSON.stringify(history) === JSON.stringify(newHistory) ? 'new' : 'old');
    // The restarted server goes on, and a second restart sees the same history plus its txn.
    const zxid = next(restarted.storage.lastLoggedZxid);
    unwrap(await restarted.storage.append(zxid, leaderPayload(Number(zxid))));
    await restarted.storage.close();
    const third = await open({ dataDir });
    expect(replayed(third.recovery), where).toEqual([...history, `${zxid}: leader's txn ${zxid}`]);
    expect(readdirSync(join(dataDir, 'version-2')).filter((f) => /^(truncate|install)\.|\.install$|\.tmp$/.test(f)), where).toEqual([]);
    await third.storage.close();
  }
}

describe('a crash at any point of a truncation leaves the history before it or after it', () => {
  it('recovery finishes a truncation whose intent file it finds', async () => {
    const dataDir = freshDir();
    const { storage } = await threeFiles(dataDir);
    await storage.close();
    writeFileSync(join(dataDir, 'version-2', 'truncate.6'), 'truncate 0x6\n');
    const logged = recordingLog();
    const again = await open({ dataDir, log: logged.log });
    expect(again.recovery.resumedRewrite).toEqual({ kind: 'truncate', zxid: 6n });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 6));
    expect(again.storage.lastLoggedZxid).toBe(6n);
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.5']);
    expect(logged.find('finishing-interrupted-rewrite')?.fields).toMatchObject({ kind: 'truncate', zxid: 6n });
    await again.storage.close();
  });

  it('refuses to guess between two intent files', async () => {
    const dataDir = freshDir();
    const { storage } = await threeFiles(dataDir);
    await storage.close();
    writeFileSync(join(dataDir, 'version-2', 'truncate.6'), '');
    writeFileSync(join(dataDir, 'version-2', 'install.3'), '');
    const opened = await Storage.open({ dataDir });
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.error.message).toMatch(/holds 2 interrupted rewrites \(truncate\.6, install\.3\); expected at most one$/);
  });

  it('works across dataDir and dataLogDir: snapshots go from one, log records from the other', async () => {
    const dataDir = freshDir();
    const dataLogDir = freshDir();
    const { storage } = await open({ dataDir, dataLogDir });
    await history(storage, 12, [4, 8]);
    unwrap(await storage.truncateAfter(6n));
    await storage.close();
    expect(filesIn(dataDir)).toEqual(['snapshot.4']);
    expect(filesIn(dataLogDir)).toEqual(['log.1', 'log.5']);
    const again = await open({ dataDir, dataLogDir });
    expect(replayed(again.recovery)).toEqual(['snapshot 4: tree at 4', '5: txn-5', '6: txn-6']);
    await again.storage.close();
  });

  it('truncateAfter(6) over snapshots 4 and 10 and four log files, crashed at each of its fs calls', async () => {
    // log.1 (1-4), snapshot.4, log.5 (5-8), log.9 (9, 10), snapshot.a, log.b (11-14); the cut keeps log.1, snapshot.4, log.5 (5, 6).
    const { calls, outcomes } = await crashAtEveryCall(
      (storage) => history(storage, 14, [4, 10]),
      (storage) => storage.truncateAfter(6n),
      (last) => last + 1n,
    );
    expect(calls.length).toBeGreaterThan(15);
    expect(outcomes.length).toBe(calls.length);
    // Before the intent's rename every crash leaves the old history; from it on, the new.
    const commit = calls.indexOf('rename truncate.6.tmp to truncate.6');
    expect(commit).toBeGreaterThan(0);
    expect(outcomes.slice(0, commit + 1).every((o) => o === 'old')).toBe(true);
    expect(outcomes.slice(commit + 1).every((o) => o === 'new')).toBe(true);
  });
});

describe('a crash while recovery finishes an interrupted rewrite', () => {
  it('leaves the rewrite to the next recovery, which finishes it, at each fs call of recovery', async () => {
    // How many fs calls truncateAfter(6) makes up to the intent's rename and the directory fsync after it.
    const probe = new CrashingFs();
    const probed = await open({ dataDir: freshDir(), fs: probe, logBytesMax: 100 });
    await history(probed.storage, 14, [4, 10]);
    const start = probe.calls.length;
    unwrap(await probed.storage.truncateAfter(6n));
    await probed.storage.close();
    const callsToCommit = probe.calls.indexOf('rename truncate.6.tmp to truncate.6', start) - start + 2;
    expect(probe.calls[start + callsToCommit - 1]).toBe('fsync directory version-2');

    let recoveryCalls = 0;
    for (let m = 0; ; m++) {
      const dataDir = freshDir();
      const fs = new CrashingFs();
      const { storage } = await open({ dataDir, fs, logBytesMax: 100 });
      await history(storage, 14, [4, 10]);
      fs.crashAtCall = fs.calls.length + callsToCommit;
      expect((await storage.truncateAfter(6n)).ok).toBe(false);
      await storage.close();
      expect(readdirSync(join(dataDir, 'version-2'))).toContain('truncate.6');

      const recoveryFs = new CrashingFs();
      recoveryFs.crashAtCall = m;
      const crashedRecovery = await Storage.open({ dataDir, fs: recoveryFs, logBytesMax: 100 });
      if (!recoveryFs.hasCrashed) {
        recoveryCalls = m;
        if (crashedRecovery.ok) await crashedRecovery.value.storage.close();
        break;
      }
      expect(crashedRecovery.ok, `recovery crashed at call ${m} (${recoveryFs.calls[m]})`).toBe(false);
      const finished = await open({ dataDir });
      expect(replayed(finished.recovery), `recovery crashed at call ${m} (${recoveryFs.calls[m]})`).toEqual(['snapshot 4: tree at 4', '5: txn-5', '6: txn-6']);
      await finished.storage.close();
    }
    expect(recoveryCalls).toBeGreaterThan(10);
  });
});

describe('installSnapshot (SNAP) replaces the whole history', () => {
  it('deletes every log record, those above the snapshot and those below it, and every other snapshot', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, logBytesMax: 100 });
    await history(storage, 12, [4]);
    unwrap(await storage.installSnapshot(8n, new TextEncoder().encode("leader's tree at 8")));
    expect(storage.lastLoggedZxid).toBe(8n);
    expect(storage.lastSnapshotZxid).toBe(8n);
    expect(filesIn(dataDir)).toEqual(['snapshot.8']);
    for (const z of [9, 10]) unwrap(await storage.append(BigInt(z), leaderPayload(z)));
    await storage.close();
    const again = await open({ dataDir });
    expect(replayed(again.recovery)).toEqual(["snapshot 8: leader's tree at 8", "9: leader's txn 9", "10: leader's txn 10"]);
    await again.storage.close();
  });

  it('waits for appends made before it, then discards them', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    const appended = range(1, 5).map((z) => storage.append(BigInt(z), payloadFor(BigInt(z))));
    unwrap(await storage.installSnapshot(3n, blobAt(3)));
    for (const a of appended) unwrap(await a);
    expect(storage.lastLoggedZxid).toBe(3n);
    await storage.close();
    const again = await open({ dataDir });
    expect(replayed(again.recovery)).toEqual(['snapshot 3: tree at 3']);
    await again.storage.close();
  });

  it('replaces our own snapshot of the same zxid', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir });
    await history(storage, 6, [5]);
    unwrap(await storage.installSnapshot(5n, new TextEncoder().encode('theirs')));
    await storage.close();
    expect(filesIn(dataDir)).toEqual(['snapshot.5']);
    const again = await open({ dataDir });
    expect(replayed(again.recovery)).toEqual(['snapshot 5: theirs']);
    await again.storage.close();
  });

  it('refuses to start when the installed snapshot later fails its checksum, rather than fall back on older files', async () => {
    for (const appendAfter of [0, 3]) {
      const dataDir = freshDir();
      const { storage } = await open({ dataDir });
      await history(storage, 12, [4, 8]);
      const installed = 0x100000005n;
      unwrap(await storage.installSnapshot(installed, blobAt(5)));
      for (let i = 1n; i <= BigInt(appendAfter); i++) unwrap(await storage.append(installed + i, payloadFor(installed + i)));
      await storage.close();
      const path = join(dataDir, 'version-2', 'snapshot.100000005');
      const bytes = readFileSync(path);
      bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 1;
      writeFileSync(path, bytes);
      const logged = recordingLog();
      const opened = await Storage.open({ dataDir, log: logged.log });
      expect(opened.ok, `${appendAfter} appends after the install`).toBe(false);
      if (!opened.ok) {
        expect(opened.error.kind).toBe('gap');
        expect(opened.error.message).toMatch(appendAfter === 0 ? /^no valid snapshot among 1 and no txn log/ : /^no valid snapshot among 1, and the oldest txn log starts at 0x100000006/);
      }
      expect(logged.find('snapshot-skipped')).toBeDefined();
    }
  });

  it('a crash at any of its fs calls leaves the history before it or after it', async () => {
    const { calls, outcomes } = await crashAtEveryCall(
      (storage) => history(storage, 14, [4, 10]),
      (storage) => storage.installSnapshot(12n, new TextEncoder().encode("leader's tree at 12")),
      (last) => last + 1n,
    );
    const commit = calls.indexOf('rename install.c.tmp to install.c');
    expect(commit).toBeGreaterThan(0);
    expect(outcomes.length).toBe(calls.length);
    expect(outcomes.slice(0, commit + 1).every((o) => o === 'old')).toBe(true);
    expect(outcomes.slice(commit + 1).every((o) => o === 'new')).toBe(true);
  });

  it('changes nothing when staging the snapshot fails (ENOSPC), and appends go on', async () => {
    const dataDir = freshDir();
    const fs = new CountingFs();
    const { storage } = await open({ dataDir, fs });
    await history(storage, 5);
    fs.plan = { failWrites: { code: 'ENOSPC', at: new Set([fs.writes]) } };
    const result = await storage.installSnapshot(9n, blobAt(9));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/^stage snapshot .*snapshot\.9\.install failed: ENOSPC/);
    expect(storage.lastLoggedZxid).toBe(5n);
    unwrap(await storage.append(6n, payloadFor(6n)));
    await storage.close();
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 6));
    expect(filesIn(dataDir)).toEqual(['log.1', 'log.6']);
    await again.storage.close();
  });

  it('after a failure past the intent refuses appends until a restart finishes the rewrite', async () => {
    const dataDir = freshDir();
    const fs = new CountingFs();
    const { storage } = await open({ dataDir, fs, logBytesMax: 100 });
    await history(storage, 12);
    // File syncs of the rewrite: the intent's temp file, then the cut log.5.
    fs.plan = { failSyncs: { code: 'EIO', at: new Set([fs.fileSyncs + 1]) } };
    const result = await storage.truncateAfter(6n);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/^truncate .*log\.5 failed: EIO/);
    const refused = await storage.append(13n, payloadFor(13n));
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error.kind).toBe('failed');
    await storage.close();
    const again = await open({ dataDir });
    expect(again.recovery.resumedRewrite).toEqual({ kind: 'truncate', zxid: 6n });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 6));
    await again.storage.close();
  });

  it('deletes a staged snapshot whose intent never became durable', async () => {
    const dataDir = freshDir();
    mkdirSync(join(dataDir, 'version-2'));
    writeFileSync(join(dataDir, 'version-2', 'snapshot.9.install'), 'staged');
    const logged = recordingLog();
    const { storage, recovery } = await open({ dataDir, log: logged.log });
    expect(recovery.snapshot).toBeUndefined();
    expect(existsSync(join(dataDir, 'version-2', 'snapshot.9.install'))).toBe(false);
    expect(logged.find('deleting-uncommitted-snapshot')?.fields['path']).toMatch(/snapshot\.9\.install$/);
    await storage.close();
  });
});
