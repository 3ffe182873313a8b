// How every spec declares its properties (stateright's `always` and
// `sometimes`): one table per spec, at the end of its invariants.ts, each
// entry named after the paper or TLA+ invariant it checks, with that source's
// sentence (and where it is) as the description; the spec's model takes
// `propertiesFor(TABLE, params)`. Every `always` is paired with a `sometimes`
// (a leader is elected, a value is chosen) so that a check cannot pass
// because nothing happens (docs/architecture.md).
//
// `params` are what the predicates need that the state does not carry (sizes,
// the quorum); `when` drops a property the bounds make meaningless or
// unreachable (a learner property without learners), so that an unreached
// `sometimes` always means the model is stuck, never that the preset ruled it
// out. The table's order is the order the checker evaluates and reports.

import type { PaperSentence, Property, PropertyKind } from '../../model-check/model.ts';

export interface PropertyDeclaration<S, P> {
  readonly name: string;
  readonly kind: PropertyKind;
  readonly description: string;
  /** The predicate; a one-argument function ignores the params. */
  readonly holds: (state: S, params: P) => boolean;
  /** Whether the property is checked under these params (default: always). */
  readonly when?: (params: P) => boolean;
  /** `leadsTo` only: P in P ~> Q (`holds` is Q). */
  readonly premise?: (state: S) => boolean;
  /** The sentences of the papers or TLA+ specs it comes from, for docs/invariants.md (`cited`). */
  readonly paper?: readonly PaperSentence[];
}

/**
 * A declaration with the sentences it comes from (PaperSentence in
 * model-check/model.ts): quoted only as checked against the source named,
 * paraphrased (and so marked) otherwise. The catalogue prints them; the
 * checker never reads them.
 */
export function cited<S, P>(declaration: PropertyDeclaration<S, P>, ...paper: readonly PaperSentence[]): PropertyDeclaration<S, P> {
  return { ...declaration, paper };
}

/** A safety property: `holds` is true in every reachable state. */
export function always<S, P = unknown>(
  name: string,
  description: string,
  holds: (state: S, params: P) => boolean,
  when?: (params: P) => boolean,
): PropertyDeclaration<S, P> {
  return when === undefined ? { name, kind: 'always', description, holds } : { name, kind: 'always', description, holds, when };
}

/** A state that must be reachable: the checker reports the shortest path to one. */
export function sometimes<S, P = unknown>(
  name: string,
  description: string,
  holds: (state: S, params: P) => boolean,
  when?: (params: P) => boolean,
): PropertyDeclaration<S, P> {
  return when === undefined ? { name, kind: 'sometimes', description, holds } : { name, kind: 'sometimes', description, holds, when };
}

/**
 * The properties a model checks under `params`, in table order. A predicate
 * of one argument is handed to the checker as it is (no wrapper on the path
 * the checker runs on every distinct state); one that reads the params is
 * bound to them once here.
 */
export function propertiesFor<S, P>(table: readonly PropertyDeclaration<S, P>[], params: P): Property<S>[] {
  const out: Property<S>[] = [];
  for (const declaration of table) {
    if (declaration.when !== undefined && !declaration.when(params)) continue;
    const predicate = declaration.holds;
    const holds = predicate.length < 2 ? (predicate as (state: S) => boolean) : (state: S) => predicate(state, params);
    const base: Property<S> = { name: declaration.name, kind: declaration.kind, description: declaration.description, holds };
    const property = declaration.paper === undefined ? base : { ...base, paper: declaration.paper };
    out.push(declaration.premise === undefined ? property : { ...property, premise: declaration.premise });
  }
  return out;
}
