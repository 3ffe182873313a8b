// The Multi-Paxos SpecDefinition (`npm run check -- multi-paxos`).

import type { BoundDefinition, Bounds, SpecDefinition } from '../../../model-check/model.ts';
import { assert } from '../../../lib/assert.ts';
import { buildMultiPaxosModel } from './model.ts';
import type { MultiBounds } from './world.ts';
import { MULTI_PAXOS_MUTANTS, parseMultiMutant } from './mutants.ts';

export const MULTI_PAXOS_BOUNDS: readonly BoundDefinition[] = [
  { name: 'acceptors', description: 'Number of acceptors.', default: 3 },
  { name: 'values', description: 'Number of values a client may propose in a slot.', default: 2 },
  { name: 'ballots', description: 'Ballots 0..ballots-1, one leader each.', default: 2 },
  { name: 'slots', description: 'Consensus instances (log positions), 1..4.', default: 2 },
  { name: 'symmetry', description: 'Reduce by permutations of the acceptors (nothing else tells them apart).', default: true },
];

export const multiPaxosSpec: SpecDefinition = {
  name: 'multi-paxos',
  description: 'Multi-Paxos: per ballot one leader runs phase 1 once for all slots, then phase 2 per slot; set network.',
  bounds: MULTI_PAXOS_BOUNDS,
  presets: [
    { name: 'ci', description: '3 acceptors, 2 values, 2 ballots, 2 slots, acceptor symmetry.', bounds: {} },
    { name: 'bench', description: 'As ci with 3 ballots.', bounds: { ballots: 3 } },
  ],
  mutants: MULTI_PAXOS_MUTANTS,
  build: (bounds, mutant) => buildMultiPaxosModel(multiPaxosBounds(bounds), parseMultiMutant(mutant)),
};

export function multiPaxosBounds(bounds: Bounds): MultiBounds {
  const known = new Set(MULTI_PAXOS_BOUNDS.map((b) => b.name));
  for (const name of Object.keys(bounds)) assert(known.has(name), () => `unknown multi-paxos bound '${name}'`);
  const value = (name: string) => bounds[name] ?? MULTI_PAXOS_BOUNDS.find((b) => b.name === name)?.default;
  const num = (name: string): number => {
    const v = value(name);
    assert(typeof v === 'number', () => `multi-paxos bound ${name} must be a number, got ${String(v)}`);
    return v;
  };
  const symmetry = value('symmetry');
  assert(typeof symmetry === 'boolean', () => `multi-paxos bound symmetry must be true or false`);
  return { acceptors: num('acceptors'), values: num('values'), ballots: num('ballots'), slots: num('slots'), symmetry };
}
