// Each known bug, re-introduced by its flag, is found by the checker:
// breadth-first, so the counterexample is a shortest one and its length is
// pinned. The same presets pass with the correct protocol (model.test.ts and
// the `deposed-leader` case below).

import { describe, expect, it } from 'vitest';
import { check, type CheckReport } from '../../model-check/check.ts';
import { raftMutants } from './mutants.ts';
import { buildRaftModel, presetBounds } from './spec.ts';

const cases: { mutant: string; preset: string; property: string; depth: number }[] = [
  { mutant: 'double-vote', preset: 'elections', property: 'ElectionSafety', depth: 16 },
  { mutant: 'skip-log-up-to-date-check', preset: 'elections', property: 'LeaderCompleteness', depth: 25 },
  { mutant: 'truncate-on-stale-append', preset: 'duplicates', property: 'CommittedEntriesOnQuorum', depth: 17 },
  { mutant: 'figure8-commit', preset: 'figure8', property: 'LeaderCompleteness', depth: 27 },
  { mutant: 'stale-read', preset: 'deposed-leader', property: 'ReadsSeeCommittedWrites', depth: 22 },
];

const reports = new Map<string, CheckReport>();

describe('known-bug mutants are found, breadth-first, with a shortest counterexample', () => {
  it('covers every mutant spec.ts declares, with the invariant mutants.ts says it breaks', () => {
    expect(cases.map((c) => c.mutant).sort()).toEqual(raftMutants.map((m) => m.name).sort());
    for (const c of cases) expect(raftMutants.find((m) => m.name === c.mutant)?.violates).toBe(c.property);
  });

  for (const c of cases) {
    it(`${c.mutant}: ${c.property} fails at depth ${c.depth} (preset ${c.preset})`, { timeout: 90_000 }, () => {
      const model = buildRaftModel(presetBounds(c.preset), c.mutant);
      const report = check(model, { progress: false });
      reports.set(c.mutant, report);
      expect(report.violations.map((v) => [v.property, v.depth])).toEqual([[c.property, c.depth]]);
      const trace = report.violations[0]!.trace;
      expect(trace.steps).toHaveLength(c.depth);
    });
  }

  it('figure8-commit: the counterexample is Figure 8 (c)-(d): s0 commits the term-2 entry in term 4, s2 is elected in term 5 without it', { timeout: 90_000 }, () => {
    const report = reports.get('figure8-commit') ?? check(buildRaftModel(presetBounds('figure8'), 'figure8-commit'), { progress: false });
    const actions = report.violations[0]!.trace.steps.map((s) => s.action);
    expect(actions.filter((a) => a.startsWith('BecomeLeader'))).toEqual(['BecomeLeader(s0)', 'BecomeLeader(s2)']);
    expect(actions).toContain('AdvanceCommitIndex(s0)');
    expect(actions.at(-1)).toBe('BecomeLeader(s2)');
  });
});

describe('the deposed-leader preset with the correct ReadIndex', () => {
  it('finds no stale read within the same 300,000 states, while reads are answered', { timeout: 90_000 }, () => {
    const report = check(buildRaftModel(presetBounds('deposed-leader')), { progress: false, statesMax: 300_000 });
    expect(report.violations).toEqual([]);
    expect(report.sometimes.find((s) => s.property === 'ReadAnswered')?.reached).toBe(true);
  });
});
