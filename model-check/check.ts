// The model checker's one entry point: explores a Model (model.ts)
// breadth-first (TLC's default mode, shortest counterexamples), breadth-first
// on worker threads (TLC's -workers), depth-first (less memory: only the
// current path is held), or by seeded random walks (TLC's -simulate), checks
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
// Every engine reports a reachable state without successors as the violation
// Deadlock unless the model or the caller turns the check off (TLC's
// default). A model with `eventually` or `leadsTo` properties is explored
// breadth-first by state-graph.ts, which records the graph that liveness.ts
// judges; the other strategies report those properties as not checked.
//
// The engines live in bfs.ts, dfs.ts, simulate.ts and parallel.ts; explore.ts
// holds what the sequential ones share (the seen set, counters, budgets,
// progress line) and properties.ts the property bookkeeping all four share.

import { assert, assertNever } from '../lib/assert.ts';
import { breadthFirst } from './bfs.ts';
import { depthFirst } from './dfs.ts';
import { Exploration } from './explore.ts';
import { isLiveness, type LivenessOutcome, livenessBreadthFirst, notChecked } from './liveness.ts';
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
  | { kind: 'simulate'; walks: number; seed: number; depthMax: number };

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
  /**
   * Report a reachable state in which no action yields a successor as the
   * violation Deadlock (default true, as TLC; false is TLC's -deadlock). A
   * model whose runs end by design opts out itself (Model.deadlock).
   */
  checkDeadlock?: boolean;
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
    checkDeadlock: options.checkDeadlock ?? true,
  };
  const startMs = performance.now();
  const unchecked = (report: CheckReport) => withUncheckedLiveness(model, report, `liveness is checked by breadth-first search on one thread (--bfs), not by ${strategy.kind}`);
  switch (strategy.kind) {
    case 'bfs': {
      // Only a model with liveness properties pays for recording the state graph (state-graph.ts).
      const liveness = model.properties.filter(isLiveness);
      if (liveness.length > 0) return sequential(model, limits, startMs, 'bfs', (exploration) => livenessBreadthFirst(model, exploration, liveness));
      return sequential(model, limits, startMs, 'bfs', (exploration) => breadthFirst(model, exploration));
    }
    case 'dfs':
      return unchecked(sequential(model, limits, startMs, 'dfs', (exploration) => depthFirst(model, exploration, strategy.depthMax ?? Number.POSITIVE_INFINITY)));
    case 'simulate': {
      const report = sequential(model, limits, startMs, 'simulate', (exploration) =>
        simulate(model, exploration, strategy.walks, strategy.seed, strategy.depthMax),
      );
      report.seed = strategy.seed;
      return unchecked(report);
    }
    case 'parallel-bfs': {
      const parallel = { ...limits, workers: strategy.workers, rebuild: strategy.rebuild, capacityLog2: strategy.capacityLog2 ?? PARALLEL_CAPACITY_LOG2 };
      return parallelBreadthFirst(model, parallel).then((outcome) => unchecked(toReport('bfs', outcome, startMs)));
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
  engine: (exploration: Exploration<S, A>) => boolean | LivenessOutcome,
): CheckReport {
  const exploration = new Exploration<S, A>(model, limits);
  const result = engine(exploration);
  const { complete, ...liveness } = typeof result === 'boolean' ? { complete: result } : result;
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
      ...liveness,
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
    ...(outcome.liveness === undefined ? {} : { liveness: outcome.liveness }),
    ...(outcome.graphBytes === undefined ? {} : { graphBytes: outcome.graphBytes }),
  };
}

/** A strategy that records no state graph says so for each liveness property, rather than passing them silently. */
function withUncheckedLiveness<S, A>(model: Model<S, A>, report: CheckReport, reason: string): CheckReport {
  const liveness = model.properties.filter(isLiveness);
  if (liveness.length > 0) report.liveness = liveness.map((p) => notChecked(p, reason));
  return report;
}
