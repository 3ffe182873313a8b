// Action coverage (coverage.ts): per kind, successors generated and new
// distinct states, the same in every sequential strategy's totals, not
// counting the replays that rebuild a path, and naming declared kinds that
// never fired.

import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { actionKindOf } from './coverage.ts';
import type { Model } from './model.ts';
import { clockModel, doublerModel } from './toys.ts';

describe('action coverage', () => {
  it('counts per kind the successors generated and the new states found (doubler to 4, worked out by hand)', () => {
    // From 1: Inc 2 (new), Double 2; from 2: Inc 3 (new), Double 4 (new); from 3: Inc 4, Double 6 (out);
    // from 4: Inc 5 (out), Double 8 (out). The target 99 is never reached, so nothing stops the search.
    const report = check(doublerModel(99, 4), { progress: false, coverage: true });
    expect(report.coverage).toEqual({
      actions: [
        { kind: 'Increment', generated: 4, distinct: 2 },
        { kind: 'Double', generated: 4, distinct: 1 },
      ],
    });
  });

  it('lists the declared kinds first, a kind that never fired with zeros', () => {
    const model: Model<number, 'Increment' | 'Double'> = { ...doublerModel(99, 4), actionKinds: ['Halve', 'Double', 'Increment'] };
    const report = check(model, { progress: false, coverage: true });
    expect(report.coverage?.actions.map((a) => [a.kind, a.generated])).toEqual([
      ['Halve', 0],
      ['Double', 4],
      ['Increment', 4],
    ]);
  });

  it('adds up to the report totals in bfs, dfs and simulation, and changes no count', () => {
    const model = clockModel({ n: 5 });
    for (const strategy of [{ kind: 'bfs' }, { kind: 'dfs' }, { kind: 'simulate', walks: 20, seed: 3, depthMax: 8 }] as const) {
      const plain = check(model, { progress: false, strategy });
      const counted = check(model, { progress: false, strategy, coverage: true });
      expect(plain.coverage, strategy.kind).toBeUndefined();
      expect({ ...counted, durationMs: 0, statesPerSecond: 0, coverage: undefined, memory: undefined }, strategy.kind).toEqual({ ...plain, durationMs: 0, statesPerSecond: 0, memory: undefined });
      const [tick] = counted.coverage!.actions;
      // Every state but the initial one was found by a Tick; every generated state but the initial ones
      // (one per simulated walk) is a Tick's successor.
      const initials = strategy.kind === 'simulate' ? strategy.walks : 1;
      expect(tick, strategy.kind).toEqual({ kind: 'Tick', generated: counted.generatedStates - initials, distinct: counted.distinctStates - 1 });
    }
  });

  it('does not count the replay that rebuilds the path of a sometimes or a violation', () => {
    // The sometimes ReachesTen is reached (its path replayed), then NeverTarget 37 is violated (replayed again).
    const report = check(doublerModel(37), { progress: false, coverage: true });
    const generated = report.coverage!.actions.reduce((sum, a) => sum + a.generated, 0);
    expect(generated).toBe(report.generatedStates - 1);
  });

  it('takes the kind from actionKind, else the action text before its parenthesis', () => {
    const clock = clockModel({ n: 1 });
    expect(actionKindOf(clock, { hand: 'a' })).toBe('Tick');
    expect(actionKindOf({ ...clock, actionKind: (a) => `Tick${a.hand.toUpperCase()}` }, { hand: 'b' })).toBe('TickB');
    expect(actionKindOf(doublerModel(3), 'Double')).toBe('Double');
  });

  it('is refused by the parallel search, whose workers rebuild the model', () => {
    const rebuild = { module: 'unused', name: 'x', bounds: {}, mutant: undefined };
    expect(() => check(clockModel({ n: 1 }), { coverage: true, strategy: { kind: 'parallel-bfs', workers: 2, rebuild } })).toThrow(/sequential strategies only/);
  });
});
