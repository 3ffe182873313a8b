// Zab phase 1, discovery, as ZooKeeper runs it (Learner.registerWithLeader,
// Leader.getEpochToPropose, Leader.waitForEpochAck; ZkV3_7_0.tla actions
// ConnectAndFollowerSendFOLLOWERINFO, LeaderProcessFOLLOWERINFO,
// FollowerProcessLEADERINFO, LeaderProcessACKEPOCH). The paper's CEPOCH,
// NEWEPOCH and ACK-E are FOLLOWERINFO, LEADERINFO and ACKEPOCH (Zab paper
// §IV-A, Phase 1).

import * as asserts from '../../lib/assert.ts';
import * as transitions from '../../lib/transition.ts';
import type { Transition } from '../../lib/transition.ts';
import * as elections from './election.ts';
import * as histories from './history.ts';
import * as syncs from './sync.ts';
import type { ZabEffect, ZabMessage, ZabNode, Zxid } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const assert: typeof asserts.assert = asserts.assert;
const { unchanged } = transitions;
const { lastProcessedZxid, startLooking } = elections;
const { bit, compareZxid, has, ids, isLearner, isQuorum, isVoter, lastZxid } = histories;
const { syncFollower } = syncs;

type Step = Transition<ZabNode, ZabEffect>;


/** ConnectAndFollowerSendFOLLOWERINFO: connect to the leader we voted for and register (OBSERVERINFO for observers). */
export function connectToLeader(node: ZabNode): Step {
  if (!isLearner(node) || node.leader !== -1) return unchanged(node);
  const leader = node.vote.leader;
  assert(leader !== node.id, () => `s${node.id} is a learner of its own vote`);
  const message: ZabMessage =
    node.state === 'OBSERVING'
      ? { type: 'OBSERVERINFO', acceptedEpoch: node.acceptedEpoch }
      : { type: 'FOLLOWERINFO', acceptedEpoch: node.acceptedEpoch };
  return { state: { ...node, leader }, effects: [{ type: 'send', to: leader, message }] };
}

/**
 * LeaderProcessFOLLOWERINFO (getEpochToPropose): collect acceptedEpochs until
 * a quorum of voters, self included, is connected; then propose
 * max(acceptedEpoch) + 1, persist it as our acceptedEpoch and send LEADERINFO
 * to every learner waiting. Later learners get LEADERINFO at once.
 */
export function leaderProcessFollowerInfo(node: ZabNode, from: number, acceptedEpoch: number): Step {
  if (node.state !== 'LEADING') return unchanged(node);
  assert(from !== node.id && has(node.connecting, node.id), () => `leader s${node.id}: FOLLOWERINFO from s${from}, connecting ${node.connecting}`);
  const learners = node.learners | bit(from);
  const waitingForNewEpoch = !isQuorum(node.connecting, node.config.voters);
  if (!waitingForNewEpoch) {
    return {
      state: { ...node, learners },
      effects: [{ type: 'send', to: from, message: { type: 'LEADERINFO', epoch: node.acceptedEpoch } }],
    };
  }
  const tempMaxEpoch = acceptedEpoch >= node.tempMaxEpoch ? acceptedEpoch + 1 : node.tempMaxEpoch;
  // Until the epoch is chosen the leader is in discovery, and the epoch it will propose is newer than any it accepted.
  assert(node.zabState === 'DISCOVERY' && tempMaxEpoch > node.acceptedEpoch, () => `leader s${node.id} in ${node.zabState} would propose epoch ${tempMaxEpoch}, acceptedEpoch ${node.acceptedEpoch}`);
  const connecting = node.connecting | bit(from);
  const next: ZabNode = { ...node, learners, connecting, tempMaxEpoch };
  if (!isQuorum(connecting, node.config.voters)) return { state: next, effects: [] };
  const effects: ZabEffect[] = [{ type: 'writeAcceptedEpoch', epoch: tempMaxEpoch }];
  for (const sid of ids(connecting & learners)) {
    if (sid !== node.id) effects.push({ type: 'send', to: sid, message: { type: 'LEADERINFO', epoch: tempMaxEpoch } });
  }
  return { state: { ...next, acceptedEpoch: tempMaxEpoch }, effects };
}

/**
 * FollowerProcessLEADERINFO (registerWithLeader): accept a newer epoch,
 * persisting acceptedEpoch, and answer ACKEPOCH with our currentEpoch and last
 * zxid (currentEpoch -1 if we had accepted this epoch already). An older epoch
 * sends us back to election.
 */
export function followerProcessLeaderInfo(node: ZabNode, from: number, newEpoch: number): Step {
  if (!isLearner(node) || node.leader !== from) return unchanged(node);
  if (newEpoch < node.acceptedEpoch) return startLooking(node);
  if (node.zabState !== 'DISCOVERY') return unchanged(node);
  // f.a <= f.p (Zab paper §IV-A): currentEpoch is only ever set to an epoch already accepted.
  assert(node.currentEpoch <= node.acceptedEpoch, () => `s${node.id}: currentEpoch ${node.currentEpoch} > acceptedEpoch ${node.acceptedEpoch}`);
  const lastZxidReported = lastProcessedZxid(node);
  if (newEpoch > node.acceptedEpoch) {
    return {
      state: { ...node, acceptedEpoch: newEpoch, zabState: 'SYNCHRONIZATION' },
      effects: [
        { type: 'writeAcceptedEpoch', epoch: newEpoch },
        { type: 'send', to: from, message: { type: 'ACKEPOCH', currentEpoch: node.currentEpoch, lastZxid: lastZxidReported } },
      ],
    };
  }
  return {
    state: { ...node, zabState: 'SYNCHRONIZATION' },
    effects: [{ type: 'send', to: from, message: { type: 'ACKEPOCH', currentEpoch: -1, lastZxid: lastZxidReported } }],
  };
}

/** The learner's state summary is more recent than ours (StateSummary.isMoreRecentThan). */
function isMoreRecent(currentEpoch: number, lastZxidOf: Zxid, node: ZabNode): boolean {
  return currentEpoch > node.currentEpoch || (currentEpoch === node.currentEpoch && compareZxid(lastZxidOf, lastZxid(node.history)) > 0);
}

/**
 * LeaderProcessACKEPOCH (waitForEpochAck) with LeaderSyncFollower merged in:
 * once a quorum of voters (self included) has acked the epoch the leader
 * persists currentEpoch, enters synchronisation and synchronises every learner
 * that has acked so far; a learner acking later is synchronised at once. A
 * learner more recent than the leader makes it give up (LeaderShutdown).
 */
export function leaderProcessAckEpoch(node: ZabNode, from: number, currentEpoch: number, peerLastZxid: Zxid): Step {
  if (node.state !== 'LEADING' || !has(node.learners, from)) return unchanged(node);
  // An ACKEPOCH answers a LEADERINFO, which leaves only once the epoch is chosen.
  assert(from !== node.id && isQuorum(node.connecting, node.config.voters), () => `leader s${node.id}: ACKEPOCH from s${from} before the epoch is chosen`);
  if (isQuorum(node.electing, node.config.voters)) return syncFollower(node, from, peerLastZxid);
  if (node.zabState !== 'DISCOVERY') return unchanged(node);
  if (currentEpoch !== -1 && isMoreRecent(currentEpoch, peerLastZxid, node)) return startLooking(node);
  const electing = currentEpoch !== -1 && isVoter(node, from) ? node.electing | bit(from) : node.electing;
  const toSync = [...node.toSync.filter((s) => s.sid !== from), { sid: from, peerLastZxid }];
  if (!isQuorum(electing, node.config.voters)) return { state: { ...node, electing, toSync }, effects: [] };
  // LeaderTurnToSynchronization: the epoch is established with a quorum; it is newer than any the leader had established.
  assert(node.acceptedEpoch > node.currentEpoch, () => `leader s${node.id} establishes epoch ${node.acceptedEpoch} over currentEpoch ${node.currentEpoch}`);
  let leader: ZabNode = { ...node, electing, toSync: [], currentEpoch: node.acceptedEpoch, zabState: 'SYNCHRONIZATION' };
  const effects: ZabEffect[] = [{ type: 'writeCurrentEpoch', epoch: node.acceptedEpoch, queued: false }];
  for (const pending of toSync) {
    const synced = syncFollower(leader, pending.sid, pending.peerLastZxid);
    leader = synced.state;
    effects.push(...synced.effects);
  }
  return { state: leader, effects };
}
