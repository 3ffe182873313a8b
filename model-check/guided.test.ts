// Guided simulation (guided.ts) on toy models: it is deterministic for a
// seed, its counterexamples replay, and on a model whose bad state is deep
// and unlikely it finds that state where uniform simulation (simulate.ts)
// with the same seed, walks and depth does not.

import { describe, expect, it } from 'vitest';
import { check, type CheckReport, type Trace } from './check.ts';
import type { Model } from './model.ts';
import { clockModel, doublerModel } from './toys.ts';

interface LockState {
  readonly x: number;
  readonly noise: number;
}
type LockAction = { readonly kind: 'Forward' } | { readonly kind: 'Reset'; readonly r: number } | { readonly kind: 'Noise'; readonly k: number };

/**
 * A combination lock: Forward turns x up by one, each of `resets` Reset
 * actions turns it back to 0, and `noises` Noise actions change a dial that
 * does not matter. The lock opens (the `always` fails) at x = depth. A
 * uniform walk takes Forward before any Reset with probability
 * 1/(1 + resets), so it opens the lock about once in (1 + resets)^depth
 * tries: 4^12, some 17 million, for the figures below.
 */
function lockModel(depth: number, resets: number, noises: number, withAbstraction: boolean): Model<LockState, LockAction> {
  const actions: LockAction[] = [{ kind: 'Forward' }];
  for (let r = 1; r <= resets; r++) actions.push({ kind: 'Reset', r });
  for (let k = 0; k < noises; k++) actions.push({ kind: 'Noise', k });
  const model: Model<LockState, LockAction> = {
    init: () => [{ x: 0, noise: 0 }],
    actions: () => actions,
    next: (s, action) => {
      switch (action.kind) {
        case 'Forward':
          return { x: s.x + 1, noise: s.noise };
        case 'Reset':
          return { x: 0, noise: s.noise };
        case 'Noise':
          return action.k === s.noise ? undefined : { x: s.x, noise: action.k };
      }
    },
    properties: [{ name: 'LockClosed', kind: 'always', description: `x stays below ${depth}`, holds: (s) => s.x < depth }],
    withinBoundary: () => true,
    encode: (s, sink) => {
      sink.int(s.x);
      sink.int(s.noise);
    },
    formatAction: (action) => (action.kind === 'Forward' ? 'Forward' : action.kind === 'Reset' ? `Reset(${action.r})` : `Noise(${action.k})`),
    view: (s) => s,
  };
  // The abstraction forgets the dial: a cell per position of x.
  return withAbstraction ? { ...model, abstraction: (s) => s.x } : model;
}

function replay<S, A>(model: Model<S, A>, trace: Trace): S {
  let state: S = model.init()[0] as S;
  expect(model.view(state)).toEqual(trace.initial);
  for (const step of trace.steps) {
    const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
    expect(action, `action ${step.action} enabled`).toBeDefined();
    state = model.next(state, action as A) as S;
    expect(model.view(state)).toEqual(step.state);
  }
  return state;
}

// Timing and memory (sampled from the process) vary from run to run; the rest must not.
function withoutTiming(report: CheckReport): Omit<CheckReport, 'durationMs' | 'statesPerSecond' | 'memory'> {
  const { durationMs: _d, statesPerSecond: _r, memory: _m, ...rest } = report;
  return rest;
}

describe('guided simulation', () => {
  const budget = { walks: 2000, depthMax: 60 };

  it('is deterministic: the same seed gives the same walks and report, another seed other walks', () => {
    const strategy = { kind: 'guided' as const, ...budget, seed: 11 };
    const first = check(lockModel(30, 3, 4, false), { strategy, progress: false, stopAtFirstViolation: false });
    const second = check(lockModel(30, 3, 4, false), { strategy, progress: false, stopAtFirstViolation: false });
    expect(withoutTiming(first)).toEqual(withoutTiming(second));
    expect(first).toMatchObject({ strategy: 'guided', seed: 11, complete: true });
    const other = check(lockModel(30, 3, 4, false), { strategy: { ...strategy, seed: 12 }, progress: false, stopAtFirstViolation: false });
    expect(other.generatedStates).not.toBe(first.generatedStates);
  });

  for (const withAbstraction of [false, true]) {
    it(`opens a lock 12 deep that uniform walks with the same seeds and budget miss (${withAbstraction ? 'a cell per x' : 'a cell per state'})`, () => {
      for (const seed of [1, 2, 3]) {
        const model = lockModel(12, 3, 4, withAbstraction);
        const uniform = check(model, { strategy: { kind: 'simulate', ...budget, seed }, progress: false });
        const guided = check(model, { strategy: { kind: 'guided', ...budget, seed }, progress: false });
        expect(uniform.violations, `uniform, seed ${seed}`).toEqual([]);
        expect(uniform.complete).toBe(true);
        expect(guided.violations.map((v) => v.property), `guided, seed ${seed}`).toEqual(['LockClosed']);
        // Found with fewer states computed than the uniform walks spent not finding it.
        expect(guided.generatedStates).toBeLessThan(uniform.generatedStates);
        const trace = guided.violations[0]!.trace;
        expect(replay(model, trace)).toMatchObject({ x: 12 });
        expect(guided.violations[0]!.depth).toBe(trace.steps.length);
      }
    });
  }

  it('meets every state of a small clock, walks restarting from the least explored cells', () => {
    const report = check(clockModel({ n: 10 }), { strategy: { kind: 'guided', walks: 300, seed: 5, depthMax: 20 }, progress: false });
    expect(report).toMatchObject({ distinctStates: 121, maxDepth: 20, complete: true });
  });

  it('reports the shallowest path it knows: walks resume from a cell at its least depth', () => {
    const model = doublerModel(37);
    const report = check(model, { strategy: { kind: 'guided', walks: 500, seed: 3, depthMax: 40 }, progress: false });
    expect(report.violations).toHaveLength(1);
    expect(replay(model, report.violations[0]!.trace)).toEqual(37);
  });

  it('stops at statesMax and says so', () => {
    const report = check(lockModel(30, 3, 4, false), { strategy: { kind: 'guided', ...budget, seed: 1 }, statesMax: 20, progress: false });
    expect(report).toMatchObject({ complete: false, distinctStates: 20 });
  });
});
