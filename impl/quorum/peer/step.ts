// One peer's reducer after election: step(peer, event) -> { state, effects }.
// One switch on the event, one on the message; each case calls the handler
// named after the ZkV3_7_0.tla action (README.md maps them to spec/zab).
// A message that does not apply to the peer's role or phase leaves it
// unchanged (the TLA+ "not enabled").

import { assertNever } from '../../../lib/assert.ts';
import { unchanged, type Transition } from '../../../lib/transition.ts';
import {
  goLooking,
  leaderLearnerLost,
  leaderLogSynced,
  leaderProcessAck,
  leaderProcessAckEpoch,
  leaderProcessAckLd,
  leaderProcessFollowerInfo,
  leaderProcessRequest,
} from './leader.ts';
import {
  connectToLeader,
  followerProcessCommit,
  followerProcessCommitInSync,
  followerProcessDiff,
  followerProcessLeaderInfo,
  followerProcessNewLeader,
  followerProcessProposal,
  followerProcessProposalInSync,
  followerProcessSnap,
  followerProcessTrunc,
  followerProcessUpToDate,
  learnerLogSynced,
  observerProcessInform,
  observerProcessInformInSync,
} from './learner.ts';
import type { LeaderPeer, LearnerPeer, Peer, PeerEffect, PeerEvent, PeerMessage } from './types.ts';

export type PeerTransition = Transition<Peer, PeerEffect>;

export function step(peer: Peer, event: PeerEvent): PeerTransition {
  if (peer.role === 'LOOKING') return unchanged(peer);
  switch (event.type) {
    case 'ConnectToLeader':
      return peer.role === 'LEADING' ? unchanged(peer) : connectToLeader(peer);
    case 'Receive':
      return peer.role === 'LEADING' ? leaderReceive(peer, event.from, event.message) : learnerReceive(peer, event.from, event.message);
    case 'LogSynced':
      return peer.role === 'LEADING' ? leaderLogSynced(peer, event.zxid) : learnerLogSynced(peer, event.zxid);
    case 'ClientRequest':
      return peer.role === 'LEADING' ? leaderProcessRequest(peer, event.data) : unchanged(peer);
    case 'LeaderLost':
      return peer.role === 'LEADING' ? unchanged(peer) : goLooking(peer, 'connection to the leader lost');
    case 'LearnerLost':
      return peer.role === 'LEADING' ? leaderLearnerLost(peer, event.sid) : unchanged(peer);
    default:
      return assertNever(event, 'peer event');
  }
}

function leaderReceive(leader: LeaderPeer, from: number, message: PeerMessage): PeerTransition {
  switch (message.type) {
    case 'FOLLOWERINFO':
      // A voter that registers as an observer, or the reverse, is refused (LearnerHandler checks the learner type).
      return from < leader.config.voters ? leaderProcessFollowerInfo(leader, from, message.acceptedEpoch) : unchanged(leader);
    case 'OBSERVERINFO':
      return from >= leader.config.voters ? leaderProcessFollowerInfo(leader, from, message.acceptedEpoch) : unchanged(leader);
    case 'ACKEPOCH':
      return leaderProcessAckEpoch(leader, from, message.currentEpoch, message.lastZxid);
    case 'ACKLD':
      return leaderProcessAckLd(leader, from, message.epoch);
    case 'ACK':
      return leaderProcessAck(leader, from, message.zxid);
    case 'LEADERINFO':
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
    case 'PROPOSAL':
    case 'COMMIT':
    case 'INFORM':
    case 'NEWLEADER':
    case 'UPTODATE':
      return unchanged(leader);
    default:
      return assertNever(message, 'peer message');
  }
}

function learnerReceive(learner: LearnerPeer, from: number, message: PeerMessage): PeerTransition {
  if (from !== learner.leader || !learner.connected) return unchanged(learner);
  const inSync = learner.phase === 'SYNCHRONIZATION';
  const inBroadcast = learner.phase === 'BROADCAST';
  switch (message.type) {
    case 'LEADERINFO':
      return followerProcessLeaderInfo(learner, message.epoch);
    case 'DIFF':
      return followerProcessDiff(learner, message.zxid);
    case 'TRUNC':
      return followerProcessTrunc(learner, message.zxid);
    case 'SNAP':
      return followerProcessSnap(learner, message.zxid, message.snapshot);
    case 'NEWLEADER':
      return followerProcessNewLeader(learner, message.epoch);
    case 'UPTODATE':
      return followerProcessUpToDate(learner);
    case 'PROPOSAL':
      if (inSync) return followerProcessProposalInSync(learner, message.txn);
      return inBroadcast ? followerProcessProposal(learner, message.txn) : unchanged(learner);
    case 'COMMIT':
      if (inSync) return followerProcessCommitInSync(learner, message.zxid);
      return inBroadcast ? followerProcessCommit(learner, message.zxid) : unchanged(learner);
    case 'INFORM':
      if (learner.role !== 'OBSERVING') return unchanged(learner);
      if (inSync) return observerProcessInformInSync(learner, message.txn);
      return inBroadcast ? observerProcessInform(learner, message.txn) : unchanged(learner);
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
    case 'ACKEPOCH':
    case 'ACKLD':
    case 'ACK':
      return unchanged(learner);
    default:
      return assertNever(message, 'peer message');
  }
}
