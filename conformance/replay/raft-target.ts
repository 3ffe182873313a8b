// The replay target (target.ts) for Raft: impl/raft's sans-IO core in its
// world (impl/raft/world.ts), driven through spec/raft's traces by the one
// step loop (replay.ts). The network is the spec's: raft.tla's bag of
// messages. A request the spec sends is delivered to the core as if the
// core's leader or candidate had sent it (translated message by message); the
// core's own requests are not transported, because when and in what batches a
// node sends is the core's policy (pipelining, batching, heartbeats), not the
// spec's. What is checked is how every node handles every message and what it
// answers, its state after every step, and its commits.
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
// Atomicity. raft.tla splits what the core does in one step, so the judge is
// not the spec's state itself but its eager closure (raft-eager.ts): the
// session's `judged`. A schedule that interleaves another action at a node
// inside one of these splits (e.g. a Timeout between UpdateTerm and the
// handling) is one the core cannot take; a divergence there is explained as
// the schedule leaving the core (known difference `atomic-step`), and the
// replay ends at that step, conforming up to it.

import { assertNever } from '../../lib/assert.ts';
import type { RaftAction } from '../../spec/raft/actions.ts';
import { formatMessage } from '../../spec/raft/format.ts';
import { raftOptions } from '../../spec/raft/spec.ts';
import { NIL, type Message as SpecMessage, type RaftNode as SpecNode } from '../../spec/raft/types.ts';
import type { RaftCluster, RaftModelOptions } from '../../spec/raft/world.ts';
import type { RaftNode as CoreNode, Stored } from '../../impl/raft/node.ts';
import { type Message as CoreMessage, defaultConfig, NONE, RAFT_BUGS, type RaftBug } from '../../impl/raft/types.ts';
import { RaftWorld } from '../../impl/raft/world.ts';
import { raftAdapter } from '../adapters/raft.ts';
import type { NodeProjection } from '../trace.ts';
import { copies, eagerClosure, eagerWalks } from './raft-eager.ts';
import { Divergence, type Explanation, type ReplayOptions, type ReplaySession, type ReplayTarget } from './target.ts';

export const RAFT_KNOWN_DIFFERENCES = {
  'atomic-step':
    'raft.tla lets another action at a node come between the steps of one message (UpdateTerm, then the handling; one entry removed or appended per step) or between a Timeout and the candidate\'s vote for itself; the core takes each of these in one step',
} as const;

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

/** The Raft core's session: one RaftWorld of cores restarted from the spec's initial nodes, and what it has been given of the spec's network. */
class RaftCoreSession implements ReplaySession<RaftCluster, RaftAction> {
  readonly mismatch = "the core's projection differs from the spec's (eager closure)";
  /** Messages (by formatMessage) the core has been given and handled whole, while the spec still holds steps of them: how many copies. */
  private readonly given = new Map<string, number>();
  /** This step's eager closure, and whether the step acts inside one of the spec's split steps. */
  private expected: RaftCluster | undefined;
  private atomic = false;

  constructor(
    private readonly world: RaftWorld,
    private readonly options: RaftModelOptions,
  ) {}

  perform(before: RaftCluster, action: RaftAction, after: RaftCluster): readonly string[] {
    const given = this.given;
    // Mark a message the core is about to be given before the closure, which completes its handling.
    const fresh = action.type === 'Receive' && action.m.msource !== action.m.mdest && (given.get(formatMessage(action.m)) ?? 0) === 0;
    this.atomic = interleavedInsideAtomicStep(before, action, given);
    if (fresh) given.set(formatMessage(action.m), 1);
    this.expected = eagerClosure(after, this.options, given);
    if (fresh) given.set(formatMessage(action.m), 0);
    const kind = perform(this.world, before, action, after, this.expected, given);
    return kind === undefined ? [] : [kind];
  }

  judged(after: RaftCluster): RaftCluster {
    return this.expected ?? after;
  }

  project(): NodeProjection[] {
    return this.world.nodes.map((w) => projectCore(w.node));
  }

  check(): Divergence | undefined {
    return undefined;
  }

  explain(): Explanation {
    // A schedule the core's atomic steps cannot take ends the replay there, as a schedule the correct spec cannot take does.
    return this.atomic ? { scheduleLeavesCore: 'atomic-step' } : undefined;
  }
}

/** spec/raft's traces against impl/raft's core. */
export const raftTarget: ReplayTarget<RaftCluster, RaftAction> = {
  adapter: raftAdapter,
  implementation: 'impl/raft',
  bugs: RAFT_BUGS,
  knownDifferences: RAFT_KNOWN_DIFFERENCES,
  presets: ['ci', 'restarts', 'elections'],
  walksPerPreset: 50,
  notReplayable: { 'stale-read': 'its spec start is a scripted state with a leader (the preset deposed-leader); a core starts from its storage, as a follower' },
  ownOptions: [],
  walks: eagerWalks,
  start(init: RaftCluster, bounds, mutant, options: ReplayOptions) {
    if (init.messages.length > 0 || init.nodes.some((n) => n.state !== 'Follower' || n.commitIndex !== 0)) {
      return { invalid: 'replay: a trace must start with every server a follower, nothing committed and nothing in flight' };
    }
    const bugs = options.bugs as ReadonlySet<RaftBug> | undefined;
    const ids = init.nodes.map((n) => n.id);
    const configs = ids.map((id) => defaultConfig(id, ids, { preVote: false, checkQuorum: false, noopOnElection: false, seed: 1, ...(bugs !== undefined && bugs.size > 0 ? { bugs } : {}) }));
    return new RaftCoreSession(new RaftWorld(configs, {}, init.nodes.map(storedOf)), raftOptions(bounds, mutant));
  },
};


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
