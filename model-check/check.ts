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
// Every engine reports a reachable state without successors as the
// violation Deadlock unless the model or the caller turns the check off
// (TLC's default); the walks (simulation, guided, a swarm's walk members)
// report the ones they happen to step into. A model
// with `eventually` or `leadsTo` properties is explored breadth-first by
// state-graph.ts, which records the graph that liveness.ts judges; the other
// strategies report those properties as not checked.
//
// The engines live in bfs.ts, dfs.ts, simulate.ts, guided.ts and
// parallel.ts, and the searches for deep bugs in iddfs.ts, bitstate-set.ts
// (over bfs.ts and dfs.ts) and swarm.ts; explore.ts holds what the
// sequential ones share (the seen set, counters, budgets, progress line) and
// properties.ts the property bookkeeping all of them share.

import { assert, assertNever } from '../lib/assert.ts';
import { breadthFirst } from './bfs.ts';
import { ActionCoverage } from './coverage.ts';
import { depthFirst } from './dfs.ts';
import { BitstateSet } from './bitstate-set.ts';
import { DiskBreadthFirstSearch, type DiskOptions, seenSetFor } from './disk-bfs.ts';
import { Exploration, type ExplorationOptions } from './explore.ts';
import { guidedSimulate } from './guided.ts';
import { FingerprintSet, type SeenSet } from './fingerprint-set.ts';
import { closestPairDistance } from './collision.ts';
import { iterativeDeepening } from './iddfs.ts';
import { shallowestBound, type SwarmOutcome, swarm } from './swarm.ts';
import { isLiveness, type LivenessOutcome, livenessBreadthFirst, notChecked } from './liveness.ts';
import type { Model } from './model.ts';
import { parallelBreadthFirst } from './parallel.ts';
import { defaultProgress, type ProgressOptions } from './progress.ts';
import type { ModelSource } from './parallel-protocol.ts';
import type { CheckReport, MemoryReport, SearchOrder, SearchOutcome } from './report-types.ts';
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
  | { kind: 'bfs'; disk?: DiskOptions }
  | { kind: 'dfs'; depthMax?: number }
  | { kind: 'simulate'; walks: number; seed: number; depthMax: number }
  /** Iterative deepening (iddfs.ts): bounds 1, 2, 4, ... or step, 2·step, ... up to depthMax (default: until nothing is cut). */
  | { kind: 'iddfs'; depthMax?: number; step?: number }
  /** Bitstate hashing (bitstate-set.ts): BFS or DFS over a bit array of `bytes` with `hashes` bits per state. */
  | { kind: 'bitstate'; bytes: number; hashes?: number; order: 'bfs' | 'dfs'; depthMax?: number }
  /** Swarm verification (swarm.ts): `members` small randomised searches, member i seeded seed + i. */
  | { kind: 'swarm'; members: number; seed: number; depthMax: number; memberStatesMax: number }
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
  /**
   * Stop at the first violation of this `always` property (or Deadlock) only:
   * the search goes on past other properties' violations, which are still
   * reported (a mutant's hunt looks for the property a user cares about, not
   * the auxiliary invariant that usually fails first). Not with parallel-bfs.
   */
  stopAt?: string;
  /**
   * The progress line (progress.ts): true for the defaults (in place once a
   * second on a terminal, a line every ten seconds elsewhere), or when and
   * where to write it; default: the terminal's line when stderr is a terminal, else none.
   */
  progress?: boolean | ProgressOptions;
  /** Count how often each action kind fires (coverage.ts); default false. Not with parallel-bfs, whose workers rebuild the model. */
  coverage?: boolean;
  /**
   * Report a reachable state in which no action yields a successor as the
   * violation Deadlock (default true, as TLC; false is TLC's -deadlock). A
   * model whose runs end by design opts out itself (Model.deadlock).
   */
  checkDeadlock?: boolean;
}

const PARALLEL_CAPACITY_LOG2 = 16;
const BITSTATE_OMITTED_COMPLETE = 0.01;
/** Above this many states the observed collision estimate is skipped (its sort needs two copies of the set). */
const OBSERVED_COLLISION_STATES_MAX = 50_000_000;

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
    ...(options.stopAt === undefined ? {} : { stopAt: options.stopAt }),
    progress: progressOptions(options.progress),
    coverage: options.coverage === true,
    checkDeadlock: options.checkDeadlock ?? true,
  };
  const startMs = performance.now();
  const unchecked = (report: CheckReport) => withUncheckedLiveness(model, report, `liveness is checked by breadth-first search on one thread (--bfs), not by ${strategy.kind}`);
  switch (strategy.kind) {
    case 'bfs': {
      const disk = strategy.disk;
      // Only a model with liveness properties pays for recording the state graph (state-graph.ts).
      const liveness = model.properties.filter(isLiveness);
      if (disk === undefined && liveness.length > 0) {
        return sequential(model, limits, startMs, 'bfs', (explored, exploration) => livenessBreadthFirst(explored, exploration, liveness));
      }
      if (disk === undefined) return sequential(model, limits, startMs, 'bfs', (explored, exploration) => breadthFirst(explored, exploration));
      let search: DiskBreadthFirstSearch<S, A> | undefined;
      const engine = (explored: Model<S, A>, exploration: Exploration<S, A>) => {
        search = new DiskBreadthFirstSearch(explored, exploration, disk);
        return search.run();
      };
      const diskPeak = () => search?.diskPeakBytes ?? 0;
      return unchecked(sequential(model, limits, startMs, 'bfs', engine, seenSetFor(disk), disk.spillDirectory === undefined ? undefined : diskPeak));
    }
    case 'dfs':
      return unchecked(sequential(model, limits, startMs, 'dfs', (explored, exploration) => depthFirst(explored, exploration, strategy.depthMax ?? Number.POSITIVE_INFINITY)));
    case 'simulate': {
      const report = sequential(model, limits, startMs, 'simulate', (explored, exploration) =>
        simulate(explored, exploration, strategy.walks, strategy.seed, strategy.depthMax),
      );
      report.seed = strategy.seed;
      return unchecked(report);
    }
    case 'iddfs':
      return unchecked(deepening(model, strategy, limits, startMs));
    case 'bitstate':
      return unchecked(bitstate(model, strategy, limits, startMs));
    case 'swarm':
      return unchecked(swarmSearch(model, strategy, limits, startMs));
    case 'guided': {
      const guided = { walks: strategy.walks, seed: strategy.seed, depthMax: strategy.depthMax, walkLength: strategy.walkLength ?? GUIDED_WALK_LENGTH };
      const report = sequential(model, limits, startMs, 'guided', (explored, exploration) => guidedSimulate(explored, exploration, guided));
      report.seed = strategy.seed;
      return unchecked(report);
    }
    case 'parallel-bfs': {
      assert(options.stopAt === undefined, 'stopAt is honoured by the sequential strategies only');
      assert(!limits.coverage, 'action coverage is counted by the sequential strategies only (parallel-bfs workers rebuild the model)');
      const parallel = { ...limits, workers: strategy.workers, rebuild: strategy.rebuild, capacityLog2: strategy.capacityLog2 ?? PARALLEL_CAPACITY_LOG2 };
      return parallelBreadthFirst(model, parallel).then((outcome) => unchecked(toReport('bfs', outcome, startMs)));
    }
    default:
      return assertNever(strategy, 'strategy');
  }
}

type Of<K extends SequentialStrategy['kind']> = Extract<SequentialStrategy, { kind: K }>;
type Limits = ExplorationOptions & { readonly coverage: boolean };

/** Iterative deepening; the report lists the bounds of the passes that ran. */
function deepening<S, A>(model: Model<S, A>, strategy: Of<'iddfs'>, limits: Limits, startMs: number): CheckReport {
  const depthMax = strategy.depthMax ?? Number.POSITIVE_INFINITY;
  let bounds: number[] = [];
  const report = sequential(model, limits, startMs, 'iddfs', (explored, exploration) => {
    const outcome = iterativeDeepening(explored, exploration, { depthMax, ...(strategy.step === undefined ? {} : { step: strategy.step }) });
    bounds = outcome.bounds;
    return outcome.complete;
  });
  const limit = depthMax === Number.POSITIVE_INFINITY ? 'no depth limit' : `depth limit ${depthMax}`;
  report.searchBounds = `passes with depth bounds ${bounds.join(', ')} (${strategy.step === undefined ? 'doubling' : `step ${strategy.step}`}, ${limit})`;
  return report;
}

/** BFS or DFS over a bit array; the report carries the array's figures and the coverage they imply. */
function bitstate<S, A>(model: Model<S, A>, strategy: Of<'bitstate'>, limits: Limits, startMs: number): CheckReport {
  const seen = new BitstateSet(strategy.bytes, strategy.hashes);
  const depthMax = strategy.depthMax ?? Number.POSITIVE_INFINITY;
  const report = sequential(
    model,
    limits,
    startMs,
    strategy.order,
    (explored, exploration) => (strategy.order === 'bfs' ? breadthFirst(explored, exploration) : depthFirst(explored, exploration, depthMax)),
    seen,
  );
  report.bitstate = seen.summary();
  // A search over a lossy set is complete only when losing even one state was unlikely (under 1%).
  report.complete &&= report.bitstate.expectedOmitted < BITSTATE_OMITTED_COMPLETE;
  const limit = depthMax === Number.POSITIVE_INFINITY ? '' : `, depth limit ${depthMax}`;
  report.searchBounds = `bitstate ${seen.bytes} bytes (${seen.bits} bits), ${seen.hashes} hashes${limit}`;
  return report;
}

/** A swarm; the report names its seed, how many members ran, and the member that found a violation. */
function swarmSearch<S, A>(model: Model<S, A>, strategy: Of<'swarm'>, limits: Limits, startMs: number): CheckReport {
  let outcome: SwarmOutcome = { complete: false, membersRun: 0 };
  const report = sequential(model, limits, startMs, 'swarm', (explored, exploration) => {
    outcome = swarm(explored, exploration, strategy);
    return outcome.complete;
  });
  report.seed = strategy.seed;
  const shallowest = shallowestBound(strategy.depthMax);
  report.searchBounds =
    `${outcome.membersRun} of ${strategy.members} members run, member i seeded ${strategy.seed} + i, ` +
    `depth bounds ${shallowest}..${strategy.depthMax}, ${strategy.memberStatesMax} states per member`;
  if (outcome.finder !== undefined) report.swarmFinder = outcome.finder;
  return report;
}

function progressOptions(progress: boolean | ProgressOptions | undefined): ProgressOptions | undefined {
  const terminal = process.stderr.isTTY === true;
  if (progress === undefined) return terminal ? defaultProgress(true) : undefined;
  if (progress === false) return undefined;
  return progress === true ? defaultProgress(terminal) : progress;
}

/** Runs one of the sequential engines over a fresh Exploration (seen set, counters, properties, budgets). */
function sequential<S, A>(
  model: Model<S, A>,
  limits: Limits,
  startMs: number,
  order: SearchOrder,
  engine: (model: Model<S, A>, exploration: Exploration<S, A>) => boolean | LivenessOutcome,
  seen?: SeenSet,
  diskPeakBytes?: () => number,
): CheckReport {
  const exploration = new Exploration<S, A>(model, limits, seen);
  // With coverage the engine explores a wrapper that counts (coverage.ts); without it, the model itself.
  const coverage = limits.coverage ? new ActionCoverage(model) : undefined;
  exploration.coverage = coverage;
  const result = engine(coverage === undefined ? model : coverage.countingModel(), exploration);
  const { complete, ...liveness } = typeof result === 'boolean' ? { complete: result } : result;
  exploration.finishProgress();
  exploration.sampleMemory();
  const report = toReport(
    order,
    {
      complete,
      distinctStates: exploration.seen.size,
      generatedStates: exploration.generated,
      maxDepth: exploration.maxDepth,
      violations: exploration.properties.violations,
      sometimes: exploration.properties.sometimesReports,
      fingerprintBytes: exploration.seen.bytes,
      memory: memoryReport(exploration, diskPeakBytes?.()),
      ...liveness,
    },
    startMs,
  );
  if (coverage !== undefined) report.coverage = coverage.report();
  // TLC's observed collision estimate, after the search's clock stopped; it sorts a copy of the set (16 bytes a state).
  const seenSet = exploration.seen;
  if (seenSet instanceof FingerprintSet && seenSet.size <= OBSERVED_COLLISION_STATES_MAX) report.closestFingerprintDistance = closestPairDistance(seenSet.pairs());
  return report;
}

function memoryReport<S, A>(exploration: Exploration<S, A>, diskPeakBytes: number | undefined): MemoryReport {
  const fingerprintBytes = exploration.seen.bytes;
  const heapGrowthPeakBytes = Math.max(0, exploration.heapPeakBytes - exploration.heapAtStartBytes);
  const distinct = Math.max(1, exploration.seen.size);
  return {
    fingerprintBytes,
    pathBytes: exploration.pathBytes,
    frontierPeakStates: exploration.frontierPeakStates,
    heapGrowthPeakBytes,
    rssPeakBytes: exploration.rssPeakBytes,
    bytesPerState: Math.round((fingerprintBytes + exploration.pathBytes + heapGrowthPeakBytes) / distinct),
    ...(diskPeakBytes === undefined ? {} : { diskPeakBytes }),
  };
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
    ...(outcome.memory === undefined ? {} : { memory: outcome.memory }),
    ...(outcome.liveness === undefined ? {} : { liveness: outcome.liveness }),
    ...(outcome.graphBytes === undefined ? {} : { graphBytes: outcome.graphBytes }),
    ...(outcome.parallel === undefined ? {} : { parallel: outcome.parallel }),
  };
}

/** A strategy that records no state graph says so for each liveness property, rather than passing them silently. */
function withUncheckedLiveness<S, A>(model: Model<S, A>, report: CheckReport, reason: string): CheckReport {
  const liveness = model.properties.filter(isLiveness);
  if (liveness.length > 0) report.liveness = liveness.map((p) => notChecked(p, reason));
  return report;
}
