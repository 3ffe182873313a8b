// What the three sequential search engines (bfs.ts, dfs.ts, simulate.ts)
// share: the set of fingerprints seen, the counters of the report, the
// property bookkeeping (properties.ts, which the parallel search shares too),
// the state and time budgets, and the progress line (progress.ts).
//
// The engines call `checkProperties` once per new distinct state, passing
// themselves as the TraceSource and a number identifying the state.

import { Fingerprinter } from './fingerprint.ts';
import { FingerprintSet, type SeenSet } from './fingerprint-set.ts';
import type { Model } from './model.ts';
import type { NewStateListener } from './coverage.ts';
import { type ProgressOptions, ProgressLine } from './progress.ts';
import { PropertyBook, type TraceSource } from './properties.ts';

export interface ExplorationOptions {
  readonly statesMax: number;
  readonly timeMaxMs: number;
  readonly stopAtFirstViolation: boolean;
  /** Stop only at this property's violation (CheckOptions.stopAt). */
  readonly stopAt?: string;
  /** The progress line (progress.ts), or undefined for none. */
  readonly progress: ProgressOptions | undefined;
  /** The deadlock check (TLC's default); the model may still opt out with deadlock: 'stuttering-ok'. */
  readonly checkDeadlock: boolean;
}

/** How often the heap and resident set are sampled for the memory report. */
const MEMORY_SAMPLE_INTERVAL_MS = 1000;

export class Exploration<S, A> {
  readonly seen: SeenSet;
  readonly fingerprinter: Fingerprinter<S>;
  readonly properties: PropertyBook<S>;
  generated = 0;
  maxDepth = 0;
  readonly statesMax: number;
  /** Memory figures for the report (memory-report.ts): the engine sets pathBytes; tick samples the rest. */
  pathBytes = 0;
  frontierPeakStates = 0;
  readonly heapAtStartBytes = process.memoryUsage().heapUsed;
  heapPeakBytes = 0;
  rssPeakBytes = 0;
  private memoryAtMs = 0;
  /** Told of each new distinct state when action coverage is counted (coverage.ts); undefined otherwise. */
  coverage: NewStateListener<S> | undefined = undefined;
  /** Whether the engines report a state without successors (the options' and the model's say together). */
  readonly checkDeadlock: boolean;

  private readonly progress: ProgressLine | undefined;
  private readonly deadlineMs: number;
  private timedOut = false;

  /** `seen`: the seen set, in memory by default (disk-bfs.ts passes a disk-backed one). */
  constructor(model: Model<S, A>, options: ExplorationOptions, seen: SeenSet = new FingerprintSet()) {
    this.seen = seen;
    this.fingerprinter = new Fingerprinter<S>(model as Model<S, unknown>);
    this.properties = new PropertyBook<S>(model.properties, options.stopAtFirstViolation, options.stopAt);
    this.statesMax = options.statesMax;
    const startMs = Date.now();
    this.progress = options.progress === undefined ? undefined : new ProgressLine(options.progress, startMs);
    this.deadlineMs = startMs + options.timeMaxMs;
    this.checkDeadlock = options.checkDeadlock && model.deadlock !== 'stuttering-ok';
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
    if (this.coverage !== undefined) return this.checkCounted(this.coverage, state, depth, source, ref);
    return this.properties.check(state, depth, source, ref);
  }

  /** checkProperties with coverage on: the replay that rebuilds a verdict's path must not count as successors generated. */
  private checkCounted(coverage: NewStateListener<S>, state: S, depth: number, source: TraceSource, ref: number): boolean {
    coverage.newState(state);
    coverage.replaying = true;
    try {
      return this.properties.check(state, depth, source, ref);
    } finally {
      coverage.replaying = false;
    }
  }

  /** A state at `depth` in which no action yields a successor. Returns true when the search must stop. */
  deadlocked(depth: number, source: TraceSource, ref: number): boolean {
    return this.properties.deadlocked(depth, source, ref);
  }

  /**
   * Call every few thousand states from the hot loop (one clock read): checks
   * the time budget and prints the progress line when it is due.
   */
  tick(depth: number, queued: number): void {
    const nowMs = Date.now();
    if (nowMs >= this.deadlineMs) this.timedOut = true;
    if (queued > this.frontierPeakStates) this.frontierPeakStates = queued;
    if (nowMs >= this.memoryAtMs) {
      this.memoryAtMs = nowMs + MEMORY_SAMPLE_INTERVAL_MS;
      this.sampleMemory();
    }
    const progress = this.progress;
    if (progress === undefined || !progress.due(nowMs)) return;
    progress.show(nowMs, { distinct: this.seen.size, generated: this.generated, queued, depth, workers: 0 });
  }

  /** Records the heap and resident set if they are at a new peak (each second from tick, and at the end). */
  sampleMemory(): void {
    const usage = process.memoryUsage();
    if (usage.heapUsed > this.heapPeakBytes) this.heapPeakBytes = usage.heapUsed;
    if (usage.rss > this.rssPeakBytes) this.rssPeakBytes = usage.rss;
  }

  finishProgress(): void {
    this.progress?.finish();
  }
}
