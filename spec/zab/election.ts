// Leader election: Fast Leader Election as ZooKeeper runs it
// (FastLeaderElection.java lookForLeader; FastLeaderElection.tla actions
// ZabTimeout, ReceiveNotmsg, HandleNotmsg, NotmsgTimeout, WaitNewNotmsg), and
// the oracle of the protocol-level spec (Zab.tla: UpdateLeader, FollowLeader)
// for deeper checks of recovery and broadcast.
//
// Abstraction: the WorkerReceiver thread and lookForLeader's recvqueue are
// merged, so a delivered notification is received and handled in one step
// (FLEReceiveNotmsg followed at once by FLEHandleNotmsg). The reply that
// WorkerReceiver sends to a LOOKING peer in an older round, or from a server
// that is not LOOKING, is kept.

import * as transitions from '../../lib/transition.ts';
import type { Transition } from '../../lib/transition.ts';
import * as histories from './history.ts';
import * as knownBugs from './mutants.ts';
import type { ElectionVote, Notification, ServerState, Vote, ZabEffect, ZabNode } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { unchanged } = transitions;
const { bit, compareZxid, isQuorum, isVoter, lastZxid, runs, zxidAt, zxidEquals } = histories;
const { ZOOKEEPER_2845 } = knownBugs;

type Step = Transition<ZabNode, ZabEffect>;

/**
 * The zxid a server reports in its vote and in ACKEPOCH: its last logged
 * zxid, because the fix of ZOOKEEPER-2845 reloads the database from disk when
 * an election starts. The mutant keeps the in-memory database, whose last
 * processed zxid is the last committed one.
 */
export function lastProcessedZxid(node: ZabNode) {
  return runs(node, ZOOKEEPER_2845) ? zxidAt(node.history, node.lastCommitted) : lastZxid(node.history);
}

export function selfVote(node: ZabNode): Vote {
  return { leader: node.id, zxid: lastProcessedZxid(node), epoch: node.currentEpoch };
}

/**
 * FastLeaderElection.totalOrderPredicate: whether vote a beats vote b, by
 * epoch, then zxid, then server id. The server id makes the outcome
 * deterministic, and is why symmetry reduction is unsound under FLE.
 */
export function isBetterVote(a: Vote, b: Vote): boolean {
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  const byZxid = compareZxid(a.zxid, b.zxid);
  if (byZxid !== 0) return byZxid > 0;
  return a.leader > b.leader;
}

/**
 * The oracle's legality test: `vote` is at least the vote `node` would cast for itself (selfVote) without
 * the id tie-break (epoch, then zxid). Reads the node rather than its selfVote: the checker asks this per
 * quorum member per state, and building the vote each time showed in the profile.
 */
export function isAtLeastAsRecent(vote: Vote, node: ZabNode): boolean {
  if (vote.epoch !== node.currentEpoch) return vote.epoch > node.currentEpoch;
  return compareZxid(vote.zxid, lastProcessedZxid(node)) >= 0;
}

function voteEquals(a: Vote, b: Vote): boolean {
  return a.leader === b.leader && a.epoch === b.epoch && zxidEquals(a.zxid, b.zxid);
}

// Shared empty values: states are immutable, so every server may point at the same empty array.
const NONE_TO_SYNC: ZabNode['toSync'] = [];
const NO_ACKS: readonly number[] = [];
const NO_TXNS: ZabNode['packetsNotCommitted'] = [];
const NO_EFFECTS: readonly ZabEffect[] = [];
const emptyVotesBySize: (readonly null[])[] = [];

/** recvset / outofelection with nobody recorded (shared per cluster size). */
export function emptyVotes(node: ZabNode): readonly (ElectionVote | null)[] {
  const servers = node.config.servers;
  return (emptyVotesBySize[servers] ??= new Array<null>(servers).fill(null));
}

function notification(node: ZabNode, vote: Vote = node.vote, round: number = node.logicalClock, state: ServerState = node.state): Notification {
  return { type: 'NOTIFICATION', vote, round, state };
}

/** sendNotifications(): one notification to every other voter. */
function broadcastNotification(node: ZabNode, n: Notification): ZabEffect[] {
  const effects: ZabEffect[] = [];
  for (let to = 0; to < node.config.voters; to++) {
    if (to !== node.id) effects.push({ type: 'sendNotification', to, notification: n });
  }
  return effects;
}

/**
 * ZabTimeout / FollowerShutdown / LeaderShutdown, and the start of
 * lookForLeader: back to LOOKING in a new round, voting for ourselves. Every
 * leader and learner variable is reset; the log is kept (it is the database).
 */
export function startLooking(node: ZabNode): Step {
  const empty = emptyVotes(node);
  // Written out field by field rather than as a spread with overrides: this runs on every timeout,
  // crash and lost connection the checker explores, and a literal of fixed shape is several times cheaper.
  const looking: ZabNode = {
    id: node.id,
    config: node.config,
    state: 'LOOKING',
    zabState: 'ELECTION',
    acceptedEpoch: node.acceptedEpoch,
    currentEpoch: node.currentEpoch,
    history: node.history,
    lastCommitted: node.lastCommitted,
    lastSnapshot: node.lastSnapshot,
    logicalClock: node.logicalClock + 1,
    vote: { leader: node.id, zxid: lastProcessedZxid(node), epoch: node.currentEpoch },
    receiveVotes: empty,
    outOfElection: empty,
    waitNotmsg: false,
    learners: 0,
    connecting: 0,
    tempMaxEpoch: 0,
    electing: 0,
    toSync: NONE_TO_SYNC,
    ackldRecv: 0,
    forwarding: 0,
    acks: NO_ACKS,
    leader: -1,
    syncMode: 'NONE',
    newLeaderReceived: false,
    packetsNotCommitted: NO_TXNS,
    syncCommitted: 0,
  };
  const effects = looking.config.fle && isVoter(looking) ? broadcastNotification(looking, notification(looking)) : NO_EFFECTS;
  return { state: looking, effects };
}

/** ZabTurnToLeading / ZabTurnToFollowing: the election is over, discovery starts. */
export function finishElection(node: ZabNode, vote: Vote): ZabNode {
  if (vote.leader === node.id) {
    const self = bit(node.id);
    return {
      ...node,
      state: 'LEADING',
      zabState: 'DISCOVERY',
      vote,
      waitNotmsg: false,
      learners: self,
      connecting: self,
      electing: self,
      toSync: [],
      ackldRecv: self,
      forwarding: 0,
      tempMaxEpoch: node.acceptedEpoch + 1,
      // InitHistory: the leader has acked its own history.
      acks: node.history.map(() => self),
      leader: -1,
    };
  }
  return {
    ...node,
    state: isVoter(node) ? 'FOLLOWING' : 'OBSERVING',
    zabState: 'DISCOVERY',
    vote,
    waitNotmsg: false,
    leader: -1,
    syncMode: 'NONE',
    newLeaderReceived: false,
    packetsNotCommitted: [],
    syncCommitted: 0,
  };
}

/** The oracle (Zab.tla UpdateLeader / FollowLeader): the cluster picked a legal leader for us. */
export function electionDecided(node: ZabNode, vote: Vote): Step {
  if (node.state !== 'LOOKING') return unchanged(node);
  return { state: finishElection(node, vote), effects: [] };
}

/** FLENotmsgTimeout + HandleNotmsg of the NONE signal: nothing arrived for a while, send our vote again. */
export function notificationTimeout(node: ZabNode): Step {
  if (node.state !== 'LOOKING' || node.waitNotmsg || !isVoter(node)) return unchanged(node);
  return { state: node, effects: broadcastNotification(node, notification(node)) };
}

/** FLEWaitNewNotmsg: finalizeWait passed without a better vote; follow the vote we hold. */
export function finalizeWait(node: ZabNode): Step {
  if (node.state !== 'LOOKING' || !node.waitNotmsg) return unchanged(node);
  return { state: finishElection(node, node.vote), effects: [] };
}

/** FLEReceiveNotmsg (WorkerReceiver.run) followed by FLEHandleNotmsg (lookForLeader's loop body). */
export function notificationReceived(node: ZabNode, from: number, n: Notification): Step {
  if (!isVoter(node)) return unchanged(node);
  if (node.state !== 'LOOKING') {
    // WorkerReceiver: a server that is not LOOKING answers a LOOKING peer with its current vote.
    if (n.state !== 'LOOKING') return unchanged(node);
    return { state: node, effects: [{ type: 'sendNotification', to: from, notification: notification(node) }] };
  }
  const replies: ZabEffect[] =
    n.state === 'LOOKING' && n.round < node.logicalClock
      ? [{ type: 'sendNotification', to: from, notification: notification(node) }]
      : [];
  if (node.waitNotmsg) {
    // WaitNewNotmsg: only a better vote interrupts finalizeWait; anything else is dropped.
    if (!isBetterVote(n.vote, node.vote)) return { state: node, effects: replies };
    const resumed = { ...node, waitNotmsg: false };
    const handled = handleNotification(resumed, from, n);
    return { state: handled.state, effects: [...replies, ...handled.effects] };
  }
  const handled = handleNotification(node, from, n);
  return { state: handled.state, effects: [...replies, ...handled.effects] };
}

function handleNotification(node: ZabNode, from: number, n: Notification): Step {
  if (n.state === 'LOOKING') return handleLookingNotification(node, from, n);
  return handleFollowingOrLeadingNotification(node, from, n);
}

function handleLookingNotification(node: ZabNode, from: number, n: Notification): Step {
  if (n.round < node.logicalClock) return unchanged(node);
  let next = node;
  const effects: ZabEffect[] = [];
  if (n.round > node.logicalClock) {
    // A newer round: adopt it, clear recvset, and vote for the better of the peer's vote and our own.
    const own = selfVote(node);
    const vote = isBetterVote(n.vote, own) ? n.vote : own;
    next = { ...node, logicalClock: n.round, receiveVotes: emptyVotes(node), vote };
    effects.push(...broadcastNotification(next, notification(next, vote, n.round, 'LOOKING')));
  } else if (isBetterVote(n.vote, node.vote)) {
    next = { ...node, vote: n.vote };
    effects.push(...broadcastNotification(next, notification(next, n.vote, node.logicalClock, 'LOOKING')));
  }
  const receiveVotes = putVote(next.receiveVotes, from, n);
  next = { ...next, receiveVotes };
  // termPredicate: a quorum (ourselves included) holds our vote in this round.
  if (isQuorum(voteSet(next.id, receiveVotes, next.vote, next.logicalClock), next.config.voters)) {
    next = { ...next, waitNotmsg: true };
  }
  return { state: next, effects };
}

/** receivedFollowingNotification / receivedLeadingNotification (FastLeaderElection.tla: ReceivedFollowingAndLeadingNotification). */
function handleFollowingOrLeadingNotification(node: ZabNode, from: number, n: Notification): Step {
  const newVotes = putVote(node.receiveVotes, from, n);
  const inRound = n.round === node.logicalClock;
  const base: ZabNode = inRound ? { ...node, receiveVotes: newVotes } : node;
  const leaveOk1 =
    inRound && isQuorum(voteSet(from, newVotes, n.vote, n.round), node.config.voters) && checkLeader(node, newVotes, n.vote.leader, n.round);
  if (leaveOk1) return { state: finishElection(base, n.vote), effects: [] };
  const outOfElection = putVote(node.outOfElection, from, n);
  const withOoe: ZabNode = { ...base, outOfElection };
  const leaveOk2 = isQuorum(voteSet(from, outOfElection, n.vote, n.round), node.config.voters) && checkLeader(node, outOfElection, n.vote.leader, n.round);
  if (leaveOk2) return { state: finishElection({ ...withOoe, logicalClock: n.round }, n.vote), effects: [] };
  if (n.state === 'LEADING' && inRound) return { state: finishElection(withOoe, n.vote), effects: [] };
  return { state: withOoe, effects: [] };
}

/** RvPut / OoePut: keep the notification of the newest round per sender. */
function putVote(votes: readonly (ElectionVote | null)[], from: number, n: Notification): (ElectionVote | null)[] {
  const old = votes[from];
  const out = votes.slice();
  if (old === null || old === undefined || old.round <= n.round) out[from] = { vote: n.vote, round: n.round, state: n.state };
  return out;
}

/** VoteSet: `self` plus every server whose recorded vote equals (vote, round). */
function voteSet(self: number, votes: readonly (ElectionVote | null)[], vote: Vote, round: number): number {
  let set = bit(self);
  votes.forEach((v, id) => {
    if (v !== null && v.round === round && voteEquals(v.vote, vote)) set |= bit(id);
  });
  return set;
}

/** FastLeaderElection.checkLeader: we lead in our own round, or the proposed leader told us it is LEADING. */
function checkLeader(node: ZabNode, votes: readonly (ElectionVote | null)[], leader: number, round: number): boolean {
  if (leader === node.id) return round === node.logicalClock;
  const recorded = votes[leader];
  return recorded !== null && recorded !== undefined && recorded.state === 'LEADING';
}
