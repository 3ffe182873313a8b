// Spec-side trace generation: the traces an implementation replay will run.
//
// 1. Coverage-directed: the smallest practical set of shortest traces that
//    together take every action kind and every reducer branch key the model
//    can reach at a preset. The search is the model checker's own BFS
//    (model-check/check.ts): each key becomes a `sometimes` property "some
//    enabled action here has this key", and the checker records the shortest
//    path to the first state where it holds; one more step takes the action.
//    A greedy set cover (longest path first, kept only when it adds a key)
//    then picks the traces.
// 2. Seeded random walks (lib/random.ts), the seed in each trace's meta.
// 3. Named scenarios: each known-bug mutant's counterexample (BFS: shortest),
//    written under scenarios/<spec>/<mutant>.json.

import { check, type Trace as CheckTrace } from '../model-check/check.ts';
import type { Bounds, Model, Property } from '../model-check/model.ts';
import { Random } from '../lib/random.ts';
import { assert } from '../lib/assert.ts';
import type { AnyAdapter } from './adapter.ts';
import { ACTION_TAKEN, INIT_ACTION, makeTrace, NODES, NONDET_PICKS, type Trace, type TraceMeta, type TraceState } from './trace.ts';

// biome-ignore lint/suspicious/noExplicitAny: any spec's state and action types (a Model is invariant in them, so unknown will not do)
type AnyModel = Model<any, any>;

export interface Coverage {
  readonly actionKinds: { readonly covered: readonly string[]; readonly uncovered: readonly string[] };
  readonly branches: { readonly covered: readonly string[]; readonly uncovered: readonly string[] };
}

export interface CoverageResult {
  readonly traces: Trace[];
  readonly coverage: Coverage;
  /** Distinct states the BFS explored, and whether it exhausted the preset. */
  readonly distinctStates: number;
  readonly complete: boolean;
}

export function presetBounds(adapter: AnyAdapter, preset: string): Bounds {
  const found = adapter.spec.presets.find((p) => p.name === preset);
  assert(found !== undefined, () => `${adapter.spec.name} has no preset ${preset}`);
  return found.bounds;
}

/** The successor of `state` by `action`, or undefined when not enabled or outside the boundary (the checker's rule). */
export function successor(model: AnyModel, state: unknown, action: unknown): unknown {
  const next = model.next(state, action);
  return next !== undefined && model.withinBoundary(next) ? next : undefined;
}

/** The coverage keys one step exercises: `kind:<action kind>` and `branch:<reducer branch key>`. */
function stepKeys(adapter: AnyAdapter, model: AnyModel, before: unknown, action: unknown, after: unknown): string[] {
  return [`kind:${adapter.actionKind(model, action)}`, ...adapter.branchKeys(before, action, after).map((b) => `branch:${b}`)];
}

/** A trace of `actions` taken from `init`, every state projected. */
export function traceOf(adapter: AnyAdapter, model: AnyModel, meta: Omit<TraceMeta, 'format' | 'format-description'>, init: unknown, actions: readonly unknown[]): Trace {
  const states: Omit<TraceState, '#meta'>[] = [{ [ACTION_TAKEN]: INIT_ACTION, [NONDET_PICKS]: {}, [NODES]: adapter.project(init) }];
  let state = init;
  for (const action of actions) {
    const next = model.next(state, action);
    assert(next !== undefined, () => `replay: ${model.formatAction(action)} is not enabled`);
    state = next;
    states.push({ [ACTION_TAKEN]: model.formatAction(action), [NONDET_PICKS]: adapter.actionParams(action), [NODES]: adapter.project(state) });
  }
  return makeTrace(meta, states);
}

/** The initial state a checker trace starts from, and its actions. */
function pathOf(model: AnyModel, trace: CheckTrace): { init: unknown; actions: unknown[] } {
  const inits = model.init();
  const initial = JSON.stringify(trace.initial);
  const init = inits.find((s) => JSON.stringify(model.view(s)) === initial) ?? inits[0];
  return { init, actions: trace.steps.map((s) => s.actionData) };
}

/** Keys covered along a path, replayed. */
function keysAlong(adapter: AnyAdapter, model: AnyModel, init: unknown, actions: readonly unknown[]): Set<string> {
  const keys = new Set<string>();
  let state = init;
  for (const action of actions) {
    const next = model.next(state, action);
    assert(next !== undefined, () => `replay: ${model.formatAction(action)} is not enabled`);
    for (const k of stepKeys(adapter, model, state, action, next)) keys.add(k);
    state = next;
  }
  return keys;
}

export interface CoverageOptions {
  /** Stop the BFS after this many distinct states (the report then says complete: false). */
  statesMax?: number;
  timeMaxMs?: number;
}

export function generateCoverage(adapter: AnyAdapter, preset: string, options: CoverageOptions = {}): CoverageResult {
  const bounds = presetBounds(adapter, preset);
  const model = adapter.spec.build(bounds, undefined);
  const universe = [...adapter.actionKinds.map((k) => `kind:${k}`), ...adapter.branchKeyUniverse.map((b) => `branch:${b}`)];

  // The keys of the actions enabled in a state, computed once per state: the checker asks every
  // property of one state in turn, so remembering the last state is enough.
  let lastState: unknown;
  let lastKeys = new Set<string>();
  const enabledKeys = (state: unknown): Set<string> => {
    if (state === lastState) return lastKeys;
    const keys = new Set<string>();
    for (const action of model.actions(state)) {
      const next = successor(model, state, action);
      if (next === undefined) continue;
      for (const k of stepKeys(adapter, model, state, action, next)) keys.add(k);
    }
    lastState = state;
    lastKeys = keys;
    return keys;
  };
  const properties: Property<unknown>[] = universe.map((key) => ({
    name: key,
    kind: 'sometimes',
    description: `an action with coverage key ${key} is enabled`,
    holds: (state) => enabledKeys(state).has(key),
  }));
  const report = check({ ...model, properties }, { statesMax: options.statesMax, timeMaxMs: options.timeMaxMs, progress: false });

  // One shortest path per reached key: the checker's path to the state, plus the action itself.
  const candidates: { key: string; init: unknown; actions: unknown[] }[] = [];
  for (const s of report.sometimes) {
    if (!s.reached || s.trace === undefined) continue;
    const { init, actions } = pathOf(model, s.trace);
    let state = init;
    for (const a of actions) state = model.next(state, a);
    const last = model.actions(state).find((a: unknown) => {
      const next = successor(model, state, a);
      return next !== undefined && stepKeys(adapter, model, state, a, next).includes(s.property);
    });
    assert(last !== undefined, () => `coverage: no action with ${s.property} at the state the checker reported`);
    candidates.push({ key: s.property, init, actions: [...actions, last] });
  }
  candidates.sort((a, b) => b.actions.length - a.actions.length || (a.key < b.key ? -1 : 1));
  const covered = new Set<string>();
  const traces: Trace[] = [];
  for (const c of candidates) {
    if (covered.has(c.key)) continue;
    const keys = keysAlong(adapter, model, c.init, c.actions);
    for (const k of keys) covered.add(k);
    traces.push(
      traceOf(adapter, model, { source: 'spec', spec: adapter.spec.name, preset, bounds: { ...bounds }, mutant: null, seed: null, description: `coverage: shortest path to ${c.key}` }, c.init, c.actions),
    );
  }
  const split = (prefix: string, all: readonly string[]) => ({
    covered: all.filter((k) => covered.has(`${prefix}${k}`)),
    uncovered: all.filter((k) => !covered.has(`${prefix}${k}`)),
  });
  return {
    traces,
    coverage: { actionKinds: split('kind:', adapter.actionKinds), branches: split('branch:', adapter.branchKeyUniverse) },
    distinctStates: report.distinctStates,
    complete: report.complete,
  };
}

export interface WalkOptions {
  walks: number;
  seed: number;
  depthMax: number;
  /** Bounds that replace the preset's (e.g. more transactions for a long walk); recorded in each trace's meta. */
  bounds?: Bounds;
}

/** Seeded random walks: walk i uses seed + i (recorded in its meta), so each trace reproduces on its own. */
export function randomWalks(adapter: AnyAdapter, preset: string, options: WalkOptions): Trace[] {
  const bounds = { ...presetBounds(adapter, preset), ...options.bounds };
  const model = adapter.spec.build(bounds, undefined);
  const traces: Trace[] = [];
  for (let w = 0; w < options.walks; w++) {
    const seed = options.seed + w;
    const random = new Random(seed);
    const inits = model.init();
    const init = inits[random.nextInt(inits.length)];
    const actions: unknown[] = [];
    let state = init;
    while (actions.length < options.depthMax) {
      const enabled = [...model.actions(state)];
      let next: unknown;
      // Draw without replacement until an action is really enabled (next may decline one).
      while (enabled.length > 0 && next === undefined) {
        const i = random.nextInt(enabled.length);
        const action = enabled[i];
        next = successor(model, state, action);
        if (next === undefined) enabled.splice(i, 1);
        else actions.push(action);
      }
      if (next === undefined) break;
      state = next;
    }
    traces.push(traceOf(adapter, model, { source: 'spec', spec: adapter.spec.name, preset, bounds: { ...bounds }, mutant: null, seed, description: `random walk, seed ${seed}` }, init, actions));
  }
  return traces;
}

/** The shortest counterexample of `mutant` at its preset (adapter.mutantPresets), as a trace. */
export function mutantScenario(adapter: AnyAdapter, mutant: string): { trace: Trace; property: string; depth: number } {
  const preset = adapter.mutantPresets[mutant];
  assert(preset !== undefined, () => `${adapter.spec.name}: no preset for mutant ${mutant}`);
  const bounds = presetBounds(adapter, preset);
  const model = adapter.spec.build(bounds, mutant);
  const report = check(model, { progress: false });
  const violation = report.violations[0];
  assert(violation !== undefined, () => `mutant ${mutant} at preset ${preset}: no violation found`);
  const { init, actions } = pathOf(model, violation.trace);
  const trace = traceOf(
    adapter,
    model,
    {
      source: 'spec',
      spec: adapter.spec.name,
      preset,
      bounds: { ...bounds },
      mutant,
      seed: null,
      description: `${mutant}: ${violation.property} violated after ${violation.depth} actions (breadth-first, shortest)`,
    },
    init,
    actions,
  );
  return { trace, property: violation.property, depth: violation.depth };
}

/** The coverage of several generations together (e.g. one per preset): a key is covered when any covers it. */
export function unionCoverage(adapter: AnyAdapter, coverages: readonly Coverage[]): Coverage {
  const kinds = new Set(coverages.flatMap((c) => c.actionKinds.covered));
  const branches = new Set(coverages.flatMap((c) => c.branches.covered));
  return {
    actionKinds: { covered: adapter.actionKinds.filter((k) => kinds.has(k)), uncovered: adapter.actionKinds.filter((k) => !kinds.has(k)) },
    branches: { covered: adapter.branchKeyUniverse.filter((b) => branches.has(b)), uncovered: adapter.branchKeyUniverse.filter((b) => !branches.has(b)) },
  };
}
