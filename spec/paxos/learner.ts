// The Paxos learner as a pure reducer ("Paxos Made Simple" §2.3: "have each
// acceptor, whenever it accepts a proposal, respond to all learners, sending
// them the proposal"). Paxos.tla has no learner: its `chosen` is a formula
// over the 2b messages; here a learner node counts them.

import { assert, assertNever } from '../../lib/assert.ts';
import type { Transition } from '../../lib/transition.ts';
import { unchanged } from '../../lib/transition.ts';
import type { LearnerEvent, LearnerState, Message2b, PaxosConfig, PaxosEffect } from './types.ts';
import { NONE } from './types.ts';

export function initialLearner(config: PaxosConfig): LearnerState {
  return { votes: new Array<number>(config.ballots * config.values).fill(0), learned: NONE };
}

export function learnerStep(
  state: LearnerState,
  event: LearnerEvent,
  config: PaxosConfig,
): Transition<LearnerState, PaxosEffect> {
  switch (event.type) {
    case 'receive2b':
      return onVote(state, event.message, config);
    default:
      return assertNever(event.type, 'learner event');
  }
}

/**
 * Record the vote; once a quorum of acceptors voted for the same value in
 * the same ballot, that value is chosen and the learner learns it (the first
 * time only: a correct Paxos never chooses a second value, and if a mutant
 * does, the invariants over the votes report it).
 */
function onVote(state: LearnerState, message: Message2b, config: PaxosConfig): Transition<LearnerState, PaxosEffect> {
  const slot = message.bal * config.values + message.val;
  const before = state.votes[slot];
  assert(before !== undefined, () => `2b for ballot ${message.bal} value ${message.val} outside the model`);
  const after = before | (1 << message.acc);
  if (after === before) return unchanged(state);
  const votes = state.votes.slice();
  votes[slot] = after;
  if (state.learned !== NONE || popcount(after) < config.quorumSize) {
    return { state: { votes, learned: state.learned }, effects: [] };
  }
  return { state: { votes, learned: message.val }, effects: [{ kind: 'learn', value: message.val }] };
}

export function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}
