// What the conformance harness needs to know about one protocol's spec, and
// nothing more: generation, validation and coverage (generate.ts, validate.ts,
// cli.ts) are generic over this interface; the replay against an
// implementation is generic over replay/target.ts's ReplayTarget, the
// implementation's side. Adding a protocol is a file in adapters/ and one in
// replay/, not a new harness. An adapter joins three views of a run:
//
// - the spec's: its SpecDefinition (model-check/model.ts) builds the Model the
//   harness explores;
// - the observer's: `project` maps a spec state to what every node exposes
//   from outside (what an implementation's test-control endpoint can report),
//   the only thing a trace records per step;
// - the driver's: `command` maps a spec action to a HarnessCommand, the data a
//   replay of the trace carries out (a ReplayTarget's session does it).

import type { z } from 'zod';
import type { Model, SpecDefinition } from '../model-check/model.ts';
import type { ItfValue, NodeProjection } from './trace.ts';

/**
 * One step the replay harness makes the implementation take, or waits for.
 * Channels are named by the adapter (e.g. "quorum" and "election" for ZAB).
 */
export type HarnessCommand =
  | { readonly kind: 'deliver'; readonly from: number; readonly to: number; readonly channel: string; readonly message: string }
  | { readonly kind: 'drop'; readonly from: number; readonly to: number; readonly channel: string }
  | { readonly kind: 'crash'; readonly node: number }
  | { readonly kind: 'restart'; readonly node: number }
  | { readonly kind: 'timeout'; readonly node: number }
  | { readonly kind: 'clientWrite'; readonly node: number }
  | { readonly kind: 'diskSync'; readonly node: number }
  | { readonly kind: 'partition'; readonly a: number; readonly b: number }
  | { readonly kind: 'heal'; readonly a: number; readonly b: number }
  /** A decision the implementation takes on its own (an election outcome, a connection): the replay waits for it. */
  | { readonly kind: 'await'; readonly node: number; readonly what: string };

export interface Adapter<S, A> {
  readonly spec: SpecDefinition;
  /** The zod schema of one node's projection, checked on every recorded state. */
  readonly projectionSchema: z.ZodType<NodeProjection>;
  /** Every node's projection, in node-id order. */
  project(state: S): NodeProjection[];
  /** The action's kind for coverage: formatAction's name before '(' (e.g. `LeaderProcessACK`). */
  actionKind(model: Model<S, A>, action: A): string;
  /** Every action kind the spec has (coverage reports the ones a generation missed). */
  readonly actionKinds: readonly string[];
  /** The action's parameters as ITF (mbt::nondetPicks). */
  actionParams(action: A): { [name: string]: ItfValue };
  /** How a replay drives the implementation through `action` taken in `before`. */
  command(before: S, action: A): HarnessCommand;
  /**
   * The reducer branches `action` exercised going from `before` to `after`
   * (see the adapter for what a branch key is); empty when next declined.
   */
  branchKeys(before: S, action: A, after: S): string[];
  /** Every branch key the reducer has, reachable or not (for the coverage report). */
  readonly branchKeyUniverse: readonly string[];
  /** For each known-bug mutant of the spec, the preset that finds it (scenarios/<spec>/<mutant>.json). */
  readonly mutantPresets: Readonly<Record<string, string>>;
}

// The harness handles adapters of any state and action types.
// biome-ignore lint/suspicious/noExplicitAny: any spec's state and action types (a Model is invariant in them, so unknown will not do)
export type AnyAdapter = Adapter<any, any>;
