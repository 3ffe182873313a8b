// One ZooKeeper server's reducer: step(node, event) -> { state, effects }.
// One switch on the event, one on the message type; each case calls a named
// handler whose name is the ZkV3_7_0.tla action it implements.

import * as asserts from '../../lib/assert.ts';
import * as transitions from '../../lib/transition.ts';
import type { Transition } from '../../lib/transition.ts';
import * as broadcasts from './broadcast.ts';
import * as discoveries from './discovery.ts';
import * as elections from './election.ts';
import * as histories from './history.ts';
import * as knownBugs from './mutants.ts';
import * as syncs from './sync.ts';
import type { ServerConfig, Txn, ZabEffect, ZabEvent, ZabMessage, ZabNode } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { assertNever } = asserts;
const { unchanged } = transitions;
const { followerProcessCommit, followerProcessProposal, leaderProcessAck, leaderProcessRequest, observerProcessInform } = broadcasts;
const { connectToLeader, followerProcessLeaderInfo, leaderProcessAckEpoch, leaderProcessFollowerInfo } = discoveries;
const { electionDecided, finalizeWait, notificationReceived, notificationTimeout, startLooking } = elections;
const { bit, has, isLearner, isQuorum, lastZxid, zxidAt } = histories;
const { ZOOKEEPER_2845 } = knownBugs;
const { followerProcessCommitInSync, followerProcessDiff, followerProcessNewLeader, followerProcessProposalInSync, followerProcessSnap, followerProcessTrunc, followerProcessUpToDate, leaderProcessAckLd, observerProcessInformInSync } = syncs;

export type ZabTransition = Transition<ZabNode, ZabEffect>;

export function step(node: ZabNode, event: ZabEvent): ZabTransition {
  switch (event.type) {
    case 'StartLooking':
      return startLooking(node);
    case 'ElectionDecided':
      return electionDecided(node, event.vote);
    case 'NotificationReceived':
      return notificationReceived(node, event.from, event.notification);
    case 'NotificationTimeout':
      return notificationTimeout(node);
    case 'FinalizeWait':
      return finalizeWait(node);
    case 'ConnectToLeader':
      return connectToLeader(node);
    case 'LeaderLost':
      return leaderLost(node);
    case 'LearnerLost':
      return learnerLost(node, event.sid);
    case 'Receive':
      return receive(node, event.from, event.message);
    case 'ClientRequest':
      return leaderProcessRequest(node, event.value);
    default:
      return assertNever(event, 'ZAB event');
  }
}

function receive(node: ZabNode, from: number, message: ZabMessage): ZabTransition {
  switch (message.type) {
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      return leaderProcessFollowerInfo(node, from, message.acceptedEpoch);
    case 'LEADERINFO':
      return followerProcessLeaderInfo(node, from, message.epoch);
    case 'ACKEPOCH':
      return leaderProcessAckEpoch(node, from, message.currentEpoch, message.lastZxid);
    case 'DIFF':
      return followerProcessDiff(node, from, message.zxid);
    case 'TRUNC':
      return followerProcessTrunc(node, from, message.zxid);
    case 'SNAP':
      return followerProcessSnap(node, from, message.snapshot);
    case 'NEWLEADER':
      return followerProcessNewLeader(node, from, message.epoch);
    case 'ACKLD':
      return leaderProcessAckLd(node, from, message.epoch);
    case 'UPTODATE':
      return followerProcessUpToDate(node, from);
    case 'ACK':
      return leaderProcessAck(node, from, message.zxid);
    case 'PROPOSAL':
    case 'COMMIT':
    case 'INFORM':
      return learnerReceive(node, from, message);
    default:
      return assertNever(message, 'ZAB message');
  }
}

/** PROPOSAL, COMMIT and INFORM go to the in-sync handlers until UPTODATE, to the broadcast ones after. */
function learnerReceive(node: ZabNode, from: number, message: ZabMessage & { type: 'PROPOSAL' | 'COMMIT' | 'INFORM' }): ZabTransition {
  if (!isLearner(node) || node.leader !== from) return unchanged(node);
  const inSync = node.zabState === 'SYNCHRONIZATION';
  if (!inSync && node.zabState !== 'BROADCAST') return unchanged(node);
  switch (message.type) {
    case 'PROPOSAL':
      return inSync ? followerProcessProposalInSync(node, message.txn) : followerProcessProposal(node, from, message.txn);
    case 'COMMIT':
      return inSync ? followerProcessCommitInSync(node, message.zxid) : followerProcessCommit(node, message.zxid);
    case 'INFORM':
      return inSync ? observerProcessInformInSync(node, message.txn) : observerProcessInform(node, message.txn);
    default:
      return assertNever(message, 'learner message');
  }
}

/** FollowerShutdown: the connection to our leader broke (its crash, a partition, a timeout). */
function leaderLost(node: ZabNode): ZabTransition {
  if (!isLearner(node)) return unchanged(node);
  return startLooking(node);
}

/**
 * RemoveLearner: a learner's connection broke. The learner leaves learners and
 * forwarding; connecting, electing and ackldRecv keep it (they are sets of sids
 * in Leader.java). Without a quorum of voters left the leader gives up
 * (LeaderShutdown), as the ping check in Leader.lead does.
 */
function learnerLost(node: ZabNode, sid: number): ZabTransition {
  if (node.state !== 'LEADING' || !has(node.learners, sid)) return unchanged(node);
  const learners = node.learners & ~bit(sid);
  if (!isQuorum(learners, node.config.voters)) return startLooking(node);
  // The learner's acks of proposals not yet committed are forgotten: when it reconnects it may be told to
  // TRUNC them (its peerLastZxid is beyond maxCommittedLog) and acks them again after relogging. Counting
  // the old ack would let the leader commit a proposal that only its own disk holds.
  return {
    state: { ...node, learners, acks: withoutUncommittedAcks(node, sid), forwarding: node.forwarding & ~bit(sid), toSync: withoutToSync(node, sid) },
    effects: [],
  };
}

/** node.acks with `sid` removed from the entries not yet committed; the same array when it is in none of them. */
function withoutUncommittedAcks(node: ZabNode, sid: number): readonly number[] {
  let acks = node.acks;
  for (let index = node.lastCommitted; index < acks.length; index++) {
    if (!has(acks[index]!, sid)) continue;
    if (acks === node.acks) acks = acks.slice();
    (acks as number[])[index] = acks[index]! & ~bit(sid);
  }
  return acks;
}

/** node.toSync without `sid`'s entry; the same array when it has none (a learner that had not sent ACKEPOCH). */
function withoutToSync(node: ZabNode, sid: number): ZabNode['toSync'] {
  for (let k = 0; k < node.toSync.length; k++) if (node.toSync[k]!.sid === sid) return node.toSync.filter((s) => s.sid !== sid);
  return node.toSync;
}

/** What a server keeps on disk (world.ts owns it; step.ts rebuilds memory from it). */
export interface DiskImage {
  readonly log: readonly Txn[];
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly lastSnapshot: number;
}

/**
 * A learner that loaded a SNAP holds the leader's snapshot in memory only: it
 * reaches the disk at NEWLEADER (takeSnapshot). If the synchronisation breaks
 * before that, the database the next election reads (getLastLoggedZxid) must
 * be the disk's, as after a restart; otherwise the learner would report, and
 * be DIFFed and counted for, proposals no disk of it holds. Returns the node
 * with its memory rebuilt from disk, or the node itself when memory is not ahead.
 */
export function reloadSnapFromDisk(node: ZabNode, disk: DiskImage): ZabNode {
  if (node.syncMode !== 'SNAP') return node;
  const lastSnapshot = Math.min(disk.lastSnapshot, disk.log.length);
  return { ...node, history: disk.log, lastCommitted: lastSnapshot, lastSnapshot };
}

/**
 * A server as it comes up (Init, NodeStart): memory rebuilt from disk,
 * LOOKING in round 0 (StartLooking then opens round 1). Nothing is known to be
 * committed beyond the snapshot on disk.
 */
export function restartFromDisk(id: number, config: ServerConfig, disk: DiskImage): ZabNode {
  const lastCommitted = Math.min(disk.lastSnapshot, disk.log.length);
  return {
    id,
    config,
    state: 'LOOKING',
    zabState: 'ELECTION',
    acceptedEpoch: disk.acceptedEpoch,
    currentEpoch: disk.currentEpoch,
    history: disk.log,
    lastCommitted,
    lastSnapshot: lastCommitted,
    logicalClock: 0,
    // selfVote: the last logged zxid (the mutant ZOOKEEPER-2845 reports the last committed one).
    vote: { leader: id, zxid: config.mutant === ZOOKEEPER_2845 ? zxidAt(disk.log, lastCommitted) : lastZxid(disk.log), epoch: disk.currentEpoch },
    receiveVotes: new Array(config.servers).fill(null),
    outOfElection: new Array(config.servers).fill(null),
    waitNotmsg: false,
    learners: 0,
    connecting: 0,
    tempMaxEpoch: 0,
    electing: 0,
    toSync: [],
    ackldRecv: 0,
    forwarding: 0,
    acks: [],
    leader: -1,
    syncMode: 'NONE',
    newLeaderReceived: false,
    packetsNotCommitted: [],
    syncCommitted: 0,
  };
}
