// One depth-bounded depth-first pass that is complete within its bound: the
// step that iterative deepening (iddfs.ts) repeats with growing bounds and
// that a swarm member (swarm.ts) runs once with its own action order.
//
// Pruning uses a DepthTable (depth-table.ts), not the seen set: a state is
// expanded again when reached at a smaller depth than before in this pass,
// so every state within `bound` actions of an initial state is reached (the
// naive version, pruning on the seen set, is dfs.ts's cut search and misses
// some; depth-table.ts explains). The Exploration's seen set still decides
// which states are new to the whole run: properties are checked once per
// distinct state, on first sight, with the stack as the counterexample.

import type { Exploration } from './explore.ts';
import { DepthTable } from './depth-table.ts';
import type { Model } from './model.ts';
import type { TraceSource } from './properties.ts';
import { modelError, type Trace, type TraceStep } from './report-types.ts';

const TICK_MASK = (1 << 12) - 1;

export interface PassOptions<A> {
  readonly bound: number;
  /** The actions to try from a state, in order (a swarm member shuffles and omits); all, in the model's order, when absent. */
  readonly order?: (actions: readonly A[]) => readonly A[];
  /** Stop the pass once it has visited this many states, repeats included (a swarm member's budget). */
  readonly visitsMax?: number;
}

export interface PassResult {
  /** A violation (with stopAtFirstViolation) or the run's state or time budget: stop the whole search. */
  readonly stopped: boolean;
  /** Some state at the bound had enabled actions, or the pass's own budget ran out: states beyond were not reached. */
  readonly cut: boolean;
}

export class BoundedDepthFirst<S, A> implements TraceSource {
  // The stack as parallel arrays: frame i holds a state at depth i.
  private readonly states: S[] = [];
  private readonly actions: (readonly A[])[] = [];
  private readonly nextAction: number[] = [];
  /**
   * Per frame: some action yielded a successor, or the frame's actions were
   * cut (the depth bound) or left out (a swarm member's order): no deadlock
   * can be concluded there.
   */
  private readonly yielded: boolean[] = [];
  private size = 0;
  private cut = false;
  private visits = 0;
  private readonly table = new DepthTable();

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
  ) {}

  /** Runs one pass from every initial state with a fresh depth table. */
  pass(options: PassOptions<A>): PassResult {
    this.table.clear();
    this.cut = false;
    this.size = 0;
    this.visits = 0;
    try {
      const stopped = this.search(options);
      return { stopped, cut: this.cut };
    } catch (error) {
      if (this.size === 0) throw error;
      const top = this.size - 1;
      const tried = this.nextAction[top]!;
      const action = tried > 0 ? this.model.formatAction(this.actions[top]![tried - 1]!) : undefined;
      throw modelError(error, this.trace(), action);
    }
  }

  private search(options: PassOptions<A>): boolean {
    const model = this.model;
    const visitsMax = options.visitsMax ?? Number.POSITIVE_INFINITY;
    const inits = model.init();
    for (let i = 0; i < inits.length; i++) {
      this.exploration.generated++;
      if (!model.withinBoundary(inits[i]!)) continue;
      if (this.visit(inits[i]!, options)) return true;
      while (this.size > 0) {
        const top = this.size - 1;
        const actions = this.actions[top]!;
        const k = this.nextAction[top]!;
        if (k >= actions.length) {
          // A successor outside the boundary still counts against a deadlock, as in TLC (and dfs.ts).
          if (!this.yielded[top] && this.exploration.checkDeadlock && this.exploration.deadlocked(top, this, 0)) return true;
          this.pop();
          continue;
        }
        this.nextAction[top] = k + 1;
        const successor = model.next(this.states[top]!, actions[k]!);
        if (successor === undefined) continue;
        this.yielded[top] = true;
        this.exploration.generated++;
        if (!model.withinBoundary(successor)) continue;
        if (this.visit(successor, options)) return true;
        if (this.visits >= visitsMax) {
          this.cut = true;
          return false;
        }
      }
    }
    return false;
  }

  /** Checks `state` if it is new to the run, and pushes it if this pass must expand it. True: stop. */
  private visit(state: S, options: PassOptions<A>): boolean {
    const exploration = this.exploration;
    const fingerprinter = exploration.fingerprinter;
    fingerprinter.fingerprint(state);
    const { hi, lo } = fingerprinter;
    const depth = this.size;
    if ((++this.visits & TICK_MASK) === 0) exploration.tick(depth, -1);
    const isNew = exploration.seen.add(hi, lo) >= 0;
    if (!this.table.lower(hi, lo, depth)) return exploration.isFull;
    this.push(state, options);
    if (isNew && exploration.checkProperties(state, depth, this, 0)) return true;
    return exploration.isFull;
  }

  trace(): Trace {
    const model = this.model;
    const steps: TraceStep[] = [];
    for (let i = 1; i < this.size; i++) {
      const action = this.actions[i - 1]![this.nextAction[i - 1]! - 1]!;
      steps.push({ action: model.formatAction(action), actionData: action, state: model.view(this.states[i]!) });
    }
    return { initial: model.view(this.states[0]!), steps };
  }

  private push(state: S, options: PassOptions<A>): void {
    const depth = this.size;
    const enabled = this.model.actions(state);
    let actions = enabled;
    if (depth >= options.bound) {
      if (actions.length > 0) this.cut = true;
      actions = [];
    } else if (options.order !== undefined) {
      actions = options.order(actions);
    }
    this.yielded[depth] = actions.length < enabled.length;
    this.states[depth] = state;
    this.actions[depth] = actions;
    this.nextAction[depth] = 0;
    this.size++;
  }

  private pop(): void {
    this.size--;
    this.states[this.size] = undefined as unknown as S;
    this.actions[this.size] = [];
  }
}
