import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recordBytes, logHeaderBytes } from './record-format.ts';
import { Storage, type StorageOptions } from './storage.ts';
import { CountingFs, recordingLog, payloadFor, textOf, freshDirs, unwrap } from './test-support.ts';
import type { FileHandleLike, FsLayer } from './fs-layer.ts';
import { nodeFs } from './fs-layer.ts';

const freshDir = freshDirs();


async function open(options: StorageOptions) {
  return unwrap(await Storage.open({ snapshotSeed: 7, ...options }));
}

async function appendAll(storage: Storage, zxids: readonly number[], padBytes = 0): Promise<void> {
  const results = await Promise.all(zxids.map((z) => storage.append(BigInt(z), payloadFor(BigInt(z), padBytes))));
  for (const r of results) unwrap(r);
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const zxidsOf = (records: readonly { zxid: bigint }[]) => records.map((r) => Number(r.zxid));

describe('append and recover', () => {
  it('recovers every appended record, in order, with its payload', async () => {
    const dataDir = freshDir();
    const first = await open({ dataDir });
    expect(first.recovery.records).toEqual([]);
    expect(first.storage.lastLoggedZxid).toBe(0n);
    await appendAll(first.storage, range(1, 50));
    expect(first.storage.lastLoggedZxid).toBe(50n);
    await first.storage.close();

    expect(readdirSync(join(dataDir, 'version-2'))).toEqual(['log.1']);
    const second = await open({ dataDir });
    expect(zxidsOf(second.recovery.records)).toEqual(range(1, 50));
    expect(textOf(second.recovery.records[41]!.payload)).toBe('txn-2a');
    expect(second.recovery.lastLoggedZxid).toBe(50n);
    expect(second.recovery.truncation).toBeUndefined();
    // A restart continues in a new file named after its first zxid, as ZooKeeper does.
    await appendAll(second.storage, [51, 52]);
    await second.storage.close();
    expect(readdirSync(join(dataDir, 'version-2')).sort()).toEqual(['log.1', 'log.33']);
    const third = await open({ dataDir });
    expect(zxidsOf(third.recovery.records)).toEqual(range(1, 52));
    await third.storage.close();
  });

  it('puts the log in dataLogDir when one is set, and snapshots in dataDir', async () => {
    const dataDir = freshDir();
    const dataLogDir = freshDir();
    const { storage } = await open({ dataDir, dataLogDir });
    await appendAll(storage, [1, 2]);
    unwrap(await storage.writeSnapshot(2n, new Uint8Array([9])));
    await storage.close();
    expect(readdirSync(join(dataLogDir, 'version-2'))).toEqual(['log.1']);
    expect(readdirSync(join(dataDir, 'version-2'))).toEqual(['snapshot.2']);
  });

  it('rejects an append that does not increase the zxid (a server bug)', async () => {
    const { storage } = await open({ dataDir: freshDir() });
    await appendAll(storage, [5]);
    expect(() => storage.append(5n, new Uint8Array())).toThrow(/append of zxid 0x5 after 0x5/);
    await storage.close();
  });

  it('rolls to a new file, named after its first zxid, once a file reaches logBytesMax', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, logBytesMax: 100 });
    for (const z of range(1, 12)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    await storage.close();
    // Each record is 16 + 5 or 6 bytes; the 20-byte header plus 4 records pass 100 bytes.
    const names = readdirSync(join(dataDir, 'version-2')).sort((a, b) => parseInt(a.slice(4), 16) - parseInt(b.slice(4), 16));
    expect(names).toEqual(['log.1', 'log.5', 'log.9']);
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 12));
    await again.storage.close();
  });
});

describe('a torn tail is truncated and never replayed', () => {
  it('recovers every complete record and nothing after, for a cut at every byte of the last record', async () => {
    const source = freshDir();
    const { storage } = await open({ dataDir: source });
    for (const z of range(1, 5)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z), 7)));
    await storage.close();
    const whole = readFileSync(join(source, 'version-2', 'log.1'));
    const lastStart = whole.length - recordBytes(payloadFor(5n, 7));
    expect(lastStart).toBe(logHeaderBytes + 4 * recordBytes(payloadFor(1n, 7)));

    for (let cut = lastStart; cut < whole.length; cut++) {
      const dataDir = freshDir();
      mkdirSync(join(dataDir, 'version-2'));
      writeFileSync(join(dataDir, 'version-2', 'log.1'), whole.subarray(0, cut));
      const logged = recordingLog();
      const reopened = await open({ dataDir, log: logged.log });
      expect(zxidsOf(reopened.recovery.records), `cut at ${cut}`).toEqual([1, 2, 3, 4]);
      expect(reopened.storage.lastLoggedZxid).toBe(4n);
      expect(statSync(join(dataDir, 'version-2', 'log.1')).size).toBe(lastStart);
      if (cut === lastStart) {
        expect(reopened.recovery.truncation).toBeUndefined();
      } else {
        expect(reopened.recovery.truncation).toMatchObject({ name: 'log.1', stop: { reason: 'torn-record', offset: lastStart }, discardedBytes: cut - lastStart });
        expect(logged.find('txn-log-damaged')?.fields).toMatchObject({ offset: lastStart, reason: 'torn-record' });
      }
      // The server goes on from zxid 4: the new txn 5 must not be shadowed by the torn one.
      unwrap(await reopened.storage.append(5n, new TextEncoder().encode('new five')));
      await reopened.storage.close();
      const third = await open({ dataDir });
      expect(zxidsOf(third.recovery.records)).toEqual([1, 2, 3, 4, 5]);
      expect(textOf(third.recovery.records[4]!.payload)).toBe('new five');
      await third.storage.close();
    }
  });

  it('deletes a log file whose header was cut short (a crash while creating it)', async () => {
    const source = freshDir();
    const first = await open({ dataDir: source });
    await appendAll(first.storage, [1, 2]);
    await first.storage.close();
    const second = await open({ dataDir: source });
    await appendAll(second.storage, [3]);
    await second.storage.close();
    const path = join(source, 'version-2', 'log.3');
    writeFileSync(path, readFileSync(path).subarray(0, 11));
    const third = await open({ dataDir: source });
    expect(zxidsOf(third.recovery.records)).toEqual([1, 2]);
    expect(third.recovery.truncation?.stop.reason).toBe('torn-header');
    expect(readdirSync(join(source, 'version-2'))).toEqual(['log.1']);
    await third.storage.close();
  });
});

describe('damaged files other than a torn tail', () => {
  it('reuses the name of a log file that held only a header and a torn record', async () => {
    const dataDir = freshDir();
    const first = await open({ dataDir });
    await appendAll(first.storage, [1, 2]);
    await first.storage.close();
    const second = await open({ dataDir });
    await appendAll(second.storage, [3]);
    await second.storage.close();
    const path = join(dataDir, 'version-2', 'log.3');
    writeFileSync(path, readFileSync(path).subarray(0, logHeaderBytes + 5));
    const third = await open({ dataDir });
    expect(zxidsOf(third.recovery.records)).toEqual([1, 2]);
    expect(statSync(path).size).toBe(logHeaderBytes);
    unwrap(await third.storage.append(3n, new TextEncoder().encode('again')));
    await third.storage.close();
    const fourth = await open({ dataDir });
    expect(zxidsOf(fourth.recovery.records)).toEqual([1, 2, 3]);
    expect(textOf(fourth.recovery.records[2]!.payload)).toBe('again');
    await fourth.storage.close();
  });

  it('sets a log file with a damaged header aside, with every later one', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, logBytesMax: 80 });
    for (const z of range(1, 9)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    await storage.close();
    const dir = join(dataDir, 'version-2');
    const bytes = readFileSync(join(dir, 'log.4'));
    bytes[9] = bytes[9]! ^ 1; // inside firstZxid: the header checksum fails
    writeFileSync(join(dir, 'log.4'), bytes);
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual([1, 2, 3]);
    expect(again.recovery.truncation).toMatchObject({ name: 'log.4', stop: { reason: 'bad-header', offset: 0 }, setAside: ['log.7'] });
    expect(readdirSync(dir).sort()).toEqual(['log.1', 'log.4.corrupt', 'log.7.corrupt']);
    await again.storage.close();
  });
});

describe('a corrupt record stops replay there', () => {
  it('recovers exactly the records before record k, whichever byte of record k is flipped', async () => {
    const source = freshDir();
    const { storage } = await open({ dataDir: source });
    for (const z of range(1, 6)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z), 3)));
    await storage.close();
    const whole = readFileSync(join(source, 'version-2', 'log.1'));
    const size = recordBytes(payloadFor(1n, 3));
    const k = 3; // the third record, zxid 3
    const start = logHeaderBytes + (k - 1) * size;
    for (let at = start; at < start + size; at++) {
      const dataDir = freshDir();
      mkdirSync(join(dataDir, 'version-2'));
      const damaged = Buffer.from(whole);
      damaged[at] = damaged[at]! ^ 0x40;
      writeFileSync(join(dataDir, 'version-2', 'log.1'), damaged);
      const reopened = await open({ dataDir });
      expect(zxidsOf(reopened.recovery.records), `flipped byte ${at}`).toEqual([1, 2]);
      expect(reopened.recovery.truncation?.stop.offset).toBe(start);
      expect(['bad-checksum', 'bad-length', 'torn-record']).toContain(reopened.recovery.truncation?.stop.reason);
      await reopened.storage.close();
    }
  });

  it('sets later log files aside instead of replaying past the hole, and appends continue cleanly', async () => {
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, logBytesMax: 80 });
    for (const z of range(1, 9)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    await storage.close();
    const dir = join(dataDir, 'version-2');
    expect(readdirSync(dir).sort()).toEqual(['log.1', 'log.4', 'log.7']);
    // Damage the second record of log.4 (zxid 5).
    const path = join(dir, 'log.4');
    const bytes = readFileSync(path);
    const at = logHeaderBytes + recordBytes(payloadFor(4n)) + 20;
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(path, bytes);

    const logged = recordingLog();
    const reopened = await open({ dataDir, log: logged.log });
    expect(zxidsOf(reopened.recovery.records)).toEqual([1, 2, 3, 4]);
    expect(reopened.recovery.truncation).toMatchObject({ name: 'log.4', stop: { reason: 'bad-checksum' }, setAside: ['log.7'] });
    expect(logged.find('txn-log-damaged')?.fields).toMatchObject({ path: expect.stringMatching(/log\.4$/), setAside: ['log.7'] });
    expect(readdirSync(dir).sort()).toEqual(['log.1', 'log.4', 'log.7.corrupt']);
    await appendAll(reopened.storage, [5, 6]);
    await reopened.storage.close();
    const third = await open({ dataDir });
    expect(zxidsOf(third.recovery.records)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(third.recovery.truncation).toBeUndefined();
    await third.storage.close();
  });
});

describe('group commit and fsync before acknowledgement', () => {
  it('coalesces 200 concurrent appends into far fewer writes and fsyncs', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    await appendAll(storage, range(1, 200));
    expect(storage.logStats.appends).toBe(200);
    // One microtask-delayed flush takes the whole burst: one write, one fsync (plus the new file's directory).
    expect(fs.fileSyncs).toBe(1);
    expect(fs.writes).toBe(1);
    expect(fs.directorySyncs).toBe(1);
    await storage.close();
  });

  it('batches appends that arrive while a flush is in flight into the next flush', async () => {
    const gate = gatedSyncFs();
    const { storage } = await open({ dataDir: freshDir(), fs: gate.fs });
    const settled: number[] = [];
    const first = storage.append(1n, payloadFor(1n)).then(() => settled.push(1));
    await gate.waitForSync(); // the first flush is now inside fsync
    const rest = range(2, 31).map((z) => storage.append(BigInt(z), payloadFor(BigInt(z))).then(() => settled.push(z)));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toEqual([]); // nothing is acknowledged before its fsync returns
    gate.release();
    await first;
    await gate.waitForSync(); // the second flush holds all 30 that queued behind it
    expect(settled).toEqual([1]);
    gate.release();
    await Promise.all(rest);
    expect(settled).toEqual(range(1, 31));
    expect(gate.syncs()).toBe(2);
    expect(storage.logStats).toEqual({ appends: 31, flushes: 2 });
    await storage.close();
  });

  it('fsyncs each append when each waits for the previous one', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    for (const z of range(1, 10)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    expect(fs.fileSyncs).toBe(10);
    await storage.close();
  });

  it('skips every fsync with forceSync off', async () => {
    const fs = new CountingFs();
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, fs, forceSync: false });
    for (const z of range(1, 10)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    await storage.close();
    expect(fs.fileSyncs).toBe(0);
    expect(fs.directorySyncs).toBe(0);
    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual(range(1, 10));
    await again.storage.close();
  });
});

describe('disk errors are values', () => {
  it('reports ENOSPC on write to the batch, refuses later appends, and recovers what was acknowledged', async () => {
    const fs = new CountingFs();
    const dataDir = freshDir();
    const logged = recordingLog();
    const { storage } = await open({ dataDir, fs, log: logged.log });
    for (const z of range(1, 3)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z))));
    fs.plan = { failWrites: { code: 'ENOSPC', at: new Set([3]) } };
    const failed = await Promise.all([storage.append(4n, payloadFor(4n)), storage.append(5n, payloadFor(5n))]);
    for (const result of failed) {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.error).toMatchObject({ kind: 'io', op: 'write', code: 'ENOSPC' });
        expect(result.error.message).toMatch(/^write .*version-2\/log\.1 failed: ENOSPC \(no space left on device\)$/);
      }
    }
    const later = await storage.append(6n, payloadFor(6n));
    expect(later.ok).toBe(false);
    if (!later.ok) expect(later.error.message).toMatch(/txn log is failed after an earlier error: write .* ENOSPC/);
    expect(storage.lastLoggedZxid).toBe(3n);
    expect(logged.find('txn-log-write-failed')).toMatchObject({ level: 'error', fields: { code: 'ENOSPC', op: 'write' } });
    await storage.close();

    const again = await open({ dataDir });
    expect(zxidsOf(again.recovery.records)).toEqual([1, 2, 3]);
    await again.storage.close();
  });

  it('reports EIO from fsync as an error of the append, never as an acknowledgement', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    unwrap(await storage.append(1n, payloadFor(1n)));
    fs.plan = { failSyncs: { code: 'EIO', at: new Set([1]) } };
    const result = await storage.append(2n, payloadFor(2n));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/^fsync .*log\.1 failed: EIO \(input\/output error\)$/);
    expect(storage.lastLoggedZxid).toBe(1n);
    await storage.close();
  });

  it('reports a failing snapshot write without throwing', async () => {
    const fs = new CountingFs();
    const { storage } = await open({ dataDir: freshDir(), fs });
    fs.plan = { failWrites: { code: 'ENOSPC', at: new Set([0]) } };
    const result = await storage.writeSnapshot(0n, new Uint8Array(10));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/^write snapshot .*snapshot\.0 failed: ENOSPC/);
    // The half-written temp file is removed at once: on a full disk its pages are wanted back.
    expect(readdirSync(storage.snapDir).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await storage.close();
  });
});

/** An fs whose file fsyncs wait until the test releases them. */
function gatedSyncFs(): { fs: FsLayer; waitForSync(): Promise<void>; release(): void; syncs(): number } {
  let syncCount = 0;
  let arrived: (() => void) | undefined;
  let arrivedPromise = new Promise<void>((r) => (arrived = r));
  const releases: (() => void)[] = [];
  const fs: FsLayer = {
    ...nodeFs,
    open: async (path, flags) => {
      const handle = await nodeFs.open(path, flags);
      const gated: FileHandleLike = {
        write: (b, o, l, p) => handle.write(b, o, l, p),
        sync: async () => {
          syncCount++;
          await new Promise<void>((r) => {
            releases.push(r);
            arrived?.();
          });
          return handle.sync();
        },
        close: () => handle.close(),
      };
      return gated;
    },
  };
  return {
    fs,
    waitForSync: async () => {
      await arrivedPromise;
      arrivedPromise = new Promise<void>((r) => (arrived = r));
    },
    release: () => releases.shift()?.(),
    syncs: () => syncCount,
  };
}

describe('preallocated log files (zookeeper.preAllocSize) and fdatasync', () => {
  /** The live log file as a kill -9 would leave it: copied while the writer still has it open. */
  function crashCopy(from: string): string {
    const dataDir = freshDir();
    mkdirSync(join(dataDir, 'version-2'));
    for (const name of readdirSync(join(from, 'version-2'))) writeFileSync(join(dataDir, 'version-2', name), readFileSync(join(from, 'version-2', name)));
    return dataDir;
  }

  it('grows the file in whole blocks ahead of the records, fdatasyncs it, and trims the zeros on close', async () => {
    const fs = new CountingFs();
    const dataDir = freshDir();
    const { storage } = await open({ dataDir, fs, preAllocBytes: 4096 });
    const path = join(dataDir, 'version-2', 'log.1');
    for (const z of range(1, 10)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z), 100)));
    // 20 + 10 x (16 + 106) = 1,240 bytes of records in one 4 KiB block.
    expect(statSync(path).size).toBe(4096);
    expect({ fileSyncs: fs.fileSyncs, datasyncs: fs.datasyncs, preallocations: fs.preallocations }).toEqual({ fileSyncs: 10, datasyncs: 10, preallocations: 1 });
    await appendAll(storage, range(11, 40), 100); // 3,660 more bytes: past the first block
    expect(statSync(path).size).toBe(8192);
    expect(fs.preallocations).toBe(2);
    expect(fs.handleTruncates).toBe(0);
    await storage.close();
    expect(fs.handleTruncates).toBe(1);
    const recordsBytes = range(1, 40).reduce((n, z) => n + recordBytes(payloadFor(BigInt(z), 100)), 0);
    expect(statSync(path).size).toBe(logHeaderBytes + recordsBytes);
  });

  it('reads the zero tail a crash leaves as the end of the log, not as damage', async () => {
    const source = freshDir();
    const { storage } = await open({ dataDir: source, preAllocBytes: 4096 });
    await appendAll(storage, range(1, 7));
    const dataDir = crashCopy(source);
    await storage.close();
    expect(statSync(join(dataDir, 'version-2', 'log.1')).size).toBe(4096);

    const reopened = await open({ dataDir, preAllocBytes: 4096 });
    expect(zxidsOf(reopened.recovery.records)).toEqual(range(1, 7));
    expect(reopened.recovery.truncation).toBeUndefined();
    expect(reopened.storage.lastLoggedZxid).toBe(7n);
    // The zeros stay; appends continue in a new file, and both replay.
    await appendAll(reopened.storage, [8, 9]);
    const again = crashCopy(dataDir);
    await reopened.storage.close();
    expect(readdirSync(join(again, 'version-2')).sort()).toEqual(['log.1', 'log.8']);
    const third = await open({ dataDir: again });
    expect(zxidsOf(third.recovery.records)).toEqual(range(1, 9));
    expect(third.recovery.truncation).toBeUndefined();
    await third.storage.close();
  });

  it('finds a record torn inside preallocated space, for a cut at every byte of it', async () => {
    const source = freshDir();
    const { storage } = await open({ dataDir: source, preAllocBytes: 4096 });
    for (const z of range(1, 5)) unwrap(await storage.append(BigInt(z), payloadFor(BigInt(z), 7)));
    const crashed = readFileSync(join(crashCopy(source), 'version-2', 'log.1'));
    await storage.close();
    const lastStart = logHeaderBytes + 4 * recordBytes(payloadFor(1n, 7));
    const lastEnd = lastStart + recordBytes(payloadFor(5n, 7));
    expect(crashed.length).toBe(4096);

    // The write of record 5 reached the disk only up to `cut`: zeros from there on.
    for (let cut = lastStart + 1; cut < lastEnd; cut++) {
      const dataDir = freshDir();
      mkdirSync(join(dataDir, 'version-2'));
      const torn = Buffer.from(crashed);
      torn.fill(0, cut);
      writeFileSync(join(dataDir, 'version-2', 'log.1'), torn);
      const reopened = await open({ dataDir });
      expect(zxidsOf(reopened.recovery.records), `cut at ${cut}`).toEqual([1, 2, 3, 4]);
      if (cut - lastStart <= 3) {
        // Only the length field's high bytes (zeros for this 17-byte payload) got
        // there: the file is indistinguishable from one that ends after record 4.
        expect(crashed.subarray(lastStart, cut).every((b) => b === 0)).toBe(true);
        expect(reopened.recovery.truncation, `cut at ${cut}`).toBeUndefined();
      } else {
        expect(reopened.recovery.truncation, `cut at ${cut}`).toMatchObject({ name: 'log.1', stop: { reason: 'torn-record', offset: lastStart }, discardedBytes: 4096 - lastStart });
        expect(statSync(join(dataDir, 'version-2', 'log.1')).size).toBe(lastStart);
      }
      await reopened.storage.close();
    }
  });

  it('treats zeros followed by other bytes as damage, not as the end of the log', async () => {
    const source = freshDir();
    const { storage } = await open({ dataDir: source, preAllocBytes: 4096 });
    await appendAll(storage, range(1, 6));
    const crashed = readFileSync(join(crashCopy(source), 'version-2', 'log.1'));
    await storage.close();
    const third = logHeaderBytes + 2 * recordBytes(payloadFor(1n));
    // Record 3 zeroed in place, records 4..6 intact after it.
    const holed = Buffer.from(crashed);
    holed.fill(0, third, third + recordBytes(payloadFor(3n)));
    const dataDir = freshDir();
    mkdirSync(join(dataDir, 'version-2'));
    writeFileSync(join(dataDir, 'version-2', 'log.1'), holed);
    const reopened = await open({ dataDir });
    expect(zxidsOf(reopened.recovery.records)).toEqual([1, 2]);
    expect(reopened.recovery.truncation).toMatchObject({ name: 'log.1', stop: { reason: 'bad-checksum', offset: third } });
    await reopened.storage.close();
  });
});
