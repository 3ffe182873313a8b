// The cluster model under the checker: the correct protocol at the CI
// presets (no violation, every sometimes reached, pinned distinct-state
// counts), and each known-bug mutant found with its invariant and depth.

import { describe, expect, it } from 'vitest';
import { check, type CheckReport } from '../../model-check/check.ts';
import { ZAB_PAPER_NEWLEADER_GAP, ZOOKEEPER_2845, ZOOKEEPER_3911, ZOOKEEPER_4643, ZOOKEEPER_4646 } from './mutants.ts';
import { zabSpec } from './spec.ts';

function run(preset: string, mutant?: string, overrides: Record<string, number | boolean> = {}): CheckReport {
  const bounds = { ...zabSpec.presets.find((p) => p.name === preset)!.bounds, ...overrides };
  return check(zabSpec.build(bounds, mutant), { progress: false });
}

const reached = (report: CheckReport) => report.sometimes.filter((s) => s.reached).map((s) => s.property);

describe('the correct protocol', () => {
  it('ci: exhaustive, no violation, and a leader is established, a proposal committed, followers synced by DIFF, TRUNC and SNAP', () => {
    const report = run('ci');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(39_065);
    expect(reached(report)).toEqual(['LeaderEstablished', 'ProposalCommitted', 'SyncByDIFF', 'SyncByTRUNC', 'SyncBySNAP']);
  }, 120_000);

  it('ci-observer: an observer learns a commit by INFORM', () => {
    const report = run('ci-observer');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(423);
    expect(reached(report)).toContain('ObserverLearnsCommit');
  });

  it('ci-fle: Fast Leader Election, exhaustive: one leader per epoch, and a leader is established', () => {
    const report = run('ci-fle');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(277_236);
    expect(reached(report)).toEqual(['LeaderEstablished', 'SyncByDIFF']);
  }, 180_000);

  it.each([
    ['zookeeper-3911', 390],
    ['zookeeper-4643', 42_611],
    ['zookeeper-2845', 23_663],
    ['zab-paper-newleader-gap', 39_201],
  ])('%s preset without the mutant: exhaustive and safe (%i states)', (preset, states) => {
    const report = run(preset);
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(states);
  }, 120_000);
});

describe('known-bug mutants are found (breadth-first: shortest counterexamples)', () => {
  it.each([
    // TLC on ZooKeeper's specs: 3911 at depth 14, 4646 at 14, 4643 at 16, 2845 at 10 (initial state = 1).
    [ZOOKEEPER_3911, 'zookeeper-3911', 'CommittedDurable', 9],
    [ZOOKEEPER_4646, 'zookeeper-3911', 'CommittedDurable', 9],
    [ZOOKEEPER_4643, 'zookeeper-4643', 'CommittedNeverLost', 14],
    [ZOOKEEPER_2845, 'zookeeper-2845', 'DiscardedNeverReappear', 12],
    [ZAB_PAPER_NEWLEADER_GAP, 'zab-paper-newleader-gap', 'PrefixConsistency', 27],
  ])('%s (preset %s) violates %s at depth %i', (mutant, preset, property, depth) => {
    const report = run(preset, mutant);
    // One state may break several invariants at once (the paper gap breaks TotalOrder too); the first is pinned.
    expect(report.violations.map((v) => [v.property, v.depth])[0]).toEqual([property, depth]);
    expect(report.violations.every((v) => v.depth === depth)).toBe(true);
  }, 120_000);

  it('ZOOKEEPER-4643: the counterexample is a follower that crashed between writing currentEpoch and logging, then led', () => {
    const report = run('zookeeper-4643', ZOOKEEPER_4643);
    const actions = report.violations[0]!.trace.steps.map((s) => s.action);
    const crash = actions.findIndex((a) => a.startsWith('NodeCrash'));
    expect(actions[crash - 1]).toMatch(/^FollowerProcessNEWLEADER/);
    expect(actions[crash + 1]).toMatch(/^NodeStart/);
    expect(actions[crash + 2]).toMatch(/^ElectLeader/);
  }, 120_000);
});
