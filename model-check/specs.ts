// The registry of specifications the command line (`npm run check -- <name>`)
// and CI (`npm run check:all`) know about. The checker itself is generic
// (model.ts); each protocol in spec/ exports a SpecDefinition.
//
// To register a spec, add one import and one entry below; check:all and
// `--list` follow this order. Test-only specs are passed to the CLI's
// `main(argv, registry)` instead of being added here.

import type { SpecDefinition } from './model.ts';
import { paxosSpec } from '../spec/paxos/spec.ts';
import { raftSpec } from '../spec/raft/spec.ts';
import { zabSpec } from '../spec/zab/spec.ts';
import { multiPaxosSpec } from '../spec/paxos/multi/spec.ts';

export const specs: readonly SpecDefinition[] = [
  // One entry per spec, imported from spec/<protocol>/spec.ts.
  paxosSpec,
  raftSpec,
  zabSpec,
  multiPaxosSpec,
];

/** The spec registered under `name`, or undefined. */
export function findSpec(name: string, registry: readonly SpecDefinition[] = specs): SpecDefinition | undefined {
  return registry.find((spec) => spec.name === name);
}
