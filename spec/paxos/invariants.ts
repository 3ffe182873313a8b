// Safety properties of single-decree Paxos, as pure predicates over the
// cluster. "Paxos Made Simple" §2.1 states the safety requirements for
// consensus; §2.2 states P1a, the acceptor's promise. They are checked over
// `ghost.sent`, every message ever sent: exactly Paxos.tla's `msgs`, whose
// 2b messages are its `votes` and from which Voting.tla defines `chosen`.
// In a set network `ghost.sent` is the network itself; in a bag network it
// is a history the network forgets (see world.ts).

import { always, cited, sometimes, type PropertyDeclaration } from '../common/properties.ts';
import * as learner from './learner.ts';
import * as packedMessages from './packing.ts';
import type { PaxosCluster } from './world.ts';
import { NONE } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter, a
// measurable cost in predicates evaluated on every state.
const { accOf, ballotOf, is1b, is2a, is2b, mbalOf, valOf } = packedMessages;
const { popcount } = learner;

/** The sizes the predicates need (constant for a model). */
export interface InvariantShape {
  readonly acceptors: number;
  readonly values: number;
  readonly ballots: number;
  /** The model's quorum size: the mutant minority-quorum changes what "chosen" means to the system, too. */
  readonly quorumSize: number;
}

/**
 * Voting.tla's `chosen`: the values v for which some quorum of acceptors all
 * voted for v in one ballot b. Returns a bitmask over values.
 */
export function chosenValues(cluster: PaxosCluster, shape: InvariantShape): number {
  // Four predicates ask on every new state, and most states share their parent's history array:
  // the answer for the last array is kept (the arrays are never changed in place).
  const sent = cluster.ghost.sent;
  if (sent === chosenFor && shape === chosenShape) return chosenMask;
  const votes = votesScratch(shape.ballots * shape.values);
  for (const m of sent) {
    if (is2b(m)) {
      const slot = ballotOf(m) * shape.values + valOf(m);
      votes[slot] = (votes[slot] as number) | (1 << accOf(m));
    }
  }
  let chosen = 0;
  for (let slot = 0; slot < shape.ballots * shape.values; slot++) {
    if (popcount(votes[slot] as number) >= shape.quorumSize) chosen |= 1 << slot % shape.values;
  }
  chosenFor = sent;
  chosenShape = shape;
  chosenMask = chosen;
  return chosen;
}

/** The history chosenValues last answered for, with the shape and the answer. */
let chosenFor: PaxosCluster['ghost']['sent'] | undefined;
let chosenShape: InvariantShape | undefined;
let chosenMask = 0;

/** Vote masks by ballot and value, zeroed on each use: a scratch, as the predicates run on every distinct state and are never re-entered. */
let votesBuffer = new Int32Array(64);
function votesScratch(size: number): Int32Array {
  if (votesBuffer.length < size) votesBuffer = new Int32Array(size);
  for (let i = 0; i < size; i++) votesBuffer[i] = 0; // a loop: for a few entries fill()'s call costs more
  return votesBuffer;
}

// "Only a single value is chosen" (Paxos Made Simple, §2.1).
export function agreement(cluster: PaxosCluster, shape: InvariantShape): boolean {
  return popcount(chosenValues(cluster, shape)) <= 1;
}

// "Only a value that has been proposed may be chosen" (Paxos Made Simple,
// §2.1). A proposal is a 2a <<bal, val>> (§2.2: "a proposal ... consist[s]
// of a proposal number and a value").
export function validity(cluster: PaxosCluster, shape: InvariantShape): boolean {
  let proposed = 0;
  for (const m of cluster.ghost.sent) {
    if (is2a(m)) proposed |= 1 << valOf(m);
  }
  const chosen = chosenValues(cluster, shape);
  return (chosen & ~proposed) === 0;
}

// "P1a. An acceptor can accept a proposal numbered n iff it has not responded
// to a prepare request having a number greater than n" (Paxos Made Simple,
// §2.2). Stated over the history, so it needs no ordering: if acceptor a
// promised ballot b' (its 1b for b') and voted in a ballot b < b', the vote
// must have come first, so the promise must report a vote at least as high
// as b (1b.mbal >= b). Paxos.tla's Inv implies it (maxVBal never decreases).
export function promiseKept(cluster: PaxosCluster): boolean {
  const sent = cluster.ghost.sent;
  for (const promise of sent) {
    if (!is1b(promise)) continue;
    const acc = accOf(promise);
    const promisedBal = ballotOf(promise);
    const reportedBal = mbalOf(promise);
    for (const vote of sent) {
      if (is2b(vote) && accOf(vote) === acc && ballotOf(vote) < promisedBal && reportedBal < ballotOf(vote)) {
        return false;
      }
    }
  }
  return true;
}

// "A process never learns that a value has been chosen unless it actually
// has been" (Paxos Made Simple, §2.1).
export function learnedIsChosen(cluster: PaxosCluster, shape: InvariantShape): boolean {
  if (cluster.learners.length === 0) return true;
  const chosen = chosenValues(cluster, shape);
  for (const learner of cluster.learners) {
    if (learner.learned !== NONE && (chosen & (1 << learner.learned)) === 0) return false;
  }
  return true;
}

/** A value is chosen: the `sometimes` that keeps Agreement from passing because nothing happens. */
export function someValueChosen(cluster: PaxosCluster, shape: InvariantShape): boolean {
  return chosenValues(cluster, shape) !== 0;
}

export function someValueLearned(cluster: PaxosCluster): boolean {
  return cluster.learners.some((learner) => learner.learned !== NONE);
}

/** What the predicates read besides the state: the sizes, and how many learners there are. */
export interface PropertyParams extends InvariantShape {
  readonly learners: number;
  /** Check ValueEventuallyChosen (the liveness bound). */
  readonly liveness: boolean;
}

const hasLearners = (p: PropertyParams) => p.learners > 0;

// Where each property comes from (docs/invariants.md prints them), quoted as "Paxos Made Simple" words them.
const SAFETY = 'Paxos Made Simple (Lamport, 2001), §2.1, the safety requirements for consensus';

/** The properties, in the order the checker reports them; the learner ones only when learners exist. */
export const PAXOS_PROPERTIES: readonly PropertyDeclaration<PaxosCluster, PropertyParams>[] = [
  cited(always('Agreement', 'Only a single value is chosen (Paxos Made Simple, §2.1).', agreement), { source: SAFETY, quote: 'Only a single value is chosen' }),
  cited(always('Validity', 'Only a value that has been proposed may be chosen (Paxos Made Simple, §2.1).', validity), {
    source: SAFETY,
    quote: 'Only a value that has been proposed may be chosen',
  }),
  cited(
    always(
      'PromiseKept',
      'P1a: an acceptor can accept a proposal numbered n iff it has not responded to a prepare request having a number greater than n (Paxos Made Simple, §2.2).',
      promiseKept,
    ),
    {
      source: 'Paxos Made Simple, §2.2',
      quote: 'P1a. An acceptor can accept a proposal numbered n iff it has not responded to a prepare request having a number greater than n.',
    },
  ),
  cited(
    always(
      'LearnedIsChosen',
      'A process never learns that a value has been chosen unless it actually has been (Paxos Made Simple, §2.1).',
      learnedIsChosen,
      hasLearners,
    ),
    { source: SAFETY, quote: 'A process never learns that a value has been chosen unless it actually has been.' },
  ),
  sometimes('ValueChosen', 'Some value is chosen.', someValueChosen),
  {
    name: 'ValueEventuallyChosen',
    kind: 'eventually',
    description:
      'Some value is eventually chosen, if the proposers, acceptors and learners keep taking the steps they can (weak fairness) and no message is lost for good (Paxos Made Simple, §2.4: progress needs a proposer that can communicate with a majority).',
    holds: someValueChosen,
    when: (p) => p.liveness,
    paper: [
      { source: 'Paxos Made Simple, §2.1', quote: 'the goal is to ensure that some proposed value is eventually chosen' },
      { source: 'Paxos Made Simple, §2.4', paraphrase: 'progress needs a distinguished proposer that can communicate with a majority of the acceptors.' },
    ],
  },
  sometimes('ValueLearned', 'Some learner learns a chosen value.', someValueLearned, hasLearners),
];
