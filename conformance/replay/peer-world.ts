// The in-memory world the replay drives impl/quorum/peer's core through: one
// slot per server (down, LOOKING, or running the core), a disk per server
// (the epoch files, the txn log, how much of it a snapshot covers) with the
// queue of appends that only an fsync makes durable, and one FIFO channel per
// ordered pair (a TCP connection on the quorum port). It plays the runner the
// core leaves out ("the runner applies the effects", impl/quorum/peer/README.md)
// with the rules spec/zab's world.ts gives its own world, so that a
// difference the replay reports is the core's, not the harness's:
//
// - a core that goes back to LOOKING ends its run: its fsync queue is flushed
//   (the SyncRequestProcessor's shutdown), a learner's leader is told
//   (LearnerLost) and a leader's learners lose their connection (LeaderLost);
//   both directions of a broken connection are emptied, as TCP drops what was
//   in flight;
// - a LOOKING server keeps its memory (log, epochs, what it delivered) for the
//   next run, except a learner that loaded a SNAP it never made durable, which
//   rereads its disk (spec/zab reloadSnapFromDisk);
// - snapshots: the data tree is snapshotted where ZooKeeper calls takeSnapshot,
//   when a leader starts serving (Leader.lead) and when a learner finishes a
//   TRUNC or SNAP synchronisation (Learner.syncWithLeader at NEWLEADER); a
//   restart delivers what the snapshot covers;
// - crash: memory and the fsync queue are lost, the disk stays.
//
// The core's zxids are 64-bit (epoch << 32 | counter); spec/zab's are
// {epoch, counter}: `peerZxid` / `specZxid` map them explicitly. A spec txn's
// value (its client request number) travels as the 4 big-endian bytes of the
// PeerTxn's data, so the two sides' messages can be compared exactly.

import { assert } from '../../lib/assert.ts';
import type { Txn, ZabMessage, Zxid } from '../../spec/zab/types.ts';
import { lastZxid, makeZxid, zxidAt } from '../../impl/quorum/peer/history.ts';
import { startLeading } from '../../impl/quorum/peer/leader.ts';
import { startFollowing } from '../../impl/quorum/peer/learner.ts';
import { formatProjection, projectCore, projectLookingCore } from '../../impl/quorum/peer/projection.ts';
import { takeRunnerSnapshot, type StepFunction } from '../../impl/quorum/peer/recording.ts';
import { step } from '../../impl/quorum/peer/step.ts';
import type { LearnerPeer, Peer, PeerConfig, PeerDisk, PeerEffect, PeerEvent, PeerMessage, PeerTxn } from '../../impl/quorum/peer/types.ts';
import { itfInteger, type NodeProjection } from '../trace.ts';

/** spec/zab's zxid as the core's 64-bit one. */
export function peerZxid(z: Zxid): bigint {
  return makeZxid(z.epoch, BigInt(z.counter));
}

/** A spec txn as a PeerTxn: the zxid mapped, the value as 4 big-endian bytes. */
export function peerTxn(txn: Txn): PeerTxn {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, txn.value);
  return { zxid: peerZxid(txn.zxid), data };
}

/** The client request number a PeerTxn carries (peerTxn's inverse), or -1 for data of another shape. */
export function txnValue(txn: PeerTxn): number {
  return txn.data.length === 4 ? new DataView(txn.data.buffer, txn.data.byteOffset, 4).getUint32(0) : -1;
}

export function clientData(value: number): Uint8Array {
  return peerTxn({ zxid: { epoch: 0 as Zxid['epoch'], counter: 0 }, value }).data;
}

const z64 = (z: bigint) => z.toString();
const txnKey = (t: PeerTxn) => `${z64(t.zxid)}=${txnValue(t)}`;

/** A message as a comparable string; the spec's and the core's give the same string for the same message. */
export function peerMessageKey(m: PeerMessage): string {
  switch (m.type) {
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      return `${m.type}(${m.acceptedEpoch})`;
    case 'LEADERINFO':
    case 'NEWLEADER':
    case 'ACKLD':
      return `${m.type}(${m.epoch})`;
    case 'ACKEPOCH':
      return `ACKEPOCH(${m.currentEpoch}, ${z64(m.lastZxid)})`;
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      return `${m.type}(${z64(m.zxid)})`;
    case 'SNAP':
      return `SNAP(${z64(m.zxid)}; ${m.snapshot.map(txnKey).join(' ')})`;
    case 'PROPOSAL':
    case 'INFORM':
      return `${m.type}(${txnKey(m.txn)})`;
    case 'UPTODATE':
      return 'UPTODATE';
  }
}

export function specMessageKey(m: ZabMessage): string {
  switch (m.type) {
    case 'ACKEPOCH':
      return peerMessageKey({ type: 'ACKEPOCH', currentEpoch: m.currentEpoch, lastZxid: peerZxid(m.lastZxid) });
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      return peerMessageKey({ type: m.type, zxid: peerZxid(m.zxid) });
    case 'SNAP':
      return peerMessageKey({ type: 'SNAP', zxid: peerZxid(m.zxid), snapshot: m.snapshot.map(peerTxn) });
    case 'PROPOSAL':
    case 'INFORM':
      return peerMessageKey({ type: m.type, txn: peerTxn(m.txn) });
    default:
      return peerMessageKey(m);
  }
}

/** What a LOOKING server holds in memory between two runs of the core. */
export interface LookingMemory {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly history: readonly PeerTxn[];
  readonly lastCommitted: number;
}

export type Slot = { readonly status: 'down' } | { readonly status: 'looking'; readonly memory: LookingMemory } | { readonly status: 'core'; readonly peer: Peer };

export interface Server {
  slot: Slot;
  disk: PeerDisk;
  /** appendTxns queued, not yet durable. */
  pending: PeerTxn[];
  /**
   * The data tree: the txns the core delivered, in order (from `deliver` and
   * `installSnapshot` effects; on restart, what the snapshot covers). The
   * projection's lastCommittedZxid is read here, not from the core's own count.
   */
  applied: readonly PeerTxn[];
}

const isLearner = (p: Peer): p is LearnerPeer => p.role === 'FOLLOWING' || p.role === 'OBSERVING';

export class PeerWorld {
  readonly n: number;
  readonly servers: Server[];
  /** Quorum-port channels, index from * n + to. */
  readonly channels: PeerMessage[][];
  private partitioned = new Set<number>();

  constructor(
    readonly config: PeerConfig,
    servers: readonly Server[],
    /** The reducer under test: the core's step unless a test injects a broken one. */
    private readonly reducer: StepFunction = step,
  ) {
    this.n = servers.length;
    this.servers = servers.map((s) => ({ slot: s.slot, disk: s.disk, pending: [...s.pending], applied: s.applied }));
    this.channels = Array.from({ length: this.n * this.n }, () => []);
  }

  channel(from: number, to: number): PeerMessage[] {
    return this.channels[from * this.n + to]!;
  }

  peer(id: number): Peer | undefined {
    const slot = this.servers[id]!.slot;
    return slot.status === 'core' ? slot.peer : undefined;
  }

  private pairKey(a: number, b: number): number {
    return a < b ? a * this.n + b : b * this.n + a;
  }

  canTalk(a: number, b: number): boolean {
    return this.servers[a]!.slot.status !== 'down' && this.servers[b]!.slot.status !== 'down' && !this.partitioned.has(this.pairKey(a, b));
  }

  private clearChannels(a: number, b: number): void {
    this.channel(a, b).length = 0;
    this.channel(b, a).length = 0;
  }

  /** Runs one event on a running core, carries out its effects, then what its change means for the world. */
  apply(id: number, event: PeerEvent): void {
    const server = this.servers[id]!;
    if (server.slot.status !== 'core') return;
    const before = server.slot.peer;
    const transition = this.reducer(before, event);
    if (transition.state === before && transition.effects.length === 0) return;
    server.slot = { status: 'core', peer: transition.state };
    for (const effect of transition.effects) this.carryOut(id, effect);
    this.takeSnapshots(id, before, transition.state);
    if (transition.state.role === 'LOOKING' && before.role !== 'LOOKING') this.runEnded(id, before, transition.state);
  }

  private carryOut(id: number, effect: PeerEffect): void {
    const server = this.servers[id]!;
    switch (effect.type) {
      case 'persistAcceptedEpoch':
        server.disk = { ...server.disk, acceptedEpoch: effect.epoch };
        return;
      case 'persistCurrentEpoch':
        server.disk = { ...server.disk, currentEpoch: effect.epoch };
        return;
      case 'appendTxns':
        server.pending.push(...effect.txns);
        return;
      case 'truncateLog': {
        const index = server.disk.log.findIndex((t) => t.zxid > effect.zxid);
        const length = index < 0 ? server.disk.log.length : index;
        server.disk = { ...server.disk, log: server.disk.log.slice(0, length), snapshotCount: Math.min(server.disk.snapshotCount, length) };
        server.pending = server.pending.filter((t) => t.zxid <= effect.zxid);
        return;
      }
      case 'installSnapshot':
        server.disk = { ...server.disk, log: effect.txns, snapshotCount: effect.txns.length };
        server.pending = [];
        server.applied = effect.txns;
        return;
      case 'send':
        if (effect.to !== id && this.canTalk(id, effect.to)) this.channel(id, effect.to).push(effect.message);
        return;
      case 'deliver':
        server.applied = [...server.applied, effect.txn];
        return;
      case 'goLooking':
        // The state is already LOOKING; apply() ends the run once every effect is carried out.
        return;
      default:
        effect satisfies never;
    }
  }

  /** The runner's snapshots (see the header; impl/quorum/peer/recording.ts takeRunnerSnapshot, shared with the recording). */
  private takeSnapshots(id: number, before: Peer, after: Peer): void {
    const server = this.servers[id]!;
    server.disk = takeRunnerSnapshot(before, after, server.disk);
  }

  /** A core went back to LOOKING: flush, keep its memory, and break its connections. */
  private runEnded(id: number, before: Peer, looking: Peer): void {
    const server = this.servers[id]!;
    this.flushWithoutNotice(id);
    const reload = isLearner(before) && before.pendingSnapshot !== undefined;
    const memory: LookingMemory = reload
      ? { acceptedEpoch: looking.acceptedEpoch, currentEpoch: looking.currentEpoch, history: server.disk.log, lastCommitted: Math.min(server.disk.snapshotCount, server.disk.log.length) }
      : { acceptedEpoch: looking.acceptedEpoch, currentEpoch: looking.currentEpoch, history: looking.history, lastCommitted: looking.lastCommitted };
    server.slot = { status: 'looking', memory };
    if (reload) server.applied = server.disk.log.slice(0, memory.lastCommitted);
    if (isLearner(before) && before.connected) {
      this.clearChannels(id, before.leader);
      this.apply(before.leader, { type: 'LearnerLost', sid: id });
    }
    if (before.role === 'LEADING') this.leaderGone(id);
  }

  /** LeaderShutdown: every learner connected to `leader` loses its connection. */
  private leaderGone(leader: number): void {
    for (let k = 0; k < this.n; k++) {
      if (k === leader) continue;
      this.clearChannels(leader, k);
      const learner = this.peer(k);
      if (learner !== undefined && isLearner(learner) && learner.connected && learner.leader === leader) this.apply(k, { type: 'LeaderLost' });
    }
  }

  /** The SyncRequestProcessor's flush on shutdown: the queue reaches the disk; nobody is told. */
  private flushWithoutNotice(id: number): void {
    const server = this.servers[id]!;
    if (server.pending.length === 0) return;
    server.disk = { ...server.disk, log: [...server.disk.log, ...server.pending] };
    server.pending = [];
  }

  /** The group commit: the whole queue becomes durable and the core hears LogSynced (spec/zab DiskSync). */
  fsync(id: number): void {
    const server = this.servers[id]!;
    if (server.pending.length === 0) return;
    const durable = server.pending;
    this.flushWithoutNotice(id);
    this.apply(id, { type: 'LogSynced', zxid: lastZxid(durable) });
  }

  /** The election chose `id` to lead: the core starts from the server's memory. */
  startLeading(id: number): void {
    const memory = this.lookingMemory(id);
    this.servers[id]!.slot = { status: 'core', peer: startLeading(id, this.config, this.diskOf(id, memory)) };
  }

  /** The election chose `leader` for `id`: the learner's core starts (not yet connected). */
  startFollowing(id: number, leader: number): void {
    const memory = this.lookingMemory(id);
    this.servers[id]!.slot = { status: 'core', peer: startFollowing(id, this.config, this.diskOf(id, memory), leader) };
  }

  private lookingMemory(id: number): LookingMemory {
    const slot = this.servers[id]!.slot;
    assert(slot.status === 'looking', () => `server ${id} starts a core while ${slot.status}`);
    return slot.memory;
  }

  /** The core starts from a PeerDisk; what the server kept in memory across the election is that disk's content. */
  private diskOf(id: number, memory: LookingMemory): PeerDisk {
    const disk = this.servers[id]!.disk;
    // The core starts with the data tree the server holds: its applied txns (a prefix of its log).
    return { acceptedEpoch: memory.acceptedEpoch, currentEpoch: memory.currentEpoch, log: memory.history, snapshotCount: Math.max(this.servers[id]!.applied.length, Math.min(disk.snapshotCount, memory.history.length)) };
  }

  crash(id: number): void {
    const server = this.servers[id]!;
    const before = server.slot;
    server.slot = { status: 'down' };
    server.pending = [];
    server.applied = [];
    for (let k = 0; k < this.n; k++) if (k !== id) this.clearChannels(id, k);
    if (before.status !== 'core') return;
    const peer = before.peer;
    if (isLearner(peer) && peer.connected) this.apply(peer.leader, { type: 'LearnerLost', sid: id });
    if (peer.role === 'LEADING') this.leaderGone(id);
  }

  /** NodeStart: up from disk, LOOKING; what the snapshot covers is delivered. */
  restart(id: number): void {
    const server = this.servers[id]!;
    const disk = server.disk;
    const snapshotCount = Math.min(disk.snapshotCount, disk.log.length);
    server.slot = { status: 'looking', memory: { acceptedEpoch: disk.acceptedEpoch, currentEpoch: disk.currentEpoch, history: disk.log, lastCommitted: snapshotCount } };
    server.pending = [];
    server.applied = disk.log.slice(0, snapshotCount);
  }

  /** The runner ends a core's run without a core event (a leader's sync-limit timeout: LeaderShutdown). */
  endRun(id: number): void {
    const slot = this.servers[id]!.slot;
    if (slot.status !== 'core') return;
    const p = slot.peer;
    const looking: Peer = { role: 'LOOKING', id: p.id, config: p.config, acceptedEpoch: p.acceptedEpoch, currentEpoch: p.currentEpoch, history: p.history, lastCommitted: p.lastCommitted, syncedZxid: p.syncedZxid };
    this.servers[id]!.slot = { status: 'core', peer: looking };
    this.runEnded(id, p, looking);
  }

  partition(a: number, b: number): void {
    this.partitioned.add(this.pairKey(a, b));
    this.clearChannels(a, b);
    for (const [learner, leader] of [
      [a, b],
      [b, a],
    ] as const) {
      const p = this.peer(learner);
      if (p !== undefined && isLearner(p) && p.connected && p.leader === leader) this.apply(learner, { type: 'LeaderLost' });
    }
  }

  heal(a: number, b: number): void {
    this.partitioned.delete(this.pairKey(a, b));
  }

  /** Every server's projection (conformance/adapters/zab.ts's fields), read from the core, its memory and its disk. */
  project(): NodeProjection[] {
    return this.servers.map((server, id) => projectServer(id, server));
  }
}

/** A server's projection: its core as impl/quorum/peer/projection.ts reads one, its delivered prefix as its data tree, its disk's log. */
export function projectServer(id: number, server: Server): NodeProjection {
  const slot = server.slot;
  if (slot.status === 'down') return { state: 'DOWN' };
  const loggedZxid = lastZxid(server.disk.log);
  const committedZxid = lastZxid(server.applied);
  const core = slot.status === 'looking' ? projectLookingCore(slot.memory, committedZxid, loggedZxid) : projectCore(slot.peer, id, committedZxid, loggedZxid);
  return formatProjection(core, itfInteger);
}
