// The model checker's whole view of a protocol (after stateright's Model and
// TLC's Init/Next/Invariant/CONSTRAINT): initial states, enabled actions, the
// next state, properties and a boundary. The checker knows nothing else about
// any protocol; a spec plugs in by exporting a SpecDefinition (registered in
// cli/specs.ts, outside this folder).

/**
 * Where a state writes its canonical encoding. The checker hashes what is
 * written into a 64-bit fingerprint, so two states must write the same sequence
 * exactly when they are the same state. Never write object keys in insertion
 * order or JSON.stringify output: write fields in a fixed order.
 */
export interface StateSink {
  int(value: number): void;
  bool(value: boolean): void;
  str(value: string): void;
  /**
   * A multiset (a message bag, a set of votes): each item is encoded on its
   * own and the results are combined order-independently, so the caller need
   * not sort. Duplicates count (a bag); for a set, pass distinct items.
   * Pass a module-level function as `encodeItem`, not an arrow written inline
   * in `encode`: under tsx (esbuild's keepNames) every closure created costs
   * a defineProperty call, measured at a fifth of Zab's checking time.
   */
  unordered<T>(items: Iterable<T>, encodeItem: (item: T, sink: StateSink) => void): void;
}

/**
 * Symmetry over server ids (TLC's SYMMETRY Permutations(Server)). The checker
 * fingerprints a state as the least fingerprint over all permutations, so a
 * model encodes under a permutation instead of building permuted copies.
 */
export interface Symmetry<S = never> {
  /** How many interchangeable servers there are (ids 0..servers-1). */
  readonly servers: number;
  /**
   * Optional, a speed-up: a number describing server `server` of `state`
   * that does not depend on the ids (e.g. a hash of its own term and role, not
   * of whom it voted for), so that a permutation moves it along with the
   * server. The checker then only tries the permutations that list the
   * servers in ascending signature order (all of them when every signature
   * ties), which is exact: permuted states still get equal fingerprints and
   * different states still do not. With distinct signatures one encoding
   * replaces n!.
   */
  signature?(state: S, server: number): number;
  /**
   * Optional, as `signature` for every server at once (out[server]), for a
   * model whose signatures come from one pass over the state (e.g. over its
   * messages) rather than one pass per server. Used instead of `signature`
   * when given; the two must agree.
   */
  signatures?(state: S, out: Float64Array): void;
}

/**
 * A permutation of server ids: `map[oldId] = newId`, `inverse[newId] = oldId`.
 * Under a permutation a model writes, for newId = 0..n-1, the data of server
 * inverse[newId], with every id it mentions written as map[id].
 * Without symmetry the checker passes one identity permutation over
 * IDENTITY_SERVERS (256) ids (fingerprint.ts), so a model loops over its own
 * number of servers, never over map.length or inverse.length (raft's voterLog
 * encoding once did, and spent half of its time there).
 */
export interface Permutation {
  readonly map: readonly number[];
  readonly inverse: readonly number[];
}

export type PropertyKind = 'always' | 'sometimes' | 'eventually' | 'leadsTo';

/**
 * `always`: a safety property that every reachable state must satisfy.
 * `sometimes`: a state that must be reachable, reported with an example path,
 * so that a check cannot pass because nothing happens (stateright).
 * `eventually` (TLA+'s <>P): every behaviour from an initial state reaches a
 * state where `holds`. `leadsTo` (P ~> Q): every behaviour that reaches a
 * state where `premise` holds later reaches (or is at) one where `holds`
 * does. Both are judged on the state graph under the model's `fairness`
 * (liveness.ts); a violation is a lasso, a path and a cycle repeated forever.
 */
export interface Property<S> {
  readonly name: string;
  readonly kind: PropertyKind;
  /** The sentence from the paper this property checks. */
  readonly description: string;
  /** Optional: the source sentences, for the invariant catalogue (docs/invariants.md); never read by the checker. */
  readonly paper?: readonly PaperSentence[];
  holds(state: S): boolean;
  /** `leadsTo` only: P in P ~> Q (`holds` is Q). */
  premise?(state: S): boolean;
}

/**
 * Where a property comes from, for the invariant catalogue (cli/catalogue.ts
 * writes docs/invariants.md): the source named (paper and section, or a TLA+
 * spec and its definition) and either its sentence quoted word for word,
 * checked against the source, or, where the source could not be checked, a
 * paraphrase that the catalogue prints as one. Data only: the checker never
 * reads it.
 */
export type PaperSentence =
  | { readonly source: string; readonly quote: string }
  | { readonly source: string; readonly paraphrase: string };

/**
 * TLA+'s WF_vars(A) for A the disjunction of the actions whose
 * model.actionKind is one of `actions`: a behaviour may not keep A enabled
 * forever without taking it. One entry per WF conjunct; a spec that wants
 * fairness per server names kinds per server (e.g. `Timeout(s1)`).
 */
export interface Fairness {
  readonly kind: 'weak';
  readonly actions: readonly string[];
}

export interface Model<S, A> {
  init(): readonly S[];
  /** Actions enabled in `state`; `next` may still decline one by returning undefined. */
  actions(state: S): readonly A[];
  /**
   * The successor, or undefined when `action` is not enabled after all. A
   * successor that `withinBoundary` would reject may be returned as any
   * placeholder that `withinBoundary` rejects (spec/raft/outside.ts), so a
   * model need not build states the checker only counts and discards.
   */
  next(state: S, action: A): S | undefined;
  readonly properties: readonly Property<S>[];
  /**
   * TLC's CONSTRAINT: a successor outside the boundary is discarded (neither
   * counted, nor checked, nor expanded). Prefer guards in `actions` where
   * possible; they are cheaper.
   */
  withinBoundary(state: S): boolean;
  /** Writes the canonical encoding of `state` under `perm` (identity without symmetry). */
  encode(state: S, sink: StateSink, perm: Permutation): void;
  readonly symmetry?: Symmetry<S>;
  /**
   * Optional, for guided simulation (guided.ts): a coarse summary of a state
   * (Raft: each server's term, role, log terms and commit index), Go-Explore's
   * cell. States with equal summaries count as one place for the walks'
   * coverage; without it every distinct state is its own cell.
   */
  abstraction?(state: S): string | number;
  /** One line naming the action as in the TLA+ spec, e.g. `Phase1b(a2, b1)`. */
  formatAction(action: A): string;
  /**
   * Optional: the kind of an action, e.g. `Phase1b`, for the coverage report
   * (`--coverage`) and as `fairness` names it. Default: formatAction's text
   * before its first '('.
   */
  actionKind?(action: A): string;
  /**
   * Optional: every kind of action this model can take under its bounds, so
   * that the coverage report can name the kinds that never fired.
   */
  readonly actionKinds?: readonly string[];
  /**
   * Optional: fields of `view` that a counterexample hides unless --verbose
   * (network bookkeeping, bound counters, ghost variables): top-level names
   * or paths such as `servers[*].node.config`, `[*]` standing for any index.
   * Trace files keep every field.
   */
  readonly hiddenFields?: readonly string[];
  /** Weak fairness assumed by `eventually` and `leadsTo` (none: any fair-less cycle is a counterexample). */
  readonly fairness?: readonly Fairness[];
  /**
   * 'check' (the default, as TLC's): a reachable state in which no action
   * yields a successor is a violation named Deadlock. 'stuttering-ok': the
   * spec ends by design there (say why beside it), as TLC's -deadlock.
   */
  readonly deadlock?: 'check' | 'stuttering-ok';
  /**
   * A JSON-serialisable view of a state for traces and counterexamples. States
   * in spec/ are plain data already, so this is usually the identity; ghost
   * variables stay in (they explain violations: trace files keep them, and
   * a printed counterexample shows them with --verbose, see hiddenFields).
   */
  view(state: S): unknown;
  /**
   * Optional, a speed-up for spilling the breadth-first frontier to disk and
   * for checkpoints (state-codec.ts): the state as bytes, and back. Without
   * them the checker uses v8's structured serialisation, which is slower but
   * works for any plain-data state. `deserialize(serialize(s))` must be a
   * state the model treats exactly as `s`.
   */
  serialize?(state: S): Uint8Array;
  deserialize?(bytes: Uint8Array): S;
}

export type BoundValue = number | boolean;
export type Bounds = Readonly<Record<string, BoundValue>>;

export interface BoundDefinition {
  readonly name: string;
  readonly description: string;
  readonly default: BoundValue;
}

export interface Preset {
  readonly name: string;
  readonly description: string;
  /** Overrides of the bounds' defaults. */
  readonly bounds: Bounds;
}

export interface MutantDefinition {
  readonly name: string;
  readonly description: string;
  /** How the checker finds this bug from the spec's real initial state; `npm run check -- <spec> --mutant NAME` runs it when given no preset, bound or strategy. */
  readonly hunt?: MutantHunt;
}

/**
 * A mutant's declared search: a finding only counts from the protocol's real
 * initial state, at bounds that are not shaped around the one bug (a preset
 * shared by the spec's mutants), by the property a user would care about.
 * The correct spec must pass the same preset and options (cli/mutant-hunts.test.ts
 * checks both), so the hunt shows the bug, not the bounds.
 */
export interface MutantHunt {
  /** A preset of the spec, shared by several mutants (a general `deep` preset, not one built for this bug). */
  readonly preset: string;
  /** The strategy's command-line options as typed after the spec name, e.g. `['--simulate', '20000', '--guided', '--seed', '1']`; none: breadth-first. */
  readonly options: readonly string[];
  /** The mission property the bug violates; the search goes on past other properties' violations until this one's (`--stop-at`). */
  readonly violates: string;
}

/** What a spec exports for the command line and CI (`npm run check -- <name>`). */
export interface SpecDefinition {
  readonly name: string;
  readonly description: string;
  readonly bounds: readonly BoundDefinition[];
  /** The first preset is the default; it must be named `ci` and be exhaustive within minutes. */
  readonly presets: readonly Preset[];
  readonly mutants: readonly MutantDefinition[];
  // The state and action types are the spec's own; the checker is generic over them.
  // biome-ignore lint/suspicious/noExplicitAny: the spec's own state and action types, which the checker is generic over
  build(bounds: Bounds, mutant: string | undefined): Model<any, any>;
}
