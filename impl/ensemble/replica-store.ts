// An ensemble member's disk, as the peer core sees it (PeerDisk): the epoch
// files, the txn log and the newest snapshot, with a mirror in memory of what
// the log holds after that snapshot. ZooKeeper keeps the same things in
// FileTxnSnapLog, QuorumPeer.acceptedEpoch/currentEpoch and
// ZKDatabase.committedLog.
//
// Why a mirror: every role run (after each election) starts from what is on
// disk, as the peer core's README requires, and a run rebuilds its data tree
// from the snapshot plus the logged txns it knows to be committed. Reading the
// log files back each time would be slow; the mirror is exactly what was
// appended (and truncated) since the snapshot, so it is what recovery would
// read. It starts with the committed txns up to the snapshot's own when the
// log still holds that run whole (recordsBeforeSnapshot: the committedLog a
// leader serves DIFFs from); otherwise with a stand-in for the snapshot (its
// zxid, no payload), so that the core's history never starts at zxid 0 when a
// snapshot exists. The stand-in is committed and is never sent: a learner
// behind it gets a SNAP, one at it an empty DIFF.
//
// Every write here returns only once it is durable, except `append`, whose
// promise resolves when the txn is: the peer core gets `LogSynced` then.

import { assert } from '../../lib/assert.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { storageOptionsFrom } from '../config/storage-options.ts';
import type { PeerDisk, PeerTxn } from '../quorum/peer/types.ts';
import { hex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { Storage } from '../storage/storage.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import { DataTree } from '../tree/data-tree.ts';
import { deserializeTree, serializeTree } from '../tree/snapshot.ts';
import { decodeTxn } from '../tree/txn.ts';
import { durationSummary, recordDuration, type DurationSummary } from '../observability/duration-summary.ts';

const noPayload = new Uint8Array(0);

export class ReplicaStore {
  acceptedEpoch: number;
  currentEpoch: number;
  /** The newest snapshot (its serialised tree), or none. */
  private snapshot: { readonly zxid: bigint; readonly blob: Uint8Array } | undefined;
  /** The log after the snapshot, the snapshot's own entry first (see the header). */
  private mirror: PeerTxn[];
  private durable: bigint;
  private failure: string | undefined;
  private snapshotting = false;
  readonly fsyncTimeMs: DurationSummary = durationSummary();
  readonly snapshotTimeMs: DurationSummary = durationSummary();
  committedLogCountMax = 500;

  private constructor(
    readonly storage: Storage,
    private readonly log: StructuredLogger,
    acceptedEpoch: number,
    currentEpoch: number,
    snapshot: { zxid: bigint; blob: Uint8Array } | undefined,
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
    this.durable = storage.lastLoggedZxid;
  }

  static async open(config: ZooKeeperConfig, log: StructuredLogger): Promise<Result<ReplicaStore, string>> {
    const opened = await Storage.open({ ...storageOptionsFrom(config), log: (line) => log('info', 'storage', { message: line }) });
    if (!opened.ok) return err(`cannot recover ${config.dataDir}: ${opened.error.message}`);
    const { storage, recovery } = opened.value;
    if (recovery.truncation !== undefined) {
      log('warn', 'log-truncated', { name: recovery.truncation.name, reason: recovery.truncation.stop.reason, discardedBytes: recovery.truncation.discardedBytes });
    }
    const epochs: number[] = [];
    for (const name of ['acceptedEpoch', 'currentEpoch'] as const) {
      const read = await storage.readEpoch(name);
      if (!read.ok) {
        await storage.close();
        return err(`cannot read ${name}: ${read.error.message}`);
      }
      epochs.push(Number(read.value ?? 0n));
    }
    const records = recovery.records.map((r) => ({ zxid: r.zxid, data: r.payload }));
    const before = recovery.recordsBeforeSnapshot.map((r) => ({ zxid: r.zxid, data: r.payload }));
    const store = new ReplicaStore(storage, log, epochs[0]!, epochs[1]!, recovery.snapshot, before, records);
    // QuorumPeer.loadDataBase: a currentEpoch file behind the log's epoch is an error in ZooKeeper
    // ("The current epoch is older than the last zxid"); a fresh install has neither.
    return ok(store);
  }

  get failed(): string | undefined {
    return this.failure;
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
    return this.durable;
  }

  /**
   * The data tree holding the snapshot and the logged txns up to `upToZxid`
   * (all of them when undefined): what a leader serves, or what it sends as a
   * SNAP (only committed txns: the caller passes the last committed zxid).
   */
  buildTree(upToZxid?: bigint): Result<DataTree, string> {
    let tree: DataTree;
    if (this.snapshot === undefined) tree = new DataTree();
    else {
      const decoded = deserializeTree(this.snapshot.blob);
      if (!decoded.ok) return err(`snapshot ${hex(this.snapshot.zxid)} does not decode: ${decoded.error}`);
      tree = decoded.value;
    }
    for (const entry of this.mirror) {
      if (entry.zxid <= tree.lastProcessedZxid) continue;
      if (upToZxid !== undefined && entry.zxid > upToZxid) break;
      const txn = decodeTxn(entry.data);
      if (!txn.ok) return err(`logged txn ${hex(entry.zxid)} does not decode: ${txn.error}`);
      tree.applyTxn(txn.value);
    }
    return ok(tree);
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

  private write(txn: PeerTxn): Promise<Result<bigint, string>> {
    const startedAtMs = performance.now();
    return this.storage.append(txn.zxid, txn.data).then((result) => {
      if (!result.ok) {
        this.failure ??= `txn ${hex(txn.zxid)} could not be logged: ${result.error.message}`;
        return err(this.failure);
      }
      recordDuration(this.fsyncTimeMs, performance.now() - startedAtMs);
      if (txn.zxid > this.durable) this.durable = txn.zxid;
      return ok(txn.zxid);
    });
  }

  /** Waits until every append issued so far is durable. */
  async flush(): Promise<Result<void, string>> {
    if (this.heldCount > 0) {
      const synced = await this.syncHeld();
      if (!synced.ok) return synced;
    }
    const flushed = await this.storage.flush();
    if (!flushed.ok) return err(flushed.error.message);
    this.durable = this.lastLoggedZxid;
    return ok(undefined);
  }

  /** Epoch-file writes not yet durable (test-control mode's projection reads it: a write in flight is not on disk). */
  epochWritesInFlight = 0;

  async writeEpoch(name: 'acceptedEpoch' | 'currentEpoch', epoch: number): Promise<Result<void, string>> {
    this.epochWritesInFlight++;
    const written = await this.storage.writeEpoch(name, BigInt(epoch));
    this.epochWritesInFlight--;
    if (!written.ok) return err(`cannot write ${name} ${epoch}: ${written.error.message}`);
    if (name === 'acceptedEpoch') this.acceptedEpoch = epoch;
    else this.currentEpoch = epoch;
    return ok(undefined);
  }

  /** TRUNC (ZKDatabase.truncateLog): drop every logged txn after `zxid`. */
  async truncateAfter(zxid: bigint): Promise<Result<void, string>> {
    const flushed = await this.flush();
    if (!flushed.ok) return flushed;
    const snapshotZxid = this.snapshot?.zxid ?? 0n;
    if (zxid < snapshotZxid) return err(`cannot truncate to ${hex(zxid)}: the snapshot is at ${hex(snapshotZxid)}`);
    const truncated = await this.storage.truncateAfter(zxid);
    if (!truncated.ok) return err(`truncating the log after ${hex(zxid)} failed: ${truncated.error.message}`);
    this.mirror = this.mirror.filter((t) => t.zxid <= zxid);
    this.durable = this.lastLoggedZxid;
    return ok(undefined);
  }

  /** SNAP: the leader's tree replaces ours, on disk before anything after it is acked. */
  async installSnapshot(zxid: bigint, blob: Uint8Array): Promise<Result<void, string>> {
    const flushed = await this.flush();
    if (!flushed.ok) return flushed;
    const installed = await this.storage.installSnapshot(zxid, blob);
    if (!installed.ok) return err(`installing snapshot ${hex(zxid)} failed: ${installed.error.message}`);
    this.snapshot = { zxid, blob };
    this.mirror = zxid > 0n ? [{ zxid, data: noPayload }] : [];
    this.durable = zxid;
    return ok(undefined);
  }

  /**
   * Takes a snapshot of a tree that holds committed txns only, once the log
   * holds them all, when the schedule says one is due. The mirror then keeps
   * the snapshot's entry and the txns after it.
   */
  maybeSnapshot(tree: DataTree): void {
    if (this.snapshotting || !this.storage.isSnapshotDue || this.failure !== undefined) return;
    const zxid = tree.lastProcessedZxid;
    if (zxid > this.durable) return;
    this.snapshotting = true;
    const startedAtMs = performance.now();
    const blob = serializeTree(tree);
    void this.storage.writeSnapshot(zxid, blob).then((written) => {
      this.snapshotting = false;
      if (!written.ok) {
        this.log('error', 'snapshot-failed', { zxid, message: written.error.message });
        return;
      }
      recordDuration(this.snapshotTimeMs, performance.now() - startedAtMs);
      if (this.snapshot !== undefined && this.snapshot.zxid >= zxid) return;
      this.snapshot = { zxid, blob };
      // Keep the committedLog's worth of txns before the snapshot, for DIFFs.
      let first = this.mirror.findIndex((t) => t.zxid > zxid);
      if (first < 0) first = this.mirror.length;
      const before = this.mirror.slice(Math.max(0, first - this.committedLogCountMax), first).filter((t) => t.data.byteLength > 0);
      const last = before.at(-1);
      // The stand-in entry only when the snapshot's own txn is not among them: it must never sit between real txns.
      this.mirror = [...(last?.zxid === zxid ? before : [{ zxid, data: noPayload }]), ...this.mirror.slice(first)];
      this.log('info', 'snapshot-written', { zxid, bytes: blob.byteLength });
    });
  }

  close(): Promise<void> {
    return this.storage.close();
  }
}
