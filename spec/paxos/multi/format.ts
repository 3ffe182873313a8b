// How the Multi-Paxos model prints: actions as in Paxos.tla (acceptors a1..,
// values v1.., ballots b0..), and states for traces.

import { assertNever } from '../../../lib/assert.ts';
import type { MultiAction } from './actions.ts';
import { multiAccOf, multiBallotOf, multiSlotOf, multiValOf, unpackMulti } from './packing.ts';
import type { MultiCluster } from './world.ts';

export function formatMultiAction(action: MultiAction): string {
  const v = (x: number) => `v${x + 1}`;
  switch (action.kind) {
    case 'Phase1a':
      return `Phase1a(b${action.bal})`;
    case 'Phase1b':
      return `Phase1b(a${action.acc + 1}, b${multiBallotOf(action.message)})`;
    case 'Phase1Done':
      return `Phase1Done(b${action.bal}) promises from {${action.promises.map((p) => `a${multiAccOf(p) + 1}`).join(', ')}}`;
    case 'Phase2a':
      return `Phase2a(b${action.bal}, slot ${action.slot}) client value ${v(action.clientValue)}`;
    case 'Phase2b':
      return `Phase2b(a${action.acc + 1}, b${multiBallotOf(action.message)}, slot ${multiSlotOf(action.message)}, ${v(multiValOf(action.message))})`;
    default:
      return assertNever(action, 'multi-paxos action');
  }
}

export function viewMulti(state: MultiCluster, slots: number): unknown {
  return {
    acceptors: state.acceptors,
    leaders: state.leaders,
    // Keyed by message so a counterexample's diff names the messages sent.
    network: Object.fromEntries(state.network.map((m) => [JSON.stringify(unpackMulti(m, slots)), true])),
  };
}
