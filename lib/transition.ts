// The shape of every reducer in spec/: step(state, event) -> { state, effects }.
// A node's reducer is pure; the effects are what the node asks the world to do.
// When an event does not apply (a stale message, a guard that is false) the
// reducer returns the same state object and no effects: the TLA+ "not enabled".

export type Transition<S, F> = { readonly state: S; readonly effects: readonly F[] };

export function unchanged<S, F>(state: S): Transition<S, F> {
  return { state, effects: [] };
}

/** True when a reducer declined the event (returned its input state and no effects). */
export function isUnchanged<S, F>(before: S, transition: Transition<S, F>): boolean {
  return transition.state === before && transition.effects.length === 0;
}
