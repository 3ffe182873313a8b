// One Raft server as a pure reducer: step(node, event) -> { state, effects }.
// Each case is one action of ongardie's raft.tla (Ongaro's dissertation,
// Appendix B) for the acting server, with raft.tla's enabling conditions: when
// an action is not enabled the node comes back unchanged with no effects (the
// TLA+ "not enabled"). The rules are Figure 2 of the Raft paper (Ongaro and
// Ousterhout 2014); raft.tla fixes the atomicity: one message handled, one
// entry appended or removed, per step.
//
// ReadIndex (dissertation §6.4) is not in raft.tla; its three events live at
// the end of the file.
//
// Known-bug mutants (mutants.ts) are read from node.config.mutant at the one
// place each bug lives, so the correct rule and its broken twin sit together.

import { assert, assertNever } from '../../lib/assert.ts';
import { majority } from '../../lib/quorum.ts';
import type { Transition } from '../../lib/transition.ts';
import {
  EMPTY_LOG,
  NIL,
  type AppendEntriesRequest,
  type AppendEntriesResponse,
  type Entry,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type Log,
  type Message,
  type RaftEffect,
  type RaftEvent,
  type RaftNode,
  type RequestVoteRequest,
  type RequestVoteResponse,
  type ServerSet,
} from './types.ts';

type RaftTransition = Transition<RaftNode, RaftEffect>;

// Effects without data are shared constants: step() is the checker's hot path.
const PERSIST: RaftEffect = Object.freeze({ type: 'Persist' });
const DISCARD: RaftEffect = Object.freeze({ type: 'Discard' });
const NO_EFFECTS: readonly RaftEffect[] = Object.freeze([]) as readonly RaftEffect[];
const ONLY_PERSIST: readonly RaftEffect[] = Object.freeze([PERSIST]);
const ONLY_DISCARD: readonly RaftEffect[] = Object.freeze([DISCARD]);

export function step(node: RaftNode, event: RaftEvent): RaftTransition {
  switch (event.type) {
    case 'Restart':
      return restart(node);
    case 'Timeout':
      return timeout(node);
    case 'RequestVote':
      return requestVote(node, event.peer);
    case 'BecomeLeader':
      return becomeLeader(node);
    case 'ClientRequest':
      return clientRequest(node, event.value);
    case 'AdvanceCommitIndex':
      return advanceCommitIndex(node);
    case 'AppendEntries':
      return appendEntries(node, event.peer);
    case 'Receive':
      return receive(node, event.message);
    case 'ReadIndex':
      return readIndex(node);
    case 'Heartbeat':
      return heartbeat(node, event.peer);
    case 'AnswerRead':
      return answerRead(node);
    default:
      return assertNever(event, 'Raft event');
  }
}

/** A server as raft.tla's Init has it: term 1, Follower, empty log. */
export function initialNode(config: RaftNode['config'], id: number): RaftNode {
  assert(Number.isInteger(id) && id >= 0 && id < config.servers, () => `server id ${id} outside 0..${config.servers - 1}`);
  return {
    config,
    id,
    currentTerm: 1,
    votedFor: NIL,
    log: EMPTY_LOG,
    state: 'Follower',
    commitIndex: 0,
    votesResponded: 0,
    votesGranted: 0,
    voterLog: NO_VOTER_LOGS,
    nextIndex: filled(config.servers, 1),
    matchIndex: filled(config.servers, 0),
    readSeq: 0,
    pendingRead: undefined,
  };
}

// ---------------------------------------------------------------------------
// Actions of the acting server (raft.tla, "Define state transitions").

/** Restart(i): the server loses everything but currentTerm, votedFor and log (Figure 2's persistent state). */
function restart(node: RaftNode): RaftTransition {
  // Restart(i) of a server already in its restarted state changes nothing: say so before
  // building a node (it is tried for every server in every state; allocating here was a
  // fifth of the CPU of raft.tla's TLC comparison). Otherwise the node differs; it is built
  // field by field in initialNode's order, with shared index arrays (states are immutable).
  if (isRestarted(node)) return unchanged(node);
  const n = node.config.servers;
  const restarted: RaftNode = {
    config: node.config,
    id: node.id,
    currentTerm: node.currentTerm,
    votedFor: node.votedFor,
    log: node.log,
    state: 'Follower',
    commitIndex: 0,
    votesResponded: 0,
    votesGranted: 0,
    voterLog: NO_VOTER_LOGS,
    nextIndex: sharedFilled(n, 1),
    matchIndex: sharedFilled(n, 0),
    readSeq: 0,
    pendingRead: undefined,
  };
  return { state: restarted, effects: NO_EFFECTS };
}

/** Arrays of `length` copies of 0 or 1, shared by every restarted node (readonly by type; not frozen, so they keep the elements kind of the arrays they mix with). */
const SHARED_FILLED: (readonly number[])[][] = [[], []];
function sharedFilled(length: number, value: 0 | 1): readonly number[] {
  const byLength = SHARED_FILLED[value]!;
  return (byLength[length] ??= filled(length, value));
}

/** Whether `node` is as Restart(i) leaves it (volatile state reset; term, vote and log kept). */
function isRestarted(node: RaftNode): boolean {
  if (node.state !== 'Follower' || node.votesResponded !== 0 || node.votesGranted !== 0 || node.voterLog.length !== 0) return false;
  if (node.commitIndex !== 0 || node.readSeq !== 0 || node.pendingRead !== undefined) return false;
  for (let k = 0; k < node.nextIndex.length; k++) if (node.nextIndex[k] !== 1 || node.matchIndex[k] !== 0) return false;
  return node.nextIndex.length === node.config.servers;
}

/** Timeout(i): a follower or candidate starts a new election (§5.2). It votes for itself by messaging itself, as raft.tla does. */
function timeout(node: RaftNode): RaftTransition {
  if (node.state === 'Leader') return unchanged(node);
  return {
    state: {
      ...node,
      state: 'Candidate',
      currentTerm: node.currentTerm + 1,
      votedFor: NIL,
      votesResponded: 0,
      votesGranted: 0,
      voterLog: NO_VOTER_LOGS,
    },
    effects: ONLY_PERSIST,
  };
}

/** RequestVote(i, j): a candidate asks j (possibly itself) for a vote, until j has answered. */
function requestVote(node: RaftNode, peer: number): RaftTransition {
  if (node.state !== 'Candidate' || has(node.votesResponded, peer)) return unchanged(node);
  const message: RequestVoteRequest = {
    mtype: 'RequestVoteRequest',
    mterm: node.currentTerm,
    mlastLogTerm: lastTerm(node.log),
    mlastLogIndex: node.log.length,
    msource: node.id,
    mdest: peer,
  };
  return { state: node, effects: [{ type: 'Send', message }] };
}

/** BecomeLeader(i): a candidate with votes from a quorum leads (§5.2). */
function becomeLeader(node: RaftNode): RaftTransition {
  if (node.state !== 'Candidate' || !isQuorum(node.votesGranted, node.config.servers)) return unchanged(node);
  const n = node.config.servers;
  return {
    state: { ...node, state: 'Leader', nextIndex: filled(n, node.log.length + 1), matchIndex: filled(n, 0) },
    effects: NO_EFFECTS,
  };
}

/** ClientRequest(i, v): a leader appends v to its log in its current term (§5.3). */
function clientRequest(node: RaftNode, value: number): RaftTransition {
  if (node.state !== 'Leader') return unchanged(node);
  return { state: { ...node, log: [...node.log, makeEntry(node.currentTerm, value)] }, effects: ONLY_PERSIST };
}

/**
 * AdvanceCommitIndex(i): the leader commits the highest index a quorum has
 * replicated, but only if that entry is from its current term: "Raft never
 * commits log entries from previous terms by counting replicas" (§5.4.2).
 */
function advanceCommitIndex(node: RaftNode): RaftTransition {
  if (node.state !== 'Leader') return unchanged(node);
  const n = node.config.servers;
  // The largest index agreed by a quorum: the leader itself plus every k with matchIndex[k] >= index.
  let agreeIndex = 0;
  for (let index = node.log.length; index >= 1; index--) {
    let agree = 1;
    for (let k = 0; k < n; k++) if (k !== node.id && node.matchIndex[k]! >= index) agree++;
    if (agree >= majority(n)) {
      agreeIndex = index;
      break;
    }
  }
  const countsReplicasOfEarlierTerms = node.config.mutant === 'figure8-commit';
  const commitIndex =
    agreeIndex > 0 && (countsReplicasOfEarlierTerms || node.log[agreeIndex - 1]!.term === node.currentTerm)
      ? agreeIndex
      : node.commitIndex;
  if (commitIndex === node.commitIndex) return unchanged(node);
  return { state: { ...node, commitIndex }, effects: NO_EFFECTS };
}

/** AppendEntries(i, j): a leader sends j the entry at nextIndex[j], if any (at most one, as raft.tla). */
function appendEntries(node: RaftNode, peer: number): RaftTransition {
  if (peer === node.id || node.state !== 'Leader') return unchanged(node);
  const nextIndex = node.nextIndex[peer]!;
  const prevLogIndex = nextIndex - 1;
  const prevLogTerm = prevLogIndex > 0 ? node.log[prevLogIndex - 1]!.term : 0;
  const lastEntry = Math.min(node.log.length, nextIndex);
  const message: AppendEntriesRequest = {
    mtype: 'AppendEntriesRequest',
    mterm: node.currentTerm,
    mprevLogIndex: prevLogIndex,
    mprevLogTerm: prevLogTerm,
    mentries: lastEntry >= nextIndex ? [node.log[nextIndex - 1]!] : EMPTY_LOG,
    mlog: node.config.history ? node.log : EMPTY_LOG,
    mcommitIndex: Math.min(node.commitIndex, lastEntry),
    msource: node.id,
    mdest: peer,
  };
  return { state: node, effects: [{ type: 'Send', message }] };
}

// ---------------------------------------------------------------------------
// Receive(m) (raft.tla, "Message handlers"): i = recipient, j = sender.

function receive(node: RaftNode, m: Message): RaftTransition {
  assert(m.mdest === node.id, () => `message for ${m.mdest} delivered to ${node.id}`);
  // "Any RPC with a newer term causes the recipient to advance its term first."
  if (m.mterm > node.currentTerm) return updateTerm(node, m);
  switch (m.mtype) {
    case 'RequestVoteRequest':
      return handleRequestVoteRequest(node, m);
    case 'RequestVoteResponse':
      return m.mterm < node.currentTerm ? dropStaleResponse(node) : handleRequestVoteResponse(node, m);
    case 'AppendEntriesRequest':
      return handleAppendEntriesRequest(node, m);
    case 'AppendEntriesResponse':
      return m.mterm < node.currentTerm ? dropStaleResponse(node) : handleAppendEntriesResponse(node, m);
    case 'HeartbeatRequest':
      return handleHeartbeatRequest(node, m);
    case 'HeartbeatResponse':
      return m.mterm < node.currentTerm ? dropStaleResponse(node) : handleHeartbeatResponse(node, m);
    default:
      return assertNever(m, 'Raft message');
  }
}

/** UpdateTerm(i, j, m): adopt the newer term as a follower; the message stays in the network to be handled next. */
function updateTerm(node: RaftNode, m: Message): RaftTransition {
  return {
    state: { ...node, currentTerm: m.mterm, state: 'Follower', votedFor: NIL, pendingRead: undefined },
    effects: ONLY_PERSIST,
  };
}

/** DropStaleResponse(i, j, m): "Responses with stale terms are ignored." */
function dropStaleResponse(node: RaftNode): RaftTransition {
  return { state: node, effects: ONLY_DISCARD };
}

/**
 * HandleRequestVoteRequest(i, j, m), m.mterm <= currentTerm[i]: grant the vote
 * if the term is current, the candidate's log is at least as up-to-date as
 * ours (§5.4.1), and we have not voted for someone else in this term (§5.2).
 */
function handleRequestVoteRequest(node: RaftNode, m: RequestVoteRequest): RaftTransition {
  const j = m.msource;
  const myLastTerm = lastTerm(node.log);
  const logOk =
    node.config.mutant === 'skip-log-up-to-date-check' ||
    m.mlastLogTerm > myLastTerm ||
    (m.mlastLogTerm === myLastTerm && m.mlastLogIndex >= node.log.length);
  const mayVote = node.config.mutant === 'double-vote' || node.votedFor === NIL || node.votedFor === j;
  const grant = m.mterm === node.currentTerm && logOk && mayVote;
  const response: RequestVoteResponse = {
    mtype: 'RequestVoteResponse',
    mterm: node.currentTerm,
    mvoteGranted: grant,
    mlog: node.config.history ? node.log : EMPTY_LOG,
    msource: node.id,
    mdest: j,
  };
  const send: RaftEffect = { type: 'Send', message: response };
  if (grant && node.votedFor !== j) {
    // The vote reaches stable storage before the response leaves (Figure 2: persistent state).
    return { state: { ...node, votedFor: j }, effects: [PERSIST, send, DISCARD] };
  }
  return { state: node, effects: [send, DISCARD] };
}

/** HandleRequestVoteResponse(i, j, m), m.mterm = currentTerm[i]: tally the answer (in any state, as raft.tla). */
function handleRequestVoteResponse(node: RaftNode, m: RequestVoteResponse): RaftTransition {
  const j = m.msource;
  const votesResponded = add(node.votesResponded, j);
  if (!m.mvoteGranted) {
    return { state: votesResponded === node.votesResponded ? node : { ...node, votesResponded }, effects: ONLY_DISCARD };
  }
  const votesGranted = add(node.votesGranted, j);
  // raft.tla: voterLog[i] @@ (j :> m.mlog) keeps the first log recorded for j.
  let voterLog = node.voterLog;
  // (An index past the end is no vote recorded: NO_VOTER_LOGS is empty; reading there would be an out-of-bounds load.)
  if (node.config.history && (j >= voterLog.length || voterLog[j] === undefined)) {
    const copy = voterLog.length === node.config.servers ? voterLog.slice() : filled<Log | undefined>(node.config.servers, undefined);
    copy[j] = m.mlog;
    voterLog = copy;
  }
  if (votesResponded === node.votesResponded && votesGranted === node.votesGranted && voterLog === node.voterLog) {
    return { state: node, effects: ONLY_DISCARD };
  }
  return { state: { ...node, votesResponded, votesGranted, voterLog }, effects: ONLY_DISCARD };
}

/**
 * HandleAppendEntriesRequest(i, j, m), m.mterm <= currentTerm[i]: reject a
 * stale term or a log that does not contain the entry before the new one
 * (§5.3); a candidate that hears from the leader of its term steps down
 * (§5.2); otherwise do one of: acknowledge what we already hold, remove one
 * conflicting entry (the last), or append the one new entry.
 */
function handleAppendEntriesRequest(node: RaftNode, m: AppendEntriesRequest): RaftTransition {
  const log = node.log;
  const prev = m.mprevLogIndex;
  const logOk = prev === 0 || (prev > 0 && prev <= log.length && m.mprevLogTerm === log[prev - 1]!.term);
  if (m.mterm < node.currentTerm || (node.state === 'Follower' && !logOk)) {
    return reply(node, node, appendEntriesResponse(node, m, false, 0));
  }
  // From here m.mterm = currentTerm[i].
  if (node.state === 'Candidate') {
    return { state: { ...node, state: 'Follower' }, effects: NO_EFFECTS };
  }
  // A leader hearing from another leader of its own term: no branch of raft.tla applies.
  if (node.state === 'Leader') return unchanged(node);

  const index = prev + 1;
  const entry = m.mentries[0];
  if (entry === undefined || (log.length >= index && log[index - 1]!.term === entry.term)) {
    // Already done with the request. (raft.tla notes this can lower commitIndex for an old duplicate.)
    // The fork (config.monotonicIndexes) instead only raises commitIndex, and no further than its log.
    const commitIndex = node.config.monotonicIndexes
      ? node.commitIndex < m.mcommitIndex
        ? Math.min(m.mcommitIndex, log.length)
        : node.commitIndex
      : m.mcommitIndex;
    let state: RaftNode = commitIndex === node.commitIndex ? node : { ...node, commitIndex };
    const matchIndex = prev + m.mentries.length;
    const erasesHeldEntries = node.config.mutant === 'truncate-on-stale-append' && log.length > matchIndex;
    if (erasesHeldEntries) {
      // The bug: treat the end of the request as the end of our log, losing entries a quorum may rely on.
      state = { ...state, log: log.slice(0, matchIndex) };
      return { state, effects: [PERSIST, { type: 'Send', message: appendEntriesResponse(node, m, true, matchIndex) }, DISCARD] };
    }
    return reply(node, state, appendEntriesResponse(node, m, true, matchIndex));
  }
  if (log.length >= index) {
    // Conflict: remove one entry, the last (raft.tla), and leave the request to be handled again.
    return { state: { ...node, log: log.slice(0, log.length - 1) }, effects: ONLY_PERSIST };
  }
  assert(log.length === prev, () => `logOk with prevLogIndex ${prev} but log length ${log.length}`);
  // No conflict: append the entry; the request stays to be acknowledged next.
  return { state: { ...node, log: [...log, entry] }, effects: ONLY_PERSIST };
}

/** HandleAppendEntriesResponse(i, j, m), m.mterm = currentTerm[i]: track j's progress (§5.3). */
function handleAppendEntriesResponse(node: RaftNode, m: AppendEntriesResponse): RaftTransition {
  const j = m.msource;
  let nextIndex: number;
  let matchIndex = node.matchIndex;
  if (m.msuccess && node.config.monotonicIndexes === true && matchIndex[j]! > m.mmatchIndex) {
    // The fork: an older acknowledgement never lowers matchIndex; nextIndex follows matchIndex.
    nextIndex = matchIndex[j]! + 1;
  } else if (m.msuccess) {
    nextIndex = m.mmatchIndex + 1;
    if (matchIndex[j] !== m.mmatchIndex) matchIndex = replaced(matchIndex, j, m.mmatchIndex);
  } else {
    nextIndex = Math.max(node.nextIndex[j]! - 1, 1);
  }
  if (nextIndex === node.nextIndex[j] && matchIndex === node.matchIndex) return { state: node, effects: ONLY_DISCARD };
  return {
    state: { ...node, nextIndex: replaced(node.nextIndex, j, nextIndex), matchIndex },
    effects: ONLY_DISCARD,
  };
}

function appendEntriesResponse(
  node: RaftNode,
  m: AppendEntriesRequest,
  success: boolean,
  matchIndex: number,
): AppendEntriesResponse {
  return {
    mtype: 'AppendEntriesResponse',
    mterm: node.currentTerm,
    msuccess: success,
    mmatchIndex: matchIndex,
    msource: node.id,
    mdest: m.msource,
  };
}

// ---------------------------------------------------------------------------
// ReadIndex (dissertation §6.4): a leader answers a read with its state machine
// up to the commit index it recorded when the read arrived, but only after (1)
// it has committed an entry of its current term, so that its commit index is
// at least that of any earlier leader, and (2) a quorum has acknowledged a
// heartbeat sent for this read in its current term, so that no newer leader
// had been elected when the read arrived.

/** ReadIndex(i): record commitIndex for a new read. */
function readIndex(node: RaftNode): RaftTransition {
  if (node.state !== 'Leader' || node.pendingRead !== undefined) return unchanged(node);
  const committedInCurrentTerm = node.commitIndex > 0 && node.log[node.commitIndex - 1]!.term === node.currentTerm;
  if (!committedInCurrentTerm) return unchanged(node);
  const seq = node.readSeq + 1;
  return {
    state: { ...node, readSeq: seq, pendingRead: { seq, readIndex: node.commitIndex, acks: bit(node.id) } },
    effects: NO_EFFECTS,
  };
}

/** Heartbeat(i, j): ask j to confirm the leader's term for the pending read, until j has. */
function heartbeat(node: RaftNode, peer: number): RaftTransition {
  const read = node.pendingRead;
  if (peer === node.id || node.state !== 'Leader' || read === undefined || has(read.acks, peer)) return unchanged(node);
  const message: HeartbeatRequest = {
    mtype: 'HeartbeatRequest',
    mterm: node.currentTerm,
    mreadSeq: read.seq,
    msource: node.id,
    mdest: peer,
  };
  return { state: node, effects: [{ type: 'Send', message }] };
}

/** AnswerRead(i): with a quorum of acknowledgements, answer with the log up to readIndex. */
function answerRead(node: RaftNode): RaftTransition {
  const read = node.pendingRead;
  if (node.state !== 'Leader' || read === undefined) return unchanged(node);
  const confirmsLeadership = node.config.mutant !== 'stale-read';
  if (confirmsLeadership && !isQuorum(read.acks, node.config.servers)) return unchanged(node);
  return {
    state: { ...node, pendingRead: undefined },
    effects: [{ type: 'AnswerRead', seq: read.seq, readIndex: read.readIndex, entries: node.log.slice(0, read.readIndex) }],
  };
}

/** HeartbeatRequest, m.mterm <= currentTerm[i]: answer with our term (a stale leader learns of the newer one). */
function handleHeartbeatRequest(node: RaftNode, m: HeartbeatRequest): RaftTransition {
  const response: HeartbeatResponse = {
    mtype: 'HeartbeatResponse',
    mterm: node.currentTerm,
    mreadSeq: m.mreadSeq,
    msource: node.id,
    mdest: m.msource,
  };
  return reply(node, node, response);
}

/** HeartbeatResponse, m.mterm = currentTerm[i]: count the acknowledgement for the read it names. */
function handleHeartbeatResponse(node: RaftNode, m: HeartbeatResponse): RaftTransition {
  const read = node.pendingRead;
  if (node.state !== 'Leader' || read === undefined || read.seq !== m.mreadSeq || has(read.acks, m.msource)) {
    return { state: node, effects: ONLY_DISCARD };
  }
  return { state: { ...node, pendingRead: { ...read, acks: add(read.acks, m.msource) } }, effects: ONLY_DISCARD };
}

// ---------------------------------------------------------------------------
// Helpers.

// Entries are interned: one object per (term, value), so that logs compare
// entry by entry with ===, and equal logs in different messages share memory.
const entries = new Map<number, Entry>();

/** The entry `[term |-> term, value |-> value]`, always the same object for the same pair. */
export function makeEntry(term: number, value: number): Entry {
  assert(Number.isInteger(term) && term >= 0 && term < 1 << 20, () => `term ${term} out of range`);
  assert(Number.isInteger(value) && value >= 0 && value < 1 << 10, () => `value ${value} out of range`);
  const key = term * 1024 + value;
  let entry = entries.get(key);
  if (entry === undefined) {
    entry = Object.freeze({ term, value });
    entries.set(key, entry);
  }
  return entry;
}

const NO_VOTER_LOGS: readonly (Log | undefined)[] = Object.freeze([]) as readonly (Log | undefined)[];

/** raft.tla's LastTerm: the term of the last entry, or 0 for an empty log. */
export function lastTerm(log: Log): number {
  return log.length === 0 ? 0 : log[log.length - 1]!.term;
}

/** raft.tla's `set \in Quorum`: more than half of the servers. */
export function isQuorum(set: ServerSet, servers: number): boolean {
  return size(set) >= majority(servers);
}

export function bit(id: number): ServerSet {
  return 1 << id;
}

export function has(set: ServerSet, id: number): boolean {
  return (set & (1 << id)) !== 0;
}

function add(set: ServerSet, id: number): ServerSet {
  return set | (1 << id);
}

export function size(set: ServerSet): number {
  let count = 0;
  for (let s = set; s !== 0; s &= s - 1) count++;
  return count;
}

function unchanged(node: RaftNode): RaftTransition {
  return { state: node, effects: NO_EFFECTS };
}

/** raft.tla's Reply: send the response and consume the request. */
function reply(before: RaftNode, after: RaftNode, response: Message): RaftTransition {
  const send: RaftEffect = { type: 'Send', message: response };
  return { state: after, effects: before.log === after.log && before.votedFor === after.votedFor ? [send, DISCARD] : [PERSIST, send, DISCARD] };
}

function filled<T>(length: number, value: T): T[] {
  const out = new Array<T>(length);
  for (let i = 0; i < length; i++) out[i] = value;
  return out;
}

function replaced(values: readonly number[], index: number, value: number): number[] {
  const out = values.slice();
  out[index] = value;
  return out;
}

