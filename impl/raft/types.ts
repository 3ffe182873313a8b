// The sans-IO Raft core's vocabulary: entries, the durable hard state, the
// messages between peers, what can happen to a node (its inputs), and how it
// is configured. The names are the paper's (Ongaro and Ousterhout 2014,
// Figure 2: currentTerm, votedFor, log[], commitIndex; RequestVote and
// AppendEntries RPCs; InstallSnapshot from §7) and etcd-io/raft's where the
// paper has none (pre-vote, check-quorum, progress, ReadIndex's context).
// Indexes and terms are plain numbers: 2^53 of either is beyond any run.

/** A log entry: its position, the term of the leader that created it, and the client's opaque bytes. */
export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

/** Figure 2's persistent state besides the log: written to stable storage before responding to RPCs. */
export interface HardState {
  readonly term: number;
  /** NONE: no vote in this term. */
  readonly vote: number;
}

/** No server: an empty vote, an unknown leader. */
export const NONE = -1;

/** A state machine snapshot covering the log up to `index` (§7); `data` is the application's. */
export interface Snapshot {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
}

interface Envelope {
  readonly term: number;
  readonly from: number;
  readonly to: number;
}

/**
 * The RPCs of Figure 2 as one-way messages (a response is its own message, as
 * in etcd-io/raft): the transport may lose, duplicate or reorder any of them.
 */
export type Message =
  /** RequestVote (§5.2); `preVote` is the pre-vote round (dissertation §9.6): the term is the one the candidate would take, nothing is persisted. */
  | (Envelope & { readonly type: 'RequestVote'; readonly lastLogIndex: number; readonly lastLogTerm: number; readonly preVote: boolean })
  | (Envelope & { readonly type: 'RequestVoteResponse'; readonly granted: boolean; readonly preVote: boolean })
  /** AppendEntries (§5.3): a batch of entries after (prevLogIndex, prevLogTerm), and the leader's commitIndex. */
  | (Envelope & {
      readonly type: 'AppendEntries';
      readonly prevLogIndex: number;
      readonly prevLogTerm: number;
      readonly entries: readonly Entry[];
      readonly commit: number;
    })
  /**
   * Success: the follower's log matches the leader's up to `matchIndex`.
   * Failure: `rejectedIndex` is the request's prevLogIndex and `lastIndex` the
   * follower's last index, so the leader can skip back in one step (§5.3's
   * optimisation, etcd's RejectHint).
   */
  | (Envelope & { readonly type: 'AppendEntriesResponse'; readonly success: boolean; readonly matchIndex: number; readonly rejectedIndex: number; readonly lastIndex: number })
  /** An empty AppendEntries that only asserts leadership; `context` is a ReadIndex read's (0: none). */
  | (Envelope & { readonly type: 'Heartbeat'; readonly commit: number; readonly context: number })
  | (Envelope & { readonly type: 'HeartbeatResponse'; readonly context: number })
  /** InstallSnapshot (§7), in one message: the follower's log lies below the leader's first entry. */
  | (Envelope & { readonly type: 'InstallSnapshot'; readonly snapshot: Snapshot });

export type MessageType = Message['type'];

/** What can happen to one node. Time is ticks: the world decides how long a tick is. */
export type RaftInput =
  | { readonly type: 'Tick' }
  | { readonly type: 'Receive'; readonly message: Message }
  /** A client's write, at the leader (elsewhere it is refused: the output says so). */
  | { readonly type: 'Propose'; readonly data: Uint8Array }
  /** A linearizable read (dissertation §6.4); `context` (> 0) names it in the answer. */
  | { readonly type: 'ReadIndex'; readonly context: number }
  /** The application has a snapshot of everything applied up to `index`: the log before it may go (§7). */
  | { readonly type: 'Compact'; readonly index: number; readonly data: Uint8Array };

/**
 * Known bugs the core can be built with, each the spec's mutant of the same
 * name (spec/raft/mutants.ts), so conformance can show the replay catches it.
 */
export const RAFT_BUGS = ['figure8-commit', 'double-vote', 'skip-log-up-to-date-check', 'stale-read'] as const;
export type RaftBug = (typeof RAFT_BUGS)[number];

export interface RaftConfig {
  readonly id: number;
  /** Every voter's id, this node's included. */
  readonly voters: readonly number[];
  /** Ticks without hearing from a leader before a follower campaigns; the actual timeout is drawn in [electionTicks, 2 * electionTicks). */
  readonly electionTicks: number;
  /** Ticks between a leader's heartbeats (< electionTicks). */
  readonly heartbeatTicks: number;
  /** Pre-vote (dissertation §9.6): a node campaigns only after a quorum says it could win. */
  readonly preVote: boolean;
  /** A leader that has not heard from a quorum within an election timeout steps down (dissertation §6.2). */
  readonly checkQuorum: boolean;
  /** AppendEntries requests in flight to one follower at most (pipelining). */
  readonly maxInflight: number;
  /** Entries in one AppendEntries at most (batching). */
  readonly maxBatchEntries: number;
  /** A new leader appends an empty entry of its term, so that earlier entries commit with it (§5.4.2, §8). */
  readonly noopOnElection: boolean;
  /** Seeds the randomised election timeout (the core draws no other randomness). */
  readonly seed: number;
  readonly bugs?: ReadonlySet<RaftBug>;
}

/** Sensible defaults for everything but the id and the voters. */
export function defaultConfig(id: number, voters: readonly number[], overrides: Partial<RaftConfig> = {}): RaftConfig {
  return {
    id,
    voters,
    electionTicks: 10,
    heartbeatTicks: 1,
    preVote: true,
    checkQuorum: true,
    maxInflight: 8,
    maxBatchEntries: 64,
    noopOnElection: true,
    seed: 1,
    ...overrides,
  };
}
