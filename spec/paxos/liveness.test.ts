// Paxos's liveness (Paxos Made Simple, §2.4): ValueEventuallyChosen, judged on
// the state graph (model-check/liveness.ts) under weak fairness of the
// protocol's actions. It holds at the ci-liveness preset, where the network
// loses nothing; one lost message is still survived (a majority of three
// remains); two lost messages with no ballot left to retry with leave every
// proposer short of a quorum, and the checker shows that behaviour: a path
// ending in a state where nothing is enabled, which stutters there forever.

import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import { buildPaxosModel } from './model.ts';
import { presetBounds } from './spec.ts';

const liveness = presetBounds('ci-liveness');

describe('Paxos: some value is eventually chosen', () => {
  it('holds at ci-liveness (no message lost, every protocol action weakly fair)', () => {
    const report = check(buildPaxosModel(liveness, undefined), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.liveness?.map((l) => [l.property, l.verdict])).toEqual([['ValueEventuallyChosen', 'holds']]);
  });

  it('fails when two messages are lost: no proposer reaches a quorum and no ballot is left, a lasso that stutters', () => {
    const model = buildPaxosModel({ ...liveness, maxDrops: 2, maxDuplicates: 0 }, undefined);
    const report = check(model, { progress: false });
    const violation = report.violations.find((v) => v.property === 'ValueEventuallyChosen');
    expect(violation).toBeDefined();
    const steps = violation!.trace.steps.map((s) => s.action);
    // Shortest prefix; the cycle is the stuttering in the last state (cycleStart at its end).
    expect(steps.filter((a) => a.startsWith('DropMessage'))).toHaveLength(2);
    expect(steps.some((a) => a.startsWith('Phase2a'))).toBe(false);
    expect(violation!.trace.cycleStart).toBe(steps.length);
    // Replay to the last state: nothing is enabled there, and no value was chosen.
    let state = model.init()[0]!;
    for (const step of violation!.trace.steps) {
      const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
      expect(action, step.action).toBeDefined();
      state = model.next(state, action!)!;
    }
    expect(model.actions(state).filter((a) => model.next(state, a) !== undefined)).toEqual([]);
    expect(model.properties.find((p) => p.name === 'ValueChosen')!.holds(state)).toBe(false);
  });
});
