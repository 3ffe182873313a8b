// Known-bug mutants of Multi-Paxos; mutants.test.ts pins how the checker finds them.

import type { MutantDefinition } from '../../../model-check/model.ts';
import type { MultiMutantName } from './types.ts';

export const MULTI_PAXOS_MUTANTS: readonly (MutantDefinition & { readonly name: MultiMutantName })[] = [
  {
    name: 'forget-later-slots',
    description:
      'A new leader adopts the votes its promises report for the first slot only and treats every later slot as free (a leader that recovers only the slot it is "at").',
    // Breadth-first from Init at the ci preset, to two values chosen in one slot.
    hunt: { preset: 'ci', options: [], violates: 'SlotAgreement' },
  },
];

export function parseMultiMutant(name: string | undefined): MultiMutantName | undefined {
  if (name === undefined) return undefined;
  const found = MULTI_PAXOS_MUTANTS.find((m) => m.name === name);
  if (found === undefined) {
    throw new Error(`unknown multi-paxos mutant '${name}' (known: ${MULTI_PAXOS_MUTANTS.map((m) => m.name).join(', ')})`);
  }
  return found.name;
}
