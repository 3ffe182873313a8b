// How the single-decree Paxos model prints: actions as Paxos.tla names them,
// and states for traces and counterexamples. Acceptors a1.., values v1..,
// learners l1.. (MCPaxos's names), ballots b0.. (0..MaxBallot).

import { assertNever } from '../../lib/assert.ts';
import type { PaxosAction } from './actions.ts';
import { accOf, ballotOf, destOf, is1a, is1b, is2a, mbalOf, valOf, withoutDest, type PackedMessage } from './packing.ts';
import type { PaxosCluster } from './world.ts';

const acceptorName = (a: number) => `a${a + 1}`;
const valueName = (v: number) => (v < 0 ? 'None' : `v${v + 1}`);

export function formatMessage(m: PackedMessage, bag: boolean): string {
  const bal = ballotOf(m);
  let text: string;
  let to = '';
  if (is1a(m)) {
    text = `1a b${bal}`;
    to = ` -> ${acceptorName(destOf(m))}`;
  } else if (is1b(m)) {
    const mbal = mbalOf(m);
    text = `1b ${acceptorName(accOf(m))} b${bal} mbal=${mbal} mval=${valueName(valOf(m))}`;
  } else if (is2a(m)) {
    text = `2a b${bal} ${valueName(valOf(m))}`;
    to = ` -> ${acceptorName(destOf(m))}`;
  } else {
    text = `2b ${acceptorName(accOf(m))} b${bal} ${valueName(valOf(m))}`;
    to = ` -> l${destOf(m) + 1}`;
  }
  return bag ? text + to : text;
}

export function formatAction(action: PaxosAction, bag: boolean): string {
  switch (action.kind) {
    case 'Phase1a':
      return `Phase1a(b${action.bal})`;
    case 'Phase1b':
      return `Phase1b(${acceptorName(action.acc)}, b${ballotOf(action.message)})`;
    case 'Phase2a':
      return `Phase2a(b${action.bal}) promises from {${action.promises.map((p) => acceptorName(accOf(p))).join(', ')}}, client value ${valueName(action.clientValue)}`;
    case 'Phase2b':
      return `Phase2b(${acceptorName(action.acc)}, b${ballotOf(action.message)}, ${valueName(valOf(action.message))})`;
    case 'Learn':
      return `Learn(l${action.learner + 1}, ${formatMessage(withoutDest(action.message), false)})`;
    case 'DropMessage':
      return `DropMessage(${formatMessage(action.message, bag)})`;
    case 'DuplicateMessage':
      return `DuplicateMessage(${formatMessage(action.message, bag)})`;
    default:
      return assertNever(action, 'paxos action');
  }
}

/**
 * The state as a trace shows it: values by name, and the network and the
 * history as records keyed by message (a count per copy in flight), so that a
 * counterexample's diff names the messages that came and went.
 */
export function viewCluster(state: PaxosCluster, bag: boolean): unknown {
  const countOf = (messages: readonly PackedMessage[], addressed: boolean) => {
    const out: Record<string, number> = {};
    for (const m of messages) {
      const key = formatMessage(m, addressed);
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };
  return {
    acceptors: state.acceptors.map((a, i) => ({
      acceptor: acceptorName(i),
      maxBal: a.maxBal,
      maxVBal: a.maxVBal,
      maxVal: valueName(a.maxVal),
    })),
    proposers: state.proposers.map((p) => ({ ballot: p.ballot, phase: p.phase, value: valueName(p.value) })),
    learners: state.learners.map((l, i) => ({ learner: `l${i + 1}`, learned: valueName(l.learned) })),
    network: countOf(state.network, bag),
    ...(bag
      ? {
          dropsUsed: state.dropsUsed,
          duplicatesUsed: state.duplicatesUsed,
          // In a set network ghost.sent is the network itself, so it is shown once.
          ghost: { sent: countOf(state.ghost.sent, false) },
        }
      : {}),
  };
}
