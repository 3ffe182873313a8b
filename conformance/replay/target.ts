// The implementation's side of a replay: what a protocol must provide for the
// one step loop (replay.ts), the one suite (suite.ts) and the one command
// (command.ts) to replay its spec's traces against its core. The spec's side
// is the protocol's Adapter (adapter.ts); this is the driver's, which the
// adapter's HarnessCommand only describes. ZAB's peer core (zab-target.ts) and
// the Raft core (raft-target.ts) implement it; a new engine (Multi-Paxos next)
// is one more file and a line in targets.ts.
//
// A target builds, for each trace, a session around a fresh implementation
// started from the spec's initial state. The loop then asks the session, step
// by step, to carry out the spec's action (`perform`), reads back every node's
// projection (`project`, the adapter's shape), and compares it with the spec
// state the implementation is judged against (`judged`: the spec's state
// itself, or one the implementation reaches from it at once, as Raft's eager
// closure). A step the implementation cannot take throws a Divergence; the
// session names the documented difference it is an instance of, if any
// (`explain`), or says the schedule has left what the implementation can
// take, which ends the replay there as a conforming prefix.

import type { Bounds } from '../../model-check/model.ts';
import type { Adapter } from '../adapter.ts';
import { canonical, type NodeProjection, type Trace } from '../trace.ts';

export type Judge = 'trace' | 'correct-spec';

export type DivergenceKind = 'missing-action' | 'unexpected-action' | 'diverging-state';

/** The implementation cannot take the step as the spec does (thrown by a session's perform, reported with the step). */
export class Divergence {
  constructor(
    readonly kind: DivergenceKind,
    readonly detail: string,
  ) {}
}

/** Ends a replay's step with a Divergence of this kind. */
export const fail = (kind: DivergenceKind, detail: string): never => {
  throw new Divergence(kind, detail);
};

export type ReplayVerdict =
  | {
      readonly verdict: 'conforms';
      /** Steps replayed (the trace's, or up to where the schedule left the correct spec or the implementation). */
      readonly steps: number;
      /** Steps the implementation does not take one for one (ZAB's election, Raft's steps taken at once): their kinds and count. */
      readonly abstracted: Readonly<Record<string, number>>;
      /** With judge 'correct-spec': the step whose action the correct spec cannot take, if any. */
      readonly scheduleLeftSpecAt?: { readonly step: number; readonly action: string };
      /** The step whose schedule the implementation cannot take (a session's explain said so), the replay's end: the known difference that says why, and what differed there. */
      readonly scheduleLeftCoreAt?: { readonly step: number; readonly action: string; readonly known: string; readonly detail: string };
    }
  | {
      readonly verdict: DivergenceKind;
      readonly step: number;
      readonly action: string;
      readonly detail: string;
      /** The documented spec/impl difference this divergence is an instance of (the target's knownDifferences), if any. */
      readonly known: string | undefined;
      readonly impl: readonly NodeProjection[];
      readonly spec: readonly NodeProjection[];
      readonly report: string;
    }
  | { readonly verdict: 'invalid'; readonly step: number; readonly error: string };

/**
 * What a session says of a divergence, by a name in the target's knownDifferences:
 * an instance of a documented difference (still a divergence), or a schedule
 * the implementation cannot take by design (the replay ends there, conforming
 * up to it); undefined: a divergence nothing explains.
 */
export type Explanation = { readonly known: string } | { readonly scheduleLeavesCore: string } | undefined;

export interface ReplayOptions {
  /** Known bugs the implementation is built with (names from the target's `bugs`); default none. */
  readonly bugs?: ReadonlySet<string>;
  /** What the implementation's projections must equal; default 'trace'. */
  readonly judge?: Judge;
  /** The command that reproduces this replay, printed with a divergence. */
  readonly reproduce?: string;
  /** ZAB only (zab-target.ts; --strict-discovery turns it off): expire a DISCOVERY leader's initLimit where spec/zab gives up at once. */
  readonly discoveryTimeout?: boolean;
}

/** One trace's replay against one freshly built implementation. */
export interface ReplaySession<S, A> {
  /**
   * Carries out the spec's action taken from `before` to `after`; returns the
   * kinds of the steps it abstracted (none when the implementation took it one
   * for one); throws a Divergence when the implementation cannot take it.
   */
  perform(before: S, action: A, after: S): readonly string[];
  /**
   * The spec state the implementation is judged against after the step to
   * `after` (after itself, or what the implementation reaches from it at
   * once); asked after this step's perform, which may have computed it.
   */
  judged(after: S): S;
  /** Every node's projection, read from the implementation, in the adapter's shape. */
  project(): NodeProjection[];
  /** What else must agree after a step (ZAB's channels, message by message); a Divergence or nothing. */
  check(after: S): Divergence | undefined;
  /** The detail of a projection mismatch. */
  readonly mismatch: string;
  /** A divergence of `kind` at the step from `before` to `after`, explained (see Explanation). */
  explain(kind: DivergenceKind, before: S, after: S): Explanation;
}

export interface ReplayTarget<S, A> {
  /** The spec's side: model, projection, coverage (generate.ts's traces are the adapter's). */
  readonly adapter: Adapter<S, A>;
  /** What is replayed against, as the summary names it. */
  readonly implementation: string;
  /** The bug flags the implementation can be built with (`--bugs`), named after the spec's mutants. */
  readonly bugs: readonly string[];
  /** Documented differences between the spec and the implementation, by name: the sentence printed with a divergence that is an instance of one. */
  readonly knownDifferences: Readonly<Record<string, string>>;
  /** The presets the suite generates from by default, and the walks per preset. */
  readonly presets: readonly string[];
  readonly walksPerPreset: number;
  /** Known-bug scenarios (conformance/scenarios/<spec>/) no implementation can start, with why; the suite leaves them out. */
  readonly notReplayable: Readonly<Record<string, string>>;
  /** Options of `replay` only this target has (ZAB: --strict-discovery, ReplayOptions.discoveryTimeout off); the command refuses them for others. */
  readonly ownOptions: readonly ('strict-discovery' | 'discovery-timeout')[];
  /** `count` seeded walks of `preset` (seeds seed..seed+count-1), each a trace of the adapter. */
  walks(preset: string, count: number, seed: number, depthMax: number): Trace[];
  /** The implementation started from the spec's initial state `init` (bounds and mutant as the judging model's), or why it cannot be. */
  start(init: S, bounds: Bounds, mutant: string | undefined, options: ReplayOptions): ReplaySession<S, A> | { readonly invalid: string };
}

// The registry and the suite handle targets of any state and action types.
// biome-ignore lint/suspicious/noExplicitAny: any spec's state and action types (as AnyAdapter)
export type AnyReplayTarget = ReplayTarget<any, any>;

/** A divergence verdict, its report naming the known difference it is an instance of, if any. */
export function divergence(
  kind: DivergenceKind,
  step: number,
  action: string,
  detail: string,
  impl: readonly NodeProjection[],
  spec: readonly NodeProjection[],
  reproduce: string,
  known: { readonly name: string; readonly text: string } | undefined,
): ReplayVerdict {
  const report = formatDivergence(kind, step, action, detail, impl, spec, reproduce);
  return { verdict: kind, step, action, detail, known: known?.name, impl, spec, report: known === undefined ? report : `${report}\nknown difference ${known.name}: ${known.text}` };
}

/** The verdict as text: the step, what differs, both projections side by side, and the command that reproduces it. */
export function formatDivergence(kind: DivergenceKind, step: number, action: string, detail: string, impl: readonly NodeProjection[], spec: readonly NodeProjection[], reproduce: string): string {
  const rows: string[][] = [['node', 'field', 'impl', 'spec', '']];
  spec.forEach((node, n) => {
    const mine = impl[n] ?? {};
    for (const field of new Set([...Object.keys(node), ...Object.keys(mine)])) {
      const a = canonical(mine[field]);
      const b = canonical(node[field]);
      if (a !== b || field === 'state') rows.push([`s${n}`, field, a, b, a !== b ? '<-- differs' : '']);
    }
  });
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return [
    `${kind} at step ${step} (${action}): ${detail}`,
    ...rows.map((row) => `  ${row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')}`.trimEnd()),
    `reproduce: ${reproduce}`,
  ].join('\n');
}
