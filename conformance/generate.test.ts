// Generation: coverage-directed traces (numbers pinned at a cut BFS so the
// test stays fast; docs/conformance.md has the full runs), seeded walks that
// reproduce from their seed, and scenario files that never go stale.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zabActionKinds, zabAdapter, zabBranchKeyUniverse, zabCommand } from './adapters/zab.ts';
import { scenarioPath } from './cli.ts';
import { generateCoverage, mutantScenario, randomWalks, unionCoverage } from './generate.ts';
import { serializeTrace } from './trace.ts';
import type { ZabCluster } from '../spec/zab/world.ts';

describe('coverage-directed generation', () => {
  const result = generateCoverage(zabAdapter, 'ci', { statesMax: 20_000 });

  it('at ci cut at 20,000 states: 5 shortest traces cover 18 of 26 action kinds and 19 of 53 branch keys', () => {
    expect(result.distinctStates).toBe(20_000);
    expect(result.complete).toBe(false);
    expect(result.traces.map((t) => t.states.length - 1)).toEqual([18, 14, 14, 13, 2]);
    expect(zabActionKinds.length).toBe(26);
    expect(zabBranchKeyUniverse.length).toBe(53);
    expect(result.coverage.actionKinds.covered.length).toBe(18);
    expect(result.coverage.branches.covered.length).toBe(19);
    // The oracle election, no timeout and no observer at ci: these kinds cannot occur there.
    expect(result.coverage.actionKinds.uncovered).toEqual(expect.arrayContaining(['FLEReceiveNotmsg', 'Timeout', 'LeaderProcessOBSERVERINFO', 'ObserverProcessINFORM']));
  });

  it('the reported covered kinds are exactly the kinds the traces take (read back from their labels)', () => {
    const taken = new Set(result.traces.flatMap((t) => t.states.slice(1).map((s) => s['mbt::actionTaken'].split('(')[0]!)));
    for (const kind of taken) expect(zabActionKinds).toContain(kind);
    expect([...taken].sort()).toEqual([...result.coverage.actionKinds.covered].sort());
  });

  it('each trace records its provenance: spec source, preset, bounds, no mutant, no seed', () => {
    for (const trace of result.traces) {
      expect(trace['#meta']).toMatchObject({ format: 'ITF', source: 'spec', spec: 'zab', preset: 'ci', mutant: null, seed: null });
      expect(trace['#meta'].bounds).toEqual(zabAdapter.spec.presets[0]!.bounds);
    }
  });

  it('presets add up: ci plus ci-observer cover the observer kinds ci alone misses', () => {
    const observer = generateCoverage(zabAdapter, 'ci-observer', { statesMax: 20_000 });
    const union = unionCoverage(zabAdapter, [result.coverage, observer.coverage]);
    expect(union.actionKinds.covered).toContain('LeaderProcessOBSERVERINFO');
    expect(union.actionKinds.covered.length).toBeGreaterThan(result.coverage.actionKinds.covered.length);
  });
});

describe('seeded random walks', () => {
  it('reproduce from the seed recorded in each trace, and different seeds walk differently', () => {
    const seed = 42;
    const first = randomWalks(zabAdapter, 'ci', { walks: 3, seed, depthMax: 30 });
    const again = randomWalks(zabAdapter, 'ci', { walks: 3, seed, depthMax: 30 });
    expect(again, `seed ${seed}`).toEqual(first);
    expect(first.map((t) => t['#meta'].seed)).toEqual([42, 43, 44]);
    // Walk 1 of seed 42 is walk 0 of seed 43: each trace reproduces on its own.
    expect(randomWalks(zabAdapter, 'ci', { walks: 1, seed: 43, depthMax: 30 })[0]).toEqual(first[1]);
    expect(serializeTrace(first[0]!)).not.toBe(serializeTrace(first[1]!));
  });
});

describe('known-bug scenarios (scenarios/zab/<mutant>.json)', () => {
  it.each(zabAdapter.spec.mutants.map((m) => m.name))('%s: the committed file is what the checker finds today (regenerate with `conformance scenarios`)', (mutant) => {
    const { trace } = mutantScenario(zabAdapter, mutant);
    expect(readFileSync(scenarioPath('zab', mutant), 'utf8')).toBe(serializeTrace(trace));
  });
});

describe('harness commands for the future impl replay', () => {
  it('maps deliveries, faults and client writes to commands, and decisions the server takes itself to awaits', () => {
    const c = zabAdapter.spec.build(zabAdapter.spec.presets[0]!.bounds, undefined).init()[0] as ZabCluster;
    expect(zabCommand(c, { type: 'Deliver', from: 1, to: 0, message: 'ACK' })).toEqual({ kind: 'deliver', from: 1, to: 0, channel: 'quorum', message: 'ACK' });
    expect(zabCommand(c, { type: 'NodeCrash', server: 2 })).toEqual({ kind: 'crash', node: 2 });
    expect(zabCommand(c, { type: 'LeaderProcessRequest', server: 0 })).toEqual({ kind: 'clientWrite', node: 0 });
    expect(zabCommand(c, { type: 'DropNotification', from: 0, to: 1 })).toEqual({ kind: 'drop', from: 0, to: 1, channel: 'election' });
    expect(zabCommand(c, { type: 'ElectLeader', leader: 0, quorum: [0, 1] })).toEqual({ kind: 'await', node: 0, what: 'elected by {0, 1}' });
  });
});
