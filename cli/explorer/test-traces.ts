// For the explorer's tests: real counterexample files, written by the checker
// itself (model-check/cli.ts, as `npm run check` writes them into ./traces),
// so the tests load what a reviewer would load. Both searches take well under
// a second: Paxos with minority quorums breaks Agreement at depth 8, and
// ZOOKEEPER-3911 at its targeted preset breaks CommittedDurable at depth 9.

import { join } from 'node:path';
import { assert } from '../../lib/assert.ts';
import { main } from '../../model-check/cli.ts';
import { specs } from '../specs.ts';

export interface TestTraces {
  /** Our JSON and its ITF copy for each. */
  readonly paxos: { readonly json: string; readonly itf: string; readonly property: 'Agreement' };
  readonly zab: { readonly json: string; readonly itf: string; readonly property: 'CommittedDurable' };
}

const quiet = { out: () => {}, err: () => {}, progress: false };

/** Runs the two searches with their trace files in `directory`; file names are relative to it. */
export async function writeTestTraces(directory: string): Promise<TestTraces> {
  const paxos = await main(['paxos', '--mutant', 'minority-quorum', '--trace-out', join(directory, 'paxos.json')], specs, quiet);
  assert(paxos === 1, `the paxos minority-quorum search exits 1 (a violation), got ${paxos}`);
  const zab = await main(['zab', '--preset', 'zookeeper-3911', '--mutant', 'ZOOKEEPER-3911', '--stop-at', 'CommittedDurable', '--trace-out', join(directory, 'zab.json')], specs, quiet);
  assert(zab === 1, `the ZOOKEEPER-3911 search exits 1 (a violation), got ${zab}`);
  return {
    paxos: { json: 'paxos.json', itf: 'paxos.itf.json', property: 'Agreement' },
    zab: { json: 'zab.json', itf: 'zab.itf.json', property: 'CommittedDurable' },
  };
}
