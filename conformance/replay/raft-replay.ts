// Replay of spec-generated Raft traces against impl/raft's core, in process.
// The trace gives the schedule; spec/raft runs alongside (lockstep) to name
// each action exactly and to hold the network, which is the spec's: raft.tla's
// bag of messages. A request the spec sends is delivered to the core as if
// the core's leader or candidate had sent it (translated message by
// message); the core's own requests are not transported, because when and
// in what batches a node sends is the core's policy (pipelining, batching,
// heartbeats), not the spec's. What is checked is how every node handles every
// message and what it answers, its state after every step, and its commits.
//
// | spec action                        | the core                                                        |
// | ---------------------------------- | --------------------------------------------------------------- |
// | Timeout(i)                         | ticks until the election timer fires (pre-vote off)             |
// | RequestVote(i, j), AppendEntries(i, j), Heartbeat(i, j) | none: the request enters the spec's network |
// | Receive(m), first step on m        | m translated and delivered; the core's answer compared          |
// | Receive(m), later steps on m       | none: the core handled m at once (see below)                    |
// | ClientRequest(i, v)                | Propose([v])                                                    |
// | ReadIndex(i)                       | ReadIndex(context = the spec's read number)                     |
// | Restart(i)                         | crash: the node restarts from what its Readys persisted         |
// | BecomeLeader, AdvanceCommitIndex, AnswerRead, RequestVote(i, i) and its messages | none: the core takes them at once |
// | DropMessage, DuplicateMessage      | none: the spec's network                                        |
//
// Atomicity. raft.tla splits what the core does in one step: a node adopts a
// newer term (UpdateTerm) and handles the message in a second step, removes
// one conflicting entry per step, appends one entry and acknowledges in a
// third; a candidate votes for itself by messaging itself; becoming leader,
// committing and answering a read are actions of their own. The core takes
// each of these at once (as a real node does). So the judge is not the spec's
// state itself but its eager closure: the spec's state after also taking,
// while any is enabled, the rest of the handling of every message the core has
// already been given, a candidate's vote for itself, BecomeLeader,
// AdvanceCommitIndex and AnswerRead. Those are spec actions, so the closure
// is a spec state: the core conforms when it is the spec with these actions
// taken eagerly. A schedule that interleaves another action at a node inside
// one of these (e.g. a Timeout between UpdateTerm and the handling) is one the
// core cannot take; the replay reports `atomicity` (known difference
// `atomic-step`) with the step.

import { assertNever } from '../../lib/assert.ts';
import { type RaftAction, nextState } from '../../spec/raft/actions.ts';
import { formatMessage } from '../../spec/raft/format.ts';
import { raftOptions, raftSpec } from '../../spec/raft/spec.ts';
import { NIL, type Message as SpecMessage, type RaftNode as SpecNode } from '../../spec/raft/types.ts';
import type { RaftCluster, RaftModelOptions } from '../../spec/raft/world.ts';
import type { Model } from '../../model-check/model.ts';
import type { RaftNode as CoreNode, Stored } from '../../impl/raft/node.ts';
import { type Message as CoreMessage, defaultConfig, NONE, type RaftBug } from '../../impl/raft/types.ts';
import { RaftWorld } from '../../impl/raft/world.ts';
import { projectRaft } from '../adapters/raft.ts';
import { ACTION_TAKEN, canonical, type ItfValue, NODES, type NodeProjection, type Trace } from '../trace.ts';
import { type DivergenceKind, formatDivergence } from './replay.ts';

export type RaftJudge = 'trace' | 'correct-spec';

export const RAFT_KNOWN_DIFFERENCES = {
  'atomic-step':
    'raft.tla lets another action at a node come between the steps of one message (UpdateTerm, then the handling; one entry removed or appended per step) or between a Timeout and the candidate\'s vote for itself; the core takes each of these in one step',
} as const;
export type RaftKnownDifference = keyof typeof RAFT_KNOWN_DIFFERENCES;

export type RaftReplayVerdict =
  | {
      readonly verdict: 'conforms';
      readonly steps: number;
      readonly abstracted: Readonly<Record<string, number>>;
      readonly scheduleLeftSpecAt?: { readonly step: number; readonly action: string };
      /** The step whose schedule the core cannot take (known difference atomic-step), the replay's end; with what differed there. */
      readonly scheduleLeftCoreAt?: { readonly step: number; readonly action: string; readonly detail: string };
    }
  | {
      readonly verdict: DivergenceKind;
      readonly step: number;
      readonly action: string;
      readonly detail: string;
      readonly known: RaftKnownDifference | undefined;
      readonly impl: readonly NodeProjection[];
      readonly spec: readonly NodeProjection[];
      readonly report: string;
    }
  | { readonly verdict: 'invalid'; readonly step: number; readonly error: string };

export interface RaftReplayOptions {
  readonly bugs?: ReadonlySet<RaftBug>;
  readonly judge?: RaftJudge;
  readonly reproduce?: string;
}

type RaftModel = Model<RaftCluster, RaftAction>;

class Divergence {
  constructor(
    readonly kind: DivergenceKind,
    readonly detail: string,
  ) {}
}

/** The core's projection, as the adapter projects a spec node (adapters/raft.ts). */
export function projectCore(node: CoreNode): NodeProjection {
  const role = node.role === 'leader' ? 'Leader' : node.role === 'candidate' ? 'Candidate' : 'Follower';
  return {
    state: role,
    currentTerm: node.term,
    votedFor: node.vote === NONE ? -1 : node.vote,
    log: node.log.entries.map((e) => [e.term, e.data[0] ?? 0]),
    commitIndex: role === 'Leader' ? node.commit : -1,
    readPending: role === 'Leader' && node.reads.length > 0,
  };
}

function storedOf(node: SpecNode): Stored {
  return {
    hardState: { term: node.currentTerm, vote: node.votedFor === NIL ? NONE : node.votedFor },
    snapshot: undefined,
    entries: node.log.map((e, k) => ({ index: k + 1, term: e.term, data: Uint8Array.of(e.value) })),
  };
}

/** A spec message as the core's (the spec's requests are delivered as if the core had sent them). */
export function coreMessage(m: SpecMessage): CoreMessage {
  const env = { term: m.mterm, from: m.msource, to: m.mdest };
  switch (m.mtype) {
    case 'RequestVoteRequest':
      return { ...env, type: 'RequestVote', lastLogIndex: m.mlastLogIndex, lastLogTerm: m.mlastLogTerm, preVote: false };
    case 'RequestVoteResponse':
      return { ...env, type: 'RequestVoteResponse', granted: m.mvoteGranted, preVote: false };
    case 'AppendEntriesRequest':
      return {
        ...env,
        type: 'AppendEntries',
        prevLogIndex: m.mprevLogIndex,
        prevLogTerm: m.mprevLogTerm,
        entries: m.mentries.map((e, k) => ({ index: m.mprevLogIndex + 1 + k, term: e.term, data: Uint8Array.of(e.value) })),
        commit: m.mcommitIndex,
      };
    case 'AppendEntriesResponse':
      // The spec's refusal names no index: -1 makes the core's leader treat it as stale (its nextIndex is not projected).
      return { ...env, type: 'AppendEntriesResponse', success: m.msuccess, matchIndex: m.mmatchIndex, rejectedIndex: m.msuccess ? 0 : -1, lastIndex: 0 };
    case 'HeartbeatRequest':
      return { ...env, type: 'Heartbeat', commit: 0, context: m.mreadSeq };
    case 'HeartbeatResponse':
      return { ...env, type: 'HeartbeatResponse', context: m.mreadSeq };
    default:
      return assertNever(m, 'Raft message');
  }
}

/** An answer of the core in formatMessage's words, to compare with the spec's. */
export function coreAnswerKey(m: CoreMessage): string | undefined {
  const route = `s${m.from}->s${m.to} term ${m.term}`;
  switch (m.type) {
    case 'RequestVoteResponse':
      return `RequestVoteResponse ${route} ${m.granted ? 'granted' : 'denied'}`;
    case 'AppendEntriesResponse':
      return `AppendEntriesResponse ${route} ${m.success ? `match ${m.matchIndex}` : 'rejected'}`;
    case 'HeartbeatResponse':
      return `HeartbeatResponse ${route} read ${m.context}`;
    case 'RequestVote':
    case 'AppendEntries':
    case 'Heartbeat':
    case 'InstallSnapshot':
      return undefined;
    default:
      return assertNever(m, 'Raft message');
  }
}

const isAnswer = (m: SpecMessage) => m.mtype === 'RequestVoteResponse' || m.mtype === 'AppendEntriesResponse' || m.mtype === 'HeartbeatResponse';

function copies(c: RaftCluster, key: string): number {
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

export function replayRaftTrace(trace: Trace, options: RaftReplayOptions = {}): RaftReplayVerdict {
  const meta = trace['#meta'];
  const judge = options.judge ?? 'trace';
  if (meta.spec !== 'raft') return { verdict: 'invalid', step: 0, error: `the Raft replay is for spec raft, the trace is for ${meta.spec}` };
  const mutant = judge === 'trace' ? (meta.mutant ?? undefined) : undefined;
  let model: RaftModel;
  let specOptions: RaftModelOptions;
  try {
    model = raftSpec.build(meta.bounds, mutant) as RaftModel;
    specOptions = raftOptions(meta.bounds, mutant);
  } catch (error) {
    return { verdict: 'invalid', step: 0, error: `bounds: ${(error as Error).message}` };
  }
  let spec = model.init()[0]!;
  if (canonical(projectRaft(spec) as ItfValue) !== canonical(trace.states[0]![NODES] as ItfValue)) return { verdict: 'invalid', step: 0, error: "the spec's initial state does not project to state 0 of the trace" };
  if (spec.messages.length > 0 || spec.nodes.some((n) => n.state !== 'Follower' || n.commitIndex !== 0)) {
    return { verdict: 'invalid', step: 0, error: 'replay: a trace must start with every server a follower, nothing committed and nothing in flight' };
  }
  const ids = spec.nodes.map((n) => n.id);
  const configs = ids.map((id) =>
    defaultConfig(id, ids, { preVote: false, checkQuorum: false, noopOnElection: false, seed: 1, ...(options.bugs !== undefined && options.bugs.size > 0 ? { bugs: options.bugs } : {}) }),
  );
  const world = new RaftWorld(configs, {}, spec.nodes.map(storedOf));
  const given = new Map<string, number>();
  const abstracted: Record<string, number> = {};
  const reproduce = options.reproduce ?? 'conformance/replay: replayRaftTrace(trace)';
  for (let i = 1; i < trace.states.length; i++) {
    const label = trace.states[i]![ACTION_TAKEN];
    const action = model.actions(spec).find((a) => model.formatAction(a) === label);
    const next = action === undefined ? undefined : model.next(spec, action);
    if (action === undefined || next === undefined) {
      if (judge === 'correct-spec') return { verdict: 'conforms', steps: i - 1, abstracted, scheduleLeftSpecAt: { step: i, action: label } };
      return { verdict: 'invalid', step: i, error: `${label} is not an action of the spec${meta.mutant === null ? '' : ` (mutant ${meta.mutant})`} here` };
    }
    if (judge === 'trace' && canonical(projectRaft(next) as ItfValue) !== canonical(trace.states[i]![NODES] as ItfValue)) {
      return { verdict: 'invalid', step: i, error: `after ${label} the spec's projection is not the trace's` };
    }
    // Mark a message the core is about to be given before the closure, which completes its handling.
    const fresh = action.type === 'Receive' && action.m.msource !== action.m.mdest && (given.get(formatMessage(action.m)) ?? 0) === 0;
    const atomic = interleavedInsideAtomicStep(spec, action, given);
    if (fresh) given.set(formatMessage(action.m), 1);
    const expected = eagerClosure(next, specOptions, given);
    if (fresh) given.set(formatMessage(action.m), 0);
    try {
      const kind = perform(world, spec, action, next, expected, given);
      if (kind !== undefined) abstracted[kind] = (abstracted[kind] ?? 0) + 1;
    } catch (error) {
      if (!(error instanceof Divergence)) throw error;
      return verdictOf(error.kind, i, label, error.detail, world, expected, reproduce, atomic, abstracted);
    }
    const impl = world.nodes.map((w) => projectCore(w.node));
    const judged = projectRaft(expected);
    if (canonical(impl as unknown as ItfValue) !== canonical(judged as unknown as ItfValue)) {
      return verdictOf('diverging-state', i, label, "the core's projection differs from the spec's (eager closure)", world, expected, reproduce, atomic, abstracted);
    }
    spec = next;
  }
  return { verdict: 'conforms', steps: trace.states.length - 1, abstracted };
}

/**
 * Whether `action` acts at a node inside one of the spec's split steps the
 * core takes at once: a message the core has been given is not yet fully
 * handled there, or a candidate has not yet voted for itself.
 */
function interleavedInsideAtomicStep(before: RaftCluster, action: RaftAction, given: ReadonlyMap<string, number>): boolean {
  // The network drops the rest of a message the core already handled whole (after UpdateTerm, say).
  if (action.type === 'DropMessage') return (given.get(formatMessage(action.m)) ?? 0) > 0;
  const at = action.type === 'Receive' ? action.m.mdest : action.type === 'DuplicateMessage' ? -1 : action.i;
  if (at < 0) return false;
  const own = action.type === 'Receive' ? formatMessage(action.m) : undefined;
  const unfinished = before.messages.some((item) => item.count > 0 && item.message.mdest === at && formatMessage(item.message) !== own && (given.get(formatMessage(item.message)) ?? 0) > 0);
  const node = before.nodes[at]!;
  const selfVotePending = node.state === 'Candidate' && (node.votesResponded & (1 << at)) === 0 && action.type !== 'RequestVote';
  return unfinished || selfVotePending;
}

function verdictOf(kind: DivergenceKind, step: number, action: string, detail: string, world: RaftWorld, expected: RaftCluster, reproduce: string, atomic: boolean, abstracted: Record<string, number>): RaftReplayVerdict {
  // A schedule the core's atomic steps cannot take ends the replay there, as a schedule the correct spec cannot take does.
  if (atomic) return { verdict: 'conforms', steps: step - 1, abstracted, scheduleLeftCoreAt: { step, action, detail: `${kind}: ${detail}` } };
  const impl = world.nodes.map((w) => projectCore(w.node));
  const spec = projectRaft(expected);
  const known: RaftKnownDifference | undefined = atomic ? 'atomic-step' : undefined;
  const report = formatDivergence(kind, step, action, detail, impl, spec, reproduce);
  return { verdict: kind, step, action, detail, known, impl, spec, report: known === undefined ? report : `${report}\nknown difference ${known}: ${RAFT_KNOWN_DIFFERENCES[known]}` };
}

/** Carries out one spec action on the cores; returns the abstraction's kind when the core takes no step for it. */
function perform(world: RaftWorld, before: RaftCluster, action: RaftAction, after: RaftCluster, expected: RaftCluster, given: Map<string, number>): string | undefined {
  world.inFlight = [];
  switch (action.type) {
    case 'Timeout':
      return timeout(world, action.i);
    case 'ClientRequest':
      world.input(action.i, { type: 'Propose', data: Uint8Array.of(action.v) });
      return undefined;
    case 'ReadIndex': {
      const ready = world.input(action.i, { type: 'ReadIndex', context: after.nodes[action.i]!.readSeq });
      if (ready !== undefined && ready.refused.length > 0) throw new Divergence('missing-action', `ReadIndex at s${action.i}: the core refuses (${ready.refused[0]!.reason})`);
      return undefined;
    }
    case 'Restart':
      world.crash(action.i);
      world.restart(action.i);
      return undefined;
    case 'Receive':
      return receive(world, before, action.m, after, expected, given);
    case 'DropMessage': {
      const key = formatMessage(action.m);
      if (given.has(key)) given.set(key, Math.min(given.get(key)!, copies(after, key)));
      return undefined;
    }
    case 'DuplicateMessage':
      return undefined;
    case 'RequestVote':
      return action.i === action.j ? 'a candidate votes for itself (the core at Timeout)' : undefined;
    case 'AppendEntries':
    case 'Heartbeat':
      return undefined;
    case 'BecomeLeader':
    case 'AdvanceCommitIndex':
    case 'AnswerRead':
      return `${action.type} (the core takes it as soon as it is enabled)`;
    default:
      return assertNever(action, 'Raft action');
  }
}

function timeout(world: RaftWorld, i: number): string | undefined {
  const w = world.nodes[i]!;
  if (w.node.role === 'leader') throw new Divergence('missing-action', `Timeout(s${i}): s${i} leads in the core, and a leader's timer never fires`);
  const term = w.node.term;
  for (let t = 0; t <= 2 * w.node.config.electionTicks; t++) {
    world.input(i, { type: 'Tick' });
    if (w.node.term > term) break;
  }
  if (w.node.term !== term + 1 || w.node.role === 'follower') throw new Divergence('missing-action', `Timeout(s${i}): the core did not campaign within two election timeouts`);
  world.inFlight = [];
  return undefined;
}

function receive(world: RaftWorld, before: RaftCluster, m: SpecMessage, after: RaftCluster, expected: RaftCluster, given: Map<string, number>): string | undefined {
  const key = formatMessage(m);
  if (m.msource === m.mdest) return 'a candidate votes for itself (the core at Timeout)';
  const consumed = copies(after, key) < copies(before, key);
  if ((given.get(key) ?? 0) > 0) {
    if (consumed) given.set(key, given.get(key)! - 1);
    return `a later step of ${m.mtype} (the core handled it at once)`;
  }
  world.input(m.mdest, { type: 'Receive', message: coreMessage(m) });
  const answers = world.inFlight.filter((x) => x.from === m.mdest && x.to === m.msource).flatMap((x) => coreAnswerKey(x) ?? []);
  world.inFlight = [];
  if (!consumed) given.set(key, (given.get(key) ?? 0) + 1);
  const specAnswers: string[] = [];
  for (const item of expected.messages) {
    const x = item.message;
    if (!isAnswer(x) || x.msource !== m.mdest || x.mdest !== m.msource) continue;
    const k = formatMessage(x);
    for (let c = copies(before, k); c < item.count; c++) specAnswers.push(k);
  }
  const mine = answers.sort().join(' | ');
  const theirs = specAnswers.sort().join(' | ');
  if (mine !== theirs) {
    throw new Divergence(answers.length < specAnswers.length ? 'missing-action' : 'unexpected-action', `answer to ${key}: core [${mine}], spec [${theirs}]`);
  }
  return undefined;
}
