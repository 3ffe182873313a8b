// Reducer unit tests, one describe per phase, named after the ZkV3_7_0.tla
// action (and the Zab paper phase) they exercise.

import { describe, expect, it } from 'vitest';
import { finishElection, isBetterVote, startLooking } from './election.ts';
import { restartFromDisk, step } from './step.ts';
import type { ServerConfig, Txn, ZabEffect, ZabMessage, ZabNode } from './types.ts';
import { zxid } from './types.ts';

const config: ServerConfig = { voters: 3, servers: 3, fle: false, mutant: undefined };
const t = (epoch: number, counter: number, value: number): Txn => ({ zxid: zxid(epoch, counter), value });

function server(id: number, log: Txn[] = [], epochs = { acceptedEpoch: 0, currentEpoch: 0 }, mutant?: string): ZabNode {
  return restartFromDisk(id, { ...config, mutant }, { log, ...epochs, lastSnapshot: 0 });
}

function sends(effects: readonly ZabEffect[]): { to: number; message: ZabMessage }[] {
  return effects.flatMap((e) => (e.type === 'send' || e.type === 'sendAfterSync' ? [{ to: e.to, message: e.message }] : []));
}

function receive(node: ZabNode, from: number, message: ZabMessage) {
  return step(node, { type: 'Receive', from, message });
}

/** A leader (s0) that has completed discovery with s1 and is in SYNCHRONIZATION. */
function leaderInSync(log: Txn[] = []): ZabNode {
  let leader = finishElection(server(0, log), { leader: 0, zxid: zxid(0, 0), epoch: 0 });
  leader = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: 0 }).state;
  leader = receive(leader, 1, { type: 'ACKEPOCH', currentEpoch: 0, lastZxid: zxid(0, 0) }).state;
  return leader;
}

describe('Fast Leader Election: totalOrderPredicate', () => {
  it('compares epoch first, then zxid, then server id', () => {
    expect(isBetterVote({ leader: 0, zxid: zxid(1, 0), epoch: 2 }, { leader: 2, zxid: zxid(1, 5), epoch: 1 })).toBe(true);
    expect(isBetterVote({ leader: 0, zxid: zxid(1, 2), epoch: 1 }, { leader: 2, zxid: zxid(1, 1), epoch: 1 })).toBe(true);
    expect(isBetterVote({ leader: 2, zxid: zxid(1, 1), epoch: 1 }, { leader: 1, zxid: zxid(1, 1), epoch: 1 })).toBe(true);
    expect(isBetterVote({ leader: 1, zxid: zxid(1, 1), epoch: 1 }, { leader: 2, zxid: zxid(1, 1), epoch: 1 })).toBe(false);
  });

  it('FLEHandleNotmsg: a better vote in the same round is adopted and broadcast; a quorum agreeing starts finalizeWait', () => {
    const s0 = startLooking(server(0, [], { acceptedEpoch: 0, currentEpoch: 0 }));
    const fle = { ...s0.state, config: { ...config, fle: true } };
    const better = { type: 'NOTIFICATION' as const, vote: { leader: 2, zxid: zxid(0, 0), epoch: 0 }, round: fle.logicalClock, state: 'LOOKING' as const };
    const { state, effects } = step(fle, { type: 'NotificationReceived', from: 2, notification: better });
    expect(state.vote.leader).toBe(2);
    expect(effects.filter((e) => e.type === 'sendNotification').map((e) => (e.type === 'sendNotification' ? e.to : -1))).toEqual([1, 2]);
    // s0 and s2 both vote for s2 in this round: a quorum of 3.
    expect(state.waitNotmsg).toBe(true);
    const decided = step(state, { type: 'FinalizeWait' });
    expect(decided.state.state).toBe('FOLLOWING');
  });

  it('FLEReceiveNotmsg: a server that is not LOOKING answers a LOOKING peer with its vote', () => {
    const follower = { ...finishElection(server(1), { leader: 0, zxid: zxid(0, 0), epoch: 0 }), config: { ...config, fle: true } };
    const note = { type: 'NOTIFICATION' as const, vote: { leader: 2, zxid: zxid(0, 0), epoch: 0 }, round: 7, state: 'LOOKING' as const };
    const { effects } = step(follower, { type: 'NotificationReceived', from: 2, notification: note });
    expect(effects).toEqual([{ type: 'sendNotification', to: 2, notification: { type: 'NOTIFICATION', vote: follower.vote, round: follower.logicalClock, state: 'FOLLOWING' } }]);
  });
});

describe('Phase 1 (discovery): LeaderProcessFOLLOWERINFO, FollowerProcessLEADERINFO, LeaderProcessACKEPOCH', () => {
  it('the leader proposes max(acceptedEpoch) + 1 once a quorum is connected, and persists it', () => {
    const leader = finishElection(server(0, [], { acceptedEpoch: 1, currentEpoch: 1 }), { leader: 0, zxid: zxid(0, 0), epoch: 1 });
    const { state, effects } = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: 3 });
    expect(state.acceptedEpoch).toBe(4);
    expect(effects).toEqual([
      { type: 'writeAcceptedEpoch', epoch: 4 },
      { type: 'send', to: 1, message: { type: 'LEADERINFO', epoch: 4 } },
    ]);
  });

  it('a follower accepts a newer epoch, persists acceptedEpoch, and acks with currentEpoch and its last zxid', () => {
    let follower = finishElection(server(1, [t(1, 1, 1)], { acceptedEpoch: 1, currentEpoch: 1 }), { leader: 0, zxid: zxid(0, 0), epoch: 1 });
    follower = step(follower, { type: 'ConnectToLeader' }).state;
    const { state, effects } = receive(follower, 0, { type: 'LEADERINFO', epoch: 2 });
    expect(state.zabState).toBe('SYNCHRONIZATION');
    expect(effects).toEqual([
      { type: 'writeAcceptedEpoch', epoch: 2 },
      { type: 'send', to: 0, message: { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: zxid(1, 1) } },
    ]);
  });

  it('a follower told an older epoch goes back to LOOKING', () => {
    let follower = finishElection(server(1, [], { acceptedEpoch: 3, currentEpoch: 3 }), { leader: 0, zxid: zxid(0, 0), epoch: 3 });
    follower = step(follower, { type: 'ConnectToLeader' }).state;
    expect(receive(follower, 0, { type: 'LEADERINFO', epoch: 2 }).state.state).toBe('LOOKING');
  });

  it('a leader that learns of a more recent follower gives up (LeaderShutdown)', () => {
    let leader = finishElection(server(0), { leader: 0, zxid: zxid(0, 0), epoch: 0 });
    leader = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: 0 }).state;
    expect(receive(leader, 1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: zxid(1, 1) }).state.state).toBe('LOOKING');
  });
});

describe('Phase 2 (synchronisation): LeaderSyncFollower picks DIFF, TRUNC or SNAP', () => {
  it('DIFF with the missing proposals, each committed, then NEWLEADER', () => {
    let leader = finishElection(server(0, [t(1, 1, 1), t(1, 2, 2)], { acceptedEpoch: 1, currentEpoch: 1 }), { leader: 0, zxid: zxid(1, 2), epoch: 1 });
    leader = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }).state;
    const { effects } = receive(leader, 1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: zxid(1, 1) });
    expect(sends(effects).map((s) => s.message.type)).toEqual(['DIFF', 'PROPOSAL', 'COMMIT', 'NEWLEADER']);
  });

  it('TRUNC to our last zxid when the follower is ahead', () => {
    // The leader of epoch 2 never saw (1, 2), proposed by the leader of epoch 1 to this follower only.
    let leader = finishElection(server(0, [t(1, 1, 1)], { acceptedEpoch: 2, currentEpoch: 2 }), { leader: 0, zxid: zxid(1, 1), epoch: 2 });
    leader = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }).state;
    const { effects } = receive(leader, 1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: zxid(1, 2) });
    expect(sends(effects).map((s) => s.message)).toEqual([
      { type: 'TRUNC', zxid: zxid(1, 1) },
      { type: 'NEWLEADER', epoch: 3 },
    ]);
  });

  it('SNAP when the follower is behind the committed log', () => {
    let leader = finishElection(server(0, [t(1, 1, 1)], { acceptedEpoch: 1, currentEpoch: 1 }), { leader: 0, zxid: zxid(1, 1), epoch: 1 });
    leader = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: 0 }).state;
    const { effects } = receive(leader, 1, { type: 'ACKEPOCH', currentEpoch: 0, lastZxid: zxid(0, 0) });
    expect(sends(effects).map((s) => s.message.type)).toEqual(['SNAP', 'NEWLEADER']);
  });

  /** A leader restarted with `log` on disk, its first `lastSnapshot` entries in its snapshot, that has heard s1's ACKEPOCH. */
  function syncFrom(log: Txn[], lastSnapshot: number, epoch: number, learnerLast: ReturnType<typeof zxid>) {
    const restarted = restartFromDisk(0, config, { log, acceptedEpoch: epoch, currentEpoch: epoch, lastSnapshot });
    let leader = finishElection(restarted, { leader: 0, zxid: log[log.length - 1]!.zxid, epoch });
    leader = receive(leader, 1, { type: 'FOLLOWERINFO', acceptedEpoch: learnerLast.epoch }).state;
    return sends(receive(leader, 1, { type: 'ACKEPOCH', currentEpoch: learnerLast.epoch, lastZxid: learnerLast }).effects).map((s) => s.message);
  }

  it('SNAP, not TRUNC, for a learner on another branch below the committed log: no TRUNC across an epoch boundary (LearnerHandlerTest.testCrossEpochTrunc)', () => {
    // ZooKeeper's own case: the leader's log is (1,1) (2,1) (2,2) (4,1), the learner's last zxid (3,1).
    const log = [t(1, 1, 1), t(2, 1, 2), t(2, 2, 3), t(4, 1, 4)];
    expect(syncFrom(log, 4, 4, zxid(3, 1))).toEqual([
      { type: 'SNAP', zxid: zxid(4, 1), snapshot: log },
      { type: 'NEWLEADER', epoch: 5 },
    ]);
    // The replay's case (docs/conformance.md): the learner kept an unacked (1,2); the leader went on with (2,1).
    expect(syncFrom([t(1, 1, 1), t(2, 1, 2)], 2, 2, zxid(1, 2)).map((m) => m.type)).toEqual(['SNAP', 'NEWLEADER']);
  });

  it('TRUNC then the proposals from the txn log when the entry after the learner is of its own epoch (a gap, as LearnerHandlerTest.testTxnLog builds)', () => {
    const log = [t(1, 1, 1), t(1, 2, 2), t(1, 4, 3), t(1, 5, 4)];
    expect(syncFrom(log, 3, 1, zxid(1, 3))).toEqual([
      { type: 'TRUNC', zxid: zxid(1, 2) },
      { type: 'PROPOSAL', txn: t(1, 4, 3) },
      { type: 'COMMIT', zxid: zxid(1, 4) },
      { type: 'PROPOSAL', txn: t(1, 5, 4) },
      { type: 'COMMIT', zxid: zxid(1, 5) },
      { type: 'NEWLEADER', epoch: 2 },
    ]);
  });

  it('FollowerProcessNEWLEADER (fixed): log, wait for the disk, write currentEpoch, then ack', () => {
    let follower = finishElection(server(1, [], { acceptedEpoch: 0, currentEpoch: 0 }), { leader: 0, zxid: zxid(0, 0), epoch: 0 });
    follower = step(follower, { type: 'ConnectToLeader' }).state;
    follower = receive(follower, 0, { type: 'LEADERINFO', epoch: 1 }).state;
    follower = receive(follower, 0, { type: 'DIFF', zxid: zxid(0, 0) }).state;
    follower = receive(follower, 0, { type: 'PROPOSAL', txn: t(1, 1, 1) }).state;
    const { state, effects } = receive(follower, 0, { type: 'NEWLEADER', epoch: 1 });
    expect(state.currentEpoch).toBe(1);
    expect(effects.map((e) => e.type)).toEqual(['logTxns', 'flush', 'writeCurrentEpoch', 'send', 'send']);
  });

  it.each([
    ['ZOOKEEPER-3911', ['writeCurrentEpoch', 'send']],
    ['ZOOKEEPER-4643', ['writeCurrentEpoch', 'logTxns', 'sendAfterSync', 'sendAfterSync']],
    ['ZOOKEEPER-4646', ['logTxns', 'writeCurrentEpoch', 'send', 'sendAfterSync']],
  ])('FollowerProcessNEWLEADER under %s breaks the order of writes and ack', (mutant, expected) => {
    let follower = finishElection(server(1, [], { acceptedEpoch: 0, currentEpoch: 0 }, mutant), { leader: 0, zxid: zxid(0, 0), epoch: 0 });
    follower = step(follower, { type: 'ConnectToLeader' }).state;
    follower = receive(follower, 0, { type: 'LEADERINFO', epoch: 1 }).state;
    follower = receive(follower, 0, { type: 'DIFF', zxid: zxid(0, 0) }).state;
    follower = receive(follower, 0, { type: 'PROPOSAL', txn: t(1, 1, 1) }).state;
    expect(receive(follower, 0, { type: 'NEWLEADER', epoch: 1 }).effects.map((e) => e.type)).toEqual(expected);
  });

  it('LeaderProcessACKLD: a quorum of NEWLEADER acks establishes the leader, commits its history and sends UPTODATE', () => {
    const leader = leaderInSync([t(1, 1, 1)]);
    expect(leader.zabState).toBe('SYNCHRONIZATION');
    const { state, effects } = receive(leader, 1, { type: 'ACKLD', epoch: leader.acceptedEpoch });
    expect(state.zabState).toBe('BROADCAST');
    expect(state.lastCommitted).toBe(1);
    expect(sends(effects)).toEqual([{ to: 1, message: { type: 'UPTODATE' } }]);
  });
});

describe('Phase 3 (broadcast): LeaderProcessRequest, FollowerProcessPROPOSAL, LeaderProcessACK, FollowerProcessCOMMIT', () => {
  function establishedLeader(): ZabNode {
    const leader = leaderInSync();
    return receive(leader, 1, { type: 'ACKLD', epoch: leader.acceptedEpoch }).state;
  }

  it("the leader logs, proposes to forwarding followers and acks itself only after its own write", () => {
    const { state, effects } = step(establishedLeader(), { type: 'ClientRequest', value: 7 });
    expect(state.history).toEqual([t(1, 1, 7)]);
    expect(effects).toEqual([
      { type: 'logTxns', txns: [t(1, 1, 7)] },
      { type: 'send', to: 1, message: { type: 'PROPOSAL', txn: t(1, 1, 7) } },
      { type: 'sendAfterSync', to: 0, message: { type: 'ACK', zxid: zxid(1, 1) } },
    ]);
  });

  it('a proposal commits once a quorum (the leader included) has acked, and COMMIT goes to the followers', () => {
    let leader = step(establishedLeader(), { type: 'ClientRequest', value: 7 }).state;
    leader = receive(leader, 0, { type: 'ACK', zxid: zxid(1, 1) }).state;
    expect(leader.lastCommitted).toBe(0);
    const { state, effects } = receive(leader, 1, { type: 'ACK', zxid: zxid(1, 1) });
    expect(state.lastCommitted).toBe(1);
    expect(sends(effects)).toEqual([{ to: 1, message: { type: 'COMMIT', zxid: zxid(1, 1) } }]);
  });

  it('a follower logs a proposal and acks it after the write; COMMIT delivers it', () => {
    let follower = finishElection(server(1), { leader: 0, zxid: zxid(0, 0), epoch: 0 });
    follower = { ...step(follower, { type: 'ConnectToLeader' }).state, zabState: 'BROADCAST' };
    const proposed = receive(follower, 0, { type: 'PROPOSAL', txn: t(1, 1, 7) });
    expect(proposed.effects).toEqual([
      { type: 'logTxns', txns: [t(1, 1, 7)] },
      { type: 'sendAfterSync', to: 0, message: { type: 'ACK', zxid: zxid(1, 1) } },
    ]);
    expect(receive(proposed.state, 0, { type: 'COMMIT', zxid: zxid(1, 1) }).state.lastCommitted).toBe(1);
  });

  it('a learner lost before a proposal commits no longer counts toward its quorum', () => {
    let leader = step(establishedLeader(), { type: 'ClientRequest', value: 7 }).state;
    leader = receive(leader, 1, { type: 'ACK', zxid: zxid(1, 1) }).state;
    leader = { ...leader, learners: leader.learners | 0b100 };
    leader = step(leader, { type: 'LearnerLost', sid: 1 }).state;
    expect(receive(leader, 0, { type: 'ACK', zxid: zxid(1, 1) }).state.lastCommitted).toBe(0);
  });
});
