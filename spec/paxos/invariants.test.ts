import { describe, expect, it } from 'vitest';
import { ballot, nodeId } from '../common/types.ts';
import type { PaxosCluster } from './world.ts';
import { agreement, chosenValues, learnedIsChosen, promiseKept, someValueChosen, validity } from './invariants.ts';
import type { InvariantShape } from './invariants.ts';
import { pack } from './packing.ts';
import type { Message } from './types.ts';

const shape: InvariantShape = { acceptors: 3, values: 2, ballots: 3, quorumSize: 2 };
const p1b = (acc: number, bal: number, mbal: number, mval: number): Message => ({
  type: '1b',
  acc: nodeId(acc),
  bal: ballot(bal),
  mbal: ballot(mbal),
  mval,
});
const p2a = (bal: number, val: number): Message => ({ type: '2a', bal: ballot(bal), val });
const p2b = (acc: number, bal: number, val: number): Message => ({ type: '2b', acc: nodeId(acc), bal: ballot(bal), val });

/** A set-network cluster whose msgs are `sent` (only the fields the invariants read matter). */
function clusterWith(sent: Message[], learned: number[] = []): PaxosCluster {
  const network = [...new Set(sent.map((m) => pack(m)))].sort((x, y) => x - y);
  return {
    acceptors: [],
    proposers: [],
    learners: learned.map((v) => ({ votes: [], learned: v })),
    network,
    dropsUsed: 0,
    duplicatesUsed: 0,
    ghost: { sent: network },
  };
}

describe('Agreement: only a single value is chosen', () => {
  it('a quorum voting v1 in b0 chooses v1 (Voting.tla\'s chosen); one vote chooses nothing', () => {
    expect(chosenValues(clusterWith([p2b(0, 0, 0)]), shape)).toBe(0);
    expect(chosenValues(clusterWith([p2b(0, 0, 0), p2b(2, 0, 0)]), shape)).toBe(0b01);
    expect(someValueChosen(clusterWith([p2b(0, 0, 0), p2b(2, 0, 0)]), shape)).toBe(true);
  });

  it('votes for one value in different ballots do not add up', () => {
    expect(chosenValues(clusterWith([p2b(0, 0, 0), p2b(1, 1, 0)]), shape)).toBe(0);
  });

  it('the same value chosen in two ballots is still one value', () => {
    const c = clusterWith([p2a(0, 1), p2a(1, 1), p2b(0, 0, 1), p2b(1, 0, 1), p2b(1, 1, 1), p2b(2, 1, 1)]);
    expect(agreement(c, shape)).toBe(true);
  });

  it('is violated when v1 is chosen in b0 and v2 in b1', () => {
    const c = clusterWith([p2b(0, 0, 0), p2b(1, 0, 0), p2b(1, 1, 1), p2b(2, 1, 1)]);
    expect(chosenValues(c, shape)).toBe(0b11);
    expect(agreement(c, shape)).toBe(false);
  });
});

describe('Validity: only a value that has been proposed may be chosen', () => {
  it('holds when the chosen value was in a 2a and fails when it never was', () => {
    const votes = [p2b(0, 0, 1), p2b(1, 0, 1)];
    expect(validity(clusterWith([p2a(0, 1), ...votes]), shape)).toBe(true);
    expect(validity(clusterWith([p2a(0, 0), ...votes]), shape)).toBe(false);
  });
});

describe('PromiseKept (P1a): no vote below a ballot the acceptor promised before voting', () => {
  it('holds when the promise for b1 reports the b0 vote (the vote came first)', () => {
    expect(promiseKept(clusterWith([p2b(0, 0, 1), p1b(0, 1, 0, 1)]))).toBe(true);
  });

  it('fails when a promise for b1 reports no vote but the acceptor voted in b0', () => {
    expect(promiseKept(clusterWith([p1b(0, 1, -1, -1), p2b(0, 0, 1)]))).toBe(false);
  });

  it('is about one acceptor: another acceptor\'s b0 vote is not a broken promise', () => {
    expect(promiseKept(clusterWith([p1b(0, 1, -1, -1), p2b(1, 0, 1)]))).toBe(true);
  });

  it('a vote in the promised ballot or above keeps the promise', () => {
    expect(promiseKept(clusterWith([p1b(0, 1, -1, -1), p2b(0, 1, 0), p2b(0, 2, 1)]))).toBe(true);
  });
});

describe('LearnedIsChosen: a process never learns that a value has been chosen unless it actually has been', () => {
  it('holds for a learner that learned the chosen value and fails for one that learned another', () => {
    const votes = [p2b(0, 0, 0), p2b(1, 0, 0)];
    expect(learnedIsChosen(clusterWith(votes, [0, -1]), shape)).toBe(true);
    expect(learnedIsChosen(clusterWith(votes, [1]), shape)).toBe(false);
  });
});
