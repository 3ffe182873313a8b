// Breadth-first search (TLC's default model-checking mode): level by level,
// so the first path found to any state is a shortest one and every
// counterexample is minimal in length.
//
// Memory per state: 8 to 27 bytes in the fingerprint set plus 8 bytes for
// its parent index and action ordinal (paths.ts: no path is stored per state,
// a path is rebuilt by replay), plus the frontier, which holds the state
// objects of at most two levels.
//
// The frontier is an array used as a queue with a head index (never
// Array#shift, which is linear); consumed slots are cleared so their states
// can be collected, and the array is compacted once the head passes half of it.

import type { Exploration } from './explore.ts';
import type { TraceSource } from './properties.ts';
import type { Model } from './model.ts';
import { ParentTable, replayPath } from './paths.ts';
import { modelError, type Trace } from './report-types.ts';

const COMPACT_AT = 1 << 16;
const TICK_MASK = (1 << 12) - 1;

class BreadthFirstSearch<S, A> implements TraceSource {
  private readonly paths = new ParentTable(1 << 16);
  private readonly inits: readonly S[];

  constructor(
    private readonly model: Model<S, A>,
    private readonly exploration: Exploration<S, A>,
  ) {
    this.inits = model.init();
  }

  // What is being expanded, for the error report when the model throws.
  private expanding = -1;
  private trying: A | undefined = undefined;

  /** Returns whether the search covered every reachable state within the boundary. */
  run(): boolean {
    try {
      return this.search();
    } catch (error) {
      if (this.expanding < 0) throw error;
      const action = this.trying === undefined ? undefined : this.model.formatAction(this.trying);
      throw modelError(error, this.trace(this.expanding), action);
    } finally {
      this.exploration.pathBytes = this.paths.parent.byteLength + this.paths.ordinal.byteLength;
    }
  }

  private search(): boolean {
    const model = this.model;
    const exploration = this.exploration;
    const inits = this.inits;
    let queue: (S | undefined)[] = [];
    let head = 0;
    // The state index of queue[0]: states enter the queue in index order.
    let offset = 0;

    for (let i = 0; i < inits.length; i++) {
      const state = inits[i]!;
      exploration.generated++;
      if (!model.withinBoundary(state)) continue;
      const index = exploration.add(state);
      if (index < 0) continue;
      this.paths.record(index, -1, i);
      queue.push(state);
      if (exploration.checkProperties(state, 0, this, index)) return false;
      if (exploration.isFull) return false;
    }

    // Indices below levelEnd have depth <= depth; the first index at or past it starts the next level.
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

      this.expanding = index;
      this.trying = undefined;
      const actions = model.actions(state);
      // A successor outside the boundary still counts against a deadlock, as in TLC.
      let enabled = false;
      for (let a = 0; a < actions.length; a++) {
        const action = actions[a]!;
        this.trying = action;
        const successor = model.next(state, action);
        if (successor === undefined) continue;
        enabled = true;
        exploration.generated++;
        if (!model.withinBoundary(successor)) continue;
        const successorIndex = exploration.add(successor);
        if (successorIndex < 0) continue;
        this.paths.record(successorIndex, index, a);
        queue.push(successor);
        if (exploration.checkProperties(successor, depth + 1, this, successorIndex)) return false;
        if (exploration.isFull) return false;
      }
      if (!enabled && exploration.checkDeadlock && exploration.deadlocked(depth, this, index)) return false;

      if (head >= COMPACT_AT && head * 2 >= queue.length) {
        queue = queue.slice(head);
        offset += head;
        head = 0;
      }
    }
    return true;
  }

  trace(index: number): Trace {
    const { parent, ordinal } = this.paths;
    const ordinals: number[] = [];
    for (let at = index; at !== -1; at = parent[at]!) ordinals.push(ordinal[at]!);
    return replayPath(this.model, this.inits, ordinals);
  }
}

export function breadthFirst<S, A>(model: Model<S, A>, exploration: Exploration<S, A>): boolean {
  return new BreadthFirstSearch(model, exploration).run();
}
