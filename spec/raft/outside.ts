// Successors known to fall outside the boundary before they are built (TLC's
// CONSTRAINT, world.ts's isWithinBounds). On the `ci` preset about 60% of the
// generated successors are discarded by the boundary: a Timeout past maxTerm,
// a RequestVote or AppendEntries into a network already holding maxMessages,
// a ClientRequest past maxLogLength. Building each one (a node copy, a
// message, a bag, the ghosts) only to drop it was a third of Raft's checking
// time, so `next` returns OUTSIDE for them instead and `withinBoundary`
// rejects it (model-check/model.ts, Model.next). The checker still counts
// each as generated, as TLC does, so the counts do not change.
//
// Each test below repeats the action's enabling condition from step.ts: a
// declined action must stay undefined (not generated), and only an enabled
// one may be answered with OUTSIDE.

import type { RaftAction } from './actions.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';

/** A stand-in for every successor outside the boundary; never explored, printed or fingerprinted. */
export const OUTSIDE: RaftCluster = Object.freeze({
  nodes: [],
  messages: [],
  history: { elections: [], allLogs: [] },
  ghost: { committed: [], leaders: [], removed: [], reads: [] },
  counters: { clientRequests: 0, timesLeader: [] },
});

/** Whether `action` is enabled in `state` and its successor certainly breaks the boundary (false: build it and see). */
export function isCertainlyOutside(state: RaftCluster, action: RaftAction, options: RaftModelOptions): boolean {
  switch (action.type) {
    case 'Timeout': {
      // step.ts's timeout: every non-leader times out into currentTerm + 1.
      const node = state.nodes[action.i]!;
      return node.state !== 'Leader' && node.currentTerm >= options.maxTerm;
    }
    case 'RequestVote': {
      const node = state.nodes[action.i]!;
      return node.state === 'Candidate' && (node.votesResponded & (1 << action.j)) === 0 && sendOverflows(state, options);
    }
    case 'AppendEntries':
      return action.j !== action.i && state.nodes[action.i]!.state === 'Leader' && sendOverflows(state, options);
    case 'ClientRequest': {
      // The fork's counted ClientRequest may change nothing but allLogs (actions.ts): left to next.
      const node = state.nodes[action.i]!;
      return options.maxClientRequests === 0 && node.state === 'Leader' && node.log.length >= options.maxLogLength;
    }
    default:
      return false;
  }
}

/**
 * Whether one more message sent breaks the bag's bounds whatever the message:
 * with at most one copy of each, a copy of a message in flight makes two, and
 * a new one makes one distinct message more than maxMessages. Not under
 * keepDelivered, where sending a message in the domain changes nothing.
 */
function sendOverflows(state: RaftCluster, options: RaftModelOptions): boolean {
  return !options.keepDelivered && options.maxCopies === 1 && options.maxMessages > 0 && state.messages.length >= options.maxMessages;
}
