// The rules this layer adds to storage's: a snapshot at zxid Z reaches the
// disk only once the log is durable up to Z (a snapshot ahead of the log
// would, after a crash, hold a write whose log record was lost), and a log
// that refuses a txn makes every snapshot that includes it be dropped and
// every later append fail. The standalone and ensemble tests exercise the
// rest through the servers.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig, type ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { createLogger, type LogFields } from '../observability/logger.ts';
import { snapshotFileName, versionDirName } from '../storage/file-names.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import { CountingFs, gatedFs, temporaryDir } from '../storage/test-support.ts';
import { DataTree } from '../tree/data-tree.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import { Database } from './database.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A createSession txn at zxid n: the smallest txn that moves a tree's lastProcessedZxid. */
const session = (n: number): Txn => ({ sessionId: BigInt(n), cxid: 0, zxid: BigInt(n), time: 0n, body: { type: 'createSession', timeOut: 30_000 } });

async function open(fs: FsLayer, events: { event: string; fields: LogFields }[] = []): Promise<{ database: Database; config: ZooKeeperConfig }> {
  const dir = temporaryDir('zk-database-');
  cleanups.push(() => dir.remove());
  // snapCount 2: the schedule's threshold is drawn from [2, 2], so a snapshot is due after the second txn.
  const config = { ...defaultConfig(dir.path), snapCount: 2 };
  const log = Object.assign((_level: string, event: string, fields: LogFields = {}) => void events.push({ event, fields }), createLogger('fatal'));
  const opened = await Database.open(config, { log, fs, snapshotSeed: 1 });
  if (!opened.ok) throw new Error(opened.error);
  cleanups.push(() => opened.value.database.close());
  return { database: opened.value.database, config };
}

const snapshotOnDisk = (config: ZooKeeperConfig, zxid: bigint) => existsSync(join(config.dataDir, versionDirName, snapshotFileName(zxid)));

describe('Database', () => {
  it('writes a due snapshot only once the log is durable up to its zxid', async () => {
    const { fs, gate, hold, release } = gatedFs();
    const { database, config } = await open(fs);
    const tree = new DataTree();
    hold();
    const txns = [session(1), session(2)];
    for (const txn of txns) tree.applyTxn(txn);
    const appended = database.append(txns.map((txn) => ({ zxid: txn.zxid, data: encodeTxn(txn) })));
    const written = database.snapshotIfDue(tree);
    await new Promise((r) => setTimeout(r, 200));
    expect(gate.waiting, 'the log is inside its fsync').toBe(1);
    expect(database.durableZxid).toBe(0n);
    expect(snapshotOnDisk(config, 2n), 'no snapshot while the txns it holds are not durable').toBe(false);
    release();
    expect((await appended).ok).toBe(true);
    expect((await written)?.zxid).toBe(2n);
    expect(snapshotOnDisk(config, 2n)).toBe(true);
    expect(database.snapshotTimeMs.count).toBe(1);
    expect(database.fsyncTimeMs.count).toBe(1);
  });

  it('drops the snapshot of a tree whose txns the log refused, and refuses every later append', async () => {
    const fs = new CountingFs();
    const events: { event: string; fields: LogFields }[] = [];
    const { database, config } = await open(fs, events);
    const tree = new DataTree();
    fs.plan = { failWrites: { code: 'ENOSPC', at: new Set([fs.writes]) } };
    const txns = [session(1), session(2)];
    for (const txn of txns) tree.applyTxn(txn);
    const appended = database.append(txns.map((txn) => ({ zxid: txn.zxid, data: encodeTxn(txn) })));
    const written = database.snapshotIfDue(tree);
    const refused = await appended;
    expect(!refused.ok && refused.error.zxid).toBe(1n);
    expect(database.failure?.message).toMatch(/^txn 0x1 could not be logged: .*ENOSPC/);
    expect(await written).toBeUndefined();
    expect(snapshotOnDisk(config, 2n)).toBe(false);
    expect(events.map((e) => e.event)).toContain('snapshot-dropped');
    expect(await database.whenDurable(2n)).toBe(false);
    const later = await database.append([{ zxid: 3n, data: encodeTxn(session(3)) }]);
    expect(later.ok).toBe(false);
  });
});
