// Liveness on the real Raft model (model-check/liveness.ts): "a leader is
// eventually elected" (raft.tla's LeaderElected `sometimes`, read as <>) on a
// small configuration: 3 servers, currentTerm <= 2, empty logs, at most one
// message in flight.
//
// With DropMessage in Next and no fairness, election livelocks: a candidate
// sends RequestVote and the network drops it, forever; the checker finds that
// lasso. Weak fairness of message delivery does not rule it out (delivery is
// disabled each time the message is dropped; that would take strong
// fairness), and the checker agrees. Weak fairness of Timeout does: it is
// enabled all along that cycle. But in this bounded model Timeout leads out of
// the boundary (currentTerm <= 2), so "holds" then means "no fair behaviour
// within the bounds avoids a leader", and the report counts the states whose
// successors leave the bounds; that is what a bounded check can say.

import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import type { Fairness, Model, Property } from '../../model-check/model.ts';
import { buildRaftModel, presetBounds } from './spec.ts';
import type { RaftCluster } from './world.ts';

const bounds = { ...presetBounds('ci'), maxTerm: 2, maxLogLength: 0, maxMessages: 1, drop: true };

const eventuallyLeader: Property<RaftCluster> = {
  name: 'EventuallyLeader',
  kind: 'eventually',
  description: 'a leader is eventually elected',
  holds: (c) => c.nodes.some((node) => node.state === 'Leader'),
};

function withLiveness(fairKinds: readonly string[]): Model<RaftCluster, unknown> {
  const model = buildRaftModel(bounds) as Model<RaftCluster, unknown>;
  const fairness: Fairness[] = fairKinds.map((kind) => ({ kind: 'weak', actions: [kind] }));
  return { ...model, properties: [...model.properties, eventuallyLeader], fairness };
}

describe('Raft: a leader is eventually elected', () => {
  it('fails without fairness: RequestVote dropped forever, a lasso that replays', () => {
    const model = withLiveness([]);
    const report = check(model, { progress: false });
    expect(report.complete).toBe(true);
    const violation = report.violations.find((v) => v.property === 'EventuallyLeader');
    expect(violation).toBeDefined();
    const trace = violation!.trace;
    expect(trace.steps.map((s) => s.action.replace(/\(.*/, ''))).toEqual(['Timeout', 'RequestVote', 'DropMessage']);
    expect(trace.cycleStart).toBe(1);
    // Replay: every step is a transition of the model, and the cycle returns to the state after Timeout.
    let state = model.init()[0]!;
    const states = [state];
    for (const step of trace.steps) {
      const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
      expect(action, step.action).toBeDefined();
      state = model.next(state, action)!;
      expect(model.view(state)).toEqual(step.state);
      states.push(state);
    }
    expect(model.view(states[3]!)).toEqual(model.view(states[1]!));
    expect(states.every((s) => !eventuallyLeader.holds(s))).toBe(true);
  });

  it('still fails under weak fairness of delivery and of the candidate steps: the drop disables delivery', () => {
    const report = check(withLiveness(['RequestVote', 'Receive', 'BecomeLeader']), { progress: false });
    expect(report.violations.map((v) => v.property)).toEqual(['EventuallyLeader']);
  });

  it('holds within the bounds under weak fairness of Timeout too, and says how many states lead out of them', () => {
    const report = check(withLiveness(['Timeout', 'RequestVote', 'Receive', 'BecomeLeader']), { progress: false });
    expect(report.violations).toEqual([]);
    const verdict = report.liveness![0]!;
    expect(verdict.verdict).toBe('holds');
    expect(verdict.leavingBoundary).toBeGreaterThan(0);
  });
});

describe('Raft: the declared liveness properties (liveness.ts, the liveness preset)', () => {
  it('both hold within the bounds once faults stop, and the report says how many states lead out of them', () => {
    const report = check(buildRaftModel(presetBounds('liveness')), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.liveness?.map((l) => [l.property, l.verdict])).toEqual([
      ['LeaderEventuallyElected', 'holds'],
      ['LeaderEntriesCommitted', 'holds'],
    ]);
    expect(report.liveness!.every((l) => (l.leavingBoundary ?? 0) > 0)).toBe(true);
  });

  it('with no election after the last term, a split vote in that term is a lasso that stutters without a leader', () => {
    const model = buildRaftModel({ ...presetBounds('liveness'), timeoutBelowMaxTerm: true });
    const report = check(model, { progress: false });
    const violation = report.violations.find((v) => v.property === 'LeaderEventuallyElected');
    expect(violation).toBeDefined();
    const trace = violation!.trace;
    expect(trace.cycleStart).toBe(trace.steps.length);
    let state = model.init()[0]!;
    for (const step of trace.steps) {
      const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
      expect(action, step.action).toBeDefined();
      state = model.next(state, action!)!;
    }
    // Every server is in the last term, nobody leads, and nothing is enabled: the vote stays split.
    expect(state.nodes.map((node) => [node.currentTerm, node.state === 'Leader'])).toEqual([
      [2, false],
      [2, false],
      [2, false],
    ]);
    expect(model.actions(state).filter((a) => model.next(state, a) !== undefined)).toEqual([]);
  });
});
