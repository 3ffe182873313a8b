import { describe, expect, it } from 'vitest';
import { ballot, nodeId } from '../common/types.ts';
import { initialLearner, learnerStep, popcount } from './learner.ts';
import type { LearnerState, PaxosConfig } from './types.ts';

const config: PaxosConfig = { acceptors: 3, values: 2, ballots: 2, quorumSize: 2, mutant: undefined };
const vote = (acc: number, bal: number, val: number) =>
  ({ type: 'receive2b', message: { type: '2b', acc: nodeId(acc), bal: ballot(bal), val } }) as const;

describe('Paxos Made Simple §2.3: a learner learns a value once a quorum accepted it in one ballot', () => {
  it('learns on the second of three acceptors voting for v2 in ballot 1', () => {
    const first = learnerStep(initialLearner(config), vote(0, 1, 1), config);
    expect(first.state.learned).toBe(-1);
    expect(first.effects).toEqual([]);
    const second = learnerStep(first.state, vote(2, 1, 1), config);
    expect(second.state.learned).toBe(1);
    expect(second.effects).toEqual([{ kind: 'learn', value: 1 }]);
  });

  it('does not add up votes from different ballots', () => {
    let s: LearnerState = initialLearner(config);
    s = learnerStep(s, vote(0, 0, 0), config).state;
    s = learnerStep(s, vote(1, 1, 0), config).state;
    expect(s.learned).toBe(-1);
  });

  it('ignores a repeated 2b', () => {
    const s = learnerStep(initialLearner(config), vote(0, 0, 0), config).state;
    expect(learnerStep(s, vote(0, 0, 0), config).state).toBe(s);
  });

  it('counts bits', () => {
    expect([0, 1, 0b101, 0b111, 0x7fff].map(popcount)).toEqual([0, 1, 2, 3, 15]);
  });
});
