// The single-decree Paxos SpecDefinition: bounds, presets and mutants for the
// command line (`npm run check -- paxos`) and CI.

import type { BoundDefinition, Bounds, SpecDefinition } from '../../model-check/model.ts';
import { assert } from '../../lib/assert.ts';
import { buildPaxosModel } from './model.ts';
import type { PaxosBounds } from './world.ts';
import { PAXOS_MUTANTS, parseMutant } from './mutants.ts';

export const PAXOS_BOUNDS: readonly BoundDefinition[] = [
  { name: 'acceptors', description: 'Number of acceptors (MCPaxos: a1, a2, a3).', default: 3 },
  { name: 'values', description: 'Number of values a client may propose (MCPaxos: v1, v2).', default: 2 },
  { name: 'ballots', description: 'Ballots 0..ballots-1, one proposer each (MCPaxos: MaxBallot + 1).', default: 2 },
  {
    name: 'bag',
    description:
      'Network kind. false: a set, Paxos.tla\'s msgs (never emptied; loss and duplication implicit). true: a bag of addressed copies, delivery consumes one, DropMessage and DuplicateMessage are explicit actions.',
    default: true,
  },
  { name: 'maxDrops', description: 'Bag network only: DropMessage actions allowed per behaviour.', default: 1 },
  { name: 'maxDuplicates', description: 'Bag network only: DuplicateMessage actions allowed per behaviour.', default: 1 },
  { name: 'learners', description: 'Learner nodes receiving 2b messages (0: "chosen" is read from the votes only).', default: 1 },
  {
    name: 'symmetry',
    description: 'Reduce by permutations of the acceptors (nothing but their id tells them apart; README.md, "Symmetry").',
    default: true,
  },
  {
    name: 'liveness',
    description:
      'Also check ValueEventuallyChosen (<> some value is chosen) under weak fairness of Phase1a, Phase1b, Phase2a, Phase2b and Learn (not of DropMessage or DuplicateMessage); the search then records the state graph.',
    default: false,
  },
];

export const paxosSpec: SpecDefinition = {
  name: 'paxos',
  description: 'Single-decree Paxos (Lamport\'s Paxos.tla): proposers, acceptors and learners over a set or bag network.',
  bounds: PAXOS_BOUNDS,
  presets: [
    {
      name: 'ci',
      description: '3 acceptors, 2 values, 2 ballots, a bag network with one drop and one duplicate, one learner; acceptor symmetry.',
      bounds: {},
    },
    {
      name: 'tlc',
      description:
        'MCPaxosTiny (tlaplus/Examples): 3 acceptors, 2 values, ballots 0..1, Paxos.tla\'s set of messages, no learners, no symmetry. TLC: 3,921 distinct states.',
      bounds: { bag: false, maxDrops: 0, maxDuplicates: 0, learners: 0, symmetry: false },
    },
    {
      name: 'ci-liveness',
      description:
        'ValueEventuallyChosen: with the network losing nothing and every protocol action weakly fair, some value is chosen (3 acceptors, 2 values, 2 ballots, one duplicate, one learner, symmetry). One lost message is survived (--maxDrops 1); with --maxDrops 2 it fails: no ballot gets a quorum of promises and none is left to retry with.',
      bounds: { liveness: true, maxDrops: 0 },
    },
    {
      name: 'bench',
      description:
        'For `npm run bench -- check`: three ballots (recovery across two ballot changes), one learner, acceptor symmetry, a bag without loss or duplication: 642,749 distinct states, about 25 s of BFS on the 2-core machine.',
      bounds: { ballots: 3, maxDrops: 0, maxDuplicates: 0 },
    },
  ],
  mutants: PAXOS_MUTANTS,
  build: (bounds, mutant) => buildPaxosModel(paxosBounds(bounds), parseMutant(mutant)),
};

/** Reads the named bounds, falling back to each one's default. */
export function paxosBounds(bounds: Bounds): PaxosBounds {
  const known = new Set(PAXOS_BOUNDS.map((b) => b.name));
  for (const name of Object.keys(bounds)) {
    assert(known.has(name), () => `unknown paxos bound '${name}' (known: ${[...known].join(', ')})`);
  }
  const value = (name: string) => bounds[name] ?? PAXOS_BOUNDS.find((b) => b.name === name)?.default;
  const num = (name: string): number => {
    const v = value(name);
    assert(typeof v === 'number', () => `paxos bound ${name} must be a number, got ${String(v)}`);
    return v;
  };
  const bool = (name: string): boolean => {
    const v = value(name);
    assert(typeof v === 'boolean', () => `paxos bound ${name} must be true or false, got ${String(v)}`);
    return v;
  };
  return {
    acceptors: num('acceptors'),
    values: num('values'),
    ballots: num('ballots'),
    network: bool('bag') ? 'bag' : 'set',
    maxDrops: num('maxDrops'),
    maxDuplicates: num('maxDuplicates'),
    learners: num('learners'),
    symmetry: bool('symmetry'),
    liveness: bool('liveness'),
  };
}

/** The bounds of a preset with every default filled in. */
export function presetBounds(name: string): PaxosBounds {
  const preset = paxosSpec.presets.find((p) => p.name === name);
  assert(preset !== undefined, () => `no paxos preset '${name}'`);
  return paxosBounds(preset.bounds);
}
