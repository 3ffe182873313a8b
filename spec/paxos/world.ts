// The world of the single-decree Paxos model: proposers (one per ballot, as
// in Paxos.tla), acceptors, learners, the network and the ghost history. The
// checker's actions on it are in actions.ts, its fingerprint in encoding.ts.
//
// The network's semantics are a setting (as in stateright), over the packed
// network of spec/common/packed-network.ts:
// - `set`: Paxos.tla's msgs. Sent messages are never removed, so any message
//   can be received any number of times or never: loss and duplication are
//   implicit. With no learners this model is isomorphic to Paxos.tla (see
//   README.md, "State counts").
// - `bag`: a multiset of addressed copies (a broadcast puts one copy per
//   recipient). Delivery consumes a copy; DropMessage and DuplicateMessage are
//   explicit actions, each with its own budget (maxDrops, maxDuplicates).

import { assert } from '../../lib/assert.ts';
import { ballot } from '../common/types.ts';
import { initialAcceptor } from './acceptor.ts';
import { initialLearner } from './learner.ts';
import { quorumSizeFor } from './mutants.ts';
import { FIELD_MAX, type PackedMessage } from './packing.ts';
import { initialProposer } from './proposer.ts';
import type { AcceptorState, LearnerState, PaxosConfig, PaxosMutantName, ProposerState } from './types.ts';

type NetworkKind = 'set' | 'bag';

export interface PaxosBounds {
  readonly acceptors: number;
  readonly values: number;
  /** Ballots 0..ballots-1 (MCPaxos's MaxBallot is ballots - 1). */
  readonly ballots: number;
  readonly network: NetworkKind;
  /** Bag only: how many DropMessage actions a behaviour may take. */
  readonly maxDrops: number;
  /** Bag only: how many DuplicateMessage actions a behaviour may take. */
  readonly maxDuplicates: number;
  readonly learners: number;
  /** Treat acceptors as interchangeable (TLC's SYMMETRY Permutations(Acceptor)). */
  readonly symmetry: boolean;
  /** Check ValueEventuallyChosen under weak fairness of the protocol's actions (invariants.ts, model.ts); default false. */
  readonly liveness?: boolean;
}

export interface PaxosCluster {
  readonly acceptors: readonly AcceptorState[];
  /** proposers[b] leads ballot b. */
  readonly proposers: readonly ProposerState[];
  readonly learners: readonly LearnerState[];
  /** Packed messages, sorted: Paxos.tla's msgs (set) or the copies in flight (bag). */
  readonly network: readonly PackedMessage[];
  /** Fault budgets spent (bag only): counters against maxDrops and maxDuplicates. */
  readonly dropsUsed: number;
  readonly duplicatesUsed: number;
  readonly ghost: {
    /**
     * Every message ever sent, unaddressed and without repeats: Paxos.tla's
     * msgs. The same array as `network` in a set network (so derivable and
     * left out of the fingerprint); in a bag network the network forgets
     * what was delivered or dropped, so this is history only the invariants
     * read, and it is fingerprinted (README.md, "Ghost and fingerprints").
     */
    readonly sent: readonly PackedMessage[];
  };
}

export function paxosConfig(bounds: PaxosBounds, mutant: PaxosMutantName | undefined): PaxosConfig {
  return {
    acceptors: bounds.acceptors,
    values: bounds.values,
    ballots: bounds.ballots,
    quorumSize: quorumSizeFor(bounds.acceptors, mutant),
    mutant,
  };
}

export function initialCluster(bounds: PaxosBounds, config: PaxosConfig): PaxosCluster {
  const network: readonly PackedMessage[] = [];
  return {
    acceptors: Array.from({ length: bounds.acceptors }, () => initialAcceptor),
    proposers: Array.from({ length: bounds.ballots }, (_, b) => initialProposer(ballot(b))),
    learners: Array.from({ length: bounds.learners }, () => initialLearner(config)),
    network,
    dropsUsed: 0,
    duplicatesUsed: 0,
    ghost: { sent: bounds.network === 'set' ? network : [] },
  };
}

export function validateBounds(bounds: PaxosBounds): void {
  const intIn = (name: string, value: number, lo: number, hi: number) =>
    assert(Number.isInteger(value) && value >= lo && value <= hi, () => `${name} = ${value}, must be ${lo}..${hi}`);
  intIn('acceptors', bounds.acceptors, 1, FIELD_MAX - 1);
  intIn('values', bounds.values, 1, FIELD_MAX - 2);
  intIn('ballots', bounds.ballots, 1, FIELD_MAX - 2);
  intIn('learners', bounds.learners, 0, FIELD_MAX - 1);
  intIn('maxDrops', bounds.maxDrops, 0, 1_000);
  intIn('maxDuplicates', bounds.maxDuplicates, 0, 1_000);
  assert(bounds.network === 'set' || bounds.network === 'bag', () => `network = ${String(bounds.network)}`);
}
