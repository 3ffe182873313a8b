// What the three search engines (bfs.ts, dfs.ts, simulate.ts) share: the set
// of fingerprints seen, the counters of the report, the bookkeeping of
// `always` and `sometimes` properties, and the progress line on stderr.
//
// The engines call `checkProperties` once per new distinct state. It does not
// take a callback for the counterexample (a closure per state would allocate
// in the hot loop); instead the engine implements TraceSource and passes a
// number that identifies the state (its index in BFS), and the trace is only
// built when a property actually fails or a `sometimes` is first reached.

import { ModelError, type SometimesReport, type Trace, type ViolationReport } from './report-types.ts';
import { Fingerprinter } from './fingerprint.ts';
import { FingerprintSet } from './fingerprint-set.ts';
import type { Model, Property } from './model.ts';

export interface TraceSource {
  /** The path to the state identified by `ref` (what `ref` means is the engine's business). */
  trace(ref: number): Trace;
}

/** Wraps what a model threw while expanding the last state of `trace`, trying `action` (if known). */
export function modelError(error: unknown, trace: Trace, action: string | undefined): ModelError {
  if (error instanceof ModelError) return error;
  const what = action === undefined ? 'computing its enabled actions' : `trying ${action}`;
  const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new ModelError(`the model threw at depth ${trace.steps.length} while ${what}: ${reason}`, trace, { cause: error });
}

export interface ExplorationOptions {
  readonly statesMax: number;
  readonly timeMaxMs: number;
  readonly stopAtFirstViolation: boolean;
  readonly progress: boolean;
}

const PROGRESS_INTERVAL_MS = 1000;

export class Exploration<S, A> {
  readonly seen = new FingerprintSet();
  readonly fingerprinter: Fingerprinter<S>;
  readonly violations: ViolationReport[] = [];
  readonly sometimesReports: SometimesReport[];
  generated = 0;
  maxDepth = 0;
  readonly statesMax: number;

  private readonly always: Property<S>[];
  private readonly alwaysReported: boolean[];
  private readonly sometimes: Property<S>[];
  private sometimesPending: number;
  private readonly stopAtFirstViolation: boolean;
  private readonly progress: boolean;
  private progressAtMs = 0;
  private progressStartMs = 0;
  private progressShown = false;
  private readonly deadlineMs: number;
  private timedOut = false;

  constructor(model: Model<S, A>, options: ExplorationOptions) {
    this.fingerprinter = new Fingerprinter<S>(model as Model<S, unknown>);
    this.always = model.properties.filter((p) => p.kind === 'always');
    this.alwaysReported = this.always.map(() => false);
    this.sometimes = model.properties.filter((p) => p.kind === 'sometimes');
    this.sometimesPending = this.sometimes.length;
    this.sometimesReports = this.sometimes.map((p) => ({ property: p.name, description: p.description, reached: false }));
    this.statesMax = options.statesMax;
    this.stopAtFirstViolation = options.stopAtFirstViolation;
    this.progress = options.progress;
    this.progressStartMs = Date.now();
    this.progressAtMs = this.progressStartMs + PROGRESS_INTERVAL_MS;
    this.deadlineMs = this.progressStartMs + options.timeMaxMs;
  }

  /**
   * Fingerprints `state` and adds it to the seen set: its dense index, or -1
   * if an equal (or, with symmetry, a permuted) state was seen before.
   */
  add(state: S): number {
    const fingerprinter = this.fingerprinter;
    fingerprinter.fingerprint(state);
    return this.seen.add(fingerprinter.hi, fingerprinter.lo);
  }

  /** True when the distinct-state budget or the time budget is spent. */
  get isFull(): boolean {
    return this.seen.size >= this.statesMax || this.timedOut;
  }

  /**
   * Checks a new distinct state at `depth`. Returns true when the search must
   * stop (a violation and stopAtFirstViolation).
   */
  checkProperties(state: S, depth: number, source: TraceSource, ref: number): boolean {
    if (depth > this.maxDepth) this.maxDepth = depth;
    const always = this.always;
    let stop = false;
    for (let i = 0; i < always.length; i++) {
      if (this.alwaysReported[i]) continue;
      const property = always[i]!;
      if (!property.holds(state)) {
        this.alwaysReported[i] = true;
        this.violations.push({ property: property.name, description: property.description, depth, trace: source.trace(ref) });
        if (this.stopAtFirstViolation) stop = true;
      }
    }
    if (this.sometimesPending > 0) {
      const sometimes = this.sometimes;
      for (let i = 0; i < sometimes.length; i++) {
        const report = this.sometimesReports[i]!;
        if (report.reached || !sometimes[i]!.holds(state)) continue;
        report.reached = true;
        report.depth = depth;
        report.trace = source.trace(ref);
        this.sometimesPending--;
      }
    }
    return stop;
  }

  /**
   * Call every few thousand states from the hot loop (one clock read): checks
   * the time budget and prints the progress line about once a second.
   */
  tick(depth: number, queued: number): void {
    const nowMs = Date.now();
    if (nowMs >= this.deadlineMs) this.timedOut = true;
    if (!this.progress || nowMs < this.progressAtMs) return;
    this.progressAtMs = nowMs + PROGRESS_INTERVAL_MS;
    const elapsedS = (nowMs - this.progressStartMs) / 1000;
    const rate = elapsedS > 0 ? Math.round(this.seen.size / elapsedS) : 0;
    const queuedText = queued >= 0 ? `  queue ${queued}` : '';
    process.stderr.write(
      `\r${elapsedS.toFixed(0)}s  distinct ${this.seen.size}  generated ${this.generated}${queuedText}  depth ${depth}  ${rate} states/s   `,
    );
    this.progressShown = true;
  }

  finishProgress(): void {
    if (this.progressShown) process.stderr.write('\n');
    this.progressShown = false;
  }
}
