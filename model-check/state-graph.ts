// The state graph that the liveness check (liveness.ts) runs on, and the
// breadth-first search that builds it: bfs.ts's search (same order, same
// counts, same safety checks, same deadlock check, shortest paths through a
// ParentTable) that also records every edge between states within the
// boundary, which actions of each fairness constraint are enabled in each
// state, and which liveness predicates hold there. The states themselves are
// dropped after expansion, as in bfs.ts, so the predicates are evaluated once
// when a state is found and kept as bits.
//
// check.ts runs this search in place of bfs.ts only when the model declares
// an `eventually` or `leadsTo` property, so the plain search's hot loop pays
// nothing for the graph. Its cost (measured in docs/model-checking.md): the
// edges, 12 bytes each (target, action ordinal, fairness bits), the
// fingerprint-to-index map (fingerprint-index.ts) and 13 bytes per state.
//
// States are expanded in index order and a state's edges are appended while
// it is expanded, so the edges come out grouped by source: state i's edges
// are firstEdge[i] .. firstEdge[i + 1] - 1 (a compressed sparse row, for free).

import { assert } from '../lib/assert.ts';
import type { Exploration } from './explore.ts';
import { FingerprintIndex } from './fingerprint-index.ts';
import type { Model, Property } from './model.ts';
import { ParentTable } from './paths.ts';
import type { TraceSource } from './properties.ts';
import { modelError, type Trace } from './report-types.ts';
import { replayPath } from './paths.ts';

/** flags: no action yields any successor (a deadlock, or the end of a run that stutters). */
export const NO_SUCCESSOR = 1;
/** flags: some successor lies outside the boundary (the behaviour leaves what was explored). */
export const LEAVES_BOUNDARY = 2;

/** At most this many liveness properties (two label bits each) and fairness constraints (one bit each). */
const LIVENESS_MAX = 16;
const FAIRNESS_MAX = 32;
const COMPACT_AT = 1 << 16;
const TICK_MASK = (1 << 12) - 1;

function grown<T extends Int32Array | Uint32Array | Uint8Array>(array: T, need: number): T {
  if (need <= array.length) return array;
  const next = new (array.constructor as new (length: number) => T)(Math.max(array.length * 2, need));
  next.set(array);
  return next;
}

/** The action's kind as fairness names it: Model.actionKind, or formatAction up to its first `(`. */
export function kindOf<S, A>(model: Model<S, A>, action: A): string {
  if (model.actionKind !== undefined) return model.actionKind(action);
  const text = model.formatAction(action);
  const paren = text.indexOf('(');
  return paren < 0 ? text : text.slice(0, paren);
}

export class StateGraph {
  size = 0;
  edgeCount = 0;
  firstEdge = new Int32Array(1 << 12);
  target = new Int32Array(1 << 14);
  /** The edge's action's position in model.actions(source), for replay. */
  ordinal = new Int32Array(1 << 14);
  /** Bit f: the edge's action belongs to fairness constraint f. */
  fair = new Uint32Array(1 << 14);
  /** Per state, bit f: some action of fairness constraint f yields a successor (inside the boundary or not, as TLA+'s ENABLED). */
  enabled = new Uint32Array(1 << 12);
  /** Per state, bit 2j: liveness property j's `holds`; bit 2j + 1: its `premise`. */
  labels = new Uint32Array(1 << 12);
  /** Per state: NO_SUCCESSOR, LEAVES_BOUNDARY. */
  flags = new Uint8Array(1 << 12);
  /** Indices of the initial states (within the boundary, without repeats). */
  readonly initial: number[] = [];

  get bytes(): number {
    const arrays = [this.firstEdge, this.target, this.ordinal, this.fair, this.enabled, this.labels, this.flags];
    return arrays.reduce((sum, a) => sum + a.byteLength, 0);
  }

  addState(index: number, labels: number): void {
    assert(index === this.size, () => `states join the graph in index order: got ${index}, expected ${this.size}`);
    this.size++;
    this.labels = grown(this.labels, this.size);
    this.enabled = grown(this.enabled, this.size);
    this.flags = grown(this.flags, this.size);
    this.firstEdge = grown(this.firstEdge, this.size + 1);
    this.labels[index] = labels;
  }

  addEdge(target: number, ordinal: number, fair: number): void {
    const e = this.edgeCount++;
    if (e >= this.target.length) {
      this.target = grown(this.target, e + 1);
      this.ordinal = grown(this.ordinal, e + 1);
      this.fair = grown(this.fair, e + 1);
    }
    this.target[e] = target;
    this.ordinal[e] = ordinal;
    this.fair[e] = fair;
  }
}

/** What the search hands to the liveness check: the graph, and the shortest path to every state. */
export interface GraphSearchResult<S> {
  readonly complete: boolean;
  readonly graph: StateGraph;
  /** Index bytes (fingerprint to index) the graph needed besides its own arrays. */
  readonly indexBytes: number;
  trace(index: number): Trace;
  /** Leaf-first action ordinals from an initial state to `index`, ending with its position in model.init() (paths.ts). */
  ordinalsTo(index: number): number[];
  /** The graph's index of a state seen by the search (its class, under symmetry), or -1. */
  indexOf(state: S): number;
  readonly inits: readonly S[];
}

class GraphSearch<S, A> implements TraceSource {
  readonly graph = new StateGraph();
  private readonly paths = new ParentTable(1 << 16);
  private readonly index = new FingerprintIndex();
  readonly inits: readonly S[];
  private readonly kindBits = new Map<string, number>();
  private readonly fairness: readonly (readonly string[])[];
  private expanding = -1;
  private trying: A | undefined = undefined;

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
    private readonly liveness: readonly Property<S>[],
  ) {
    this.inits = model.init();
    this.fairness = (model.fairness ?? []).map((f) => f.actions);
    assert(liveness.length <= LIVENESS_MAX, () => `at most ${LIVENESS_MAX} liveness properties, got ${liveness.length}`);
    assert(this.fairness.length <= FAIRNESS_MAX, () => `at most ${FAIRNESS_MAX} fairness constraints, got ${this.fairness.length}`);
  }

  run(): boolean {
    try {
      return this.search();
    } catch (error) {
      if (this.expanding < 0) throw error;
      throw modelError(error, this.trace(this.expanding), this.trying === undefined ? undefined : this.model.formatAction(this.trying));
    }
  }

  /** The fairness bits of an action: which constraints name its kind (memoised by kind). */
  private fairBits(action: A): number {
    if (this.fairness.length === 0) return 0;
    const kind = kindOf(this.model, action);
    let bits = this.kindBits.get(kind);
    if (bits === undefined) {
      bits = 0;
      this.fairness.forEach((kinds, f) => {
        if (kinds.includes(kind)) bits! |= 1 << f;
      });
      this.kindBits.set(kind, bits);
    }
    return bits;
  }

  private labelsOf(state: S): number {
    let labels = 0;
    for (let j = 0; j < this.liveness.length; j++) {
      const property = this.liveness[j]!;
      if (property.holds(state)) labels |= 1 << (2 * j);
      if (property.premise?.(state) === true) labels |= 1 << (2 * j + 1);
    }
    return labels;
  }

  /** The index of a state (new or seen), and whether it is new; -1 when outside the boundary is the caller's business. */
  private admit(state: S): { index: number; fresh: boolean } {
    const exploration = this.exploration;
    const fresh = exploration.add(state);
    const { hi, lo } = exploration.fingerprinter;
    if (fresh < 0) return { index: this.index.get(hi, lo), fresh: false };
    this.index.put(hi, lo, fresh);
    this.graph.addState(fresh, this.labelsOf(state));
    return { index: fresh, fresh: true };
  }

  private search(): boolean {
    const { model, exploration, graph } = this;
    let queue: (S | undefined)[] = [];
    let head = 0;
    let offset = 0;
    for (let i = 0; i < this.inits.length; i++) {
      const state = this.inits[i]!;
      exploration.generated++;
      if (!model.withinBoundary(state)) continue;
      const { index, fresh } = this.admit(state);
      if (!fresh) continue;
      graph.initial.push(index);
      this.paths.record(index, -1, i);
      queue.push(state);
      if (exploration.checkProperties(state, 0, this, index) || exploration.isFull) return false;
    }
    let depth = 0;
    let levelEnd = exploration.seen.size;
    while (head < queue.length) {
      const index = offset + head;
      if (index === levelEnd) {
        depth++;
        levelEnd = exploration.seen.size;
      }
      const state = queue[head]!;
      queue[head] = undefined;
      head++;
      if ((index & TICK_MASK) === 0) exploration.tick(depth, queue.length - head);
      if (this.expand(state, index, depth, queue)) return false;
      if (head >= COMPACT_AT && head * 2 >= queue.length) {
        queue = queue.slice(head);
        offset += head;
        head = 0;
      }
    }
    graph.firstEdge[graph.size] = graph.edgeCount;
    return true;
  }

  /** Expands state `index`, recording its edges; returns true when the search must stop. */
  private expand(state: S, index: number, depth: number, queue: (S | undefined)[]): boolean {
    const { model, exploration, graph } = this;
    this.expanding = index;
    graph.firstEdge[index] = graph.edgeCount;
    const actions = model.actions(state);
    let enabled = 0;
    let flags = NO_SUCCESSOR;
    for (let a = 0; a < actions.length; a++) {
      const action = actions[a]!;
      this.trying = action;
      const successor = model.next(state, action);
      if (successor === undefined) continue;
      flags &= ~NO_SUCCESSOR;
      exploration.generated++;
      const fair = this.fairBits(action);
      enabled |= fair;
      if (!model.withinBoundary(successor)) {
        flags |= LEAVES_BOUNDARY;
        continue;
      }
      const admitted = this.admit(successor);
      graph.addEdge(admitted.index, a, fair);
      if (!admitted.fresh) continue;
      this.paths.record(admitted.index, index, a);
      queue.push(successor);
      if (exploration.checkProperties(successor, depth + 1, this, admitted.index) || exploration.isFull) return true;
    }
    this.trying = undefined;
    graph.enabled[index] = enabled;
    graph.flags[index] = flags;
    return (flags & NO_SUCCESSOR) !== 0 && exploration.checkDeadlock && exploration.deadlocked(depth, this, index);
  }

  ordinalsTo(index: number): number[] {
    const { parent, ordinal } = this.paths;
    const ordinals: number[] = [];
    for (let at = index; at !== -1; at = parent[at]!) ordinals.push(ordinal[at]!);
    return ordinals;
  }

  trace(index: number): Trace {
    return replayPath(this.model, this.inits, this.ordinalsTo(index));
  }

  indexOf(state: S): number {
    const fingerprinter = this.exploration.fingerprinter;
    fingerprinter.fingerprint(state);
    return this.index.get(fingerprinter.hi, fingerprinter.lo);
  }

  get indexBytes(): number {
    return this.index.bytes + this.paths.parent.byteLength * 2;
  }
}

/** Breadth-first search that records the state graph (see the header); complete when every reachable state was expanded. */
export function graphBreadthFirst<S, A>(model: Model<S, A>, exploration: Exploration<S, A>, liveness: readonly Property<S>[]): GraphSearchResult<S> {
  const search = new GraphSearch(model, exploration, liveness);
  const complete = search.run();
  return {
    complete,
    graph: search.graph,
    indexBytes: search.indexBytes,
    inits: search.inits,
    trace: (index) => search.trace(index),
    ordinalsTo: (index) => search.ordinalsTo(index),
    indexOf: (state) => search.indexOf(state),
  };
}
