// How the breadth-first searches (bfs.ts, and each worker of parallel.ts)
// keep a path to every state without storing one per state: for each state
// only the reference of its parent and the ordinal of the action that led to
// it (its position in model.actions(parent)), 8 bytes in two Int32Arrays; a
// root keeps -1 as its parent and its position in model.init() as its
// ordinal. A path is rebuilt by following parents back to a root and
// replaying the ordinals forward from it, which relies on the model being
// deterministic (the replay asserts it).

import { assert } from '../lib/assert.ts';
import type { Model } from './model.ts';
import type { Trace, TraceStep } from './report-types.ts';

export class ParentTable {
  parent: Int32Array;
  ordinal: Int32Array;

  constructor(capacity: number) {
    this.parent = new Int32Array(capacity);
    this.ordinal = new Int32Array(capacity);
  }

  /** Records state `index`'s parent (-1 for a root) and action ordinal, growing the arrays as needed. */
  record(index: number, parent: number, ordinal: number): void {
    if (index >= this.parent.length) {
      const grownParent = new Int32Array(Math.max(this.parent.length * 2, index + 1));
      grownParent.set(this.parent);
      this.parent = grownParent;
      const grownOrdinal = new Int32Array(grownParent.length);
      grownOrdinal.set(this.ordinal);
      this.ordinal = grownOrdinal;
    }
    this.parent[index] = parent;
    this.ordinal[index] = ordinal;
  }
}

/**
 * Replays a path given leaf first: `ordinals` lists the action ordinals from
 * the last step back to the first, then the root's position in `inits`.
 */
export function replayPath<S, A>(model: Model<S, A>, inits: readonly S[], ordinals: readonly number[]): Trace {
  assert(ordinals.length > 0, 'a path names at least its initial state');
  let state: S | undefined = inits[ordinals[ordinals.length - 1]!];
  assert(state !== undefined, () => `replay: no initial state #${ordinals[ordinals.length - 1]}`);
  const initial = model.view(state);
  const steps: TraceStep[] = [];
  for (let i = ordinals.length - 2; i >= 0; i--) {
    const action = model.actions(state)[ordinals[i]!];
    assert(action !== undefined, () => `replay: action #${ordinals[i]} no longer enabled; is the model deterministic?`);
    const next: S | undefined = model.next(state, action);
    assert(next !== undefined, () => `replay: ${model.formatAction(action)} declined; is the model deterministic?`);
    steps.push({ action: model.formatAction(action), actionData: action, state: model.view(next) });
    state = next;
  }
  return { initial, steps };
}
