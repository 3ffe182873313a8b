// Zab phase 3, broadcast, as ZooKeeper runs it (Leader.propose, processAck,
// tryToCommit; Follower.processPacket; Observer INFORM; ZkV3_7_0.tla actions
// LeaderProcessRequest, FollowerProcessPROPOSAL, LeaderProcessACK,
// FollowerProcessCOMMIT). Zab paper §IV-A, Phase 3.
//
// zxid = (epoch << 32) | counter is kept as {epoch, counter}. The leader's own
// log write counts toward the quorum only once it is on disk: its ACK to
// itself is queued behind the write (SyncRequestProcessor, then
// AckRequestProcessor), and so is every follower's ACK.

import * as asserts from '../../lib/assert.ts';
import * as transitions from '../../lib/transition.ts';
import type { Transition } from '../../lib/transition.ts';
import * as histories from './history.ts';
import type { Txn, ZabEffect, ZabNode, Zxid } from './types.ts';
import * as zabTypes from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const assert: typeof asserts.assert = asserts.assert;
const { unchanged } = transitions;
const { bit, compareZxid, has, ids, indexOfZxid, isQuorum, isVoter, lastZxid } = histories;
const { zxid } = zabTypes;

type Step = Transition<ZabNode, ZabEffect>;

/** LeaderProcessRequest: assign the next zxid, log, and send PROPOSAL to the forwarding voters. */
export function leaderProcessRequest(node: ZabNode, value: number): Step {
  if (node.state !== 'LEADING' || node.zabState !== 'BROADCAST') return unchanged(node);
  // An established leader proposes in the epoch it established (Zab paper §IV-A, Phase 3), and keeps an ack set per entry.
  assert(node.currentEpoch === node.acceptedEpoch && node.acks.length === node.history.length, () => `leader s${node.id} proposes with currentEpoch ${node.currentEpoch}, acceptedEpoch ${node.acceptedEpoch}, ${node.acks.length} ack sets for ${node.history.length} entries`);
  const last = lastZxid(node.history);
  // IncZxid: the counter restarts at 1 in a new epoch.
  const next = last.epoch === node.currentEpoch ? zxid(last.epoch, last.counter + 1) : zxid(node.currentEpoch, 1);
  // Zxids strictly increase in a log: no entry of the leader's is of a later epoch than the one it leads.
  assert(compareZxid(last, next) < 0, () => `leader s${node.id} would propose ${next.epoch}.${next.counter} after ${last.epoch}.${last.counter}`);
  const txn: Txn = { zxid: next, value };
  const effects: ZabEffect[] = [{ type: 'logTxns', txns: [txn] }];
  for (const sid of ids(node.forwarding)) {
    if (isVoter(node, sid) && sid !== node.id) effects.push({ type: 'send', to: sid, message: { type: 'PROPOSAL', txn } });
  }
  effects.push({ type: 'sendAfterSync', to: node.id, message: { type: 'ACK', zxid: next } });
  return { state: { ...node, history: [...node.history, txn], acks: [...node.acks, 0] }, effects };
}

/**
 * FollowerProcessPROPOSAL: log the proposal and ack it once it is on disk. As
 * in FollowerZooKeeperServer.logRequest a proposal that is not the next one is
 * logged anyway (the real server only warns); stale duplicates are dropped.
 */
export function followerProcessProposal(node: ZabNode, from: number, txn: Txn): Step {
  // In broadcast the leader proposes to voters only; observers learn committed proposals by INFORM.
  assert(node.zabState === 'BROADCAST' && isVoter(node), () => `s${node.id} (${node.zabState}) got PROPOSAL in broadcast`);
  if (compareZxid(txn.zxid, lastZxid(node.history)) <= 0) return unchanged(node);
  return {
    state: { ...node, history: [...node.history, txn] },
    effects: [
      { type: 'logTxns', txns: [txn] },
      { type: 'sendAfterSync', to: from, message: { type: 'ACK', zxid: txn.zxid } },
    ],
  };
}

/**
 * LeaderProcessACK (processAck, tryToCommit): count the ack of a voter and
 * commit, in zxid order, every proposal a quorum has acked; COMMIT goes to the
 * forwarding voters and INFORM (the proposal itself) to the observers.
 */
export function leaderProcessAck(node: ZabNode, from: number, ackedZxid: Zxid): Step {
  if (node.state !== 'LEADING' || !(from === node.id || has(node.learners, from))) return unchanged(node);
  const index = indexOfZxid(node.history, ackedZxid);
  if (index <= 0 || index <= node.lastCommitted || !isVoter(node, from)) return unchanged(node);
  assert(node.acks.length === node.history.length && node.zabState !== 'DISCOVERY', () => `leader s${node.id} (${node.zabState}): ${node.acks.length} ack sets for ${node.history.length} entries`);
  const acks = node.acks.slice();
  acks[index - 1] = acks[index - 1]! | bit(from);
  if (node.zabState !== 'BROADCAST') return { state: { ...node, acks }, effects: [] };
  let lastCommitted = node.lastCommitted;
  const effects: ZabEffect[] = [];
  while (lastCommitted < node.history.length && isQuorum(acks[lastCommitted]!, node.config.voters)) {
    const txn = node.history[lastCommitted]!;
    lastCommitted++;
    for (const sid of ids(node.forwarding)) {
      if (sid === node.id) continue;
      effects.push({ type: 'send', to: sid, message: isVoter(node, sid) ? { type: 'COMMIT', zxid: txn.zxid } : { type: 'INFORM', txn } });
    }
  }
  return { state: { ...node, acks, lastCommitted }, effects };
}

/**
 * FollowerProcessCOMMIT: deliver up to the committed zxid. A COMMIT for a zxid
 * we never logged is ignored, as Follower.commit does with a warning when
 * nothing is pending.
 */
export function followerProcessCommit(node: ZabNode, committedZxid: Zxid): Step {
  // COMMIT goes to voters (Leader.commit); observers get INFORM.
  assert(node.zabState === 'BROADCAST' && isVoter(node), () => `s${node.id} (${node.zabState}) got COMMIT in broadcast`);
  const index = indexOfZxid(node.history, committedZxid);
  if (index <= node.lastCommitted) return unchanged(node);
  return { state: { ...node, lastCommitted: index }, effects: [] };
}

/** ObserverProcessINFORM: an observer learns a committed proposal, logs it and delivers it. */
export function observerProcessInform(node: ZabNode, txn: Txn): Step {
  assert(node.zabState === 'BROADCAST' && !isVoter(node), () => `s${node.id} (${node.zabState}) got INFORM in broadcast`);
  if (compareZxid(txn.zxid, lastZxid(node.history)) <= 0) return unchanged(node);
  const history = [...node.history, txn];
  return { state: { ...node, history, lastCommitted: history.length }, effects: [{ type: 'logTxns', txns: [txn] }] };
}
