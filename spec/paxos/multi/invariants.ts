// Multi-Paxos safety: consensus in every slot. "Paxos Made Simple" §3: each
// command is chosen by its own instance of the consensus algorithm, so the
// §2.1 requirements hold per instance. Checked over the set of sent
// messages, like Paxos.tla's msgs.

import { always, cited, sometimes, type PropertyDeclaration } from '../../common/properties.ts';
import * as packing from './packing.ts';

// Bound once: tsx reads imported bindings through getters (see ../actions.ts).
const { multiAccOf, multiBallotOf, multiSlotOf, multiTypeOf, multiValOf, SLOTS_MAX } = packing;
import type { MultiCluster } from './world.ts';

export interface MultiShape {
  readonly values: number;
  readonly ballots: number;
  readonly slots: number;
  readonly quorumSize: number;
}

/**
 * Per slot, a bitmask of the values chosen in it (some quorum voted for v in
 * one ballot), into `chosen` (one entry per slot). Scratch arrays instead of
 * a Map: the checker evaluates these predicates on every distinct state.
 */
function chosenInto(cluster: MultiCluster, shape: MultiShape, chosen: Int32Array): void {
  const perSlot = shape.ballots * shape.values;
  const votes = scratch(shape.slots * perSlot);
  for (const m of cluster.network) {
    if (multiTypeOf(m) !== 3) continue;
    const key = multiSlotOf(m) * perSlot + multiBallotOf(m) * shape.values + multiValOf(m);
    votes[key] = (votes[key] as number) | (1 << multiAccOf(m));
  }
  chosen.fill(0, 0, shape.slots);
  for (let key = 0; key < shape.slots * perSlot; key++) {
    let count = 0;
    for (let x = votes[key] as number; x !== 0; x &= x - 1) count++;
    if (count < shape.quorumSize) continue;
    const slot = Math.floor(key / perSlot);
    chosen[slot] = (chosen[slot] as number) | (1 << key % shape.values);
  }
}

/** Vote masks by (slot, ballot, value), zeroed on each use; the predicates are never re-entered. */
let votesScratch = new Int32Array(64);
function scratch(size: number): Int32Array {
  if (votesScratch.length < size) votesScratch = new Int32Array(size);
  votesScratch.fill(0, 0, size);
  return votesScratch;
}
const chosenScratch = new Int32Array(SLOTS_MAX);
const proposedScratch = new Int32Array(SLOTS_MAX);

/** Per slot, a bitmask of the values chosen in it (some quorum voted for v in one ballot). */
export function chosenPerSlot(cluster: MultiCluster, shape: MultiShape): number[] {
  chosenInto(cluster, shape, chosenScratch);
  return Array.from(chosenScratch.subarray(0, shape.slots));
}

// "Only a single value is chosen" (Paxos Made Simple, §2.1), in every slot
// (§3: "the i-th instance ... chooses the i-th command").
export function slotAgreement(cluster: MultiCluster, shape: MultiShape): boolean {
  chosenInto(cluster, shape, chosenScratch);
  for (let s = 0; s < shape.slots; s++) {
    const mask = chosenScratch[s] as number;
    if ((mask & (mask - 1)) !== 0) return false;
  }
  return true;
}

// "Only a value that has been proposed may be chosen" (§2.1), per slot: a
// proposal for slot s is a 2a for s.
export function slotValidity(cluster: MultiCluster, shape: MultiShape): boolean {
  proposedScratch.fill(0);
  for (const m of cluster.network) {
    if (multiTypeOf(m) === 2) proposedScratch[multiSlotOf(m)] = (proposedScratch[multiSlotOf(m)] as number) | (1 << multiValOf(m));
  }
  chosenInto(cluster, shape, chosenScratch);
  for (let s = 0; s < shape.slots; s++) if (((chosenScratch[s] as number) & ~(proposedScratch[s] as number)) !== 0) return false;
  return true;
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
  cited(
    always('SlotAgreement', 'Only a single value is chosen, in every slot (Paxos Made Simple, §2.1 and §3).', slotAgreement),
    { source: 'Paxos Made Simple (Lamport, 2001), §2.1', quote: 'Only a single value is chosen' },
    { source: 'Paxos Made Simple, §3', paraphrase: 'the state machine runs a separate instance of the consensus algorithm for each command in the sequence.' },
  ),
  cited(
    always('SlotValidity', 'Only a value that has been proposed for a slot may be chosen in it (Paxos Made Simple, §2.1 and §3).', slotValidity),
    { source: 'Paxos Made Simple (Lamport, 2001), §2.1', quote: 'Only a value that has been proposed may be chosen' },
    { source: 'Paxos Made Simple, §3', paraphrase: 'the state machine runs a separate instance of the consensus algorithm for each command in the sequence.' },
  ),
  sometimes('EverySlotChosen', 'A value is chosen in every slot.', everySlotChosen),
  sometimes(
    'VoteCarriedOver',
    'A later ballot proposes, in some slot, a value voted for there in an earlier ballot (phase 1 recovered it).',
    carriedOver,
  ),
];
