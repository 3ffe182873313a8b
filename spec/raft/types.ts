// Raft's data: one server's state, the messages between servers, the events a
// server reacts to and the effects it asks of the world. The fields and the
// message records follow ongardie's raft.tla (Ongaro's dissertation, Appendix
// B) name for name, so a state printed by the checker reads like a TLC trace.
// The paper (Ongaro and Ousterhout 2014, Figure 2) is the source of the rules;
// raft.tla is the source of the atomicity: one message, one entry, one step.
//
// Values are plain data (numbers, strings, small frozen-by-convention arrays)
// so that states are cheap to copy immutably and to fingerprint.

/** raft.tla's `state[i]`. */
export type ServerState = 'Follower' | 'Candidate' | 'Leader';

/** raft.tla's `Nil` for `votedFor`: a server id is never negative. */
export const NIL = -1;

/** A log entry: `[term |-> currentTerm[i], value |-> v]` (raft.tla, ClientRequest). */
export interface Entry {
  readonly term: number;
  readonly value: number;
}

/** A log; index k of the paper is `log[k - 1]` here. */
export type Log = readonly Entry[];

export const EMPTY_LOG: Log = Object.freeze([]) as Log;

/**
 * A set of server ids as a bit mask (bit i = server i). raft.tla's
 * `votesResponded[i]` and `votesGranted[i]` are sets of servers; a mask keeps
 * them one number, which matters in the checker's hot path.
 */
export type ServerSet = number;

/**
 * What a server needs to know about the cluster and the variant it runs. Shared
 * by every server of a model (one object), never part of a fingerprint.
 */
export interface RaftConfig {
  /** How many servers; ids are 0..servers-1. */
  readonly servers: number;
  /** Keep raft.tla's proof-only history (voterLog, mlog); see world.ts and history.ts. */
  readonly history: boolean;
  /** The known-bug mutant this server runs, if any (mutants.ts). */
  readonly mutant: MutantName | undefined;
  /**
   * Ovidiu Marcu's fork of raft.tla (README.md, "Side by side with TLC"): a
   * follower's commitIndex never decreases and never passes its log, and a
   * leader's matchIndex never decreases. Off (undefined) for raft.tla.
   */
  readonly monotonicIndexes?: boolean;
}

export type MutantName =
  | 'figure8-commit'
  | 'double-vote'
  | 'truncate-on-stale-append'
  | 'skip-log-up-to-date-check'
  | 'stale-read';

/**
 * A linearizable read in progress at a leader (dissertation §6.4, ReadIndex):
 * the commit index recorded when the read arrived and the servers that have
 * since acknowledged a heartbeat for it in the leader's current term.
 */
export interface PendingRead {
  /** Which of this leader's reads (1, 2, ...); heartbeats carry it back. */
  readonly seq: number;
  readonly readIndex: number;
  readonly acks: ServerSet;
}

/** One server: raft.tla's per-server variables, plus ReadIndex's. */
export interface RaftNode {
  readonly config: RaftConfig;
  readonly id: number;
  // Persistent state on all servers (Figure 2): survives Restart.
  readonly currentTerm: number;
  readonly votedFor: number;
  readonly log: Log;
  // Volatile state.
  readonly state: ServerState;
  readonly commitIndex: number;
  // Candidates (raft.tla's candidateVars).
  readonly votesResponded: ServerSet;
  readonly votesGranted: ServerSet;
  /**
   * raft.tla's history variable `voterLog[i]`: each voter's log as carried by
   * its granted vote (index = voter id, undefined = no vote). Proof-only; kept
   * empty unless `config.history`.
   */
  readonly voterLog: readonly (Log | undefined)[];
  // Leaders (raft.tla's leaderVars). Index j is server j; [i] is never read.
  readonly nextIndex: readonly number[];
  readonly matchIndex: readonly number[];
  // ReadIndex (dissertation §6.4); not in raft.tla.
  readonly readSeq: number;
  readonly pendingRead: PendingRead | undefined;
}

// ---------------------------------------------------------------------------
// Messages: raft.tla's records, `mtype` first. `mlog` is the proof-only copy of
// the sender's log raft.tla puts in vote responses and AppendEntries requests;
// it is EMPTY_LOG unless the history is kept.

export interface RequestVoteRequest {
  readonly mtype: 'RequestVoteRequest';
  readonly mterm: number;
  readonly mlastLogTerm: number;
  readonly mlastLogIndex: number;
  readonly msource: number;
  readonly mdest: number;
}

export interface RequestVoteResponse {
  readonly mtype: 'RequestVoteResponse';
  readonly mterm: number;
  readonly mvoteGranted: boolean;
  readonly mlog: Log;
  readonly msource: number;
  readonly mdest: number;
}

export interface AppendEntriesRequest {
  readonly mtype: 'AppendEntriesRequest';
  readonly mterm: number;
  readonly mprevLogIndex: number;
  readonly mprevLogTerm: number;
  /** At most one entry (raft.tla, AppendEntries). */
  readonly mentries: Log;
  readonly mlog: Log;
  readonly mcommitIndex: number;
  readonly msource: number;
  readonly mdest: number;
}

export interface AppendEntriesResponse {
  readonly mtype: 'AppendEntriesResponse';
  readonly mterm: number;
  readonly msuccess: boolean;
  readonly mmatchIndex: number;
  readonly msource: number;
  readonly mdest: number;
}

/** ReadIndex's leadership check (dissertation §6.4): "are you still in my term?" */
export interface HeartbeatRequest {
  readonly mtype: 'HeartbeatRequest';
  readonly mterm: number;
  readonly mreadSeq: number;
  readonly msource: number;
  readonly mdest: number;
}

export interface HeartbeatResponse {
  readonly mtype: 'HeartbeatResponse';
  readonly mterm: number;
  readonly mreadSeq: number;
  readonly msource: number;
  readonly mdest: number;
}

export type Message =
  | RequestVoteRequest
  | RequestVoteResponse
  | AppendEntriesRequest
  | AppendEntriesResponse
  | HeartbeatRequest
  | HeartbeatResponse;

// ---------------------------------------------------------------------------
// Events: what can happen to one server, named after raft.tla's actions (the
// acting server is implicit: it is the node passed to step()).

export type RaftEvent =
  | { readonly type: 'Restart' }
  | { readonly type: 'Timeout' }
  | { readonly type: 'RequestVote'; readonly peer: number }
  | { readonly type: 'BecomeLeader' }
  | { readonly type: 'ClientRequest'; readonly value: number }
  | { readonly type: 'AdvanceCommitIndex' }
  | { readonly type: 'AppendEntries'; readonly peer: number }
  | { readonly type: 'Receive'; readonly message: Message }
  // ReadIndex (dissertation §6.4), not in raft.tla:
  | { readonly type: 'ReadIndex' }
  | { readonly type: 'Heartbeat'; readonly peer: number }
  | { readonly type: 'AnswerRead' };

// ---------------------------------------------------------------------------
// Effects, in the order the world must carry them out (as etcd-io/raft's Ready:
// persist BEFORE the messages that depend on it are sent).

export type RaftEffect =
  /** currentTerm, votedFor and log of the new state must reach stable storage before any later effect. */
  | { readonly type: 'Persist' }
  /** raft.tla's Send: put one more copy of the message in the network. */
  | { readonly type: 'Send'; readonly message: Message }
  /** raft.tla's Discard: the delivered message is consumed (one copy taken out). */
  | { readonly type: 'Discard' }
  /** A ReadIndex read is answered with the state machine's contents up to readIndex. */
  | { readonly type: 'AnswerRead'; readonly seq: number; readonly readIndex: number; readonly entries: Log };
