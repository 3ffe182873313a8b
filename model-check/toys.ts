// Toy models for the checker's own tests (check.test.ts, cli.test.ts,
// report.test.ts): small enough that their state counts, depths and
// counterexamples can be worked out by hand, and each exercising one part of
// the engine (counting, shortest paths, symmetry, the boundary, sometimes).
// Not registered in cli/specs.ts: the command line's tests pass their own registry.

import type { Bounds, Model, Permutation, Property, SpecDefinition, StateSink } from './model.ts';

// --- A two-hand clock: (a, b) in 0..n x 0..n, Tick advances one hand. -------------------------

export interface ClockState {
  readonly a: number;
  readonly b: number;
}
export type ClockAction = { readonly hand: 'a' | 'b' };

export interface ClockOptions {
  readonly n: number;
  /** TLC-style CONSTRAINT on top of the actions' guard. */
  readonly boundary?: (state: ClockState) => boolean;
  readonly properties?: readonly Property<ClockState>[];
}

/**
 * (n+1)^2 distinct states, 1 + 2n(n+1) generated (the initial state plus,
 * from each state, one successor per hand below n), depth 2n.
 */
export function clockModel(options: ClockOptions): Model<ClockState, ClockAction> {
  const { n } = options;
  const handA: ClockAction = { hand: 'a' };
  const handB: ClockAction = { hand: 'b' };
  return {
    init: () => [{ a: 0, b: 0 }],
    actions: (s) => (s.a < n ? (s.b < n ? [handA, handB] : [handA]) : s.b < n ? [handB] : []),
    next: (s, action) => (action.hand === 'a' ? { a: s.a + 1, b: s.b } : { a: s.a, b: s.b + 1 }),
    properties: options.properties ?? [],
    withinBoundary: options.boundary ?? (() => true),
    encode: (s, sink) => {
      sink.int(s.a);
      sink.int(s.b);
    },
    formatAction: (action) => `Tick(${action.hand})`,
    // Both hands at n is where every run of the clock ends, by design.
    deadlock: 'stuttering-ok',
    view: (s) => s,
  };
}

// --- Increment or double: x in 1..xMax, the shortest path to a target is its binary expansion. --

export type DoublerAction = 'Increment' | 'Double';

/**
 * From x = 1, `Increment` and `Double` within x <= xMax (a boundary, so
 * doubling past it is generated but discarded). "x never equals target" is
 * violated; the shortest path to 37 = 0b100101 takes 5 doublings and 2
 * increments: depth 7. Depth-first tries Increment first and finds the
 * 36-step path.
 */
export function doublerModel(target: number, xMax = 100): Model<number, DoublerAction> {
  const both: readonly DoublerAction[] = ['Increment', 'Double'];
  return {
    init: () => [1],
    actions: () => both,
    next: (x, action) => (action === 'Increment' ? x + 1 : x * 2),
    properties: [
      { name: 'NeverTarget', kind: 'always', description: `x never equals ${target}`, holds: (x) => x !== target },
      { name: 'ReachesTen', kind: 'sometimes', description: 'x reaches 10', holds: (x) => x === 10 },
    ],
    withinBoundary: (x) => x <= xMax,
    encode: (x, sink) => sink.int(x),
    formatAction: (action) => action,
    view: (x) => ({ x }),
  };
}

// --- Servers with a value 0..2 each and a leader: symmetric in the server ids. ----------------

export interface CrewState {
  readonly values: readonly number[];
  readonly leader: number;
  /** A message bag (exercises `unordered` under permutations): ids of servers that bumped. */
  readonly bumps: readonly number[];
}
export type CrewAction = { readonly kind: 'Bump'; readonly server: number } | { readonly kind: 'Elect'; readonly server: number };

/**
 * n servers, each value 0..2 and raised by Bump(i); Elect(i) makes i the
 * leader. Without symmetry 3^n * n states; with it (n = 3) the orbits are
 * the leader's value (3 choices) times a multiset of the others' two values
 * (6 choices): 18 instead of 81. `bumps` is a bag of who bumped, written
 * with permuted ids, so it agrees with `values` and adds no states.
 * `withSignature` adds Symmetry.signature (the checker then encodes fewer
 * permutations; the counts must not change).
 */
export function crewModel(servers: number, withSymmetry: boolean, withSignature = false): Model<CrewState, CrewAction> {
  const model: Model<CrewState, CrewAction> = {
    init: () => [{ values: new Array<number>(servers).fill(0), leader: 0, bumps: [] }],
    actions: (s) => {
      const actions: CrewAction[] = [];
      for (let i = 0; i < servers; i++) {
        if (s.values[i]! < 2) actions.push({ kind: 'Bump', server: i });
        if (s.leader !== i) actions.push({ kind: 'Elect', server: i });
      }
      return actions;
    },
    next: (s, action) => {
      if (action.kind === 'Elect') return { ...s, leader: action.server };
      const values = s.values.slice();
      values[action.server] = values[action.server]! + 1;
      return { values, leader: s.leader, bumps: [...s.bumps, action.server] };
    },
    properties: [{ name: 'ValuesBounded', kind: 'always', description: 'every value is at most 2', holds: (s) => s.values.every((v) => v <= 2) }],
    withinBoundary: () => true,
    encode: (s, sink, perm) => encodeCrew(s, sink, perm, servers),
    formatAction: (action) => `${action.kind}(s${action.server})`,
    view: (s) => s,
  };
  if (!withSymmetry) return model;
  // A server's own value and whether it leads: nothing here names another server's id.
  const signature = (s: CrewState, server: number) => s.values[server]! * 2 + (s.leader === server ? 1 : 0);
  return { ...model, symmetry: withSignature ? { servers, signature } : { servers } };
}

export function encodeCrew(s: CrewState, sink: StateSink, perm: Permutation, servers: number): void {
  for (let newId = 0; newId < servers; newId++) sink.int(s.values[perm.inverse[newId]!]!);
  sink.int(perm.map[s.leader]!);
  sink.unordered(s.bumps, (id, itemSink) => itemSink.int(perm.map[id]!));
}

// --- A spec definition over the clock, for the command line's tests. ----------------------

/**
 * `toy-clock`: the clock with bounds n (hands' range) and a `stuck` bound;
 * mutant `overflow` lets hand a pass n, violating HandsInRange at depth n+1.
 */
export const toyClockSpec: SpecDefinition = {
  name: 'toy-clock',
  description: 'Two clock hands (test-only spec)',
  bounds: [
    { name: 'n', description: 'largest value of a hand', default: 3 },
    { name: 'withSometimes', description: 'require hand a to reach n (a reachable sometimes)', default: true },
  ],
  presets: [
    { name: 'ci', description: 'n = 3', bounds: {} },
    { name: 'big', description: 'n = 30', bounds: { n: 30 } },
  ],
  mutants: [{ name: 'overflow', description: 'hand a may pass n' }],
  build(bounds: Bounds, mutant: string | undefined): Model<ClockState, ClockAction> {
    const n = bounds['n'] as number;
    const properties: Property<ClockState>[] = [
      { name: 'HandsInRange', kind: 'always', description: 'both hands stay within 0..n', holds: (s) => s.a <= n && s.b <= n },
    ];
    if (bounds['withSometimes'] === true) {
      properties.push({ name: 'HandAReachesN', kind: 'sometimes', description: 'hand a reaches n', holds: (s) => s.a === n });
    }
    const base = clockModel({ n: mutant === 'overflow' ? n + 1 : n, properties });
    return base;
  },
};

/**
 * `toy-crew`: the crew model as a spec, for the parallel search's tests
 * (workers rebuild models from a spec's module). Mutant `throws`: Elect(s2)
 * throws, to test how a model's error is reported.
 */
export const toyCrewSpec: SpecDefinition = {
  name: 'toy-crew',
  description: 'Servers with values and a leader (test-only spec)',
  bounds: [
    { name: 'servers', description: 'number of servers', default: 3 },
    { name: 'symmetry', description: 'reduce by permutations of the servers', default: true },
  ],
  presets: [{ name: 'ci', description: '3 servers with symmetry', bounds: {} }],
  mutants: [{ name: 'throws', description: 'Elect(s2) throws' }],
  build(bounds: Bounds, mutant: string | undefined): Model<CrewState, CrewAction> {
    const model = crewModel(bounds['servers'] as number, bounds['symmetry'] === true);
    if (mutant !== 'throws') return model;
    return {
      ...model,
      next: (s, action) => {
        if (action.kind === 'Elect' && action.server === 2) throw new Error('Elect(s2) is broken');
        return model.next(s, action);
      },
    };
  },
};
