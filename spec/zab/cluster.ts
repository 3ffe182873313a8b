// The world around the servers, as the checker explores it: servers with
// memory and disk, per-pair FIFO channels (ZooKeeper's TCP connections on the
// quorum port and the election port; ZkV3_7_0.tla's msgs and electionMsgs are
// sequences too), partitions, faults as bounded actions, and ghost variables
// that only the invariants read.
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

import { assert } from '../../lib/assert.ts';
import type { Model, Permutation, StateSink } from '../../model-check/model.ts';
import { isAtLeastAsRecent, selfVote, startLooking } from './election.ts';
import { isLearner } from './discovery.ts';
import { compareZxid, txnEquals } from './history.ts';
import { propertiesFor } from './invariants.ts';
import { reloadSnapFromDisk, restartFromDisk, step } from './step.ts';
import type { ElectionVote, Notification, ServerConfig, ServerState, Txn, Vote, ZabEffect, ZabEvent, ZabMessage, ZabNode, Zxid } from './types.ts';

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

export interface Server {
  /** Memory; null while the server is down. */
  readonly node: ZabNode | null;
  readonly disk: Disk;
  readonly pending: readonly PendingWrite[];
}

type MutableGhost = { -readonly [K in keyof Ghost]: Ghost[K][number][] };

/** Ghost variables: what happened, for the invariants only (ZkV3_7_0.tla: proposalMsgsLog, epochLeader). */
export interface Ghost {
  /** Every proposal any leader made, in order, with its leader. */
  readonly proposed: readonly { readonly txn: Txn; readonly source: number }[];
  /** Every proposal a leader committed (by a quorum of ACKs, or as its initial history once established). */
  readonly committed: readonly Txn[];
  /** Leaders that reached synchronisation, per epoch (epochLeader). */
  readonly epochLeaders: readonly { readonly epoch: number; readonly leader: number }[];
  /** Proposals of earlier epochs left out of an established leader's initial history. */
  readonly discarded: readonly Txn[];
  /** Committed proposals some server removed from its log (TRUNC, SNAP). */
  readonly lostCommitted: readonly Txn[];
}

export interface ZabCluster {
  /** What every server knows before it runs (constant over a run; not part of the fingerprint). */
  readonly config: ServerConfig;
  readonly servers: readonly Server[];
  /** Quorum-port channels, index from * n + to. */
  readonly channels: readonly (readonly ZabMessage[])[];
  /** Election-port channels, index from * n + to. */
  readonly notifications: readonly (readonly Notification[])[];
  /** Partitioned pairs, bit a * n + b for a < b. */
  readonly partitions: number;
  readonly crashes: number;
  readonly timeouts: number;
  readonly partitionsStarted: number;
  readonly losses: number;
  readonly requests: number;
  readonly ghost: Ghost;
}

export type ZabAction =
  | { readonly type: 'ElectLeader'; readonly leader: number; readonly quorum: readonly number[] }
  | { readonly type: 'FollowLeader'; readonly server: number; readonly leader: number }
  | { readonly type: 'ConnectAndFollowerSendFOLLOWERINFO'; readonly server: number }
  | { readonly type: 'Deliver'; readonly from: number; readonly to: number; readonly message: ZabMessage['type'] }
  | { readonly type: 'FLEReceiveNotmsg'; readonly from: number; readonly to: number }
  | { readonly type: 'FLENotmsgTimeout'; readonly server: number }
  | { readonly type: 'FLEWaitNewNotmsg'; readonly server: number }
  | { readonly type: 'LeaderProcessRequest'; readonly server: number }
  | { readonly type: 'DiskSync'; readonly server: number }
  | { readonly type: 'Timeout'; readonly server: number }
  | { readonly type: 'NodeCrash'; readonly server: number }
  | { readonly type: 'NodeStart'; readonly server: number }
  | { readonly type: 'PartitionStart'; readonly a: number; readonly b: number }
  | { readonly type: 'PartitionRecover'; readonly a: number; readonly b: number }
  | { readonly type: 'DropNotification'; readonly from: number; readonly to: number };

const EMPTY_DISK: Disk = { log: [], acceptedEpoch: 0, currentEpoch: 0, lastSnapshot: 0 };
const NO_PENDING: readonly PendingWrite[] = [];

/** A queued disk write, as opposed to a message queued behind the writes. */
function isWrite(w: PendingWrite): boolean {
  return w.kind !== 'send';
}

/**
 * A mutable working copy of a cluster while one action is applied. The arrays
 * of the cluster are shared with the state it came from; ghost sets are copied
 * only when an action adds to them (most actions do not), and kept sorted by
 * insertion so that their encoding needs no sorting.
 */
class World {
  servers: Server[];
  channels: (readonly ZabMessage[])[];
  notifications: (readonly Notification[])[];
  ghost: Ghost;
  private ghostCopied = false;
  partitions: number;
  crashes: number;
  timeouts: number;
  partitionsStarted: number;
  losses: number;
  requests: number;

  constructor(
    readonly n: number,
    readonly config: ServerConfig,
    c: ZabCluster,
  ) {
    this.servers = c.servers.slice();
    this.channels = c.channels.slice();
    this.notifications = c.notifications.slice();
    this.ghost = c.ghost;
    this.partitions = c.partitions;
    this.crashes = c.crashes;
    this.timeouts = c.timeouts;
    this.partitionsStarted = c.partitionsStarted;
    this.losses = c.losses;
    this.requests = c.requests;
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
    this.channels[a * this.n + b] = [];
    this.channels[b * this.n + a] = [];
  }

  clearNotifications(a: number, b: number): void {
    this.notifications[a * this.n + b] = [];
    this.notifications[b * this.n + a] = [];
  }

  send(from: number, to: number, message: ZabMessage): void {
    if (to === from) {
      // The leader's ACK to itself (AckRequestProcessor) is processed in place.
      this.apply(from, { type: 'Receive', from, message });
      return;
    }
    if (!this.canTalk(from, to)) return;
    const index = from * this.n + to;
    this.channels[index] = [...this.channels[index]!, message];
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

  setNode(id: number, node: ZabNode | null): void {
    const server = this.servers[id]!;
    this.servers[id] = { node, disk: server.disk, pending: server.pending };
  }

  setDisk(id: number, disk: Disk): void {
    const server = this.servers[id]!;
    this.servers[id] = { node: server.node, disk, pending: server.pending };
  }

  setPending(id: number, pending: readonly PendingWrite[]): void {
    const server = this.servers[id]!;
    this.servers[id] = { node: server.node, disk: server.disk, pending };
  }

  carryOut(id: number, effect: ZabEffect): void {
    const server = this.servers[id]!;
    switch (effect.type) {
      case 'send':
        this.send(id, effect.to, effect.message);
        return;
      case 'sendAfterSync':
        if (server.pending.length === 0) this.send(id, effect.to, effect.message);
        else this.setPending(id, [...server.pending, { kind: 'send', to: effect.to, message: effect.message }]);
        return;
      case 'sendNotification': {
        if (!this.canTalk(id, effect.to)) return;
        const index = id * this.n + effect.to;
        this.notifications[index] = [...this.notifications[index]!, effect.notification];
        return;
      }
      case 'logTxns':
        if (effect.txns.length > 0) this.setPending(id, [...server.pending, { kind: 'log', txns: effect.txns }]);
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
          this.setPending(id, [...server.pending, { kind: 'currentEpoch', epoch: effect.epoch }]);
        } else {
          this.setDisk(id, { ...server.disk, currentEpoch: effect.epoch });
        }
        return;
    }
  }

  /** DiskSync: the queued writes reach the disk in order, releasing the messages queued behind them. */
  diskSync(id: number): void {
    const pending = this.servers[id]!.pending;
    if (pending.length === 0) return;
    this.setPending(id, NO_PENDING);
    for (const write of pending) {
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
    this.recordGhost(id, before, after);
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

  recordGhost(id: number, before: ZabNode, after: ZabNode): void {
    if (after.state === 'LEADING' && before.state === 'LEADING') {
      if (before.zabState === 'DISCOVERY' && after.zabState === 'SYNCHRONIZATION') {
        const leaders = this.mutableGhost().epochLeaders;
        let at = leaders.length;
        while (at > 0 && (leaders[at - 1]!.epoch > after.acceptedEpoch || (leaders[at - 1]!.epoch === after.acceptedEpoch && leaders[at - 1]!.leader > id))) at--;
        leaders.splice(at, 0, { epoch: after.acceptedEpoch, leader: id });
      }
      if (before.zabState === 'SYNCHRONIZATION' && after.zabState === 'BROADCAST') {
        // Established: the initial history is committed; older proposals outside it are discarded for good.
        for (let k = 0; k < after.history.length; k++) this.addTxn('committed', after.history[k]!);
        const proposed = this.ghost.proposed;
        for (let k = 0; k < proposed.length; k++) {
          const txn = proposed[k]!.txn;
          if (txn.zxid.epoch < after.acceptedEpoch && !containsTxn(after.history, txn)) this.addTxn('discarded', txn);
        }
      } else if (after.zabState === 'BROADCAST' && after.lastCommitted > before.lastCommitted) {
        for (let k = before.lastCommitted; k < after.lastCommitted; k++) this.addTxn('committed', after.history[k]!);
      }
    }
    // Any entry of an older epoch that left a log (TRUNC, SNAP) must not have been committed. Proposals of
    // the current epoch may be truncated while a learner resynchronises in BROADCAST: the leader queues
    // them again right after the TRUNC (Leader.startForwarding).
    if (before.history === after.history) return;
    let common = 0;
    while (common < before.history.length && common < after.history.length && txnEquals(before.history[common]!, after.history[common]!)) common++;
    for (let k = common; k < before.history.length; k++) {
      const txn = before.history[k]!;
      if (txn.zxid.epoch < after.acceptedEpoch && containsTxn(this.ghost.committed, txn)) this.addTxn('lostCommitted', txn);
    }
  }

  /** Adds txn to a ghost set of transactions, kept sorted by zxid then value. */
  addTxn(set: 'committed' | 'discarded' | 'lostCommitted', txn: Txn): void {
    if (containsTxn(this.ghost[set], txn)) return;
    const txns = this.mutableGhost()[set];
    let at = txns.length;
    while (at > 0 && compareTxn(txns[at - 1]!, txn) > 0) at--;
    txns.splice(at, 0, txn);
  }

  crash(id: number): void {
    const before = this.node(id)!;
    this.servers[id] = { node: null, disk: this.servers[id]!.disk, pending: NO_PENDING };
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

function containsTxn(txns: readonly Txn[], txn: Txn): boolean {
  for (let k = 0; k < txns.length; k++) if (txnEquals(txns[k]!, txn)) return true;
  return false;
}

function compareTxn(a: Txn, b: Txn): number {
  return compareZxid(a.zxid, b.zxid) || a.value - b.value;
}

function isPartitioned(partitions: number, n: number, a: number, b: number): boolean {
  return (partitions & (a < b ? 1 << (a * n + b) : 1 << (b * n + a))) !== 0;
}

/** quorumsContaining[voters][member]: the majorities of 0..voters-1 that include member, computed once. */
const quorumsContaining: (readonly number[])[][][] = [];

function subsetsContaining(voters: number, member: number): readonly (readonly number[])[] {
  const cached = quorumsContaining[voters]?.[member];
  if (cached !== undefined) return cached;
  const out: number[][] = [];
  for (let mask = 0; mask < 1 << voters; mask++) {
    if ((mask & (1 << member)) === 0) continue;
    const members: number[] = [];
    for (let id = 0; id < voters; id++) if (mask & (1 << id)) members.push(id);
    if (members.length * 2 > voters) out.push(members);
  }
  (quorumsContaining[voters] ??= [])[member] = out;
  return out;
}

export function initialCluster(bounds: ZabBounds, mutant: string | undefined): ZabCluster {
  const n = bounds.servers + bounds.observers;
  const config: ServerConfig = { voters: bounds.servers, servers: n, fle: bounds.fle, mutant };
  const empty: ZabCluster = {
    config,
    servers: Array.from({ length: n }, () => ({ node: null, disk: EMPTY_DISK, pending: [] })),
    channels: Array.from({ length: n * n }, () => []),
    notifications: Array.from({ length: n * n }, () => []),
    partitions: 0,
    crashes: 0,
    timeouts: 0,
    partitionsStarted: 0,
    losses: 0,
    requests: 0,
    ghost: { proposed: [], committed: [], epochLeaders: [], discarded: [], lostCommitted: [] },
  };
  const world = new World(n, config, withInitialLogs(empty, bounds));
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

function canTalk(c: ZabCluster, a: number, b: number): boolean {
  return c.servers[a]!.node !== null && c.servers[b]!.node !== null && !isPartitioned(c.partitions, c.servers.length, a, b);
}

/** Whether `id` may be elected with every member of `quorum` by the oracle: all LOOKING, reachable, and no more recent than it. */
function isLegalQuorum(c: ZabCluster, id: number, vote: Vote, quorum: readonly number[]): boolean {
  for (let k = 0; k < quorum.length; k++) {
    const m = quorum[k]!;
    const member = c.servers[m]!.node;
    if (member === null || member.state !== 'LOOKING' || !canTalk(c, id, m)) return false;
    if (m !== id && !isAtLeastAsRecent(vote, selfVote(member))) return false;
  }
  return true;
}

/** The actions enabled in `c` (TLA+ Next, with each bound as its own guard). */
export function enabledActions(c: ZabCluster, bounds: ZabBounds): ZabAction[] {
  const n = c.servers.length;
  const voters = bounds.servers;
  const out: ZabAction[] = [];

  for (let id = 0; id < n; id++) {
    const self = c.servers[id]!.node;
    if (self === null) {
      out.push({ type: 'NodeStart', server: id });
      continue;
    }
    // Election.
    if (self.state === 'LOOKING') {
      if (!bounds.fle && id < voters) {
        const vote = selfVote(self);
        const quorums = subsetsContaining(voters, id);
        for (let q = 0; q < quorums.length; q++) if (isLegalQuorum(c, id, vote, quorums[q]!)) out.push({ type: 'ElectLeader', leader: id, quorum: quorums[q]! });
      }
      if (!bounds.fle || id >= voters) {
        for (let l = 0; l < voters; l++) {
          const leader = c.servers[l]!.node;
          if (l !== id && leader !== null && leader.state === 'LEADING' && canTalk(c, id, l)) out.push({ type: 'FollowLeader', server: id, leader: l });
        }
      }
      if (bounds.fle && id < voters) {
        if (self.waitNotmsg) out.push({ type: 'FLEWaitNewNotmsg', server: id });
        else {
          let quiet = true;
          for (let from = 0; from < n; from++) if (c.notifications[from * n + id]!.length > 0) quiet = false;
          // The notification timeout counts toward maxTimeouts: unbounded re-sending would only grow channels.
          if (quiet && c.timeouts < bounds.maxTimeouts) out.push({ type: 'FLENotmsgTimeout', server: id });
        }
      }
    } else if (c.timeouts < bounds.maxTimeouts) {
      out.push({ type: 'Timeout', server: id });
    }
    if (isLearner(self) && self.leader === -1) {
      const leader = c.servers[self.vote.leader]!.node;
      if (leader !== null && leader.state === 'LEADING' && canTalk(c, id, self.vote.leader)) out.push({ type: 'ConnectAndFollowerSendFOLLOWERINFO', server: id });
    }
    if (self.state === 'LEADING' && self.zabState === 'BROADCAST' && c.requests < bounds.maxTransactions) {
      out.push({ type: 'LeaderProcessRequest', server: id });
    }
    if (c.servers[id]!.pending.length > 0) out.push({ type: 'DiskSync', server: id });
    if (c.crashes < bounds.maxCrashes) out.push({ type: 'NodeCrash', server: id });
  }
  for (let from = 0; from < n; from++) {
    for (let to = 0; to < n; to++) {
      const head = c.channels[from * n + to]![0];
      if (head !== undefined) out.push({ type: 'Deliver', from, to, message: head.type });
      if (c.notifications[from * n + to]!.length > 0) {
        out.push({ type: 'FLEReceiveNotmsg', from, to });
        if (c.losses < bounds.maxMessageLosses) out.push({ type: 'DropNotification', from, to });
      }
    }
  }
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      if (c.servers[a]!.node === null || c.servers[b]!.node === null) continue;
      if (isPartitioned(c.partitions, n, a, b)) out.push({ type: 'PartitionRecover', a, b });
      else if (c.partitionsStarted < bounds.maxPartitions) out.push({ type: 'PartitionStart', a, b });
    }
  }
  return out;
}

export function nextCluster(c: ZabCluster, action: ZabAction, bounds: ZabBounds, mutant: string | undefined): ZabCluster | undefined {
  const n = c.servers.length;
  const world = new World(n, c.config, c);
  switch (action.type) {
    case 'ElectLeader': {
      const leader = world.node(action.leader)!;
      const vote: Vote = selfVote(leader);
      world.apply(action.leader, { type: 'ElectionDecided', vote });
      for (const m of action.quorum) {
        if (m === action.leader) continue;
        world.apply(m, { type: 'ElectionDecided', vote });
        world.apply(m, { type: 'ConnectToLeader' });
      }
      break;
    }
    case 'FollowLeader': {
      const leader = world.node(action.leader)!;
      world.apply(action.server, { type: 'ElectionDecided', vote: leader.vote });
      world.apply(action.server, { type: 'ConnectToLeader' });
      break;
    }
    case 'ConnectAndFollowerSendFOLLOWERINFO':
      world.apply(action.server, { type: 'ConnectToLeader' });
      break;
    case 'Deliver': {
      const index = action.from * n + action.to;
      const [message, ...rest] = world.channels[index]!;
      world.channels[index] = rest;
      world.apply(action.to, { type: 'Receive', from: action.from, message: message! });
      break;
    }
    case 'FLEReceiveNotmsg': {
      const index = action.from * n + action.to;
      const [notification, ...rest] = world.notifications[index]!;
      world.notifications[index] = rest;
      world.apply(action.to, { type: 'NotificationReceived', from: action.from, notification: notification! });
      break;
    }
    case 'DropNotification': {
      const index = action.from * n + action.to;
      world.notifications[index] = world.notifications[index]!.slice(1);
      world.losses++;
      break;
    }
    case 'FLENotmsgTimeout':
      world.timeouts++;
      world.apply(action.server, { type: 'NotificationTimeout' });
      break;
    case 'FLEWaitNewNotmsg':
      world.apply(action.server, { type: 'FinalizeWait' });
      break;
    case 'LeaderProcessRequest': {
      const value = world.requests + 1;
      world.requests = value;
      const before = world.node(action.server)!;
      world.apply(action.server, { type: 'ClientRequest', value });
      const after = world.node(action.server);
      const txn = after?.history[after.history.length - 1];
      if (txn !== undefined && after!.history.length > before.history.length) world.mutableGhost().proposed.push({ txn, source: action.server });
      break;
    }
    case 'DiskSync':
      world.diskSync(action.server);
      break;
    case 'Timeout':
      world.timeouts++;
      world.apply(action.server, { type: 'StartLooking' });
      break;
    case 'NodeCrash':
      world.crashes++;
      world.crash(action.server);
      break;
    case 'NodeStart':
      world.start(action.server);
      break;
    case 'PartitionStart': {
      world.partitionsStarted++;
      const { a, b } = action;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      world.partitions |= 1 << (lo * n + hi);
      world.clearChannels(a, b);
      world.clearNotifications(a, b);
      // A learner whose leader is on the other side loses its connection (FollowerShutdown).
      for (const [learner, leader] of [
        [a, b],
        [b, a],
      ] as const) {
        const l = world.node(learner);
        if (l !== null && isLearner(l) && l.leader === leader) world.apply(learner, { type: 'LeaderLost' });
      }
      break;
    }
    case 'PartitionRecover': {
      const { a, b } = action;
      const [lo, hi] = a < b ? [a, b] : [b, a];
      world.partitions &= ~(1 << (lo * n + hi));
      break;
    }
  }
  return world.freeze();
}

export function withinBoundary(c: ZabCluster, bounds: ZabBounds): boolean {
  for (const channel of c.channels) if (channel.length > bounds.maxMessagesInFlight) return false;
  for (const channel of c.notifications) if (channel.length > bounds.maxMessagesInFlight) return false;
  for (const server of c.servers) {
    if (server.disk.acceptedEpoch > bounds.maxEpoch) return false;
  }
  return true;
}

// Canonical encoding (fingerprints), with server ids permuted for symmetry.
//
// The encoder is on the checker's hottest path (once per permutation per
// generated state), so it is written as module-level functions that take the
// sink and the permutation as arguments: no closure is created per call (under
// tsx, esbuild's keepNames turns every closure into a defineProperty call),
// no string is built and nothing is allocated.

const SERVER_STATE_CODES: Record<ServerState, number> = { LOOKING: 0, FOLLOWING: 1, LEADING: 2, OBSERVING: 3 };
const ZAB_STATE_CODES: Record<ZabNode['zabState'], number> = { ELECTION: 0, DISCOVERY: 1, SYNCHRONIZATION: 2, BROADCAST: 3 };
const SYNC_MODE_CODES: Record<ZabNode['syncMode'], number> = { NONE: 0, DIFF: 1, TRUNC: 2, SNAP: 3 };
const MESSAGE_CODES: Record<ZabMessage['type'], number> = {
  FOLLOWERINFO: 0,
  OBSERVERINFO: 1,
  LEADERINFO: 2,
  ACKEPOCH: 3,
  DIFF: 4,
  TRUNC: 5,
  SNAP: 6,
  PROPOSAL: 7,
  COMMIT: 8,
  INFORM: 9,
  NEWLEADER: 10,
  ACKLD: 11,
  UPTODATE: 12,
  ACK: 13,
};

function mapId(perm: Permutation, id: number): number {
  return id >= 0 && id < perm.map.length ? perm.map[id]! : id;
}

function oldId(perm: Permutation, id: number): number {
  return id < perm.inverse.length ? perm.inverse[id]! : id;
}

function mapMask(perm: Permutation, mask: number): number {
  let out = 0;
  for (let id = 0; mask >> id !== 0; id++) if (mask & (1 << id)) out |= 1 << mapId(perm, id);
  return out;
}

function encodeZxid(sink: StateSink, z: Zxid): void {
  sink.int(z.epoch);
  sink.int(z.counter);
}

function encodeTxn(sink: StateSink, t: Txn): void {
  sink.int(t.zxid.epoch);
  sink.int(t.zxid.counter);
  sink.int(t.value);
}

function encodeTxns(sink: StateSink, ts: readonly Txn[]): void {
  sink.int(ts.length);
  for (let i = 0; i < ts.length; i++) encodeTxn(sink, ts[i]!);
}

function encodeVote(sink: StateSink, perm: Permutation, v: Vote): void {
  sink.int(mapId(perm, v.leader));
  sink.int(v.zxid.epoch);
  sink.int(v.zxid.counter);
  sink.int(v.epoch);
}

function encodeMessage(sink: StateSink, m: ZabMessage): void {
  sink.int(MESSAGE_CODES[m.type]);
  switch (m.type) {
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      sink.int(m.acceptedEpoch);
      break;
    case 'LEADERINFO':
    case 'NEWLEADER':
    case 'ACKLD':
      sink.int(m.epoch);
      break;
    case 'ACKEPOCH':
      sink.int(m.currentEpoch);
      encodeZxid(sink, m.lastZxid);
      break;
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      encodeZxid(sink, m.zxid);
      break;
    case 'SNAP':
      encodeZxid(sink, m.zxid);
      encodeTxns(sink, m.snapshot);
      break;
    case 'PROPOSAL':
    case 'INFORM':
      encodeTxn(sink, m.txn);
      break;
    case 'UPTODATE':
      break;
  }
}

function encodeElectionVotes(sink: StateSink, perm: Permutation, n: number, vs: readonly (ElectionVote | null)[]): void {
  for (let id = 0; id < n; id++) {
    const v = vs[oldId(perm, id)];
    if (v === null || v === undefined) sink.bool(false);
    else {
      sink.bool(true);
      encodeVote(sink, perm, v.vote);
      sink.int(v.round);
      sink.int(SERVER_STATE_CODES[v.state]);
    }
  }
}

function encodeNode(sink: StateSink, perm: Permutation, n: number, x: ZabNode): void {
  sink.int(SERVER_STATE_CODES[x.state]);
  sink.int(ZAB_STATE_CODES[x.zabState]);
  sink.int(x.acceptedEpoch);
  sink.int(x.currentEpoch);
  encodeTxns(sink, x.history);
  sink.int(x.lastCommitted);
  sink.int(x.lastSnapshot);
  if (x.config.fle) {
    sink.int(x.logicalClock);
    encodeElectionVotes(sink, perm, n, x.receiveVotes);
    encodeElectionVotes(sink, perm, n, x.outOfElection);
    sink.bool(x.waitNotmsg);
  }
  encodeVote(sink, perm, x.vote);
  sink.int(mapMask(perm, x.learners));
  sink.int(mapMask(perm, x.connecting));
  sink.int(x.tempMaxEpoch);
  sink.int(mapMask(perm, x.electing));
  // toSync is a set keyed by sid: written per (permuted) sid, so no sorting and no bag is needed.
  sink.int(x.toSync.length);
  for (let id = 0; id < n && x.toSync.length > 0; id++) {
    const sid = oldId(perm, id);
    for (let k = 0; k < x.toSync.length; k++) {
      const entry = x.toSync[k]!;
      if (entry.sid !== sid) continue;
      sink.int(id);
      encodeZxid(sink, entry.peerLastZxid);
    }
  }
  sink.int(mapMask(perm, x.ackldRecv));
  sink.int(mapMask(perm, x.forwarding));
  sink.int(x.acks.length);
  for (let k = 0; k < x.acks.length; k++) sink.int(mapMask(perm, x.acks[k]!));
  sink.int(mapId(perm, x.leader));
  sink.int(SYNC_MODE_CODES[x.syncMode]);
  sink.bool(x.newLeaderReceived);
  encodeTxns(sink, x.packetsNotCommitted);
  sink.int(x.syncCommitted);
}

function encodeServer(sink: StateSink, perm: Permutation, n: number, server: Server): void {
  if (server.node === null) sink.bool(false);
  else {
    sink.bool(true);
    encodeNode(sink, perm, n, server.node);
  }
  const disk = server.disk;
  encodeTxns(sink, disk.log);
  sink.int(disk.acceptedEpoch);
  sink.int(disk.currentEpoch);
  sink.int(disk.lastSnapshot);
  const pending = server.pending;
  sink.int(pending.length);
  for (let k = 0; k < pending.length; k++) {
    const w = pending[k]!;
    switch (w.kind) {
      case 'log':
        sink.int(0);
        encodeTxns(sink, w.txns);
        break;
      case 'currentEpoch':
        sink.int(1);
        sink.int(w.epoch);
        break;
      case 'send':
        sink.int(2);
        sink.int(mapId(perm, w.to));
        encodeMessage(sink, w.message);
        break;
    }
  }
}

/**
 * The ghost sets of transactions are kept sorted by zxid and value (World.freeze), so they are written
 * in order; the epoch leaders mention server ids, whose order a permutation changes, so they are
 * written per epoch with the (permuted) leaders of that epoch as a bitmask.
 */
function encodeGhost(sink: StateSink, perm: Permutation, ghost: Ghost): void {
  sink.int(ghost.proposed.length);
  for (let k = 0; k < ghost.proposed.length; k++) {
    const p = ghost.proposed[k]!;
    encodeTxn(sink, p.txn);
    sink.int(mapId(perm, p.source));
  }
  encodeTxns(sink, ghost.committed);
  const leaders = ghost.epochLeaders;
  sink.int(leaders.length);
  for (let k = 0; k < leaders.length; ) {
    const epoch = leaders[k]!.epoch;
    let mask = 0;
    for (; k < leaders.length && leaders[k]!.epoch === epoch; k++) mask |= 1 << mapId(perm, leaders[k]!.leader);
    sink.int(epoch);
    sink.int(mask);
  }
  encodeTxns(sink, ghost.discarded);
  encodeTxns(sink, ghost.lostCommitted);
}

export function encodeCluster(c: ZabCluster, sink: StateSink, perm: Permutation): void {
  const n = c.servers.length;
  for (let id = 0; id < n; id++) encodeServer(sink, perm, n, c.servers[oldId(perm, id)]!);
  for (let from = 0; from < n; from++) {
    const oldFrom = oldId(perm, from);
    for (let to = 0; to < n; to++) {
      const index = oldFrom * n + oldId(perm, to);
      const channel = c.channels[index]!;
      sink.int(channel.length);
      for (let k = 0; k < channel.length; k++) encodeMessage(sink, channel[k]!);
      const notes = c.notifications[index]!;
      sink.int(notes.length);
      for (let k = 0; k < notes.length; k++) {
        const note = notes[k]!;
        encodeVote(sink, perm, note.vote);
        sink.int(note.round);
        sink.int(SERVER_STATE_CODES[note.state]);
      }
    }
  }
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) sink.bool(isPartitioned(c.partitions, n, oldId(perm, a), oldId(perm, b)));
  sink.int(c.crashes);
  sink.int(c.timeouts);
  sink.int(c.partitionsStarted);
  sink.int(c.losses);
  sink.int(c.requests);
  // Ghost variables are part of the state: invariants read them, so merging states that differ in them would be unsound.
  encodeGhost(sink, perm, c.ghost);
}

/**
 * The symmetry signature of server `id` (model.ts, Symmetry.signature): a number built from what the
 * server is without naming any server id (role, phase, epochs, log lengths, disk), so that the checker
 * encodes only the permutations that list servers in ascending signature order; usually one.
 */
export function serverSignature(c: ZabCluster, id: number): number {
  const server = c.servers[id]!;
  const disk = server.disk;
  let h = disk.log.length * 8 + disk.acceptedEpoch;
  h = h * 8 + disk.currentEpoch;
  h = h * 8 + server.pending.length;
  const x = server.node;
  if (x === null) return h * 16;
  h = h * 4 + SERVER_STATE_CODES[x.state];
  h = h * 4 + ZAB_STATE_CODES[x.zabState];
  h = h * 8 + x.acceptedEpoch;
  h = h * 8 + x.currentEpoch;
  h = h * 8 + x.history.length;
  h = h * 8 + x.lastCommitted;
  h = h * 4 + SYNC_MODE_CODES[x.syncMode];
  h = (h * 8 + x.packetsNotCommitted.length) % 0x7fffffff;
  return h + 1;
}

/** The TLA+ action that handles each message type (the checker's and conformance's action kinds). */
export const MESSAGE_ACTIONS: Record<ZabMessage['type'], string> = {
  FOLLOWERINFO: 'LeaderProcessFOLLOWERINFO',
  OBSERVERINFO: 'LeaderProcessOBSERVERINFO',
  LEADERINFO: 'FollowerProcessLEADERINFO',
  ACKEPOCH: 'LeaderProcessACKEPOCH',
  DIFF: 'FollowerProcessSyncMessage',
  TRUNC: 'FollowerProcessSyncMessage',
  SNAP: 'FollowerProcessSyncMessage',
  PROPOSAL: 'FollowerProcessPROPOSAL',
  COMMIT: 'FollowerProcessCOMMIT',
  INFORM: 'ObserverProcessINFORM',
  NEWLEADER: 'FollowerProcessNEWLEADER',
  ACKLD: 'LeaderProcessACKLD',
  UPTODATE: 'FollowerProcessUPTODATE',
  ACK: 'LeaderProcessACK',
};

export function formatAction(action: ZabAction): string {
  switch (action.type) {
    case 'ElectLeader':
      return `ElectLeader(s${action.leader}, {${action.quorum.map((m) => `s${m}`).join(', ')}})`;
    case 'FollowLeader':
      return `FollowLeader(s${action.server}, s${action.leader})`;
    case 'Deliver':
      return `${MESSAGE_ACTIONS[action.message]}(s${action.to}, s${action.from}) [${action.message}]`;
    case 'FLEReceiveNotmsg':
    case 'DropNotification':
      return `${action.type}(s${action.to}, s${action.from})`;
    case 'PartitionStart':
    case 'PartitionRecover':
      return `${action.type}(s${action.a}, s${action.b})`;
    default:
      return `${action.type}(s${action.server})`;
  }
}

export function buildModel(bounds: ZabBounds, mutant: string | undefined): Model<ZabCluster, ZabAction> {
  return {
    init: () => [initialCluster(bounds, mutant)],
    actions: (c) => enabledActions(c, bounds),
    next: (c, action) => nextCluster(c, action, bounds, mutant),
    properties: propertiesFor(bounds),
    withinBoundary: (c) => withinBoundary(c, bounds),
    encode: encodeCluster,
    // Symmetry over voter ids is sound only with the oracle: FLE breaks ties by server id.
    ...(bounds.fle ? {} : { symmetry: { servers: bounds.servers, signature: serverSignature } }),
    formatAction,
    view: (c) => c,
  };
}
