// The bookkeeping of a model's properties, one class for every strategy:
// each `always` is checked on every new distinct state and reported once,
// with the path to the first state that violates it; each `sometimes` is
// reported with the path to the first state that satisfies it (stateright's
// `always` and `sometimes`). Breadth-first, depth-first and simulation feed it
// states (through explore.ts); the parallel search's workers feed their own
// book the states they find, and the main thread adopts the workers'
// verdicts into its book, so the rules (report once, stop at the first
// violation, skip `sometimes` once all are reached) are written once.
//
// `check` takes no callback for the path (a closure per state would allocate
// in the hot loop): the engine implements TraceSource and passes a number
// that identifies the state (its index in BFS), and the path is only asked
// for when a property fails or a `sometimes` is first reached. The path's type
// is a parameter because a worker cannot replay paths: its TraceSource
// returns the state's reference, and the main thread rebuilds the trace.

import { assert } from '../lib/assert.ts';
import type { Property, PropertyKind } from './model.ts';
import type { SometimesReport, Trace, ViolationReport } from './report-types.ts';

/** The name under which a deadlock is reported, as TLC's "Deadlock reached". */
export const DEADLOCK = 'Deadlock';
const DEADLOCK_DESCRIPTION = "some action yields a successor in every reachable state (TLC's deadlock check; a spec that ends by design says deadlock: 'stuttering-ok')";

export interface TraceSource<T = Trace> {
  /** The path to the state identified by `ref` (what `ref` means is the engine's business). */
  trace(ref: number): T;
}

/** A first verdict on one property: a violated `always` or a reached `sometimes`, with its path. */
export interface Verdict<T> {
  readonly kind: PropertyKind;
  readonly property: string;
  readonly depth: number;
  readonly trace: T;
}

export class PropertyBook<S, T = Trace> {
  readonly violations: ViolationReport<T>[] = [];
  /** One per `sometimes`, in the model's order, reached or not. */
  readonly sometimesReports: SometimesReport<T>[];
  /** Every first verdict in the order found (what a worker sends to the main thread). */
  readonly verdicts: Verdict<T>[] = [];

  private readonly always: Property<S>[];
  private readonly alwaysReported: boolean[];
  private readonly sometimes: Property<S>[];
  private sometimesPending: number;
  private deadlockReported = false;

  constructor(
    properties: readonly Property<S>[],
    private readonly stopAtFirstViolation: boolean,
    /** With stopAtFirstViolation: stop only at this property's violation (the others are still reported); undefined: at any. */
    private readonly stopAt?: string,
  ) {
    this.always = properties.filter((p) => p.kind === 'always');
    this.alwaysReported = this.always.map(() => false);
    this.sometimes = properties.filter((p) => p.kind === 'sometimes');
    this.sometimesPending = this.sometimes.length;
    this.sometimesReports = this.sometimes.map((p) => ({ property: p.name, description: p.description, reached: false }));
  }

  /**
   * Checks a new distinct state at `depth`. Returns true when the search must
   * stop (a violation and stopAtFirstViolation).
   */
  check(state: S, depth: number, source: TraceSource<T>, ref: number): boolean {
    const always = this.always;
    let stop = false;
    for (let i = 0; i < always.length; i++) {
      if (this.alwaysReported[i] || always[i]!.holds(state)) continue;
      if (this.violated(i, depth, source.trace(ref))) stop = true;
    }
    if (this.sometimesPending > 0) {
      const sometimes = this.sometimes;
      for (let i = 0; i < sometimes.length; i++) {
        if (this.sometimesReports[i]!.reached || !sometimes[i]!.holds(state)) continue;
        this.reached(i, depth, source.trace(ref));
      }
    }
    return stop;
  }

  /**
   * A reachable state in which no action yields a successor (the engine
   * checks for it only when the model asks for the check). Reported once,
   * like an `always`; returns true when the search must stop.
   */
  deadlocked(depth: number, source: TraceSource<T>, ref: number): boolean {
    if (this.deadlockReported) return false;
    return this.recordDeadlock(depth, source.trace(ref));
  }

  /**
   * Records a verdict found elsewhere (by a worker thread, which holds the
   * state's reference in place of its path) as `check` would have: a property
   * already reported keeps its first verdict, and the path is only rebuilt
   * for a verdict that is recorded. Returns true when the search must stop.
   */
  adopt(verdict: Verdict<number>, source: TraceSource<T>): boolean {
    if (verdict.kind === 'always' && verdict.property === DEADLOCK) {
      return !this.deadlockReported && this.recordDeadlock(verdict.depth, source.trace(verdict.trace));
    }
    if (verdict.kind === 'always') {
      const i = this.always.findIndex((p) => p.name === verdict.property);
      assert(i >= 0, () => `a worker reported an unknown always property ${verdict.property}`);
      return !this.alwaysReported[i] && this.violated(i, verdict.depth, source.trace(verdict.trace));
    }
    const i = this.sometimes.findIndex((p) => p.name === verdict.property);
    assert(i >= 0, () => `a worker reported an unknown sometimes property ${verdict.property}`);
    if (!this.sometimesReports[i]!.reached) this.reached(i, verdict.depth, source.trace(verdict.trace));
    return false;
  }

  private violated(i: number, depth: number, trace: T): boolean {
    const property = this.always[i]!;
    this.alwaysReported[i] = true;
    this.violations.push({ property: property.name, description: property.description, depth, trace });
    this.verdicts.push({ kind: 'always', property: property.name, depth, trace });
    return this.stops(property.name);
  }

  private recordDeadlock(depth: number, trace: T): boolean {
    this.deadlockReported = true;
    this.violations.push({ property: DEADLOCK, description: DEADLOCK_DESCRIPTION, depth, trace });
    this.verdicts.push({ kind: 'always', property: DEADLOCK, depth, trace });
    return this.stops(DEADLOCK);
  }

  private stops(property: string): boolean {
    return this.stopAtFirstViolation && (this.stopAt === undefined || this.stopAt === property);
  }

  private reached(i: number, depth: number, trace: T): void {
    const report = this.sometimesReports[i]!;
    report.reached = true;
    report.depth = depth;
    report.trace = trace;
    this.sometimesPending--;
    this.verdicts.push({ kind: 'sometimes', property: report.property, depth, trace });
  }
}
