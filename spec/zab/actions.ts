// The checker's actions on the ZAB world (world.ts): ZkV3_7_0.tla's Next
// (with Zab.tla's oracle election as a coarser mode), each bound as its own
// guard. enabledActions lists what may happen; nextCluster applies one action
// to a working copy of the world and freezes it. Message deliveries are
// `Deliver(from, to)` of the head of a FIFO channel; format.ts names each by
// the TLA+ action that handles its message type.

import * as fifo from '../common/fifo.ts';
import * as pairs from '../common/partitions.ts';
import * as elections from './election.ts';
import * as histories from './history.ts';
import type { Vote, ZabMessage } from './types.ts';
import * as worlds from './world.ts';
import { World, type ZabBounds, type ZabCluster } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { dequeue, queuesWithin } = fifo;
const { heal, isPartitioned, partition } = pairs;
const { canTalk, queuedWrites } = worlds;
const { isAtLeastAsRecent, selfVote } = elections;
const { isLearner } = histories;

export type ZabAction =
  | { readonly type: 'ElectLeader'; readonly leader: number; readonly quorum: readonly number[] }
  | { readonly type: 'FollowLeader'; readonly server: number; readonly leader: number }
  | { readonly type: 'ConnectAndFollowerSendFOLLOWERINFO'; readonly server: number }
  | { readonly type: 'Deliver'; readonly from: number; readonly to: number; readonly message: ZabMessage['type'] }
  | { readonly type: 'FLEReceiveNotmsg'; readonly from: number; readonly to: number }
  | { readonly type: 'FLENotmsgTimeout'; readonly server: number }
  | { readonly type: 'FLEWaitNewNotmsg'; readonly server: number }
  | { readonly type: 'LeaderProcessRequest'; readonly server: number }
  /** `writes`: with partialSync, how many queued writes this fsync makes durable (fewer than queued); absent, all. */
  | { readonly type: 'DiskSync'; readonly server: number; readonly writes?: number }
  | { readonly type: 'Timeout'; readonly server: number }
  /** `fsyncFailed`: the server exits at a failed fsync (maxFsyncFailures), its queue not acknowledged. */
  | { readonly type: 'NodeCrash'; readonly server: number; readonly fsyncFailed?: true }
  | { readonly type: 'NodeStart'; readonly server: number }
  | { readonly type: 'PartitionStart'; readonly a: number; readonly b: number }
  | { readonly type: 'PartitionRecover'; readonly a: number; readonly b: number }
  | { readonly type: 'DropNotification'; readonly from: number; readonly to: number };

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

/** Whether `id` may be elected with every member of `quorum` by the oracle: all LOOKING, reachable, and no more recent than it. */
function isLegalQuorum(c: ZabCluster, id: number, vote: Vote, quorum: readonly number[]): boolean {
  for (let k = 0; k < quorum.length; k++) {
    const m = quorum[k]!;
    const member = c.servers[m]!.node;
    if (member === null || member.state !== 'LOOKING' || !canTalk(c, id, m)) return false;
    if (m !== id && !isAtLeastAsRecent(vote, member)) return false;
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
    const pending = c.servers[id]!.pending;
    if (pending.length > 0) {
      out.push({ type: 'DiskSync', server: id });
      if (bounds.partialSync === true) for (let writes = queuedWrites(pending) - 1; writes >= 1; writes--) out.push({ type: 'DiskSync', server: id, writes });
      if (c.fsyncFailures < (bounds.maxFsyncFailures ?? 0)) out.push({ type: 'NodeCrash', server: id, fsyncFailed: true });
    }
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

/** The working copy nextCluster reloads for every action (World.reload); nothing keeps it between actions. */
let scratch: World | undefined;

/** Applies `action` to a working copy of `c` (the actions' guards are enabledActions'). */
export function nextCluster(c: ZabCluster, action: ZabAction): ZabCluster {
  const world = scratch === undefined ? (scratch = new World(c)) : scratch.reload(c);
  switch (action.type) {
    case 'ElectLeader':
      electLeader(world, action.leader, action.quorum);
      break;
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
      const message = dequeue(world.mutableChannels(), action.from * world.n + action.to);
      world.apply(action.to, { type: 'Receive', from: action.from, message });
      break;
    }
    case 'FLEReceiveNotmsg': {
      const notification = dequeue(world.mutableNotifications(), action.from * world.n + action.to);
      world.apply(action.to, { type: 'NotificationReceived', from: action.from, notification });
      break;
    }
    case 'DropNotification':
      dequeue(world.mutableNotifications(), action.from * world.n + action.to);
      world.losses++;
      break;
    case 'FLENotmsgTimeout':
      world.timeouts++;
      world.apply(action.server, { type: 'NotificationTimeout' });
      break;
    case 'FLEWaitNewNotmsg':
      world.apply(action.server, { type: 'FinalizeWait' });
      break;
    case 'LeaderProcessRequest':
      leaderProcessRequest(world, action.server);
      break;
    case 'DiskSync':
      world.diskSync(action.server, action.writes);
      break;
    case 'Timeout':
      world.timeouts++;
      world.apply(action.server, { type: 'StartLooking' });
      break;
    case 'NodeCrash':
      // A failed fsync stops the server before it acknowledges anything the fsync covered (docs/operations.md,
      // "When fsync fails"): a crash with its queue lost. The outcome where some of the queue did reach the disk
      // is a partial DiskSync first; where all of it did, a DiskSync whose messages the crash then drops.
      if (action.fsyncFailed === true) world.fsyncFailures++;
      else world.crashes++;
      world.crash(action.server);
      break;
    case 'NodeStart':
      world.start(action.server);
      break;
    case 'PartitionStart':
      partitionStart(world, action.a, action.b);
      break;
    case 'PartitionRecover':
      world.partitions = heal(world.partitions, world.n, action.a, action.b);
      break;
  }
  return world.freeze();
}

/** ElectLeader(i, Q): the oracle decides i for every member of Q, and the others connect to it. */
function electLeader(world: World, leaderId: number, quorum: readonly number[]): void {
  const vote: Vote = selfVote(world.node(leaderId)!);
  world.apply(leaderId, { type: 'ElectionDecided', vote });
  for (const m of quorum) {
    if (m === leaderId) continue;
    world.apply(m, { type: 'ElectionDecided', vote });
    world.apply(m, { type: 'ConnectToLeader' });
  }
}

/** LeaderProcessRequest(i): the next client request (values 1, 2, ... over the run), recorded as proposed by i. */
function leaderProcessRequest(world: World, server: number): void {
  const value = world.requests + 1;
  world.requests = value;
  const before = world.node(server)!;
  world.apply(server, { type: 'ClientRequest', value });
  const after = world.node(server);
  const txn = after?.history[after.history.length - 1];
  if (txn !== undefined && after!.history.length > before.history.length) world.mutableGhost().proposed.push({ txn, source: server });
}

/** PartitionStart(a, b): both directions of both ports are emptied; a learner whose leader is on the other side loses it (FollowerShutdown). */
function partitionStart(world: World, a: number, b: number): void {
  world.partitionsStarted++;
  world.partitions = partition(world.partitions, world.n, a, b);
  world.clearChannels(a, b);
  world.clearNotifications(a, b);
  for (const [learner, leader] of [
    [a, b],
    [b, a],
  ] as const) {
    const l = world.node(learner);
    if (l !== null && isLearner(l) && l.leader === leader) world.apply(learner, { type: 'LeaderLost' });
  }
}

/** TLC's CONSTRAINT: channels within maxMessagesInFlight, accepted epochs within maxEpoch. */
export function withinBoundary(c: ZabCluster, bounds: ZabBounds): boolean {
  if (!queuesWithin(c.channels, bounds.maxMessagesInFlight) || !queuesWithin(c.notifications, bounds.maxMessagesInFlight)) return false;
  for (const server of c.servers) {
    if (server.disk.acceptedEpoch > bounds.maxEpoch) return false;
  }
  return true;
}
