// The world of the Raft model: the servers (step.ts), the network as
// raft.tla's bag of messages `[Message -> count]` (spec/common/bag.ts),
// raft.tla's history variables, our ghost variables that only invariants read,
// and the fork's counters. The checker's actions on it are in actions.ts.
//
// The bounds are TLC's: a state CONSTRAINT (isWithinBounds) discards states
// whose terms, logs or message copies exceed them, exactly as a TLC model of
// raft.tla with `currentTerm[i] <= MaxTerm /\ Len(log[i]) <= MaxLogLength /\
// \A m \in DOMAIN messages : messages[m] <= MaxCopies` would.

import { assertNever } from '../../lib/assert.ts';
import * as bags from '../common/bag.ts';
import type { Bag, Copies } from '../common/bag.ts';
import { initialNode } from './step.ts';
import type { Log, Message, MutantName, RaftConfig, RaftNode, ServerSet } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { bagWith, bagWithout } = bags;

// ---------------------------------------------------------------------------
// State.

/**
 * One message and how many copies of it are in flight (a bag item; count >= 1,
 * or 0 under keepDelivered: a delivered message the fork keeps in the domain).
 */
export type InFlight = Copies<Message>;

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

/** Ghost variables (docs/STYLE.md, "Ghost variables"): read only by invariants; never by a server. */
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
  /** raft.tla's `messages`: the bag `[Message -> count]` (spec/common/bag.ts). */
  readonly messages: Bag<Message>;
  readonly history: History;
  readonly ghost: Ghost;
  readonly counters: Counters;
}

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
  /** Check LeaderEventuallyElected and LeaderEntriesCommitted under weak fairness (liveness.ts); default false. */
  readonly liveness?: boolean;
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

export function isWithinBounds(state: RaftCluster, options: RaftModelOptions): boolean {
  for (const node of state.nodes) {
    if (node.currentTerm > options.maxTerm || node.log.length > options.maxLogLength) return false;
  }
  for (const item of state.messages) if (item.count > options.maxCopies) return false;
  return options.maxMessages === 0 || state.messages.length <= options.maxMessages;
}

// ---------------------------------------------------------------------------
// The message bag: raft.tla's WithMessage and WithoutMessage over `[M -> count]`.

/**
 * raft.tla's WithMessage(m, msgs): one more copy of m. Under keepDelivered
 * (the fork) a message already in the domain, even delivered (count 0), is
 * left as it is: the same message is never sent twice.
 */
export function withMessage(m: Message, bag: Bag<Message>, keepDelivered = false): Bag<Message> {
  return bagWith(bag, m, messagesEqual, keepDelivered);
}

/**
 * raft.tla's WithoutMessage(m, msgs): one copy fewer; the last copy leaves the
 * bag's domain (raft.tla since 2024), or under keepDelivered (the fork, as
 * raft.tla before 2024) stays in it with count 0.
 */
export function withoutMessage(m: Message, bag: Bag<Message>, keepDelivered = false): Bag<Message> {
  return bagWithout(bag, m, messagesEqual, keepDelivered);
}

export function logsEqual(a: Log, b: Log): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let k = 0; k < a.length; k++) if (a[k] !== b[k]) return false; // entries are interned
  return true;
}

function messagesEqual(a: Message, b: Message): boolean {
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
