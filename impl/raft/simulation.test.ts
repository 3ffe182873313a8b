// The seeded cluster simulation (simulation.ts): Figure 3's safety properties
// hold over many seeds of message loss, reordering, duplication, partitions,
// compaction and crashes that keep only what was persisted; the cluster still
// commits once the faults heal; and two of the bug flags break a property the
// simulation checks. Every failure names its seed and the command to rerun it.

import { describe, expect, it } from 'vitest';
import { simulate } from './simulation.ts';
import type { RaftBug } from './types.ts';

const SEEDS = 60;
const STEPS = 2000;
const nodesFor = (seed: number) => (seed % 2 === 0 ? 3 : 5);
const rerun = (seed: number, bug?: RaftBug) =>
  `seed ${seed}: rerun with simulate({ seed: ${seed}, nodes: ${nodesFor(seed)}, steps: ${STEPS}${bug === undefined ? '' : `, bugs: new Set(['${bug}'])`} }) (impl/raft/simulation.ts)`;

describe('the seeded cluster simulation', () => {
  it(`holds Election Safety, Log Matching, Leader Completeness and State Machine Safety over ${SEEDS} seeds of ${STEPS} faulty steps, and commits once healed`, () => {
    let elected = 0;
    let applied = 0;
    let reads = 0;
    let snapshots = 0;
    let crashes = 0;
    for (let seed = 1; seed <= SEEDS; seed++) {
      const result = simulate({ seed, nodes: nodesFor(seed), steps: STEPS });
      expect(result.violations, rerun(seed)).toEqual([]);
      elected += result.leadersElected;
      applied += result.appliedMax;
      reads += result.readsAnswered;
      snapshots += result.snapshotsInstalled;
      crashes += result.crashes;
    }
    // The runs did something: leaders, commits, reads, snapshots and crashes in numbers.
    expect(elected).toBeGreaterThan(SEEDS);
    expect(applied).toBeGreaterThan(10 * SEEDS);
    expect(reads).toBeGreaterThan(SEEDS / 2);
    expect(snapshots).toBeGreaterThan(SEEDS / 2);
    expect(crashes).toBeGreaterThan(10 * SEEDS);
  }, 60_000);

  it.each([
    ['double-vote', 7, /^Election Safety: nodes \d and \d both lead term \d+/],
    ['skip-log-up-to-date-check', 3, /^Leader Completeness: entry \d+@\d+ committed in term \d+ is not in the log of node \d/],
  ] as const)('%s is caught (seed %i)', (bug, seed, violation) => {
    const result = simulate({ seed, nodes: nodesFor(seed), steps: STEPS, bugs: new Set<RaftBug>([bug]) });
    expect(result.violations[0], rerun(seed, bug)).toMatch(violation);
  });
});
