// Coverage-guided simulation: random walks that go where the search has been
// least, for bugs too deep for breadth-first search and too unlikely for
// uniform walks (Raft's Figure 8 from Init, docs/model-checking.md). Two
// preferences, both seeded (lib/random.ts), so a seed replays the same walks:
//
// - Where a walk starts: an archive of cells, as Go-Explore's (Ecoffet et al.,
//   "First return, then explore", Nature 2021) and AFL's corpus. A cell is the
//   model's `abstraction` of a state (Raft: each server's term, role, log terms
//   and commit index), or the state itself when the model gives none. The
//   first state met in a cell is kept with the walk that reached it; each walk
//   starts from a cell chosen least often so far (ties at random), so new
//   cells are explored before old ones are explored again, and a walk resumes
//   from the frontier of coverage instead of from Init.
// - Which action a step takes: among the enabled actions, one drawn with weight
//   1 / (1 + times its label, model.formatAction, was taken so far), so rarely
//   taken actions (a BecomeLeader, a message of a new term) are preferred over
//   the ones every walk takes (a Timeout).
//
// Each walk takes at most `walkLength` steps and never goes deeper than
// depthMax from Init. Properties are checked on every new distinct state, as
// in simulate.ts. A counterexample is the chain of walks from an initial state
// to the violation, replayed through model.next (the model is deterministic),
// then shortened (shorten.ts).

import { assert } from '../lib/assert.ts';
import { Random } from '../lib/random.ts';
import type { Exploration } from './explore.ts';
import type { Model } from './model.ts';
import { DEADLOCK, type TraceSource } from './properties.ts';
import { modelError, type Trace, type TraceStep } from './report-types.ts';
import { shortenViolation } from './shorten.ts';

const TICK_MASK = (1 << 12) - 1;

/**
 * How a walk reached a state: the path to the state its walk started from,
 * then the walk's actions. Shared by every state reached from that start, and
 * immutable, so a cell can take a shorter path without changing the others'.
 */
interface Path<A> {
  /** undefined for an initial state. */
  readonly before: Path<A> | undefined;
  readonly actions: readonly A[];
  /** For an initial state, its position in model.init(). */
  readonly initIndex: number;
}

/** A cell of the archive: the shallowest state met with its abstraction so far, and the path to it. */
interface Cell<S, A> {
  state: S;
  depth: number;
  path: Path<A>;
}

/**
 * The archive's cells by how often a walk started from each (Go-Explore's
 * selection count): `levels[c]` lists the cells chosen c times. Choosing takes
 * a random cell of the lowest level and moves it up one.
 */
class LeastChosen {
  private readonly levels: number[][] = [[]];
  private lowest = 0;

  add(cell: number): void {
    this.levels[0]!.push(cell);
    this.lowest = 0;
  }

  choose(random: Random): number {
    const level = this.levels[this.lowest]!;
    assert(level.length > 0, 'the archive is never empty');
    const k = random.nextInt(level.length);
    const cell = level[k]!;
    level[k] = level[level.length - 1]!;
    level.pop();
    if (this.levels.length === this.lowest + 1) this.levels.push([]);
    this.levels[this.lowest + 1]!.push(cell);
    if (level.length === 0) this.lowest++;
    return cell;
  }
}

export interface GuidedOptions {
  readonly walks: number;
  readonly seed: number;
  readonly depthMax: number;
  readonly walkLength: number;
}

class GuidedSimulation<S, A> implements TraceSource {
  private readonly cells: Cell<S, A>[] = [];
  private readonly cellOf = new Map<unknown, number>();
  private readonly chooser = new LeastChosen();
  /** How often an action with each label was taken. */
  private readonly taken = new Map<string, number>();
  private readonly random: Random;
  private inits: readonly S[] = [];

  // The walk in progress: the path to where it started and the actions since.
  private from: Path<A> | undefined = undefined;
  /** Before the walks: the initial state being visited. */
  private initVisited = 0;
  private readonly walkActions: A[] = [];
  private walking = false;
  private trying: A | undefined = undefined;

  // Reused per step: the enabled actions' weights and labels.
  private weights = new Float64Array(64);
  private labels: string[] = [];

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
    private readonly options: GuidedOptions,
  ) {
    this.random = new Random(options.seed);
  }

  run(): boolean {
    try {
      return this.search();
    } catch (error) {
      if (!this.walking) throw error;
      throw modelError(error, this.trace(), this.trying === undefined ? undefined : this.model.formatAction(this.trying));
    }
  }

  private search(): boolean {
    const model = this.model;
    const exploration = this.exploration;
    this.inits = model.init();
    for (let i = 0; i < this.inits.length; i++) {
      const state = this.inits[i]!;
      exploration.generated++;
      if (!model.withinBoundary(state)) continue;
      this.from = undefined;
      this.initVisited = i;
      this.walkActions.length = 0;
      if (this.visit(state, 0)) return false;
    }
    if (this.cells.length === 0) return true;
    for (let walk = 0; walk < this.options.walks; walk++) {
      if ((walk & 63) === 0) exploration.tick(0, -1);
      if (exploration.isFull) return false;
      if (this.walk(this.chooser.choose(this.random))) return false;
    }
    return true;
  }

  /** One walk from cell `start`; true when the search must stop. */
  private walk(start: number): boolean {
    const model = this.model;
    const cell = this.cells[start]!;
    const steps = Math.min(this.options.walkLength, this.options.depthMax - cell.depth);
    this.from = cell.path;
    this.walkActions.length = 0;
    this.walking = true;
    let state = cell.state;
    for (let step = 1; step <= steps; step++) {
      this.trying = undefined;
      const successor = this.takeRareAction(state, model.actions(state));
      if (successor === undefined) {
        // No action yields any successor (one outside the boundary is no deadlock, as in TLC).
        const depth = cell.depth + this.walkActions.length;
        if (!this.anySuccessor && this.exploration.checkDeadlock && this.exploration.deadlocked(depth, this, 0)) return true;
        break;
      }
      state = successor;
      if (this.visit(state, cell.depth + step)) return true;
    }
    this.walking = false;
    const depth = cell.depth + this.walkActions.length;
    if (depth > this.exploration.maxDepth) this.exploration.maxDepth = depth;
    return false;
  }

  /**
   * A state the walk reached: checks it if it is new, and opens a cell for
   * it if its abstraction is new (or moves the cell to it if it is
   * shallower, as Go-Explore does, so counterexamples stay short). True when
   * the search must stop.
   */
  private visit(state: S, depth: number): boolean {
    const exploration = this.exploration;
    const index = exploration.add(state);
    if (index < 0) return false;
    if ((index & TICK_MASK) === 0) exploration.tick(depth, -1);
    if (exploration.checkProperties(state, depth, this, 0)) return true;
    const abstraction = this.model.abstraction;
    // Without an abstraction every distinct state is its own cell (it is new here: index >= 0).
    const key = abstraction === undefined ? index : abstraction(state);
    const known = this.cellOf.get(key);
    if (known === undefined) {
      this.cellOf.set(key, this.cells.length);
      this.chooser.add(this.cells.length);
      this.cells.push({ state, depth, path: this.currentPath() });
    } else {
      const cell = this.cells[known]!;
      if (depth < cell.depth) {
        cell.state = state;
        cell.depth = depth;
        cell.path = this.currentPath();
      }
    }
    return exploration.isFull;
  }

  private currentPath(): Path<A> {
    return { before: this.from, actions: this.walkActions.slice(), initIndex: this.from === undefined ? this.initVisited : -1 };
  }

  /** Whether takeRareAction met any successor, inside the boundary or not. */
  private anySuccessor = false;

  /**
   * Draws enabled actions with weight 1 / (1 + times taken) until one yields a
   * successor within the boundary; records it and returns the successor, or
   * undefined when none does.
   */
  private takeRareAction(state: S, actions: readonly A[]): S | undefined {
    const model = this.model;
    const n = actions.length;
    if (n > this.weights.length) this.weights = new Float64Array(n * 2);
    const weights = this.weights;
    const labels = this.labels;
    let total = 0;
    this.anySuccessor = false;
    for (let i = 0; i < n; i++) {
      const label = model.formatAction(actions[i]!);
      labels[i] = label;
      const weight = 1 / (1 + (this.taken.get(label) ?? 0));
      weights[i] = weight;
      total += weight;
    }
    for (let remaining = n; remaining > 0; remaining--) {
      let r = this.random.nextDouble() * total;
      let k = 0;
      // Float rounding can leave r just above the last positive weight: fall back to the last one.
      while (k < n - 1 && (weights[k] === 0 || r >= weights[k]!)) {
        r -= weights[k]!;
        k++;
      }
      while (weights[k] === 0) k--;
      total -= weights[k]!;
      weights[k] = 0;
      const action = actions[k]!;
      this.trying = action;
      const successor = model.next(state, action);
      if (successor === undefined) continue;
      this.anySuccessor = true;
      this.exploration.generated++;
      if (!model.withinBoundary(successor)) continue;
      this.taken.set(labels[k]!, (this.taken.get(labels[k]!) ?? 0) + 1);
      this.walkActions.push(action);
      return successor;
    }
    return undefined;
  }

  /** The path to the state last reached: the walks from an initial state to the current cell, then this walk. */
  trace(): Trace {
    const path = this.currentPath();
    const chain: Path<A>[] = [];
    for (let p: Path<A> | undefined = path; p !== undefined; p = p.before) chain.push(p);
    const actions: A[] = [];
    for (let i = chain.length - 1; i >= 0; i--) actions.push(...chain[i]!.actions);
    return replayActions(this.model, this.inits[chain[chain.length - 1]!.initIndex]!, actions);
  }
}

function replayActions<S, A>(model: Model<S, A>, initial: S, actions: readonly A[]): Trace {
  const steps: TraceStep[] = [];
  let state = initial;
  for (const action of actions) {
    const next = model.next(state, action);
    assert(next !== undefined, () => `replay: ${model.formatAction(action)} declined; is the model deterministic?`);
    steps.push({ action: model.formatAction(action), actionData: action, state: model.view(next) });
    state = next;
  }
  return { initial: model.view(initial), steps };
}

export function guidedSimulate<S, A>(model: Model<S, A>, exploration: Exploration<S, A>, options: GuidedOptions): boolean {
  const complete = new GuidedSimulation(model, exploration, options).run();
  // The walks' detours stay in their path; the report gets a shorter one that still violates the property.
  for (const violation of exploration.properties.violations) {
    // A deadlock has no predicate to shorten by: its path is kept as walked.
    if (violation.property === DEADLOCK) continue;
    const property = model.properties.find((p) => p.name === violation.property);
    assert(property !== undefined, () => `no property ${violation.property}`);
    violation.trace = shortenViolation(model, property, violation.trace);
    violation.depth = violation.trace.steps.length;
  }
  return complete;
}
