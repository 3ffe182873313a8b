// The model checker's one entry point: explores a Model (model.ts)
// breadth-first (TLC's default mode, shortest counterexamples), breadth-first
// on worker threads (TLC's -workers), depth-first (less memory: only the
// current path is held), by seeded random walks (TLC's -simulate) or by
// coverage-guided ones (guided.ts: walks from the least explored places), checks
// every `always` property on every distinct state and records the first path
// that reaches each `sometimes` property.
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
// The engines live in bfs.ts, dfs.ts, simulate.ts, guided.ts and
// parallel.ts; explore.ts holds what the sequential ones share (the seen set,
// counters, budgets, progress line) and properties.ts the property
// bookkeeping all of them share.

import { assert, assertNever } from '../lib/assert.ts';
import { breadthFirst } from './bfs.ts';
import { depthFirst } from './dfs.ts';
import { Exploration } from './explore.ts';
import { guidedSimulate } from './guided.ts';
import type { Model } from './model.ts';
import { parallelBreadthFirst } from './parallel.ts';
import type { ModelSource } from './parallel-protocol.ts';
import type { CheckReport, SearchOrder, SearchOutcome } from './report-types.ts';
import { simulate } from './simulate.ts';

// The report's types are part of check()'s interface: its callers (spec tests, conformance) import them from here.
export { type CheckReport, ModelError, type Trace } from './report-types.ts';

/**
 * Breadth-first on worker threads is its own kind rather than a `workers`
 * option of `bfs`: it needs what `bfs` does not (where each worker rebuilds
 * the model) and it answers asynchronously, which check()'s overloads can
 * only tie to a kind. Its report still says `bfs`, the order it explores in.
 */
export type ParallelStrategy = {
  kind: 'parallel-bfs';
  workers: number;
  /** Where each worker rebuilds the model; it must build the model passed to check(). */
  rebuild: ModelSource;
  /** log2 of the shared table's initial slots (default 16; tests use a small one to exercise growth). */
  capacityLog2?: number;
};

export type SequentialStrategy =
  | { kind: 'bfs' }
  | { kind: 'dfs'; depthMax?: number }
  | { kind: 'simulate'; walks: number; seed: number; depthMax: number }
  | GuidedStrategy;

/** Coverage-guided simulation (guided.ts): walks from the least explored cells, preferring rarely taken actions. */
export type GuidedStrategy = { kind: 'guided'; walks: number; seed: number; depthMax: number; walkLength?: number };

/** Steps per guided walk when the strategy does not say. */
const GUIDED_WALK_LENGTH = 24;

export type Strategy = SequentialStrategy | ParallelStrategy;

export interface CheckOptions<T extends Strategy = Strategy> {
  /** Default: breadth-first. */
  strategy?: T;
  /** Stop (and report complete: false) after this many distinct states. */
  statesMax?: number;
  /** Stop (and report complete: false) after this much time; for benchmarks and time-boxed runs. */
  timeMaxMs?: number;
  /** Default true. When false, each property is still reported once, with the first path found. */
  stopAtFirstViolation?: boolean;
  /** A progress line on stderr about once a second; default: process.stderr.isTTY. */
  progress?: boolean;
}

const PARALLEL_CAPACITY_LOG2 = 16;

/** The one entry to the checker: explores `model` with the chosen strategy and reports (asynchronously for parallel-bfs). */
export function check<S, A>(model: Model<S, A>, options: CheckOptions<ParallelStrategy> & { strategy: ParallelStrategy }): Promise<CheckReport>;
export function check<S, A>(model: Model<S, A>, options?: CheckOptions<SequentialStrategy>): CheckReport;
export function check<S, A>(model: Model<S, A>, options?: CheckOptions): CheckReport | Promise<CheckReport>;
export function check<S, A>(model: Model<S, A>, options: CheckOptions = {}): CheckReport | Promise<CheckReport> {
  const strategy: Strategy = options.strategy ?? { kind: 'bfs' };
  if (options.statesMax !== undefined) {
    assert(Number.isInteger(options.statesMax) && options.statesMax >= 1, () => `statesMax ${options.statesMax} must be a positive integer`);
  }
  const limits = {
    statesMax: options.statesMax ?? Number.POSITIVE_INFINITY,
    timeMaxMs: options.timeMaxMs ?? Number.POSITIVE_INFINITY,
    stopAtFirstViolation: options.stopAtFirstViolation ?? true,
    progress: options.progress ?? process.stderr.isTTY === true,
  };
  const startMs = performance.now();
  switch (strategy.kind) {
    case 'bfs':
      return sequential(model, limits, startMs, 'bfs', (exploration) => breadthFirst(model, exploration));
    case 'dfs':
      return sequential(model, limits, startMs, 'dfs', (exploration) => depthFirst(model, exploration, strategy.depthMax ?? Number.POSITIVE_INFINITY));
    case 'simulate': {
      const report = sequential(model, limits, startMs, 'simulate', (exploration) =>
        simulate(model, exploration, strategy.walks, strategy.seed, strategy.depthMax),
      );
      report.seed = strategy.seed;
      return report;
    }
    case 'guided': {
      const guided = { walks: strategy.walks, seed: strategy.seed, depthMax: strategy.depthMax, walkLength: strategy.walkLength ?? GUIDED_WALK_LENGTH };
      const report = sequential(model, limits, startMs, 'guided', (exploration) => guidedSimulate(model, exploration, guided));
      report.seed = strategy.seed;
      return report;
    }
    case 'parallel-bfs': {
      const parallel = { ...limits, workers: strategy.workers, rebuild: strategy.rebuild, capacityLog2: strategy.capacityLog2 ?? PARALLEL_CAPACITY_LOG2 };
      return parallelBreadthFirst(model, parallel).then((outcome) => toReport('bfs', outcome, startMs));
    }
    default:
      return assertNever(strategy, 'strategy');
  }
}

/** Runs one of the sequential engines over a fresh Exploration (seen set, counters, properties, budgets). */
function sequential<S, A>(
  model: Model<S, A>,
  limits: ConstructorParameters<typeof Exploration<S, A>>[1],
  startMs: number,
  order: SearchOrder,
  engine: (exploration: Exploration<S, A>) => boolean,
): CheckReport {
  const exploration = new Exploration<S, A>(model, limits);
  const complete = engine(exploration);
  exploration.finishProgress();
  return toReport(
    order,
    {
      complete,
      distinctStates: exploration.seen.size,
      generatedStates: exploration.generated,
      maxDepth: exploration.maxDepth,
      violations: exploration.properties.violations,
      sometimes: exploration.properties.sometimesReports,
      fingerprintBytes: exploration.seen.bytes,
    },
    startMs,
  );
}

function toReport(order: SearchOrder, outcome: SearchOutcome, startMs: number): CheckReport {
  const durationMs = performance.now() - startMs;
  return {
    strategy: order,
    complete: outcome.complete,
    distinctStates: outcome.distinctStates,
    generatedStates: outcome.generatedStates,
    maxDepth: outcome.maxDepth,
    durationMs: Math.round(durationMs),
    statesPerSecond: durationMs > 0 ? Math.round((outcome.distinctStates * 1000) / durationMs) : 0,
    violations: outcome.violations,
    sometimes: outcome.sometimes,
    fingerprintBytes: outcome.fingerprintBytes,
  };
}
