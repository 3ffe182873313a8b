// Iterative-deepening depth-first search (Korf 1985; TLC's -dfid): complete
// depth-bounded passes (bounded-dfs.ts) with bounds 1, 2, 4, ... (or step,
// 2·step, ...) up to depthMax, so that memory is one path plus a table of
// the states within the bound, and a violation is found in the first pass
// whose bound reaches it, i.e. at most twice (or one step) deeper than the
// shortest counterexample. Each pass starts a fresh depth table, so nothing a
// shallower pass cut is trusted by a deeper one.
//
// Counters are for the whole run: distinctStates counts each state once
// (properties are checked on first sight), generatedStates counts every
// successor computed in every pass (TLC's -dfid counts the same way). The
// search is complete when a pass cuts nothing (no state at its bound has an
// enabled action): then every reachable state lies within the bound.

import { assert } from '../lib/assert.ts';
import { BoundedDepthFirst } from './bounded-dfs.ts';
import type { Exploration } from './explore.ts';
import type { Model } from './model.ts';

export interface DeepeningOptions {
  /** The largest bound; POSITIVE_INFINITY to deepen until a pass cuts nothing. */
  readonly depthMax: number;
  /** Bounds step, 2·step, ...; without it bounds double: 1, 2, 4, ... */
  readonly step?: number;
}

export interface DeepeningOutcome {
  readonly complete: boolean;
  /** The bounds of the passes that ran, in order. */
  readonly bounds: number[];
}

/** The bound after `bound`: doubled, or one step more, never past depthMax. */
export function nextBound(bound: number, options: DeepeningOptions): number {
  const next = options.step === undefined ? Math.max(1, bound * 2) : bound + options.step;
  return Math.min(next, options.depthMax);
}

export function iterativeDeepening<S, A>(model: Model<S, A>, exploration: Exploration<S, A>, options: DeepeningOptions): DeepeningOutcome {
  assert(options.depthMax >= 0, () => `depthMax ${options.depthMax} must not be negative`);
  assert(options.step === undefined || (Number.isInteger(options.step) && options.step >= 1), () => `step ${options.step} must be a positive integer`);
  const search = new BoundedDepthFirst(model, exploration);
  const bounds: number[] = [];
  let bound = Math.min(options.step ?? 1, options.depthMax);
  for (;;) {
    bounds.push(bound);
    const { stopped, cut } = search.pass({ bound });
    if (stopped) return { complete: false, bounds };
    if (!cut) return { complete: true, bounds };
    if (bound >= options.depthMax) return { complete: false, bounds };
    bound = nextBound(bound, options);
  }
}
