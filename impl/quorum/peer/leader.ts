// The leader's side of Zab after election (Leader.lead, getEpochToPropose,
// waitForEpochAck, waitForNewLeaderAck, propose, processAck, tryToCommit;
// LearnerHandler.run and syncFollower). Each handler is named after the
// ZkV3_7_0.tla action spec/zab implements; the sync choice is spec/zab's
// syncFollower over 64-bit zxids with a bounded committedLog.

import { assert } from '../../../lib/assert.ts';
import { unchanged, type Transition } from '../../../lib/transition.ts';
import { bit, counterOfZxid, epochOfZxid, has, ids, indexAtOrBefore, indexOfZxid, isQuorum, lastZxid, makeZxid, ZXID_COUNTER_MAX, zxidAt } from './history.ts';
import type { LeaderPeer, LookingPeer, Peer, PeerConfig, PeerDisk, PeerEffect, PeerMessage, PeerTxn, SyncMode } from './types.ts';
import { hex } from '../../../lib/hex.ts';

type Step = Transition<Peer, PeerEffect>;

/** A leader as the election leaves it: memory from disk, LeaderProcessFOLLOWERINFO counts itself first. */
export function startLeading(id: number, config: PeerConfig, disk: PeerDisk): LeaderPeer {
  const lastCommitted = Math.min(disk.snapshotCount, disk.log.length);
  return {
    role: 'LEADING',
    id,
    config,
    acceptedEpoch: disk.acceptedEpoch,
    currentEpoch: disk.currentEpoch,
    history: disk.log,
    lastCommitted,
    syncedZxid: lastZxid(disk.log),
    phase: 'DISCOVERY',
    learners: bit(id),
    connecting: bit(id),
    tempMaxEpoch: disk.acceptedEpoch + 1,
    electing: bit(id),
    toSync: [],
    ackld: bit(id),
    forwarding: 0,
    acks: disk.log.map(() => 0),
  };
}

export function goLooking(peer: Peer, reason: string): Step {
  const looking: LookingPeer = {
    role: 'LOOKING',
    id: peer.id,
    config: peer.config,
    acceptedEpoch: peer.acceptedEpoch,
    currentEpoch: peer.currentEpoch,
    history: peer.history,
    lastCommitted: peer.lastCommitted,
    syncedZxid: peer.syncedZxid,
  };
  return { state: looking, effects: [{ type: 'goLooking', reason }] };
}

const isVoter = (leader: LeaderPeer, sid: number) => sid < leader.config.voters;

/**
 * LeaderProcessFOLLOWERINFO (getEpochToPropose): collect acceptedEpochs until a
 * quorum of voters, self included, is connecting; propose max + 1, persist it
 * as acceptedEpoch before any LEADERINFO leaves, and tell every connecting
 * learner. Later learners get LEADERINFO at once.
 */
export function leaderProcessFollowerInfo(leader: LeaderPeer, from: number, acceptedEpoch: number): Step {
  // The leader counts itself first (startLeading) and never hears from itself on the quorum port.
  assert(from !== leader.id && has(leader.connecting, leader.id), () => `leader ${leader.id}: FOLLOWERINFO from ${from}, connecting ${leader.connecting}`);
  const learners = leader.learners | bit(from);
  if (isQuorum(leader.connecting, leader.config.voters)) {
    return { state: { ...leader, learners }, effects: [{ type: 'send', to: from, message: { type: 'LEADERINFO', epoch: leader.acceptedEpoch } }] };
  }
  const tempMaxEpoch = Math.max(leader.tempMaxEpoch, acceptedEpoch + 1);
  // Until the epoch is chosen the leader is in discovery, and the epoch it will propose is newer than any it accepted.
  assert(leader.phase === 'DISCOVERY' && tempMaxEpoch > leader.acceptedEpoch, () => `leader ${leader.id} in ${leader.phase} would propose epoch ${tempMaxEpoch}, acceptedEpoch ${leader.acceptedEpoch}`);
  const connecting = leader.connecting | bit(from);
  const next: LeaderPeer = { ...leader, learners, connecting, tempMaxEpoch };
  if (!isQuorum(connecting, leader.config.voters)) return { state: next, effects: [] };
  const effects: PeerEffect[] = [{ type: 'persistAcceptedEpoch', epoch: tempMaxEpoch }];
  for (const sid of ids(connecting & learners)) {
    if (sid !== leader.id) effects.push({ type: 'send', to: sid, message: { type: 'LEADERINFO', epoch: tempMaxEpoch } });
  }
  return { state: { ...next, acceptedEpoch: tempMaxEpoch }, effects };
}

/** StateSummary.isMoreRecentThan: the learner saw a newer epoch or more of this one. */
function isMoreRecent(leader: LeaderPeer, currentEpoch: number, peerLastZxid: bigint): boolean {
  return currentEpoch > leader.currentEpoch || (currentEpoch === leader.currentEpoch && peerLastZxid > lastZxid(leader.history));
}

/**
 * LeaderProcessACKEPOCH (waitForEpochAck) with LeaderSyncFollower merged in:
 * at a quorum of ACKEPOCH the new epoch is established, currentEpoch is
 * persisted, and every learner that acked is synchronised; later ones are
 * synchronised at once. A learner more recent than us ends our leadership.
 */
export function leaderProcessAckEpoch(leader: LeaderPeer, from: number, currentEpoch: number, peerLastZxid: bigint): Step {
  // An ACKEPOCH answers a LEADERINFO, which leaves only once the epoch is chosen.
  if (!has(leader.learners, from) || !isQuorum(leader.connecting, leader.config.voters)) return unchanged(leader);
  if (isQuorum(leader.electing, leader.config.voters)) return syncFollower(leader, from, peerLastZxid);
  // Without a quorum of ACKEPOCH the epoch is not established yet.
  assert(leader.phase === 'DISCOVERY', () => `leader ${leader.id} in ${leader.phase} without a quorum of ACKEPOCH`);
  if (currentEpoch !== -1 && isMoreRecent(leader, currentEpoch, peerLastZxid)) {
    return goLooking(leader, `learner ${from} is more recent (epoch ${currentEpoch}, zxid ${hex(peerLastZxid)})`);
  }
  const electing = currentEpoch !== -1 && isVoter(leader, from) ? leader.electing | bit(from) : leader.electing;
  const toSync = [...leader.toSync.filter((s) => s.sid !== from), { sid: from, peerLastZxid }];
  if (!isQuorum(electing, leader.config.voters)) return { state: { ...leader, electing, toSync }, effects: [] };
  // LeaderTurnToSynchronization: the epoch established is newer than the one the leader had.
  assert(leader.acceptedEpoch > leader.currentEpoch, () => `leader ${leader.id} establishes epoch ${leader.acceptedEpoch} over currentEpoch ${leader.currentEpoch}`);
  let next: LeaderPeer = { ...leader, electing, toSync: [], currentEpoch: leader.acceptedEpoch, phase: 'SYNCHRONIZATION' };
  const effects: PeerEffect[] = [{ type: 'persistCurrentEpoch', epoch: leader.acceptedEpoch }];
  for (const pending of toSync) {
    const synced = syncFollower(next, pending.sid, pending.peerLastZxid);
    next = synced.state as LeaderPeer;
    effects.push(...synced.effects);
  }
  return { state: next, effects };
}

/** The sync the leader chose for a learner: what syncFollower decided, and from which history index it sends proposals. */
export interface SyncChoice {
  readonly mode: Exclude<SyncMode, 'NONE'>;
  readonly zxid: bigint;
  readonly fromIndex: number;
}

/**
 * LearnerHandler.syncFollower's decision. The committedLog is the last
 * committedLogCountMax committed proposals; before broadcast the whole history
 * counts as committed (the new leader's history is what NEWLEADER establishes).
 */
export function chooseSync(leader: LeaderPeer, peerLastZxid: bigint): SyncChoice {
  const history = leader.history;
  const maxCommittedIndex = leader.phase === 'BROADCAST' ? leader.lastCommitted : history.length;
  const minCommittedIndex = Math.max(0, maxCommittedIndex - leader.config.committedLogCountMax);
  const lastProcessed = zxidAt(history, maxCommittedIndex);
  const committedLogEmpty = minCommittedIndex >= maxCommittedIndex;
  const minCommittedLog = committedLogEmpty ? lastProcessed : history[minCommittedIndex]!.zxid;
  const maxCommittedLog = lastProcessed;
  if (peerLastZxid === lastProcessed) return { mode: 'DIFF', zxid: peerLastZxid, fromIndex: maxCommittedIndex };
  // The learner has proposals no quorum committed: cut them off.
  if (peerLastZxid > maxCommittedLog) return { mode: 'TRUNC', zxid: maxCommittedLog, fromIndex: maxCommittedIndex };
  if (minCommittedLog <= peerLastZxid) {
    const index = indexOfZxid(history, peerLastZxid);
    if (index >= 0) return { mode: 'DIFF', zxid: peerLastZxid, fromIndex: index };
    // TRUNC + DIFF: the learner's last zxid is on a branch we do not have; cut to the entry before it,
    // but never across an epoch boundary (queueCommittedProposals; LearnerHandlerTest.testCrossEpochTrunc): SNAP.
    const before = indexAtOrBefore(history, peerLastZxid);
    const after = history[before];
    if (after !== undefined && after.zxid >> 32n !== peerLastZxid >> 32n) return { mode: 'SNAP', zxid: lastProcessed, fromIndex: maxCommittedIndex };
    return { mode: 'TRUNC', zxid: zxidAt(history, before), fromIndex: before };
  }
  return { mode: 'SNAP', zxid: lastProcessed, fromIndex: maxCommittedIndex };
}

/**
 * LeaderSyncFollower (syncFollower, queueCommittedProposals, startForwarding):
 * send DIFF/TRUNC/SNAP, the missing proposals (with COMMIT for the committed
 * ones; observers only get committed ones), then NEWLEADER; the learner is
 * forwarded new proposals from now on.
 */
export function syncFollower(leader: LeaderPeer, sid: number, peerLastZxid: bigint): Step {
  if (!has(leader.learners, sid)) return unchanged(leader);
  assert(leader.phase !== 'DISCOVERY' && sid !== leader.id, () => `leader ${leader.id} in ${leader.phase} syncs ${sid}`);
  const choice = chooseSync(leader, peerLastZxid);
  const maxCommittedIndex = leader.phase === 'BROADCAST' ? leader.lastCommitted : leader.history.length;
  // After DIFF or TRUNC the learner holds our history up to fromIndex, which ends at the zxid the message names;
  // after SNAP it holds our committed prefix, which ends there too.
  assert(zxidAt(leader.history, choice.fromIndex) === choice.zxid && (choice.mode !== 'SNAP' || choice.fromIndex === maxCommittedIndex), () => `${choice.mode} to ${hex(choice.zxid)} from index ${choice.fromIndex}`);
  const messages: PeerMessage[] = [];
  switch (choice.mode) {
    case 'DIFF':
      messages.push({ type: 'DIFF', zxid: choice.zxid });
      break;
    case 'TRUNC':
      messages.push({ type: 'TRUNC', zxid: choice.zxid });
      break;
    case 'SNAP':
      messages.push({ type: 'SNAP', zxid: choice.zxid, snapshot: leader.history.slice(0, maxCommittedIndex) });
      break;
  }
  for (let index = choice.fromIndex; index < leader.history.length; index++) {
    const txn = leader.history[index]!;
    // The proposals sent are above the learner's truncation point, in strictly increasing zxid order.
    assert(zxidAt(leader.history, index) < txn.zxid, () => `leader ${leader.id}'s log is not in zxid order at index ${index}`);
    const committed = index < maxCommittedIndex;
    if (!committed && !isVoter(leader, sid)) continue;
    messages.push({ type: 'PROPOSAL', txn });
    if (committed) messages.push({ type: 'COMMIT', zxid: txn.zxid });
  }
  messages.push({ type: 'NEWLEADER', epoch: leader.acceptedEpoch });
  return {
    state: { ...leader, forwarding: leader.forwarding | bit(sid), toSync: leader.toSync.filter((s) => s.sid !== sid) },
    effects: messages.map((message) => ({ type: 'send', to: sid, message })),
  };
}

/**
 * LeaderProcessACKLD (waitForNewLeaderAck): at a quorum of voters (self
 * included) the leader's history is committed and delivered, and every learner
 * that acked gets UPTODATE; later ackers get it at once.
 */
export function leaderProcessAckLd(leader: LeaderPeer, from: number, epoch: number): Step {
  if (!has(leader.learners, from) || epoch !== leader.acceptedEpoch) return unchanged(leader);
  if (leader.phase === 'BROADCAST') {
    return { state: { ...leader, ackld: leader.ackld | bit(from) }, effects: [{ type: 'send', to: from, message: { type: 'UPTODATE' } }] };
  }
  if (leader.phase !== 'SYNCHRONIZATION') return unchanged(leader);
  const ackld = leader.ackld | bit(from);
  if (!isQuorum(ackld, leader.config.voters)) return { state: { ...leader, ackld }, effects: [] };
  // LeaderTurnToBroadcast: the leader wrote currentEpoch when it entered synchronisation.
  assert(leader.currentEpoch === leader.acceptedEpoch, () => `leader ${leader.id} establishes with currentEpoch ${leader.currentEpoch}, acceptedEpoch ${leader.acceptedEpoch}`);
  const effects: PeerEffect[] = leader.history.slice(leader.lastCommitted).map((txn) => ({ type: 'deliver', txn }));
  for (const sid of ids(ackld & leader.learners)) {
    if (sid !== leader.id) effects.push({ type: 'send', to: sid, message: { type: 'UPTODATE' } });
  }
  return { state: { ...leader, ackld, phase: 'BROADCAST', lastCommitted: leader.history.length }, effects };
}

/**
 * LeaderProcessRequest (ZooKeeperServer -> ProposalRequestProcessor,
 * Leader.propose): zxid = currentEpoch << 32 | next counter; the proposal goes
 * to our log (our ACK counts once it is durable, see leaderLogSynced) and to the
 * forwarding voters. A counter that would overflow forces a new election, as
 * Leader.propose does (ZOOKEEPER-1277).
 */
export function leaderProcessRequest(leader: LeaderPeer, data: Uint8Array): Step {
  if (leader.phase !== 'BROADCAST') return unchanged(leader);
  // An established leader proposes in the epoch it established, and keeps an ack set per entry.
  assert(leader.currentEpoch === leader.acceptedEpoch && leader.acks.length === leader.history.length, () => `leader ${leader.id} proposes with currentEpoch ${leader.currentEpoch}, acceptedEpoch ${leader.acceptedEpoch}, ${leader.acks.length} ack sets for ${leader.history.length} entries`);
  const last = lastZxid(leader.history);
  const lastEpoch = epochOfZxid(last);
  // Zxids strictly increase in a log: no entry of the leader's is of a later epoch than the one it leads.
  assert(lastEpoch <= leader.currentEpoch, () => `leader ${leader.id} of epoch ${leader.currentEpoch} holds ${hex(last)}`);
  const counter = lastEpoch === leader.currentEpoch ? counterOfZxid(last) + 1n : 1n;
  if (counter > ZXID_COUNTER_MAX) return goLooking(leader, 'zxid counter rollover');
  const txn: PeerTxn = { zxid: makeZxid(leader.currentEpoch, counter), data };
  const effects: PeerEffect[] = [{ type: 'appendTxns', txns: [txn] }];
  for (const sid of ids(leader.forwarding)) {
    if (isVoter(leader, sid) && sid !== leader.id) effects.push({ type: 'send', to: sid, message: { type: 'PROPOSAL', txn } });
  }
  return { state: { ...leader, history: [...leader.history, txn], acks: [...leader.acks, 0] }, effects };
}

/** The leader's own ACK: every proposal durable on our disk counts us (AckRequestProcessor after SyncRequestProcessor). */
export function leaderLogSynced(leader: LeaderPeer, zxid: bigint): Step {
  const syncedZxid = zxid > leader.syncedZxid ? zxid : leader.syncedZxid;
  const acks = leader.acks.map((a, index) => (index >= leader.lastCommitted && leader.history[index]!.zxid <= syncedZxid ? a | bit(leader.id) : a));
  return tryToCommit({ ...leader, syncedZxid, acks });
}

/** LeaderProcessACK (processAck): count a forwarding voter's ack, then commit what a quorum holds. */
export function leaderProcessAck(leader: LeaderPeer, from: number, zxid: bigint): Step {
  if (!has(leader.forwarding, from) || !isVoter(leader, from) || leader.phase !== 'BROADCAST') return unchanged(leader);
  const index = indexOfZxid(leader.history, zxid);
  if (index <= leader.lastCommitted) return unchanged(leader);
  assert(leader.acks.length === leader.history.length, () => `leader ${leader.id}: ${leader.acks.length} ack sets for ${leader.history.length} entries`);
  const acks = leader.acks.slice();
  acks[index - 1] = acks[index - 1]! | bit(from);
  return tryToCommit({ ...leader, acks });
}

/** tryToCommit: in zxid order, commit each proposal a quorum acked; COMMIT to voters, INFORM to observers, deliver here. */
function tryToCommit(leader: LeaderPeer): Step {
  if (leader.phase !== 'BROADCAST') return { state: leader, effects: [] };
  let lastCommitted = leader.lastCommitted;
  const effects: PeerEffect[] = [];
  while (lastCommitted < leader.history.length && isQuorum(leader.acks[lastCommitted]!, leader.config.voters)) {
    const txn = leader.history[lastCommitted]!;
    lastCommitted++;
    for (const sid of ids(leader.forwarding)) {
      if (sid === leader.id) continue;
      effects.push({ type: 'send', to: sid, message: isVoter(leader, sid) ? { type: 'COMMIT', zxid: txn.zxid } : { type: 'INFORM', txn } });
    }
    effects.push({ type: 'deliver', txn });
  }
  return { state: { ...leader, lastCommitted }, effects };
}

/**
 * RemoveLearner: the learner leaves learners and forwarding, and its acks of
 * uncommitted proposals are forgotten (spec/zab's deliberate difference: it may
 * be told to TRUNC them when it returns). Without a quorum of voters the leader
 * gives up (the ping check in Leader.lead).
 */
export function leaderLearnerLost(leader: LeaderPeer, sid: number): Step {
  if (!has(leader.learners, sid) || sid === leader.id) return unchanged(leader);
  const learners = leader.learners & ~bit(sid);
  if (leader.phase !== 'DISCOVERY' && !isQuorum(learners, leader.config.voters)) return goLooking(leader, 'lost the quorum of learners');
  const acks = leader.acks.map((a, index) => (index < leader.lastCommitted ? a : a & ~bit(sid)));
  return {
    state: { ...leader, learners, acks, forwarding: leader.forwarding & ~bit(sid), toSync: leader.toSync.filter((s) => s.sid !== sid) },
    effects: [],
  };
}
