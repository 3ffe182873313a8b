// The Multi-Paxos acceptor: Paxos.tla's Phase1b and Phase2b with a vote per
// slot. One promise (maxBal) covers every slot, which is what lets a stable
// leader run phase 1 once ("Paxos Made Simple" §3).

import { assertNever } from '../../../lib/assert.ts';
import type { Transition } from '../../../lib/transition.ts';
import { unchanged } from '../../../lib/transition.ts';
import type { Ballot, NodeId } from '../../common/types.ts';
import type { MultiAcceptorEvent, MultiAcceptorState, MultiConfig, MultiEffect, Slot, Value } from './types.ts';
import { NO_BALLOT, NONE } from './types.ts';

export function initialMultiAcceptor(config: MultiConfig): MultiAcceptorState {
  return {
    maxBal: NO_BALLOT,
    maxVBal: new Array(config.slots).fill(NO_BALLOT),
    maxVal: new Array(config.slots).fill(NONE),
  };
}

export function multiAcceptorStep(
  self: NodeId,
  state: MultiAcceptorState,
  event: MultiAcceptorEvent,
): Transition<MultiAcceptorState, MultiEffect> {
  switch (event.type) {
    case 'receive1a': {
      // Phase1b(a): promise a ballot above every ballot taken part in; report every slot's latest vote.
      const bal = event.message.bal;
      if (!promisesOn(state, bal)) return unchanged(state);
      return {
        // Every field written out, not a spread: one object shape for every acceptor (next is the checker's hot path).
        state: { maxBal: bal, maxVBal: state.maxVBal, maxVal: state.maxVal },
        effects: [{ kind: 'send', message: { type: '1b', acc: self, bal, mbal: state.maxVBal, mval: state.maxVal } }],
      };
    }
    case 'receive2a': {
      // Phase2b(a): vote in the slot unless a higher ballot was promised.
      const { bal, slot, val } = event.message;
      if (!votesOn(state, bal)) return unchanged(state);
      const maxVBal = state.maxVBal.slice();
      const maxVal = state.maxVal.slice();
      maxVBal[slot] = bal;
      maxVal[slot] = val;
      return {
        state: { maxBal: bal, maxVBal, maxVal },
        effects: [{ kind: 'send', message: { type: '2b', acc: self, bal, slot, val } }],
      };
    }
    default:
      return assertNever(event, 'acceptor event');
  }
}

// The guards, apart so that the model's actions (actions.ts) offer only the
// deliveries that change something: in a set network every 1a and 2a stays
// deliverable to every acceptor forever, and four in five of those
// deliveries were no-ops the checker built and threw away.

/** Phase1b(a)'s guard: a 1a for a ballot above every ballot taken part in (strictly). */
export function promisesOn(state: MultiAcceptorState, bal: Ballot): boolean {
  return bal > state.maxBal;
}

/** Phase2b(a)'s guard: no higher ballot was promised. */
export function votesOn(state: MultiAcceptorState, bal: Ballot): boolean {
  return bal >= state.maxBal;
}

/**
 * Whether this vote is the acceptor's latest in the slot already: voting
 * again changes nothing, and the 2b it would send is in msgs since it first
 * voted (a stuttering step in Paxos.tla).
 */
export function votedFor(state: MultiAcceptorState, bal: Ballot, slot: Slot, val: Value): boolean {
  return state.maxVBal[slot] === bal && state.maxVal[slot] === val;
}
