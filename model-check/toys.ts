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

// --- A shortcut: the state one step from a violation is reached first the long way. -----------

export type ShortcutAction = 'Long' | 'Short' | 'Step';

/**
 * 0 -Long-> 1 -Long-> 2 and 0 -Short-> 2, then 2 -Step-> 3, which violates
 * NeverThree at depth 2. Depth-first with a bound of 2 tries Long first,
 * meets 2 at depth 2 (the bound: not expanded), and a search that prunes on
 * "seen" then skips 2 when Short reaches it at depth 1: it never sees 3,
 * although 3 is within 2 actions. The test of depth-table.ts's repair.
 */
export function shortcutModel(): Model<number, ShortcutAction> {
  const fromZero: readonly ShortcutAction[] = ['Long', 'Short'];
  const long: readonly ShortcutAction[] = ['Long'];
  const step: readonly ShortcutAction[] = ['Step'];
  return {
    init: () => [0],
    actions: (x) => (x === 0 ? fromZero : x === 1 ? long : x === 2 ? step : []),
    next: (x, action) => (action === 'Long' ? x + 1 : action === 'Short' ? 2 : 3),
    properties: [{ name: 'NeverThree', kind: 'always', description: 'x never equals 3', holds: (x) => x !== 3 }],
    withinBoundary: () => true,
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

// --- Counters: a product of k counters 0..m-1, a huge cheap state space for the disk-backed search. --

export type CountersState = readonly number[];

/**
 * k counters from 0, Inc(i) raises counter i below m - 1: m^k distinct states,
 * 1 + k(m-1)m^(k-1) generated, depth k(m-1). With `codec` the model brings its
 * own serialize/deserialize (4 bytes a counter); without, the checker falls
 * back to v8's serialisation (state-codec.ts). Sometimes `AllAtTop` is
 * reached only at the last level.
 */
export function countersModel(k: number, m: number, codec: boolean): Model<CountersState, number> {
  const inc = Array.from({ length: k }, (_, i) => i);
  const model: Model<CountersState, number> = {
    init: () => [new Array<number>(k).fill(0)],
    actions: (s) => inc.filter((i) => s[i]! < m - 1),
    next: (s, i) => {
      const next = s.slice();
      next[i] = next[i]! + 1;
      return next;
    },
    properties: [{ name: 'AllAtTop', kind: 'sometimes', description: `every counter reaches ${m - 1}`, holds: (s) => s.every((c) => c === m - 1) }],
    withinBoundary: () => true,
    encode: (s, sink) => {
      for (let i = 0; i < k; i++) sink.int(s[i]!);
    },
    formatAction: (i) => `Inc(${i})`,
    view: (s) => ({ counters: s }),
    // Every run ends with every counter at its top: an end by design, not a deadlock.
    deadlock: 'stuttering-ok',
  };
  if (!codec) return model;
  return { ...model, serialize: serializeCounters, deserialize: deserializeCounters };
}

function serializeCounters(s: CountersState): Uint8Array {
  const bytes = new Uint8Array(4 * s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    bytes[4 * i] = c & 0xff;
    bytes[4 * i + 1] = (c >>> 8) & 0xff;
    bytes[4 * i + 2] = (c >>> 16) & 0xff;
    bytes[4 * i + 3] = c >>> 24;
  }
  return bytes;
}

function deserializeCounters(bytes: Uint8Array): CountersState {
  const s = new Array<number>(bytes.length >>> 2);
  for (let i = 0; i < s.length; i++) s[i] = bytes[4 * i]! | (bytes[4 * i + 1]! << 8) | (bytes[4 * i + 2]! << 16) | (bytes[4 * i + 3]! << 24);
  return s;
}

/** `toy-counters`: the counters as a spec, for the command line's tests and the 10^8-state run (docs/model-checking.md). */
export const toyCountersSpec: SpecDefinition = {
  name: 'toy-counters',
  description: 'A product of counters (test-only spec)',
  bounds: [
    { name: 'k', description: 'number of counters', default: 3 },
    { name: 'm', description: 'values of a counter (0..m-1)', default: 20 },
    { name: 'codec', description: "the model's own state codec (false: v8's serialisation)", default: true },
  ],
  presets: [
    { name: 'ci', description: '3 counters of 20: 8,000 states', bounds: {} },
    { name: 'e8', description: '4 counters of 100: 10^8 states', bounds: { k: 4, m: 100 } },
  ],
  mutants: [],
  build: (bounds: Bounds) => countersModel(bounds['k'] as number, bounds['m'] as number, bounds['codec'] === true),
};
