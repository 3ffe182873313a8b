// Single-decree Paxos: the state of each role, the four messages and the
// events and effects of the per-node reducers. Names follow Lamport's
// Paxos.tla (tlaplus/Examples, specifications/Paxos/Paxos.tla): maxBal,
// maxVBal, maxVal and the message fields bal, mbal, mval, val, acc. The
// roles follow "Paxos Made Simple" §2.1 (proposers, acceptors, learners).
//
// Every field is a small integer so that a state is plain data and cheap to
// fingerprint. "None" (Paxos.tla's `None`, "no value") is -1, as is "no
// ballot" (Paxos.tla's -1 in `Ballot \cup {-1}`).

import type { Ballot, NodeId } from '../common/types.ts';

/** A value index 0..values-1 (docs and traces print value i as v(i+1), like MCPaxos's v1, v2). */
export type Value = number;

/** Paxos.tla's None: an acceptor that has not voted reports mval = None. */
export const NONE: Value = -1;
/** Paxos.tla's -1 in Ballot \cup {-1}: "no ballot yet". */
export const NO_BALLOT = -1 as Ballot;

// ---------------------------------------------------------------------------
// Node states

/**
 * An acceptor is exactly Paxos.tla's three per-acceptor variables.
 * <<maxVBal, maxVal>> is the vote with the largest ballot the acceptor cast;
 * <<-1, None>> if it has not voted.
 */
export interface AcceptorState {
  /** The highest ballot this acceptor has promised (Phase1b) or voted in (Phase2b). */
  readonly maxBal: Ballot;
  readonly maxVBal: Ballot;
  readonly maxVal: Value;
}

/**
 * Paxos.tla "essentially considers there to be a separate leader for each
 * ballot number" (its header comment): proposer b runs ballot b only. Its
 * phase is what it has sent: nothing, the 1a, or the one 2a (Phase2a allows
 * at most one 2a per ballot).
 */
export type ProposerPhase = 'idle' | 'phase1' | 'phase2';

export interface ProposerState {
  readonly ballot: Ballot;
  readonly phase: ProposerPhase;
  /** The value of the 2a it sent (phase2); NONE before. */
  readonly value: Value;
}

/**
 * A learner counts 2b messages ("Paxos Made Simple" §2.3: each acceptor,
 * whenever it accepts a proposal, responds to all learners). `votes[b *
 * values + v]` is the bitmask of acceptors whose 2b for <<b, v>> arrived.
 */
export interface LearnerState {
  readonly votes: readonly number[];
  /** The value it has learned is chosen; NONE until a quorum of 2b agree. */
  readonly learned: Value;
}

// ---------------------------------------------------------------------------
// Messages (Paxos.tla's Message set)

export type Message1a = { readonly type: '1a'; readonly bal: Ballot };
/** A promise: acc will take no part in ballots below bal; <<mbal, mval>> is its latest vote. */
export type Message1b = {
  readonly type: '1b';
  readonly acc: NodeId;
  readonly bal: Ballot;
  readonly mbal: Ballot;
  readonly mval: Value;
};
/** The ballot-bal leader asks the acceptors to vote for val in ballot bal. */
export type Message2a = { readonly type: '2a'; readonly bal: Ballot; readonly val: Value };
/** acc voted for val in ballot bal. */
export type Message2b = { readonly type: '2b'; readonly acc: NodeId; readonly bal: Ballot; readonly val: Value };

export type Message = Message1a | Message1b | Message2a | Message2b;

// ---------------------------------------------------------------------------
// Events and effects

/** What the node asks the world to do. `send` goes to the message's role (see actions.ts, recipients). */
export type PaxosEffect =
  | { readonly kind: 'send'; readonly message: Message }
  /** A learner tells its client which value was chosen. */
  | { readonly kind: 'learn'; readonly value: Value };

/** Receipt of a 1a (Paxos.tla Phase1b) or of a 2a (Phase2b). */
export type AcceptorEvent =
  | { readonly type: 'receive1a'; readonly message: Message1a }
  | { readonly type: 'receive2a'; readonly message: Message2a };

export type ProposerEvent =
  /** Paxos.tla Phase1a(b): begin the ballot. */
  | { readonly type: 'startBallot' }
  /**
   * Paxos.tla Phase2a(b, v): a quorum's promises for this ballot arrive
   * together with `clientValue`, the value the proposer's client asks for
   * (used only if no promise reports a vote). Delivering the quorum at once
   * instead of one promise at a time adds no behaviours: until the quorum is
   * complete a promise changes nothing anyone else can see.
   */
  | { readonly type: 'receivePromises'; readonly promises: readonly Message1b[]; readonly clientValue: Value };

export type LearnerEvent = { readonly type: 'receive2b'; readonly message: Message2b };

/** What the reducers need to know about the world; constant for a model. */
export interface PaxosConfig {
  readonly acceptors: number;
  readonly values: number;
  readonly ballots: number;
  /** Acceptors in a quorum: a majority, unless the minority-quorum mutant is on. */
  readonly quorumSize: number;
  readonly mutant: PaxosMutantName | undefined;
}

export type PaxosMutantName = 'accept-below-promise' | 'ignore-promised-values' | 'minority-quorum';
