// The model checker's entry point: explores a Model (model.ts) breadth-first
// (TLC's default mode, shortest counterexamples), depth-first (less memory:
// only the current path is held), or by seeded random walks (TLC's -simulate),
// checks every `always` property on every distinct state and records the
// first path that reaches each `sometimes` property.
//
// Semantics follow TLC: a successor outside `withinBoundary` (TLC's
// CONSTRAINT) is discarded entirely (not counted as distinct, not checked, not
// expanded); initial states outside it are discarded too. Depth counts actions
// from an initial state, so an initial state has depth 0 (TLC prints depth 1
// for it: add one to compare with TLC's "depth of the complete state graph").
// generatedStates counts every state computed (initial states and every
// successor that `next` returned, before the boundary and before
// deduplication), as TLC's "states generated".
//
// The engines live in bfs.ts, dfs.ts and simulate.ts; explore.ts holds what
// they share (the seen set, property bookkeeping, progress line).

import { assert } from '../lib/assert.ts';
import { breadthFirst } from './bfs.ts';
import { depthFirst } from './dfs.ts';
import { Exploration } from './explore.ts';
import type { Model } from './model.ts';
import type { CheckReport } from './report-types.ts';
import { simulate } from './simulate.ts';

// The report's types are part of check()'s interface: its callers (spec tests, conformance) import them from here.
export { type CheckReport, ModelError, type SometimesReport, type Trace, type TraceStep, type ViolationReport } from './report-types.ts';

export type Strategy =
  | { kind: 'bfs' }
  | { kind: 'dfs'; depthMax?: number }
  | { kind: 'simulate'; walks: number; seed: number; depthMax: number };

export interface CheckOptions {
  /** Default: breadth-first. */
  strategy?: Strategy;
  /** Stop (and report complete: false) after this many distinct states. */
  statesMax?: number;
  /** Stop (and report complete: false) after this much time; for benchmarks and time-boxed runs. */
  timeMaxMs?: number;
  /** Default true. When false, each property is still reported once, with the first path found. */
  stopAtFirstViolation?: boolean;
  /** A progress line on stderr about once a second; default: process.stderr.isTTY. */
  progress?: boolean;
}

export function check<S, A>(model: Model<S, A>, options: CheckOptions = {}): CheckReport {
  const strategy: Strategy = options.strategy ?? { kind: 'bfs' };
  if (options.statesMax !== undefined) {
    assert(Number.isInteger(options.statesMax) && options.statesMax >= 1, () => `statesMax ${options.statesMax} must be a positive integer`);
  }
  const exploration = new Exploration<S, A>(model, {
    statesMax: options.statesMax ?? Number.POSITIVE_INFINITY,
    timeMaxMs: options.timeMaxMs ?? Number.POSITIVE_INFINITY,
    stopAtFirstViolation: options.stopAtFirstViolation ?? true,
    progress: options.progress ?? process.stderr.isTTY === true,
  });
  const startMs = performance.now();
  let complete: boolean;
  switch (strategy.kind) {
    case 'bfs':
      complete = breadthFirst(model, exploration);
      break;
    case 'dfs':
      complete = depthFirst(model, exploration, strategy.depthMax ?? Number.POSITIVE_INFINITY);
      break;
    case 'simulate':
      complete = simulate(model, exploration, strategy.walks, strategy.seed, strategy.depthMax);
      break;
  }
  const durationMs = performance.now() - startMs;
  exploration.finishProgress();
  const distinctStates = exploration.seen.size;
  const report: CheckReport = {
    strategy: strategy.kind,
    complete,
    distinctStates,
    generatedStates: exploration.generated,
    maxDepth: exploration.maxDepth,
    durationMs: Math.round(durationMs),
    statesPerSecond: durationMs > 0 ? Math.round((distinctStates * 1000) / durationMs) : 0,
    violations: exploration.properties.violations,
    sometimes: exploration.properties.sometimesReports,
    fingerprintBytes: exploration.seen.bytes,
  };
  if (strategy.kind === 'simulate') report.seed = strategy.seed;
  return report;
}
