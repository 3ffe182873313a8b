// The cluster model under the checker: the correct protocol at the small
// presets (no violation, every sometimes reached, pinned distinct-state
// counts), and each known-bug mutant from a start built next to it
// (`initialLogs`): a teaching aid that pins the short counterexample, not a
// finding. The findings are the mutants' hunts from the real initial state
// (mutants.ts; cli/mutant-hunts.test.ts runs them). The two large CI presets
// (ci, ci-fle) are in ci.test.ts, so that the two files run side by side.

import { describe, expect, it } from 'vitest';
import { check, type CheckReport } from '../../model-check/check.ts';
import { ZAB_PAPER_NEWLEADER_GAP, ZOOKEEPER_2845, ZOOKEEPER_3911, ZOOKEEPER_4643, ZOOKEEPER_4646 } from './mutants.ts';
import { zabSpec } from './spec.ts';

function run(preset: string, mutant?: string, overrides: Record<string, number | boolean> = {}): CheckReport {
  const bounds = { ...zabSpec.presets.find((p) => p.name === preset)!.bounds, ...overrides };
  return check(zabSpec.build(bounds, mutant), { progress: false });
}

/** As run, checking only the paper's properties and the recovery ones (without LearnerHistoryPrefix). */
function runPaperInvariants(preset: string, mutant: string): CheckReport {
  const bounds = zabSpec.presets.find((p) => p.name === preset)!.bounds;
  const model = zabSpec.build(bounds, mutant);
  return check({ ...model, properties: model.properties.filter((p) => p.name !== 'LearnerHistoryPrefix') }, { progress: false });
}

const reached = (report: CheckReport) => report.sometimes.filter((s) => s.reached).map((s) => s.property);

describe('the correct protocol', () => {
  it('ci-observer: an observer learns a commit by INFORM, across a crash, a partition and a timeout', () => {
    const report = run('ci-observer');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(189_730);
    expect(reached(report)).toContain('ObserverLearnsCommit');
    // Every sometimes checked at this preset is reached (check:all's rule).
    expect(report.sometimes.every((s) => s.reached)).toBe(true);
  }, 120_000);

  it.each([
    ['zookeeper-3911', 390],
    ['zookeeper-4643', 16_762],
    ['zookeeper-2845', 13_262],
    ['zab-paper-newleader-gap', 39_201],
  ])('%s preset without the mutant: exhaustive and safe (%i states)', (preset, states) => {
    const report = run(preset);
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(states);
  }, 120_000);
});

describe('Fast Leader Election with broadcast and faults (too large to exhaust): seeded random walks', () => {
  it('fle-broadcast: 20,000 walks of up to 80 actions from seed 20261122 violate nothing and commit a proposal after a real election', () => {
    const seed = 20261122;
    const bounds = zabSpec.presets.find((p) => p.name === 'fle-broadcast')!.bounds;
    const report = check(zabSpec.build(bounds, undefined), { progress: false, strategy: { kind: 'simulate', walks: 20_000, seed, depthMax: 80 } });
    expect(report.seed, `seed ${seed}`).toBe(seed);
    expect(report.violations.map((v) => `${v.property} at depth ${v.depth} (seed ${seed})`)).toEqual([]);
    expect(report.complete).toBe(true);
    // TRUNC needs a longer, rarer interleaving than random walks find; ci and ci-all-faults reach it.
    expect(reached(report)).toEqual(['LeaderEstablished', 'ProposalCommitted', 'SyncByDIFF', 'SyncByDIFFWithProposals', 'SyncBySNAP']);
  }, 120_000);
});

describe('teaching aids: each mutant from a start built next to it (initialLogs), not from Init (breadth-first: shortest counterexamples)', () => {
  it.each([
    // TLC on ZooKeeper's specs: 3911 at depth 14, 4646 at 14, 4643 at 16, 2845 at 10 (initial state = 1).
    [ZOOKEEPER_3911, 'zookeeper-3911', 'CommittedDurable', 9],
    [ZOOKEEPER_4646, 'zookeeper-3911', 'CommittedDurable', 9],
    [ZOOKEEPER_4643, 'zookeeper-4643', 'CommittedNeverLost', 14],
    [ZOOKEEPER_2845, 'zookeeper-2845', 'DiscardedNeverReappear', 12],
    [ZAB_PAPER_NEWLEADER_GAP, 'zab-paper-newleader-gap', 'PrefixConsistency', 27],
  ])('%s from the hand-built start of preset %s violates %s at depth %i', (mutant, preset, property, depth) => {
    const report = runPaperInvariants(preset, mutant);
    // One state may break several invariants at once (the paper gap breaks TotalOrder too); the first is pinned.
    expect(report.violations.map((v) => [v.property, v.depth])[0]).toEqual([property, depth]);
    expect(report.violations.every((v) => v.depth === depth)).toBe(true);
  }, 120_000);

  it.each([
    // With every invariant, LearnerHistoryPrefix sees the broken synchronisation itself.
    [ZOOKEEPER_2845, 'zookeeper-2845', 'LearnerHistoryPrefix', 6],
    [ZAB_PAPER_NEWLEADER_GAP, 'zab-paper-newleader-gap', 'LearnerHistoryPrefix', 18],
    [ZOOKEEPER_3911, 'zookeeper-3911', 'CommittedDurable', 9],
    [ZOOKEEPER_4643, 'zookeeper-4643', 'CommittedNeverLost', 14],
  ])('with every invariant, %s (preset %s) violates %s first, at depth %i', (mutant, preset, property, depth) => {
    const report = run(preset, mutant);
    expect(report.violations.map((v) => [v.property, v.depth])[0]).toEqual([property, depth]);
  }, 120_000);

  it('ZOOKEEPER-2845 in six actions: the follower keeps its uncommitted T2 after a DIFF from a leader without it', () => {
    const report = run('zookeeper-2845', ZOOKEEPER_2845);
    const actions = report.violations[0]!.trace.steps.map((s) => s.action.split(' ')[0]);
    expect(actions).toEqual([
      'ElectLeader(s1,',
      'LeaderProcessFOLLOWERINFO(s1,',
      'FollowerProcessLEADERINFO(s0,',
      'LeaderProcessACKEPOCH(s1,',
      'FollowerProcessSyncMessage(s0,',
      'FollowerProcessNEWLEADER(s0,',
    ]);
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
