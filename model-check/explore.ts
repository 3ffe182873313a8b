// What the three sequential search engines (bfs.ts, dfs.ts, simulate.ts)
// share: the set of fingerprints seen, the counters of the report, the
// property bookkeeping (properties.ts, which the parallel search shares too),
// the state and time budgets, and the progress line on stderr.
//
// The engines call `checkProperties` once per new distinct state, passing
// themselves as the TraceSource and a number identifying the state.

import { Fingerprinter } from './fingerprint.ts';
import { FingerprintSet } from './fingerprint-set.ts';
import type { Model } from './model.ts';
import { PropertyBook, type TraceSource } from './properties.ts';

export interface ExplorationOptions {
  readonly statesMax: number;
  readonly timeMaxMs: number;
  readonly stopAtFirstViolation: boolean;
  readonly progress: boolean;
  /** The deadlock check (TLC's default); the model may still opt out with deadlock: 'stuttering-ok'. */
  readonly checkDeadlock: boolean;
}

const PROGRESS_INTERVAL_MS = 1000;

export class Exploration<S, A> {
  readonly seen = new FingerprintSet();
  readonly fingerprinter: Fingerprinter<S>;
  readonly properties: PropertyBook<S>;
  generated = 0;
  maxDepth = 0;
  readonly statesMax: number;
  /** Whether the engines report a state without successors (the options' and the model's say together). */
  readonly checkDeadlock: boolean;

  private readonly progress: boolean;
  private progressAtMs = 0;
  private progressStartMs = 0;
  private progressShown = false;
  private readonly deadlineMs: number;
  private timedOut = false;

  constructor(model: Model<S, A>, options: ExplorationOptions) {
    this.fingerprinter = new Fingerprinter<S>(model as Model<S, unknown>);
    this.properties = new PropertyBook<S>(model.properties, options.stopAtFirstViolation);
    this.statesMax = options.statesMax;
    this.checkDeadlock = options.checkDeadlock && model.deadlock !== 'stuttering-ok';
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
    return this.properties.check(state, depth, source, ref);
  }

  /** A state at `depth` in which no action yields a successor. Returns true when the search must stop. */
  deadlocked(depth: number, source: TraceSource, ref: number): boolean {
    return this.properties.deadlocked(depth, source, ref);
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
