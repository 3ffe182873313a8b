// Zab phase 2, synchronisation, as ZooKeeper runs it (LearnerHandler.syncFollower
// and queueCommittedProposals, Learner.syncWithLeader, Leader.waitForNewLeaderAck;
// ZkV3_7_0.tla actions LeaderSyncFollower, FollowerProcessSyncMessage,
// FollowerProcessPROPOSALInSync, FollowerProcessCOMMITInSync,
// FollowerProcessNEWLEADER, LeaderProcessACKLD, FollowerProcessUPTODATE).
// Instead of the paper's NEWLEADER carrying the whole initial history (Zab
// paper §IV-A, Phase 2), the leader sends DIFF, TRUNC or SNAP followed by the
// missing proposals, then NEWLEADER.
//
// The ordering of disk writes at NEWLEADER is where ZOOKEEPER-3911, -4643 and
// -4646 live; followerProcessNewLeader spells out each variant.

import * as asserts from '../../lib/assert.ts';
import * as transitions from '../../lib/transition.ts';
import type { Transition } from '../../lib/transition.ts';
import * as histories from './history.ts';
import * as knownBugs from './mutants.ts';
import type { SyncMode, Txn, ZabEffect, ZabMessage, ZabNode, Zxid } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const assert: typeof asserts.assert = asserts.assert;
const { assertNever } = asserts;
const { unchanged } = transitions;
const { bit, compareZxid, has, ids, indexAtOrBefore, indexOfZxid, isLearner, isNextZxid, isQuorum, isVoter, lastZxid, runs, zxidAt, zxidEquals } = histories;
const { ZAB_PAPER_NEWLEADER_GAP, ZOOKEEPER_3911, ZOOKEEPER_4643, ZOOKEEPER_4646 } = knownBugs;

type Step = Transition<ZabNode, ZabEffect>;

/**
 * LeaderSyncFollower (LearnerHandler.syncFollower): choose DIFF, TRUNC (then
 * the proposals after the truncation point) or SNAP from the learner's last
 * zxid and the leader's committedLog, queue the missing proposals (with a
 * COMMIT for the committed ones), start forwarding, and send NEWLEADER.
 */
export function syncFollower(node: ZabNode, sid: number, peerLastZxid: Zxid): Step {
  if (!has(node.learners, sid)) return unchanged(node);
  // Synchronisation follows the establishment of the epoch (LeaderTurnToSynchronization).
  assert(node.state === 'LEADING' && node.zabState !== 'DISCOVERY' && sid !== node.id, () => `s${node.id} (${node.state} ${node.zabState}) syncs s${sid}`);
  const choice = chooseSync(node, peerLastZxid);
  const { mode, from, syncZxid, maxCommittedIndex } = choice;
  // After DIFF or TRUNC the learner holds our history up to `from`, which ends at the zxid the message names;
  // after SNAP it holds the committed prefix.
  assert(mode === 'SNAP' ? from === maxCommittedIndex : zxidEquals(zxidAt(node.history, from), syncZxid), () => `${mode} to ${syncZxid.epoch}.${syncZxid.counter} from index ${from}`);
  const learnerIsVoter = isVoter(node, sid);
  const messages = syncMessages(node, learnerIsVoter, choice);

  // UpdateAckSid: after DIFF or TRUNC the learner holds our history up to `from`.
  const acks = learnerIsVoter && mode !== 'SNAP' ? node.acks.map((a, index) => (index < from ? a | bit(sid) : a)) : node.acks;
  // startForwarding happens here, before NEWLEADER is acked; the paper-gap mutant waits for the ack.
  const forwardNow = !(runs(node, ZAB_PAPER_NEWLEADER_GAP) && node.zabState === 'BROADCAST');
  const forwarding = forwardNow ? node.forwarding | bit(sid) : node.forwarding;
  return {
    state: { ...node, acks, forwarding, toSync: node.toSync.filter((s) => s.sid !== sid) },
    effects: messages.map((message) => ({ type: 'send', to: sid, message })),
  };
}

/** What syncFollower decided: the sync message, the index the proposals after it start from, and the committed prefix. */
interface SyncChoice {
  readonly mode: Exclude<SyncMode, 'NONE'>;
  readonly from: number;
  readonly syncZxid: Zxid;
  readonly maxCommittedIndex: number;
}

/** The case analysis of LearnerHandler.syncFollower, over the leader's committedLog and txn log. */
function chooseSync(node: ZabNode, peerLastZxid: Zxid): SyncChoice {
  const inBroadcast = node.zabState === 'BROADCAST';
  const history = node.history;
  const lastProcessedIndex = inBroadcast ? node.lastCommitted : history.length;
  const lastProcessed = zxidAt(history, lastProcessedIndex);
  const maxCommittedIndex = inBroadcast ? node.lastCommitted : history.length;
  const committedLogEmpty = node.lastSnapshot >= maxCommittedIndex;
  const minCommittedLog = committedLogEmpty ? lastProcessed : history[node.lastSnapshot]!.zxid;
  const maxCommittedLog = committedLogEmpty ? lastProcessed : zxidAt(history, maxCommittedIndex);

  // Case 1: the learner is where we are.
  if (zxidEquals(peerLastZxid, lastProcessed)) return { mode: 'DIFF', from: lastProcessedIndex, syncZxid: peerLastZxid, maxCommittedIndex };
  // Case 2: the learner has proposals we never committed.
  if (compareZxid(peerLastZxid, maxCommittedLog) > 0) return { mode: 'TRUNC', from: maxCommittedIndex, syncZxid: maxCommittedLog, maxCommittedIndex };
  if (compareZxid(minCommittedLog, peerLastZxid) <= 0) {
    // Case 3: within committedLog: DIFF if we have its last zxid, else what queueCommittedProposals
    // makes of the committedLog (truncOrSnap).
    const index = indexOfZxid(history, peerLastZxid);
    if (index > node.lastSnapshot && index <= history.length) return { mode: 'DIFF', from: index, syncZxid: peerLastZxid, maxCommittedIndex };
    return truncOrSnap(history, peerLastZxid, maxCommittedIndex, lastProcessed);
  }
  // Case 4a: older than committedLog but still in our txn log (txnLogSyncEnabled:
  // db.getProposalsFromTxnLog): DIFF, then the proposals from the log.
  const index = indexOfZxid(history, peerLastZxid);
  if (index > 0) return { mode: 'DIFF', from: index, syncZxid: peerLastZxid, maxCommittedIndex };
  // Case 4b: older than committedLog and not in our txn log: an empty learner, or one on another
  // branch. ZooKeeper reads the txn log from before its zxid as in 4a and lets
  // queueCommittedProposals choose, as in case 3: truncOrSnap.
  return truncOrSnap(history, peerLastZxid, maxCommittedIndex, lastProcessed);
}

/** The packets queued for the learner: the sync message, the proposals after `from` (with COMMITs), NEWLEADER. */
function syncMessages(node: ZabNode, learnerIsVoter: boolean, { mode, from, syncZxid, maxCommittedIndex }: SyncChoice): ZabMessage[] {
  const history = node.history;
  const messages: ZabMessage[] = [];
  switch (mode) {
    case 'DIFF':
      messages.push({ type: 'DIFF', zxid: syncZxid });
      break;
    case 'TRUNC':
      messages.push({ type: 'TRUNC', zxid: syncZxid });
      break;
    case 'SNAP':
      messages.push({ type: 'SNAP', zxid: syncZxid, snapshot: history.slice(0, maxCommittedIndex) });
      break;
    default:
      assertNever(mode);
  }
  for (let index = from; index < history.length; index++) {
    const txn = history[index]!;
    // The proposals sent are above the learner's truncation point, in strictly increasing zxid order.
    assert(compareZxid(zxidAt(history, index), txn.zxid) < 0, () => `s${node.id}'s log is not in zxid order at index ${index}`);
    const committed = index < maxCommittedIndex;
    // Observers get committed proposals only; outstanding ones reach them as INFORM (Leader.startForwarding).
    if (!committed && !learnerIsVoter) continue;
    messages.push({ type: 'PROPOSAL', txn });
    if (committed) messages.push({ type: 'COMMIT', zxid: txn.zxid });
  }
  messages.push({ type: 'NEWLEADER', epoch: node.acceptedEpoch });
  return messages;
}

/**
 * Cases 3 and 4b as ZooKeeper runs them (syncFollower over the committedLog, or
 * over getProposalsFromTxnLog, then queueCommittedProposals), for a learner
 * whose last zxid is not in our log.
 * queueCommittedProposals sends TRUNC to the entry before that zxid, then the
 * proposals after it, only when the entry after it is of the learner's own
 * epoch. A TRUNC across an epoch boundary it refuses (ZOOKEEPER-1413,
 * LearnerHandlerTest.testCrossEpochTrunc), and syncFollower's gap check
 * (queued up to less than minCommittedLog, ZOOKEEPER-2418) turns that into
 * SNAP. getProposalsFromTxnLog gives nothing, hence SNAP, when no entry of our
 * log is at or before the learner's zxid (an empty learner).
 *
 * In Zab the entry after a zxid we lack is always of a later epoch: a log
 * holds a prefix of each epoch's proposals, whose counters are consecutive
 * (IsNextZxid; ZKDatabase.addCommittedProposal rejects an out-of-order one).
 * So a learner on another branch gets SNAP; the TRUNC needs a log with a gap
 * in an epoch's counters, as LearnerHandlerTest.testTxnLog builds by hand.
 * ZooKeeper also sends SNAP where this spec does not model it: the txn log
 * purged, or larger than snapshotSizeFactor times the snapshot
 * (calculateTxnLogSizeLimit), or txnLogSyncEnabled off.
 */
function truncOrSnap(history: readonly Txn[], peerLastZxid: Zxid, maxCommittedIndex: number, lastProcessed: Zxid): SyncChoice {
  const before = indexAtOrBefore(history, peerLastZxid);
  const after = history[before];
  if (before > 0 && after !== undefined && after.zxid.epoch === peerLastZxid.epoch) {
    return { mode: 'TRUNC', from: before, syncZxid: zxidAt(history, before), maxCommittedIndex };
  }
  return { mode: 'SNAP', from: maxCommittedIndex, syncZxid: lastProcessed, maxCommittedIndex };
}

function isSyncingWith(node: ZabNode, from: number): boolean {
  return isLearner(node) && node.leader === from && node.zabState === 'SYNCHRONIZATION';
}

/** A learner gets one DIFF, TRUNC or SNAP per synchronisation, before any proposal of it (the leader queues them in that order). */
function assertFirstSyncMessage(node: ZabNode, type: string): void {
  assert(node.syncMode === 'NONE' && !node.newLeaderReceived && node.packetsNotCommitted.length === 0, () => `s${node.id} got ${type} after ${node.syncMode}`);
}

/** FollowerProcessSyncMessage for DIFF: nothing to change; our log up to the zxid is the leader's. */
export function followerProcessDiff(node: ZabNode, from: number, zxid: Zxid): Step {
  if (!isSyncingWith(node, from)) return unchanged(node);
  assertFirstSyncMessage(node, 'DIFF');
  const index = indexOfZxid(node.history, zxid);
  // The DIFF names the zxid this learner reported in ACKEPOCH, which is in its log and not below what it delivered.
  assert(index >= node.lastCommitted, () => `s${node.id}: DIFF to ${zxid.epoch}.${zxid.counter} (index ${index}) below lastCommitted ${node.lastCommitted}`);
  return { state: { ...node, syncMode: 'DIFF', syncCommitted: index }, effects: [] };
}

/** FollowerProcessSyncMessage for TRUNC: drop our log after the zxid, on disk at once (ZKDatabase.truncateLog). */
export function followerProcessTrunc(node: ZabNode, from: number, zxid: Zxid): Step {
  if (!isSyncingWith(node, from)) return unchanged(node);
  assertFirstSyncMessage(node, 'TRUNC');
  const index = indexOfZxid(node.history, zxid);
  // Truncating to a zxid we do not have: the real server exits ("Cannot truncate"); the event is ignored here.
  if (index < 0) return unchanged(node);
  return {
    state: {
      ...node,
      syncMode: 'TRUNC',
      history: node.history.slice(0, index),
      lastCommitted: Math.min(node.lastCommitted, index),
      lastSnapshot: Math.min(node.lastSnapshot, index),
      syncCommitted: index,
    },
    effects: [{ type: 'truncateLog', length: index }],
  };
}

/** FollowerProcessSyncMessage for SNAP: load the snapshot into memory; it reaches disk at NEWLEADER (takeSnapshot). */
export function followerProcessSnap(node: ZabNode, from: number, snapshot: readonly Txn[]): Step {
  if (!isSyncingWith(node, from)) return unchanged(node);
  assertFirstSyncMessage(node, 'SNAP');
  return {
    state: { ...node, syncMode: 'SNAP', history: snapshot, lastCommitted: snapshot.length, lastSnapshot: 0, syncCommitted: snapshot.length },
    effects: [],
  };
}

function lastQueued(node: ZabNode): Zxid {
  return node.packetsNotCommitted.length > 0 ? lastZxid(node.packetsNotCommitted) : lastZxid(node.history);
}

/** FollowerProcessPROPOSALInSync: remember the proposal in packetsNotCommitted. */
export function followerProcessProposalInSync(node: ZabNode, txn: Txn): Step {
  // A proposal of the synchronisation follows its DIFF, TRUNC or SNAP; one forwarded in broadcast follows them too.
  assert(node.zabState === 'SYNCHRONIZATION' && (node.syncMode !== 'NONE' || node.newLeaderReceived), () => `s${node.id} got a PROPOSAL in sync before DIFF, TRUNC or SNAP`);
  if (!isNextZxid(lastQueued(node), txn.zxid)) return unchanged(node);
  return { state: { ...node, packetsNotCommitted: [...node.packetsNotCommitted, txn] }, effects: [] };
}

/** FollowerProcessCOMMITInSync: note how far this synchronisation has committed. */
export function followerProcessCommitInSync(node: ZabNode, zxid: Zxid): Step {
  const index = indexOfZxid([...node.history, ...node.packetsNotCommitted], zxid);
  if (index <= node.syncCommitted) return unchanged(node);
  return { state: { ...node, syncCommitted: index }, effects: [] };
}

/** An observer's INFORM during synchronisation: a proposal that is already committed. */
export function observerProcessInformInSync(node: ZabNode, txn: Txn): Step {
  // The leader sends INFORM to observers only (Leader.commit: COMMIT to voters, INFORM to observers).
  assert(!isVoter(node), () => `voter s${node.id} got INFORM`);
  const queued = followerProcessProposalInSync(node, txn);
  return { state: followerProcessCommitInSync(queued.state, txn.zxid).state, effects: [] };
}

function acksFor(node: ZabNode, to: number, txns: readonly Txn[], afterSync: boolean): ZabEffect[] {
  // Observers never ack proposals (ObserverRequestProcessor has no SendAckRequestProcessor).
  if (!isVoter(node)) return [];
  return txns.map((txn) => ({ type: afterSync ? 'sendAfterSync' : 'send', to, message: { type: 'ACK', zxid: txn.zxid } }) as ZabEffect);
}

/**
 * FollowerProcessNEWLEADER: the synchronised history becomes ours. The fixed
 * server (3.9 with ZOOKEEPER-4643 and -4646) takes the snapshot a TRUNC or
 * SNAP needs, logs packetsNotCommitted and waits for the disk, then writes
 * currentEpoch, then acks; each mutant breaks that order in its own way.
 */
export function followerProcessNewLeader(node: ZabNode, from: number, epoch: number): Step {
  if (!isSyncingWith(node, from)) return unchanged(node);
  // NEWLEADER follows the synchronisation's DIFF, TRUNC or SNAP, once, and carries the epoch this learner accepted.
  assert(node.syncMode !== 'NONE' && !node.newLeaderReceived && epoch === node.acceptedEpoch, () => `s${node.id}: NEWLEADER ${epoch} after ${node.syncMode}, acceptedEpoch ${node.acceptedEpoch}`);
  const packets = node.packetsNotCommitted;
  // The queued proposals continue the log: zxids strictly increase across the join (followerProcessProposalInSync checks each).
  assert(packets.length === 0 || compareZxid(lastZxid(node.history), packets[0]!.zxid) < 0, () => `s${node.id}: packetsNotCommitted do not follow its log`);
  const snapshotNeeded = node.syncMode === 'TRUNC' || node.syncMode === 'SNAP';
  const snapshotEffects: ZabEffect[] = snapshotNeeded ? [{ type: 'writeSnapshot', txns: node.history }] : [];
  const lastSnapshot = snapshotNeeded ? node.history.length : node.lastSnapshot;
  const ackNewLeader: ZabMessage = { type: 'ACKLD', epoch };
  const base: ZabNode = { ...node, currentEpoch: node.acceptedEpoch, newLeaderReceived: true, syncMode: 'NONE', lastSnapshot };
  const synced: ZabNode = { ...base, history: [...node.history, ...packets], packetsNotCommitted: [] };
  const writeEpochNow: ZabEffect = { type: 'writeCurrentEpoch', epoch: node.acceptedEpoch, queued: false };

  if (runs(node, ZOOKEEPER_3911)) {
    // The proposals stay in memory until UPTODATE; the ack claims them anyway.
    return { state: base, effects: [...snapshotEffects, writeEpochNow, { type: 'send', to: from, message: ackNewLeader }] };
  }
  if (runs(node, ZOOKEEPER_4643)) {
    // currentEpoch reaches disk before the proposals do.
    return {
      state: synced,
      effects: [
        ...snapshotEffects,
        writeEpochNow,
        { type: 'logTxns', txns: packets },
        { type: 'sendAfterSync', to: from, message: ackNewLeader },
        ...acksFor(node, from, packets, true),
      ],
    };
  }
  if (runs(node, ZOOKEEPER_4646)) {
    // Logging is asynchronous and the ack does not wait for it.
    return {
      state: synced,
      effects: [
        ...snapshotEffects,
        { type: 'logTxns', txns: packets },
        { type: 'writeCurrentEpoch', epoch: node.acceptedEpoch, queued: true },
        { type: 'send', to: from, message: ackNewLeader },
        ...acksFor(node, from, packets, true),
      ],
    };
  }
  return {
    state: synced,
    effects: [
      ...snapshotEffects,
      { type: 'logTxns', txns: packets },
      { type: 'flush' },
      writeEpochNow,
      { type: 'send', to: from, message: ackNewLeader },
      ...acksFor(node, from, packets, false),
    ],
  };
}

/**
 * LeaderProcessACKLD (waitForNewLeaderAck): once a quorum of voters, self
 * included, has acked NEWLEADER, the leader's history is committed, it starts
 * serving (StartZkServer) and sends UPTODATE to every learner that acked;
 * later ackers get UPTODATE at once.
 */
export function leaderProcessAckLd(node: ZabNode, from: number, epoch: number): Step {
  if (node.state !== 'LEADING' || !has(node.learners, from) || epoch !== node.acceptedEpoch) return unchanged(node);
  if (node.zabState === 'BROADCAST') {
    const forwarding = runs(node, ZAB_PAPER_NEWLEADER_GAP) ? node.forwarding | bit(from) : node.forwarding;
    return { state: { ...node, forwarding, ackldRecv: node.ackldRecv | bit(from) }, effects: [{ type: 'send', to: from, message: { type: 'UPTODATE' } }] };
  }
  // An ACKLD answers a NEWLEADER, which leaves only once the epoch is established.
  assert(node.zabState === 'SYNCHRONIZATION', () => `leader s${node.id} in ${node.zabState} got ACKLD ${epoch}`);
  const ackldRecv = node.ackldRecv | bit(from);
  if (!isQuorum(ackldRecv, node.config.voters)) return { state: { ...node, ackldRecv }, effects: [] };
  // LeaderTurnToBroadcast / StartZkServer: everything in our history is now committed. The leader wrote
  // currentEpoch when it entered synchronisation.
  assert(node.currentEpoch === node.acceptedEpoch, () => `leader s${node.id} establishes with currentEpoch ${node.currentEpoch}, acceptedEpoch ${node.acceptedEpoch}`);
  const established: ZabNode = {
    ...node,
    ackldRecv,
    zabState: 'BROADCAST',
    lastCommitted: node.history.length,
    lastSnapshot: node.history.length,
    vote: { ...node.vote, epoch: node.acceptedEpoch },
    forwarding: runs(node, ZAB_PAPER_NEWLEADER_GAP) ? node.forwarding | (ackldRecv & node.learners & ~bit(node.id)) : node.forwarding,
  };
  // lead() takes a snapshot of the data tree it starts serving (ZkV3_7_0.tla: StartZkServer sets lastSnapshot).
  const effects: ZabEffect[] = [{ type: 'writeSnapshot', txns: node.history }];
  for (const sid of ids(ackldRecv & node.learners)) {
    if (sid !== node.id) effects.push({ type: 'send', to: sid, message: { type: 'UPTODATE' } });
  }
  return { state: established, effects };
}

/**
 * FollowerProcessUPTODATE: synchronisation is over. Log what is still in
 * packetsNotCommitted (acking each after it is on disk), deliver up to the
 * last commit of this synchronisation, and start serving.
 */
export function followerProcessUpToDate(node: ZabNode, from: number): Step {
  if (!isSyncingWith(node, from)) return unchanged(node);
  const packets = node.packetsNotCommitted;
  assert(packets.length === 0 || compareZxid(lastZxid(node.history), packets[0]!.zxid) < 0, () => `s${node.id}: packetsNotCommitted do not follow its log at UPTODATE`);
  const history = [...node.history, ...packets];
  const effects: ZabEffect[] = packets.length > 0 ? [{ type: 'logTxns', txns: packets }, ...acksFor(node, from, packets, true)] : [];
  return {
    state: {
      ...node,
      history,
      packetsNotCommitted: [],
      lastCommitted: Math.min(history.length, Math.max(node.lastCommitted, node.syncCommitted)),
      zabState: 'BROADCAST',
      vote: { ...node.vote, epoch: node.acceptedEpoch },
    },
    effects,
  };
}
