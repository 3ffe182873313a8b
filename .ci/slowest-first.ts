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
// that took 5 s or more in a clean-clone CI run with two workers (2026-12-07,
// 646 s in all; seconds, rounded; beside another file, so each is longer
// than alone, but the order is what counts). A file not listed is ordered after the listed ones,
// larger first, as vitest would. Refresh the table when a file's time moves
// past a listed one's (the default reporter prints each file's time); a stale
// figure costs wall time, never a result. .ci/slowest-first.test.ts checks
// that every listed file still exists, so a rename does not drop one silently.

import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/** Seconds each slow file took in CI (two workers, 2 cores), keyed by its path from the repository root. */
export const measuredSeconds: Readonly<Record<string, number>> = {
  'cli/mutant-hunts-zab.test.ts': 208,
  'cli/mutant-hunts.test.ts': 83,
  'impl/ensemble/safety.test.ts': 130, // 69 in CI before its crash stories were judged (about 60 s more on a shared machine)
  'impl/nemesis/jepsen.test.ts': 58,
  'conformance/replay/processes.test.ts': 56,
  'cli/specs.test.ts': 47,
  'impl/ensemble/settle.test.ts': 30,
  'impl/ensemble/secure-side-by-side.test.ts': 29,
  'impl/standalone/tree-features.test.ts': 27,
  'impl/ensemble/cluster.test.ts': 27,
  'impl/ensemble/quorum-sasl.test.ts': 26,
  'conformance/cli.test.ts': 20,
  'impl/nemesis/switch-faults.test.ts': 18,
  'spec/raft/mutants.test.ts': 17,
  '.ci/build.test.ts': 17,
  'spec/zab/ci.test.ts': 16,
  'spec/raft/model.test.ts': 16,
  'impl/ensemble/peer-port-input.test.ts': 16,
  'impl/standalone/resource-limits.test.ts': 14,
  'impl/ensemble/read-only.test.ts': 13,
  'impl/ensemble/clients.test.ts': 13,
  'impl/standalone/sasl.test.ts': 12,
  'impl/standalone/process.test.ts': 12,
  'impl/ensemble/close-session-size.test.ts': 8, // a suite run beside the tests of this stop's other work
  'impl/nemesis/observers.test.ts': 12,
  'conformance/recordings/ensemble.test.ts': 12,
  'spec/paxos/model.test.ts': 11,
  'impl/standalone/tls.test.ts': 11,
  'impl/nemesis/disk-full.test.ts': 11,
  'impl/ensemble/mntr.test.ts': 10,
  'impl/standalone/admin-https.test.ts': 9,
  'impl/ensemble/tls.test.ts': 9,
  'cli/parallel-search.test.ts': 9,
  'impl/ensemble/admin-server.test.ts': 8,
  'spec/zab/model.test.ts': 7,
  'impl/security/quorum-sasl.test.ts': 7,
  'impl/faults/fault-switch-process.test.ts': 7,
  'conformance/recording.test.ts': 7,
  'spec/zab/liveness.test.ts': 6,
  'impl/storage/truncate.test.ts': 6,
  'impl/server/differential.test.ts': 6,
  'impl/security/tls.test.ts': 6,
  'impl/ensemble/tree-features.test.ts': 6,
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
