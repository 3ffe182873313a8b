// The world around the ZAB servers, as the checker explores it: servers with
// memory and disk (spec/common/host.ts), per-pair FIFO channels
// (spec/common/fifo.ts: ZooKeeper's TCP connections on the quorum port and
// the election port; ZkV3_7_0.tla's msgs and electionMsgs are sequences too),
// partitions (spec/common/partitions.ts), fault counters against their bounds,
// and ghost variables that only the invariants read (ghost.ts). The checker's
// actions on it are in actions.ts.
//
// Disks are explicit because the known bugs live there: a server's memory
// (ZabNode.history) runs ahead of its disk by the writes still queued in the
// SyncRequestProcessor (`pending`); DiskSync completes them; NodeCrash loses
// them and everything else in memory.
//
// Connections: a learner is connected to its leader while its `leader` field
// names it. When a learner leaves (LOOKING, crash, partition) the leader is told
// (RemoveLearner); when a leader leaves every connected learner is told
// (LeaderShutdown). Either way the channels between them are emptied: TCP
// drops what was in flight when a connection closes.

import * as asserts from '../../lib/assert.ts';
import * as fifo from '../common/fifo.ts';
import type { Links, MutableLinks } from '../common/fifo.ts';
import * as hosts from '../common/host.ts';
import type { Host } from '../common/host.ts';
import * as pairs from '../common/partitions.ts';
import * as elections from './election.ts';
import * as ghosts from './ghost.ts';
import type { Ghost, MutableGhost } from './ghost.ts';
import * as histories from './history.ts';
import * as shapes from './shapes.ts';
import * as steps from './step.ts';
import type { Notification, ServerConfig, Txn, ZabEffect, ZabEvent, ZabMessage, ZabNode, Zxid } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { clearPair, emptyLinks, enqueue } = fifo;
const { crashed, enqueueWrite, withDisk, withNode, withPending, withoutPending } = hosts;
const { isPartitioned } = pairs;
const { recordGhost } = ghosts;
const assert: typeof asserts.assert = asserts.assert;
const { startLooking } = elections;
const { isLearner } = histories;
const { reloadSnapFromDisk, restartFromDisk, step } = steps;
const { canonicalDisk, canonicalNode } = shapes;

export interface ZabBounds {
  /** Voting servers. */
  readonly servers: number;
  readonly observers: number;
  /** Largest epoch a leader may propose (TLC's MaxEpoch). */
  readonly maxEpoch: number;
  /** Client requests over the whole run (TLC's MaxTransactionNum). */
  readonly maxTransactions: number;
  readonly maxCrashes: number;
  readonly maxPartitions: number;
  readonly maxTimeouts: number;
  /** Election notifications the network may lose. */
  readonly maxMessageLosses: number;
  /** Messages one channel may hold (states beyond are outside the boundary). */
  readonly maxMessagesInFlight: number;
  /** Full Fast Leader Election (true) or the oracle (false). */
  readonly fle: boolean;
  /**
   * Start after an epoch-1 run instead of from empty disks (targeted presets, as TLC runs start from a
   * chosen Init): 0 = empty; 1 = every voter has T1 = (1,1) committed and server 0 also logged
   * T2 = (1,2) that nobody acked; 2 = T2 is also on server 1 and committed.
   */
  readonly initialLogs: number;
  /** Check LeaderEventuallyEstablished and LeaderProposalsCommitted under weak fairness (liveness.ts); default false. */
  readonly liveness?: boolean;
  /**
   * DiskSync may make any non-empty prefix of the queue durable, not only all of it (SyncRequestProcessor
   * flushes the batch it holds while later requests keep queueing); default false, the whole queue.
   */
  readonly partialSync?: boolean;
  /** Failed fsyncs over the whole run: the server exits at a DiskSync without acknowledging (default 0). */
  readonly maxFsyncFailures?: number;
}

export interface Disk {
  readonly log: readonly Txn[];
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly lastSnapshot: number;
}

/** A write or a message waiting in the SyncRequestProcessor's queue. */
export type PendingWrite =
  | { readonly kind: 'log'; readonly txns: readonly Txn[] }
  | { readonly kind: 'currentEpoch'; readonly epoch: number }
  | { readonly kind: 'send'; readonly to: number; readonly message: ZabMessage };

/** A server: memory (null while down), disk and the SyncRequestProcessor's queue (spec/common/host.ts). */
export type Server = Host<ZabNode, Disk, PendingWrite>;

export interface ZabCluster {
  /** What every server knows before it runs (constant over a run; not part of the fingerprint). */
  readonly config: ServerConfig;
  readonly servers: readonly Server[];
  /** Quorum-port channels, index from * n + to (spec/common/fifo.ts). */
  readonly channels: Links<ZabMessage>;
  /** Election-port channels, index from * n + to. */
  readonly notifications: Links<Notification>;
  /** Partitioned pairs, bit a * n + b for a < b (spec/common/partitions.ts). */
  readonly partitions: number;
  /** Faults taken so far, each a counter against its bound (maxCrashes, maxTimeouts, maxPartitions, maxMessageLosses). */
  readonly crashes: number;
  readonly timeouts: number;
  readonly partitionsStarted: number;
  readonly losses: number;
  /** Failed fsyncs so far, against maxFsyncFailures. */
  readonly fsyncFailures: number;
  /** Client requests so far, against maxTransactions; the next request's value is requests + 1. */
  readonly requests: number;
  readonly ghost: Ghost;
}

const EMPTY_DISK: Disk = { log: [], acceptedEpoch: 0, currentEpoch: 0, lastSnapshot: 0 };

/** A queued disk write, as opposed to a message queued behind the writes. */
function isWrite(w: PendingWrite): boolean {
  return w.kind !== 'send';
}

/** How many disk writes (not messages) a queue holds: the prefixes a partial DiskSync may choose from. */
export function queuedWrites(pending: readonly PendingWrite[]): number {
  let writes = 0;
  for (let k = 0; k < pending.length; k++) if (pending[k]!.kind !== 'send') writes++;
  return writes;
}

/**
 * A mutable working copy of a cluster while one action is applied. The arrays
 * of the cluster are shared with the state it came from: the channels, the
 * election channels and the ghost sets are copied only before their first
 * change in this action (most actions change one queue or none, and the
 * oracle election never uses the election port), and ghost sets are kept
 * sorted by insertion so that their encoding needs no sorting.
 */
export class World {
  // Every field is set by reload(), which the constructor calls (hence the `!`s).
  servers!: Server[];
  channels!: Links<ZabMessage>;
  notifications!: Links<Notification>;
  ghost!: Ghost;
  private channelsCopied = false;
  private notificationsCopied = false;
  private ghostCopied = false;
  partitions!: number;
  crashes!: number;
  timeouts!: number;
  partitionsStarted!: number;
  losses!: number;
  fsyncFailures!: number;
  requests!: number;

  n!: number;
  config!: ServerConfig;

  constructor(c: ZabCluster) {
    this.reload(c);
  }

  /**
   * This world as a fresh working copy of `c`, as the constructor makes one: nextCluster keeps one
   * World and reloads it per action (one object fewer per generated state). What freeze() handed out
   * stays untouched: the servers array is copied again and the copy-on-write flags start over.
   */
  reload(c: ZabCluster): this {
    this.n = c.servers.length;
    this.config = c.config;
    this.servers = c.servers.slice();
    this.channels = c.channels;
    this.notifications = c.notifications;
    this.ghost = c.ghost;
    this.channelsCopied = false;
    this.notificationsCopied = false;
    this.ghostCopied = false;
    this.partitions = c.partitions;
    this.crashes = c.crashes;
    this.timeouts = c.timeouts;
    this.partitionsStarted = c.partitionsStarted;
    this.losses = c.losses;
    this.fsyncFailures = c.fsyncFailures;
    this.requests = c.requests;
    return this;
  }

  /** The ghost variables, copied before their first change in this action. */
  mutableGhost(): MutableGhost {
    if (!this.ghostCopied) {
      const g = this.ghost;
      this.ghost = {
        proposed: g.proposed.slice(),
        committed: g.committed.slice(),
        epochLeaders: g.epochLeaders.slice(),
        discarded: g.discarded.slice(),
        lostCommitted: g.lostCommitted.slice(),
      };
      this.ghostCopied = true;
    }
    return this.ghost as MutableGhost;
  }

  /** The quorum channels, copied before their first change in this action. */
  mutableChannels(): MutableLinks<ZabMessage> {
    if (!this.channelsCopied) {
      this.channels = this.channels.slice();
      this.channelsCopied = true;
    }
    return this.channels as MutableLinks<ZabMessage>;
  }

  /** The election channels, copied before their first change in this action. */
  mutableNotifications(): MutableLinks<Notification> {
    if (!this.notificationsCopied) {
      this.notifications = this.notifications.slice();
      this.notificationsCopied = true;
    }
    return this.notifications as MutableLinks<Notification>;
  }

  freeze(): ZabCluster {
    return {
      config: this.config,
      servers: this.servers,
      channels: this.channels,
      notifications: this.notifications,
      partitions: this.partitions,
      crashes: this.crashes,
      timeouts: this.timeouts,
      partitionsStarted: this.partitionsStarted,
      losses: this.losses,
      fsyncFailures: this.fsyncFailures,
      requests: this.requests,
      ghost: this.ghost,
    };
  }

  node(id: number): ZabNode | null {
    return this.servers[id]!.node;
  }

  isPartitioned(a: number, b: number): boolean {
    return isPartitioned(this.partitions, this.n, a, b);
  }

  canTalk(a: number, b: number): boolean {
    return this.node(a) !== null && this.node(b) !== null && !this.isPartitioned(a, b);
  }

  clearChannels(a: number, b: number): void {
    if (this.channels[a * this.n + b]!.length > 0 || this.channels[b * this.n + a]!.length > 0) clearPair(this.mutableChannels(), this.n, a, b);
  }

  clearNotifications(a: number, b: number): void {
    if (this.notifications[a * this.n + b]!.length > 0 || this.notifications[b * this.n + a]!.length > 0) clearPair(this.mutableNotifications(), this.n, a, b);
  }

  send(from: number, to: number, message: ZabMessage): void {
    if (to === from) {
      // The leader's ACK to itself (AckRequestProcessor) is processed in place.
      this.apply(from, { type: 'Receive', from, message });
      return;
    }
    if (!this.canTalk(from, to)) return;
    enqueue(this.mutableChannels(), from * this.n + to, message);
  }

  /** Runs one event on one server, carries out its effects, then the consequences of its state change. */
  apply(id: number, event: ZabEvent): void {
    let before = this.node(id);
    if (before === null) return;
    let transition = step(before, event);
    if (transition.state === before && transition.effects.length === 0) return;
    if (before.syncMode === 'SNAP' && transition.state.state === 'LOOKING') {
      // The snapshot was in memory only; the election reads the database from disk (step.ts
      // reloadSnapFromDisk). Dropping it truncates no log, so the ghost bookkeeping starts from the reload.
      before = reloadSnapFromDisk(before, this.servers[id]!.disk);
      transition = startLooking(before);
    }
    this.setNode(id, transition.state);
    for (const effect of transition.effects) this.carryOut(id, effect);
    this.afterChange(id, before);
  }

  /** Stores `node` as its one-map copy (shapes.ts), so that every later read of it is monomorphic. */
  setNode(id: number, node: ZabNode | null): void {
    this.servers[id] = withNode(this.servers[id]!, node === null ? null : canonicalNode(node));
  }

  setDisk(id: number, disk: Disk): void {
    this.servers[id] = withDisk(this.servers[id]!, canonicalDisk(disk.log, disk.acceptedEpoch, disk.currentEpoch, disk.lastSnapshot));
  }

  setPending(id: number, pending: readonly PendingWrite[]): void {
    this.servers[id] = withPending(this.servers[id]!, pending);
  }

  carryOut(id: number, effect: ZabEffect): void {
    const server = this.servers[id]!;
    switch (effect.type) {
      case 'send':
        this.send(id, effect.to, effect.message);
        return;
      case 'sendAfterSync':
        if (server.pending.length === 0) this.send(id, effect.to, effect.message);
        else this.servers[id] = enqueueWrite(server, { kind: 'send', to: effect.to, message: effect.message });
        return;
      case 'sendNotification': {
        if (!this.canTalk(id, effect.to)) return;
        enqueue(this.mutableNotifications(), id * this.n + effect.to, effect.notification);
        return;
      }
      case 'logTxns':
        if (effect.txns.length > 0) this.servers[id] = enqueueWrite(server, { kind: 'log', txns: effect.txns });
        return;
      case 'flush':
        this.diskSync(id);
        return;
      case 'truncateLog':
        assert(server.pending.length === 0, () => `server ${id} truncates with writes pending`);
        this.setDisk(id, {
          ...server.disk,
          log: server.disk.log.slice(0, effect.length),
          lastSnapshot: Math.min(server.disk.lastSnapshot, effect.length),
        });
        return;
      case 'writeSnapshot':
        this.setDisk(id, { ...server.disk, log: effect.txns, lastSnapshot: effect.txns.length });
        return;
      case 'writeAcceptedEpoch':
        this.setDisk(id, { ...server.disk, acceptedEpoch: effect.epoch });
        return;
      case 'writeCurrentEpoch':
        if (effect.queued && server.pending.length > 0) {
          this.servers[id] = enqueueWrite(server, { kind: 'currentEpoch', epoch: effect.epoch });
        } else {
          this.setDisk(id, { ...server.disk, currentEpoch: effect.epoch });
        }
        return;
    }
  }

  /**
   * DiskSync: the first `writes` queued writes (all of them by default) reach the disk in order, releasing
   * the messages queued behind them up to the next write that stays queued. A prefix is what
   * SyncRequestProcessor makes durable when it flushes the batch it holds while later requests queue
   * behind it (the `partialSync` bound).
   */
  diskSync(id: number, writes: number = Number.POSITIVE_INFINITY): void {
    const pending = this.servers[id]!.pending;
    if (pending.length === 0) return;
    let end = 0;
    for (let synced = 0; end < pending.length; end++) {
      if (pending[end]!.kind === 'send') continue;
      if (synced === writes) break;
      synced++;
    }
    this.servers[id] = end === pending.length ? withoutPending(this.servers[id]!) : withPending(this.servers[id]!, pending.slice(end));
    for (let k = 0; k < end; k++) {
      const write = pending[k]!;
      const disk = this.servers[id]!.disk;
      switch (write.kind) {
        case 'log':
          this.setDisk(id, { ...disk, log: [...disk.log, ...write.txns] });
          break;
        case 'currentEpoch':
          this.setDisk(id, { ...disk, currentEpoch: write.epoch });
          break;
        case 'send':
          this.send(id, write.to, write.message);
          break;
      }
    }
  }

  /** Ghost bookkeeping and connection consequences of server `id` going from `before` to its current state. */
  afterChange(id: number, before: ZabNode): void {
    const after = this.node(id);
    if (after === null) return;
    recordGhost(this, id, before, after);
    if (before.state !== 'LOOKING' && after.state === 'LOOKING') {
      // Leaving FOLLOWING/LEADING shuts the request processors down; SyncRequestProcessor flushes
      // its queue on shutdown, and messages queued behind the writes have no connection left.
      const pending = this.servers[id]!.pending;
      if (pending.length > 0) this.setPending(id, pending.filter(isWrite));
      this.diskSync(id);
    }
    if (isLearner(before) && before.leader !== -1 && !(isLearner(after) && after.leader === before.leader)) {
      this.clearChannels(id, before.leader);
      this.apply(before.leader, { type: 'LearnerLost', sid: id });
    }
    if (before.state === 'LEADING' && after.state !== 'LEADING') this.leaderGone(id);
  }

  /** LeaderShutdown: every learner connected to `leader` loses its connection. */
  leaderGone(leader: number): void {
    for (let k = 0; k < this.n; k++) {
      if (k === leader) continue;
      this.clearChannels(leader, k);
      const learner = this.node(k);
      if (learner !== null && isLearner(learner) && learner.leader === leader) this.apply(k, { type: 'LeaderLost' });
    }
  }

  crash(id: number): void {
    const before = this.node(id)!;
    this.servers[id] = crashed(this.servers[id]!);
    for (let k = 0; k < this.n; k++) {
      if (k === id) continue;
      this.clearChannels(id, k);
      this.clearNotifications(id, k);
    }
    if (isLearner(before) && before.leader !== -1) this.apply(before.leader, { type: 'LearnerLost', sid: id });
    if (before.state === 'LEADING') this.leaderGone(id);
  }

  start(id: number): void {
    this.setNode(id, restartFromDisk(id, this.config, this.servers[id]!.disk));
    this.apply(id, { type: 'StartLooking' });
  }
}

/** Whether a and b are both up and not partitioned from each other. */
export function canTalk(c: ZabCluster, a: number, b: number): boolean {
  return c.servers[a]!.node !== null && c.servers[b]!.node !== null && !isPartitioned(c.partitions, c.servers.length, a, b);
}

export function initialCluster(bounds: ZabBounds, mutant: string | undefined): ZabCluster {
  const n = bounds.servers + bounds.observers;
  const config: ServerConfig = { voters: bounds.servers, servers: n, fle: bounds.fle, mutant };
  const empty: ZabCluster = {
    config,
    servers: Array.from({ length: n }, () => ({ node: null, disk: EMPTY_DISK, pending: [] })),
    channels: emptyLinks(n),
    notifications: emptyLinks(n),
    partitions: 0,
    crashes: 0,
    timeouts: 0,
    partitionsStarted: 0,
    losses: 0,
    fsyncFailures: 0,
    requests: 0,
    ghost: { proposed: [], committed: [], epochLeaders: [], discarded: [], lostCommitted: [] },
  };
  const world = new World(withInitialLogs(empty, bounds));
  for (let id = 0; id < n; id++) world.start(id);
  return world.freeze();
}

function withInitialLogs(c: ZabCluster, bounds: ZabBounds): ZabCluster {
  if (bounds.initialLogs === 0) return c;
  assert(bounds.initialLogs <= 2 && bounds.servers >= 3, () => `initialLogs ${bounds.initialLogs} needs 3 voters and a value in 0..2`);
  const t1: Txn = { zxid: { epoch: 1 as Zxid['epoch'], counter: 1 }, value: 1 };
  const t2: Txn = { zxid: { epoch: 1 as Zxid['epoch'], counter: 2 }, value: 2 };
  const holdersOfT2 = bounds.initialLogs === 1 ? [0] : [0, 1];
  const servers = c.servers.map((server, id) => {
    if (id >= bounds.servers) return server;
    const log = holdersOfT2.includes(id) ? [t1, t2] : [t1];
    return { ...server, disk: { log, acceptedEpoch: 1, currentEpoch: 1, lastSnapshot: 1 } };
  });
  return {
    ...c,
    servers,
    requests: 2,
    ghost: {
      ...c.ghost,
      proposed: [
        { txn: t1, source: 0 },
        { txn: t2, source: 0 },
      ],
      committed: bounds.initialLogs === 1 ? [t1] : [t1, t2],
      epochLeaders: [{ epoch: 1, leader: 0 }],
    },
  };
}
