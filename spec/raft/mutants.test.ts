// Each known bug, re-introduced by its flag, is found from raft.tla's real
// Init (no scripted start) by the hunt mutants.ts declares: its preset, its
// strategy and its mission property. Other properties are left out of the
// run, as `--stop-at PROPERTY` does on the command line, so that an auxiliary
// invariant (CommittedEntriesOnQuorum) cannot stop the search first. That the
// same preset and strategy pass with the correct protocol (the exhaustive one
// completely, the guided walks all to their end) is cli/mutant-hunts.test.ts's
// control run, not repeated here.

import { describe, expect, it } from 'vitest';
import { assert } from '../../lib/assert.ts';
import { check, type CheckReport, type SequentialStrategy } from '../../model-check/check.ts';
import type { Model, MutantHunt } from '../../model-check/model.ts';
import { raftMutants } from './mutants.ts';
import { buildRaftModel, presetBounds } from './spec.ts';

/** The hunt's command-line options as a strategy: none is breadth-first; `--simulate N --guided --seed S --depth D` the guided walks. */
function strategyOf(hunt: MutantHunt): SequentialStrategy {
  if (hunt.options.length === 0) return { kind: 'bfs' };
  const value = (flag: string): number => {
    const k = hunt.options.indexOf(flag);
    assert(k >= 0 && k + 1 < hunt.options.length, () => `hunt options ${hunt.options.join(' ')} lack ${flag}`);
    return Number(hunt.options[k + 1]);
  };
  assert(hunt.options.includes('--guided'), () => `hunt options ${hunt.options.join(' ')}: only BFS and guided walks are declared`);
  return { kind: 'guided', walks: value('--simulate'), seed: value('--seed'), depthMax: value('--depth') };
}

/** The model with only `property` of the always-properties (the sometimes stay), as --stop-at. */
function onlyMission<S, A>(model: Model<S, A>, property: string): Model<S, A> {
  assert(model.properties.some((p) => p.name === property), () => `no property ${property}`);
  return { ...model, properties: model.properties.filter((p) => p.name === property || p.kind === 'sometimes') };
}

/** Never deeper than this from Init: the counterexample lengths measured (docs/raft.md) with room for a change of walks. */
const depthMax: Record<string, number> = {
  'double-vote': 16,
  'skip-log-up-to-date-check': 25,
  'figure8-commit': 150,
  'truncate-on-stale-append': 150,
  'stale-read': 150,
};

const reports = new Map<string, CheckReport>();

describe('every known-bug mutant is found from Init by its declared hunt, by its mission property', () => {
  it('each hunt names a preset of the spec, starts from Init and names the property mutants.ts says it breaks', () => {
    for (const m of raftMutants) {
      expect(m.hunt.violates).toBe(m.violates);
      const bounds = presetBounds(m.hunt.preset);
      expect(bounds.fromFigure8 ?? false).toBe(false);
      expect(bounds.fromDeposedLeader ?? false).toBe(false);
    }
    expect(raftMutants.map((m) => m.violates).sort()).toEqual(['ElectionSafety', 'LeaderCompleteness', 'LeaderCompleteness', 'LeaderCompleteness', 'ReadsSeeCommittedWrites']);
  });

  for (const m of raftMutants) {
    it(`${m.name}: ${m.violates} (preset ${m.hunt.preset}, ${m.hunt.options.length === 0 ? 'breadth-first' : m.hunt.options.join(' ')})`, { timeout: 120_000 }, () => {
      const model = onlyMission(buildRaftModel(presetBounds(m.hunt.preset), m.name), m.violates);
      const report: CheckReport = check(model, { strategy: strategyOf(m.hunt), progress: false });
      reports.set(m.name, report);
      expect(report.violations.map((v) => v.property)).toEqual([m.violates]);
      const violation = report.violations[0]!;
      expect(violation.depth).toBeLessThanOrEqual(depthMax[m.name]!);
      expect(violation.trace.steps).toHaveLength(violation.depth);
    });
  }

  it('figure8-commit: the counterexample from Init commits an entry of an earlier term, then elects a leader without it', { timeout: 120_000 }, () => {
    const report = reports.get('figure8-commit');
    assert(report !== undefined, 'the figure8-commit hunt ran first');
    const steps = report.violations[0]!.trace.steps;
    expect(steps.at(-1)!.action).toMatch(/^BecomeLeader/);
    expect(steps.some((s) => s.action.startsWith('AdvanceCommitIndex'))).toBe(true);
  });
});
