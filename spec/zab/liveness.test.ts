// ZAB's liveness (liveness.ts) on the state graph (model-check/liveness.ts):
// both properties hold at ci-liveness; a crashed server that never comes back
// does not stop the two others; and at a bound with a crash and a timeout the
// checker shows two lassos, one per weakening: fairness per action kind
// instead of per channel (a follower turned away by a leader of an older
// epoch joins again forever while the leader's quorum starves), and the
// leader's initLimit timeout spent (a leader stalls in discovery on epoch
// acks that ZooKeeper does not count, Leader.waitForEpochAck).

import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import type { Model } from '../../model-check/model.ts';
import type { Trace } from '../../model-check/report-types.ts';
import type { ZabAction } from './actions.ts';
import { actionKind, zabActionKinds } from './format.ts';
import { presets, zabBounds } from './spec.ts';
import { buildModel } from './model.ts';
import type { ZabCluster } from './world.ts';

type ZabModel = Model<ZabCluster, ZabAction>;

const ciLiveness = presets.find((p) => p.name === 'ci-liveness')!.bounds;
/** A crash and a timeout, no client request: the smallest bounds where a leader meets a learner of a newer epoch. */
const crashAndTimeout = zabBounds({ ...ciLiveness, maxTransactions: 0, maxTimeouts: 1 });

/** Replays a lasso's steps on the model (each a transition), returning every state from Init. */
function replay(model: ZabModel, trace: Trace): ZabCluster[] {
  let state = model.init()[0]!;
  const states = [state];
  for (const step of trace.steps) {
    const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
    expect(action, step.action).toBeDefined();
    state = model.next(state, action!)!;
    expect(model.view(state)).toEqual(step.state);
    states.push(state);
  }
  return states;
}

const enabledSteps = (model: ZabModel, state: ZabCluster) => model.actions(state).filter((a) => model.next(state, a) !== undefined);

describe('ZAB: the declared liveness properties (liveness.ts)', () => {
  it('both hold at ci-liveness, exhaustively, and the report says how many states lead out of the bounds', () => {
    const report = check(buildModel(zabBounds(ciLiveness), undefined), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.liveness?.map((l) => [l.property, l.verdict])).toEqual([
      ['LeaderEventuallyEstablished', 'holds'],
      ['LeaderProposalsCommitted', 'holds'],
    ]);
    // Elections after the crash can run past maxEpoch: those behaviours are not followed.
    expect(report.liveness![0]!.leavingBoundary).toBeGreaterThan(0);
  });

  it('both hold when the crashed server never restarts: the two others establish and commit on their own', () => {
    // The checker lets no behaviour stutter while an action is enabled, so an unfair NodeStart would
    // still be taken when nothing else can happen; without it, the crashed server stays down for good.
    const model = buildModel(zabBounds(ciLiveness), undefined);
    const neverRestarts: ZabModel = { ...model, actions: (c) => model.actions(c).filter((a) => a.type !== 'NodeStart') };
    const report = check(neverRestarts, { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.liveness?.map((l) => l.verdict)).toEqual(['holds', 'holds']);
    expect(report.sometimes.find((s) => s.property === 'ProposalCommitted')?.reached).toBe(true);
  });
});

describe('ZAB: LeaderEventuallyEstablished under weakened assumptions (a crash and a timeout)', () => {
  it('with weak fairness per action kind, a learner of a newer epoch rejoins forever while the quorum starves: a cycle', () => {
    // Raft's and Paxos's fairness: one WF conjunct per kind, met by any server or channel.
    const model = buildModel(crashAndTimeout, undefined);
    const environment = new Set(['Timeout', 'NodeCrash', 'NodeStart']);
    const perKind: ZabModel = {
      ...model,
      actionKind,
      actionKinds: zabActionKinds(crashAndTimeout),
      fairness: zabActionKinds(crashAndTimeout)
        .filter((kind) => !environment.has(kind))
        .map((kind) => ({ kind: 'weak' as const, actions: [kind] })),
    };
    const report = check(perKind, { progress: false });
    const violation = report.violations.find((v) => v.property === 'LeaderEventuallyEstablished');
    expect(violation).toBeDefined();
    const trace = violation!.trace;
    const cycle = trace.steps.slice(trace.cycleStart).map((s) => s.action);
    expect(cycle).toEqual(['FollowLeader(s0, s1)', 'LeaderProcessFOLLOWERINFO(s1, s0) [FOLLOWERINFO]', 'FollowerProcessLEADERINFO(s0, s1) [LEADERINFO]']);
    const states = replay(perKind, trace);
    const entry = states[trace.cycleStart!]!;
    // The cycle closes on its entry state as the checker fingerprints it: under the oracle the
    // encoding leaves out FLE's logicalClock, which the oracle never reads (encoding.ts).
    const withoutClocks = (c: ZabCluster) => ({ ...c, servers: c.servers.map((s) => ({ ...s, node: s.node && { ...s.node, logicalClock: 0 } })) });
    expect(withoutClocks(states[states.length - 1]!)).toEqual(withoutClocks(entry));
    // s0 accepted epoch 2 as a leader that lost its quorum; s1 leads epoch 1, so s0 turns it away each time.
    expect(entry.servers[0]!.node!.acceptedEpoch).toBe(2);
    expect(entry.servers[1]!.node!.state).toBe('LEADING');
    expect(entry.servers[1]!.node!.acceptedEpoch).toBe(1);
    // All along the cycle s1's LEADERINFO waits for s2 (channel s1 -> s2): per-channel fairness takes it.
    for (const state of states.slice(trace.cycleStart)) expect(state.channels[1 * 3 + 2]![0]?.type).toBe('LEADERINFO');
    expect(buildModel(crashAndTimeout, undefined).fairness!.some((f) => f.actions.includes('FollowerProcessLEADERINFO(s2, s1)'))).toBe(true);
  });

  it('with per-channel fairness and the timeout spent, a leader stalls in discovery on uncounted epoch acks: it stutters', () => {
    const model = buildModel(crashAndTimeout, undefined);
    const report = check(model, { progress: false });
    expect(report.complete).toBe(true);
    const violation = report.violations.find((v) => v.property === 'LeaderEventuallyEstablished');
    expect(violation).toBeDefined();
    const trace = violation!.trace;
    // No cycle: the per-kind lasso above is gone; the behaviour ends in a state with nothing enabled.
    expect(trace.cycleStart).toBe(trace.steps.length);
    expect(trace.steps.some((s) => s.action.startsWith('Timeout'))).toBe(true);
    const states = replay(model, trace);
    const last = states[states.length - 1]!;
    expect(enabledSteps(model, last)).toEqual([]);
    // The leader is still in discovery: both learners answered LEADERINFO with ACKEPOCH currentEpoch -1
    // (they had accepted its epoch already), which counts toward no quorum, so electing is the leader alone.
    const leaders = last.servers.map((s) => s.node).filter((x) => x?.state === 'LEADING');
    expect(leaders).toHaveLength(1);
    const leader = leaders[0]!;
    expect(leader.zabState).toBe('DISCOVERY');
    expect(leader.electing).toBe(1 << leader.id);
    expect(leader.toSync.map((t) => t.sid).sort()).toEqual([0, 1, 2].filter((id) => id !== leader.id));
    const acks = trace.steps.filter((s) => s.action.startsWith('LeaderProcessACKEPOCH'));
    expect(acks.length).toBeGreaterThanOrEqual(2);
    expect(last.timeouts).toBe(crashAndTimeout.maxTimeouts);
  });
});
