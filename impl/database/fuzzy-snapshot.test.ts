// Fuzzy snapshots (tree/fuzzy-snapshot.ts, snapshotter.ts): a snapshot walked
// a slice at a time while random txns keep changing the tree, written through
// storage, then recovered through the real path (Database.open's recovery and
// rebuildTree's replay of the log after the snapshot's zxid) must give the
// live tree back: the same digest, nodes, children, sessions,
// ephemerals, containers, TTL nodes and quota usage. Seeded; the seed is
// printed, and FUZZY_SNAPSHOT_SEED=<n> replays one.

import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../../lib/random.ts';
import { defaultConfig, type ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { createLogger } from '../observability/logger.ts';
import { CreateFlag, OpCode } from '../protocol/constants.ts';
import type { MultiOp } from '../protocol/records.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LogFields } from '../observability/logger.ts';
import { snapshotFileName, versionDirName } from '../storage/file-names.ts';
import { gatedFs, temporaryDir } from '../storage/test-support.ts';
import { openAclUnsafe, readAclUnsafe } from '../tree/acl.ts';
import { DataTree } from '../tree/data-tree.ts';
import { FuzzySnapshotWriter } from '../tree/fuzzy-snapshot.ts';
import { prepRequest, type WriteRequest } from '../tree/prep.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import { Database } from './database.ts';
import { rebuildTree } from './rebuild-tree.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const silent = createLogger('fatal');
const bytes = (s: string) => new TextEncoder().encode(s);

/** Sessions issuing random writes against a tree, each prepped and applied as the server does; the txns are kept for the log. */
class Workload {
  readonly tree = new DataTree();
  readonly pending: Txn[] = [];
  private zxid = 0n;
  private nextSession = 0x100n;
  constructor(private readonly random: Random) {}

  write(sessionId: bigint, request: WriteRequest): void {
    this.zxid += 1n;
    const txn = prepRequest(this.tree, request, { sessionId, cxid: 0, zxid: this.zxid, time: 1_000n + this.zxid, authIds: [], extendedTypesEnabled: true });
    this.tree.applyTxn(txn);
    this.pending.push(txn);
  }

  /** A small name space, so that creates, deletes and re-creates keep hitting the same paths. */
  private path(): string {
    const r = this.random;
    const depth = 1 + r.nextInt(3);
    let path = '';
    for (let d = 0; d < depth; d++) path += `/${'pcg'[d]}${r.nextInt(d === 0 ? 3 : 5)}`;
    return path;
  }

  private existing(): string {
    const paths = [...this.tree.nodes.keys()].filter((p) => p !== '/' && !p.startsWith('/zookeeper'));
    return paths.length === 0 ? this.path() : paths[this.random.nextInt(paths.length)]!;
  }

  private session(): bigint {
    const ids = [...this.tree.sessions.keys()];
    return ids.length === 0 ? 0n : ids[this.random.nextInt(ids.length)]!;
  }

  private createOp(): MultiOp {
    const r = this.random;
    const flags = [CreateFlag.PERSISTENT, CreateFlag.EPHEMERAL, CreateFlag.PERSISTENT_SEQUENTIAL, CreateFlag.EPHEMERAL_SEQUENTIAL, CreateFlag.CONTAINER, CreateFlag.PERSISTENT_WITH_TTL][r.nextInt(6)]!;
    const request = { path: this.path(), data: bytes(`v${r.nextInt(1000)}`), acl: [...openAclUnsafe], flags };
    if (flags === CreateFlag.CONTAINER) return { type: OpCode.createContainer, request };
    if (flags === CreateFlag.PERSISTENT_WITH_TTL) return { type: OpCode.createTTL, request: { ...request, ttl: 60_000n } };
    return { type: OpCode.create, request };
  }

  /** One random write: creates of every kind, deletes, setData, setACL, sessions opening and closing, multis. */
  step(): void {
    const r = this.random;
    const choice = r.nextInt(100);
    if (choice < 5 || this.tree.sessions.size === 0) {
      this.write(this.nextSession++, { type: OpCode.createSession, timeOut: 30_000 });
    } else if (choice < 9) {
      this.write(this.session(), { type: OpCode.closeSession });
    } else if (choice < 40) {
      this.write(this.session(), this.createOp() as WriteRequest);
    } else if (choice < 62) {
      this.write(this.session(), { type: OpCode.delete, request: { path: this.existing(), version: -1 } });
    } else if (choice < 82) {
      this.write(this.session(), { type: OpCode.setData, request: { path: this.existing(), data: bytes(`s${r.nextInt(1000)}`), version: -1 } });
    } else if (choice < 87) {
      this.write(this.session(), { type: OpCode.setACL, request: { path: this.existing(), acl: [...(r.nextInt(2) === 0 ? openAclUnsafe : readAclUnsafe)], version: -1 } });
    } else {
      const ops: MultiOp[] = [this.createOp(), { type: OpCode.delete, request: { path: this.existing(), version: -1 } }, { type: OpCode.setData, request: { path: this.existing(), data: bytes('m'), version: -1 } }];
      this.write(this.session(), { type: OpCode.multi, ops: ops.slice(0, 1 + r.nextInt(3)) });
    }
  }

  /** Hands the txns written since the last call to the log. */
  async log(database: Database): Promise<void> {
    const txns = this.pending.splice(0);
    const appended = await database.append(txns.map((txn) => ({ zxid: txn.zxid, data: encodeTxn(txn) })));
    if (!appended.ok) throw appended.error;
  }

  /** A quota on /p0: its usage lives in a zookeeper_stats node that changes under the walk too. */
  setUpQuota(): void {
    for (const path of ['/p0', '/zookeeper/quota/p0']) this.write(0n, { type: OpCode.create, request: { path, data: bytes(''), acl: [...openAclUnsafe], flags: 0 } });
    this.write(0n, { type: OpCode.create, request: { path: '/zookeeper/quota/p0/zookeeper_limits', data: bytes('count=50,bytes=-1'), acl: [...openAclUnsafe], flags: 0 } });
    this.write(0n, { type: OpCode.create, request: { path: '/zookeeper/quota/p0/zookeeper_stats', data: bytes('count=0,bytes=0'), acl: [...openAclUnsafe], flags: 0 } });
  }
}

async function openDatabase(config: ZooKeeperConfig, options: Partial<Parameters<typeof Database.open>[1]> = {}) {
  const opened = await Database.open(config, { log: silent, ...options });
  if (!opened.ok) throw new Error(opened.error);
  return opened.value;
}

/** Everything a client or a later replay could tell apart, in comparable form. */
function contents(tree: DataTree) {
  // Children as sets: a HashSet rebuilt by a restart has the capacity its size needs, the live one the
  // capacity its largest size needed, so their iteration orders may differ (in ZooKeeper as here), snapshot fuzzy or not.
  const nodes = [...tree.nodes].map(([path, node]) => ({ path, data: node.data, acl: node.acl, stat: node.stat, children: [...node.children].sort() }));
  nodes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const ephemerals = [...tree.ephemerals].map(([id, paths]) => [id, [...paths].sort()] as const).filter(([, paths]) => paths.length > 0);
  return { nodes, sessions: new Map(tree.sessions), ephemerals: new Map(ephemerals), containers: [...tree.containers].sort(), ttls: [...tree.ttls].sort() };
}

const baseSeed = Number(process.env.FUZZY_SNAPSHOT_SEED ?? Date.now() % 1_000_000);

describe('fuzzy snapshots', () => {
  it('a snapshot walked while random txns change the tree, plus the log after its zxid, recovers the live tree', async () => {
    console.log(`fuzzy snapshot property: seed ${baseSeed} (FUZZY_SNAPSHOT_SEED=${baseSeed} replays it)`);
    let walksWithTxnsBetween = 0;
    for (let round = 0; round < 40; round++) {
      const seed = baseSeed + round;
      const random = new Random(seed);
      const dir = temporaryDir('zk-fuzzy-');
      cleanups.push(() => dir.remove());
      const config = { ...defaultConfig(dir.path), snapCount: 1_000_000 };
      const { database } = await openDatabase(config);
      const w = new Workload(random);
      w.setUpQuota();
      for (let i = 0; i < 150 + random.nextInt(150); i++) w.step();
      await w.log(database);

      const writer = new FuzzySnapshotWriter(w.tree);
      let txnsDuringWalk = 0;
      while (!writer.step(Number.POSITIVE_INFINITY, 1 + random.nextInt(6))) {
        const n = random.nextInt(4);
        for (let i = 0; i < n; i++) w.step();
        txnsDuringWalk += n;
      }
      if (txnsDuringWalk > 0) walksWithTxnsBetween++;
      for (let i = 0; i < random.nextInt(20); i++) w.step();
      await w.log(database);
      const written = await database.storage.writeSnapshotPieces(writer.startZxid, writer.finish().chunks, 2);
      expect(written.ok, `seed ${seed}`).toBe(true);
      await database.close();

      const reopened = await openDatabase(config);
      cleanups.push(() => reopened.database.close());
      expect(reopened.recovery.snapshot?.zxid, `seed ${seed}: recovery starts from the fuzzy snapshot`).toBe(writer.startZxid);
      const rebuilt = rebuildTree(reopened.recovery.snapshot, reopened.recovery.records.map((r) => ({ zxid: r.zxid, data: r.payload })));
      if (!rebuilt.ok) throw new Error(`seed ${seed}: ${rebuilt.error}`);
      const { tree } = rebuilt.value;
      expect(tree.lastProcessedZxid, `seed ${seed}`).toBe(w.tree.lastProcessedZxid);
      expect(tree.digest.value, `seed ${seed}: digest`).toBe(w.tree.digest.value);
      expect(contents(tree), `seed ${seed}: contents`).toEqual(contents(w.tree));
    }
    // The property is only worth something if the walks were interleaved with writes.
    expect(walksWithTxnsBetween).toBeGreaterThan(30);
  });

  it('the snapshotter walks a large tree over many turns while txns go on, and writes it only once the log is durable up to the last of them', async () => {
    const random = new Random(baseSeed);
    const { fs, gate, hold, release } = gatedFs((name) => name.startsWith('log.'));
    const events: { event: string; fields: LogFields }[] = [];
    const log = Object.assign((_level: string, event: string, fields: LogFields = {}) => void events.push({ event, fields }), silent);
    const dir = temporaryDir('zk-fuzzy-');
    cleanups.push(() => dir.remove());
    // snapCount 2: the schedule's threshold is drawn from [2, 2], so a snapshot is due from the second txn on.
    const config = { ...defaultConfig(dir.path), snapCount: 2 };
    const { database } = await openDatabase(config, { log, fs, snapshotSeed: 1 });
    const w = new Workload(random);
    const big = (i: number): WriteRequest => ({ type: OpCode.create, request: { path: `/big/n${i}`, data: bytes(`n${i}`), acl: [...openAclUnsafe], flags: 0 } });
    w.write(0n, { type: OpCode.create, request: { path: '/big', data: bytes(''), acl: [...openAclUnsafe], flags: 0 } });
    for (let first = 0; first < 30_000; first += 1000) w.write(0n, { type: OpCode.multi, ops: Array.from({ length: 1000 }, (_, k) => big(first + k) as MultiOp) });
    await w.log(database);

    const startZxid = w.tree.lastProcessedZxid;
    const written = database.fuzzySnapshotIfDue(w.tree);
    // Writes between the slices, held in their fsync: the walk ends, the file must wait for them.
    hold();
    const appends: Promise<void>[] = [];
    while (!events.some((e) => e.event === 'snapshot-serialised')) {
      for (let i = 0; i < 3; i++) w.step();
      for (let i = 0; i < 3; i++) w.write(0n, { type: OpCode.delete, request: { path: `/big/n${random.nextInt(30_000)}`, version: -1 } });
      appends.push(w.log(database));
      await new Promise((resolve) => setImmediate(resolve));
    }
    const serialised = events.find((e) => e.event === 'snapshot-serialised')!.fields;
    expect(serialised['slices'] as number, 'the walk took many turns').toBeGreaterThan(3);
    expect(serialised['lastZxid'] as bigint).toBeGreaterThan(startZxid);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(gate.waiting, 'the log is inside its fsync').toBeGreaterThan(0);
    expect(existsSync(join(config.dataDir, versionDirName, snapshotFileName(startZxid))), 'no file while txns it may hold are not durable').toBe(false);
    release();
    await Promise.all(appends);
    expect(await written, 'named by the zxid it started at').toBe(startZxid);
    await database.close();

    const reopened = await openDatabase(config);
    cleanups.push(() => reopened.database.close());
    expect(reopened.recovery.snapshot?.zxid).toBe(startZxid);
    const rebuilt = rebuildTree(reopened.recovery.snapshot, reopened.recovery.records.map((r) => ({ zxid: r.zxid, data: r.payload })));
    if (!rebuilt.ok) throw new Error(rebuilt.error);
    expect(rebuilt.value.tree.digest.value).toBe(w.tree.digest.value);
    expect(contents(rebuilt.value.tree)).toEqual(contents(w.tree));
  });
});
