// Liveness (TLA+'s <>Q and P ~> Q) under weak fairness, judged on the state
// graph (state-graph.ts) as TLC's liveness checker does: through strongly
// connected components (scc.ts) rather than by enumerating behaviours.
//
// Which behaviours count. A behaviour is an infinite path through the graph,
// or a finite one ending in a state where no action yields any successor,
// which then stutters forever. The checker does NOT let a behaviour stutter
// where some action is enabled: that would be TLA+'s raw semantics, under
// which every `eventually` fails by stuttering in the initial state unless the
// whole Next is weakly fair; assuming the system keeps stepping while it can
// (as SPIN does) leaves the model's `fairness` to say which actions must not
// be starved: WF(A) forbids a behaviour to keep A enabled forever without
// taking it. A is enabled in a state when one of its actions yields a
// successor, inside the boundary or not (TLA+'s ENABLED knows no CONSTRAINT).
//
// The check. For <>Q: search from the initial states where Q is false
// through states where Q is false; for P ~> Q: the same from every reachable
// state where P holds and Q does not. A counterexample exists exactly when
// that region holds a fair cycle: a component with an edge inside it in which
// every fairness constraint is either taken on some inner edge or disabled in
// some state (then one cycle through all of those witnesses is fair; weak
// fairness needs no recursive split of the component, which strong fairness
// would), or a state without successors (stuttering there is fair: nothing is
// enabled).
//
// Bounds, honestly. A cycle within the boundary is a real behaviour of the
// unbounded model, so a violation found is real (for a spec whose bounds are
// guards in its actions, the bounded model is itself the system checked, and a
// "state without successors" may be where a bound ran out: such specs also opt
// out of the deadlock check, and their stuttering lassos must be read with
// that in mind). A behaviour that leaves the boundary is not followed, and a
// cycle on which a fair action keeps leading outside it is unfair: the
// checker does not report what it cannot see. A property that holds, holds
// for the behaviours within the boundary; the report counts the states of the
// searched region that have successors outside it.

import { AssertionError, assert } from '../lib/assert.ts';
import type { Exploration } from './explore.ts';
import type { Model, Property } from './model.ts';
import { replayPath } from './paths.ts';
import type { LivenessReport, Trace, ViolationReport } from './report-types.ts';
import { stronglyConnectedComponents } from './scc.ts';
import { type GraphSearchResult, graphBreadthFirst, LEAVES_BOUNDARY, NO_SUCCESSOR, type StateGraph } from './state-graph.ts';

export function isLiveness<S>(property: Property<S>): boolean {
  return property.kind === 'eventually' || property.kind === 'leadsTo';
}

/** The states where Q is false that the seeds reach through such states, each with the edge that first reached it. */
interface Region {
  /** The states in breadth-first order from the seeds. */
  readonly order: Int32Array;
  readonly size: number;
  readonly member: Uint8Array;
  /** The edge by which the state was first reached, or -1 for a seed. */
  readonly viaEdge: Int32Array;
  /** The edge's source (parent in the region's search tree), or -1 for a seed. */
  readonly parent: Int32Array;
}

function searchRegion(graph: StateGraph, seeds: readonly number[], qBit: number): Region {
  const n = graph.size;
  const member = new Uint8Array(n);
  const viaEdge = new Int32Array(n).fill(-1);
  const parent = new Int32Array(n).fill(-1);
  const order = new Int32Array(n);
  let size = 0;
  for (const seed of seeds) {
    if (member[seed] !== 0 || (graph.labels[seed]! & qBit) !== 0) continue;
    member[seed] = 1;
    order[size++] = seed;
  }
  for (let head = 0; head < size; head++) {
    const v = order[head]!;
    for (let e = graph.firstEdge[v]!; e < graph.firstEdge[v + 1]!; e++) {
      const w = graph.target[e]!;
      if (member[w] !== 0 || (graph.labels[w]! & qBit) !== 0) continue;
      member[w] = 1;
      viaEdge[w] = e;
      parent[w] = v;
      order[size++] = w;
    }
  }
  return { order, size, member, viaEdge, parent };
}

/** Per component: whether it holds a cycle, which fairness constraints an inner edge takes, which some state disables. */
interface ComponentFacts {
  readonly component: Int32Array;
  /** 1: an edge inside the component (a cycle); 2: a state without successors (it stutters). */
  readonly kind: Uint8Array;
  readonly taken: Uint32Array;
  readonly disabled: Uint32Array;
}

function componentFacts(graph: StateGraph, region: Region, all: number): ComponentFacts {
  const { component, count } = stronglyConnectedComponents(graph, region.order, region.size, region.member);
  const kind = new Uint8Array(count);
  const taken = new Uint32Array(count);
  const disabled = new Uint32Array(count);
  for (let i = 0; i < region.size; i++) {
    const v = region.order[i]!;
    const c = component[v]!;
    disabled[c]! |= ~graph.enabled[v]! & all;
    if ((graph.flags[v]! & NO_SUCCESSOR) !== 0) kind[c]! |= 2;
    for (let e = graph.firstEdge[v]!; e < graph.firstEdge[v + 1]!; e++) {
      if (component[graph.target[e]!] !== c) continue;
      kind[c]! |= 1;
      taken[c]! |= graph.fair[e]!;
    }
  }
  return { component, kind, taken, disabled };
}

/**
 * A shortest path inside component `c` from `from` to a state satisfying
 * `goal` (`from` itself counts unless `step` asks for at least one step),
 * as a list of edges.
 */
function pathWithin(graph: StateGraph, component: Int32Array, c: number, from: number, goal: (v: number) => boolean, step: boolean): number[] {
  if (!step && goal(from)) return [];
  const viaEdge = new Map<number, number>();
  const viaState = new Map<number, number>();
  const queue = [from];
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head]!;
    for (let e = graph.firstEdge[v]!; e < graph.firstEdge[v + 1]!; e++) {
      const w = graph.target[e]!;
      if (component[w] !== c || viaEdge.has(w)) continue;
      viaEdge.set(w, e);
      viaState.set(w, v);
      if (goal(w)) {
        const edges: number[] = [];
        for (let at = w; ; at = viaState.get(at)!) {
          edges.push(viaEdge.get(at)!);
          if (viaState.get(at) === from) break;
        }
        return edges.reverse();
      }
      queue.push(w);
    }
  }
  throw new AssertionError(`no path inside component ${c} from state ${from}: a strongly connected component reaches all of itself`);
}

/** An edge of `v` inside component `c` that takes fairness bit `bit`, or -1. */
function fairEdgeOf(graph: StateGraph, component: Int32Array, c: number, v: number, bit: number): number {
  for (let e = graph.firstEdge[v]!; e < graph.firstEdge[v + 1]!; e++) if ((graph.fair[e]! & bit) !== 0 && component[graph.target[e]!] === c) return e;
  return -1;
}

/**
 * A cycle from `entry` back to it inside component `c` that, for each
 * fairness constraint, takes an edge of it or passes a state where it is
 * disabled. Taking it is preferred where the component can: the
 * counterexample then shows the fair action firing and still getting nowhere.
 */
function fairCycle(graph: StateGraph, facts: ComponentFacts, c: number, entry: number, fairnessCount: number): number[] {
  const { component } = facts;
  const edges: number[] = [];
  let at = entry;
  let covered = ~graph.enabled[entry]!;
  for (let f = 0; f < fairnessCount; f++) {
    const bit = 1 << f;
    if ((covered & bit) !== 0) continue;
    let leg: number[];
    if ((facts.taken[c]! & bit) !== 0) {
      leg = pathWithin(graph, component, c, at, (v) => fairEdgeOf(graph, component, c, v, bit) >= 0, false);
      const end = leg.length === 0 ? at : graph.target[leg[leg.length - 1]!]!;
      leg.push(fairEdgeOf(graph, component, c, end, bit));
    } else {
      leg = pathWithin(graph, component, c, at, (v) => (graph.enabled[v]! & bit) === 0, false);
    }
    for (const e of leg) {
      covered |= graph.fair[e]! | ~graph.enabled[graph.target[e]!]!;
      edges.push(e);
      at = graph.target[e]!;
    }
  }
  if (edges.length === 0 || at !== entry) edges.push(...pathWithin(graph, component, c, at, (v) => v === entry, true));
  return edges;
}

interface Lasso {
  /** Edges from the seed to the cycle's entry, then the cycle's edges. */
  readonly toEntry: number[];
  readonly cycle: number[];
  readonly seed: number;
}

function findLasso(graph: StateGraph, region: Region, fairnessCount: number): Lasso | undefined {
  const all = fairnessCount === 32 ? ~0 : (1 << fairnessCount) - 1;
  const facts = componentFacts(graph, region, all);
  // The first state in breadth-first order whose component is a fair cycle, or stutters: the shortest prefix.
  for (let i = 0; i < region.size; i++) {
    const v = region.order[i]!;
    const c = facts.component[v]!;
    const cycles = (facts.kind[c]! & 1) !== 0 && ((facts.taken[c]! | facts.disabled[c]!) & all) === all;
    const stutters = (facts.kind[c]! & 2) !== 0;
    if (!cycles && !stutters) continue;
    const toEntry: number[] = [];
    let seed = v;
    for (let at = v; region.parent[at] !== -1; at = region.parent[at]!) {
      toEntry.push(region.viaEdge[at]!);
      seed = region.parent[at]!;
    }
    toEntry.reverse();
    const cycle = cycles ? fairCycle(graph, facts, c, v, fairnessCount) : [];
    return { toEntry, cycle, seed };
  }
  return undefined;
}

/**
 * The lasso as a Trace: the shortest path to its seed replayed as paths.ts
 * does, then its edges. An edge was recorded from the state the search
 * expanded, which under symmetry may be a renaming of the state the replay
 * holds, whose actions may come in another order; so each step takes the
 * action whose successor falls in the edge's target (its ordinal first).
 * The cycle then closes on its first state up to that renaming.
 */
function replayLasso<S, A>(model: Model<S, A>, search: GraphSearchResult<S>, lasso: Lasso): Trace {
  const graph = search.graph;
  const prefix = search.ordinalsTo(lasso.seed);
  const trace = replayPath(model, search.inits, prefix);
  let state: S = search.inits[prefix[prefix.length - 1]!]!;
  for (let i = prefix.length - 2; i >= 0; i--) state = model.next(state, model.actions(state)[prefix[i]!]!)!;
  for (const e of [...lasso.toEntry, ...lasso.cycle]) {
    const actions = model.actions(state);
    const target = graph.target[e]!;
    const hinted = graph.ordinal[e]!;
    let found: { action: A; next: S } | undefined;
    for (let k = -1; k < actions.length && found === undefined; k++) {
      const action = actions[k < 0 ? hinted : k];
      if (action === undefined) continue;
      const next = model.next(state, action);
      if (next !== undefined && model.withinBoundary(next) && search.indexOf(next) === target) found = { action, next };
    }
    assert(found !== undefined, () => `lasso replay: no action of the state leads to graph state ${target}; is the model deterministic?`);
    trace.steps.push({ action: model.formatAction(found.action), actionData: found.action, state: model.view(found.next) });
    state = found.next;
  }
  trace.cycleStart = trace.steps.length - lasso.cycle.length;
  return trace;
}

function leavingBoundary(graph: StateGraph, region: Region): number {
  let count = 0;
  for (let i = 0; i < region.size; i++) if ((graph.flags[region.order[i]!]! & LEAVES_BOUNDARY) !== 0) count++;
  return count;
}

/**
 * Judges every liveness property of the model on a complete state graph:
 * a report per property, and a violation (with its lasso as the trace) per
 * property that fails.
 */
export function checkLiveness<S, A>(
  model: Model<S, A>,
  search: GraphSearchResult<S>,
  properties: readonly Property<S>[],
): { reports: LivenessReport[]; violations: ViolationReport[] } {
  const graph = search.graph;
  const fairnessCount = model.fairness?.length ?? 0;
  const reports: LivenessReport[] = [];
  const violations: ViolationReport[] = [];
  properties.forEach((property, j) => {
    const qBit = 1 << (2 * j);
    const pBit = 1 << (2 * j + 1);
    let seeds: number[];
    if (property.kind === 'eventually') {
      seeds = graph.initial;
    } else {
      assert(property.premise !== undefined, () => `leadsTo property ${property.name} needs a premise`);
      seeds = [];
      for (let v = 0; v < graph.size; v++) if ((graph.labels[v]! & pBit) !== 0) seeds.push(v);
    }
    const region = searchRegion(graph, seeds, qBit);
    const lasso = findLasso(graph, region, fairnessCount);
    const base = { property: property.name, kind: property.kind as LivenessReport['kind'], description: property.description };
    if (lasso === undefined) {
      reports.push({ ...base, verdict: 'holds', regionStates: region.size, leavingBoundary: leavingBoundary(graph, region) });
      return;
    }
    const trace = replayLasso(model, search, lasso);
    reports.push({ ...base, verdict: 'violated', regionStates: region.size, leavingBoundary: leavingBoundary(graph, region) });
    violations.push({ property: property.name, description: property.description, depth: trace.steps.length, trace });
  });
  return { reports, violations };
}

/** A report for a property the run could not judge. */
export function notChecked<S>(property: Property<S>, reason: string): LivenessReport {
  return { property: property.name, kind: property.kind as LivenessReport['kind'], description: property.description, verdict: 'not checked', reason };
}

export interface LivenessOutcome {
  readonly complete: boolean;
  readonly liveness: LivenessReport[];
  readonly graphBytes: number;
}

/**
 * check.ts's breadth-first engine for a model with liveness properties: the
 * graph-recording search (safety and deadlock as bfs.ts), then each liveness
 * property on the graph; its violations join the exploration's.
 */
export function livenessBreadthFirst<S, A>(model: Model<S, A>, exploration: Exploration<S, A>, properties: readonly Property<S>[]): LivenessOutcome {
  const search = graphBreadthFirst(model, exploration, properties);
  const graphBytes = search.graph.bytes + search.indexBytes;
  if (!search.complete) {
    const reason = 'the search stopped before the state graph was complete';
    return { complete: false, liveness: properties.map((p) => notChecked(p, reason)), graphBytes };
  }
  const { reports, violations } = checkLiveness(model, search, properties);
  exploration.properties.violations.push(...violations);
  return { complete: true, liveness: reports, graphBytes };
}
