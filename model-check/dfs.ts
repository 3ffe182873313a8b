// Depth-first search (TLC's -dfid without the iteration, stateright's
// check_dfs): an explicit stack of (state, enabled actions, next action to
// try), sharing the same fingerprint set as BFS. Memory is the seen set plus
// one path, and the counterexample is simply the stack; it is a path, not
// necessarily a shortest one.
//
// With depthMax, states at that depth are not expanded. Because the seen set
// is shared, a state first met deep (and cut) is not expanded again when met
// later on a shorter path, so a cut search may miss states that a BFS within
// the same depth would reach; the report then says complete: false.

import type { Exploration } from './explore.ts';
import type { TraceSource } from './properties.ts';
import type { Model } from './model.ts';
import { modelError, type Trace, type TraceStep } from './report-types.ts';

const TICK_MASK = (1 << 12) - 1;

class DepthFirstSearch<S, A> implements TraceSource {
  // The stack as parallel arrays: frame i holds a state at depth i.
  private readonly states: S[] = [];
  private readonly actions: (readonly A[])[] = [];
  private readonly nextAction: number[] = [];
  // Whether some action of frame i yielded a successor (or the frame was cut at depthMax): no deadlock there.
  private readonly yielded: boolean[] = [];
  private size = 0;
  private truncated = false;

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
    private readonly depthMax: number,
  ) {}

  run(): boolean {
    try {
      return this.search();
    } catch (error) {
      if (this.size === 0) throw error;
      // The top of the stack is being expanded; its last tried action (if any) is what threw.
      const top = this.size - 1;
      const tried = this.nextAction[top]!;
      const action = tried > 0 ? this.model.formatAction(this.actions[top]![tried - 1]!) : undefined;
      throw modelError(error, this.trace(), action);
    }
  }

  private search(): boolean {
    const model = this.model;
    const exploration = this.exploration;
    const inits = model.init();
    for (let i = 0; i < inits.length; i++) {
      const init = inits[i]!;
      exploration.generated++;
      if (!model.withinBoundary(init)) continue;
      if (exploration.add(init) < 0) continue;
      this.push(init);
      if (exploration.checkProperties(init, 0, this, 0)) return false;
      if (exploration.isFull) return false;

      while (this.size > 0) {
        const top = this.size - 1;
        const actions = this.actions[top]!;
        const k = this.nextAction[top]!;
        if (k >= actions.length) {
          if (!this.yielded[top] && exploration.checkDeadlock && exploration.deadlocked(top, this, 0)) return false;
          this.pop();
          continue;
        }
        this.nextAction[top] = k + 1;
        const successor = model.next(this.states[top]!, actions[k]!);
        if (successor === undefined) continue;
        this.yielded[top] = true;
        exploration.generated++;
        if (!model.withinBoundary(successor)) continue;
        const index = exploration.add(successor);
        if (index < 0) continue;
        if ((index & TICK_MASK) === 0) exploration.tick(this.size, -1);
        this.push(successor);
        if (exploration.checkProperties(successor, this.size - 1, this, 0)) return false;
        if (exploration.isFull) return false;
      }
    }
    return !this.truncated;
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

  private push(state: S): void {
    const depth = this.size;
    let actions: readonly A[];
    if (depth < this.depthMax) {
      actions = this.model.actions(state);
    } else {
      actions = [];
      if (this.model.actions(state).length > 0) this.truncated = true;
    }
    this.states[depth] = state;
    this.actions[depth] = actions;
    this.nextAction[depth] = 0;
    this.yielded[depth] = depth >= this.depthMax;
    this.size++;
  }

  private pop(): void {
    this.size--;
    // Let the state and its actions be collected; the slots are reused.
    this.states[this.size] = undefined as unknown as S;
    this.actions[this.size] = [];
  }
}

export function depthFirst<S, A>(model: Model<S, A>, exploration: Exploration<S, A>, depthMax: number): boolean {
  return new DepthFirstSearch(model, exploration, depthMax).run();
}
