// Swarm verification (swarm.ts) on the toys: members derived from their seed
// alone (so one member reruns by itself), determinism for a seed, a
// violation found and attributed, and completeness when a member without
// omissions covers everything.

import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { memberPlan, type SwarmOptions } from './swarm.ts';
import { crewModel, doublerModel } from './toys.ts';

const options = (seed: number, members = 50): SwarmOptions => ({ members, seed, depthMax: 60, memberStatesMax: 200 });

describe('a swarm member', () => {
  it('follows from its seed, depthMax and budget alone: member i of seed S is member 0 of seed S + i', () => {
    for (let i = 0; i < 20; i++) {
      const { index: _i, ...plan } = memberPlan(options(1000), i);
      const { index: _0, ...alone } = memberPlan(options(1000 + i), 0);
      expect(plan).toEqual(alone);
      expect(plan.depthBound).toBeGreaterThanOrEqual(15);
      expect(plan.depthBound).toBeLessThanOrEqual(60);
    }
    const modes = new Set(Array.from({ length: 20 }, (_, i) => memberPlan(options(7), i).mode));
    expect(modes).toEqual(new Set(['dfs', 'walk']));
  });
});

describe('a swarm', () => {
  it('finds a violation, names the member, and that member alone finds the same counterexample', () => {
    const swarmOf = (seed: number, members: number) =>
      check(doublerModel(37), { strategy: { kind: 'swarm', ...options(seed, members) }, progress: false });
    const report = swarmOf(42, 50);
    expect(report).toMatchObject({ strategy: 'swarm', seed: 42, complete: false });
    expect(report.violations.map((v) => v.property)).toEqual(['NeverTarget']);
    const finder = report.swarmFinder!;
    expect(finder.seed).toBe(42 + finder.index);
    const alone = swarmOf(finder.seed, 1);
    expect(alone.swarmFinder).toEqual({ ...finder, index: 0 });
    expect(alone.violations[0]!.trace).toEqual(report.violations[0]!.trace);
    expect(report.searchBounds).toMatch(new RegExp(`^${finder.index + 1} of 50 members run, member i seeded 42 \\+ i, depth bounds 15..60, 200 states per member$`));
  });

  it('is deterministic for a seed', () => {
    const run = () => check(crewModel(4, false), { strategy: { kind: 'swarm', ...options(9, 5) }, progress: false });
    const [a, b] = [run(), run()];
    expect(b.distinctStates).toBe(a.distinctStates);
    expect(b.generatedStates).toBe(a.generatedStates);
    expect(b.maxDepth).toBe(a.maxDepth);
  });

  it('reports complete when a dfs member that omits nothing covers every state, and counts the union', () => {
    const report = check(crewModel(3, true), { strategy: { kind: 'swarm', members: 200, seed: 3, depthMax: 40, memberStatesMax: 1000 }, progress: false });
    expect(report).toMatchObject({ complete: true, distinctStates: 18, violations: [] });
  });

  it('stops at the run state budget', () => {
    const report = check(crewModel(4, false), { strategy: { kind: 'swarm', ...options(5, 1000) }, statesMax: 100, progress: false });
    expect(report).toMatchObject({ complete: false, distinctStates: 100 });
  });
});
