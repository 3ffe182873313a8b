// The learner's side of Zab after election (Learner.registerWithLeader and
// syncWithLeader, Follower.processPacket, Observer.processPacket). Each
// handler is named after the ZkV3_7_0.tla action spec/zab implements.
//
// Persistence order, which is where the known bugs live:
// - acceptedEpoch is on disk before ACKEPOCH leaves (Learner.registerWithLeader);
// - at NEWLEADER the synced proposals are on disk before its ACK
//   (ZOOKEEPER-3911, ZOOKEEPER-4646), and currentEpoch is written after them
//   (ZOOKEEPER-4643);
// - a PROPOSAL is acked only once its fsync is reported (SendAckRequestProcessor
//   after SyncRequestProcessor).
// The fsync is the `LogSynced` event: what waits for it is held in
// `newLeaderAckAfter` and `acksAfterSync` and emitted by learnerLogSynced.

import { assert } from '../../../lib/assert.ts';
import { unchanged, type Transition } from '../../../lib/transition.ts';
import { goLooking } from './leader.ts';
import { indexOfZxid, lastZxid } from './history.ts';
import type { LearnerPeer, Peer, PeerBug, PeerConfig, PeerDisk, PeerEffect, PeerTxn } from './types.ts';
import { hex } from '../../../lib/hex.ts';

type Step = Transition<Peer, PeerEffect>;

/** A learner as the election leaves it: memory from disk, following `leader`. Ids >= voters observe. */
export function startFollowing(id: number, config: PeerConfig, disk: PeerDisk, leader: number): LearnerPeer {
  return {
    role: id < config.voters ? 'FOLLOWING' : 'OBSERVING',
    id,
    config,
    acceptedEpoch: disk.acceptedEpoch,
    currentEpoch: disk.currentEpoch,
    history: disk.log,
    lastCommitted: Math.min(disk.snapshotCount, disk.log.length),
    syncedZxid: lastZxid(disk.log),
    phase: 'DISCOVERY',
    leader,
    connected: false,
    syncMode: 'NONE',
    pendingSnapshot: undefined,
    newLeaderReceived: false,
    packetsNotCommitted: [],
    syncCommitted: 0,
    newLeaderAckAfter: undefined,
    acksAfterSync: [],
  };
}

const isObserver = (learner: LearnerPeer) => learner.role === 'OBSERVING';

/** ConnectAndFollowerSendFOLLOWERINFO: register with the leader (OBSERVERINFO for observers). */
export function connectToLeader(learner: LearnerPeer): Step {
  if (learner.connected) return unchanged(learner);
  assert(learner.leader !== learner.id && learner.phase === 'DISCOVERY', () => `learner ${learner.id} (${learner.phase}) connects to ${learner.leader}`);
  const acceptedEpoch = learner.acceptedEpoch;
  return {
    state: { ...learner, connected: true },
    effects: [{ type: 'send', to: learner.leader, message: isObserver(learner) ? { type: 'OBSERVERINFO', acceptedEpoch } : { type: 'FOLLOWERINFO', acceptedEpoch } }],
  };
}

/**
 * FollowerProcessLEADERINFO: a newer epoch is persisted as acceptedEpoch
 * before ACKEPOCH carries our currentEpoch and last zxid; the epoch we already
 * accepted is answered with currentEpoch -1; an older one is refused.
 */
export function followerProcessLeaderInfo(learner: LearnerPeer, epoch: number): Step {
  if (epoch < learner.acceptedEpoch) return goLooking(learner, `LEADERINFO epoch ${epoch} < acceptedEpoch ${learner.acceptedEpoch}`);
  if (learner.phase !== 'DISCOVERY') return unchanged(learner);
  // f.a <= f.p (Zab paper §IV-A): currentEpoch is only ever written with an epoch already accepted.
  assert(learner.currentEpoch <= learner.acceptedEpoch, () => `learner ${learner.id}: currentEpoch ${learner.currentEpoch} > acceptedEpoch ${learner.acceptedEpoch}`);
  const lastLogged = lastZxid(learner.history);
  if (epoch > learner.acceptedEpoch) {
    return {
      state: { ...learner, acceptedEpoch: epoch, phase: 'SYNCHRONIZATION' },
      effects: [
        { type: 'persistAcceptedEpoch', epoch },
        { type: 'send', to: learner.leader, message: { type: 'ACKEPOCH', currentEpoch: learner.currentEpoch, lastZxid: lastLogged } },
      ],
    };
  }
  return {
    state: { ...learner, phase: 'SYNCHRONIZATION' },
    effects: [{ type: 'send', to: learner.leader, message: { type: 'ACKEPOCH', currentEpoch: -1, lastZxid: lastLogged } }],
  };
}

const isSyncing = (learner: LearnerPeer) => learner.phase === 'SYNCHRONIZATION' && learner.syncMode === 'NONE' && !learner.newLeaderReceived;

/** Before its DIFF, TRUNC or SNAP a synchronisation has queued nothing and waits for no fsync. */
function assertNothingQueued(learner: LearnerPeer): void {
  assert(
    learner.packetsNotCommitted.length === 0 && learner.pendingSnapshot === undefined && learner.newLeaderAckAfter === undefined && learner.acksAfterSync.length === 0,
    () => `learner ${learner.id} has synchronisation state before DIFF, TRUNC or SNAP`,
  );
}

/** FollowerProcessSyncMessage, DIFF: our log up to the zxid is the leader's, and committed. */
export function followerProcessDiff(learner: LearnerPeer, zxid: bigint): Step {
  if (!isSyncing(learner)) return unchanged(learner);
  assertNothingQueued(learner);
  const index = indexOfZxid(learner.history, zxid);
  if (index < 0) return goLooking(learner, `DIFF from ${hex(zxid)}, which our log does not hold`);
  return { state: { ...learner, syncMode: 'DIFF', syncCommitted: index }, effects: [] };
}

/** FollowerProcessSyncMessage, TRUNC: cut our log after the zxid, on disk at once (ZKDatabase.truncateLog). */
export function followerProcessTrunc(learner: LearnerPeer, zxid: bigint): Step {
  if (!isSyncing(learner)) return unchanged(learner);
  assertNothingQueued(learner);
  const index = indexOfZxid(learner.history, zxid);
  // Learner.syncWithLeader exits with "Cannot truncate"; so does a truncation below what we delivered.
  if (index < 0 || index < learner.lastCommitted) return goLooking(learner, `cannot truncate to ${hex(zxid)}`);
  return {
    state: {
      ...learner,
      syncMode: 'TRUNC',
      history: learner.history.slice(0, index),
      syncedZxid: learner.syncedZxid < zxid ? learner.syncedZxid : zxid,
      syncCommitted: index,
    },
    effects: [{ type: 'truncateLog', zxid }],
  };
}

/** FollowerProcessSyncMessage, SNAP: hold the leader's snapshot in memory; it reaches disk at NEWLEADER. */
export function followerProcessSnap(learner: LearnerPeer, zxid: bigint, snapshot: readonly PeerTxn[]): Step {
  if (!isSyncing(learner)) return unchanged(learner);
  assertNothingQueued(learner);
  return {
    state: { ...learner, syncMode: 'SNAP', pendingSnapshot: { zxid, txns: snapshot }, history: snapshot, syncCommitted: snapshot.length },
    effects: [],
  };
}

function lastQueued(learner: LearnerPeer): bigint {
  return learner.packetsNotCommitted.length > 0 ? lastZxid(learner.packetsNotCommitted) : lastZxid(learner.history);
}

/** FollowerProcessPROPOSALInSync: queue the proposal in packetsNotCommitted. */
export function followerProcessProposalInSync(learner: LearnerPeer, txn: PeerTxn): Step {
  if (learner.syncMode === 'NONE' || txn.zxid <= lastQueued(learner)) return unchanged(learner);
  return { state: { ...learner, packetsNotCommitted: [...learner.packetsNotCommitted, txn] }, effects: [] };
}

/** FollowerProcessCOMMITInSync: note how far this synchronisation has committed. */
export function followerProcessCommitInSync(learner: LearnerPeer, zxid: bigint): Step {
  const index = indexOfZxid([...learner.history, ...learner.packetsNotCommitted], zxid);
  if (index <= learner.syncCommitted) return unchanged(learner);
  return { state: { ...learner, syncCommitted: index }, effects: [] };
}

/** An observer's INFORM during synchronisation: a proposal already committed. */
export function observerProcessInformInSync(learner: LearnerPeer, txn: PeerTxn): Step {
  const queued = followerProcessProposalInSync(learner, txn).state as LearnerPeer;
  return { state: followerProcessCommitInSync(queued, txn.zxid).state, effects: [] };
}

/**
 * FollowerProcessNEWLEADER, in the fixed order (3.9: ZOOKEEPER-3911, -4643,
 * -4646): install the SNAP, log packetsNotCommitted, and wait for the fsync;
 * learnerLogSynced then writes currentEpoch, sends the ACK of NEWLEADER and
 * the proposals' ACKs.
 */
export function followerProcessNewLeader(learner: LearnerPeer, epoch: number): Step {
  if (learner.phase !== 'SYNCHRONIZATION' || learner.syncMode === 'NONE' || learner.newLeaderReceived) return unchanged(learner);
  if (epoch !== learner.acceptedEpoch) return goLooking(learner, `NEWLEADER epoch ${epoch} is not acceptedEpoch ${learner.acceptedEpoch}`);
  // Nothing of this synchronisation has been logged or acked yet; the queued proposals continue the log
  // (followerProcessProposalInSync takes only zxids above the last queued).
  const first = learner.packetsNotCommitted[0];
  assert(
    learner.newLeaderAckAfter === undefined && learner.acksAfterSync.length === 0 && (first === undefined || lastZxid(learner.history) < first.zxid),
    () => `learner ${learner.id} at NEWLEADER: waiting ${learner.newLeaderAckAfter !== undefined}, ${learner.acksAfterSync.length} ACKs queued`,
  );
  const effects: PeerEffect[] = [];
  let next: LearnerPeer = learner;
  const snapshot = learner.pendingSnapshot;
  if (snapshot !== undefined) {
    effects.push({ type: 'installSnapshot', zxid: snapshot.zxid, txns: snapshot.txns });
    next = { ...next, pendingSnapshot: undefined, lastCommitted: snapshot.txns.length, syncedZxid: snapshot.zxid };
  }
  const packets = learner.packetsNotCommitted;
  const bugs = learner.config.bugs;
  if (bugs !== undefined && bugs.size > 0) {
    const buggy = followerProcessNewLeaderWithBug(next, epoch, effects, bugs);
    if (buggy !== undefined) return buggy;
    if (bugs.has('ZOOKEEPER-4643')) {
      // currentEpoch reaches the disk first; the rest is the fixed order below (learnerLogSynced acks after the fsync).
      effects.push({ type: 'persistCurrentEpoch', epoch });
      next = { ...next, currentEpoch: epoch };
    }
  }
  if (packets.length > 0) effects.push({ type: 'appendTxns', txns: packets });
  const history = [...next.history, ...packets];
  next = {
    ...next,
    history,
    packetsNotCommitted: [],
    newLeaderReceived: true,
    newLeaderAckAfter: { epoch, zxid: lastZxid(history) },
    acksAfterSync: isObserver(learner) ? [] : packets.map((t) => t.zxid),
  };
  const flushed = learnerLogSynced(next, next.syncedZxid);
  return { state: flushed.state, effects: [...effects, ...flushed.effects] };
}

/**
 * The NEWLEADER orders of the known bugs (PeerConfig.bugs), each as spec/zab's
 * mutant of the same name orders it (spec/zab/sync.ts followerProcessNewLeader);
 * undefined when none of them replaces the fixed order (ZOOKEEPER-4643 only moves
 * the epoch write, which followerProcessNewLeader does).
 * `learner` has the SNAP installed already; `effects` holds that installation.
 */
function followerProcessNewLeaderWithBug(learner: LearnerPeer, epoch: number, effects: PeerEffect[], bugs: ReadonlySet<PeerBug>): Step | undefined {
  const packets = learner.packetsNotCommitted;
  const ackNewLeader: PeerEffect = { type: 'send', to: learner.leader, message: { type: 'ACKLD', epoch } };
  if (bugs.has('ZOOKEEPER-3911')) {
    // packetsNotCommitted stay in memory until UPTODATE logs them; the ACK claims them anyway.
    return {
      state: { ...learner, newLeaderReceived: true, currentEpoch: epoch },
      effects: [...effects, { type: 'persistCurrentEpoch', epoch }, ackNewLeader],
    };
  }
  if (bugs.has('ZOOKEEPER-4646')) {
    // The proposals are queued for the log and the ACK leaves at once; their ACKs still wait for the fsync.
    return {
      state: {
        ...learner,
        history: [...learner.history, ...packets],
        packetsNotCommitted: [],
        newLeaderReceived: true,
        currentEpoch: epoch,
        acksAfterSync: isObserver(learner) ? [] : packets.map((t) => t.zxid),
      },
      effects: [...effects, ...(packets.length > 0 ? [{ type: 'appendTxns', txns: packets } as PeerEffect] : []), { type: 'persistCurrentEpoch', epoch }, ackNewLeader],
    };
  }
  return undefined;
}

/**
 * The log is durable up to `zxid`: the ACK of NEWLEADER (after currentEpoch)
 * and the ACKs of proposals up to it may leave now, in that order.
 */
export function learnerLogSynced(learner: LearnerPeer, zxid: bigint): Step {
  const syncedZxid = zxid > learner.syncedZxid ? zxid : learner.syncedZxid;
  const effects: PeerEffect[] = [];
  let next: LearnerPeer = { ...learner, syncedZxid };
  const waiting = learner.newLeaderAckAfter;
  if (waiting !== undefined) {
    // followerProcessNewLeader waits only with the epoch it checked against acceptedEpoch.
    assert(waiting.epoch === learner.acceptedEpoch, () => `learner ${learner.id} would ack NEWLEADER ${waiting.epoch} with acceptedEpoch ${learner.acceptedEpoch}`);
    if (waiting.zxid > syncedZxid) return { state: next, effects };
    effects.push({ type: 'persistCurrentEpoch', epoch: waiting.epoch });
    effects.push({ type: 'send', to: learner.leader, message: { type: 'ACKLD', epoch: waiting.epoch } });
    next = { ...next, currentEpoch: waiting.epoch, newLeaderAckAfter: undefined };
  }
  const due = next.acksAfterSync.filter((z) => z <= syncedZxid);
  for (const acked of due) effects.push({ type: 'send', to: learner.leader, message: { type: 'ACK', zxid: acked } });
  if (due.length > 0) next = { ...next, acksAfterSync: next.acksAfterSync.filter((z) => z > syncedZxid) };
  return { state: next, effects };
}

function deliverUpTo(learner: LearnerPeer, index: number): { lastCommitted: number; effects: PeerEffect[] } {
  const upTo = Math.min(index, learner.history.length);
  if (upTo <= learner.lastCommitted) return { lastCommitted: learner.lastCommitted, effects: [] };
  return { lastCommitted: upTo, effects: learner.history.slice(learner.lastCommitted, upTo).map((txn) => ({ type: 'deliver', txn })) };
}

/**
 * FollowerProcessUPTODATE: synchronisation is over. Proposals that arrived
 * after NEWLEADER are logged (each acked after its fsync), and everything this
 * synchronisation committed is delivered.
 */
export function followerProcessUpToDate(learner: LearnerPeer): Step {
  if (learner.phase !== 'SYNCHRONIZATION' || !learner.newLeaderReceived) return unchanged(learner);
  const packets = learner.packetsNotCommitted;
  // The proposals after NEWLEADER continue the log (followerProcessProposalInSync takes only zxids above the last queued).
  assert(packets.length === 0 || lastZxid(learner.history) < packets[0]!.zxid, () => `learner ${learner.id}: packetsNotCommitted do not follow its log at UPTODATE`);
  const withPackets: LearnerPeer = {
    ...learner,
    history: [...learner.history, ...packets],
    packetsNotCommitted: [],
    phase: 'BROADCAST',
    acksAfterSync: isObserver(learner) ? learner.acksAfterSync : [...learner.acksAfterSync, ...packets.map((t) => t.zxid)],
  };
  const delivered = deliverUpTo(withPackets, learner.syncCommitted);
  const effects: PeerEffect[] = packets.length > 0 ? [{ type: 'appendTxns', txns: packets }] : [];
  return { state: { ...withPackets, lastCommitted: delivered.lastCommitted }, effects: [...effects, ...delivered.effects] };
}

/** FollowerProcessPROPOSAL: log it; its ACK waits for the fsync. Stale duplicates are dropped. */
export function followerProcessProposal(learner: LearnerPeer, txn: PeerTxn): Step {
  assert(learner.phase === 'BROADCAST', () => `learner ${learner.id} in ${learner.phase} logs a broadcast PROPOSAL`);
  if (isObserver(learner) || txn.zxid <= lastZxid(learner.history)) return unchanged(learner);
  return {
    state: { ...learner, history: [...learner.history, txn], acksAfterSync: [...learner.acksAfterSync, txn.zxid] },
    effects: [{ type: 'appendTxns', txns: [txn] }],
  };
}

/** FollowerProcessCOMMIT: deliver up to the zxid; a COMMIT for a zxid we never logged is ignored (Follower.commit warns). */
export function followerProcessCommit(learner: LearnerPeer, zxid: bigint): Step {
  const index = indexOfZxid(learner.history, zxid);
  if (index <= learner.lastCommitted) return unchanged(learner);
  const delivered = deliverUpTo(learner, index);
  return { state: { ...learner, lastCommitted: delivered.lastCommitted }, effects: delivered.effects };
}

/** ObserverProcessINFORM: a committed proposal: log it and deliver it. */
export function observerProcessInform(learner: LearnerPeer, txn: PeerTxn): Step {
  assert(isObserver(learner) && learner.phase === 'BROADCAST', () => `learner ${learner.id} (${learner.role}, ${learner.phase}) takes an INFORM in broadcast`);
  if (txn.zxid <= lastZxid(learner.history)) return unchanged(learner);
  const history = [...learner.history, txn];
  const next: LearnerPeer = { ...learner, history };
  const delivered = deliverUpTo(next, history.length);
  return { state: { ...next, lastCommitted: delivered.lastCommitted }, effects: [{ type: 'appendTxns', txns: [txn] }, ...delivered.effects] };
}
