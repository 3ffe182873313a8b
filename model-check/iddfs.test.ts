// Iterative deepening (iddfs.ts) and its depth-bounded pass (bounded-dfs.ts,
// depth-table.ts) on the toys: the shortcut that a pass pruning on "seen"
// misses, exact counts when it completes, and counterexamples within twice
// the shortest.

import { describe, expect, it } from 'vitest';
import { check } from './check.ts';
import { DepthTable } from './depth-table.ts';
import { nextBound } from './iddfs.ts';
import { clockModel, crewModel, doublerModel, shortcutModel } from './toys.ts';

describe('a depth-bounded pass', () => {
  it('misses the shortcut when it prunes on the seen set (dfs.ts with a depth): the bug depth-table.ts repairs', () => {
    const report = check(shortcutModel(), { strategy: { kind: 'dfs', depthMax: 2 }, progress: false });
    expect(report.violations).toEqual([]);
    expect(report.distinctStates).toBe(3);
  });

  it('expands a state again when it is reached shallower, so every state within the bound is reached', () => {
    for (const strategy of [
      { kind: 'iddfs', depthMax: 2 },
      { kind: 'iddfs', depthMax: 2, step: 2 },
    ] as const) {
      const report = check(shortcutModel(), { strategy, progress: false });
      expect(report.violations.map((v) => [v.property, v.depth])).toEqual([['NeverThree', 2]]);
      expect(report.violations[0]!.trace.steps.map((s) => s.action)).toEqual(['Short', 'Step']);
    }
  });
});

describe('iterative deepening', () => {
  it('counts what BFS counts when a pass cuts nothing, and says which bounds it ran', () => {
    const bfs = check(clockModel({ n: 10 }), { progress: false });
    const report = check(clockModel({ n: 10 }), { strategy: { kind: 'iddfs' }, progress: false });
    expect(report).toMatchObject({ strategy: 'iddfs', complete: true, distinctStates: bfs.distinctStates, maxDepth: bfs.maxDepth });
    // Bounds 1, 2, 4, 8, 16 cut the depth-20 corner; 32 cuts nothing.
    expect(report.searchBounds).toMatch(/depth bounds 1, 2, 4, 8, 16, 32 \(doubling, no depth limit\)/);
    // Every pass recomputes its successors: more generated than BFS's 1 + 2n(n+1).
    expect(report.generatedStates).toBeGreaterThan(bfs.generatedStates);
    const crew = check(crewModel(3, true), { strategy: { kind: 'iddfs', step: 3 }, progress: false });
    expect(crew).toMatchObject({ complete: true, distinctStates: 18 });
  });

  it('stops at depthMax and reports incomplete when states lie beyond it', () => {
    const report = check(clockModel({ n: 10 }), { strategy: { kind: 'iddfs', depthMax: 5 }, progress: false });
    expect(report).toMatchObject({ complete: false, maxDepth: 5 });
    // The states within 5 actions of (0, 0): a + b <= 5.
    expect(report.distinctStates).toBe(21);
  });

  it('finds a counterexample at most twice as deep as the shortest (7), where plain DFS takes 36 steps', () => {
    expect(check(doublerModel(37), { strategy: { kind: 'dfs' }, progress: false }).violations[0]!.depth).toBe(36);
    const report = check(doublerModel(37), { strategy: { kind: 'iddfs' }, progress: false });
    expect(report.violations[0]!.depth).toBeGreaterThanOrEqual(7);
    expect(report.violations[0]!.depth).toBeLessThanOrEqual(8);
  });

  it('grows its bound by doubling or by a step, never past depthMax', () => {
    expect(nextBound(4, { depthMax: 100 })).toBe(8);
    expect(nextBound(4, { depthMax: 6 })).toBe(6);
    expect(nextBound(4, { depthMax: 100, step: 3 })).toBe(7);
  });
});

describe('the depth table', () => {
  it('asks for expansion on first sight and on a strictly shallower one, across growth', () => {
    const table = new DepthTable(4);
    for (let i = 0; i < 1000; i++) expect(table.lower(i, i * 7, 10)).toBe(true);
    for (let i = 0; i < 1000; i++) expect(table.lower(i, i * 7, 10)).toBe(false);
    expect(table.lower(5, 35, 11)).toBe(false);
    expect(table.lower(5, 35, 9)).toBe(true);
    expect(table.lower(5, 35, 9)).toBe(false);
    expect(table.size).toBe(1000);
    table.clear();
    expect(table.size).toBe(0);
    expect(table.lower(5, 35, 12)).toBe(true);
  });
});
