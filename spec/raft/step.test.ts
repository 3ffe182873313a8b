// The reducer, one rule at a time, named after the sentences of the Raft paper
// (Ongaro and Ousterhout 2014) and the actions of raft.tla they test.

import { describe, expect, it } from 'vitest';
import { initialNode, makeEntry, step } from './step.ts';
import {
  NIL,
  type AppendEntriesRequest,
  type Message,
  type MutantName,
  type RaftConfig,
  type RaftEffect,
  type RaftNode,
  type RequestVoteRequest,
} from './types.ts';

const config = (mutant?: MutantName, servers = 3): RaftConfig => ({ servers, history: false, mutant });
const node = (id: number, fields: Partial<RaftNode> = {}, mutant?: MutantName): RaftNode => ({ ...initialNode(config(mutant), id), ...fields });
const e = (term: number, value = 1) => makeEntry(term, value);

const sent = (effects: readonly RaftEffect[]): Message[] =>
  effects.flatMap((effect) => (effect.type === 'Send' ? [effect.message] : []));
const types = (effects: readonly RaftEffect[]): string[] => effects.map((effect) => effect.type);

const voteRequest = (from: number, to: number, term: number, lastLogTerm = 0, lastLogIndex = 0): RequestVoteRequest => ({
  mtype: 'RequestVoteRequest',
  mterm: term,
  mlastLogTerm: lastLogTerm,
  mlastLogIndex: lastLogIndex,
  msource: from,
  mdest: to,
});

const append = (from: number, to: number, fields: Partial<AppendEntriesRequest>): AppendEntriesRequest => ({
  mtype: 'AppendEntriesRequest',
  mterm: 2,
  mprevLogIndex: 0,
  mprevLogTerm: 0,
  mentries: [],
  mlog: [],
  mcommitIndex: 0,
  msource: from,
  mdest: to,
  ...fields,
});

describe('§5.2 leader election', () => {
  it('Timeout: a follower becomes a candidate in the next term, forgets its vote, and persists both', () => {
    const { state, effects } = step(node(0, { votedFor: 2 }), { type: 'Timeout' });
    expect(state).toMatchObject({ state: 'Candidate', currentTerm: 2, votedFor: NIL, votesResponded: 0, votesGranted: 0 });
    expect(types(effects)).toEqual(['Persist']);
  });

  it('Timeout is not enabled on a leader', () => {
    const leader = node(0, { state: 'Leader', currentTerm: 2 });
    expect(step(leader, { type: 'Timeout' })).toEqual({ state: leader, effects: [] });
  });

  it('RequestVote: a candidate asks every server, itself included, until it has answered', () => {
    const candidate = node(0, { state: 'Candidate', currentTerm: 2, log: [e(1)] });
    expect(sent(step(candidate, { type: 'RequestVote', peer: 0 }).effects)).toEqual([voteRequest(0, 0, 2, 1, 1)]);
    const answered = { ...candidate, votesResponded: 0b010 };
    expect(step(answered, { type: 'RequestVote', peer: 1 }).effects).toEqual([]);
  });

  it('"each server will vote for at most one candidate in a given term": the second candidate is refused', () => {
    const voter = node(2, { currentTerm: 2 });
    const first = step(voter, { type: 'Receive', message: voteRequest(0, 2, 2) });
    expect(first.state.votedFor).toBe(0);
    // The vote is on stable storage before the response leaves, and the request is consumed.
    expect(types(first.effects)).toEqual(['Persist', 'Send', 'Discard']);
    expect(sent(first.effects)[0]).toMatchObject({ mtype: 'RequestVoteResponse', mvoteGranted: true, mdest: 0 });

    const second = step(first.state, { type: 'Receive', message: voteRequest(1, 2, 2) });
    expect(second.state.votedFor).toBe(0);
    expect(sent(second.effects)[0]).toMatchObject({ mvoteGranted: false, mdest: 1 });

    // The same candidate asking again (a duplicate) gets the same answer.
    expect(sent(step(first.state, { type: 'Receive', message: voteRequest(0, 2, 2) }).effects)[0]).toMatchObject({ mvoteGranted: true });
  });

  it('double-vote mutant: the second candidate of the term gets a vote too', () => {
    const voter = node(2, { currentTerm: 2, votedFor: 0 }, 'double-vote');
    const { state, effects } = step(voter, { type: 'Receive', message: voteRequest(1, 2, 2) });
    expect(state.votedFor).toBe(1);
    expect(sent(effects)[0]).toMatchObject({ mvoteGranted: true });
  });

  it('BecomeLeader needs votes from a majority: 2 of 3', () => {
    const candidate = node(0, { state: 'Candidate', currentTerm: 2, log: [e(1)] });
    const alone = { ...candidate, votesGranted: 0b001 };
    expect(step(alone, { type: 'BecomeLeader' }).state).toBe(alone);
    const leader = step({ ...candidate, votesGranted: 0b101 }, { type: 'BecomeLeader' }).state;
    expect(leader).toMatchObject({ state: 'Leader', nextIndex: [2, 2, 2], matchIndex: [0, 0, 0] });
  });

  it('HandleRequestVoteResponse tallies granted and refused votes of the current term', () => {
    const candidate = node(0, { state: 'Candidate', currentTerm: 2 });
    const granted: Message = { mtype: 'RequestVoteResponse', mterm: 2, mvoteGranted: true, mlog: [], msource: 1, mdest: 0 };
    const refused: Message = { ...granted, mvoteGranted: false, msource: 2 };
    const afterGrant = step(candidate, { type: 'Receive', message: granted });
    expect(afterGrant.state).toMatchObject({ votesResponded: 0b010, votesGranted: 0b010 });
    expect(types(afterGrant.effects)).toEqual(['Discard']);
    expect(step(afterGrant.state, { type: 'Receive', message: refused }).state).toMatchObject({ votesResponded: 0b110, votesGranted: 0b010 });
  });
});

describe('§5.1 terms: "if one server\'s current term is smaller than the other\'s, then it updates its current term"', () => {
  it('UpdateTerm: a leader that sees a newer term becomes a follower, and the message stays to be handled', () => {
    const leader = node(0, { state: 'Leader', currentTerm: 2, votedFor: 0 });
    const { state, effects } = step(leader, { type: 'Receive', message: voteRequest(1, 0, 3) });
    expect(state).toMatchObject({ state: 'Follower', currentTerm: 3, votedFor: NIL });
    expect(types(effects)).toEqual(['Persist']); // no Discard: raft.tla leaves m in the bag
  });

  it('DropStaleResponse: a response from an older term is consumed and ignored', () => {
    const candidate = node(0, { state: 'Candidate', currentTerm: 3 });
    const old: Message = { mtype: 'RequestVoteResponse', mterm: 2, mvoteGranted: true, mlog: [], msource: 1, mdest: 0 };
    expect(step(candidate, { type: 'Receive', message: old })).toEqual({ state: candidate, effects: [{ type: 'Discard' }] });
  });
});

describe('§5.4.1 election restriction: "the voter denies its vote if its own log is more up-to-date"', () => {
  const voter = node(1, { currentTerm: 3, log: [e(1), e(2)] });

  it('refuses a candidate whose last entry has an older term, or the same term and a shorter log', () => {
    expect(sent(step(voter, { type: 'Receive', message: voteRequest(0, 1, 3, 1, 5) }).effects)[0]).toMatchObject({ mvoteGranted: false });
    expect(sent(step(voter, { type: 'Receive', message: voteRequest(0, 1, 3, 2, 1) }).effects)[0]).toMatchObject({ mvoteGranted: false });
  });

  it('grants a candidate with a later last term, however short its log', () => {
    expect(sent(step(voter, { type: 'Receive', message: voteRequest(0, 1, 3, 3, 1) }).effects)[0]).toMatchObject({ mvoteGranted: true });
  });

  it('skip-log-up-to-date-check mutant: grants the candidate with the older log', () => {
    const careless = { ...voter, config: config('skip-log-up-to-date-check') };
    expect(sent(step(careless, { type: 'Receive', message: voteRequest(0, 1, 3, 1, 1) }).effects)[0]).toMatchObject({ mvoteGranted: true });
  });
});

describe('§5.3 log replication', () => {
  const leader = node(0, { state: 'Leader', currentTerm: 2, log: [e(2), e(2)], commitIndex: 2, nextIndex: [3, 1, 2], matchIndex: [0, 0, 1] });

  it('AppendEntries sends at most one entry, the one at nextIndex, with the entry before it', () => {
    const [toS1] = sent(step(leader, { type: 'AppendEntries', peer: 1 }).effects);
    expect(toS1).toMatchObject({ mprevLogIndex: 0, mprevLogTerm: 0, mentries: [e(2)], mcommitIndex: 1 });
    const [toS2] = sent(step(leader, { type: 'AppendEntries', peer: 2 }).effects);
    expect(toS2).toMatchObject({ mprevLogIndex: 1, mprevLogTerm: 2, mentries: [e(2)], mcommitIndex: 2 });
    expect(step(leader, { type: 'AppendEntries', peer: 0 }).effects).toEqual([]); // never to itself
  });

  it('ClientRequest appends an entry of the current term and persists it', () => {
    const { state, effects } = step(leader, { type: 'ClientRequest', value: 7 });
    expect(state.log).toEqual([e(2), e(2), e(2, 7)]);
    expect(types(effects)).toEqual(['Persist']);
  });

  it('a follower rejects a request whose previous entry it does not hold', () => {
    const follower = node(1, { currentTerm: 2, log: [e(1)] });
    const { state, effects } = step(follower, { type: 'Receive', message: append(0, 1, { mprevLogIndex: 1, mprevLogTerm: 2, mentries: [e(2)] }) });
    expect(state).toBe(follower);
    expect(sent(effects)[0]).toMatchObject({ mtype: 'AppendEntriesResponse', msuccess: false, mmatchIndex: 0 });
  });

  it('"if an existing entry conflicts with a new one, delete" it: raft.tla removes the last entry and keeps the request', () => {
    const follower = node(1, { currentTerm: 3, log: [e(2)] });
    const request = append(0, 1, { mterm: 3, mentries: [e(3)] });
    const first = step(follower, { type: 'Receive', message: request });
    expect(first.state.log).toEqual([]);
    expect(types(first.effects)).toEqual(['Persist']);
    const second = step(first.state, { type: 'Receive', message: request });
    expect(second.state.log).toEqual([e(3)]);
    const third = step(second.state, { type: 'Receive', message: request });
    expect(types(third.effects)).toEqual(['Send', 'Discard']);
    expect(sent(third.effects)[0]).toMatchObject({ msuccess: true, mmatchIndex: 1 });
  });

  it('an already-held entry is acknowledged and the commit index taken from the leader', () => {
    const follower = node(1, { currentTerm: 2, log: [e(2), e(2)] });
    const { state, effects } = step(follower, { type: 'Receive', message: append(0, 1, { mentries: [e(2)], mcommitIndex: 1 }) });
    expect(state.log).toEqual([e(2), e(2)]);
    expect(state.commitIndex).toBe(1);
    expect(sent(effects)[0]).toMatchObject({ msuccess: true, mmatchIndex: 1 });
  });

  it('truncate-on-stale-append mutant: the same old request erases the entry after it', () => {
    const follower = node(1, { currentTerm: 2, log: [e(2), e(2)] }, 'truncate-on-stale-append');
    const { state } = step(follower, { type: 'Receive', message: append(0, 1, { mentries: [e(2)] }) });
    expect(state.log).toEqual([e(2)]);
  });

  it('a candidate that hears from the leader of its term returns to follower, and the request stays', () => {
    const candidate = node(1, { state: 'Candidate', currentTerm: 2 });
    expect(step(candidate, { type: 'Receive', message: append(0, 1, {}) })).toEqual({ state: { ...candidate, state: 'Follower' }, effects: [] });
  });

  it('HandleAppendEntriesResponse: success sets matchIndex and nextIndex; failure backs nextIndex off by one, not below 1', () => {
    const ok: Message = { mtype: 'AppendEntriesResponse', mterm: 2, msuccess: true, mmatchIndex: 2, msource: 1, mdest: 0 };
    expect(step(leader, { type: 'Receive', message: ok }).state).toMatchObject({ nextIndex: [3, 3, 2], matchIndex: [0, 2, 1] });
    const refused: Message = { ...ok, msuccess: false, mmatchIndex: 0, msource: 2 };
    expect(step(leader, { type: 'Receive', message: refused }).state).toMatchObject({ nextIndex: [3, 1, 1], matchIndex: [0, 0, 1] });
  });
});

describe('§5.4.2 committing entries from previous terms', () => {
  // s0 leads term 4; its log holds an entry of term 2 that s1 also holds (the setting of Figure 8 (c)).
  const leader = node(0, { state: 'Leader', currentTerm: 4, log: [e(2)], nextIndex: [2, 2, 1], matchIndex: [0, 1, 0] });

  it('"Raft never commits log entries from previous terms by counting replicas"', () => {
    expect(step(leader, { type: 'AdvanceCommitIndex' }).state.commitIndex).toBe(0);
  });

  it('an entry of the current term on a majority commits, and with it everything before it', () => {
    const current = { ...leader, log: [e(2), e(4)], matchIndex: [0, 2, 0] };
    expect(step(current, { type: 'AdvanceCommitIndex' }).state.commitIndex).toBe(2);
  });

  it('figure8-commit mutant: the term-2 entry commits in term 4 by counting replicas', () => {
    const unsafe = { ...leader, config: config('figure8-commit') };
    expect(step(unsafe, { type: 'AdvanceCommitIndex' }).state.commitIndex).toBe(1);
  });
});

describe('Restart: "persistent state on all servers, updated on stable storage before responding to RPCs"', () => {
  it('keeps currentTerm, votedFor and log; loses role, commit index, votes and leader state', () => {
    const leader = node(0, { state: 'Leader', currentTerm: 3, votedFor: 0, log: [e(3)], commitIndex: 1, votesGranted: 0b011, nextIndex: [2, 2, 2], matchIndex: [0, 1, 1] });
    const { state } = step(leader, { type: 'Restart' });
    expect(state).toMatchObject({ state: 'Follower', currentTerm: 3, votedFor: 0, log: [e(3)], commitIndex: 0, votesGranted: 0, nextIndex: [1, 1, 1], matchIndex: [0, 0, 0] });
  });
});

describe('ReadIndex (dissertation §6.4)', () => {
  const leader = node(0, { state: 'Leader', currentTerm: 2, log: [e(2)], commitIndex: 1 });

  it('waits until the leader has committed an entry of its current term', () => {
    const fresh = { ...leader, log: [e(1)], commitIndex: 1 };
    expect(step(fresh, { type: 'ReadIndex' }).state).toBe(fresh);
  });

  it('records the commit index, and answers only after a majority acknowledged a heartbeat for this read', () => {
    const reading = step(leader, { type: 'ReadIndex' }).state;
    expect(reading.pendingRead).toEqual({ seq: 1, readIndex: 1, acks: 0b001 });
    expect(step(reading, { type: 'AnswerRead' }).effects).toEqual([]);

    const [beat] = sent(step(reading, { type: 'Heartbeat', peer: 2 }).effects);
    expect(beat).toMatchObject({ mtype: 'HeartbeatRequest', mterm: 2, mreadSeq: 1, mdest: 2 });
    const [ack] = sent(step(node(2, { currentTerm: 2 }), { type: 'Receive', message: beat! }).effects);
    expect(ack).toMatchObject({ mtype: 'HeartbeatResponse', mterm: 2, mreadSeq: 1 });

    const confirmed = step(reading, { type: 'Receive', message: ack! }).state;
    expect(confirmed.pendingRead?.acks).toBe(0b101);
    const answered = step(confirmed, { type: 'AnswerRead' });
    expect(answered.effects).toEqual([{ type: 'AnswerRead', seq: 1, readIndex: 1, entries: [e(2)] }]);
    expect(answered.state.pendingRead).toBeUndefined();
  });

  it('an acknowledgement for an earlier read does not count', () => {
    const reading = { ...leader, readSeq: 2, pendingRead: { seq: 2, readIndex: 1, acks: 0b001 } };
    const oldAck: Message = { mtype: 'HeartbeatResponse', mterm: 2, mreadSeq: 1, msource: 1, mdest: 0 };
    expect(step(reading, { type: 'Receive', message: oldAck }).state.pendingRead?.acks).toBe(0b001);
  });

  it('stale-read mutant: answers without any acknowledgement', () => {
    const reading = step({ ...leader, config: config('stale-read') }, { type: 'ReadIndex' }).state;
    expect(types(step(reading, { type: 'AnswerRead' }).effects)).toEqual(['AnswerRead']);
  });
});
