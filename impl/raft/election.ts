// Leader election (§5.2) with pre-vote (dissertation §9.6) and the election
// restriction (§5.4.1): campaigning when the election timer fires, granting
// votes, counting them. The term rules every message goes through first
// (adopt a newer term, answer a stale one) are step.ts's.

import { isUpToDate, lastIndex, lastTerm } from './log.ts';
import { becomeCandidate, becomeLeader, becomePreCandidate, type Draft, isBuggy, quorum, send, setHardState } from './node.ts';
import { appendNoop, broadcastAppend, maybeCommit } from './replication.ts';
import type { Message } from './types.ts';

type VoteRequest = Extract<Message, { type: 'RequestVote' }>;
type VoteResponse = Extract<Message, { type: 'RequestVoteResponse' }>;

/** The election timer fired at a follower or (pre-)candidate: start a pre-vote round, or an election. */
export function campaign(d: Draft, preVote: boolean): void {
  if (preVote) {
    becomePreCandidate(d);
  } else {
    becomeCandidate(d);
  }
  d.votes.set(d.config.id, true);
  if (tally(d) >= quorum(d)) {
    wonVote(d);
    return;
  }
  // A pre-vote asks for the term we would take; a vote for the one we took (and persisted with our own vote).
  const term = preVote ? d.term + 1 : d.term;
  for (const to of d.config.voters) {
    if (to === d.config.id) continue;
    send(d, { type: 'RequestVote', term, from: d.config.id, to, lastLogIndex: lastIndex(d.log), lastLogTerm: lastTerm(d.log), preVote });
  }
}

function wonVote(d: Draft): void {
  if (d.role === 'pre-candidate') {
    campaign(d, false);
    return;
  }
  becomeLeader(d);
  if (d.config.noopOnElection) appendNoop(d);
  broadcastAppend(d, true);
  // Alone, we are the quorum: the empty entry commits at once.
  maybeCommit(d);
}

/**
 * RequestVote at a node whose term is the request's, or lower for a pre-vote
 * (step.ts has handled newer and older terms): grant when we may vote (no
 * other vote in this term, §5.2; for a pre-vote, the term asked for is ahead
 * of ours) and the candidate's log is at least as up-to-date as ours (§5.4.1).
 */
export function handleRequestVote(d: Draft, m: VoteRequest): void {
  const mayVote = isBuggy(d, 'double-vote') || d.vote === m.from || (m.preVote ? m.term > d.term || d.vote === -1 : d.vote === -1);
  const logOk = isBuggy(d, 'skip-log-up-to-date-check') || isUpToDate(d.log, m.lastLogIndex, m.lastLogTerm);
  const granted = mayVote && logOk;
  if (granted && !m.preVote) {
    // Granting a vote resets the timer (§5.2), and the vote is persisted before the response leaves (Figure 2).
    d.electionElapsed = 0;
    setHardState(d, d.term, m.from);
  }
  // A granted pre-vote answers in the term asked for, so the pre-candidate counts it; a refusal in ours.
  const term = granted && m.preVote ? m.term : d.term;
  send(d, { type: 'RequestVoteResponse', term, from: d.config.id, to: m.from, granted, preVote: m.preVote });
}

/** A vote (or pre-vote) answer at a (pre-)candidate of that round. */
export function handleVoteResponse(d: Draft, m: VoteResponse): void {
  const round = m.preVote ? 'pre-candidate' : 'candidate';
  if (d.role !== round) return;
  // A grant counts even after a refusal from the same voter: the refusal may answer a request of an older term
  // (sent with our term), the grant is the voter's one vote in this term.
  if (m.granted || !d.votes.has(m.from)) d.votes.set(m.from, m.granted);
  // A lost election is not cut short: the (pre-)candidate waits for its timer, as Figure 2 has it.
  if (tally(d) >= quorum(d)) wonVote(d);
}

function tally(d: Draft): number {
  let granted = 0;
  for (const id of d.config.voters) if (d.votes.get(id) === true) granted++;
  return granted;
}
