// What a check reports (TLC's closing statistics and error traces): the
// report, its violations and reached `sometimes`, the traces that show them,
// and ModelError, raised when the model itself throws. A leaf: the engines
// (bfs.ts, dfs.ts, simulate.ts, parallel.ts), the property bookkeeping, the
// printer (report.ts) and the entry point (check.ts) all import these types,
// and this file imports nothing of them, so the checker has no import cycle.

import type { ParallelStats } from './parallel-stats.ts';

/** The order in which a strategy explores; the parallel BFS explores level by level as `bfs` does. */
export type SearchOrder = 'bfs' | 'dfs' | 'simulate' | 'iddfs' | 'swarm' | 'guided';

export interface TraceStep {
  /** model.formatAction(action), e.g. `Phase1b(a1, b0)`. */
  action: string;
  /** The action value itself (JSON-serialisable in our specs). */
  actionData: unknown;
  /** model.view of the state after the action. */
  state: unknown;
}

export interface Trace {
  /** model.view of the initial state. */
  initial: unknown;
  steps: TraceStep[];
  /**
   * A liveness counterexample (a lasso): the behaviour goes on forever by
   * repeating steps[cycleStart..] from the state after cycleStart steps
   * (0: the initial state), which the last step returns to. When it equals
   * steps.length the cycle has no step: the last state has no successor and
   * stutters forever.
   */
  cycleStart?: number;
}

/**
 * `T` is how the path is held: a Trace in every report; a state's reference
 * inside the parallel search's workers, which cannot replay paths (the main
 * thread rebuilds them; see properties.ts).
 */
export interface ViolationReport<T = Trace> {
  property: string;
  description: string;
  /** Actions from the initial state (an initial state has depth 0). */
  depth: number;
  trace: T;
}

export interface SometimesReport<T = Trace> {
  property: string;
  description: string;
  reached: boolean;
  depth?: number;
  trace?: T;
}

/** The verdict on one `eventually` or `leadsTo` property (liveness.ts). */
export interface LivenessReport {
  property: string;
  kind: 'eventually' | 'leadsTo';
  description: string;
  /** 'not checked': the graph was not complete (a stop or a budget), or the strategy records no graph. */
  verdict: 'holds' | 'violated' | 'not checked';
  /** Why it was not checked. */
  reason?: string;
  /** States searched for a fair cycle: where Q is false, reached from the premise or the initial states. */
  regionStates?: number;
  /** Of those, states with successors outside the boundary: behaviours the verdict does not cover. */
  leavingBoundary?: number;
}

/** What a search engine hands back to check(), which adds the strategy and the timing. */
export interface SearchOutcome {
  /**
   * bfs/dfs: the whole state space within the boundary was explored (no
   * stop at a violation, no statesMax, no dfs depthMax cut). simulate: every
   * requested walk ran to its end.
   */
  complete: boolean;
  distinctStates: number;
  generatedStates: number;
  maxDepth: number;
  violations: ViolationReport[];
  sometimes: SometimesReport[];
  /** Bytes held by the fingerprint set at the end (its table; see fingerprint-set.ts). */
  fingerprintBytes?: number;
  /** One per `eventually` or `leadsTo` property, when the model declares any. */
  liveness?: LivenessReport[];
  /** Bytes of the state graph the liveness check recorded (state-graph.ts), when it recorded one. */
  graphBytes?: number;
  /** What the run held in memory (and on disk), per state at the end. */
  memory?: MemoryReport;
  /** The parallel search's counters: where the workers' time went (parallel-stats.ts). */
  parallel?: ParallelStats;
}

/**
 * Memory at the end of a run. The JS heap's growth is sampled each second
 * (process.memoryUsage), so it is the frontier's states plus the model's own
 * data, to within a second's growth; the typed arrays (seen set, paths) are
 * outside the heap and counted exactly.
 */
export interface MemoryReport {
  /** The seen set's bytes in memory (its table; with spilling also its page index). */
  fingerprintBytes: number;
  /** The parent table (8 bytes a state, grown by doubling; paths.ts). */
  pathBytes: number;
  /** The most states the frontier held (in memory and on disk). */
  frontierPeakStates: number;
  /** Peak JS heap minus the heap at the start of the run. */
  heapGrowthPeakBytes: number;
  /** Peak resident set of the whole process (node itself included). */
  rssPeakBytes: number;
  /** (fingerprintBytes + pathBytes + heapGrowthPeakBytes) / distinct states. */
  bytesPerState: number;
  /** With spilling: the most bytes on disk at once (frontier segments plus the sorted fingerprint file). */
  diskPeakBytes?: number;
}

/** How often one kind of action fired (--coverage; coverage.ts). */
export interface ActionCount {
  /** Model.actionKind, or formatAction's name before '('. */
  kind: string;
  /** Successors it produced (before the boundary and deduplication, as generatedStates). */
  generated: number;
  /** New distinct states it was the first to reach. */
  distinct: number;
}

export interface ActionCoverageReport {
  /** The model's declared kinds first (Model.actionKinds), in its order, then any other kind in the order first met; a kind that never fired has generated 0. */
  actions: ActionCount[];
}

export interface CheckReport extends SearchOutcome {
  strategy: SearchOrder;
  /** With the coverage option: how often each action kind fired. */
  coverage?: ActionCoverageReport;
  durationMs: number;
  statesPerSecond: number;
  seed?: number;
  /** The search's own bounds in words, where it has some (iddfs's depth limits, a swarm's members). */
  searchBounds?: string;
  /** With bitstate hashing: the bit array and the coverage it implies. */
  bitstate?: BitstateSummary;
  /** A swarm's member that found the first violation (its seed reruns it alone). */
  swarmFinder?: SwarmMemberReport;
  /** The smallest distance between two fingerprints in the seen set (in-memory sets only), for TLC's observed collision estimate. */
  closestFingerprintDistance?: number;
}

/** Bitstate hashing's figures (bitstate-set.ts explains each). */
export interface BitstateSummary {
  readonly bytes: number;
  readonly bits: number;
  readonly hashes: number;
  readonly bitsSet: number;
  /** bitsSet / bits. */
  readonly fillRatio: number;
  /** bits / states stored (SPIN's hash factor). */
  readonly hashFactor: number;
  /** fillRatio^hashes: the chance that a new state met now would be taken for seen. */
  readonly omissionProbability: number;
  /** Estimated states taken for seen although new (each lost with what only it leads to). */
  readonly expectedOmitted: number;
  /** stored / (stored + expectedOmitted): the fraction of reachable states visited, estimated (too high when many are lost). */
  readonly expectedCoverage: number;
}

/** One member of a swarm (swarm.ts): everything it does follows from its seed and the swarm's depth and budget. */
export interface SwarmMemberReport {
  readonly index: number;
  readonly seed: number;
  readonly mode: 'dfs' | 'walk';
  readonly depthBound: number;
  readonly omission: number;
}

/**
 * The model itself threw (a failed assertion in a spec's step, usually): the
 * error carries the path to the state being expanded and the action being
 * tried, so the spec's author can replay it.
 */
export class ModelError extends Error {
  override readonly name = 'ModelError';
  constructor(
    message: string,
    readonly trace: Trace,
    options: { cause: unknown },
  ) {
    super(message, options);
  }
}

/** Wraps what a model threw while expanding the last state of `trace`, trying `action` (if known). */
export function modelError(error: unknown, trace: Trace, action: string | undefined): ModelError {
  if (error instanceof ModelError) return error;
  const what = action === undefined ? 'computing its enabled actions' : `trying ${action}`;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ModelError(`the model threw at depth ${trace.steps.length} while ${what}: ${reason}`, trace, { cause: error });
}
