// Shortening a counterexample found by random walks (guided.ts): a walk's
// path to a violation keeps its detours (a Timeout that leads nowhere, a
// message sent and then dropped, a no-op AdvanceCommitIndex), so Figure 8 from
// Init comes out at depth 80 to 130 where about 50 steps suffice. This is
// greedy delta debugging (Zeller and Hildebrandt, "Simplifying and Isolating
// Failure-Inducing Input", TSE 2002) over the steps: remove a window of
// consecutive steps, replay the rest from the same initial state, and keep
// the removal when every remaining step is still an enabled action (the same
// label, model.formatAction) with a successor within the boundary and some
// state on the way still violates the property; the path is then cut at the
// first state that does. Windows of 8, 4, 2 and 1 steps, so a request and
// its reply go together. The result is a real path of the model (it is
// replayed), not necessarily a shortest one.

import type { Model, Property } from './model.ts';
import type { Trace, TraceStep } from './report-types.ts';

const WINDOWS = [16, 8, 4, 3, 2, 1];

/**
 * Replays `labels` from `states[from]` (the states before `from` are those of
 * the path being shortened); the number of steps up to the first state that
 * violates `property`, or -1 if a step is not enabled or no state violates it.
 * Fills `out` with the states from `from` on.
 */
function replay<S, A>(model: Model<S, A>, property: Property<S>, labels: readonly string[], start: S, from: number, out: S[]): number {
  let state = start;
  for (let i = from; i < labels.length; i++) {
    const action = model.actions(state).find((a) => model.formatAction(a) === labels[i]);
    if (action === undefined) return -1;
    const next = model.next(state, action);
    if (next === undefined || !model.withinBoundary(next)) return -1;
    state = next;
    out[i + 1] = state;
    if (!property.holds(state)) return i + 1;
  }
  return -1;
}

/** A shorter path from the same initial state to a state violating `property`, or `trace` itself. */
export function shortenViolation<S, A>(model: Model<S, A>, property: Property<S>, trace: Trace): Trace {
  const initialView = JSON.stringify(trace.initial);
  const initial = model.init().find((s) => JSON.stringify(model.view(s)) === initialView);
  if (initial === undefined) return trace;
  let labels = trace.steps.map((step) => step.action);
  let states: S[] = [initial];
  const reached = replay(model, property, labels, initial, 0, states);
  if (reached < 0) return trace;
  labels = labels.slice(0, reached);
  for (const window of WINDOWS) {
    for (let start = labels.length - window; start >= 0; start--) {
      const candidate = [...labels.slice(0, start), ...labels.slice(start + window)];
      const candidateStates = states.slice(0, start + 1);
      const length = replay(model, property, candidate, states[start]!, start, candidateStates);
      if (length < 0) continue;
      labels = candidate.slice(0, length);
      states = candidateStates.slice(0, length + 1);
      // Try the same position again: other steps have moved into the window.
      start = Math.min(start + 1, labels.length - window + 1);
    }
  }
  const steps: TraceStep[] = [];
  let state = initial;
  for (const label of labels) {
    const action = model.actions(state).find((a) => model.formatAction(a) === label)!;
    state = model.next(state, action)!;
    steps.push({ action: label, actionData: action, state: model.view(state) });
  }
  return { initial: trace.initial, steps };
}
