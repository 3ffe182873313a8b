// The abstraction guided simulation counts coverage in (abstraction.ts): it
// must not depend on server ids (the cells of a symmetric cluster are its
// orbits), and it must tell apart what a run has achieved (an election, a
// proposal on disk) while merging states that differ only in bookkeeping.

import { describe, expect, it } from 'vitest';
import { zabAbstraction } from './abstraction.ts';
import type { ZabAction } from './actions.ts';
import { zabSpec } from './spec.ts';
import type { ZabCluster } from './world.ts';

const model = zabSpec.build(zabSpec.presets.find((p) => p.name === 'ci')!.bounds, undefined);

function reachedBy(...actions: ZabAction[]): ZabCluster {
  let state = model.init()[0] as ZabCluster;
  for (const action of actions) {
    expect(model.actions(state)).toContainEqual(action);
    state = model.next(state, action) as ZabCluster;
  }
  return state;
}

describe('the ZAB abstraction', () => {
  it('is the same for states that differ only by server ids', () => {
    const s0 = reachedBy({ type: 'ElectLeader', leader: 0, quorum: [0, 1] });
    const s2 = reachedBy({ type: 'ElectLeader', leader: 2, quorum: [1, 2] });
    expect(zabAbstraction(s0)).toBe(zabAbstraction(s2));
  });

  it('tells an election apart from Init, and a leader that has chosen its epoch (acceptedEpoch) from one that has not', () => {
    const init = reachedBy();
    const elected = reachedBy({ type: 'ElectLeader', leader: 0, quorum: [0, 1] });
    const answered = reachedBy({ type: 'ElectLeader', leader: 0, quorum: [0, 1] }, { type: 'Deliver', from: 1, to: 0, message: 'FOLLOWERINFO' });
    expect(new Set([init, elected, answered].map(zabAbstraction)).size).toBe(3);
  });

  it('merges states that differ only in which learner the leader heard from and the messages in flight', () => {
    const elected = reachedBy({ type: 'ElectLeader', leader: 0, quorum: [0, 1, 2] });
    const oneAnswered = model.next(elected, { type: 'Deliver', from: 1, to: 0, message: 'FOLLOWERINFO' }) as ZabCluster;
    const otherAnswered = model.next(elected, { type: 'Deliver', from: 2, to: 0, message: 'FOLLOWERINFO' }) as ZabCluster;
    expect(oneAnswered).not.toEqual(otherAnswered);
    expect(zabAbstraction(oneAnswered)).toBe(zabAbstraction(otherAnswered));
  });
});
