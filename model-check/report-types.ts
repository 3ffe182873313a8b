// What a check reports (TLC's closing statistics and error traces): the
// report, its violations and reached `sometimes`, the traces that show them,
// and ModelError, raised when the model itself throws. A leaf: the engines
// (bfs.ts, dfs.ts, simulate.ts, parallel.ts), the property bookkeeping, the
// printer (report.ts) and the entry point (check.ts) all import these types,
// and this file imports nothing of them, so the checker has no import cycle.

/** The order in which a strategy explores; the parallel BFS explores level by level as `bfs` does. */
export type SearchOrder = 'bfs' | 'dfs' | 'simulate';

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
}

export interface CheckReport extends SearchOutcome {
  strategy: SearchOrder;
  durationMs: number;
  statesPerSecond: number;
  seed?: number;
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
