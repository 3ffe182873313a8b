// The order in which the test runner starts the test files: the slowest
// first, by the per-file times CI measured (longest processing time first,
// the classic rule for spreading jobs over a few workers). With two workers
// (vitest.config.ts) a long file that starts last leaves the other worker
// idle for its whole length; started first, the short files fill in beside it.
//
// Vitest's own order (BaseSequencer) needs its cache of the last run's
// durations, which a fresh CI machine does not have, so there it falls back
// to the largest file first: the 150 s mutant hunts are small files and
// started last. The table below is the fallback's replacement: the files
// that took 2 s or more in CI's last one-worker run (2026-12-07, 948 s in all;
// seconds, rounded). A file not listed is ordered after the listed ones,
// larger first, as vitest would. Refresh the table when a file's time moves
// past a listed one's (the default reporter prints each file's time); a stale
// figure costs wall time, never a result. .ci/slowest-first.test.ts checks
// that every listed file still exists, so a rename does not drop one silently.

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds each slow file took in CI (one worker, 2 cores), keyed by its path from the repository root. */
export const measuredSeconds: Readonly<Record<string, number>> = {
  'cli/mutant-hunts-zab.test.ts': 153,
  'impl/nemesis/jepsen.test.ts': 124,
  'cli/mutant-hunts.test.ts': 83,
  'impl/ensemble/safety.test.ts': 52,
  'conformance/replay/processes.test.ts': 35,
  'impl/ensemble/cluster.test.ts': 30,
  'cli/specs.test.ts': 29,
  'impl/standalone/tree-features.test.ts': 18,
  'impl/ensemble/secure-side-by-side.test.ts': 17,
  'conformance/cli.test.ts': 16,
  'impl/ensemble/quorum-sasl.test.ts': 16,
  'impl/ensemble/peer-port-input.test.ts': 15,
  'spec/zab/ci.test.ts': 14,
  'spec/raft/mutants.test.ts': 13,
  'impl/ensemble/read-only.test.ts': 12,
  'impl/ensemble/clients.test.ts': 11,
  'spec/raft/model.test.ts': 11,
  'impl/standalone/process.test.ts': 10,
  'impl/standalone/sasl.test.ts': 7,
  'impl/ensemble/mntr.test.ts': 7,
  'impl/ensemble/tls.test.ts': 7,
  'impl/standalone/admin-https.test.ts': 7,
  'impl/standalone/tls.test.ts': 7,
  'impl/security/quorum-sasl.test.ts': 6,
  'conformance/recordings/ensemble.test.ts': 6,
  'cli/parallel-search.test.ts': 6,
  'spec/zab/model.test.ts': 6,
  'impl/ensemble/admin-server.test.ts': 5,
  'spec/paxos/model.test.ts': 5,
  'impl/ensemble/tree-features.test.ts': 5,
  'impl/storage/truncate.test.ts': 4,
  'impl/standalone/back-pressure.test.ts': 4,
  'spec/zab/symmetry.test.ts': 4,
  'impl/server/apache-clients.test.ts': 4,
  'impl/server/differential.test.ts': 4,
  'spec/zab/liveness.test.ts': 4,
  'impl/security/tls.test.ts': 4,
  'impl/ensemble/sessions.test.ts': 4,
  'impl/ensemble/sasl.test.ts': 4,
  'impl/standalone/fuzzy-snapshot.test.ts': 3,
  '.ci/build.test.ts': 3,
  'conformance/recording.test.ts': 3,
  'impl/standalone/crash.test.ts': 3,
  'impl/quorum/cnx-manager.test.ts': 3,
  'cli/explorer/explorer-browser.test.ts': 3,
  'impl/quorum/interop.test.ts': 3,
  'spec/raft/liveness.test.ts': 2,
  'impl/database/fuzzy-snapshot.test.ts': 2,
  'model-check/parallel.test.ts': 2,
  'spec/paxos/multi/multi.test.ts': 2,
  'model-check/disk-bfs.test.ts': 2,
  'impl/standalone/session-passwords.test.ts': 2,
};

/** Listed files by their measured time, longest first; then the rest in vitest's own order (larger files first). */
export class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const fallback = await super.sort(files);
    const root = this.ctx.config.root;
    const seconds = (f: TestSpecification) => measuredSeconds[relative(root, f.moduleId)] ?? 0;
    // Array.prototype.sort is stable: files with equal (or no) figures keep the fallback's order.
    return fallback.sort((a, b) => seconds(b) - seconds(a));
  }
}
