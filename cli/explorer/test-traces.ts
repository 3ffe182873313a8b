// For the explorer's tests: real counterexample files, written by the checker
// itself (model-check/cli.ts, as `npm run check` writes them into ./traces),
// so the tests load what a reviewer would load. Both searches take well under
// a second: Paxos with minority quorums breaks Agreement at depth 8, and
// ZOOKEEPER-3911 at its targeted preset breaks CommittedDurable at depth 9.

import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../../lib/assert.ts';
import { main } from '../../model-check/cli.ts';
import { specs } from '../specs.ts';
import { explorerServer, listen } from './server.ts';

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

export interface TestExplorer {
  /** The traces directory, holding the files of `traces`. */
  readonly directory: string;
  readonly traces: TestTraces;
  /** The server's address, http://127.0.0.1:PORT/. */
  readonly base: string;
  /** Closes the server and its connections and removes the directory. */
  stop(): Promise<void>;
}

/** An explorer on a free loopback port, starting at paxos, over a fresh directory of test traces. */
export async function startTestExplorer(options: { readonly bodyBytesMax?: number } = {}): Promise<TestExplorer> {
  const directory = mkdtempSync(join(tmpdir(), 'zkspec-explorer-'));
  const traces = await writeTestTraces(directory);
  const server: Server = explorerServer({ registry: specs, initial: { spec: 'paxos' }, tracesDirectory: directory, ...options });
  const base = await listen(server, 0);
  const stop = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    rmSync(directory, { recursive: true, force: true });
  };
  return { directory, traces, base, stop };
}
