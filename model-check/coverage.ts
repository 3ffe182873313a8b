// Action coverage (TLC's -coverage, per action rather than per expression):
// for each kind of action, how many successors it generated and how many new
// distinct states it was the first to reach, and which kinds never fired. A
// kind that never fires points at a bound that shuts it out or a guard that
// can never hold, either of which can make a check pass vacuously.
//
// Counting costs nothing when it is off: the engines are not changed.
// `countingModel` wraps the model's `next` (successors generated per kind)
// and remembers the last successor it returned; the search calls `newState`
// (through Exploration.coverage) for each new distinct state, and every
// sequential engine checks a new state right after computing it, so that
// state is the last successor and its action the last one counted. An
// initial state matches no successor and is not counted. While a property's
// verdict rebuilds its path by replay (paths.ts), `replaying` is set and the
// replayed successors are not counted.

import type { Model } from './model.ts';
import type { ActionCount, ActionCoverageReport } from './report-types.ts';

/** What the search tells coverage: one call per new distinct state, and when it replays a path (not to be counted). */
export interface NewStateListener<S> {
  newState(state: S): void;
  replaying: boolean;
}

/** The kind of `action`: model.actionKind, else formatAction's text before '(' (or all of it). */
export function actionKindOf<A>(model: Model<unknown, A>, action: A): string {
  if (model.actionKind !== undefined) return model.actionKind(action);
  const text = model.formatAction(action);
  const paren = text.indexOf('(');
  return (paren < 0 ? text : text.slice(0, paren)).trim();
}

export class ActionCoverage<S, A> implements NewStateListener<S> {
  private readonly counts = new Map<string, ActionCount>();
  private lastSuccessor: S | undefined = undefined;
  private lastCount: ActionCount | undefined = undefined;
  /** Set while the search rebuilds a path by replaying actions (paths.ts): those successors are not generated anew. */
  replaying = false;

  constructor(private readonly model: Model<S, A>) {
    for (const kind of model.actionKinds ?? []) this.countOf(kind);
  }

  /**
   * The model to explore: the same model (its prototype) with `next`
   * counting per kind. Object.create keeps every other member and `this`.
   */
  countingModel(): Model<S, A> {
    const model = this.model;
    const counting = Object.create(model) as Model<S, A>;
    counting.next = (state: S, action: A) => {
      const successor = model.next(state, action);
      if (successor !== undefined && !this.replaying) {
        const count = this.countOf(actionKindOf(model as Model<unknown, A>, action));
        count.generated++;
        this.lastSuccessor = successor;
        this.lastCount = count;
      }
      return successor;
    };
    return counting;
  }

  newState(state: S): void {
    if (state === this.lastSuccessor && this.lastCount !== undefined) this.lastCount.distinct++;
    this.lastSuccessor = undefined;
  }

  report(): ActionCoverageReport {
    return { actions: [...this.counts.values()].map((count) => ({ ...count })) };
  }

  private countOf(kind: string): ActionCount {
    let count = this.counts.get(kind);
    if (count === undefined) {
      count = { kind, generated: 0, distinct: 0 };
      this.counts.set(kind, count);
    }
    return count;
  }
}
