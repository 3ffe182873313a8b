// Replay of spec-generated traces against an implementation's core, in
// process: the one step loop, over a ReplayTarget (target.ts) per protocol
// (zab-target.ts: impl/quorum/peer's core; raft-target.ts: impl/raft's).
//
// The trace gives the schedule (each state's `mbt::actionTaken`); the spec
// runs alongside in lockstep to name each action exactly (the enabled action
// whose formatAction is the label) and to know what the world around the
// servers holds. After every step the target's session reads back each node's
// projection and the loop compares it with the expected one, then lets the
// session check what else must agree (ZAB's channels, message by message).
//
// The judge is the trace itself (`judge: 'trace'`: the recorded projections,
// checked against the trace's own spec and mutant re-run) or the correct spec
// on the trace's schedule (`judge: 'correct-spec'`: how a mutant's scenario
// must go for a fixed implementation); a schedule the correct spec cannot
// follow ends the replay there (`scheduleLeftSpecAt`), and a schedule the
// implementation cannot take, as its session explains, ends it too
// (`scheduleLeftCoreAt`: Raft's atomic steps). What the implementation is
// compared with is the session's `judged` state: the spec's own, or the one
// the implementation reaches from it at once (Raft's eager closure).
//
// Verdicts name the step (the trace's state index): `missing-action` (the
// implementation cannot take the action), `unexpected-action` (it sent what
// the spec does not), `diverging-state` (a projection differs; both are
// printed), each labelled with the target's known difference it is an
// instance of; `invalid` (the trace does not follow its own spec, or starts
// where the implementation cannot).

import { assert } from '../../lib/assert.ts';
import type { Model } from '../../model-check/model.ts';
import { ACTION_TAKEN, canonical, type ItfValue, NODES, type NodeProjection, type Trace } from '../trace.ts';
import { divergence, Divergence, type DivergenceKind, type ReplayOptions, type ReplayTarget, type ReplayVerdict } from './target.ts';

const same = (a: readonly NodeProjection[], b: readonly NodeProjection[]) => canonical(a as unknown as ItfValue) === canonical(b as unknown as ItfValue);

export function replayTrace<S, A>(target: ReplayTarget<S, A>, trace: Trace, options: ReplayOptions = {}): ReplayVerdict {
  const meta = trace['#meta'];
  const judge = options.judge ?? 'trace';
  const adapter = target.adapter;
  for (const bug of options.bugs ?? []) assert(target.bugs.includes(bug), () => `${target.implementation} has no bug flag ${bug} (have: ${target.bugs.join(', ')})`);
  const invalid = (step: number, error: string): ReplayVerdict => ({ verdict: 'invalid', step, error });
  if (meta.spec !== adapter.spec.name) return invalid(0, `the ${target.implementation} replay is for spec ${adapter.spec.name}, the trace is for ${meta.spec}`);
  const mutant = judge === 'trace' ? (meta.mutant ?? undefined) : undefined;
  let model: Model<S, A>;
  try {
    model = adapter.spec.build(meta.bounds, mutant) as Model<S, A>;
  } catch (error) {
    return invalid(0, `bounds: ${(error as Error).message}`);
  }
  let spec: S = model.init()[0]!;
  if (!same(adapter.project(spec), trace.states[0]![NODES])) return invalid(0, 'the spec\u2019s initial state does not project to state 0 of the trace');
  const session = target.start(spec, meta.bounds, mutant, options);
  if ('invalid' in session) return invalid(0, session.invalid);
  const reproduce = options.reproduce ?? `conformance/replay: replayTrace(${adapter.spec.name}Target, trace)`;
  const abstracted: Record<string, number> = {};

  // The projections the implementation must show after the step to `next`: the trace's where it judges and the session judges the spec's state itself.
  const expectedAt = (i: number, next: S, judged: S) => (judge === 'trace' && judged === next ? trace.states[i]![NODES] : adapter.project(judged));
  const verdictAt = (kind: DivergenceKind, i: number, label: string, detail: string, before: S, after: S, expected: readonly NodeProjection[]): ReplayVerdict => {
    const why = session.explain(kind, before, after);
    if (why !== undefined && 'scheduleLeavesCore' in why) {
      return { verdict: 'conforms', steps: i - 1, abstracted, scheduleLeftCoreAt: { step: i, action: label, known: why.scheduleLeavesCore, detail: `${kind}: ${detail}` } };
    }
    const known = why === undefined ? undefined : { name: why.known, text: target.knownDifferences[why.known] ?? '(undocumented)' };
    return divergence(kind, i, label, detail, session.project(), expected, reproduce, known);
  };
  const compare = (i: number, label: string, before: S, after: S, expected: readonly NodeProjection[]): ReplayVerdict | undefined => {
    if (!same(session.project(), expected)) return verdictAt('diverging-state', i, label, session.mismatch, before, after, expected);
    const other = session.check(after);
    return other === undefined ? undefined : verdictAt(other.kind, i, label, other.detail, before, after, expected);
  };

  const first = compare(0, 'init', spec, spec, expectedAt(0, spec, spec));
  if (first !== undefined) return first;
  for (let i = 1; i < trace.states.length; i++) {
    const label = trace.states[i]![ACTION_TAKEN];
    const action = model.actions(spec).find((a) => model.formatAction(a) === label);
    const next = action === undefined ? undefined : model.next(spec, action);
    if (action === undefined || next === undefined) {
      if (judge === 'correct-spec') return { verdict: 'conforms', steps: i - 1, abstracted, scheduleLeftSpecAt: { step: i, action: label } };
      return invalid(i, `${label} is not an action of the spec${meta.mutant === null ? '' : ` (mutant ${meta.mutant})`} here`);
    }
    if (judge === 'trace' && !same(adapter.project(next), trace.states[i]![NODES])) return invalid(i, `after ${label} the spec's projection is not the trace's`);
    let kinds: readonly string[];
    try {
      kinds = session.perform(spec, action, next);
    } catch (error) {
      if (!(error instanceof Divergence)) throw error;
      return verdictAt(error.kind, i, label, error.detail, spec, next, expectedAt(i, next, session.judged(next)));
    }
    for (const kind of kinds) abstracted[kind] = (abstracted[kind] ?? 0) + 1;
    const mismatch = compare(i, label, spec, next, expectedAt(i, next, session.judged(next)));
    if (mismatch !== undefined) return mismatch;
    spec = next;
  }
  return { verdict: 'conforms', steps: trace.states.length - 1, abstracted };
}
