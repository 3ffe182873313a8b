// Rule-named unit tests of the peer core: each test is one spec/zab action and
// asserts the effects in the order the world must carry them out.

import { describe, expect, it } from 'vitest';
import { chooseSync, startLeading } from './leader.ts';
import { startFollowing } from './learner.ts';
import { makeZxid } from './history.ts';
import { step } from './step.ts';
import type { LeaderPeer, LearnerPeer, Peer, PeerConfig, PeerDisk, PeerEffect, PeerEvent, PeerMessage, PeerTxn } from './types.ts';

const config: PeerConfig = { voters: 3, committedLogCountMax: 3 };
const bytes = (n: number) => new Uint8Array([n]);
const txn = (epoch: number, counter: number): PeerTxn => ({ zxid: makeZxid(epoch, BigInt(counter)), data: bytes(epoch * 16 + counter) });
const disk = (acceptedEpoch: number, currentEpoch: number, log: PeerTxn[], snapshotCount = 0): PeerDisk => ({ acceptedEpoch, currentEpoch, log, snapshotCount });

function run<P extends Peer>(peer: P, ...events: PeerEvent[]): { peer: P; effects: PeerEffect[] } {
  let state: Peer = peer;
  const effects: PeerEffect[] = [];
  for (const event of events) {
    const t = step(state, event);
    state = t.state;
    effects.push(...t.effects);
  }
  return { peer: state as P, effects };
}
const recv = (from: number, message: PeerMessage): PeerEvent => ({ type: 'Receive', from, message });
const send = (to: number, message: PeerMessage): PeerEffect => ({ type: 'send', to, message });

/** A leader (id 0) of 3 voters that has established epoch `epoch + 1` with follower 1, which had the same history. */
function establishedLeader(history = [txn(1, 1), txn(1, 2)], epoch = 1): LeaderPeer {
  const leader = startLeading(0, config, disk(epoch, epoch, history, history.length));
  return run(
    leader,
    recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: epoch }),
    recv(1, { type: 'ACKEPOCH', currentEpoch: epoch, lastZxid: history.at(-1)?.zxid ?? 0n }),
    recv(1, { type: 'ACKLD', epoch: epoch + 1 }),
  ).peer;
}

describe('discovery', () => {
  it('LeaderProcessFOLLOWERINFO: at a quorum the epoch is max(acceptedEpoch) + 1, persisted before LEADERINFO leaves', () => {
    const leader = startLeading(0, { voters: 5, committedLogCountMax: 3 }, disk(2, 2, []));
    const first = run(leader, recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 4 }));
    expect(first.effects).toEqual([]);
    const second = run(first.peer, recv(2, { type: 'FOLLOWERINFO', acceptedEpoch: 3 }));
    expect(second.effects).toEqual([{ type: 'persistAcceptedEpoch', epoch: 5 }, send(1, { type: 'LEADERINFO', epoch: 5 }), send(2, { type: 'LEADERINFO', epoch: 5 })]);
    expect(second.peer.acceptedEpoch).toBe(5);
    // A learner that registers later gets the chosen epoch at once, whatever it had accepted.
    const late = run(second.peer, recv(3, { type: 'FOLLOWERINFO', acceptedEpoch: 9 }));
    expect(late.effects).toEqual([send(3, { type: 'LEADERINFO', epoch: 5 })]);
  });

  it("LeaderProcessFOLLOWERINFO: the leader's own acceptedEpoch counts", () => {
    const leader = startLeading(0, config, disk(7, 6, []));
    expect(run(leader, recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 3 })).effects[0]).toEqual({ type: 'persistAcceptedEpoch', epoch: 8 });
  });

  it('ConnectAndFollowerSendFOLLOWERINFO: a follower sends FOLLOWERINFO, an observer OBSERVERINFO', () => {
    expect(run(startFollowing(1, config, disk(3, 2, []), 0), { type: 'ConnectToLeader' }).effects).toEqual([send(0, { type: 'FOLLOWERINFO', acceptedEpoch: 3 })]);
    expect(run(startFollowing(3, config, disk(3, 2, []), 0), { type: 'ConnectToLeader' }).effects).toEqual([send(0, { type: 'OBSERVERINFO', acceptedEpoch: 3 })]);
  });

  it('FollowerProcessLEADERINFO: acceptedEpoch is on disk before ACKEPOCH carries currentEpoch and the last zxid', () => {
    const follower = startFollowing(1, config, disk(1, 1, [txn(1, 1), txn(1, 2)]), 0);
    const { peer, effects } = run(follower, { type: 'ConnectToLeader' }, recv(0, { type: 'LEADERINFO', epoch: 2 }));
    expect(effects.slice(1)).toEqual([{ type: 'persistAcceptedEpoch', epoch: 2 }, send(0, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: makeZxid(1, 2n) })]);
    expect(peer.acceptedEpoch).toBe(2);
    expect(peer.phase).toBe('SYNCHRONIZATION');
  });

  it('FollowerProcessLEADERINFO: the epoch already accepted is acked with currentEpoch -1 and nothing is written', () => {
    const follower = startFollowing(1, config, disk(2, 1, [txn(1, 1)]), 0);
    const { effects } = run(follower, { type: 'ConnectToLeader' }, recv(0, { type: 'LEADERINFO', epoch: 2 }));
    expect(effects.slice(1)).toEqual([send(0, { type: 'ACKEPOCH', currentEpoch: -1, lastZxid: makeZxid(1, 1n) })]);
  });

  it('FollowerProcessLEADERINFO: an epoch older than acceptedEpoch sends the follower back to LOOKING', () => {
    const follower = startFollowing(1, config, disk(5, 4, []), 0);
    const { peer, effects } = run(follower, { type: 'ConnectToLeader' }, recv(0, { type: 'LEADERINFO', epoch: 4 }));
    expect(effects.at(-1)?.type).toBe('goLooking');
    expect(peer.role).toBe('LOOKING');
  });

  it('LeaderProcessACKEPOCH: a quorum of ACKEPOCH persists currentEpoch, then syncs every learner that acked', () => {
    const leader = startLeading(0, config, disk(1, 1, [txn(1, 1)], 1));
    const { peer, effects } = run(
      leader,
      recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }),
      recv(1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: makeZxid(1, 1n) }),
    );
    expect(effects.slice(2)).toEqual([
      { type: 'persistCurrentEpoch', epoch: 2 },
      send(1, { type: 'DIFF', zxid: makeZxid(1, 1n) }),
      send(1, { type: 'NEWLEADER', epoch: 2 }),
    ]);
    expect(peer.phase).toBe('SYNCHRONIZATION');
    expect(peer.currentEpoch).toBe(2);
  });

  it('LeaderProcessACKEPOCH: a learner more recent than the leader ends the leadership', () => {
    const leader = startLeading(0, config, disk(1, 1, [txn(1, 1)], 1));
    const { peer } = run(leader, recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }), recv(1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: makeZxid(1, 2n) }));
    expect(peer.role).toBe('LOOKING');
  });
});

describe('LeaderSyncFollower: DIFF, TRUNC, TRUNC + DIFF, SNAP', () => {
  // History 1:1..1:5, all committed, committedLog is the last 3 (1:3..1:5).
  const history = [1, 2, 3, 4, 5].map((c) => txn(1, c));
  const leader = establishedLeader(history);

  it('a learner at our last zxid gets an empty DIFF', () => {
    expect(chooseSync(leader, makeZxid(1, 5n))).toEqual({ mode: 'DIFF', zxid: makeZxid(1, 5n), fromIndex: 5 });
  });
  it('a learner within committedLog gets DIFF and the proposals after its zxid', () => {
    expect(chooseSync(leader, makeZxid(1, 3n))).toEqual({ mode: 'DIFF', zxid: makeZxid(1, 3n), fromIndex: 3 });
  });
  it('a learner beyond maxCommittedLog is truncated to it', () => {
    expect(chooseSync(leader, makeZxid(1, 7n))).toEqual({ mode: 'TRUNC', zxid: makeZxid(1, 5n), fromIndex: 5 });
  });
  it('a learner on a branch we do not have gets SNAP: no TRUNC across an epoch boundary (LearnerHandlerTest.testCrossEpochTrunc)', () => {
    // The learner logged 2:1 as leader of epoch 2, which no quorum ever saw; we went on in epoch 3.
    const branchLeader = establishedLeader([txn(1, 1), txn(1, 2), txn(3, 1), txn(3, 2)], 3);
    expect(chooseSync(branchLeader, makeZxid(2, 1n))).toEqual({ mode: 'SNAP', zxid: makeZxid(3, 2n), fromIndex: 4 });
  });
  it('a learner whose zxid we lack within its own epoch (a counter gap) is truncated to the entry before, then DIFFed (TRUNC + DIFF)', () => {
    const gapLeader = establishedLeader([txn(1, 1), txn(1, 2), txn(1, 4), txn(1, 5)], 1);
    expect(chooseSync(gapLeader, makeZxid(1, 3n))).toEqual({ mode: 'TRUNC', zxid: makeZxid(1, 2n), fromIndex: 2 });
  });
  it('a learner older than minCommittedLog gets SNAP', () => {
    expect(chooseSync(leader, makeZxid(1, 1n))).toEqual({ mode: 'SNAP', zxid: makeZxid(1, 5n), fromIndex: 5 });
    expect(chooseSync(leader, 0n)).toEqual({ mode: 'SNAP', zxid: makeZxid(1, 5n), fromIndex: 5 });
  });
  it('after SNAP the learner gets the snapshot of what we committed, then NEWLEADER', () => {
    const branchLeader = establishedLeader([txn(1, 1), txn(1, 2), txn(3, 1), txn(3, 2)], 3);
    const { effects } = run(branchLeader, recv(2, { type: 'FOLLOWERINFO', acceptedEpoch: 2 }), recv(2, { type: 'ACKEPOCH', currentEpoch: 2, lastZxid: makeZxid(2, 1n) }));
    expect(effects).toEqual([
      send(2, { type: 'LEADERINFO', epoch: 4 }),
      send(2, { type: 'SNAP', zxid: makeZxid(3, 2n), snapshot: [txn(1, 1), txn(1, 2), txn(3, 1), txn(3, 2)] }),
      send(2, { type: 'NEWLEADER', epoch: 4 }),
    ]);
  });
});

/** A follower (id 1) that has acked LEADERINFO epoch 2 with log [1:1]. */
function syncingFollower(log = [txn(1, 1)]): LearnerPeer {
  return run(startFollowing(1, config, disk(1, 1, log), 0), { type: 'ConnectToLeader' }, recv(0, { type: 'LEADERINFO', epoch: 2 })).peer;
}

describe('synchronisation at the follower', () => {
  it('FollowerProcessNEWLEADER: the synced proposals are logged and the ACK waits for their fsync; currentEpoch is written after them (ZOOKEEPER-3911/4643/4646)', () => {
    const follower = syncingFollower();
    const synced = run(
      follower,
      recv(0, { type: 'DIFF', zxid: makeZxid(1, 1n) }),
      recv(0, { type: 'PROPOSAL', txn: txn(1, 2) }),
      recv(0, { type: 'COMMIT', zxid: makeZxid(1, 2n) }),
      recv(0, { type: 'NEWLEADER', epoch: 2 }),
    );
    expect(synced.effects).toEqual([{ type: 'appendTxns', txns: [txn(1, 2)] }]);
    expect(synced.peer.currentEpoch).toBe(1);
    // An fsync that does not reach the last synced proposal releases nothing.
    expect(run(synced.peer, { type: 'LogSynced', zxid: makeZxid(1, 1n) }).effects).toEqual([]);
    const acked = run(synced.peer, { type: 'LogSynced', zxid: makeZxid(1, 2n) });
    expect(acked.effects).toEqual([
      { type: 'persistCurrentEpoch', epoch: 2 },
      send(0, { type: 'ACKLD', epoch: 2 }),
      send(0, { type: 'ACK', zxid: makeZxid(1, 2n) }),
    ]);
    expect(acked.peer.currentEpoch).toBe(2);
  });

  it('FollowerProcessNEWLEADER: with nothing to log, currentEpoch and the ACK go out at once', () => {
    const { effects } = run(syncingFollower(), recv(0, { type: 'DIFF', zxid: makeZxid(1, 1n) }), recv(0, { type: 'NEWLEADER', epoch: 2 }));
    expect(effects).toEqual([{ type: 'persistCurrentEpoch', epoch: 2 }, send(0, { type: 'ACKLD', epoch: 2 })]);
  });

  it('FollowerProcessSyncMessage TRUNC: the log is cut on disk at once, before NEWLEADER', () => {
    const follower = syncingFollower([txn(1, 1), txn(1, 2), txn(1, 3)]);
    const { peer, effects } = run(follower, recv(0, { type: 'TRUNC', zxid: makeZxid(1, 1n) }));
    expect(effects).toEqual([{ type: 'truncateLog', zxid: makeZxid(1, 1n) }]);
    expect(peer.history).toEqual([txn(1, 1)]);
  });

  it('FollowerProcessSyncMessage TRUNC: to a zxid the log does not hold, the follower gives up ("Cannot truncate")', () => {
    const { peer } = run(syncingFollower(), recv(0, { type: 'TRUNC', zxid: makeZxid(1, 9n) }));
    expect(peer.role).toBe('LOOKING');
  });

  it('FollowerProcessSyncMessage SNAP: the snapshot is installed at NEWLEADER, before the proposals after it are logged', () => {
    const snapshot = [txn(1, 1), txn(1, 2)];
    const { effects } = run(
      syncingFollower([]),
      recv(0, { type: 'SNAP', zxid: makeZxid(1, 2n), snapshot }),
      recv(0, { type: 'PROPOSAL', txn: txn(1, 3) }),
      recv(0, { type: 'NEWLEADER', epoch: 2 }),
    );
    expect(effects).toEqual([
      { type: 'installSnapshot', zxid: makeZxid(1, 2n), txns: snapshot },
      { type: 'appendTxns', txns: [txn(1, 3)] },
    ]);
  });

  it('FollowerProcessUPTODATE: what the synchronisation committed is delivered; later proposals are logged and acked after fsync', () => {
    const follower = run(
      syncingFollower(),
      recv(0, { type: 'DIFF', zxid: makeZxid(1, 1n) }),
      recv(0, { type: 'PROPOSAL', txn: txn(1, 2) }),
      recv(0, { type: 'COMMIT', zxid: makeZxid(1, 2n) }),
      recv(0, { type: 'NEWLEADER', epoch: 2 }),
      { type: 'LogSynced', zxid: makeZxid(1, 2n) },
      recv(0, { type: 'PROPOSAL', txn: txn(2, 1) }),
    ).peer;
    const { peer, effects } = run(follower, recv(0, { type: 'UPTODATE' }));
    expect(effects).toEqual([
      { type: 'appendTxns', txns: [txn(2, 1)] },
      { type: 'deliver', txn: txn(1, 1) },
      { type: 'deliver', txn: txn(1, 2) },
    ]);
    expect(peer.phase).toBe('BROADCAST');
    expect(run(peer, { type: 'LogSynced', zxid: makeZxid(2, 1n) }).effects).toEqual([send(0, { type: 'ACK', zxid: makeZxid(2, 1n) })]);
  });
});

describe('synchronisation at the leader', () => {
  it('LeaderProcessACKLD: a quorum of NEWLEADER acks commits and delivers the history and sends UPTODATE', () => {
    const leader = run(
      startLeading(0, config, disk(1, 1, [txn(1, 1), txn(1, 2)], 1)),
      recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }),
      recv(1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: makeZxid(1, 2n) }),
    ).peer;
    const { peer, effects } = run(leader, recv(1, { type: 'ACKLD', epoch: 2 }));
    expect(effects).toEqual([{ type: 'deliver', txn: txn(1, 2) }, send(1, { type: 'UPTODATE' })]);
    expect(peer.phase).toBe('BROADCAST');
    expect(peer.lastCommitted).toBe(2);
  });

  it('LeaderProcessACKLD: an ACK of NEWLEADER for another epoch is ignored', () => {
    const leader = run(startLeading(0, config, disk(1, 1, [])), recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }), recv(1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: 0n })).peer;
    expect(run(leader, recv(1, { type: 'ACKLD', epoch: 1 })).effects).toEqual([]);
  });
});

describe('broadcast', () => {
  it('LeaderProcessRequest: zxid is epoch << 32 | counter, the counter restarting at 1 in a new epoch', () => {
    const leader = establishedLeader();
    const { peer, effects } = run(leader, { type: 'ClientRequest', data: bytes(42) });
    const proposed = { zxid: 0x2_0000_0001n, data: bytes(42) };
    expect(effects).toEqual([{ type: 'appendTxns', txns: [proposed] }, send(1, { type: 'PROPOSAL', txn: proposed })]);
    expect(run(peer, { type: 'ClientRequest', data: bytes(43) }).effects[0]).toEqual({ type: 'appendTxns', txns: [{ zxid: 0x2_0000_0002n, data: bytes(43) }] });
  });

  it("LeaderProcessACK: a follower's ACK alone is no quorum; with the leader's own fsynced write it commits", () => {
    const leader = run(establishedLeader(), { type: 'ClientRequest', data: bytes(42) }).peer;
    const zxid = 0x2_0000_0001n;
    const acked = run(leader, recv(1, { type: 'ACK', zxid }));
    expect(acked.effects).toEqual([]);
    const committed = run(acked.peer, { type: 'LogSynced', zxid });
    expect(committed.effects).toEqual([send(1, { type: 'COMMIT', zxid }), { type: 'deliver', txn: { zxid, data: bytes(42) } }]);
  });

  it('LeaderProcessACK: the leader fsynced alone is no quorum either', () => {
    const leader = run(establishedLeader(), { type: 'ClientRequest', data: bytes(42) }).peer;
    expect(run(leader, { type: 'LogSynced', zxid: 0x2_0000_0001n }).effects).toEqual([]);
  });

  it('INFORM: an observer learns committed proposals only, after the COMMIT decision', () => {
    const withObserver = run(
      establishedLeader(),
      recv(3, { type: 'OBSERVERINFO', acceptedEpoch: 0 }),
      recv(3, { type: 'ACKEPOCH', currentEpoch: 0, lastZxid: makeZxid(1, 2n) }),
      recv(3, { type: 'ACKLD', epoch: 2 }),
      { type: 'ClientRequest', data: bytes(42) },
    );
    const zxid = 0x2_0000_0001n;
    expect(withObserver.effects.filter((e) => e.type === 'send' && e.to === 3 && e.message.type === 'PROPOSAL')).toEqual([]);
    const { effects } = run(withObserver.peer, { type: 'LogSynced', zxid }, recv(1, { type: 'ACK', zxid }));
    expect(effects).toEqual([send(1, { type: 'COMMIT', zxid }), send(3, { type: 'INFORM', txn: { zxid, data: bytes(42) } }), { type: 'deliver', txn: { zxid, data: bytes(42) } }]);
  });

  it('FollowerProcessPROPOSAL: logged at once, acked only after its fsync; FollowerProcessCOMMIT delivers', () => {
    const follower = run(
      syncingFollower(),
      recv(0, { type: 'DIFF', zxid: makeZxid(1, 1n) }),
      recv(0, { type: 'NEWLEADER', epoch: 2 }),
      recv(0, { type: 'UPTODATE' }),
    ).peer;
    const proposed = run(follower, recv(0, { type: 'PROPOSAL', txn: txn(2, 1) }));
    expect(proposed.effects).toEqual([{ type: 'appendTxns', txns: [txn(2, 1)] }]);
    const synced = run(proposed.peer, { type: 'LogSynced', zxid: makeZxid(2, 1n) });
    expect(synced.effects).toEqual([send(0, { type: 'ACK', zxid: makeZxid(2, 1n) })]);
    expect(run(synced.peer, recv(0, { type: 'COMMIT', zxid: makeZxid(2, 1n) })).effects).toEqual([{ type: 'deliver', txn: txn(2, 1) }]);
  });

  it('ObserverProcessINFORM: logged and delivered, never acked', () => {
    const observer = run(
      startFollowing(3, config, disk(2, 2, [txn(1, 1)], 1), 0),
      { type: 'ConnectToLeader' },
      recv(0, { type: 'LEADERINFO', epoch: 2 }),
      recv(0, { type: 'DIFF', zxid: makeZxid(1, 1n) }),
      recv(0, { type: 'NEWLEADER', epoch: 2 }),
      recv(0, { type: 'UPTODATE' }),
    ).peer;
    const { peer, effects } = run(observer, recv(0, { type: 'INFORM', txn: txn(2, 1) }));
    expect(effects).toEqual([{ type: 'appendTxns', txns: [txn(2, 1)] }, { type: 'deliver', txn: txn(2, 1) }]);
    expect(run(peer, { type: 'LogSynced', zxid: makeZxid(2, 1n) }).effects).toEqual([]);
  });

  it('RemoveLearner: losing the quorum of learners sends the leader back to LOOKING', () => {
    const { peer, effects } = run(establishedLeader(), { type: 'LearnerLost', sid: 1 });
    expect(effects).toEqual([{ type: 'goLooking', reason: 'lost the quorum of learners' }]);
    expect(peer.role).toBe('LOOKING');
  });
});
