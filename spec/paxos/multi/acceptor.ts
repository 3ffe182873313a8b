// The Multi-Paxos acceptor: Paxos.tla's Phase1b and Phase2b with a vote per
// slot. One promise (maxBal) covers every slot, which is what lets a stable
// leader run phase 1 once ("Paxos Made Simple" §3).

import { assertNever } from '../../../lib/assert.ts';
import type { Transition } from '../../../lib/transition.ts';
import { unchanged } from '../../../lib/transition.ts';
import type { NodeId } from '../../common/types.ts';
import type { MultiAcceptorEvent, MultiAcceptorState, MultiConfig, MultiEffect } from './types.ts';
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
      if (!(bal > state.maxBal)) return unchanged(state);
      return {
        state: { ...state, maxBal: bal },
        effects: [{ kind: 'send', message: { type: '1b', acc: self, bal, mbal: state.maxVBal, mval: state.maxVal } }],
      };
    }
    case 'receive2a': {
      // Phase2b(a): vote in the slot unless a higher ballot was promised.
      const { bal, slot, val } = event.message;
      if (!(bal >= state.maxBal)) return unchanged(state);
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
