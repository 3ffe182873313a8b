// What every trace file this project writes has in common, as the diagram
// reads it: an initial state, then steps, each an action and the state after
// it; a lasso's cycle start (a liveness counterexample: the last state steps
// back to it); a step to highlight (where a validator rejected a recording).
// The states are plain JSON data: a checker's view of the whole state
// (model-check's counterexample files and their ITF copies) or the nodes'
// observable projections (conformance traces and recordings), which is the
// `kind` a spec's picture (spec-pictures.ts) is chosen by.

export type TimelineSource = 'checker' | 'checker-itf' | 'conformance' | 'recording';

export interface TimelineStep {
  /** The action as the spec prints it (formatAction), or as the recording names it. */
  readonly action: string;
  readonly state: unknown;
  /** A conformance trace's `mbt::nondetPicks` (from, to, message of a delivery), when the file has them. */
  readonly picks?: Readonly<Record<string, unknown>>;
}

export interface Highlight {
  /** The state index (0 = the initial state) the highlight marks. */
  readonly step: number;
  /** One line: why (the validator's verdict). */
  readonly title: string;
  /** A few words drawn beside the highlighted row. */
  readonly label: string;
  /** The longer explanation (the validator's report), shown on hover and below the diagram. */
  readonly detail: string;
}

export interface Timeline {
  readonly spec: string;
  readonly source: TimelineSource;
  /** Whole checker states, or the nodes' projections of a conformance trace. */
  readonly kind: 'spec-state' | 'projection';
  /** One line naming what this is: the property violated, the mutant, the preset. */
  readonly title: string;
  readonly initial: unknown;
  readonly steps: readonly TimelineStep[];
  /** A lasso: the index of the state the last one returns to (model-check's cycleStart, ITF's loop). */
  readonly loopStart?: number;
  readonly highlight?: Highlight;
  /** The property a checker counterexample violates (in its last state, or by its lasso). */
  readonly violated?: string;
  /** Field paths left out of the changes shown (Model.hiddenFields; `[*]` matches any index). */
  readonly hiddenFields: readonly string[];
}

/** The state after step `index` (0: the initial state). */
export function stateAt(timeline: Timeline, index: number): unknown {
  return index === 0 ? timeline.initial : timeline.steps[index - 1]!.state;
}
