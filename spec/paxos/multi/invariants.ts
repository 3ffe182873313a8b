// Multi-Paxos safety: consensus in every slot. "Paxos Made Simple" §3: each
// command is chosen by its own instance of the consensus algorithm, so the
// §2.1 requirements hold per instance. Checked over the set of sent
// messages, like Paxos.tla's msgs.

import { always, sometimes, type PropertyDeclaration } from '../../common/properties.ts';
import { multiAccOf, multiBallotOf, multiSlotOf, multiTypeOf, multiValOf } from './packing.ts';
import type { MultiCluster } from './world.ts';

export interface MultiShape {
  readonly values: number;
  readonly ballots: number;
  readonly slots: number;
  readonly quorumSize: number;
}

/** Per slot, a bitmask of the values chosen in it (some quorum voted for v in one ballot). */
export function chosenPerSlot(cluster: MultiCluster, shape: MultiShape): number[] {
  const votes = new Map<number, number>();
  for (const m of cluster.network) {
    if (multiTypeOf(m) !== 3) continue;
    const key = (multiSlotOf(m) * shape.ballots + multiBallotOf(m)) * shape.values + multiValOf(m);
    votes.set(key, (votes.get(key) ?? 0) | (1 << multiAccOf(m)));
  }
  const chosen = new Array<number>(shape.slots).fill(0);
  for (const [key, mask] of votes) {
    let count = 0;
    for (let x = mask; x !== 0; x &= x - 1) count++;
    if (count < shape.quorumSize) continue;
    const slot = Math.floor(key / (shape.ballots * shape.values));
    chosen[slot] = (chosen[slot] as number) | (1 << key % shape.values);
  }
  return chosen;
}

// "Only a single value is chosen" (Paxos Made Simple, §2.1), in every slot
// (§3: "the i-th instance ... chooses the i-th command").
export function slotAgreement(cluster: MultiCluster, shape: MultiShape): boolean {
  return chosenPerSlot(cluster, shape).every((mask) => (mask & (mask - 1)) === 0);
}

// "Only a value that has been proposed may be chosen" (§2.1), per slot: a
// proposal for slot s is a 2a for s.
export function slotValidity(cluster: MultiCluster, shape: MultiShape): boolean {
  const proposed = new Array<number>(shape.slots).fill(0);
  for (const m of cluster.network) {
    if (multiTypeOf(m) === 2) proposed[multiSlotOf(m)] = (proposed[multiSlotOf(m)] as number) | (1 << multiValOf(m));
  }
  return chosenPerSlot(cluster, shape).every((mask, s) => (mask & ~(proposed[s] as number)) === 0);
}

/** A 2a(b, s, v) and a 2b(a, b' < b, s, v): the ballot-b leader re-proposed an earlier vote. */
function carriedOver(cluster: MultiCluster): boolean {
  for (const m of cluster.network) {
    if (multiTypeOf(m) !== 2) continue;
    for (const n of cluster.network) {
      if (multiTypeOf(n) === 3 && multiSlotOf(n) === multiSlotOf(m) && multiValOf(n) === multiValOf(m) && multiBallotOf(n) < multiBallotOf(m)) {
        return true;
      }
    }
  }
  return false;
}

const everySlotChosen = (cluster: MultiCluster, shape: MultiShape) => chosenPerSlot(cluster, shape).every((mask) => mask !== 0);

/** The properties, in the order the checker reports them. */
export const MULTI_PAXOS_PROPERTIES: readonly PropertyDeclaration<MultiCluster, MultiShape>[] = [
  always('SlotAgreement', 'Only a single value is chosen, in every slot (Paxos Made Simple, §2.1 and §3).', slotAgreement),
  always('SlotValidity', 'Only a value that has been proposed for a slot may be chosen in it (Paxos Made Simple, §2.1 and §3).', slotValidity),
  sometimes('EverySlotChosen', 'A value is chosen in every slot.', everySlotChosen),
  sometimes(
    'VoteCarriedOver',
    'A later ballot proposes, in some slot, a value voted for there in an earlier ballot (phase 1 recovered it).',
    carriedOver,
  ),
];
