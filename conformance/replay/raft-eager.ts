// Raft's eager closure and the walks taken under it (raft-target.ts's judge and
// the suite's walks of spec/raft).
//
// raft.tla splits what impl/raft's core does in one step: a node adopts a
// newer term (UpdateTerm) and handles the message in a second step, removes
// one conflicting entry per step, appends one entry and acknowledges in a
// third; a candidate votes for itself by messaging itself; becoming leader,
// committing and answering a read are actions of their own. The core takes
// each of these at once (as a real node does). The eager closure of a spec
// state is that state after also taking, while any is enabled, the rest of the
// handling of every message the core has already been given, a candidate's
// vote for itself, BecomeLeader, AdvanceCommitIndex and AnswerRead. Those are
// spec actions, so the closure is a spec state: the core conforms when it is
// the spec with these actions taken eagerly.
//
// The suite's walks are taken under an eager scheduler: after each random
// action the walk takes, as trace steps, the closure's actions, so that most
// of a walk is a schedule the core can follow. Plain random walks of raft.tla
// mostly interleave inside those split steps within a few actions (measured:
// a fifth of their steps replayed).

import { Random } from '../../lib/random.ts';
import type { Model } from '../../model-check/model.ts';
import { type RaftAction, nextState } from '../../spec/raft/actions.ts';
import { formatMessage } from '../../spec/raft/format.ts';
import { raftOptions, raftSpec } from '../../spec/raft/spec.ts';
import type { RaftCluster, RaftModelOptions } from '../../spec/raft/world.ts';
import { raftAdapter } from '../adapters/raft.ts';
import { presetBounds, successor, traceOf } from '../generate.ts';
import type { Trace } from '../trace.ts';

/** The copies of a message (by formatMessage) in flight. */
export function copies(c: RaftCluster, key: string): number {
  let n = 0;
  for (const item of c.messages) if (formatMessage(item.message) === key) n += item.count;
  return n;
}

/**
 * The eager closure of a spec state (see the header): the rest of the handling
 * of messages the core has been given, candidates' votes for themselves,
 * BecomeLeader, AdvanceCommitIndex and AnswerRead, while any is enabled.
 */
export function eagerClosure(state: RaftCluster, options: RaftModelOptions, given: ReadonlyMap<string, number>): RaftCluster {
  let s = state;
  for (let round = 0; round < 256; round++) {
    const t = eagerStep(s, options, given);
    if (t === undefined) return s;
    s = t.state;
  }
  throw new Error('raft replay: the eager closure does not settle in 256 steps');
}

/** The closure's actions enabled in `s` that change it, in the closure's order of preference. */
export function eagerActions(s: RaftCluster, given: ReadonlyMap<string, number>): RaftAction[] {
  const out: RaftAction[] = [];
  for (const item of s.messages) {
    const m = item.message;
    if (item.count > 0 && ((given.get(formatMessage(m)) ?? 0) > 0 || m.msource === m.mdest)) out.push({ type: 'Receive', m });
  }
  for (const node of s.nodes) {
    const i = node.id;
    if (node.state === 'Candidate' && (node.votesResponded & (1 << i)) === 0 && !s.messages.some((x) => x.message.msource === i && x.message.mdest === i)) out.push({ type: 'RequestVote', i, j: i });
    out.push({ type: 'BecomeLeader', i }, { type: 'AdvanceCommitIndex', i }, { type: 'AnswerRead', i });
  }
  return out;
}

/** One step of the closure: the first of eagerActions that changes the state. */
export function eagerStep(s: RaftCluster, options: RaftModelOptions, given: ReadonlyMap<string, number>, allowed: (t: RaftCluster) => boolean = () => true): { action: RaftAction; state: RaftCluster } | undefined {
  for (const action of eagerActions(s, given)) {
    const t = nextState(s, action, options);
    if (t !== undefined && !(t.nodes === s.nodes && t.messages === s.messages) && allowed(t)) return { action, state: t };
  }
  return undefined;
}

type RaftModel = Model<RaftCluster, RaftAction>;

/**
 * Seeded walks under the eager scheduler (see the header). Their bounds are
 * the preset's with two more messages in flight allowed (a candidate's vote
 * for itself is two messages to itself), recorded in each trace.
 */
export function eagerWalks(preset: string, walks: number, seed: number, depthMax: number): Trace[] {
  const base = presetBounds(raftAdapter, preset);
  const bounds: Record<string, number | boolean> = { ...base };
  if (typeof base.maxMessages === 'number' && base.maxMessages > 0) bounds.maxMessages = base.maxMessages + 2;
  const model = raftSpec.build(bounds, undefined) as RaftModel;
  const options = raftOptions(bounds, undefined);
  const traces: Trace[] = [];
  for (let w = 0; w < walks; w++) {
    const random = new Random(seed + w);
    const init = model.init()[0]!;
    const actions: RaftAction[] = [];
    const given = new Map<string, number>();
    let state = init;
    const take = (action: RaftAction, next: RaftCluster) => {
      if (action.type === 'Receive' || action.type === 'DropMessage') {
        const key = formatMessage(action.m);
        if (action.type === 'Receive' && copies(next, key) >= copies(state, key)) given.set(key, 1);
        else given.delete(key);
      }
      actions.push(action);
      state = next;
    };
    while (actions.length < depthMax) {
      const eager = eagerStep(state, options, given, (t) => model.withinBoundary(t));
      if (eager !== undefined) {
        take(eager.action, eager.state);
        continue;
      }
      const enabled = model.actions(state).filter((a) => successor(model, state, a) !== undefined);
      if (enabled.length === 0) break;
      const action = enabled[random.nextInt(enabled.length)]!;
      take(action, model.next(state, action)!);
    }
    const meta = { source: 'spec' as const, spec: 'raft', preset, bounds, mutant: null, seed: seed + w, description: `eager walk, seed ${seed + w}` };
    traces.push(traceOf(raftAdapter, model, meta, init, actions));
  }
  return traces;
}
