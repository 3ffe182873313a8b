// Known-bug mutants of single-decree Paxos. Each is a named flag that one
// handler reads (see the handler's comment); the checker must find each one,
// and mutants.test.ts pins the violated property and the counterexample depth.
// Each hunt is breadth-first from Init at the ci preset, stopping at Agreement
// (two values chosen), the property a user of consensus cares about: an
// auxiliary invariant such as PromiseKept may fail first and is reported too.

import type { MutantDefinition, MutantHunt } from '../../model-check/model.ts';
import { majority } from '../../lib/quorum.ts';
import type { PaxosMutantName } from './types.ts';

const AGREEMENT_AT_CI: MutantHunt = { preset: 'ci', options: [], violates: 'Agreement' };

export const PAXOS_MUTANTS: readonly (MutantDefinition & { readonly name: PaxosMutantName })[] = [
  {
    name: 'accept-below-promise',
    description:
      'An acceptor votes for a 2a whose ballot is below its promise (drops Phase2b\'s guard m.bal >= maxBal[a]; breaks P1a).',
    hunt: AGREEMENT_AT_CI,
  },
  {
    name: 'ignore-promised-values',
    description:
      'A proposer ignores the votes reported in the promises and proposes its client\'s value (drops Phase2a\'s ShowsSafeAt).',
    hunt: AGREEMENT_AT_CI,
  },
  {
    name: 'minority-quorum',
    description: 'Quorums have a majority minus one acceptors, so two quorums need not intersect (QuorumAssumption).',
    hunt: AGREEMENT_AT_CI,
  },
];

export function parseMutant(name: string | undefined): PaxosMutantName | undefined {
  if (name === undefined) return undefined;
  const found = PAXOS_MUTANTS.find((m) => m.name === name);
  if (found === undefined) {
    throw new Error(`unknown paxos mutant '${name}' (known: ${PAXOS_MUTANTS.map((m) => m.name).join(', ')})`);
  }
  return found.name;
}

/** Acceptors in a quorum: a majority, or under minority-quorum one fewer (at least one). */
export function quorumSizeFor(acceptors: number, mutant: PaxosMutantName | undefined): number {
  const size = majority(acceptors);
  return mutant === 'minority-quorum' ? Math.max(1, size - 1) : size;
}
