import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import type { Model } from '../../model-check/model.ts';
import type { PaxosAction } from './actions.ts';
import { buildPaxosModel } from './model.ts';
import type { PaxosCluster } from './world.ts';
import { PAXOS_MUTANTS, parseMutant, quorumSizeFor } from './mutants.ts';
import { presetBounds } from './spec.ts';
import type { PaxosMutantName } from './types.ts';

/** BFS at the ci preset: the first violation, its depth (actions) and its actions. */
function firstViolation(mutant: PaxosMutantName, onlyProperty?: string) {
  let model: Model<PaxosCluster, PaxosAction> = buildPaxosModel(presetBounds('ci'), mutant);
  if (onlyProperty !== undefined) {
    model = { ...model, properties: model.properties.filter((p) => p.name === onlyProperty) };
  }
  const report = check(model, { strategy: { kind: 'bfs' }, progress: false });
  expect(report.violations).toHaveLength(1);
  const violation = report.violations[0]!;
  return { property: violation.property, depth: violation.depth, actions: violation.trace.steps.map((s) => s.action) };
}

describe('known-bug mutants: BFS at the ci preset finds each one with a shortest counterexample', () => {
  it('accept-below-promise breaks P1a after 7 actions: a1 promises b1, then votes in b0', () => {
    expect(firstViolation('accept-below-promise')).toEqual({
      property: 'PromiseKept',
      depth: 7,
      actions: [
        'Phase1a(b0)',
        'Phase1a(b1)',
        'Phase1b(a1, b0)',
        'Phase1b(a2, b0)',
        'Phase1b(a1, b1)',
        'Phase2a(b0) promises from {a1, a2}, client value v1',
        'Phase2b(a1, b0, v1)',
      ],
    });
  });

  it('accept-below-promise also breaks Agreement, after 12 actions: b1\'s promises predate the b0 votes', () => {
    const found = firstViolation('accept-below-promise', 'Agreement');
    expect(found.property).toBe('Agreement');
    expect(found.depth).toBe(12);
    expect(found.actions.slice(-3)).toEqual([
      'Phase2a(b1) promises from {a1, a2}, client value v2',
      'Phase2b(a1, b1, v2)',
      'Phase2b(a2, b1, v2)',
    ]);
  });

  it('ignore-promised-values breaks Agreement after 12 actions: a2 reports its b0 vote for v1, b1 proposes v2', () => {
    expect(firstViolation('ignore-promised-values')).toEqual({
      property: 'Agreement',
      depth: 12,
      actions: [
        'Phase1a(b0)',
        'Phase1a(b1)',
        'Phase1b(a1, b0)',
        'Phase1b(a2, b0)',
        'Phase1b(a1, b1)',
        'Phase2a(b0) promises from {a1, a2}, client value v1',
        'Phase2b(a2, b0, v1)',
        'Phase1b(a2, b1)',
        'Phase2b(a3, b0, v1)',
        'Phase2a(b1) promises from {a1, a2}, client value v2',
        'Phase2b(a1, b1, v2)',
        'Phase2b(a2, b1, v2)',
      ],
    });
  });

  it('minority-quorum breaks Agreement after 8 actions: quorums {a1} and {a2} do not intersect', () => {
    expect(firstViolation('minority-quorum')).toEqual({
      property: 'Agreement',
      depth: 8,
      actions: [
        'Phase1a(b0)',
        'Phase1a(b1)',
        'Phase1b(a1, b0)',
        'Phase1b(a1, b1)',
        'Phase2a(b0) promises from {a1}, client value v1',
        'Phase2b(a2, b0, v1)',
        'Phase2a(b1) promises from {a1}, client value v2',
        'Phase2b(a1, b1, v2)',
      ],
    });
  });

  it('the same depths at the tlc preset (set network, no learners)', () => {
    const depths = PAXOS_MUTANTS.map((m) => {
      const report = check(buildPaxosModel(presetBounds('tlc'), m.name), { progress: false });
      return [m.name, report.violations[0]?.property, report.violations[0]?.depth];
    });
    expect(depths).toEqual([
      ['accept-below-promise', 'PromiseKept', 7],
      ['ignore-promised-values', 'Agreement', 12],
      ['minority-quorum', 'Agreement', 8],
    ]);
  });
});

describe('mutant names and quorum sizes', () => {
  it('rejects an unknown mutant, naming the known ones', () => {
    expect(parseMutant(undefined)).toBeUndefined();
    expect(() => parseMutant('accept-everything')).toThrow(/accept-below-promise, ignore-promised-values, minority-quorum/);
  });

  it('a majority, or one fewer (never zero) under minority-quorum', () => {
    expect([3, 4, 5].map((n) => quorumSizeFor(n, undefined))).toEqual([2, 3, 3]);
    expect([1, 3, 4, 5].map((n) => quorumSizeFor(n, 'minority-quorum'))).toEqual([1, 1, 2, 2]);
  });
});
