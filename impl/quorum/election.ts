// Fast Leader Election, the protocol core of one server: a pure
// `step(state, event) -> { state, effects }` with no sockets, clocks or
// randomness, so the same code runs under the seeded simulation of
// election.test.ts, under the connection manager on real sockets, and later
// under the conformance harness.
//
// It follows Apache ZooKeeper's FastLeaderElection.java rather than a paper,
// because the aim is behaviour comparable with ZooKeeper's ensemble:
// - lookForLeader: the logical clock (round) rules, totalOrderPredicate,
//   termination on a quorum of equal votes (getVoteTracker/hasAllQuorums)
//   followed by finalizeWait (200 ms) during which only a better vote
//   interrupts, and the notification timeout that doubles up to 60 s;
// - receivedFollowingNotification / receivedLeadingNotification: joining an
//   ensemble whose members already follow or lead (recvset in our round,
//   outofelection in any round, checkLeader);
// - WorkerReceiver: the replies sent whatever the state (to a LOOKING peer in
//   an older round, from a server that is not LOOKING, to a non-voter).
// Names are those of spec/zab/election.ts (Vote, ElectionVote, logicalClock,
// receiveVotes, outOfElection, waitNotmsg, isBetterVote, checkLeader, events
// StartLooking / NotificationReceived / NotificationTimeout / FinalizeWait),
// which models the same Java code in TLA+'s FastLeaderElection.tla terms.
//
// Differences from the Java code, each deliberate:
// - WorkerReceiver's thread and lookForLeader's recvqueue are one step, as in
//   the spec: a notification is answered and handled in the same event.
// - Our own notification is not looped back through a queue
//   (QuorumCnxManager.toSend to mySid): when we send our vote to every voter
//   we record it in receiveVotes at once. The loop-back carries exactly the
//   vote we just proposed in the round we are in, so recording it at once
//   only removes a delay.
// - On a notification timeout we send our vote to every voter; ZooKeeper
//   sends only if some send queue is empty and otherwise asks the manager to
//   reconnect. Our connection manager keeps only the newest message per peer
//   and reconnects when asked to send, which comes to the same.
// - QuorumOracleMaj (the two-server oracle) and dynamic reconfiguration (the
//   config carried in notifications) are not supported.

import { assert, assertNever } from '../../lib/assert.ts';
import type { Transition } from '../../lib/transition.ts';
import type { ServerState } from './wire.ts';

export type { ServerState };

/** Java's Long.MIN_VALUE: what an observer proposes (getInitId, getInitLastLoggedZxid, getPeerEpoch). */
export const observerVoteValue = -(2n ** 63n);

/** FastLeaderElection.finalizeWait. */
export const finalizeWaitMsDefault = 200;
/** zookeeper.fastleader.minNotificationInterval (defaults to finalizeWait). */
export const notificationIntervalMsMinDefault = 200;
/** zookeeper.fastleader.maxNotificationInterval. */
export const notificationIntervalMsMaxDefault = 60_000;

/** Vote.java's id, zxid and peerEpoch: the server proposed as leader and what it would lead with. */
export interface Vote {
  readonly leader: bigint;
  readonly zxid: bigint;
  /** The proposed leader's currentEpoch (the notification's peerEpoch). */
  readonly epoch: bigint;
}

/** A vote as a notification carries it and recvset / outofelection record it. */
export interface ElectionVote {
  readonly vote: Vote;
  /** The sender's logical clock (the notification's electionEpoch). */
  readonly round: bigint;
  readonly state: ServerState;
  /** The notification format version (Vote.equals looks at it for servers out of election). */
  readonly version: number;
}

export interface ElectionConfig {
  readonly myid: number;
  /** The ids of the voting members (participants), observers excluded. */
  readonly voters: readonly number[];
  readonly finalizeWaitMs: number;
  readonly notificationIntervalMsMin: number;
  readonly notificationIntervalMsMax: number;
}

/** What this server brings to an election: read from its database and currentEpoch file when it starts looking. */
export interface ElectionInputs {
  readonly lastLoggedZxid: bigint;
  readonly currentEpoch: bigint;
}

export type ElectionTimer = 'notification' | 'finalize';

export interface ElectionState {
  readonly config: ElectionConfig;
  readonly inputs: ElectionInputs;
  /** QuorumPeer.getPeerState(). */
  readonly state: ServerState;
  /** FastLeaderElection.logicalclock: the round of this server's current election. */
  readonly logicalClock: bigint;
  /** The vote this server proposes (proposedLeader, proposedZxid, proposedEpoch). */
  readonly vote: Vote;
  /** QuorumPeer.getCurrentVote(): the outcome of the last election (what we tell LOOKING peers once decided). */
  readonly currentVote: ElectionVote;
  /** recvset: the latest vote of each voter in our round. */
  readonly receiveVotes: ReadonlyMap<number, ElectionVote>;
  /** outofelection: votes of servers that are FOLLOWING or LEADING, in any round. */
  readonly outOfElection: ReadonlyMap<number, ElectionVote>;
  /** A quorum holds our vote; we wait finalizeWait for a better one. */
  readonly waitNotmsg: boolean;
  /** notTimeout in lookForLeader: how long to wait for a notification before sending again. */
  readonly notificationTimeoutMs: number;
}

export type ElectionEvent =
  /** lookForLeader starts (server start, or leaving FOLLOWING/LEADING): a new round. */
  | { readonly type: 'StartLooking'; readonly inputs: ElectionInputs }
  /** A decoded notification from server `from` (WorkerReceiver + lookForLeader's loop body). */
  | { readonly type: 'NotificationReceived'; readonly from: number; readonly notification: ElectionVote }
  /** The 'notification' timer fired: recvqueue.poll(notTimeout) returned null. */
  | { readonly type: 'NotificationTimeout' }
  /** The 'finalize' timer fired: finalizeWait passed without a better vote. */
  | { readonly type: 'FinalizeWait' };

/**
 * Effects, to be carried out in order. Timers are named; setting a timer
 * replaces the pending one of the same name, and a timer that was cancelled
 * or replaced must not fire.
 */
export type ElectionEffect =
  | { readonly type: 'sendNotification'; readonly to: number; readonly notification: ElectionVote }
  | { readonly type: 'setTimer'; readonly timer: ElectionTimer; readonly delayMs: number }
  | { readonly type: 'cancelTimer'; readonly timer: ElectionTimer }
  /** The election is over: lead, follow or observe `vote.leader`. */
  | { readonly type: 'elected'; readonly vote: Vote; readonly round: bigint; readonly state: 'LEADING' | 'FOLLOWING' | 'OBSERVING' };

type Step = Transition<ElectionState, ElectionEffect>;

/** The notification format we send (FastLeaderElection.Notification.CURRENTVERSION). */
const notificationVersion = 2;

export function electionConfig(myid: number, voters: readonly number[], timing: Partial<Omit<ElectionConfig, 'myid' | 'voters'>> = {}): ElectionConfig {
  const config: ElectionConfig = {
    myid,
    voters: [...voters].sort((a, b) => a - b),
    finalizeWaitMs: timing.finalizeWaitMs ?? finalizeWaitMsDefault,
    notificationIntervalMsMin: timing.notificationIntervalMsMin ?? notificationIntervalMsMinDefault,
    notificationIntervalMsMax: timing.notificationIntervalMsMax ?? notificationIntervalMsMaxDefault,
  };
  assert(new Set(config.voters).size === config.voters.length, () => `duplicate voter ids ${config.voters.join(',')}`);
  assert(config.voters.length > 0, 'an ensemble needs at least one voter');
  assert(config.notificationIntervalMsMin > 0 && config.notificationIntervalMsMin <= config.notificationIntervalMsMax, () => `notification interval ${config.notificationIntervalMsMin}..${config.notificationIntervalMsMax} ms`);
  return config;
}

/**
 * A server that has just started: QuorumPeer.startLeaderElection sets its
 * current vote to itself (electionEpoch -1), then lookForLeader begins.
 */
export function startElection(config: ElectionConfig, inputs: ElectionInputs): Step {
  const self = selfVoteOf(config, inputs);
  const initial: ElectionState = {
    config,
    inputs,
    state: 'LOOKING',
    logicalClock: 0n,
    vote: self,
    currentVote: { vote: self, round: -1n, state: 'LOOKING', version: notificationVersion },
    receiveVotes: new Map(),
    outOfElection: new Map(),
    waitNotmsg: false,
    notificationTimeoutMs: config.notificationIntervalMsMin,
  };
  return startLooking(initial, inputs);
}

export function step(state: ElectionState, event: ElectionEvent): Step {
  switch (event.type) {
    case 'StartLooking':
      return startLooking(state, event.inputs);
    case 'NotificationReceived':
      return notificationReceived(state, event.from, event.notification);
    case 'NotificationTimeout':
      return notificationTimeout(state);
    case 'FinalizeWait':
      return finalizeWait(state);
    default:
      return assertNever(event, 'election event');
  }
}

export function isVoter(config: ElectionConfig, sid: number | bigint): boolean {
  return config.voters.some((voter) => BigInt(voter) === BigInt(sid));
}

/**
 * FastLeaderElection.totalOrderPredicate: whether vote a beats vote b, by
 * epoch, then zxid, then server id. A vote for a server that cannot vote
 * (an observer, an unknown id: weight 0) never wins.
 */
export function isBetterVote(config: ElectionConfig, a: Vote, b: Vote): boolean {
  if (!isVoter(config, a.leader)) return false;
  if (a.epoch !== b.epoch) return a.epoch > b.epoch;
  if (a.zxid !== b.zxid) return a.zxid > b.zxid;
  return a.leader > b.leader;
}

/**
 * Vote.equals: votes of LOOKING servers must agree on everything; votes of
 * servers out of the election only on the leader (and its epoch when both
 * sides speak a versioned format or neither does), because their zxid and
 * round can legitimately differ (ZOOKEEPER-1805, ZOOKEEPER-1732).
 */
export function isSameVote(a: ElectionVote, b: ElectionVote): boolean {
  if (a.state === 'LOOKING' || b.state === 'LOOKING') {
    return a.vote.leader === b.vote.leader && a.vote.zxid === b.vote.zxid && a.round === b.round && a.vote.epoch === b.vote.epoch;
  }
  if (a.version > 0 !== b.version > 0) return a.vote.leader === b.vote.leader;
  return a.vote.leader === b.vote.leader && a.vote.epoch === b.vote.epoch;
}

/** getVoteTracker(votes, vote).hasAllQuorums(): the voters whose recorded vote equals `target` form a majority. */
export function hasQuorumFor(config: ElectionConfig, votes: ReadonlyMap<number, ElectionVote>, target: ElectionVote): boolean {
  let agreeing = 0;
  for (const [sid, recorded] of votes) {
    if (isVoter(config, sid) && isSameVote(recorded, target)) agreeing++;
  }
  return agreeing > config.voters.length / 2;
}

/**
 * FastLeaderElection.checkLeader: a server other than us may be followed
 * only if it told us itself that it is LEADING; we may lead only in our own
 * round. Without it, a server could follow a leader that has moved on.
 */
export function checkLeader(state: ElectionState, votes: ReadonlyMap<number, ElectionVote>, leader: bigint, round: bigint): boolean {
  if (leader !== BigInt(state.config.myid)) return votes.get(Number(leader))?.state === 'LEADING';
  return state.logicalClock === round;
}

function selfVoteOf(config: ElectionConfig, inputs: ElectionInputs): Vote {
  if (!isVoter(config, config.myid)) return { leader: observerVoteValue, zxid: observerVoteValue, epoch: observerVoteValue };
  return { leader: BigInt(config.myid), zxid: inputs.lastLoggedZxid, epoch: inputs.currentEpoch };
}

/** The vote this server would propose for itself now (updateProposal(getInitId(), getInitLastLoggedZxid(), getPeerEpoch())). */
export function selfVote(state: ElectionState): Vote {
  return selfVoteOf(state.config, state.inputs);
}

/** lookForLeader's entry: a new round, voting for ourselves, told to every voter. */
function startLooking(state: ElectionState, inputs: ElectionInputs): Step {
  const looking: ElectionState = {
    ...state,
    inputs,
    state: 'LOOKING',
    logicalClock: state.logicalClock + 1n,
    vote: selfVoteOf(state.config, inputs),
    receiveVotes: new Map(),
    outOfElection: new Map(),
    waitNotmsg: false,
    notificationTimeoutMs: state.config.notificationIntervalMsMin,
  };
  const effects: ElectionEffect[] = [{ type: 'cancelTimer', timer: 'finalize' }];
  const sent = sendNotifications(looking, effects);
  // A single-voter ensemble has its quorum as soon as its own vote is in.
  return afterHandling(checkTermination(sent, effects), effects);
}

/** NotificationTimeout: nothing arrived for notTimeout; send our vote again and wait twice as long (up to the maximum). */
function notificationTimeout(state: ElectionState): Step {
  if (state.state !== 'LOOKING' || state.waitNotmsg) return { state, effects: [] };
  const effects: ElectionEffect[] = [];
  const sent = sendNotifications(state, effects);
  const notificationTimeoutMs = Math.min(state.notificationTimeoutMs * 2, state.config.notificationIntervalMsMax);
  effects.push({ type: 'setTimer', timer: 'notification', delayMs: notificationTimeoutMs });
  return { state: { ...sent, notificationTimeoutMs }, effects };
}

/** FinalizeWait: no better vote arrived within finalizeWait of the last notification; our vote is the outcome. */
function finalizeWait(state: ElectionState): Step {
  if (state.state !== 'LOOKING' || !state.waitNotmsg) return { state, effects: [] };
  return decide(state, state.vote, state.logicalClock, false);
}

function notificationReceived(state: ElectionState, from: number, n: ElectionVote): Step {
  const { config } = state;
  const effects: ElectionEffect[] = [];

  // WorkerReceiver: a server that may not vote gets our current vote and nothing more.
  if (!isVoter(config, from)) {
    effects.push(reply(from, state.currentVote.vote, state.logicalClock, state.state));
    return { state, effects };
  }

  if (state.state !== 'LOOKING') {
    // WorkerReceiver: out of the election, we tell a LOOKING peer whom we follow or that we lead.
    if (n.state === 'LOOKING') effects.push(reply(from, state.currentVote.vote, state.currentVote.round, state.state));
    return { state, effects };
  }

  // WorkerReceiver: a LOOKING peer behind us learns our round and vote.
  if (n.state === 'LOOKING' && n.round < state.logicalClock) effects.push(reply(from, state.vote, state.logicalClock, 'LOOKING'));

  if (state.waitNotmsg) {
    // The finalize loop takes notifications off the queue and drops every one
    // that does not beat our vote; each one restarts the finalizeWait poll.
    if (!isBetterVote(config, n.vote, state.vote)) {
      effects.push({ type: 'setTimer', timer: 'finalize', delayMs: config.finalizeWaitMs });
      return { state, effects };
    }
    effects.push({ type: 'cancelTimer', timer: 'finalize' });
    state = { ...state, waitNotmsg: false };
  }

  // lookForLeader ignores votes for servers that may not lead.
  if (!isVoter(config, n.vote.leader)) return afterHandling(state, effects);

  switch (n.state) {
    case 'LOOKING':
      return afterHandling(handleLookingNotification(state, from, n, effects), effects);
    case 'OBSERVING':
      return afterHandling(state, effects);
    case 'FOLLOWING':
    case 'LEADING':
      // receivedLeadingNotification adds only the two-server oracle, which we do not support.
      return receivedFollowingNotification(state, from, n, effects);
    default:
      return assertNever(n.state, 'server state');
  }
}

/** The LOOKING case of lookForLeader's switch. */
function handleLookingNotification(state: ElectionState, from: number, n: ElectionVote, effects: ElectionEffect[]): ElectionState {
  const { config } = state;
  // A server that has never logged anything (zxid -1) takes no part, nor do its votes.
  if (selfVote(state).zxid === -1n || n.vote.zxid === -1n) return state;
  let next = state;
  if (n.round > state.logicalClock) {
    // A newer round: join it, forget the votes of the old one, and vote for the better of the peer's vote and our own.
    const own = selfVote(state);
    next = { ...state, logicalClock: n.round, receiveVotes: new Map(), vote: isBetterVote(config, n.vote, own) ? n.vote : own };
    next = sendNotifications(next, effects);
  } else if (n.round < state.logicalClock) {
    return state;
  } else if (isBetterVote(config, n.vote, state.vote)) {
    next = sendNotifications({ ...state, vote: n.vote }, effects);
  }
  const receiveVotes = new Map(next.receiveVotes);
  receiveVotes.set(from, { vote: n.vote, round: n.round, state: 'LOOKING', version: n.version });
  return checkTermination({ ...next, receiveVotes }, effects);
}

/** A quorum holds our vote in our round: start finalizeWait. */
function checkTermination(state: ElectionState, effects: ElectionEffect[]): ElectionState {
  const target: ElectionVote = { vote: state.vote, round: state.logicalClock, state: 'LOOKING', version: notificationVersion };
  if (!hasQuorumFor(state.config, state.receiveVotes, target)) return state;
  effects.push({ type: 'cancelTimer', timer: 'notification' }, { type: 'setTimer', timer: 'finalize', delayMs: state.config.finalizeWaitMs });
  return { ...state, waitNotmsg: true };
}

/**
 * receivedFollowingNotification: the sender is out of the election. In our
 * round its vote counts in recvset; in any round it counts in outofelection,
 * which is how a server that starts late (or restarts) joins an ensemble that
 * already has a leader. Either way the leader must have said it is LEADING.
 */
function receivedFollowingNotification(state: ElectionState, from: number, n: ElectionVote, effects: ElectionEffect[]): Step {
  const { config } = state;
  let next = state;
  if (n.round === state.logicalClock) {
    const receiveVotes = new Map(state.receiveVotes);
    receiveVotes.set(from, n);
    next = { ...next, receiveVotes };
    if (hasQuorumFor(config, receiveVotes, n) && checkLeader(next, receiveVotes, n.vote.leader, n.round)) {
      return decide(next, n.vote, n.round, true, effects);
    }
  }
  const outOfElection = new Map(next.outOfElection);
  outOfElection.set(from, n);
  next = { ...next, outOfElection };
  if (hasQuorumFor(config, outOfElection, n) && checkLeader(next, outOfElection, n.vote.leader, n.round)) {
    return decide({ ...next, logicalClock: n.round }, n.vote, n.round, true, effects);
  }
  return afterHandling(next, effects);
}

/** setPeerState + leaveInstance: LEADING if the vote is ours, else FOLLOWING (or OBSERVING for an observer). */
function decide(state: ElectionState, vote: Vote, round: bigint, cancelFinalize: boolean, effects: ElectionEffect[] = []): Step {
  const { config } = state;
  const role = vote.leader === BigInt(config.myid) ? 'LEADING' : isVoter(config, config.myid) ? 'FOLLOWING' : 'OBSERVING';
  effects.push({ type: 'cancelTimer', timer: 'notification' });
  if (cancelFinalize) effects.push({ type: 'cancelTimer', timer: 'finalize' });
  effects.push({ type: 'elected', vote, round, state: role });
  const decided: ElectionState = {
    ...state,
    state: role,
    vote,
    currentVote: { vote, round, state: role, version: notificationVersion },
    waitNotmsg: false,
  };
  return { state: decided, effects };
}

/** lookForLeader polls again: the notification timer restarts unless we are finalizing or done. */
function afterHandling(state: ElectionState, effects: ElectionEffect[]): Step {
  if (state.state === 'LOOKING' && !state.waitNotmsg) {
    effects.push({ type: 'setTimer', timer: 'notification', delayMs: state.notificationTimeoutMs });
  }
  return { state, effects };
}

/**
 * sendNotifications: our vote, in our round, to every voter. Our own copy
 * is recorded in receiveVotes at once instead of looping through the network.
 */
function sendNotifications(state: ElectionState, effects: ElectionEffect[]): ElectionState {
  const notification: ElectionVote = { vote: state.vote, round: state.logicalClock, state: 'LOOKING', version: notificationVersion };
  for (const to of state.config.voters) {
    if (to !== state.config.myid) effects.push({ type: 'sendNotification', to, notification });
  }
  if (!isVoter(state.config, state.config.myid)) return state;
  const receiveVotes = new Map(state.receiveVotes);
  receiveVotes.set(state.config.myid, notification);
  return { ...state, receiveVotes };
}

function reply(to: number, vote: Vote, round: bigint, state: ServerState): ElectionEffect {
  return { type: 'sendNotification', to, notification: { vote, round, state, version: notificationVersion } };
}
