// The liveness check (liveness.ts over state-graph.ts and scc.ts) and the
// deadlock check, on the toys of liveness-toys.ts, whose lassos can be
// worked out by hand. Every lasso is replayed through the model: each step a
// real transition, the cycle closing on its first state, the property false
// all along it.

import { describe, expect, it } from 'vitest';
import { check, type Trace } from './check.ts';
import { fingerprintOf } from './fingerprint.ts';
import {
  countdownModel,
  type ElectionState,
  electionModel,
  eventuallyLeader,
  leaderLeadsToTermZero,
  termTwoLeadsToLeader,
  winIsFair,
} from './liveness-toys.ts';
import type { Model } from './model.ts';
import { type CrewState, crewModel } from './toys.ts';
import { stronglyConnectedComponents } from './scc.ts';

/** Replays a trace; returns every state along it, the initial one first. */
function replayAll<S, A>(model: Model<S, A>, trace: Trace): S[] {
  const initial = model.init().find((s) => JSON.stringify(model.view(s)) === JSON.stringify(trace.initial));
  expect(initial).toBeDefined();
  const states = [initial as S];
  for (const step of trace.steps) {
    const state = states[states.length - 1]!;
    const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
    expect(action, `${step.action} enabled`).toBeDefined();
    const next = model.next(state, action as A);
    expect(next).toBeDefined();
    expect(model.view(next as S)).toEqual(step.state);
    states.push(next as S);
  }
  return states;
}

/** Checks a lasso: its cycle returns to the state where it starts (or that state has no successor at all). */
function expectLasso<S, A>(model: Model<S, A>, trace: Trace): { states: S[]; cycleStart: number } {
  const cycleStart = trace.cycleStart;
  expect(cycleStart).toBeDefined();
  const states = replayAll(model, trace);
  const last = states[states.length - 1]!;
  if (cycleStart === trace.steps.length) {
    expect(model.actions(last).every((a) => model.next(last, a) === undefined)).toBe(true);
  } else {
    expect(fingerprintOf(model, last)).toEqual(fingerprintOf(model, states[cycleStart!]!));
  }
  return { states, cycleStart: cycleStart! };
}

describe('eventually', () => {
  it('finds the livelock of repeated timeouts with its lasso when Win is not fair', () => {
    const model = electionModel([eventuallyLeader]);
    const report = check(model, { progress: false });
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(6);
    expect(report.violations).toHaveLength(1);
    const violation = report.violations[0]!;
    expect(violation.property).toBe('EventuallyLeader');
    // No prefix: from term 0, three timeouts come back to term 0.
    expect(violation.trace.cycleStart).toBe(0);
    expect(violation.trace.steps.map((s) => s.action)).toEqual(['Timeout', 'Timeout', 'Timeout']);
    const { states } = expectLasso(model, violation.trace);
    expect(states.every((s) => !s.leader)).toBe(true);
    expect(report.liveness).toEqual([expect.objectContaining({ property: 'EventuallyLeader', verdict: 'violated' })]);
  });

  it('holds when Win is weakly fair: it is enabled all along the timeout cycle', () => {
    const report = check(electionModel([eventuallyLeader], winIsFair), { progress: false });
    expect(report.violations).toEqual([]);
    expect(report.liveness).toEqual([expect.objectContaining({ property: 'EventuallyLeader', verdict: 'holds', regionStates: 3, leavingBoundary: 0 })]);
  });

  it('is violated by a state without successors, which stutters forever', () => {
    const never = { name: 'ReachesMinusOne', kind: 'eventually' as const, description: 'x reaches -1', holds: (x: number) => x === -1 };
    const model = countdownModel(3, { properties: [never], stops: true });
    const report = check(model, { progress: false });
    expect(report.violations).toHaveLength(1);
    const trace = report.violations[0]!.trace;
    expect(trace.steps).toHaveLength(3);
    expect(trace.cycleStart).toBe(3);
    expect(expectLasso(model, trace).states).toEqual([3, 2, 1, 0]);
  });

  it('holds at the end of a run that reaches it, and counts what leaves the boundary', () => {
    const zero = { name: 'ReachesZero', kind: 'eventually' as const, description: 'x reaches 0', holds: (x: number) => x === 0 };
    const report = check(countdownModel(3, { properties: [zero], stops: true }), { progress: false });
    expect(report.violations).toEqual([]);
    expect(report.liveness![0]).toMatchObject({ verdict: 'holds', regionStates: 3, leavingBoundary: 0 });
    // With a floor at 2 the run is cut at x = 2: not judged (no cycle, no end), and counted as leaving.
    const cut = check(countdownModel(3, { properties: [zero], floor: 2 }), { progress: false });
    expect(cut.violations).toEqual([]);
    expect(cut.liveness![0]).toMatchObject({ verdict: 'holds', regionStates: 2, leavingBoundary: 1 });
  });
});

describe('eventually under symmetry', () => {
  it('finds and replays a lasso under symmetry: the cycle closes on its first state up to a renaming', () => {
    // Crew (toys.ts): Elect moves the leadership around without raising any value, forever.
    const someTwo = { name: 'SomeValueTwo', kind: 'eventually' as const, description: 'some value reaches 2', holds: (s: CrewState) => s.values.includes(2) };
    const base = crewModel(3, true, true);
    const model = { ...base, properties: [someTwo] };
    const report = check(model, { progress: false });
    expect(report.violations.map((v) => v.property)).toEqual(['SomeValueTwo']);
    const { states } = expectLasso(model, report.violations[0]!.trace);
    expect(states.every((s) => !s.values.includes(2))).toBe(true);
  });
});

describe('leadsTo', () => {
  it('fails without fairness and holds under WF(Win)', () => {
    const unfair = electionModel([termTwoLeadsToLeader]);
    const report = check(unfair, { progress: false });
    expect(report.violations).toHaveLength(1);
    const { states, cycleStart } = expectLasso(unfair, report.violations[0]!.trace);
    // The premise holds where the lasso leaves the shortest path, and the goal never after it.
    const premiseAt = states.findIndex((s) => s.term === 2);
    expect(premiseAt).toBeGreaterThanOrEqual(0);
    expect(premiseAt).toBeLessThanOrEqual(cycleStart);
    expect(states.slice(premiseAt).every((s) => !s.leader)).toBe(true);
    expect(check(electionModel([termTwoLeadsToLeader], winIsFair), { progress: false }).violations).toEqual([]);
  });

  it('fails under fairness too when the cycle is fair: a leader of term 1 heartbeats forever', () => {
    const model = electionModel([leaderLeadsToTermZero], winIsFair);
    const report = check(model, { progress: false });
    expect(report.violations).toHaveLength(1);
    const trace = report.violations[0]!.trace;
    const { states, cycleStart } = expectLasso(model, trace);
    expect(trace.steps.slice(cycleStart).map((s) => s.action)).toEqual(['Heartbeat']);
    const last = states[states.length - 1] as ElectionState;
    expect(last.leader && last.term !== 0).toBe(true);
  });

  it('is not checked by strategies that record no graph, and says so', () => {
    const report = check(electionModel([eventuallyLeader]), { progress: false, strategy: { kind: 'dfs' } });
    expect(report.violations).toEqual([]);
    expect(report.liveness).toEqual([expect.objectContaining({ verdict: 'not checked' })]);
  });
});

describe('deadlock', () => {
  it('reports a state without successors, with its path, by default and in every sequential strategy', () => {
    const strategies = [
      { kind: 'bfs' as const },
      { kind: 'dfs' as const },
      { kind: 'simulate' as const, walks: 3, seed: 1, depthMax: 10 },
      { kind: 'iddfs' as const },
      { kind: 'bitstate' as const, bytes: 1 << 16, order: 'dfs' as const },
      { kind: 'guided' as const, walks: 3, seed: 1, depthMax: 10 },
    ];
    for (const strategy of strategies) {
      const report = check(countdownModel(3), { progress: false, strategy });
      expect(report.violations, strategy.kind).toHaveLength(1);
      expect(report.violations[0]).toMatchObject({ property: 'Deadlock', depth: 3 });
      expect(replayAll(countdownModel(3), report.violations[0]!.trace)).toEqual([3, 2, 1, 0]);
    }
  });

  it("is found by a swarm's walk members as by its DFS members", () => {
    const modes = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const report = check(countdownModel(3), { progress: false, strategy: { kind: 'swarm', members: 1, seed, depthMax: 10, memberStatesMax: 100 } });
      expect(report.violations, `seed ${seed}`).toHaveLength(1);
      expect(report.violations[0]).toMatchObject({ property: 'Deadlock', depth: 3 });
      expect(replayAll(countdownModel(3), report.violations[0]!.trace)).toEqual([3, 2, 1, 0]);
      modes.add(report.swarmFinder!.mode);
    }
    expect([...modes].sort()).toEqual(['dfs', 'walk']);
  });

  it('is off when the model stops by design or the caller turns it off, and a successor outside the boundary is no deadlock', () => {
    expect(check(countdownModel(3, { stops: true }), { progress: false }).violations).toEqual([]);
    expect(check(countdownModel(3), { progress: false, checkDeadlock: false }).violations).toEqual([]);
    // iddfs's passes cut at their depth bound: a state cut there is not taken for a deadlock.
    expect(check(countdownModel(3), { progress: false, strategy: { kind: 'iddfs', depthMax: 2 } }).violations).toEqual([]);
    expect(check(countdownModel(3, { floor: 1 }), { progress: false }).violations).toEqual([]);
  });

  it('is checked by the graph-recording search too: a stuck leader', () => {
    const model = electionModel([eventuallyLeader], winIsFair);
    const stuck = { ...model, actions: (s: ElectionState) => (s.leader ? [] : model.actions(s)) };
    const report = check(stuck, { progress: false });
    expect(report.violations[0]).toMatchObject({ property: 'Deadlock', depth: 1 });
    expect(report.liveness![0]).toMatchObject({ verdict: 'not checked' });
  });
});

describe('strongly connected components', () => {
  it('splits a graph by hand: 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 3, 4 -> 3 (4 unreached from 0)', () => {
    // Edges grouped by source: 0:[1] 1:[2] 2:[0,3] 3:[3] 4:[3].
    const graph = { size: 5, firstEdge: Int32Array.from([0, 1, 2, 4, 5, 6]), target: Int32Array.from([1, 2, 0, 3, 3, 3]) };
    const member = Uint8Array.from([1, 1, 1, 1, 1]);
    const { component, count } = stronglyConnectedComponents(graph, Int32Array.from([0, 1, 2, 3, 4]), 5, member);
    expect(count).toBe(3);
    expect(component[0]).toBe(component[1]);
    expect(component[1]).toBe(component[2]);
    expect(new Set([component[0], component[3], component[4]]).size).toBe(3);
    // Reverse topological order: {3} completes before {0, 1, 2}.
    expect(component[3]!).toBeLessThan(component[0]!);
  });

  it('handles a path of 200,000 states without recursion', () => {
    const n = 200_000;
    const firstEdge = Int32Array.from({ length: n + 1 }, (_, i) => Math.min(i, n - 1));
    const target = Int32Array.from({ length: n - 1 }, (_, i) => i + 1);
    const { count } = stronglyConnectedComponents({ size: n, firstEdge, target }, Int32Array.from({ length: n }, (_, i) => i), n, new Uint8Array(n).fill(1));
    expect(count).toBe(n);
  });
});
