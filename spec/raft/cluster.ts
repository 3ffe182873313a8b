// The Raft cluster as the model checker explores it: the servers (step.ts),
// the network as raft.tla's bag of messages `[Message -> count]`, raft.tla's
// history variables, and our ghost variables that only invariants read. Every
// action is one of raft.tla's Next disjuncts (plus ReadIndex's three):
//
//   Restart(i)  Timeout(i)  RequestVote(i, j)  BecomeLeader(i)
//   ClientRequest(i, v)  AdvanceCommitIndex(i)  AppendEntries(i, j)
//   Receive(m)  DuplicateMessage(m)  DropMessage(m)
//   ReadIndex(i)  Heartbeat(i, j)  AnswerRead(i)
//
// The bounds are TLC's: a state CONSTRAINT (withinBoundary) discards states
// whose terms, logs or message copies exceed them, exactly as a TLC model of
// raft.tla with `currentTerm[i] <= MaxTerm /\ Len(log[i]) <= MaxLogLength /\
// \A m \in DOMAIN messages : messages[m] <= MaxCopies` would. Fault actions
// (Restart, DuplicateMessage, DropMessage) are switched on and off as whole
// disjuncts of Next, as such a model would by overriding Next.

import { assert, assertNever } from '../../lib/assert.ts';
import type { Model, Permutation, Property, StateSink } from '../../model-check/model.ts';
import { sameNode, step, initialNode } from './step.ts';
import { raftProperties } from './invariants.ts';
import {
  EMPTY_LOG,
  NIL,
  type Entry,
  type Log,
  type Message,
  type MutantName,
  type RaftConfig,
  type RaftEvent,
  type RaftNode,
  type ServerSet,
  type ServerState,
} from './types.ts';

// ---------------------------------------------------------------------------
// State.

/**
 * One message and how many copies of it are in flight (a bag item; count >= 1,
 * or 0 under keepDelivered: a delivered message the fork keeps in the domain).
 */
export interface InFlight {
  readonly message: Message;
  readonly count: number;
}

/** raft.tla's `elections`: one record per successful election (BecomeLeader). */
export interface Election {
  readonly eterm: number;
  readonly eleader: number;
  readonly elog: Log;
  readonly evotes: ServerSet;
  /** The voters' logs as carried by their votes (index = voter id). */
  readonly evoterLog: readonly (Log | undefined)[];
}

/**
 * raft.tla's proof-only history variables (`elections`, `allLogs`). They are
 * part of TLC's state, so they are kept (and fingerprinted) only when the
 * `history` bound asks for a state space the same as TLC's on raft.tla.
 */
export interface History {
  readonly elections: readonly Election[];
  /** Every log any server has held in an earlier state (raft.tla updates it from the unprimed logs). */
  readonly allLogs: readonly Log[];
}

/** An entry some leader marked committed (AdvanceCommitIndex), and the leader's term then. */
export interface CommittedEntry {
  readonly index: number;
  readonly term: number;
  readonly committedInTerm: number;
}

/** A ReadIndex read: what it must see (the writes committed when it began) and what it saw. */
export interface ReadRecord {
  readonly leader: number;
  readonly term: number;
  readonly seq: number;
  readonly mustInclude: readonly CommittedEntry[];
  /** The log prefix the read was answered with; undefined while pending or abandoned. */
  readonly answer: Log | undefined;
}

/** A successful election: who won which term, with which log (for LeaderAppendOnly). */
export interface Elected {
  readonly term: number;
  readonly leader: number;
  readonly log: Log;
}

/** An entry a server removed from its log because it conflicted (raft.tla's "conflict: remove 1 entry"). */
export interface RemovedEntry {
  readonly server: number;
  readonly index: number;
  readonly term: number;
}

/** Ghost variables (DESIGN.md): read only by invariants; never by a server. */
export interface Ghost {
  /** Every entry ever committed, by (index, term). */
  readonly committed: readonly CommittedEntry[];
  /** Every leader ever elected. */
  readonly leaders: readonly Elected[];
  /** Every entry ever removed from a log. */
  readonly removed: readonly RemovedEntry[];
  readonly reads: readonly ReadRecord[];
}

/**
 * The fork's instrumentation variables (README.md, "Side by side with TLC"):
 * `maxc`, the client requests taken so far in the whole run, and
 * `leaderCount`, how many times each server became leader. Part of the state
 * (and the fingerprint) only when maxClientRequests / maxBecomeLeader bound them.
 */
export interface Counters {
  readonly clientRequests: number;
  /** Index = server id. */
  readonly timesLeader: readonly number[];
}

export interface RaftCluster {
  readonly nodes: readonly RaftNode[];
  readonly messages: readonly InFlight[];
  readonly history: History;
  readonly ghost: Ghost;
  readonly counters: Counters;
}

// ---------------------------------------------------------------------------
// Actions: raft.tla's Next disjuncts with their parameters.

export type RaftAction =
  | { readonly type: 'Restart'; readonly i: number }
  | { readonly type: 'Timeout'; readonly i: number }
  | { readonly type: 'RequestVote'; readonly i: number; readonly j: number }
  | { readonly type: 'BecomeLeader'; readonly i: number }
  | { readonly type: 'ClientRequest'; readonly i: number; readonly v: number }
  | { readonly type: 'AdvanceCommitIndex'; readonly i: number }
  | { readonly type: 'AppendEntries'; readonly i: number; readonly j: number }
  | { readonly type: 'Receive'; readonly m: Message }
  | { readonly type: 'DuplicateMessage'; readonly m: Message }
  | { readonly type: 'DropMessage'; readonly m: Message }
  | { readonly type: 'ReadIndex'; readonly i: number }
  | { readonly type: 'Heartbeat'; readonly i: number; readonly j: number }
  | { readonly type: 'AnswerRead'; readonly i: number };

// ---------------------------------------------------------------------------
// Options (spec.ts maps the checker's bounds onto these).

export interface RaftModelOptions {
  readonly servers: number;
  /** raft.tla's Value: values 1..values. */
  readonly values: number;
  readonly maxTerm: number;
  readonly maxLogLength: number;
  /** Copies of one message in flight at most (TLC: `messages[m] <= MaxCopies`). */
  readonly maxCopies: number;
  /** Distinct messages in flight at most (TLC: `Cardinality(DOMAIN messages) <= MaxMessages`); 0: no bound. */
  readonly maxMessages: number;
  readonly restart: boolean;
  readonly duplicate: boolean;
  readonly drop: boolean;
  readonly symmetry: boolean;
  /** Keep raft.tla's history variables (elections, allLogs, voterLog, mlog) in the state. */
  readonly history: boolean;
  /** ReadIndex reads that may be issued in a run (0 = reads off). */
  readonly reads: number;
  /** Fingerprint the ghost variables too (exact; off only to compare counts with TLC). */
  readonly fingerprintGhost: boolean;
  // Ovidiu Marcu's fork of raft.tla (README.md, "Side by side with TLC"); each off is raft.tla.
  /** Delivered messages stay in the bag with count 0, and a message already in the domain is never added again. */
  readonly keepDelivered: boolean;
  /** RequestVote(i, i): a candidate's vote for itself goes through a message (raft.tla); false: the fork's i /= j. */
  readonly selfVote: boolean;
  /** Timeout(i) only while currentTerm[i] < maxTerm (the fork's guard; raft.tla leaves it to the constraint). */
  readonly timeoutBelowMaxTerm: boolean;
  /** ClientRequest only while fewer than this many were taken in the run (the fork's maxc); 0: no bound. */
  readonly maxClientRequests: number;
  /** BecomeLeader(i) only while i became leader fewer than this many times (the fork's leaderCount); 0: no bound. */
  readonly maxBecomeLeader: number;
  /** The fork's HandleAppendEntriesRequest/Response: commitIndex and matchIndex never decrease (step.ts). */
  readonly monotonicIndexes: boolean;
  /** Start from this state instead of raft.tla's Init (scenarios.ts builds them). */
  readonly start?: RaftCluster;
  readonly mutant: MutantName | undefined;
}

// ---------------------------------------------------------------------------
// The model.

export function raftModel(options: RaftModelOptions): Model<RaftCluster, RaftAction> {
  const n = options.servers;
  assert(Number.isInteger(n) && n >= 1 && n <= 7, () => `servers ${n}: expected 1..7`);
  assert(Number.isInteger(options.values) && options.values >= 1, () => `values ${options.values}: expected >= 1`);
  assert(options.maxCopies >= 1, () => `maxCopies ${options.maxCopies}: expected >= 1`);
  const config: RaftConfig = {
    servers: n,
    history: options.history,
    mutant: options.mutant,
    ...(options.monotonicIndexes ? { monotonicIndexes: true } : {}),
  };
  const properties: readonly Property<RaftCluster>[] = raftProperties(options);
  const encoders = new WeakMap<Permutation, ClusterEncoder>();

  return {
    init: () => [options.start ?? initialCluster(config)],
    actions: (state) => enabledActions(state, options),
    next: (state, action) => nextState(state, action, options),
    properties,
    withinBoundary: (state) => isWithinBounds(state, options),
    encode(state, sink, perm) {
      let encoder = encoders.get(perm);
      if (encoder === undefined) {
        encoder = new ClusterEncoder(perm, options);
        encoders.set(perm, encoder);
      }
      encoder.encode(state, sink);
    },
    ...(options.symmetry ? { symmetry: { servers: n, signature } } : {}),
    formatAction,
    view,
  };
}

/**
 * What a server is, without naming any server (model.ts, Symmetry.signature):
 * its term, role, log length and commit index. Servers that differ here are
 * never swapped by a canonical permutation, so the checker tries fewer.
 */
function signature(state: RaftCluster, server: number): number {
  const node = state.nodes[server]!;
  return ((node.currentTerm * 4 + STATE_CODE[node.state]) * 64 + node.log.length) * 64 + node.commitIndex;
}

export function initialCluster(config: RaftConfig): RaftCluster {
  const nodes: RaftNode[] = [];
  for (let i = 0; i < config.servers; i++) nodes.push(initialNode(config, i));
  return {
    nodes,
    messages: [],
    history: { elections: [], allLogs: [] },
    ghost: { committed: [], leaders: [], removed: [], reads: [] },
    counters: { clientRequests: 0, timesLeader: new Array<number>(config.servers).fill(0) },
  };
}

function isWithinBounds(state: RaftCluster, options: RaftModelOptions): boolean {
  for (const node of state.nodes) {
    if (node.currentTerm > options.maxTerm || node.log.length > options.maxLogLength) return false;
  }
  for (const item of state.messages) if (item.count > options.maxCopies) return false;
  return options.maxMessages === 0 || state.messages.length <= options.maxMessages;
}

// Actions are listed when their cheap guard holds (raft.tla's first conjuncts);
// next() applies the rest of the enabling condition through step().
function enabledActions(state: RaftCluster, options: RaftModelOptions): RaftAction[] {
  const n = options.servers;
  const out: RaftAction[] = [];
  for (let i = 0; i < n; i++) {
    const node = state.nodes[i]!;
    if (options.restart) out.push({ type: 'Restart', i });
    const role: ServerState = node.state;
    if (role !== 'Leader' && (!options.timeoutBelowMaxTerm || node.currentTerm < options.maxTerm)) out.push({ type: 'Timeout', i });
    if (role === 'Candidate') {
      for (let j = 0; j < n; j++) {
        if ((node.votesResponded & (1 << j)) === 0 && (options.selfVote || j !== i)) out.push({ type: 'RequestVote', i, j });
      }
      if (options.maxBecomeLeader === 0 || state.counters.timesLeader[i]! < options.maxBecomeLeader) out.push({ type: 'BecomeLeader', i });
    }
    if (role === 'Leader') {
      if (options.maxClientRequests === 0 || state.counters.clientRequests < options.maxClientRequests) {
        for (let v = 1; v <= options.values; v++) out.push({ type: 'ClientRequest', i, v });
      }
      out.push({ type: 'AdvanceCommitIndex', i });
      for (let j = 0; j < n; j++) if (j !== i) out.push({ type: 'AppendEntries', i, j });
      if (options.reads > 0) {
        if (node.pendingRead === undefined) {
          if (state.ghost.reads.length < options.reads) out.push({ type: 'ReadIndex', i });
        } else {
          for (let j = 0; j < n; j++) if ((node.pendingRead.acks & (1 << j)) === 0) out.push({ type: 'Heartbeat', i, j });
          out.push({ type: 'AnswerRead', i });
        }
      }
    }
  }
  for (const item of state.messages) {
    if (item.count === 0) continue; // delivered, kept by keepDelivered: the fork's ValidMessage excludes it
    out.push({ type: 'Receive', m: item.message });
    if (options.duplicate) out.push({ type: 'DuplicateMessage', m: item.message });
    if (options.drop) out.push({ type: 'DropMessage', m: item.message });
  }
  return out;
}

function nextState(state: RaftCluster, action: RaftAction, options: RaftModelOptions): RaftCluster | undefined {
  switch (action.type) {
    case 'DuplicateMessage':
      return withAllLogs(state, { ...state, messages: withMessage(action.m, state.messages, options.keepDelivered) }, options);
    case 'DropMessage':
      return withAllLogs(state, { ...state, messages: withoutMessage(action.m, state.messages, options.keepDelivered) }, options);
    case 'Receive':
      return applyStep(state, action.m.mdest, { type: 'Receive', message: action.m }, action, options);
    case 'Restart':
    case 'Timeout':
    case 'BecomeLeader':
    case 'AdvanceCommitIndex':
    case 'ReadIndex':
    case 'AnswerRead':
      return applyStep(state, action.i, { type: action.type }, action, options);
    case 'RequestVote':
    case 'AppendEntries':
    case 'Heartbeat':
      return applyStep(state, action.i, { type: action.type, peer: action.j }, action, options);
    case 'ClientRequest':
      return options.maxClientRequests === 0 ? applyStep(state, action.i, { type: 'ClientRequest', value: action.v }, action, options) : countedClientRequest(state, action, options);
    default:
      return assertNever(action, 'Raft action');
  }
}

/**
 * The fork's ClientRequest(i, v): taken only while maxc < MaxClientRequests
 * (enabledActions); if i's log already holds v in its current term the step
 * changes nothing but allLogs, otherwise it appends v and counts it in maxc.
 */
function countedClientRequest(state: RaftCluster, action: Extract<RaftAction, { type: 'ClientRequest' }>, options: RaftModelOptions): RaftCluster | undefined {
  const node = state.nodes[action.i]!;
  if (node.state !== 'Leader') return undefined;
  if (node.log.some((e) => e.value === action.v && e.term === node.currentTerm)) return withAllLogs(state, state, options);
  const after = applyStep(state, action.i, { type: 'ClientRequest', value: action.v }, action, options);
  if (after === undefined) return undefined;
  return { ...after, counters: { ...after.counters, clientRequests: after.counters.clientRequests + 1 } };
}

// Restart and AdvanceCommitIndex are enabled whenever their guard holds, even
// when they change nothing in the server (TLC still takes the step, and with
// the history kept, allLogs may grow). Every other action is not enabled when
// step() declines it.
function isEnabledWithoutChange(action: RaftAction): boolean {
  return action.type === 'Restart' || action.type === 'AdvanceCommitIndex';
}

function applyStep(
  state: RaftCluster,
  i: number,
  event: RaftEvent,
  action: RaftAction,
  options: RaftModelOptions,
): RaftCluster | undefined {
  const before = state.nodes[i]!;
  const { state: after, effects } = step(before, event);
  if (after === before && effects.length === 0) {
    return isEnabledWithoutChange(action) ? withAllLogs(state, state, options) : undefined;
  }
  let messages = state.messages;
  let ghost = state.ghost;
  for (const effect of effects) {
    switch (effect.type) {
      case 'Persist':
        // currentTerm, votedFor and log live in the node and survive Restart: nothing to do.
        break;
      case 'Send':
        messages = withMessage(effect.message, messages, options.keepDelivered);
        break;
      case 'Discard':
        assert(action.type === 'Receive', () => `Discard from ${action.type}`);
        messages = withoutMessage(action.m, messages, options.keepDelivered);
        break;
      case 'AnswerRead':
        ghost = answered(ghost, i, before.currentTerm, effect.seq, effect.entries);
        break;
      default:
        assertNever(effect, 'Raft effect');
    }
  }
  let history = state.history;
  let counters = state.counters;
  if (before.state !== 'Leader' && after.state === 'Leader') {
    ghost = { ...ghost, leaders: [...ghost.leaders, { term: after.currentTerm, leader: i, log: after.log }] };
    if (options.history) history = { ...history, elections: withElection(history.elections, before) };
    if (options.maxBecomeLeader > 0) {
      const timesLeader = counters.timesLeader.slice();
      timesLeader[i] = timesLeader[i]! + 1;
      counters = { ...counters, timesLeader };
    }
  }
  if (after.log.length < before.log.length) {
    const removed = ghost.removed.slice();
    for (let index = after.log.length + 1; index <= before.log.length; index++) {
      const term = before.log[index - 1]!.term;
      if (!removed.some((r) => r.server === i && r.index === index && r.term === term)) removed.push({ server: i, index, term });
    }
    ghost = { ...ghost, removed };
  }
  if (after.state === 'Leader' && after.commitIndex > before.commitIndex) {
    ghost = withCommitted(ghost, after, before.commitIndex);
  }
  if (after.pendingRead !== undefined && after.pendingRead !== before.pendingRead && before.pendingRead === undefined) {
    ghost = {
      ...ghost,
      reads: [
        ...ghost.reads,
        { leader: i, term: after.currentTerm, seq: after.pendingRead.seq, mustInclude: ghost.committed, answer: undefined },
      ],
    };
  }
  const nodes = after === before ? state.nodes : replacedNode(state.nodes, i, after);
  return withAllLogs(state, { nodes, messages, history, ghost, counters }, options);
}

function replacedNode(nodes: readonly RaftNode[], i: number, node: RaftNode): RaftNode[] {
  const out = nodes.slice();
  out[i] = node;
  return out;
}

/** raft.tla's Next conjunct `allLogs' = allLogs \cup {log[i] : i \in Server}` (from the unprimed logs). */
function withAllLogs(before: RaftCluster, after: RaftCluster, options: RaftModelOptions): RaftCluster {
  if (!options.history) return after;
  let allLogs = after.history.allLogs;
  for (const node of before.nodes) {
    if (!allLogs.some((l) => logsEqual(l, node.log))) allLogs = [...allLogs, node.log];
  }
  if (allLogs === after.history.allLogs) return after;
  return { ...after, history: { ...after.history, allLogs } };
}

/** BecomeLeader's history: `elections' = elections \cup {[eterm, eleader, elog, evotes, evoterLog]}`. */
function withElection(elections: readonly Election[], candidate: RaftNode): readonly Election[] {
  const election: Election = {
    eterm: candidate.currentTerm,
    eleader: candidate.id,
    elog: candidate.log,
    evotes: candidate.votesGranted,
    evoterLog: candidate.voterLog,
  };
  if (elections.some((e) => electionsEqual(e, election))) return elections;
  return [...elections, election];
}

function withCommitted(ghost: Ghost, leader: RaftNode, fromIndex: number): Ghost {
  let committed = ghost.committed;
  for (let index = fromIndex + 1; index <= leader.commitIndex; index++) {
    const term = leader.log[index - 1]!.term;
    if (!committed.some((c) => c.index === index && c.term === term)) {
      committed = [...committed, { index, term, committedInTerm: leader.currentTerm }];
    }
  }
  return committed === ghost.committed ? ghost : { ...ghost, committed };
}

function answered(ghost: Ghost, leader: number, term: number, seq: number, entries: Log): Ghost {
  const k = ghost.reads.findIndex((r) => r.leader === leader && r.term === term && r.seq === seq && r.answer === undefined);
  assert(k >= 0, () => `answer for unknown read ${seq} of s${leader} in term ${term}`);
  const reads = ghost.reads.slice();
  reads[k] = { ...reads[k]!, answer: entries };
  return { ...ghost, reads };
}

// ---------------------------------------------------------------------------
// The message bag: raft.tla's WithMessage and WithoutMessage over `[M -> count]`.

/**
 * WithMessage(m, msgs): one more copy of m. Under keepDelivered (the fork) a
 * message already in the domain, even delivered (count 0), is left as it is:
 * the same message is never sent twice.
 */
export function withMessage(m: Message, bag: readonly InFlight[], keepDelivered = false): readonly InFlight[] {
  for (let k = 0; k < bag.length; k++) {
    const item = bag[k]!;
    if (messagesEqual(item.message, m)) {
      if (keepDelivered) return bag;
      const out = bag.slice();
      out[k] = { message: item.message, count: item.count + 1 };
      return out;
    }
  }
  return [...bag, { message: m, count: 1 }];
}

/**
 * WithoutMessage(m, msgs): one copy fewer; the last copy leaves the bag's
 * domain (raft.tla since 2024), or under keepDelivered (the fork, as raft.tla
 * before 2024) stays in it with count 0.
 */
export function withoutMessage(m: Message, bag: readonly InFlight[], keepDelivered = false): readonly InFlight[] {
  for (let k = 0; k < bag.length; k++) {
    const item = bag[k]!;
    if (item.message === m || messagesEqual(item.message, m)) {
      const out = bag.slice();
      if (keepDelivered) out[k] = { message: item.message, count: Math.max(item.count - 1, 0) };
      else if (item.count <= 1) out.splice(k, 1);
      else out[k] = { message: item.message, count: item.count - 1 };
      return out;
    }
  }
  return bag;
}

export function logsEqual(a: Log, b: Log): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false; // entries are interned
  return true;
}

export function messagesEqual(a: Message, b: Message): boolean {
  if (a === b) return true;
  if (a.mtype !== b.mtype || a.mterm !== b.mterm || a.msource !== b.msource || a.mdest !== b.mdest) return false;
  switch (a.mtype) {
    case 'RequestVoteRequest': {
      const o = b as typeof a;
      return a.mlastLogTerm === o.mlastLogTerm && a.mlastLogIndex === o.mlastLogIndex;
    }
    case 'RequestVoteResponse': {
      const o = b as typeof a;
      return a.mvoteGranted === o.mvoteGranted && logsEqual(a.mlog, o.mlog);
    }
    case 'AppendEntriesRequest': {
      const o = b as typeof a;
      return (
        a.mprevLogIndex === o.mprevLogIndex &&
        a.mprevLogTerm === o.mprevLogTerm &&
        a.mcommitIndex === o.mcommitIndex &&
        logsEqual(a.mentries, o.mentries) &&
        logsEqual(a.mlog, o.mlog)
      );
    }
    case 'AppendEntriesResponse': {
      const o = b as typeof a;
      return a.msuccess === o.msuccess && a.mmatchIndex === o.mmatchIndex;
    }
    case 'HeartbeatRequest':
    case 'HeartbeatResponse':
      return a.mreadSeq === (b as typeof a).mreadSeq;
    default:
      return assertNever(a, 'Raft message');
  }
}

function electionsEqual(a: Election, b: Election): boolean {
  return (
    a.eterm === b.eterm &&
    a.eleader === b.eleader &&
    a.evotes === b.evotes &&
    logsEqual(a.elog, b.elog) &&
    voterLogsEqual(a.evoterLog, b.evoterLog)
  );
}

function voterLogsEqual(a: readonly (Log | undefined)[], b: readonly (Log | undefined)[]): boolean {
  const length = Math.max(a.length, b.length);
  for (let k = 0; k < length; k++) {
    const x = a[k];
    const y = b[k];
    if (x === undefined || y === undefined ? x !== y : !logsEqual(x, y)) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Canonical encoding under a permutation of server ids (TLC's SYMMETRY): the
// servers are written in the order of their new ids, every id written is
// mapped, and every set of ids is written as a mapped bit mask. Sets and bags
// (messages, allLogs, elections, ghosts) go through sink.unordered.

const STATE_CODE: Readonly<Record<ServerState, number>> = { Follower: 0, Candidate: 1, Leader: 2 };
const MTYPE_CODE = {
  RequestVoteRequest: 0,
  RequestVoteResponse: 1,
  AppendEntriesRequest: 2,
  AppendEntriesResponse: 3,
  HeartbeatRequest: 4,
  HeartbeatResponse: 5,
} as const;

class ClusterEncoder {
  private readonly map: readonly number[];
  private readonly inverse: readonly number[];
  private readonly history: boolean;
  private readonly reads: boolean;
  private readonly fingerprintGhost: boolean;
  private readonly clientRequests: boolean;
  private readonly timesLeader: boolean;
  // Bound once so that sink.unordered gets the same function object every time.
  private readonly encodeInFlight = (item: InFlight, sink: StateSink): void => {
    this.encodeMessage(item.message, sink);
    sink.int(item.count);
  };
  private readonly encodeElection = (e: Election, sink: StateSink): void => {
    sink.int(e.eterm);
    sink.int(this.map[e.eleader]!);
    encodeLog(e.elog, sink);
    sink.int(this.mapSet(e.evotes));
    this.encodeVoterLog(e.evoterLog, sink);
  };
  private readonly encodeLeader = (l: Elected, sink: StateSink): void => {
    sink.int(l.term);
    sink.int(this.map[l.leader]!);
    encodeLog(l.log, sink);
  };
  private readonly encodeRemoved = (r: RemovedEntry, sink: StateSink): void => {
    sink.int(this.map[r.server]!);
    sink.int(r.index);
    sink.int(r.term);
  };
  private readonly encodeRead = (r: ReadRecord, sink: StateSink): void => {
    sink.int(this.map[r.leader]!);
    sink.int(r.term);
    sink.int(r.seq);
    sink.unordered(r.mustInclude, encodeCommitted);
    if (r.answer === undefined) sink.int(-1);
    else encodeLog(r.answer, sink);
  };

  constructor(perm: Permutation, options: RaftModelOptions) {
    this.map = perm.map;
    this.inverse = perm.inverse;
    this.history = options.history;
    this.reads = options.reads > 0;
    this.fingerprintGhost = options.fingerprintGhost;
    this.clientRequests = options.maxClientRequests > 0;
    this.timesLeader = options.maxBecomeLeader > 0;
  }

  encode(state: RaftCluster, sink: StateSink): void {
    const nodes = state.nodes;
    const n = nodes.length;
    for (let newId = 0; newId < n; newId++) this.encodeNode(nodes[this.inverse[newId]!]!, sink);
    sink.unordered(state.messages, this.encodeInFlight);
    if (this.clientRequests) sink.int(state.counters.clientRequests);
    if (this.timesLeader) for (let newId = 0; newId < n; newId++) sink.int(state.counters.timesLeader[this.inverse[newId]!]!);
    if (this.history) {
      sink.unordered(state.history.elections, this.encodeElection);
      sink.unordered(state.history.allLogs, encodeLog);
    }
    if (this.fingerprintGhost) {
      sink.unordered(state.ghost.committed, encodeCommitted);
      sink.unordered(state.ghost.leaders, this.encodeLeader);
      sink.unordered(state.ghost.removed, this.encodeRemoved);
      if (this.reads) sink.unordered(state.ghost.reads, this.encodeRead);
    }
  }

  private encodeNode(node: RaftNode, sink: StateSink): void {
    const n = node.config.servers;
    sink.int(node.currentTerm);
    sink.int(STATE_CODE[node.state]);
    sink.int(node.votedFor === NIL ? -1 : this.map[node.votedFor]!);
    encodeLog(node.log, sink);
    sink.int(node.commitIndex);
    sink.int(this.mapSet(node.votesResponded));
    sink.int(this.mapSet(node.votesGranted));
    if (this.history) this.encodeVoterLog(node.voterLog, sink);
    for (let k = 0; k < n; k++) sink.int(node.nextIndex[this.inverse[k]!]!);
    for (let k = 0; k < n; k++) sink.int(node.matchIndex[this.inverse[k]!]!);
    if (this.reads) {
      sink.int(node.readSeq);
      const read = node.pendingRead;
      if (read === undefined) sink.int(-1);
      else {
        sink.int(read.seq);
        sink.int(read.readIndex);
        sink.int(this.mapSet(read.acks));
      }
    }
  }

  private encodeVoterLog(voterLog: readonly (Log | undefined)[], sink: StateSink): void {
    const n = this.inverse.length;
    for (let k = 0; k < n; k++) {
      const log = voterLog[this.inverse[k]!];
      if (log === undefined) sink.int(-1);
      else encodeLog(log, sink);
    }
  }

  private encodeMessage(m: Message, sink: StateSink): void {
    sink.int(MTYPE_CODE[m.mtype]);
    sink.int(m.mterm);
    sink.int(this.map[m.msource]!);
    sink.int(this.map[m.mdest]!);
    switch (m.mtype) {
      case 'RequestVoteRequest':
        sink.int(m.mlastLogTerm);
        sink.int(m.mlastLogIndex);
        break;
      case 'RequestVoteResponse':
        sink.bool(m.mvoteGranted);
        if (this.history) encodeLog(m.mlog, sink);
        break;
      case 'AppendEntriesRequest':
        sink.int(m.mprevLogIndex);
        sink.int(m.mprevLogTerm);
        encodeLog(m.mentries, sink);
        if (this.history) encodeLog(m.mlog, sink);
        sink.int(m.mcommitIndex);
        break;
      case 'AppendEntriesResponse':
        sink.bool(m.msuccess);
        sink.int(m.mmatchIndex);
        break;
      case 'HeartbeatRequest':
      case 'HeartbeatResponse':
        sink.int(m.mreadSeq);
        break;
      default:
        assertNever(m, 'Raft message');
    }
  }

  private mapSet(set: ServerSet): number {
    let out = 0;
    for (let s = set, id = 0; s !== 0; s >>>= 1, id++) if ((s & 1) !== 0) out |= 1 << this.map[id]!;
    return out;
  }
}

function encodeLog(log: Log, sink: StateSink): void {
  sink.int(log.length);
  for (let k = 0; k < log.length; k++) {
    const entry: Entry = log[k]!;
    sink.int(entry.term * 1024 + entry.value);
  }
}

function encodeCommitted(c: CommittedEntry, sink: StateSink): void {
  sink.int(c.index);
  sink.int(c.term);
  sink.int(c.committedInTerm);
}

// ---------------------------------------------------------------------------
// Printing.

export function formatAction(action: RaftAction): string {
  switch (action.type) {
    case 'Restart':
    case 'Timeout':
    case 'BecomeLeader':
    case 'AdvanceCommitIndex':
    case 'ReadIndex':
    case 'AnswerRead':
      return `${action.type}(s${action.i})`;
    case 'RequestVote':
    case 'AppendEntries':
    case 'Heartbeat':
      return `${action.type}(s${action.i}, s${action.j})`;
    case 'ClientRequest':
      return `ClientRequest(s${action.i}, v${action.v})`;
    case 'Receive':
    case 'DuplicateMessage':
    case 'DropMessage':
      return `${action.type}(${formatMessage(action.m)})`;
    default:
      return assertNever(action, 'Raft action');
  }
}

export function formatLog(log: Log): string {
  return `<<${log.map((e) => `${e.term}:v${e.value}`).join(', ')}>>`;
}

export function formatMessage(m: Message): string {
  const route = `s${m.msource}->s${m.mdest} term ${m.mterm}`;
  switch (m.mtype) {
    case 'RequestVoteRequest':
      return `RequestVoteRequest ${route} lastLog ${m.mlastLogIndex}@${m.mlastLogTerm}`;
    case 'RequestVoteResponse':
      return `RequestVoteResponse ${route} ${m.mvoteGranted ? 'granted' : 'denied'}`;
    case 'AppendEntriesRequest':
      return `AppendEntriesRequest ${route} prev ${m.mprevLogIndex}@${m.mprevLogTerm} entries ${formatLog(m.mentries)} commit ${m.mcommitIndex}`;
    case 'AppendEntriesResponse':
      return `AppendEntriesResponse ${route} ${m.msuccess ? `match ${m.mmatchIndex}` : 'rejected'}`;
    case 'HeartbeatRequest':
    case 'HeartbeatResponse':
      return `${m.mtype} ${route} read ${m.mreadSeq}`;
    default:
      return assertNever(m, 'Raft message');
  }
}

/** Plain data for traces: the servers without their shared config, the bag, history and ghost. */
export function view(state: RaftCluster): unknown {
  return {
    nodes: state.nodes.map((node) => ({
      currentTerm: node.currentTerm,
      state: node.state,
      votedFor: node.votedFor === NIL ? null : node.votedFor,
      log: node.log.map((e) => ({ term: e.term, value: e.value })),
      commitIndex: node.commitIndex,
      votesResponded: idsOf(node.votesResponded),
      votesGranted: idsOf(node.votesGranted),
      nextIndex: node.nextIndex,
      matchIndex: node.matchIndex,
      ...(node.pendingRead === undefined ? {} : { pendingRead: { ...node.pendingRead, acks: idsOf(node.pendingRead.acks) } }),
    })),
    messages: state.messages.map((item) => ({ message: formatMessage(item.message), count: item.count })),
    history: state.history,
    ghost: state.ghost,
    counters: state.counters,
  };
}

function idsOf(set: ServerSet): number[] {
  const ids: number[] = [];
  for (let id = 0; set >>> id !== 0; id++) if ((set & (1 << id)) !== 0) ids.push(id);
  return ids;
}

// Re-exported for invariants and tests.
export { EMPTY_LOG, sameNode };
