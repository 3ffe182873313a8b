// Log replication (§5.3) and commitment (§5.4.2) at the leader, and the
// follower's side of AppendEntries. The leader tracks each follower's
// Progress (node.ts): one probe at a time until the logs are found to match,
// then pipelined batches of at most maxBatchEntries, at most maxInflight of
// them unanswered (etcd-io/raft's probe/replicate flow control). A leader
// commits the highest index a quorum holds only when that entry is of its
// own term: "Raft never commits log entries from previous terms by counting
// replicas" (§5.4.2).

import { assert } from '../../lib/assert.ts';
import { append, findConflict, lastIndex, matchTerm, slice, termAt, truncateAndAppend } from './log.ts';
import { type Draft, isBuggy, logChangedFrom, type Progress, quorum, send } from './node.ts';
import { sendSnapshot } from './snapshot.ts';
import type { Entry, Message } from './types.ts';

type AppendRequest = Extract<Message, { type: 'AppendEntries' }>;
type AppendResponse = Extract<Message, { type: 'AppendEntriesResponse' }>;

const EMPTY = new Uint8Array(0);

export function progressOf(d: Draft, id: number): Progress {
  const pr = d.progress.get(id);
  assert(pr !== undefined, () => `leader ${d.config.id} has no progress for ${id}`);
  return pr;
}

function isPaused(pr: Progress, maxInflight: number): boolean {
  switch (pr.state) {
    case 'probe':
      return pr.paused;
    case 'replicate':
      return pr.inflight.length >= maxInflight;
    case 'snapshot':
      return true;
  }
}

/** The leader appends entries of its term (a client's, or the empty entry of a new leader) and counts its own copy. */
export function appendOwn(d: Draft, data: readonly Uint8Array[]): void {
  const first = lastIndex(d.log) + 1;
  const entries: Entry[] = data.map((bytes, k) => ({ index: first + k, term: d.term, data: bytes }));
  d.log = append(d.log, entries);
  logChangedFrom(d, first);
  const self = progressOf(d, d.config.id);
  d.progress.set(d.config.id, { ...self, match: lastIndex(d.log), next: lastIndex(d.log) + 1 });
}

export function appendNoop(d: Draft): void {
  appendOwn(d, [EMPTY]);
}

/** A client's write at the leader: appended, sent to every follower that is not paused, committed at once if we are alone. */
export function propose(d: Draft, data: Uint8Array): void {
  if (d.role !== 'leader') {
    d.out.refused.push({ what: 'Propose', context: 0, reason: d.leader === -1 ? 'no leader known' : `not the leader (the leader is ${d.leader})` });
    return;
  }
  appendOwn(d, [data]);
  broadcastAppend(d, false);
  maybeCommit(d);
}

/**
 * Send `to` the entries from its next index, if it is not paused. With
 * `sendIfEmpty` an empty AppendEntries goes too (a new leader's probe).
 * Returns whether something was sent.
 */
export function sendAppend(d: Draft, to: number, sendIfEmpty: boolean): boolean {
  const pr = progressOf(d, to);
  if (isPaused(pr, d.config.maxInflight)) return false;
  const prevLogIndex = pr.next - 1;
  const prevLogTerm = termAt(d.log, prevLogIndex);
  if (prevLogTerm === undefined) return sendSnapshot(d, to);
  const last = Math.min(lastIndex(d.log), prevLogIndex + d.config.maxBatchEntries);
  const entries = last > prevLogIndex ? slice(d.log, pr.next, last) : [];
  if (entries.length === 0 && !sendIfEmpty) return false;
  send(d, { type: 'AppendEntries', term: d.term, from: d.config.id, to, prevLogIndex, prevLogTerm, entries, commit: d.commit });
  if (pr.state === 'replicate') {
    // Pipelining: the next batch goes out without waiting for this one's answer.
    if (entries.length > 0) d.progress.set(to, { ...pr, next: last + 1, inflight: [...pr.inflight, last] });
  } else {
    d.progress.set(to, { ...pr, paused: true });
  }
  return true;
}

/** Fill every follower's pipeline. */
export function broadcastAppend(d: Draft, sendIfEmpty: boolean): void {
  for (const id of d.config.voters) {
    if (id === d.config.id) continue;
    if (!sendAppend(d, id, sendIfEmpty)) continue;
    while (sendAppend(d, id, false)) {
      // keep filling while the window allows
    }
  }
}

/**
 * §5.4.2: the highest index a quorum holds becomes committed if its entry is
 * of our term; entries of earlier terms commit with it, never by counting.
 */
export function maybeCommit(d: Draft): boolean {
  const matches = d.config.voters.map((id) => progressOf(d, id).match).sort((a, b) => b - a);
  const agreed = matches[quorum(d) - 1]!;
  if (agreed <= d.commit) return false;
  const countsEarlierTerms = isBuggy(d, 'figure8-commit');
  if (!countsEarlierTerms && termAt(d.log, agreed) !== d.term) return false;
  d.commit = agreed;
  return true;
}

/**
 * AppendEntries at a follower of the request's term: reject unless our log
 * holds the entry before the new ones (§5.3); otherwise delete from the first
 * conflicting entry on, append what we lack, and learn the commit index, as
 * far as the request shows our log matches the leader's.
 */
export function handleAppendEntries(d: Draft, m: AppendRequest): void {
  const reply = (success: boolean, matchIndex: number) =>
    send(d, { type: 'AppendEntriesResponse', term: d.term, from: d.config.id, to: m.from, success, matchIndex, rejectedIndex: success ? 0 : m.prevLogIndex, lastIndex: lastIndex(d.log) });
  if (m.prevLogIndex < d.log.snapshotIndex) {
    // Below our snapshot everything is committed and matches; tell the leader where we are.
    reply(true, d.commit);
    return;
  }
  if (!matchTerm(d.log, m.prevLogIndex, m.prevLogTerm)) {
    reply(false, 0);
    return;
  }
  const conflict = findConflict(d.log, m.entries);
  if (conflict !== 0) {
    if (conflict <= d.commit) {
      // A leader that would delete a committed entry breaks Leader Completeness: keep the entry, answer nothing.
      d.out.warnings.push(`AppendEntries from ${m.from} in term ${m.term} conflicts at ${conflict}, at or below our commit index ${d.commit}: ignored`);
      return;
    }
    d.log = truncateAndAppend(d.log, m.entries.slice(conflict - m.entries[0]!.index));
    logChangedFrom(d, conflict);
  }
  const lastNew = m.prevLogIndex + m.entries.length;
  const commit = Math.min(m.commit, lastNew);
  if (commit > d.commit) d.commit = commit;
  reply(true, lastNew);
}

/** An AppendEntries answer at the leader: advance or back off the follower's progress, commit, send more. */
export function handleAppendResponse(d: Draft, m: AppendResponse): void {
  const pr = d.progress.get(m.from);
  if (pr === undefined) return;
  d.progress.set(m.from, { ...pr, recentActive: true });
  if (!m.success) {
    if (!backOff(d, m)) return;
    sendAppend(d, m.from, true);
    return;
  }
  if (!acknowledge(d, m.from, m.matchIndex)) {
    // A stale or duplicated acknowledgement: only a probe waiting on it may go again.
    const now = progressOf(d, m.from);
    if (now.state === 'probe' && now.paused) d.progress.set(m.from, { ...now, paused: false });
    return;
  }
  if (maybeCommit(d)) broadcastAppend(d, false);
  else while (sendAppend(d, m.from, false)) {
    // fill the pipeline
  }
}

/** A success up to `matchIndex`: raise match (never lower it), free the batches it covers, switch to pipelining. */
function acknowledge(d: Draft, from: number, matchIndex: number): boolean {
  const pr = progressOf(d, from);
  if (matchIndex <= pr.match) return false;
  const match = matchIndex;
  let next: Progress = { ...pr, match, next: Math.max(pr.next, match + 1), inflight: pr.inflight.filter((last) => last > match), paused: false };
  if (pr.state === 'probe') next = { ...next, state: 'replicate', next: match + 1, inflight: [] };
  else if (pr.state === 'snapshot' && match >= pr.pendingSnapshot) next = { ...next, state: 'replicate', next: match + 1, inflight: [], pendingSnapshot: 0 };
  d.progress.set(from, next);
  return true;
}

/**
 * A refusal: the follower's log does not hold our entry at rejectedIndex.
 * Stale refusals (for a probe we no longer wait on, or below what we know
 * matches) are ignored; otherwise probe again from below both the refused
 * index and the follower's last index. Returns whether to send again.
 */
function backOff(d: Draft, m: AppendResponse): boolean {
  const pr = progressOf(d, m.from);
  if (pr.state === 'replicate') {
    if (m.rejectedIndex <= pr.match) return false;
    d.progress.set(m.from, { ...pr, state: 'probe', next: pr.match + 1, inflight: [], paused: false });
    return true;
  }
  if (pr.state === 'snapshot' || pr.next - 1 !== m.rejectedIndex) return false;
  const next = Math.max(Math.min(m.rejectedIndex, m.lastIndex + 1), pr.match + 1, 1);
  d.progress.set(m.from, { ...pr, next, paused: false });
  return true;
}
