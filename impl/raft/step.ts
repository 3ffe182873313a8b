// The core's one entry point, in the style of etcd-io/raft's Step/Ready:
// step(node, input) -> { node, ready }. The node is a value (the input node
// is not changed); the Ready says what to persist and, sealed behind that
// persist, what to send, apply and answer (ready.ts). No I/O, clock or
// randomness but the seeded election timer: the same inputs give the same
// outputs, which the simulation and conformance rely on.
//
// Every message first meets the term rules of Figure 2 ("If RPC request or
// response contains term T > currentTerm: set currentTerm = T, convert to
// follower"; a request of an older term is answered with ours so its sender
// learns it is stale; an older response is dropped), with two exceptions for
// pre-vote and one for check-quorum (dissertation §9.6, §4.2.3): a pre-vote
// request and a granted pre-vote answer carry a term nobody has taken, so
// they change no term; and a node that has heard from a leader within the
// election timeout ignores a vote request of a newer term, so a server that
// was partitioned away cannot depose a working leader.

import { assertNever } from '../../lib/assert.ts';
import { campaign, handleRequestVote, handleVoteResponse } from './election.ts';
import { lastIndex, slice } from './log.ts';
import { becomeFollower, type Draft, fromDraft, persistOf, quorum, type RaftNode, send, toDraft } from './node.ts';
import { acknowledgeRead, broadcastHeartbeat, latestReadContext, readIndex } from './read-index.ts';
import { type Ready, Sealed } from './ready.ts';
import { handleAppendEntries, handleAppendResponse, progressOf, propose, sendAppend } from './replication.ts';
import { compact, handleInstallSnapshot } from './snapshot.ts';
import { type Message, NONE, type RaftInput } from './types.ts';

export interface StepResult {
  readonly node: RaftNode;
  readonly ready: Ready;
}

export function step(node: RaftNode, input: RaftInput): StepResult {
  const d = toDraft(node);
  d.steps++;
  switch (input.type) {
    case 'Tick':
      tick(d);
      break;
    case 'Receive':
      receive(d, input.message);
      break;
    case 'Propose':
      propose(d, input.data);
      break;
    case 'ReadIndex':
      readIndex(d, input.context);
      break;
    case 'Compact':
      compact(d, input.index, input.data);
      break;
    default:
      assertNever(input, 'Raft input');
  }
  return finish(d);
}

function finish(d: Draft): StepResult {
  // Committed entries go to the state machine, behind the seal: an entry appended in this very step is applied only once it is durable here too.
  const committed = d.commit > d.applied ? slice(d.log, d.applied + 1, d.commit) : [];
  d.applied = d.commit;
  const o = d.out;
  const ready: Ready = {
    id: d.steps,
    persist: persistOf(d),
    outbox: new Sealed(d.steps, { messages: o.messages, committed, reads: o.reads, ...(o.applySnapshot !== undefined ? { applySnapshot: o.applySnapshot } : {}) }),
    refused: o.refused,
    warnings: o.warnings,
  };
  return { node: fromDraft(d), ready };
}

// ---------------------------------------------------------------------------
// Time.

function tick(d: Draft): void {
  if (d.role === 'leader') {
    tickLeader(d);
    return;
  }
  d.electionElapsed++;
  if (d.electionElapsed >= d.randomizedElectionTicks) {
    d.electionElapsed = 0;
    campaign(d, d.config.preVote);
  }
}

function tickLeader(d: Draft): void {
  d.heartbeatElapsed++;
  d.electionElapsed++;
  if (d.electionElapsed >= d.config.electionTicks) {
    d.electionElapsed = 0;
    retrySnapshots(d);
    if (d.config.checkQuorum && !checkQuorum(d)) {
      // Check-quorum (dissertation §6.2): a leader cut off from a quorum steps down rather than serve stale reads and hold clients.
      becomeFollower(d, d.term, NONE);
      return;
    }
  }
  if (d.heartbeatElapsed >= d.config.heartbeatTicks) {
    d.heartbeatElapsed = 0;
    broadcastHeartbeat(d, latestReadContext(d));
  }
}

/** An InstallSnapshot unanswered for an election timeout may have been lost: probe again (which sends it again if still needed). */
function retrySnapshots(d: Draft): void {
  for (const [id, pr] of d.progress) {
    if (pr.state === 'snapshot') d.progress.set(id, { ...pr, state: 'probe', next: pr.match + 1, pendingSnapshot: 0, paused: false });
  }
}

/** Whether a quorum (us included) was heard from since the last check; every follower's flag is cleared for the next period. */
function checkQuorum(d: Draft): boolean {
  let active = 0;
  for (const id of d.config.voters) {
    const pr = progressOf(d, id);
    if (id === d.config.id || pr.recentActive) active++;
    if (id !== d.config.id) d.progress.set(id, { ...pr, recentActive: false });
  }
  return active >= quorum(d);
}

// ---------------------------------------------------------------------------
// Messages.

/** Messages only a leader sends: hearing one of a term means that term has a leader. */
function isFromLeader(m: Message): boolean {
  return m.type === 'AppendEntries' || m.type === 'Heartbeat' || m.type === 'InstallSnapshot';
}

function receive(d: Draft, m: Message): void {
  if (m.to !== d.config.id || !d.config.voters.includes(m.from) || m.from === d.config.id) {
    d.out.warnings.push(`${m.type} from ${m.from} to ${m.to} at node ${d.config.id}: not ours, ignored`);
    return;
  }
  if (m.term > d.term) {
    if (m.type === 'RequestVote' && inLease(d)) return;
    const keepsTerm = (m.type === 'RequestVote' && m.preVote) || (m.type === 'RequestVoteResponse' && m.preVote && m.granted);
    if (!keepsTerm) becomeFollower(d, m.term, isFromLeader(m) ? m.from : NONE);
  } else if (m.term < d.term) {
    answerStale(d, m);
    return;
  }
  dispatch(d, m);
}

/** We heard from a leader less than an election timeout ago (only with pre-vote or check-quorum on, as etcd-io/raft). */
function inLease(d: Draft): boolean {
  return (d.config.checkQuorum || d.config.preVote) && d.leader !== NONE && d.electionElapsed < d.config.electionTicks;
}

/** A request of an older term is refused in ours, so its sender learns it is stale; an older response is dropped. */
function answerStale(d: Draft, m: Message): void {
  const from = d.config.id;
  switch (m.type) {
    case 'AppendEntries':
    case 'InstallSnapshot':
      send(d, { type: 'AppendEntriesResponse', term: d.term, from, to: m.from, success: false, matchIndex: 0, rejectedIndex: -1, lastIndex: lastIndex(d.log) });
      return;
    case 'Heartbeat':
      send(d, { type: 'HeartbeatResponse', term: d.term, from, to: m.from, context: m.context });
      return;
    case 'RequestVote':
      send(d, { type: 'RequestVoteResponse', term: d.term, from, to: m.from, granted: false, preVote: m.preVote });
      return;
    case 'RequestVoteResponse':
    case 'AppendEntriesResponse':
    case 'HeartbeatResponse':
      return;
    default:
      assertNever(m, 'Raft message');
  }
}

/** A message of our term (or a pre-vote one) by type and role. */
function dispatch(d: Draft, m: Message): void {
  switch (m.type) {
    case 'RequestVote':
      handleRequestVote(d, m);
      return;
    case 'RequestVoteResponse':
      handleVoteResponse(d, m);
      return;
    case 'AppendEntries':
    case 'Heartbeat':
    case 'InstallSnapshot':
      if (!followLeader(d, m)) return;
      if (m.type === 'AppendEntries') handleAppendEntries(d, m);
      else if (m.type === 'InstallSnapshot') handleInstallSnapshot(d, m);
      else handleHeartbeat(d, m);
      return;
    case 'AppendEntriesResponse':
      if (d.role === 'leader') handleAppendResponse(d, m);
      return;
    case 'HeartbeatResponse':
      if (d.role === 'leader') handleHeartbeatResponse(d, m);
      return;
    default:
      assertNever(m, 'Raft message');
  }
}

/** The leader of our term spoke: a (pre-)candidate steps down (§5.2), a follower resets its timer; a leader hearing another leader of its term ignores it. */
function followLeader(d: Draft, m: Message): boolean {
  if (d.role === 'leader') {
    d.out.warnings.push(`${m.type} from ${m.from}, another leader of our term ${d.term}: ignored`);
    return false;
  }
  if (d.role !== 'follower') becomeFollower(d, d.term, m.from);
  d.leader = m.from;
  d.electionElapsed = 0;
  return true;
}

function handleHeartbeat(d: Draft, m: Extract<Message, { type: 'Heartbeat' }>): void {
  // The leader sends min(match, commit): our log holds that prefix, so it may be committed here.
  const commit = Math.min(m.commit, lastIndex(d.log));
  if (commit > d.commit) d.commit = commit;
  send(d, { type: 'HeartbeatResponse', term: d.term, from: d.config.id, to: m.from, context: m.context });
}

function handleHeartbeatResponse(d: Draft, m: Extract<Message, { type: 'HeartbeatResponse' }>): void {
  const pr = d.progress.get(m.from);
  if (pr === undefined) return;
  // A live follower: a probe may go again, and a full pipeline frees its oldest batch (it may have been lost;
  // if so the next batch is refused and the follower is probed again), as etcd-io/raft does.
  const inflight = pr.state === 'replicate' && pr.inflight.length >= d.config.maxInflight ? pr.inflight.slice(1) : pr.inflight;
  d.progress.set(m.from, { ...pr, recentActive: true, paused: pr.state === 'probe' ? false : pr.paused, inflight });
  // Lagging: send from next even if empty, so that a lost batch shows as a refusal and the follower is probed again.
  if (pr.match < lastIndex(d.log)) sendAppend(d, m.from, true);
  if (m.context > 0) acknowledgeRead(d, m.from, m.context);
}
