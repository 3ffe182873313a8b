// The in-memory world the peer core runs in, outside a real server: it plays
// the runner the core leaves out ("the runner applies the effects",
// README.md) with the rules spec/zab's world gives its own servers
// (spec/zab/world.ts), so that a difference found through it is the core's.
// Two schedulers drive it: the seeded simulation (simulation.ts: random
// choices, the oracle's eras, online checks) and the in-process conformance
// replay (conformance/replay/replay.ts: a spec/zab trace as the schedule).
//
// What the world holds:
// - one slot per server: down, LOOKING between two runs of the core (with
//   what it keeps in memory), or running the core;
// - a disk per server (the epoch files, the txn log, how much of the log a
//   snapshot covers) and the queue of appends that only an fsync makes
//   durable (the SyncRequestProcessor's); the epoch files and truncation are
//   written at once, as the core's effects require;
// - the data tree, as far as a projection reads it: how many committed txns
//   the `deliver` and `installSnapshot` effects applied, and the last one;
// - one FIFO channel per ordered pair (a TCP connection on the quorum port),
//   and the partitioned pairs.
//
// Its rules, each spec/zab's:
// - a message is sent only between two servers that are up and not
//   partitioned (spec/zab canTalk); a LOOKING server's channels keep what
//   reaches them, a down server gets nothing;
// - an fsync makes the queue durable, then the core hears LogSynced (DiskSync);
//   a scheduler may make only a prefix durable (a group commit that took part
//   of the queue), which spec/zab's DiskSync never does;
// - a core that goes back to LOOKING ends its run: its queue is flushed (the
//   SyncRequestProcessor's shutdown), a learner's leader is told
//   (RemoveLearner: LearnerLost) and a leader's learners lose their connection
//   (LeaderShutdown: LeaderLost); both directions of a broken connection are
//   emptied, as TCP drops what was in flight;
// - a LOOKING server keeps its memory (log, epochs, what it delivered) for the
//   next run, except a learner that loaded a SNAP it never made durable, which
//   rereads its disk (spec/zab reloadSnapFromDisk);
// - snapshots: the data tree is snapshotted where ZooKeeper calls
//   takeSnapshot, when a leader starts serving (Leader.lead) and when a
//   learner finishes a TRUNC or SNAP synchronisation (Learner.syncWithLeader
//   at NEWLEADER); a restart delivers what the snapshot covers;
// - crash: memory and the queue are lost, the disk stays; the other side of
//   each connection is told as when a run ends. `crashAll` is every server
//   losing power at once (nobody is left to be told), which spec/zab's
//   one-crash-per-step world cannot do; only a simulation without a witness
//   uses it.
//
// Channels are listed (`channels()`) in the order they first carried a
// message since the last `crashAll`: the simulation picks among them by
// index, so that order is part of what a seed replays.

import { assert, assertNever } from '../../../lib/assert.ts';
import { hex } from '../../../lib/hex.ts';
import { isUnchanged, type Transition } from '../../../lib/transition.ts';
import { indexOfZxid, lastZxid, zxidAt } from './history.ts';
import { startLeading } from './leader.ts';
import { startFollowing } from './learner.ts';
import { projectCore, projectLookingCore, type CoreProjection } from './projection.ts';
import { step } from './step.ts';
import type { LearnerPeer, Peer, PeerConfig, PeerDisk, PeerEffect, PeerEvent, PeerMessage, PeerTxn } from './types.ts';

export type StepFunction = (peer: Peer, event: PeerEvent) => Transition<Peer, PeerEffect>;

/** What a LOOKING server holds in memory between two runs of the core. */
export interface LookingMemory {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly history: readonly PeerTxn[];
  readonly lastCommitted: number;
}

export type Slot = { readonly status: 'down' } | { readonly status: 'looking'; readonly memory: LookingMemory } | { readonly status: 'core'; readonly peer: Peer };

/** The data tree as a projection reads it: how many committed txns it holds, and the last one's zxid. */
export interface AppliedTxns {
  readonly count: number;
  readonly zxid: bigint;
}

export interface WorldServer {
  slot: Slot;
  disk: PeerDisk;
  /** appendTxns queued, not yet durable. */
  pending: PeerTxn[];
  /** From the `deliver` and `installSnapshot` effects; on restart, what the snapshot covers. */
  applied: AppliedTxns;
}

export interface WorldOptions {
  /** The reducer under test: the core's step unless a test injects a broken one or a recorder wraps it. */
  readonly step?: StepFunction;
  /**
   * Told of each effect before the world carries it out, with the core's new
   * state and the event that asked for it (the simulation's online checks).
   */
  readonly beforeEffect?: (id: number, peer: Peer, effect: PeerEffect, event: PeerEvent) => void;
  /** A broken world that reports fsync as soon as txns are queued, without writing them: the simulation's checks must catch it. */
  readonly lyingFsync?: boolean;
}

const isLearner = (p: Peer): p is LearnerPeer => p.role === 'FOLLOWING' || p.role === 'OBSERVING';

const NO_MESSAGES: readonly PeerMessage[] = [];

/** A server as it comes up from `disk` (NodeStart): LOOKING with the disk's content in memory, the snapshot delivered. */
export function serverFromDisk(disk: PeerDisk): WorldServer {
  const snapshotCount = Math.min(disk.snapshotCount, disk.log.length);
  return {
    slot: { status: 'looking', memory: { acceptedEpoch: disk.acceptedEpoch, currentEpoch: disk.currentEpoch, history: disk.log, lastCommitted: snapshotCount } },
    disk,
    pending: [],
    applied: { count: snapshotCount, zxid: zxidAt(disk.log, snapshotCount) },
  };
}

/**
 * The runner's snapshots, as ZooKeeper takes them (spec/zab writes the same
 * ones, so a restart delivers the same prefix): when a leader starts serving
 * (Leader.lead's takeSnapshot) and when a learner's TRUNC synchronisation
 * completes at NEWLEADER (Learner.syncWithLeader; a SNAP's is installSnapshot).
 * Returns the disk with `snapshotCount` moved, or the disk itself.
 */
function takeRunnerSnapshot(before: Peer, after: Peer, disk: PeerDisk): PeerDisk {
  if (before.role === 'LEADING' && after.role === 'LEADING' && before.phase === 'SYNCHRONIZATION' && after.phase === 'BROADCAST') {
    return { ...disk, snapshotCount: Math.max(disk.snapshotCount, Math.min(after.history.length, disk.log.length)) };
  }
  if (isLearner(before) && isLearner(after)) {
    if (!before.newLeaderReceived && after.newLeaderReceived && before.syncMode === 'TRUNC') return { ...disk, snapshotCount: Math.min(before.history.length, disk.log.length) };
  }
  return disk;
}

export class MemoryWorld {
  readonly n: number;
  readonly servers: WorldServer[];
  /** Quorum-port channels by from * n + to, in the order they first carried a message (see the header). */
  private readonly channelsByPair = new Map<number, PeerMessage[]>();
  private readonly partitioned = new Set<number>();
  private readonly reducer: StepFunction;

  constructor(
    readonly config: PeerConfig,
    servers: readonly WorldServer[],
    private readonly options: WorldOptions = {},
  ) {
    this.n = servers.length;
    this.servers = servers.map((s) => ({ slot: s.slot, disk: s.disk, pending: [...s.pending], applied: s.applied }));
    this.reducer = options.step ?? step;
  }

  peer(id: number): Peer | undefined {
    const slot = this.servers[id]!.slot;
    return slot.status === 'core' ? slot.peer : undefined;
  }

  /** The messages in flight from `from` to `to`, oldest first. */
  messages(from: number, to: number): readonly PeerMessage[] {
    return this.channelsByPair.get(from * this.n + to) ?? NO_MESSAGES;
  }

  /** Every channel with a message in flight, in the order the channels first carried one. */
  channels(): { readonly from: number; readonly to: number }[] {
    const out: { from: number; to: number }[] = [];
    for (const [pair, queue] of this.channelsByPair) if (queue.length > 0) out.push({ from: Math.floor(pair / this.n), to: pair % this.n });
    return out;
  }

  /** The head of the channel from `from` to `to` reaches `to`'s core (if it runs one: a LOOKING server drops it). */
  deliver(from: number, to: number): PeerMessage {
    const message = this.channelsByPair.get(from * this.n + to)?.shift();
    assert(message !== undefined, () => `deliver from ${from} to ${to}: the channel is empty`);
    this.apply(to, { type: 'Receive', from, message });
    return message;
  }

  canTalk(a: number, b: number): boolean {
    return this.servers[a]!.slot.status !== 'down' && this.servers[b]!.slot.status !== 'down' && !this.partitioned.has(this.pairKey(a, b));
  }

  private pairKey(a: number, b: number): number {
    return a < b ? a * this.n + b : b * this.n + a;
  }

  private send(from: number, to: number, message: PeerMessage): void {
    if (to === from || !this.canTalk(from, to)) return;
    const pair = from * this.n + to;
    const queue = this.channelsByPair.get(pair);
    if (queue === undefined) this.channelsByPair.set(pair, [message]);
    else queue.push(message);
  }

  private clearChannels(a: number, b: number): void {
    const ab = this.channelsByPair.get(a * this.n + b);
    if (ab !== undefined) ab.length = 0;
    const ba = this.channelsByPair.get(b * this.n + a);
    if (ba !== undefined) ba.length = 0;
  }

  /** Runs one event on a running core, carries out its effects, then what its change means for the world. */
  apply(id: number, event: PeerEvent): void {
    const server = this.servers[id]!;
    if (server.slot.status !== 'core') return;
    const before = server.slot.peer;
    const transition = this.reducer(before, event);
    if (isUnchanged(before, transition)) return;
    const { state, effects } = transition;
    server.slot = { status: 'core', peer: state };
    for (const effect of effects) {
      this.options.beforeEffect?.(id, state, effect, event);
      this.carryOut(id, effect);
    }
    server.disk = takeRunnerSnapshot(before, state, server.disk);
    if (state.role === 'LOOKING' && before.role !== 'LOOKING') this.runEnded(id, before, state);
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
        if (this.options.lyingFsync === true) this.apply(id, { type: 'LogSynced', zxid: lastZxid(effect.txns) });
        return;
      case 'truncateLog': {
        // A learner truncates only at the start of its synchronisation, with nothing queued and its history on disk.
        const index = indexOfZxid(server.disk.log, effect.zxid);
        assert(index >= 0, () => `server ${id} truncates to ${hex(effect.zxid)}, which is not on its disk`);
        assert(server.pending.length === 0, () => `server ${id} truncates with ${server.pending.length} appends queued`);
        server.disk = { ...server.disk, log: server.disk.log.slice(0, index), snapshotCount: Math.min(server.disk.snapshotCount, index) };
        return;
      }
      case 'installSnapshot':
        server.disk = { ...server.disk, log: effect.txns, snapshotCount: effect.txns.length };
        server.pending = [];
        server.applied = { count: effect.txns.length, zxid: lastZxid(effect.txns) };
        return;
      case 'send':
        this.send(id, effect.to, effect.message);
        return;
      case 'deliver':
        server.applied = { count: server.applied.count + 1, zxid: effect.txn.zxid };
        return;
      case 'goLooking':
        // The state is already LOOKING; apply() ends the run once every effect is carried out.
        return;
      default:
        assertNever(effect, 'peer effect');
    }
  }

  /** A core went back to LOOKING: keep its memory, flush its queue, and break its connections. */
  private runEnded(id: number, before: Peer, looking: Peer): void {
    const server = this.servers[id]!;
    // As spec/zab's apply: a SNAP held in memory is dropped and the disk reread (before the flush; nothing
    // is queued while a SNAP waits for NEWLEADER).
    const reload = isLearner(before) && before.pendingSnapshot !== undefined;
    const history = reload ? server.disk.log : looking.history;
    const lastCommitted = reload ? Math.min(server.disk.snapshotCount, server.disk.log.length) : looking.lastCommitted;
    if (reload) server.applied = { count: lastCommitted, zxid: zxidAt(history, lastCommitted) };
    server.slot = { status: 'looking', memory: { acceptedEpoch: looking.acceptedEpoch, currentEpoch: looking.currentEpoch, history, lastCommitted } };
    this.flushWithoutNotice(id);
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

  /**
   * The group commit: the first `count` queued appends (default all, as
   * spec/zab's DiskSync) become durable and the core hears LogSynced.
   */
  fsync(id: number, count?: number): void {
    const server = this.servers[id]!;
    if (server.pending.length === 0) return;
    const take = count ?? server.pending.length;
    assert(take >= 1 && take <= server.pending.length, () => `server ${id}: fsync of ${take} of ${server.pending.length} queued appends`);
    const durable = server.pending.slice(0, take);
    server.pending = server.pending.slice(take);
    server.disk = { ...server.disk, log: [...server.disk.log, ...durable] };
    this.apply(id, { type: 'LogSynced', zxid: lastZxid(durable) });
  }

  /** The election chose `id` to lead: the core starts from the server's memory. */
  startLeading(id: number): void {
    const disk = this.diskOf(id);
    this.servers[id]!.slot = { status: 'core', peer: startLeading(id, this.config, disk) };
  }

  /** The election chose `leader` for `id`: the learner's core starts (not yet connected). */
  startFollowing(id: number, leader: number): void {
    const disk = this.diskOf(id);
    this.servers[id]!.slot = { status: 'core', peer: startFollowing(id, this.config, disk, leader) };
  }

  /** The core starts from a PeerDisk; what the server kept in memory across the election is that disk's content. */
  private diskOf(id: number): PeerDisk {
    const server = this.servers[id]!;
    const slot = server.slot;
    assert(slot.status === 'looking', () => `server ${id} starts a core while ${slot.status}`);
    const memory = slot.memory;
    // The core starts with the data tree the server holds: its applied txns (a prefix of its log).
    const snapshotCount = Math.max(server.applied.count, Math.min(server.disk.snapshotCount, memory.history.length));
    return { acceptedEpoch: memory.acceptedEpoch, currentEpoch: memory.currentEpoch, log: memory.history, snapshotCount };
  }

  /** NodeCrash: memory and queue lost; whoever was connected to it is told. */
  crash(id: number): void {
    const server = this.servers[id]!;
    const before = server.slot;
    server.slot = { status: 'down' };
    server.pending = [];
    server.applied = { count: 0, zxid: 0n };
    for (let k = 0; k < this.n; k++) if (k !== id) this.clearChannels(id, k);
    if (before.status !== 'core') return;
    const peer = before.peer;
    if (isLearner(peer) && peer.connected) this.apply(peer.leader, { type: 'LearnerLost', sid: id });
    if (peer.role === 'LEADING') this.leaderGone(id);
  }

  /** Every server loses power at once: memory, queues and connections are gone, and nobody is told (see the header). */
  crashAll(): void {
    for (const server of this.servers) {
      server.slot = { status: 'down' };
      server.pending = [];
      server.applied = { count: 0, zxid: 0n };
    }
    this.channelsByPair.clear();
  }

  /** NodeStart: up from disk, LOOKING; what the snapshot covers is delivered. */
  restart(id: number): void {
    Object.assign(this.servers[id]!, serverFromDisk(this.servers[id]!.disk));
  }

  /** The runner ends a core's run without a core event (a leader's sync-limit timeout: LeaderShutdown). */
  endRun(id: number): void {
    const server = this.servers[id]!;
    const slot = server.slot;
    if (slot.status !== 'core') return;
    const p = slot.peer;
    const looking: Peer = { role: 'LOOKING', id: p.id, config: p.config, acceptedEpoch: p.acceptedEpoch, currentEpoch: p.currentEpoch, history: p.history, lastCommitted: p.lastCommitted, syncedZxid: p.syncedZxid };
    server.slot = { status: 'core', peer: looking };
    this.runEnded(id, p, looking);
  }

  /** PartitionStart: the pair's channels are emptied and a learner whose leader is across loses its connection. */
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

  /**
   * A server's projection (conformance/adapters/zab.ts's fields), read from
   * its core or memory, its data tree and its disk; undefined while down. With
   * `notConnectedIsLooking` a learner not yet connected is LOOKING (see
   * projection.ts).
   */
  project(id: number, options: { readonly notConnectedIsLooking?: boolean } = {}): CoreProjection | undefined {
    const server = this.servers[id]!;
    const slot = server.slot;
    if (slot.status === 'down') return undefined;
    const loggedZxid = lastZxid(server.disk.log);
    if (slot.status === 'looking') return projectLookingCore(slot.memory, server.applied.zxid, loggedZxid);
    return projectCore(slot.peer, id, server.applied.zxid, loggedZxid, options);
  }
}
