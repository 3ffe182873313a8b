import { describe, expect, it } from 'vitest';
import {
  electionConfig,
  isBetterVote,
  isSameVote,
  observerVoteValue,
  startElection,
  step,
  type ElectionEffect,
  type ElectionInputs,
  type ElectionState,
  type ElectionVote,
  type ServerState,
  type Vote,
} from './election.ts';
import { ElectionSimulation, Prng } from './election-simulation.ts';
import { makeZxid } from './wire.ts';

// Servers 1, 2, 3 vote; 4 observes. Server 1 is under test unless said otherwise.
const three = electionConfig(1, [1, 2, 3]);
const inputs = (epoch: number, counter: number, zxidEpoch = epoch): ElectionInputs => ({ currentEpoch: BigInt(epoch), lastLoggedZxid: makeZxid(BigInt(zxidEpoch), BigInt(counter)) });
const vote = (leader: number, epoch: number, counter: number): Vote => ({ leader: BigInt(leader), epoch: BigInt(epoch), zxid: makeZxid(BigInt(epoch), BigInt(counter)) });
const note = (v: Vote, round: number, state: ServerState = 'LOOKING', version = 2): ElectionVote => ({ vote: v, round: BigInt(round), state, version });
const receive = (state: ElectionState, from: number, n: ElectionVote) => step(state, { type: 'NotificationReceived', from, notification: n });
const sends = (effects: readonly ElectionEffect[]) => effects.filter((e) => e.type === 'sendNotification').map((e) => (e.type === 'sendNotification' ? { to: e.to, ...e.notification } : undefined));
const timers = (effects: readonly ElectionEffect[]) => effects.filter((e) => e.type === 'setTimer' || e.type === 'cancelTimer').map((e) => (e.type === 'setTimer' ? `set ${e.timer} ${e.delayMs}` : e.type === 'cancelTimer' ? `cancel ${e.timer}` : ''));
const elected = (effects: readonly ElectionEffect[]) => effects.find((e) => e.type === 'elected');

describe('totalOrderPredicate (isBetterVote)', () => {
  it('a higher epoch wins whatever the zxid and id', () => {
    expect(isBetterVote(three, vote(1, 3, 0), vote(3, 2, 99))).toBe(true);
  });
  it('with equal epochs a higher zxid wins', () => {
    expect(isBetterVote(three, vote(1, 2, 5), vote(3, 2, 4))).toBe(true);
  });
  it('with equal epochs and zxids the higher server id wins, and a vote does not beat itself', () => {
    expect(isBetterVote(three, vote(3, 2, 4), vote(2, 2, 4))).toBe(true);
    expect(isBetterVote(three, vote(2, 2, 4), vote(2, 2, 4))).toBe(false);
  });
  it('a vote for a server that cannot vote (weight 0) never wins', () => {
    expect(isBetterVote(three, vote(4, 9, 9), vote(1, 1, 0))).toBe(false);
  });
});

describe('Vote.equals (isSameVote)', () => {
  it('votes of LOOKING servers must agree on leader, zxid, round and epoch', () => {
    expect(isSameVote(note(vote(2, 1, 1), 3), note(vote(2, 1, 1), 3))).toBe(true);
    expect(isSameVote(note(vote(2, 1, 1), 3), note(vote(2, 1, 1), 4))).toBe(false);
    expect(isSameVote(note(vote(2, 1, 1), 3), note(vote(2, 1, 2), 3, 'FOLLOWING'))).toBe(false);
  });
  it('votes of servers out of the election agree on leader and epoch, whatever their zxid and round (ZOOKEEPER-1805)', () => {
    expect(isSameVote(note(vote(2, 1, 1), 3, 'FOLLOWING'), note(vote(2, 1, 7), 9, 'LEADING'))).toBe(true);
    expect(isSameVote(note(vote(2, 1, 1), 3, 'FOLLOWING'), note(vote(2, 2, 1), 3, 'LEADING'))).toBe(false);
  });
  it('between a versioned and an unversioned sender only the leader counts (ZOOKEEPER-1732)', () => {
    expect(isSameVote(note(vote(2, 1, 1), 3, 'FOLLOWING', 0), note(vote(2, 2, 1), 3, 'LEADING', 2))).toBe(true);
  });
});

describe('lookForLeader: a new election', () => {
  it('increments the logical clock, proposes itself with its last logged zxid and currentEpoch, and tells every other voter', () => {
    const { state, effects } = startElection(three, inputs(2, 7));
    expect(state.logicalClock).toBe(1n);
    expect(state.vote).toEqual(vote(1, 2, 7));
    expect(sends(effects)).toEqual([
      { to: 2, ...note(vote(1, 2, 7), 1) },
      { to: 3, ...note(vote(1, 2, 7), 1) },
    ]);
    expect(timers(effects)).toEqual(['cancel finalize', 'set notification 200']);
    expect(state.receiveVotes.get(1)).toEqual(note(vote(1, 2, 7), 1)); // our own notification, looped back at once
  });

  it('going back to LOOKING starts the next round with fresh votes', () => {
    let s = startElection(three, inputs(1, 0)).state;
    s = receive(s, 2, note(vote(2, 1, 0), 4)).state;
    const again = step(s, { type: 'StartLooking', inputs: inputs(1, 3) });
    expect(again.state.logicalClock).toBe(5n);
    expect(again.state.vote).toEqual(vote(1, 1, 3));
    expect([...again.state.receiveVotes.keys()]).toEqual([1]);
  });

  it('an observer proposes Long.MIN_VALUE and tells only the voters', () => {
    const { state, effects } = startElection(electionConfig(4, [1, 2, 3]), inputs(2, 7));
    expect(state.vote).toEqual({ leader: observerVoteValue, zxid: observerVoteValue, epoch: observerVoteValue });
    expect(sends(effects).map((s) => s?.to)).toEqual([1, 2, 3]);
    expect(state.receiveVotes.size).toBe(0);
  });
});

describe('lookForLeader: the round (logical clock) rules', () => {
  const started = startElection(three, inputs(1, 5)).state; // round 1, votes for 1 (epoch 1, zxid 1:5)

  it('a notification from a newer round: join it, forget the old round, vote for the better of its vote and our own', () => {
    let s = receive(started, 3, note(vote(3, 1, 0), 1)).state;
    const { state, effects } = receive(s, 2, note(vote(2, 1, 4), 6));
    expect(state.logicalClock).toBe(6n);
    expect(state.vote).toEqual(vote(1, 1, 5)); // our own beats 2's (zxid 5 > 4)
    expect([...state.receiveVotes.keys()].sort()).toEqual([1, 2]); // 3's vote of round 1 is gone
    expect(sends(effects)).toEqual([
      { to: 2, ...note(vote(1, 1, 5), 6) },
      { to: 3, ...note(vote(1, 1, 5), 6) },
    ]);
    s = receive(started, 2, note(vote(2, 1, 9), 6)).state;
    expect(s.vote).toEqual(vote(2, 1, 9));
  });

  it('in a newer round we compare the peer with our own vote, not with what we proposed in the old round', () => {
    let s = startElection(electionConfig(1, [1, 2, 3, 4, 5]), inputs(1, 5)).state;
    s = receive(s, 3, note(vote(3, 2, 0), 1)).state; // we now propose 3 (epoch 2); two votes of five, no quorum
    expect(s.vote).toEqual(vote(3, 2, 0));
    s = receive(s, 2, note(vote(2, 1, 4), 2)).state;
    expect(s.vote).toEqual(vote(1, 1, 5));
  });

  it('a notification from an older round is not counted, and a LOOKING sender is told our round and vote', () => {
    const s = receive(started, 2, note(vote(2, 1, 0), 4)).state; // we are in round 4 now
    const { state, effects } = receive(s, 3, note(vote(3, 9, 9), 2));
    expect(state.vote).toEqual(s.vote);
    expect(state.receiveVotes.has(3)).toBe(false);
    expect(sends(effects)).toEqual([{ to: 3, ...note(s.vote, 4) }]);
  });

  it('in our round a better vote is adopted and sent to every voter; a worse one is only recorded', () => {
    const better = receive(started, 2, note(vote(2, 1, 6), 1));
    expect(better.state.vote).toEqual(vote(2, 1, 6));
    expect(sends(better.effects).map((s) => s?.to)).toEqual([2, 3]);
    const worse = receive(started, 3, note(vote(3, 1, 4), 1));
    expect(worse.state.vote).toEqual(vote(1, 1, 5));
    expect(sends(worse.effects)).toEqual([]);
    expect(worse.state.receiveVotes.get(3)).toEqual(note(vote(3, 1, 4), 1));
  });

  it('a server that has logged nothing (zxid -1) ignores LOOKING votes, and everyone ignores votes with zxid -1', () => {
    const empty = startElection(three, { currentEpoch: 0n, lastLoggedZxid: -1n }).state;
    expect(receive(empty, 2, note(vote(2, 1, 1), 1)).state.receiveVotes.has(2)).toBe(false);
    const minusOne = note({ leader: 2n, epoch: 5n, zxid: -1n }, 1);
    expect(receive(started, 2, minusOne).state.receiveVotes.has(2)).toBe(false);
  });

  it('a vote for a server that may not lead is ignored', () => {
    const { state } = receive(started, 2, note(vote(4, 9, 9), 1));
    expect(state.receiveVotes.has(2)).toBe(false);
    expect(state.vote).toEqual(vote(1, 1, 5));
  });
});

describe('termination: a quorum of equal votes, then finalizeWait', () => {
  const started = startElection(three, inputs(1, 5)).state;

  it('a quorum holding our vote in our round starts finalizeWait instead of deciding at once', () => {
    const { state, effects } = receive(started, 2, note(vote(1, 1, 5), 1));
    expect(state.waitNotmsg).toBe(true);
    expect(state.state).toBe('LOOKING');
    expect(timers(effects)).toEqual(['cancel notification', 'set finalize 200']);
    expect(elected(effects)).toBeUndefined();
  });

  it('finalizeWait passing decides: LEADING when the vote is ours', () => {
    const waiting = receive(started, 2, note(vote(1, 1, 5), 1)).state;
    const { state, effects } = step(waiting, { type: 'FinalizeWait' });
    expect(state.state).toBe('LEADING');
    expect(elected(effects)).toEqual({ type: 'elected', vote: vote(1, 1, 5), round: 1n, state: 'LEADING' });
  });

  it('finalizeWait passing decides: FOLLOWING when the vote is another server’s', () => {
    let s = receive(started, 3, note(vote(3, 1, 9), 1)).state;
    s = receive(s, 2, note(vote(3, 1, 9), 1)).state;
    expect(s.waitNotmsg).toBe(true);
    const { state, effects } = step(s, { type: 'FinalizeWait' });
    expect(state.state).toBe('FOLLOWING');
    expect(elected(effects)).toMatchObject({ vote: vote(3, 1, 9), state: 'FOLLOWING' });
  });

  it('during finalizeWait a notification that is not better is dropped and the wait starts over', () => {
    const waiting = receive(started, 2, note(vote(1, 1, 5), 1)).state;
    const { state, effects } = receive(waiting, 3, note(vote(3, 1, 2), 1));
    expect(state).toBe(waiting);
    expect(timers(effects)).toEqual(['set finalize 200']);
  });

  it('during finalizeWait a better vote resumes the election: adopted, sent, and the quorum counted again', () => {
    const waiting = receive(started, 2, note(vote(1, 1, 5), 1)).state;
    const { state, effects } = receive(waiting, 3, note(vote(3, 1, 8), 1));
    expect(state.waitNotmsg).toBe(true); // 3 and we now hold 3's vote: a quorum again
    expect(state.vote).toEqual(vote(3, 1, 8));
    expect(timers(effects)).toEqual(['cancel finalize', 'cancel notification', 'set finalize 200']);
    expect(sends(effects).map((s) => s?.to)).toEqual([2, 3]);
  });

  it('a quorum is more than half: with four voters two equal votes are not enough, three are', () => {
    let s = startElection(electionConfig(1, [1, 2, 3, 4]), inputs(1, 5)).state;
    s = receive(s, 2, note(vote(1, 1, 5), 1)).state;
    expect(s.waitNotmsg).toBe(false);
    s = receive(s, 3, note(vote(1, 1, 5), 1)).state;
    expect(s.waitNotmsg).toBe(true);
  });

  it('a single-voter ensemble elects itself after finalizeWait', () => {
    const alone = startElection(electionConfig(1, [1]), inputs(1, 0));
    expect(alone.state.waitNotmsg).toBe(true);
    expect(elected(step(alone.state, { type: 'FinalizeWait' }).effects)).toMatchObject({ state: 'LEADING' });
  });

  it('a timer that fires when it no longer applies changes nothing', () => {
    expect(step(started, { type: 'FinalizeWait' })).toEqual({ state: started, effects: [] });
    const waiting = receive(started, 2, note(vote(1, 1, 5), 1)).state;
    expect(step(waiting, { type: 'NotificationTimeout' })).toEqual({ state: waiting, effects: [] });
  });
});

describe('the notification timeout', () => {
  it('sends our vote again and doubles the wait, up to 60 s', () => {
    let s = startElection(three, inputs(1, 5)).state;
    const waits: number[] = [];
    for (let i = 0; i < 11; i++) {
      const { state, effects } = step(s, { type: 'NotificationTimeout' });
      expect(sends(effects).map((x) => x?.to)).toEqual([2, 3]);
      waits.push(state.notificationTimeoutMs);
      s = state;
    }
    expect(waits).toEqual([400, 800, 1600, 3200, 6400, 12800, 25600, 51200, 60000, 60000, 60000]);
  });

  it('restarts (at the current interval) whenever a notification arrives', () => {
    let s = startElection(three, inputs(1, 5)).state;
    s = step(s, { type: 'NotificationTimeout' }).state;
    expect(timers(receive(s, 3, note(vote(3, 1, 1), 1)).effects)).toEqual(['set notification 400']);
  });
});

describe('joining servers that are already out of the election', () => {
  const started = startElection(three, inputs(1, 5)).state; // round 1

  it('FOLLOWING and LEADING votes from a quorum in another round decide (outofelection), and the round is taken over', () => {
    const s = receive(started, 2, note(vote(3, 4, 0), 7, 'FOLLOWING')).state;
    expect(s.state).toBe('LOOKING');
    const { state, effects } = receive(s, 3, note(vote(3, 4, 0), 7, 'LEADING'));
    expect(state.state).toBe('FOLLOWING');
    expect(state.logicalClock).toBe(7n);
    expect(elected(effects)).toEqual({ type: 'elected', vote: vote(3, 4, 0), round: 7n, state: 'FOLLOWING' });
  });

  it('checkLeader: a quorum of followers is not enough until the leader itself says it is LEADING', () => {
    const twoFollowers = electionConfig(1, [1, 2, 3, 4, 5]);
    let s = startElection(twoFollowers, inputs(1, 5)).state;
    s = receive(s, 2, note(vote(5, 4, 0), 7, 'FOLLOWING')).state;
    s = receive(s, 3, note(vote(5, 4, 0), 7, 'FOLLOWING')).state;
    s = receive(s, 4, note(vote(5, 4, 0), 7, 'FOLLOWING')).state;
    expect(s.state).toBe('LOOKING'); // a quorum of three follows 5, but 5 has not said it leads
    const { state } = receive(s, 5, note(vote(5, 4, 0), 7, 'LEADING'));
    expect(state.state).toBe('FOLLOWING');
  });

  it('in our own round FOLLOWING/LEADING votes count in recvset together with LOOKING ones', () => {
    let s = startElection(electionConfig(1, [1, 2, 3, 4, 5]), inputs(1, 5)).state;
    s = receive(s, 3, note(vote(3, 1, 6), 1)).state; // 1 and 3 (LOOKING) vote for 3 in round 1
    s = receive(s, 2, note(vote(3, 1, 6), 1, 'FOLLOWING')).state;
    expect(s.state).toBe('LOOKING'); // three votes for 3, but 3 has not said it leads (checkLeader)
    const { state } = receive(s, 3, note(vote(3, 1, 6), 1, 'LEADING'));
    expect(state.state).toBe('FOLLOWING');
    expect(state.logicalClock).toBe(1n);
  });

  it('during finalizeWait a LEADING vote equal to ours is dropped like any vote that is not better', () => {
    const waiting = receive(started, 3, note(vote(3, 1, 6), 1)).state;
    expect(waiting.waitNotmsg).toBe(true);
    expect(receive(waiting, 3, note(vote(3, 1, 6), 1, 'LEADING')).state).toBe(waiting);
  });

  it('OBSERVING notifications are not counted', () => {
    const { state } = receive(started, 2, note(vote(3, 1, 6), 1, 'OBSERVING'));
    expect(state.receiveVotes.has(2)).toBe(false);
    expect(state.outOfElection.size).toBe(0);
  });
});

describe('replies (WorkerReceiver)', () => {
  it('a server out of the election tells a LOOKING peer its vote, its round and its state', () => {
    let s = startElection(three, inputs(1, 5)).state;
    s = receive(s, 2, note(vote(1, 1, 5), 1)).state;
    s = step(s, { type: 'FinalizeWait' }).state;
    const { state, effects } = receive(s, 3, note(vote(3, 1, 0), 9));
    expect(state).toBe(s);
    expect(sends(effects)).toEqual([{ to: 3, ...note(vote(1, 1, 5), 1, 'LEADING') }]);
    expect(sends(receive(s, 3, note(vote(3, 1, 0), 9, 'FOLLOWING')).effects)).toEqual([]);
  });

  it('a server that may not vote gets our current vote and is not counted', () => {
    const s = startElection(three, inputs(1, 5)).state;
    const { state, effects } = receive(s, 4, note({ leader: observerVoteValue, zxid: observerVoteValue, epoch: observerVoteValue }, 1));
    expect(state).toBe(s);
    expect(sends(effects)).toEqual([{ to: 4, ...note(vote(1, 1, 5), 1, 'LOOKING') }]);
  });

  it('an observer ends OBSERVING the leader a quorum of voters follows', () => {
    let s = startElection(electionConfig(4, [1, 2, 3]), inputs(1, 0)).state;
    s = receive(s, 1, note(vote(3, 2, 2), 5, 'FOLLOWING')).state;
    const { state } = receive(s, 3, note(vote(3, 2, 2), 5, 'LEADING'));
    expect(state.state).toBe('OBSERVING');
  });
});

// ---- Deterministic simulation -----------------------------------------------------

type Outcome = { seed: number; leader: bigint; firstDecisionsAgree: boolean; atMs: number; messagesLost: number };

/** Random (epoch, zxid) per voter from a small range, so that ties on epoch and zxid (decided by sid) are common. */
function randomInputs(prng: Prng, voters: readonly number[]): Map<number, ElectionInputs> {
  return new Map(voters.map((id) => {
    const epoch = prng.int(1, 2);
    return [id, inputs(epoch, prng.int(0, 3), epoch)];
  }));
}

const voteOf = (id: number, i: ElectionInputs): Vote => ({ leader: BigInt(id), zxid: i.lastLoggedZxid, epoch: i.currentEpoch });
const atMost = (a: Vote, b: Vote) => a.epoch !== b.epoch ? a.epoch < b.epoch : a.zxid !== b.zxid ? a.zxid < b.zxid : a.leader <= b.leader;

/**
 * One election: voters start within `startSkewMsMax` of each other; the run
 * ends when every voter is out of the election with one established leader.
 * Returns the outcome or throws with the seed in the message.
 */
function electOnce(seed: number, n: number, lossProbability: number, delayMsMax: number, startSkewMsMax: number): Outcome {
  const voters = Array.from({ length: n }, (_, i) => i + 1);
  const sim = new ElectionSimulation({ seed, voters, lossProbability, delayMsMax, leaderEstablishMs: 2000 });
  const prng = new Prng(seed ^ 0x51ed);
  const given = randomInputs(prng, voters);
  const starts = voters.map((id) => ({ id, atMs: prng.int(0, startSkewMsMax) })).sort((a, b) => a.atMs - b.atMs);
  for (const { id, atMs } of starts) {
    sim.runUntil(() => false, atMs);
    sim.start(id, given.get(id)!);
  }
  const context = () => `seed ${seed} (n=${n}, loss=${lossProbability}, delay<=${delayMsMax} ms, skew<=${startSkewMsMax} ms) at ${sim.nowMs} ms`;
  const settled = () => sim.running().every(([, s]) => s.state !== 'LOOKING') && sim.isEstablished(sim.running()[0]![1].vote.leader) && new Set(sim.running().map(([, s]) => s.vote.leader)).size === 1;
  const done = sim.runUntil(settled, 30 * 60_000);
  expect(done, `no settled leader: ${context()}`).toBe(true);

  const states = sim.running().map(([, s]) => s);
  const leader = states[0]!.vote.leader;
  // Agreement: everyone out of the election follows the same leader, which leads.
  for (const [id, s] of sim.running()) {
    expect(s.vote.leader, `server ${id} disagrees: ${context()}`).toBe(leader);
    expect(s.state, `server ${id}'s role: ${context()}`).toBe(BigInt(id) === leader ? 'LEADING' : 'FOLLOWING');
  }
  // The elected vote is the leader's own (epoch, zxid), not a stale or invented one.
  expect(states[0]!.vote, context()).toEqual(voteOf(Number(leader), given.get(Number(leader))!));
  // The leader's (epoch, zxid, sid) is the highest among a quorum of voters.
  const dominated = voters.filter((id) => atMost(voteOf(id, given.get(id)!), states[0]!.vote)).length;
  expect(dominated, `leader ${leader} beats only ${dominated} of ${n} votes: ${context()}`).toBeGreaterThan(n / 2);

  const first = voters.map((id) => sim.decisions.get(id)![0]!.vote.leader);
  return { seed, leader, firstDecisionsAgree: new Set(first).size === 1, atMs: sim.nowMs, messagesLost: sim.messagesLost };
}

describe('simulation: 3 and 5 voters, random delivery order, loss and start times (seeded)', () => {
  it('with no loss and simultaneous starts every first decision agrees on the best vote of all', () => {
    for (const n of [3, 5]) {
      for (let seed = 1; seed <= 300; seed++) {
        const outcome = electOnce(seed, n, 0, 150, 0);
        expect(outcome.firstDecisionsAgree, `first decisions disagree: seed ${seed}, n=${n}`).toBe(true);
        // Every vote reaches everyone, so the leader is the best of all of them.
        const prng = new Prng(seed ^ 0x51ed);
        const given = randomInputs(prng, Array.from({ length: n }, (_, i) => i + 1));
        const best = [...given].map(([id, i]) => voteOf(id, i)).reduce((a, b) => (atMost(a, b) ? b : a));
        expect(outcome.leader, `seed ${seed}, n=${n}`).toBe(best.leader);
        expect(outcome.atMs, `seed ${seed}, n=${n}: a lossless election takes one round of messages and finalizeWait`).toBeLessThan(1000);
      }
    }
  });

  it('FLE alone can let a server follow a leader the others did not elect; going back to LOOKING repairs it (seed 236, no loss)', () => {
    // Server 3 holds the best vote (epoch 2) and starts first, at 19 ms; its
    // votes reach nobody (1 and 2 start at 54 and 56 ms). 1 and 2 agree on 2
    // (equal epoch and zxid, higher sid) and 1, finalizing first, decides
    // FOLLOWING 2 at 280 ms. 3's notification timeout (200 ms) resends its
    // vote, which reaches 2 at 299 ms while 2 is still in finalizeWait: the
    // better vote interrupts it, and 2 and 3 elect 3. Server 1 follows a
    // server that never leads until the initLimit stand-in sends it back to
    // LOOKING, where 2 and 3 tell it that 3 leads.
    const outcome = electOnce(236, 3, 0, 50, 100);
    expect(outcome.firstDecisionsAgree).toBe(false);
    expect(outcome.leader).toBe(3n);
  });

  it.each([
    [3, 0, 50, 100],
    [3, 0.2, 50, 100],
    [5, 0.2, 50, 100],
    [5, 0.3, 150, 300],
    [3, 0.5, 190, 0],
  ])('n=%i, loss %f, delay <= %i ms, start skew <= %i ms: every run settles on one leader that beats a quorum', (n, loss, delayMs, skewMs) => {
    let disagreedFirst = 0;
    let slowestMs = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const outcome = electOnce(seed, n, loss, delayMs, skewMs);
      if (!outcome.firstDecisionsAgree) disagreedFirst++;
      slowestMs = Math.max(slowestMs, outcome.atMs);
    }
    // Not asserted beyond sanity: how often FLE's first decisions needed the repair, for the record.
    expect(disagreedFirst).toBeLessThan(300);
    expect(slowestMs).toBeGreaterThan(0);
  });
});

describe('simulation: crashes and restarts', () => {
  const voters = [1, 2, 3, 4, 5];
  const given = new Map(voters.map((id) => [id, inputs(1, id)])); // 5 has the highest zxid

  it('a restarted follower rejoins the leader it had (outofelection from a round it never saw)', () => {
    for (let seed = 1; seed <= 100; seed++) {
      const sim = new ElectionSimulation({ seed, voters, lossProbability: 0.1, delayMsMax: 50, leaderEstablishMs: 2000 });
      for (const id of voters) sim.start(id, given.get(id)!);
      const allOut = () => sim.running().length === voters.length && sim.running().every(([, s]) => s.state !== 'LOOKING') && sim.isEstablished(5n);
      expect(sim.runUntil(allOut, 600_000), `seed ${seed}`).toBe(true);
      sim.crash(2);
      sim.start(2, given.get(2)!);
      expect(sim.runUntil(allOut, sim.nowMs + 600_000), `seed ${seed}: 2 did not rejoin`).toBe(true);
      expect(sim.nodes.get(2)!.state, `seed ${seed}`).toBe('FOLLOWING');
      expect(sim.nodes.get(2)!.vote.leader, `seed ${seed}`).toBe(5n);
    }
  });

  it.each([0, 0.1])('when the leader crashes the others elect one of themselves that beats a quorum (loss %f)', (lossProbability) => {
    const leaders = new Set<bigint>();
    for (let seed = 1; seed <= 100; seed++) {
      const sim = new ElectionSimulation({ seed, voters, lossProbability, delayMsMax: 50, leaderEstablishMs: 2000 });
      for (const id of voters) sim.start(id, given.get(id)!);
      expect(sim.runUntil(() => sim.isEstablished(5n) && sim.running().every(([, s]) => s.state !== 'LOOKING'), 600_000), `seed ${seed}`).toBe(true);
      sim.crash(5);
      for (const id of [1, 2, 3, 4]) sim.event(id, { type: 'StartLooking', inputs: given.get(id)! });
      const settled = () => sim.running().every(([, s]) => s.state !== 'LOOKING' && s.vote.leader === sim.nodes.get(1)!.vote.leader) && sim.isEstablished(sim.nodes.get(1)!.vote.leader);
      expect(sim.runUntil(settled, sim.nowMs + 600_000), `seed ${seed}: no new leader`).toBe(true);
      const leader = sim.nodes.get(1)!.vote.leader;
      for (const [id, s] of sim.running()) expect(s.vote.leader, `seed ${seed}, server ${id}`).toBe(leader);
      // Votes are (epoch 1, zxid 1:id): the leader beats a quorum (three of five) only if it is 3 or 4.
      expect([3n, 4n], `seed ${seed}`).toContain(leader);
      leaders.add(leader);
    }
    // Without loss every survivor hears 4's vote before it finalizes.
    if (lossProbability === 0) expect([...leaders]).toEqual([4n]);
  });
});
