import { describe, expect, it } from 'vitest';
import { AssertionError } from '../../lib/assert.ts';
import { ballot, nodeId } from '../common/types.ts';
import { initialProposer, proposerStep } from './proposer.ts';
import type { Message1b, PaxosConfig, PaxosMutantName, ProposerState } from './types.ts';

const config = (mutant?: PaxosMutantName): PaxosConfig => ({ acceptors: 3, values: 2, ballots: 3, quorumSize: 2, mutant });
const promise = (acc: number, bal: number, mbal: number, mval: number): Message1b => ({
  type: '1b',
  acc: nodeId(acc),
  bal: ballot(bal),
  mbal: ballot(mbal),
  mval,
});
const inPhase1 = (b: number): ProposerState => ({ ballot: ballot(b), phase: 'phase1', value: -1 });

describe('Paxos.tla Phase1a(b): the ballot-b proposer begins its ballot', () => {
  it('sends one 1a and moves to phase 1', () => {
    const t = proposerStep(initialProposer(ballot(2)), { type: 'startBallot' }, config());
    expect(t.state).toEqual({ ballot: 2, phase: 'phase1', value: -1 });
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '1a', bal: 2 } }]);
  });

  it('does not begin the same ballot twice (a stuttering step in Paxos.tla)', () => {
    const p = inPhase1(2);
    expect(proposerStep(p, { type: 'startBallot' }, config()).state).toBe(p);
  });
});

describe('Paxos.tla Phase2a(b, v): with a quorum of promises, propose a safe value', () => {
  it('proposes its client value when no acceptor in the quorum has voted', () => {
    const t = proposerStep(
      inPhase1(1),
      { type: 'receivePromises', promises: [promise(0, 1, -1, -1), promise(2, 1, -1, -1)], clientValue: 1 },
      config(),
    );
    expect(t.state).toEqual({ ballot: 1, phase: 'phase2', value: 1 });
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '2a', bal: 1, val: 1 } }]);
  });

  it('proposes the value of the highest-ballot vote reported, whatever its client asks', () => {
    const promises = [promise(0, 2, 0, 0), promise(1, 2, 1, 1), promise(2, 2, -1, -1)];
    const t = proposerStep(inPhase1(2), { type: 'receivePromises', promises, clientValue: 0 }, config());
    expect(t.state.value).toBe(1);
  });

  it('sends at most one 2a for its ballot', () => {
    const done: ProposerState = { ballot: ballot(1), phase: 'phase2', value: 0 };
    const t = proposerStep(
      done,
      { type: 'receivePromises', promises: [promise(0, 1, -1, -1), promise(1, 1, -1, -1)], clientValue: 1 },
      config(),
    );
    expect(t.state).toBe(done);
  });

  it('asserts that it was handed a quorum of distinct acceptors for its own ballot', () => {
    const step = (promises: Message1b[]) =>
      proposerStep(inPhase1(1), { type: 'receivePromises', promises, clientValue: 0 }, config());
    expect(() => step([promise(0, 1, -1, -1)])).toThrow(AssertionError);
    expect(() => step([promise(0, 1, -1, -1), promise(0, 1, -1, -1)])).toThrow(AssertionError);
    expect(() => step([promise(0, 0, -1, -1), promise(1, 0, -1, -1)])).toThrow(AssertionError);
  });

  it('mutant ignore-promised-values proposes its client value over a reported vote', () => {
    const promises = [promise(0, 2, 1, 1), promise(1, 2, -1, -1)];
    const t = proposerStep(inPhase1(2), { type: 'receivePromises', promises, clientValue: 0 }, config('ignore-promised-values'));
    expect(t.state.value).toBe(0);
  });
});
