// The Multi-Paxos leader of one ballot: phase 1 once for all slots, then a
// 2a per slot ("Paxos Made Simple" §3: the new leader "executes phase 1 for
// infinitely many instances", then proposes in each instance).

import { assert, assertNever } from '../../../lib/assert.ts';
import type { Transition } from '../../../lib/transition.ts';
import { unchanged } from '../../../lib/transition.ts';
import type { Ballot } from '../../common/types.ts';
import type { LeaderEvent, LeaderState, Multi1b, MultiConfig, MultiEffect, Slot, Value } from './types.ts';
import { NONE } from './types.ts';

export function initialLeader(ballot: Ballot, config: MultiConfig): LeaderState {
  const none = new Array<Value>(config.slots).fill(NONE);
  return { ballot, phase: 'idle', safe: none, proposed: none };
}

export function leaderStep(state: LeaderState, event: LeaderEvent, config: MultiConfig): Transition<LeaderState, MultiEffect> {
  switch (event.type) {
    case 'startBallot':
      if (state.phase !== 'idle') return unchanged(state);
      return { state: leader(state, 'phase1', state.safe, state.proposed), effects: [{ kind: 'send', message: { type: '1a', bal: state.ballot } }] };
    case 'receivePromises':
      return onPromises(state, event.promises, config);
    case 'propose':
      return onPropose(state, event.slot, event.clientValue, config);
    default:
      return assertNever(event, 'leader event');
  }
}

/**
 * With a quorum's promises, fix for every slot the value phase 2 must use:
 * the value of the highest-ballot vote reported for that slot, or free.
 * Mutant forget-later-slots looks at slot 0's reports only.
 */
function onPromises(state: LeaderState, promises: readonly Multi1b[], config: MultiConfig): Transition<LeaderState, MultiEffect> {
  if (state.phase !== 'phase1') return unchanged(state);
  assert(promises.length >= config.quorumSize, () => `${promises.length} promises, quorum is ${config.quorumSize}`);
  const safe: Value[] = [];
  for (let s = 0; s < config.slots; s++) {
    let highest = -1;
    let value = NONE;
    if (s === 0 || config.mutant !== 'forget-later-slots') {
      for (const p of promises) {
        assert(p.bal === state.ballot, () => `promise for ballot ${p.bal} given to leader ${state.ballot}`);
        const mbal = p.mbal[s] as number;
        if (mbal > highest) {
          highest = mbal;
          value = p.mval[s] as Value;
        }
      }
    }
    safe.push(value);
  }
  return { state: leader(state, 'phase2', safe, state.proposed), effects: [] };
}

/** Phase2a for one slot, once per slot per ballot. */
function onPropose(state: LeaderState, slot: Slot, clientValue: Value, config: MultiConfig): Transition<LeaderState, MultiEffect> {
  if (state.phase !== 'phase2' || state.proposed[slot] !== NONE) return unchanged(state);
  assert(slot >= 0 && slot < config.slots, () => `slot ${slot} outside 0..${config.slots - 1}`);
  const safe = state.safe[slot] as Value;
  const val = safe !== NONE ? safe : clientValue;
  const proposed = state.proposed.slice();
  proposed[slot] = val;
  return { state: leader(state, state.phase, state.safe, proposed), effects: [{ kind: 'send', message: { type: '2a', bal: state.ballot, slot, val } }] };
}

/** The leader with every field written out, not a spread: one object shape for every leader (next is the checker's hot path). */
function leader(state: LeaderState, phase: LeaderState['phase'], safe: readonly Value[], proposed: readonly Value[]): LeaderState {
  return { ballot: state.ballot, phase, safe, proposed };
}
