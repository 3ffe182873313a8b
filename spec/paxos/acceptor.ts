// The Paxos acceptor as a pure reducer: Paxos.tla's Phase1b(a) and
// Phase2b(a), "Paxos Made Simple" §2.2 (P1a: "An acceptor can accept a
// proposal numbered n iff it has not responded to a prepare request having a
// number greater than n").

import { assertNever } from '../../lib/assert.ts';
import type { Transition } from '../../lib/transition.ts';
import { unchanged } from '../../lib/transition.ts';
import type { NodeId } from '../common/types.ts';
import type { AcceptorEvent, AcceptorState, Message1a, Message2a, PaxosConfig, PaxosEffect } from './types.ts';
import { NO_BALLOT, NONE } from './types.ts';

export const initialAcceptor: AcceptorState = { maxBal: NO_BALLOT, maxVBal: NO_BALLOT, maxVal: NONE };

export function acceptorStep(
  self: NodeId,
  state: AcceptorState,
  event: AcceptorEvent,
  config: PaxosConfig,
): Transition<AcceptorState, PaxosEffect> {
  switch (event.type) {
    case 'receive1a':
      return onPrepare(self, state, event.message);
    case 'receive2a':
      return onAccept(self, state, event.message, config);
    default:
      return assertNever(event, 'acceptor event');
  }
}

/**
 * Paxos.tla Phase1b(a): only for a ballot above every ballot it has taken
 * part in (`m.bal > maxBal[a]`, strictly), the acceptor promises and reports
 * its latest vote <<maxVBal, maxVal>>.
 */
function onPrepare(self: NodeId, state: AcceptorState, message: Message1a): Transition<AcceptorState, PaxosEffect> {
  if (!(message.bal > state.maxBal)) return unchanged(state);
  return {
    state: { maxBal: message.bal, maxVBal: state.maxVBal, maxVal: state.maxVal },
    effects: [
      {
        kind: 'send',
        message: { type: '1b', acc: self, bal: message.bal, mbal: state.maxVBal, mval: state.maxVal },
      },
    ],
  };
}

/**
 * Paxos.tla Phase2b(a): vote for m.val in ballot m.bal unless it promised a
 * higher ballot (`m.bal >= maxBal[a]`). A second copy of the same 2a is
 * voted for again and the 2b re-sent (in Paxos.tla a stuttering step, since
 * msgs already holds that 2b; in a bag network a retransmission).
 *
 * Mutant accept-below-promise drops the guard: the acceptor votes in any
 * ballot, keeping its promise on record (maxBal never decreases) but not
 * honouring it.
 */
function onAccept(
  self: NodeId,
  state: AcceptorState,
  message: Message2a,
  config: PaxosConfig,
): Transition<AcceptorState, PaxosEffect> {
  const honoursPromise = message.bal >= state.maxBal;
  if (!honoursPromise && config.mutant !== 'accept-below-promise') return unchanged(state);
  const maxBal = honoursPromise ? message.bal : state.maxBal;
  return {
    state: { maxBal, maxVBal: message.bal, maxVal: message.val },
    effects: [{ kind: 'send', message: { type: '2b', acc: self, bal: message.bal, val: message.val } }],
  };
}
