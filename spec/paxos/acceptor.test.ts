import { describe, expect, it } from 'vitest';
import { ballot, nodeId } from '../common/types.ts';
import { acceptorStep, initialAcceptor } from './acceptor.ts';
import { NO_BALLOT, NONE } from './types.ts';
import type { AcceptorState, PaxosConfig, PaxosMutantName } from './types.ts';

const a2 = nodeId(1);
const config = (mutant?: PaxosMutantName): PaxosConfig => ({ acceptors: 3, values: 2, ballots: 3, quorumSize: 2, mutant });
const prepare = (b: number) => ({ type: 'receive1a', message: { type: '1a', bal: ballot(b) } }) as const;
const accept = (b: number, v: number) => ({ type: 'receive2a', message: { type: '2a', bal: ballot(b), val: v } }) as const;

describe('Paxos.tla Phase1b(a): an acceptor promises a ballot above every ballot it took part in', () => {
  it('promises ballot 0 from the initial state and reports that it has not voted (<<-1, None>>)', () => {
    const t = acceptorStep(a2, initialAcceptor, prepare(0), config());
    expect(t.state).toEqual({ maxBal: 0, maxVBal: NO_BALLOT, maxVal: NONE });
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '1b', acc: 1, bal: 0, mbal: -1, mval: -1 } }]);
  });

  it('reports its latest vote in the promise', () => {
    const voted: AcceptorState = { maxBal: ballot(1), maxVBal: ballot(1), maxVal: 1 };
    const t = acceptorStep(a2, voted, prepare(2), config());
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '1b', acc: 1, bal: 2, mbal: 1, mval: 1 } }]);
  });

  it('ignores a 1a for the ballot it already promised (m.bal > maxBal[a] is strict)', () => {
    const promised: AcceptorState = { maxBal: ballot(1), maxVBal: NO_BALLOT, maxVal: NONE };
    const t = acceptorStep(a2, promised, prepare(1), config());
    expect(t.state).toBe(promised);
    expect(t.effects).toEqual([]);
    expect(acceptorStep(a2, promised, prepare(0), config()).state).toBe(promised);
  });
});

describe('Paxos.tla Phase2b(a): an acceptor votes unless it promised a higher ballot (P1a)', () => {
  it('votes in the ballot it promised and tells the learners', () => {
    const promised: AcceptorState = { maxBal: ballot(1), maxVBal: NO_BALLOT, maxVal: NONE };
    const t = acceptorStep(a2, promised, accept(1, 0), config());
    expect(t.state).toEqual({ maxBal: 1, maxVBal: 1, maxVal: 0 });
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '2b', acc: 1, bal: 1, val: 0 } }]);
  });

  it('votes in a ballot above its promise without a 1a (m.bal >= maxBal[a])', () => {
    const t = acceptorStep(a2, initialAcceptor, accept(2, 1), config());
    expect(t.state).toEqual({ maxBal: 2, maxVBal: 2, maxVal: 1 });
  });

  it('refuses a ballot below its promise', () => {
    const promised: AcceptorState = { maxBal: ballot(2), maxVBal: NO_BALLOT, maxVal: NONE };
    const t = acceptorStep(a2, promised, accept(1, 0), config());
    expect(t.state).toBe(promised);
    expect(t.effects).toEqual([]);
  });

  it('re-sends its 2b for a second copy of the same 2a, changing nothing else', () => {
    const voted: AcceptorState = { maxBal: ballot(1), maxVBal: ballot(1), maxVal: 0 };
    const t = acceptorStep(a2, voted, accept(1, 0), config());
    expect(t.state).toEqual(voted);
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '2b', acc: 1, bal: 1, val: 0 } }]);
  });

  it('mutant accept-below-promise votes below its promise but keeps the promise on record', () => {
    const promised: AcceptorState = { maxBal: ballot(2), maxVBal: NO_BALLOT, maxVal: NONE };
    const t = acceptorStep(a2, promised, accept(1, 0), config('accept-below-promise'));
    expect(t.state).toEqual({ maxBal: 2, maxVBal: 1, maxVal: 0 });
    expect(t.effects).toEqual([{ kind: 'send', message: { type: '2b', acc: 1, bal: 1, val: 0 } }]);
  });
});
