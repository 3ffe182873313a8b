// The parallel search agrees with the sequential one on every count, reports
// shortest counterexamples that replay, and survives many table growths.
// Workers rebuild the toy specs from toys.ts.

import { describe, expect, it } from 'vitest';
import { check, type CheckReport, ModelError } from './check.ts';
import type { Bounds, SpecDefinition } from './model.ts';
import { toyClockSpec, toyCrewSpec } from './toys.ts';

const toys = new URL('./toys.ts', import.meta.url).href;

/** check() with the parallel-bfs strategy, the workers rebuilding `spec` from toys.ts. */
function checkParallel(spec: SpecDefinition, bounds: Bounds, mutant: string | undefined, options: { workers: number; capacityLog2?: number }): Promise<CheckReport> {
  const rebuild = { module: toys, name: spec.name, bounds, mutant };
  return check(spec.build(bounds, mutant), { strategy: { kind: 'parallel-bfs', ...options, rebuild } });
}

describe('parallel breadth-first search', () => {
  it('counts what the sequential search counts, through table growth from 16 slots', async () => {
    const bounds = { n: 60, withSometimes: true };
    const sequential = check(toyClockSpec.build(bounds, undefined), { progress: false });
    const parallel = await checkParallel(toyClockSpec, bounds, undefined, { workers: 2, capacityLog2: 4 });
    expect(parallel).toMatchObject({ strategy: 'bfs', complete: true, distinctStates: 61 * 61, generatedStates: 1 + 2 * 60 * 61, maxDepth: 120, violations: [] });
    expect(parallel.generatedStates).toBe(sequential.generatedStates);
    expect(parallel.sometimes).toMatchObject([{ property: 'HandAReachesN', reached: true, depth: 60 }]);
    expect(parallel.sometimes[0]!.trace!.steps).toHaveLength(60);
    // The counters: every state expanded once, one barrier per level, the table grown fourfold from 16 slots to 2^14.
    const stats = parallel.parallel!;
    expect(stats.workers.reduce((sum, w) => sum + w.expanded, 0)).toBe(61 * 61);
    expect(stats.levels).toBe(121);
    expect(stats.growths).toBe(5);
    expect(stats.imbalance).toBeGreaterThanOrEqual(0);
    expect(stats.imbalance).toBeLessThanOrEqual(1);
  });

  it('applies symmetry in every worker: 18 orbits of 81 states', async () => {
    const withSymmetry = await checkParallel(toyCrewSpec, { servers: 3, symmetry: true }, undefined, { workers: 3 });
    const without = await checkParallel(toyCrewSpec, { servers: 3, symmetry: false }, undefined, { workers: 2 });
    expect(withSymmetry.distinctStates).toBe(18);
    expect(without.distinctStates).toBe(81);
  });

  it('reports a shortest counterexample that replays', async () => {
    const report = await checkParallel(toyClockSpec, { n: 5, withSometimes: false }, 'overflow', { workers: 2 });
    expect(report.complete).toBe(false);
    expect(report.violations).toHaveLength(1);
    const violation = report.violations[0]!;
    expect(violation).toMatchObject({ property: 'HandsInRange', depth: 6 });
    expect(violation.trace.steps.map((s) => s.action)).toEqual(new Array(6).fill('Tick(a)'));
    expect(violation.trace.steps.at(-1)!.state).toMatchObject({ a: 6 });
  });

  it('reports a model that throws as a ModelError with the path', async () => {
    const failure = await checkParallel(toyCrewSpec, { servers: 3, symmetry: false }, 'throws', { workers: 2 }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ModelError);
    expect((failure as ModelError).message).toContain('while trying Elect(s2): Error: Elect(s2) is broken');
    expect((failure as ModelError).trace.steps).toEqual([]);
  });
});
