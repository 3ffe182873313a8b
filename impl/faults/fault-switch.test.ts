// The fault switch in one process: its environment variable and commands, and
// storage on the switch's file system (faulty-fs.ts): fsyncs delayed and
// failed (storage fails closed: no append resolves ok after an fsync failed),
// and a crash at every point of the persistence order. A crash here freezes
// the file system (every call from then on never returns, as after a
// SIGKILL nothing more reaches the disk) and counts as acknowledged only what
// resolved before it; storage is then reopened on the same directories, as a
// restart would, and must hold every acknowledged append, and the old or the
// new state of whatever was being written (the new one once its commit point
// passed). fault-switch-process.test.ts does the same with real SIGKILLs.

import { describe, expect, it } from 'vitest';
import { nodeFs, type FileHandleLike, type FsLayer } from '../storage/fs-layer.ts';
import { Storage } from '../storage/storage.ts';
import { freshDirs, unwrap } from '../storage/test-support.ts';
import { CRASH_POINTS, type CrashPoint } from './crash-points.ts';
import { FaultSwitch, faultPortFromEnv } from './fault-switch.ts';
import { faultyFs } from './faulty-fs.ts';

const dataDir = freshDirs('zk-faults-');
const payload = (zxid: bigint) => new TextEncoder().encode(`txn ${zxid}`);

describe('ZKSPEC_FAULT_PORT', () => {
  it('is off when unset or empty, a port when a port, and refused otherwise', () => {
    expect(faultPortFromEnv({})).toEqual({ ok: true, value: undefined });
    expect(faultPortFromEnv({ ZKSPEC_FAULT_PORT: '' })).toEqual({ ok: true, value: undefined });
    expect(faultPortFromEnv({ ZKSPEC_FAULT_PORT: '40123' })).toEqual({ ok: true, value: 40123 });
    for (const bad of ['1', 'yes', '0', '65536', '12.5', '-3', ' 80']) {
      if (bad === '1') continue; // port 1 is a port (refused later by listen, not here)
      const parsed = faultPortFromEnv({ ZKSPEC_FAULT_PORT: bad });
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.error).toMatch(/ZKSPEC_FAULT_PORT=.*expected a port/);
    }
  });
});

describe('the commands', () => {
  it('set and clear each fault, and answer the state', () => {
    const faults = new FaultSwitch(() => {});
    expect(faults.command('fsync', ['delay', '250'])).toMatchObject({ fsyncDelayMs: 250, fsyncFailing: false });
    expect(faults.command('fsync', ['fail'])).toMatchObject({ fsyncFailing: true });
    expect(faults.command('fsync', ['ok'])).toMatchObject({ fsyncDelayMs: 0, fsyncFailing: false });
    expect(faults.command('clock', ['step', '+3600000'])).toMatchObject({ clockOffsetMs: 3_600_000 });
    expect(faults.command('clock', ['step', '-7200000'])).toMatchObject({ clockOffsetMs: -3_600_000 });
    expect(Math.abs(faults.now() - (Date.now() - 3_600_000))).toBeLessThan(1000);
    expect(faults.command('crash', ['at', 'log-synced', '3'])).toMatchObject({ crash: { point: 'log-synced', remaining: 3 } });
    expect(faults.command('clear', [])).toMatchObject({ fsyncDelayMs: 0, fsyncFailing: false, clockOffsetMs: 0, crash: null });
  });

  it('refuses what it cannot do, with the usage', () => {
    const faults = new FaultSwitch(() => {});
    expect(() => faults.command('fsync', ['delay', 'x'])).toThrow(/usage: fsync delay <ms>/);
    expect(() => faults.command('fsync', ['delay', '600000'])).toThrow(/at most 60000 ms/);
    expect(() => faults.command('clock', ['step', '1h'])).toThrow(/usage: clock step/);
    expect(() => faults.command('crash', ['at', 'nowhere'])).toThrow(/unknown crash point 'nowhere' \(known: log-written/);
    expect(() => faults.command('crash', ['at', 'log-written', '0'])).toThrow(/usage: crash at/);
    expect(() => faults.command('reboot', [])).toThrow(/unknown command 'reboot'/);
  });

  it('crashes on the n-th passage of the armed point only', () => {
    const died: CrashPoint[] = [];
    const faults = new FaultSwitch((point) => died.push(point));
    faults.command('crash', ['at', 'log-synced', '2']);
    faults.passing('log-written');
    faults.passing('log-synced');
    expect(died).toEqual([]);
    faults.passing('log-synced');
    faults.passing('log-synced');
    expect(died).toEqual(['log-synced']);
  });
});

describe('fsync through the switch', () => {
  it('waits out a delay before each fsync of the txn log', async () => {
    const faults = new FaultSwitch(() => {});
    const { storage } = unwrap(await Storage.open({ dataDir: dataDir(), fs: faultyFs(nodeFs, faults) }));
    faults.command('fsync', ['delay', '150']);
    const startedAt = performance.now();
    unwrap(await storage.append(1n, payload(1n)));
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(145);
    await storage.close();
  });

  it('fails with EIO, and storage fails closed: no append resolves ok after it, even once fsyncs work again', async () => {
    const faults = new FaultSwitch(() => {});
    const { storage } = unwrap(await Storage.open({ dataDir: dataDir(), fs: faultyFs(nodeFs, faults) }));
    unwrap(await storage.append(1n, payload(1n)));
    faults.command('fsync', ['fail']);
    const failed = await storage.append(2n, payload(2n));
    expect(failed.ok).toBe(false);
    if (!failed.ok) expect(failed.error).toMatchObject({ kind: 'io', code: 'EIO' });
    // fsyncgate: a retry could succeed over pages the kernel dropped; the log never retries.
    faults.command('fsync', ['ok']);
    expect((await storage.append(3n, payload(3n))).ok).toBe(false);
    await storage.close();
  });
});

/** A file system that stops dead when `freeze()` is called: every later call, handles' included, never settles. */
function freezable(inner: FsLayer): { fs: FsLayer; freeze(): void } {
  let frozen = false;
  const never = new Promise<never>(() => {});
  const gate = <T>(call: () => Promise<T>): Promise<T> => (frozen ? never : call());
  const handle = (h: FileHandleLike): FileHandleLike => ({
    write: (b, o, l, p) => gate(() => h.write(b, o, l, p)),
    sync: () => gate(() => h.sync()),
    datasync: () => gate(() => (h.datasync ?? h.sync).call(h)),
    truncate: (n) => gate(() => h.truncate!(n)),
    preallocate: (from, to) => gate(() => h.preallocate!(from, to)),
    close: () => gate(() => h.close()),
  });
  const fs: FsLayer = {
    open: (path, flags) => gate(async () => handle(await inner.open(path, flags))),
    readFile: (path) => gate(() => inner.readFile(path)),
    readdir: (path) => gate(() => inner.readdir(path)),
    rename: (from, to) => gate(() => inner.rename(from, to)),
    unlink: (path) => gate(() => inner.unlink(path)),
    truncate: (path, n) => gate(() => inner.truncate(path, n)),
    mkdir: (path) => gate(() => inner.mkdir(path)),
    syncDirectory: (path) => gate(() => inner.syncDirectory(path)),
  };
  return { fs, freeze: () => (frozen = true) };
}

type CrashRun = { readonly storage: Storage; readonly faults: FaultSwitch; crashed(): CrashPoint | undefined };

async function openCrashable(dir: string, options: { snapCount?: number } = {}): Promise<CrashRun> {
  const frozen = freezable(nodeFs);
  let crashedAt: CrashPoint | undefined;
  const faults = new FaultSwitch((point) => {
    crashedAt = point;
    frozen.freeze();
  });
  // No preallocation: the log's size is then its records, and a cut is visible.
  const { storage } = unwrap(await Storage.open({ dataDir: dir, fs: faultyFs(frozen.fs, faults), preAllocBytes: 0, ...options }));
  return { storage, faults, crashed: () => crashedAt };
}

/** Appends zxids from..to one after another, and returns those acknowledged before the crash (if any). */
async function appendUntilCrash(run: CrashRun, from: bigint, to: bigint): Promise<bigint[]> {
  const acked: bigint[] = [];
  for (let zxid = from; zxid <= to && run.crashed() === undefined; zxid++) {
    const appended = await Promise.race([run.storage.append(zxid, payload(zxid)), sleep(150).then(() => 'hung' as const)]);
    if (appended === 'hung') break;
    if (run.crashed() === undefined && appended.ok) acked.push(zxid);
  }
  return acked;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
/** Waits for an operation the crash may have frozen: its result, or 'hung'. */
const settle = <T>(p: Promise<T>) => Promise.race([p, sleep(150).then(() => 'hung' as const)]);

/** Storage reopened on `dir` with node:fs, as a restart: its records' zxids, snapshot and epochs. */
async function restart(dir: string) {
  const { storage, recovery } = unwrap(await Storage.open({ dataDir: dir }));
  const zxids = recovery.records.map((r) => r.zxid);
  const accepted = unwrap(await storage.readEpoch('acceptedEpoch'));
  await storage.close();
  return { zxids, snapshotZxid: recovery.snapshot?.zxid, accepted };
}

describe('a crash at each point of the persistence order', () => {
  it('names twelve points, each covered below', () => {
    expect(CRASH_POINTS.length).toBe(12);
  });

  for (const point of ['log-written', 'log-synced'] as const) {
    it(`${point}: every append acknowledged before it is recovered`, async () => {
      const dir = dataDir();
      const run = await openCrashable(dir);
      run.faults.command('crash', ['at', point, '5']);
      const acked = await appendUntilCrash(run, 1n, 20n);
      expect(run.crashed()).toBe(point);
      // The fifth append's fsync: four acknowledged (one fsync each, appended one after another).
      expect(acked).toEqual([1n, 2n, 3n, 4n]);
      const after = await restart(dir);
      for (const zxid of acked) expect(after.zxids).toContain(zxid);
    });
  }

  for (const point of ['snapshot-written', 'snapshot-renamed'] as const) {
    it(`${point}: the acknowledged appends are recovered, from the whole snapshot or from the log`, async () => {
      const dir = dataDir();
      const run = await openCrashable(dir);
      const acked = await appendUntilCrash(run, 1n, 10n);
      run.faults.command('crash', ['at', point]);
      expect(await settle(run.storage.writeSnapshot(10n, new TextEncoder().encode('the tree at 10')))).toBe('hung');
      expect(run.crashed()).toBe(point);
      const after = await restart(dir);
      // Before the rename there is no snapshot.10; after it, the whole one (its checksum is checked on load).
      expect(after.snapshotZxid).toBe(point === 'snapshot-written' ? undefined : 10n);
      for (const zxid of acked) expect(after.snapshotZxid === 10n || after.zxids.includes(zxid)).toBe(true);
    });
  }

  for (const [point, expected] of [
    ['accepted-epoch-before', 1n],
    ['accepted-epoch-written', 2n],
  ] as const) {
    it(`${point}: acceptedEpoch is ${expected} after the restart`, async () => {
      const dir = dataDir();
      const run = await openCrashable(dir);
      unwrap(await run.storage.writeEpoch('acceptedEpoch', 1n));
      run.faults.command('crash', ['at', point]);
      // Here the write still returns after "written" (the last fs call had returned); a SIGKILL stops the member there.
      await settle(run.storage.writeEpoch('acceptedEpoch', 2n));
      expect(run.crashed()).toBe(point);
      expect((await restart(dir)).accepted).toBe(expected);
    });
  }

  for (const [point, expected] of [
    ['current-epoch-before', 1n],
    ['current-epoch-written', 2n],
  ] as const) {
    it(`${point}: currentEpoch is ${expected} after the restart`, async () => {
      const dir = dataDir();
      const run = await openCrashable(dir);
      unwrap(await run.storage.writeEpoch('currentEpoch', 1n));
      run.faults.command('crash', ['at', point]);
      await settle(run.storage.writeEpoch('currentEpoch', 2n));
      expect(run.crashed()).toBe(point);
      const { storage } = unwrap(await Storage.open({ dataDir: dir }));
      expect(unwrap(await storage.readEpoch('currentEpoch'))).toBe(expected);
      await storage.close();
    });
  }

  for (const point of ['truncate-committed', 'truncate-cut'] as const) {
    it(`${point}: past the intent, the restart finishes the TRUNC (the log ends at the cut)`, async () => {
      const dir = dataDir();
      const run = await openCrashable(dir);
      expect(await appendUntilCrash(run, 1n, 10n)).toHaveLength(10);
      run.faults.command('crash', ['at', point]);
      expect(await settle(run.storage.truncateAfter(5n))).toBe('hung');
      expect(run.crashed()).toBe(point);
      expect((await restart(dir)).zxids).toEqual([1n, 2n, 3n, 4n, 5n]);
    });
  }

  for (const point of ['install-committed', 'install-placed'] as const) {
    it(`${point}: past the intent, the restart finishes the SNAP (the leader's snapshot, no older log)`, async () => {
      const dir = dataDir();
      const run = await openCrashable(dir);
      expect(await appendUntilCrash(run, 1n, 10n)).toHaveLength(10);
      run.faults.command('crash', ['at', point]);
      expect(await settle(run.storage.installSnapshot(20n, new TextEncoder().encode("the leader's tree at 20")))).toBe('hung');
      expect(run.crashed()).toBe(point);
      const after = await restart(dir);
      expect(after.snapshotZxid).toBe(20n);
      expect(after.zxids).toEqual([]);
    });
  }
});
