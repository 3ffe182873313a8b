// The Paxos proposer (Paxos.tla's "leader" of one ballot) as a pure reducer:
// Phase1a(b) and Phase2a(b, v); "Paxos Made Simple" §2.2, the two phases of
// issuing a proposal.

import { assert, assertNever } from '../../lib/assert.ts';
import type { Transition } from '../../lib/transition.ts';
import { unchanged } from '../../lib/transition.ts';
import type { Ballot } from '../common/types.ts';
import type { Message1b, PaxosConfig, PaxosEffect, ProposerEvent, ProposerState, Value } from './types.ts';
import { NO_BALLOT, NONE } from './types.ts';

export function initialProposer(ballot: Ballot): ProposerState {
  return { ballot, phase: 'idle', value: NONE };
}

export function proposerStep(
  state: ProposerState,
  event: ProposerEvent,
  config: PaxosConfig,
): Transition<ProposerState, PaxosEffect> {
  switch (event.type) {
    case 'startBallot':
      return onStartBallot(state);
    case 'receivePromises':
      return onPromises(state, event.promises, event.clientValue, config);
    default:
      return assertNever(event, 'proposer event');
  }
}

/**
 * Paxos.tla Phase1a(b): send the 1a that begins ballot b. Sending it again
 * would be a stuttering step in Paxos.tla, so the proposer sends it once.
 */
function onStartBallot(state: ProposerState): Transition<ProposerState, PaxosEffect> {
  if (state.phase !== 'idle') return unchanged(state);
  return {
    state: { ballot: state.ballot, phase: 'phase1', value: NONE },
    effects: [{ kind: 'send', message: { type: '1a', bal: state.ballot } }],
  };
}

/**
 * Paxos.tla Phase2a(b, v): with a quorum's promises for ballot b, propose
 * the value of the highest-ballot vote they report, or the client's value if
 * none reports a vote (Voting.tla's ShowsSafeAt). At most one 2a per ballot.
 *
 * Mutant ignore-promised-values always proposes the client's value.
 */
function onPromises(
  state: ProposerState,
  promises: readonly Message1b[],
  clientValue: Value,
  config: PaxosConfig,
): Transition<ProposerState, PaxosEffect> {
  if (state.phase !== 'phase1') return unchanged(state);
  assert(clientValue >= 0 && clientValue < config.values, () => `client value ${clientValue} out of range`);
  let acceptorsSeen = 0;
  for (const promise of promises) {
    assert(promise.bal === state.ballot, () => `promise for ballot ${promise.bal} given to proposer ${state.ballot}`);
    const bit = 1 << promise.acc;
    assert((acceptorsSeen & bit) === 0, () => `two promises from acceptor ${promise.acc}`);
    acceptorsSeen |= bit;
  }
  assert(promises.length >= config.quorumSize, () => `${promises.length} promises, quorum is ${config.quorumSize}`);
  const value = config.mutant === 'ignore-promised-values' ? clientValue : safeValue(promises, clientValue);
  return {
    state: { ballot: state.ballot, phase: 'phase2', value },
    effects: [{ kind: 'send', message: { type: '2a', bal: state.ballot, val: value } }],
  };
}

/** The value of the highest-numbered vote reported, else the proposer's free choice. */
export function safeValue(promises: readonly Message1b[], clientValue: Value): Value {
  let highest = NO_BALLOT as number;
  let value = clientValue;
  for (const promise of promises) {
    if (promise.mbal > highest) {
      highest = promise.mbal;
      value = promise.mval;
    }
  }
  return value;
}
