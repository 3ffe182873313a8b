// The checker on toy models whose numbers can be worked out by hand (toys.ts).

import { describe, expect, it } from 'vitest';
import { check, type CheckReport, ModelError, type Trace } from './check.ts';
import { fingerprintOf } from './fingerprint.ts';
import type { Model } from './model.ts';
import { clockModel, type CrewAction, crewModel, type CrewState, doublerModel, type ClockState } from './toys.ts';

/** Replays a trace through the model: every action must be enabled and lead to the recorded state. */
function replay<S, A>(model: Model<S, A>, trace: Trace): S {
  const initial = model.init().find((s) => JSON.stringify(model.view(s)) === JSON.stringify(trace.initial));
  expect(initial).toBeDefined();
  let state = initial as S;
  for (const step of trace.steps) {
    const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
    expect(action, `action ${step.action} enabled`).toBeDefined();
    const next = model.next(state, action as A);
    expect(next).toBeDefined();
    state = next as S;
    expect(model.view(state)).toEqual(step.state);
  }
  return state;
}

/** The report without what is measured rather than computed (time, and memory sampled from the process). */
function withoutTiming(report: CheckReport): Omit<CheckReport, 'durationMs' | 'statesPerSecond' | 'memory'> {
  const { durationMs: _d, statesPerSecond: _r, memory: _m, ...rest } = report;
  return rest;
}

describe('breadth-first search', () => {
  it('counts the clock exactly: (n+1)^2 distinct, 1 + 2n(n+1) generated, depth 2n', () => {
    const report = check(clockModel({ n: 10 }), { progress: false });
    expect(report).toMatchObject({ strategy: 'bfs', complete: true, distinctStates: 121, generatedStates: 221, maxDepth: 20, violations: [] });
  });

  it('stays exact past frontier compaction and table growth: 401^2 states, a depth-700 trace that replays', () => {
    const farCorner = { name: 'NotFar', kind: 'always' as const, description: 'a + b < 700', holds: (s: ClockState) => s.a + s.b < 700 };
    const model = clockModel({ n: 400, properties: [farCorner] });
    const report = check(model, { progress: false, stopAtFirstViolation: false });
    expect(report).toMatchObject({ complete: true, distinctStates: 401 * 401, generatedStates: 1 + 2 * 400 * 401, maxDepth: 800 });
    expect(report.violations[0]!.depth).toBe(700);
    expect(replay(model, report.violations[0]!.trace)).toMatchObject({ a: 400, b: 300 });
  });

  it('reports the shortest counterexample (depth 7 to x = 37) and its trace replays', () => {
    const model = doublerModel(37);
    const report = check(model, { progress: false });
    expect(report.complete).toBe(false);
    expect(report.violations).toHaveLength(1);
    const violation = report.violations[0]!;
    expect(violation.property).toBe('NeverTarget');
    expect(violation.depth).toBe(7);
    // 1 -> 2 -> 4 -> 8 -> 9 -> 18 -> 36 -> 37; from 1 both actions reach 2 and Increment is listed first.
    expect(violation.trace.steps.map((s) => s.action)).toEqual(['Increment', 'Double', 'Double', 'Increment', 'Double', 'Double', 'Increment']);
    expect(violation.trace.steps).toHaveLength(7);
    expect(replay(model, violation.trace)).toBe(37);
  });

  it('checks initial states: a violated initial state is a depth-0 counterexample', () => {
    const report = check(doublerModel(1), { progress: false });
    expect(report.violations[0]).toMatchObject({ property: 'NeverTarget', depth: 0, trace: { initial: { x: 1 }, steps: [] } });
    expect(report.distinctStates).toBe(1);
  });

  it('keeps going with stopAtFirstViolation: false and explores everything', () => {
    const report = check(doublerModel(37), { progress: false, stopAtFirstViolation: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toHaveLength(1);
    // x = 1..100 all reachable by increments.
    expect(report.distinctStates).toBe(100);
  });

  it('records a sometimes with its shallowest path, and reports an unreachable one as not reached', () => {
    const never = { name: 'HandsPastN', kind: 'sometimes' as const, description: 'a hand passes n', holds: (s: ClockState) => s.a > 4 };
    const diagonal = { name: 'Diagonal22', kind: 'sometimes' as const, description: 'both hands at 2', holds: (s: ClockState) => s.a === 2 && s.b === 2 };
    const report = check(clockModel({ n: 4, properties: [never, diagonal] }), { progress: false });
    expect(report.sometimes).toHaveLength(2);
    expect(report.sometimes[0]).toEqual({ property: 'HandsPastN', description: 'a hand passes n', reached: false });
    expect(report.sometimes[1]).toMatchObject({ property: 'Diagonal22', reached: true, depth: 4 });
    expect(report.sometimes[1]!.trace!.steps).toHaveLength(4);
    expect(report.sometimes[1]!.trace!.steps.at(-1)!.state).toEqual({ a: 2, b: 2 });
  });

  it('discards successors outside the boundary: not counted, not checked, not expanded', () => {
    const checked: ClockState[] = [];
    const spy = { name: 'Spy', kind: 'always' as const, description: 'records what is checked', holds: (s: ClockState) => (checked.push(s), true) };
    const report = check(clockModel({ n: 5, boundary: (s) => s.a <= 2, properties: [spy] }), { progress: false });
    // a in 0..2, b in 0..5.
    expect(report.distinctStates).toBe(18);
    expect(checked.every((s) => s.a <= 2)).toBe(true);
    expect(checked).toHaveLength(18);
    // Generated includes the 6 discarded successors with a = 3: 1 + (3*6 states' successors: 2*... ) counted by hand:
    // each state with a <= 2 generates Tick(a) (a < 5 always here) and Tick(b) when b < 5: 18 + 15 = 33, plus the initial state.
    expect(report.generatedStates).toBe(34);
  });

  it('stops after statesMax distinct states and says it is incomplete', () => {
    const report = check(clockModel({ n: 10 }), { progress: false, statesMax: 50 });
    expect(report.complete).toBe(false);
    expect(report.distinctStates).toBe(50);
  });
});

describe('budgets', () => {
  it('stops an unbounded model after timeMaxMs and says it is incomplete', () => {
    // The clock with n = 10^6 has 10^12 states: only the time budget ends this run.
    const startMs = Date.now();
    const report = check(clockModel({ n: 1_000_000 }), { progress: false, timeMaxMs: 200 });
    expect(report.complete).toBe(false);
    expect(report.distinctStates).toBeGreaterThan(1000);
    expect(Date.now() - startMs).toBeLessThan(5000);
    expect(report.fingerprintBytes).toBeGreaterThanOrEqual(report.distinctStates * 8);
  });
});

describe('depth-first search', () => {
  it('counts the same states as BFS', () => {
    const report = check(clockModel({ n: 10 }), { strategy: { kind: 'dfs' }, progress: false });
    expect(report).toMatchObject({ strategy: 'dfs', complete: true, distinctStates: 121, generatedStates: 221, maxDepth: 20 });
  });

  it('finds the planted violation, with the stack as its (longer) counterexample', () => {
    const model = doublerModel(37);
    const report = check(model, { strategy: { kind: 'dfs' }, progress: false });
    const violation = report.violations[0]!;
    expect(violation.property).toBe('NeverTarget');
    // Increment is tried first: 1, 2, ..., 37.
    expect(violation.depth).toBe(36);
    expect(replay(model, violation.trace)).toBe(37);
  });

  it('cuts at depthMax and reports the search incomplete', () => {
    const report = check(clockModel({ n: 10 }), { strategy: { kind: 'dfs', depthMax: 5 }, progress: false });
    expect(report.complete).toBe(false);
    expect(report.maxDepth).toBe(5);
    expect(report.distinctStates).toBe(21); // a + b <= 5
  });
});

describe('simulation', () => {
  const strategy = { kind: 'simulate' as const, walks: 200, seed: 42, depthMax: 30 };

  it('is deterministic: the same seed gives the same report', () => {
    const first = check(doublerModel(1000), { strategy, progress: false });
    const second = check(doublerModel(1000), { strategy, progress: false });
    expect(withoutTiming(first)).toEqual(withoutTiming(second));
    expect(first.seed).toBe(42);
    expect(first.complete).toBe(true);
    const other = check(doublerModel(1000), { strategy: { ...strategy, seed: 43 }, progress: false });
    expect(withoutTiming(other)).not.toEqual(withoutTiming(first));
  });

  it('finds a violation on a random walk and the walk replays', () => {
    const model = doublerModel(37);
    const report = check(model, { strategy, progress: false });
    expect(report.violations).toHaveLength(1);
    expect(replay(model, report.violations[0]!.trace)).toBe(37);
    expect(report.violations[0]!.depth).toBe(report.violations[0]!.trace.steps.length);
  });

  it('counts distinct fingerprints: every state of a small clock is met', () => {
    const report = check(clockModel({ n: 3 }), { strategy: { kind: 'simulate', walks: 500, seed: 7, depthMax: 10 }, progress: false });
    expect(report.distinctStates).toBe(16);
    expect(report.maxDepth).toBe(6);
  });
});

describe('a model that throws', () => {
  // Doubling 9 is a "bug" in this model: the error must name the action and carry the path to 9.
  const buggy = (): Model<number, 'Increment' | 'Double'> => {
    const base = doublerModel(1000);
    return {
      ...base,
      next: (x, action) => {
        if (x === 9 && action === 'Double') throw new Error('cannot double 9');
        return base.next(x, action);
      },
    };
  };
  const strategies = [{ kind: 'bfs' }, { kind: 'dfs' }, { kind: 'simulate', walks: 100, seed: 5, depthMax: 50 }] as const;
  for (const strategy of strategies) {
    it(`${strategy.kind}: reports the path to the state and the action being tried`, () => {
      let thrown: unknown;
      try {
        check(buggy(), { strategy, progress: false });
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ModelError);
      const error = thrown as ModelError;
      expect(error.message).toContain('while trying Double: Error: cannot double 9');
      expect(error.cause).toBeInstanceOf(Error);
      expect(replay(buggy(), error.trace)).toBe(9);
      if (strategy.kind === 'bfs') expect(error.trace.steps).toHaveLength(4); // 1 2 4 8 9
    });
  }
});

describe('symmetry', () => {
  it('reduces 3 symmetric servers from 81 states to the 18 orbits', () => {
    expect(check(crewModel(3, false), { progress: false }).distinctStates).toBe(81);
    expect(check(crewModel(3, true), { progress: false }).distinctStates).toBe(18);
  });

  it('gives the same counts with symmetry signatures, encoding fewer permutations', () => {
    for (const servers of [3, 4, 5]) {
      const plain = check(crewModel(servers, true), { progress: false });
      const signed = check(crewModel(servers, true, true), { progress: false });
      expect(signed.distinctStates).toBe(plain.distinctStates);
      expect(signed.generatedStates).toBe(plain.generatedStates);
    }
    // Orbits for 4 servers: the leader's value (3) times a multiset of 3 values over 3 (10).
    expect(check(crewModel(4, true, true), { progress: false }).distinctStates).toBe(30);
    const encodingsOf = (model: Model<CrewState, CrewAction>) => {
      let encodings = 0;
      const counting = { ...model, encode: (...args: Parameters<typeof model.encode>) => (encodings++, model.encode(...args)) };
      return { report: check(counting, { progress: false }), encodings };
    };
    const plain = encodingsOf(crewModel(3, true));
    const signed = encodingsOf(crewModel(3, true, true));
    // Without signatures every generated state is encoded under all 3! = 6 permutations.
    expect(plain.encodings).toBe(6 * plain.report.generatedStates);
    expect(signed.encodings).toBeLessThan(plain.encodings / 2);
  });

  it('merges permuted states but not states that differ beyond a permutation', () => {
    const model = crewModel(3, true);
    const a = fingerprintOf(model, { values: [1, 0, 0], leader: 1, bumps: [0] });
    const b = fingerprintOf(model, { values: [0, 1, 0], leader: 0, bumps: [1] });
    const c = fingerprintOf(model, { values: [1, 0, 0], leader: 0, bumps: [0] });
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});
