// What a check reports (TLC's closing statistics and error traces): the
// report, its violations and reached `sometimes`, the traces that show them,
// and ModelError, raised when the model itself throws. A leaf: the engines
// (bfs.ts, dfs.ts, simulate.ts, parallel.ts), the property bookkeeping, the
// printer (report.ts) and the entry point (check.ts) all import these types,
// and this file imports nothing of them, so the checker has no import cycle.

/** The order in which a strategy explores; the parallel BFS explores level by level as `bfs` does. */
export type SearchOrder = 'bfs' | 'dfs' | 'simulate' | 'guided';

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
