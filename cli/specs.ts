// The registry of specifications the command line (`npm run check -- <name>`)
// and CI (`npm run check:all`) know about. The checker is generic
// (model-check/model.ts); each protocol in spec/ exports a SpecDefinition, and
// this is the one place where the two meet.
//
// To register a spec, add one import and one entry below; check:all and
// `--list` follow this order. The parallel search's workers import this
// module by its URL (SPECS_MODULE) to rebuild a spec by name. Test-only specs
// are passed to model-check's `main(argv, registry)` instead of being added
// here.

import { bundleUrl, inBundle } from '../lib/bundle.ts';
import type { SpecDefinition } from '../model-check/model.ts';
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

/**
 * This module's URL: where the parallel search's workers find the registry (model-check/parallel-protocol.ts).
 * From the bundles it is dist/specs.js, this module bundled, which node loads without tsx (lib/bundle.ts).
 */
export const SPECS_MODULE = inBundle ? bundleUrl('specs.js').href : import.meta.url;
