// An ensemble member's disk, as the peer core sees it (PeerDisk): the epoch
// files, the txn log and the newest snapshot, with a mirror in memory of what
// the log holds after that snapshot. ZooKeeper keeps the same things in
// FileTxnSnapLog, QuorumPeer.acceptedEpoch/currentEpoch and
// ZKDatabase.committedLog. The disk itself is the database both server modes
// share (impl/database: group commit, durability, the snapshot schedule,
// TRUNC, SNAP, the epoch files); what is here is only what a member adds to
// it: the mirror, the epochs as the core last saw them written, and
// test-control mode's held appends.
//
// Why a mirror: every role run (after each election) starts from what is on
// disk, as the peer core's README requires, and a run brings its data tree
// forward through the logged txns (the tree the previous run handed back,
// kept-tree.ts) or rebuilds it from the snapshot plus the log. Reading the
// log files back each time would be slow; the mirror is exactly what was
// appended (and truncated) since the snapshot, so it is what recovery would
// read. It starts with the committed txns up to the snapshot's own when the
// log still holds that run whole (recordsBeforeSnapshot: the committedLog a
// leader serves DIFFs from); otherwise with a stand-in for the snapshot (its
// zxid, no payload), so that the core's history never starts at zxid 0 when a
// snapshot exists. The stand-in is committed and is never sent: a learner
// behind it gets a SNAP, one at it an empty DIFF. For the same reason the
// store keeps the newest snapshot's bytes: a role run's tree, and every SNAP a
// leader sends, is rebuilt from them and the mirror.
//
// Every write here returns only once it is durable, except `append`, whose
// promise resolves when the txn is: the peer core gets `LogSynced` then.

import { assert } from '../../lib/assert.ts';
import { hex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { Database } from '../database/database.ts';
import { rebuildTree } from '../database/rebuild-tree.ts';
import type { Snapshot } from '../database/snapshotter.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import type { PeerDisk, PeerTxn } from '../quorum/peer/types.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { bringForward, keepable, replayStart, type KeptTree } from './kept-tree.ts';

const noPayload = new Uint8Array(0);

export class ReplicaStore {
  acceptedEpoch: number;
  currentEpoch: number;
  /** The newest snapshot (its serialised tree), or none. */
  private snapshot: Snapshot | undefined;
  /** The log after the snapshot, the snapshot's own entry first (see the header). */
  private mirror: PeerTxn[];
  committedLogCountMax = 500;
  /** The tree the last role run handed back, if any (kept-tree.ts). */
  private kept: KeptTree | undefined;
  /** Trees taken from `kept` rather than rebuilt from the snapshot, and rebuilt (tests and the settle measurements read them). */
  readonly treeCounts = { broughtForward: 0, rebuilt: 0 };

  private constructor(
    readonly database: Database,
    acceptedEpoch: number,
    currentEpoch: number,
    snapshot: Snapshot | undefined,
    before: readonly PeerTxn[],
    records: readonly PeerTxn[],
  ) {
    this.acceptedEpoch = acceptedEpoch;
    this.currentEpoch = currentEpoch;
    this.snapshot = snapshot;
    if (snapshot === undefined || snapshot.zxid === 0n) this.mirror = [...records];
    // The committed txns up to the snapshot's, when the log still holds them whole: a leader serves DIFFs from them.
    else if (before.at(-1)?.zxid === snapshot.zxid) this.mirror = [...before, ...records];
    else this.mirror = [{ zxid: snapshot.zxid, data: noPayload }, ...records];
  }

  static async open(config: ZooKeeperConfig, log: StructuredLogger, fs?: FsLayer): Promise<Result<ReplicaStore, string>> {
    const opened = await Database.open(config, { log, ...(fs === undefined ? {} : { fs }) });
    if (!opened.ok) return opened;
    const { database, recovery } = opened.value;
    const epochs: number[] = [];
    for (const name of ['acceptedEpoch', 'currentEpoch'] as const) {
      const read = await database.readEpoch(name);
      if (!read.ok) {
        await database.close();
        return read;
      }
      epochs.push(read.value ?? 0);
    }
    const records = recovery.records.map((r) => ({ zxid: r.zxid, data: r.payload }));
    const before = recovery.recordsBeforeSnapshot.map((r) => ({ zxid: r.zxid, data: r.payload }));
    const store = new ReplicaStore(database, epochs[0]!, epochs[1]!, recovery.snapshot, before, records);
    // QuorumPeer.loadDataBase: a currentEpoch file behind the log's epoch is an error in ZooKeeper
    // ("The current epoch is older than the last zxid"); a fresh install has neither.
    return ok(store);
  }

  /** What the peer core starts a role run from. */
  peerDisk(): PeerDisk {
    const snapshotZxid = this.snapshot?.zxid ?? 0n;
    let snapshotCount = 0;
    while (snapshotCount < this.mirror.length && this.mirror[snapshotCount]!.zxid <= snapshotZxid) snapshotCount++;
    return { acceptedEpoch: this.acceptedEpoch, currentEpoch: this.currentEpoch, log: [...this.mirror], snapshotCount };
  }

  get lastLoggedZxid(): bigint {
    return this.mirror.length > 0 ? this.mirror[this.mirror.length - 1]!.zxid : (this.snapshot?.zxid ?? 0n);
  }

  get durableZxid(): bigint {
    return this.database.durableZxid;
  }

  /**
   * The data tree holding the snapshot and the logged txns up to `upToZxid`
   * (all of them when undefined): what a leader serves, or what it sends as a
   * SNAP (only committed txns: the caller passes the last committed zxid).
   */
  buildTree(upToZxid?: bigint): Result<DataTree, string> {
    const rebuilt = rebuildTree(this.snapshot, this.mirror, upToZxid);
    return rebuilt.ok ? ok(rebuilt.value.tree) : rebuilt;
  }

  /**
   * The tree at `upToZxid` (the whole log when undefined) for a role run,
   * which owns it from now on: the tree the previous run handed back,
   * brought forward through the log, when there is one that can be
   * (kept-tree.ts); otherwise rebuilt from the snapshot and the log.
   */
  takeTree(upToZxid?: bigint): Result<DataTree, string> {
    const kept = this.kept;
    this.kept = undefined;
    if (kept !== undefined) {
      const forward = bringForward(kept, this.mirror, this.snapshot?.zxid ?? 0n, upToZxid ?? this.lastLoggedZxid);
      if (forward.ok) {
        this.treeCounts.broughtForward++;
        return forward;
      }
    }
    this.treeCounts.rebuilt++;
    return this.buildTree(upToZxid);
  }

  /**
   * A role run that ended hands its tree back for the next one: kept when
   * every txn in it is in the log as it is now (kept-tree.ts). Test-control
   * mode keeps nothing, so every run there starts from the disk as the
   * conformance replay expects.
   */
  keepTree(tree: DataTree): void {
    if (this.held !== undefined) return;
    const zxid = tree.lastProcessedZxid;
    if (zxid > this.lastLoggedZxid || replayStart(this.mirror, this.snapshot?.zxid ?? 0n, zxid) === undefined) return;
    this.kept = keepable(tree);
  }

  /** Logs one txn; resolves with its zxid once it is durable, or with an error (the disk refused it). */
  append(txn: PeerTxn): Promise<Result<bigint, string>> {
    assert(txn.zxid > this.lastLoggedZxid, () => `append ${hex(txn.zxid)} after ${hex(this.lastLoggedZxid)}`);
    assert(txn.data.byteLength > 0, () => `append of txn ${hex(txn.zxid)} without a payload`);
    this.mirror.push(txn);
    if (this.held !== undefined) {
      const held = this.held;
      return new Promise((resolve) => held.push({ txn, resolve }));
    }
    return this.write(txn);
  }

  /**
   * Test-control mode (control/control-mode.ts): appends are held in memory,
   * not written, until `syncHeld` (spec/zab's DiskSync); a SIGKILL before it
   * loses them, as the spec's NodeCrash loses its fsync queue.
   */
  holdAppends(): void {
    this.held ??= [];
  }

  private held: { readonly txn: PeerTxn; readonly resolve: (result: Result<bigint, string>) => void }[] | undefined;

  /** How many appends are held (test-control mode). */
  get heldCount(): number {
    return this.held?.length ?? 0;
  }

  /** Writes and fsyncs the held appends; each append's promise then resolves, in zxid order. */
  async syncHeld(): Promise<Result<void, string>> {
    const batch = this.held?.splice(0) ?? [];
    if (batch.length === 0) return ok(undefined);
    const results = await Promise.all(batch.map((h) => this.write(h.txn)));
    batch.forEach((h, k) => h.resolve(results[k]!));
    const failed = results.find((r) => !r.ok);
    return failed !== undefined && !failed.ok ? err(failed.error) : ok(undefined);
  }

  /** Each txn is appended on its own, so that each one's durability reaches the core as soon as its group commit is done. */
  private async write(txn: PeerTxn): Promise<Result<bigint, string>> {
    const appended = await this.database.append([txn]);
    // After a refusal every append reports the first one: that is why the member stops.
    if (!appended.ok) return err((this.database.failure ?? appended.error).message);
    return ok(txn.zxid);
  }

  /** Waits until every append issued so far is durable. */
  async flush(): Promise<Result<void, string>> {
    if (this.heldCount > 0) {
      const synced = await this.syncHeld();
      if (!synced.ok) return synced;
    }
    return this.database.flush();
  }

  /** Epoch-file writes not yet durable (test-control mode's projection reads it: a write in flight is not on disk). */
  epochWritesInFlight = 0;

  async writeEpoch(name: 'acceptedEpoch' | 'currentEpoch', epoch: number): Promise<Result<void, string>> {
    this.epochWritesInFlight++;
    const written = await this.database.writeEpoch(name, epoch);
    this.epochWritesInFlight--;
    if (!written.ok) return written;
    if (name === 'acceptedEpoch') this.acceptedEpoch = epoch;
    else this.currentEpoch = epoch;
    return ok(undefined);
  }

  /**
   * The TRUNC or SNAP under way, if any. Rewrites outlive the role run that
   * asked for them: a learner run that ends (its leader gone, its connection
   * closed) drops its queued effects but not the rewrite in flight, and the
   * next run could ask for another one before it is done. The database
   * asserts that never happens (two rewrites of the same files at once would
   * corrupt them), so the store runs them one after another, and `settled`
   * lets the member wait for them before it votes on its log (issue 15: a
   * flood of spoofed FOLLOWERINFO made a follower exit on that assertion).
   */
  private rewriting: Promise<unknown> = Promise.resolve();

  /** Runs `rewrite` after every rewrite asked for before it, with the log flushed first. */
  private serialise(rewrite: () => Promise<Result<void, string>>): Promise<Result<void, string>> {
    const run = async () => {
      const flushed = await this.flush();
      return flushed.ok ? rewrite() : flushed;
    };
    // After the previous one, however it ended: a rewrite that threw must not hold back the next forever.
    const next = this.rewriting.then(run, run);
    this.rewriting = next;
    return next;
  }

  /** Resolves once no TRUNC or SNAP is under way and every append issued so far is durable: the disk a vote may be taken from. */
  async settled(): Promise<Result<void, string>> {
    for (let seen = this.rewriting; ; seen = this.rewriting) {
      await seen.catch(() => undefined);
      if (seen === this.rewriting) break;
    }
    return this.flush();
  }

  /** TRUNC (ZKDatabase.truncateLog): drop every logged txn after `zxid`. */
  truncateAfter(zxid: bigint): Promise<Result<void, string>> {
    return this.serialise(async () => {
      const truncated = await this.database.truncateAfter(zxid);
      // The history under a kept tree past `zxid` is rewritten (also when the rewrite failed: the member stops then).
      if (this.kept !== undefined && this.kept.zxid > zxid) this.kept = undefined;
      if (!truncated.ok) return truncated;
      this.mirror = this.mirror.filter((t) => t.zxid <= zxid);
      return ok(undefined);
    });
  }

  /** SNAP: the leader's tree replaces ours, on disk before anything after it is acked. */
  installSnapshot(zxid: bigint, blob: Uint8Array): Promise<Result<void, string>> {
    return this.serialise(async () => {
      const installed = await this.database.installSnapshot(zxid, blob);
      // A kept tree belongs to the history the snapshot replaces.
      this.kept = undefined;
      if (!installed.ok) return installed;
      this.snapshot = { zxid, blob };
      this.mirror = zxid > 0n ? [{ zxid, data: noPayload }] : [];
      return ok(undefined);
    });
  }

  /**
   * Offers a tree that holds committed txns only for a snapshot, which the
   * database takes if the schedule says one is due. Only a tree the log is
   * already durable up to: then the file is written at once
   * (database/snapshotter.ts), before a TRUNC or SNAP can start rewriting the
   * files, where a snapshot left waiting for the log could land after the
   * rewrite, on a history that no longer holds what it was taken from. The
   * mirror then keeps the snapshot's entry and the txns after it.
   */
  maybeSnapshot(tree: DataTree): void {
    if (this.database.failure !== undefined || tree.lastProcessedZxid > this.database.durableZxid) return;
    void this.database.snapshotIfDue(tree).then((written) => {
      if (written !== undefined) this.adopt(written);
    });
  }

  /** A snapshot of ours was written: it becomes the one role runs rebuild from, and the mirror before it shrinks to the committedLog. */
  private adopt(written: Snapshot): void {
    const { zxid } = written;
    if (this.snapshot !== undefined && this.snapshot.zxid >= zxid) return;
    this.snapshot = written;
    // Keep the committedLog's worth of txns before the snapshot, for DIFFs.
    let first = this.mirror.findIndex((t) => t.zxid > zxid);
    if (first < 0) first = this.mirror.length;
    const before = this.mirror.slice(Math.max(0, first - this.committedLogCountMax), first).filter((t) => t.data.byteLength > 0);
    const last = before.at(-1);
    // The stand-in entry only when the snapshot's own txn is not among them: it must never sit between real txns.
    this.mirror = [...(last?.zxid === zxid ? before : [{ zxid, data: noPayload }]), ...this.mirror.slice(first)];
  }

  close(): Promise<void> {
    return this.database.close();
  }
}
