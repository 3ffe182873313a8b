// The registry of specifications the command line (`npm run check -- <name>`)
// and CI (`npm run check:all`) know about. The checker itself is generic
// (model.ts); each protocol in spec/ exports a SpecDefinition.
//
// To register a spec, append one import and one entry (keep the list in the
// order below: paxos, raft, zab, then anything else). Spec helpers edit only
// their own import line and entry; test-only specs are passed to the CLI's
// `main(argv, registry)` instead of being added here.

import type { SpecDefinition } from './model.ts';
import { paxosSpec } from '../spec/paxos/spec.ts';
import { raftSpec } from '../spec/raft/spec.ts';
import { zabSpec } from '../spec/zab/spec.ts';
import { multiPaxosSpec } from '../spec/paxos/multi/spec.ts';

export const specs: readonly SpecDefinition[] = [
  // Entries are added by the spec helpers, e.g. `paxosSpec,` after `import { paxosSpec } from '../spec/paxos/definition.ts';`.
  paxosSpec,
  raftSpec,
  zabSpec,
  multiPaxosSpec,
];

/** The spec registered under `name`, or undefined. */
export function findSpec(name: string, registry: readonly SpecDefinition[] = specs): SpecDefinition | undefined {
  return registry.find((spec) => spec.name === name);
}
