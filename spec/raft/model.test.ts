// The cluster model: raft.tla's message bag, the canonical encoding under
// server symmetry, the scenario starts, and pinned state counts of small
// configurations (so that any change in semantics shows up as a number).

import { describe, expect, it } from 'vitest';
import { check } from '../../model-check/check.ts';
import { fingerprintOf } from '../../model-check/fingerprint.ts';
import { withMessage, withoutMessage, type RaftCluster } from './world.ts';
import { scenarioStart } from './scenarios.ts';
import { buildRaftModel, raftOptions, raftPresets } from './spec.ts';
import type { Message, RaftNode } from './types.ts';

const request = (from: number, to: number): Message => ({
  mtype: 'RequestVoteRequest',
  mterm: 2,
  mlastLogTerm: 0,
  mlastLogIndex: 0,
  msource: from,
  mdest: to,
});

describe("raft.tla's bag of messages [Message -> count]", () => {
  it('WithMessage adds a copy; an equal record counts as the same message', () => {
    const once = withMessage(request(0, 1), []);
    const twice = withMessage(request(0, 1), once);
    expect(twice).toEqual([{ message: request(0, 1), count: 2 }]);
    expect(withMessage(request(0, 2), twice)).toHaveLength(2);
  });

  it('WithoutMessage takes one copy away, and the last copy leaves the domain', () => {
    const twice = withMessage(request(0, 1), withMessage(request(0, 1), []));
    expect(withoutMessage(request(0, 1), twice)).toEqual([{ message: request(0, 1), count: 1 }]);
    expect(withoutMessage(request(0, 1), withoutMessage(request(0, 1), twice))).toEqual([]);
    expect(withoutMessage(request(1, 0), twice)).toBe(twice);
  });
});

function raftOptionsOf(preset: string): Record<string, number | boolean> {
  return { ...raftPresets.find((p) => p.name === preset)!.bounds };
}

/** The same cluster with server ids renamed by `map` (map[old] = new). */
function permuted(state: RaftCluster, map: readonly number[]): RaftCluster {
  const id = (i: number) => (i < 0 ? i : map[i]!);
  const set = (s: number) => map.reduce((out, to, from) => ((s & (1 << from)) !== 0 ? out | (1 << to) : out), 0);
  const reorder = <T>(values: readonly T[]): T[] => {
    const out = values.slice();
    values.forEach((v, from) => (out[map[from]!] = v));
    return out;
  };
  const nodes: RaftNode[] = reorder(
    state.nodes.map((n) => ({
      ...n,
      id: id(n.id),
      votedFor: id(n.votedFor),
      votesResponded: set(n.votesResponded),
      votesGranted: set(n.votesGranted),
      voterLog: n.voterLog.length === 0 ? n.voterLog : reorder(n.voterLog),
      nextIndex: reorder(n.nextIndex),
      matchIndex: reorder(n.matchIndex),
      pendingRead: n.pendingRead && { ...n.pendingRead, acks: set(n.pendingRead.acks) },
    })),
  );
  return {
    nodes,
    messages: state.messages.map((m) => ({ ...m, message: { ...m.message, msource: id(m.message.msource), mdest: id(m.message.mdest) } })),
    history: {
      allLogs: state.history.allLogs,
      elections: state.history.elections.map((e) => ({ ...e, eleader: id(e.eleader), evotes: set(e.evotes), evoterLog: e.evoterLog.length === 0 ? e.evoterLog : reorder(e.evoterLog) })),
    },
    ghost: {
      committed: state.ghost.committed,
      leaders: state.ghost.leaders.map((l) => ({ ...l, leader: id(l.leader) })),
      removed: state.ghost.removed.map((r) => ({ ...r, server: id(r.server) })),
      reads: state.ghost.reads.map((r) => ({ ...r, leader: id(r.leader) })),
    },
    counters: { clientRequests: state.counters.clientRequests, timesLeader: reorder(state.counters.timesLeader) },
  };
}

/** Every state within bounds, by plain depth-first search with exact fingerprints of the non-symmetric model. */
function reachable(bounds: Record<string, number | boolean>): RaftCluster[] {
  const model = buildRaftModel({ ...bounds, symmetry: false });
  const seen = new Set<bigint>();
  const out: RaftCluster[] = [];
  const stack = [...model.init()];
  while (stack.length > 0) {
    const state = stack.pop()!;
    const fp = fingerprintOf(model, state);
    if (seen.has(fp)) continue;
    seen.add(fp);
    out.push(state);
    for (const action of model.actions(state)) {
      const next = model.next(state, action);
      if (next !== undefined && model.withinBoundary(next)) stack.push(next);
    }
  }
  return out;
}

describe('server symmetry (TLC SYMMETRY Permutations(Server))', () => {
  const configurations: { bounds: Record<string, number | boolean>; renamings: number[][] }[] = [
    // Three servers through an election, with raft.tla's history variables in the state.
    { bounds: { servers: 3, maxTerm: 2, maxLogLength: 0, maxMessages: 1, history: true }, renamings: [[1, 2, 0], [0, 2, 1]] },
    // Two servers with an entry, commits and a ReadIndex read in the ghost.
    { bounds: { servers: 2, maxTerm: 2, maxLogLength: 1, maxMessages: 2, reads: 1 }, renamings: [[1, 0]] },
    // The fork's semantics: delivered messages kept with count 0, maxc and leaderCount in the state.
    { bounds: { ...raftOptionsOf('tlc-fork'), maxMessages: 8 }, renamings: [[1, 2, 0], [0, 2, 1]] },
  ];
  for (const { bounds, renamings } of configurations) {
    it(`${JSON.stringify(bounds)}: every renaming of a reachable state has its fingerprint, and the count is the number of classes`, () => {
      const states = reachable(bounds);
      const symmetric = buildRaftModel(bounds);
      const classes = new Set<bigint>();
      for (const state of states) {
        const fp = fingerprintOf(symmetric, state);
        classes.add(fp);
        for (const map of renamings) expect(fingerprintOf(symmetric, permuted(state, map))).toBe(fp);
      }
      expect(classes.size).toBeLessThan(states.length);
      expect(check(symmetric, { progress: false }).distinctStates).toBe(classes.size);
    });
  }
});

/** A complete breadth-first check at these bounds: no violation, and exactly these counts. */
interface PinnedCount {
  readonly bounds: Record<string, number | boolean>;
  readonly distinct: number;
  readonly generated: number;
  readonly depth: number;
}

function itPinsCounts(cases: readonly PinnedCount[]): void {
  for (const c of cases) {
    it(`${JSON.stringify(c.bounds)}: ${c.distinct} distinct, ${c.generated} generated, depth ${c.depth}`, () => {
      const report = check(buildRaftModel(c.bounds), { progress: false });
      expect(report.complete).toBe(true);
      expect(report.violations).toEqual([]);
      expect([report.distinctStates, report.generatedStates, report.maxDepth]).toEqual([c.distinct, c.generated, c.depth]);
    });
  }
}

describe('pinned state counts (breadth-first, TLC semantics: CONSTRAINT-discarded states are not counted)', () => {
  const cases: PinnedCount[] = [
    // raft.tla's own variables only (ghosts out of the fingerprint), elections only.
    { bounds: { servers: 2, maxTerm: 2, maxLogLength: 0, fingerprintGhost: false }, distinct: 5478, generated: 43890, depth: 27 },
    { bounds: { servers: 2, maxTerm: 2, maxLogLength: 0, fingerprintGhost: false, symmetry: false }, distinct: 10881, generated: 87209, depth: 27 },
    { bounds: { servers: 3, maxTerm: 2, maxLogLength: 0, maxMessages: 1, fingerprintGhost: false }, distinct: 10362, generated: 88594, depth: 39 },
    // With an entry and the ghosts the invariants read.
    { bounds: { servers: 2, maxTerm: 2, maxLogLength: 1, maxMessages: 2 }, distinct: 1795, generated: 10517, depth: 31 },
  ];
  itPinsCounts(cases);

  it("raft.tla's history variables add nothing while logs stay empty, and more once they do not", () => {
    const without = check(buildRaftModel({ servers: 2, maxTerm: 2, maxLogLength: 1, maxMessages: 2, fingerprintGhost: false }), { progress: false });
    const withHistory = check(buildRaftModel({ servers: 2, maxTerm: 2, maxLogLength: 1, maxMessages: 2, fingerprintGhost: false, history: true }), { progress: false });
    expect(withHistory.distinctStates).toBeGreaterThan(without.distinctStates);
    expect(withHistory.maxDepth).toBe(without.maxDepth);
  });
});

describe('presets', () => {
  it('ci comes first, and every preset builds a model', () => {
    expect(raftPresets[0]!.name).toBe('ci');
    for (const preset of raftPresets) expect(() => raftOptions(preset.bounds, undefined)).not.toThrow();
  });

  it('the scenario starts are reachable from Init and lie within their presets', () => {
    for (const [name, preset] of [['figure8', 'figure8'], ['deposedLeader', 'deposed-leader']] as const) {
      const bounds = raftPresets.find((p) => p.name === preset)!.bounds;
      const options = raftOptions(bounds, undefined);
      const start = scenarioStart(name, options);
      expect(buildRaftModel(bounds).withinBoundary(start)).toBe(true);
    }
    const figure8 = scenarioStart('figure8', raftOptions({ servers: 3 }, undefined));
    expect(figure8.nodes.map((n) => [n.state, n.currentTerm, n.log.map((e) => e.term)])).toEqual([
      ['Follower', 3, [2]],
      ['Follower', 3, []],
      ['Follower', 3, [3]],
    ]);
  });
});

describe("Ovidiu Marcu's fork of raft.tla (preset tlc-fork, the TLC count the issue quotes)", () => {
  it('keepDelivered: a delivered message stays with count 0, and is never added again', () => {
    const sent = withMessage(request(0, 1), [], true);
    expect(withMessage(request(0, 1), sent, true)).toBe(sent);
    const delivered = withoutMessage(request(0, 1), sent, true);
    expect(delivered).toEqual([{ message: request(0, 1), count: 0 }]);
    expect(withMessage(request(0, 1), delivered, true)).toBe(delivered);
    expect(withoutMessage(request(0, 1), delivered, true)).toEqual(delivered);
  });

  it('the fork bounds are all off by default, so every other preset is raft.tla', () => {
    const options = raftOptions({}, undefined);
    expect([options.keepDelivered, options.selfVote, options.timeoutBelowMaxTerm, options.maxClientRequests, options.maxBecomeLeader, options.monotonicIndexes]).toEqual([
      false,
      true,
      false,
      0,
      0,
      false,
    ]);
  });

  // The whole of tlc-fork (6.4 million states) is measured in README.md; these
  // are the same semantics with fewer terms' worth of work.
  const cases: PinnedCount[] = [
    // Elections only: no entry fits in a log.
    { bounds: { ...raftOptionsOf('tlc-fork'), maxLogLength: 0 }, distinct: 5667, generated: 45150, depth: 30 },
    // At most ten messages ever sent (delivered ones stay in the domain, so maxMessages counts them).
    { bounds: { ...raftOptionsOf('tlc-fork'), maxMessages: 10 }, distinct: 18857, generated: 134331, depth: 24 },
  ];
  itPinsCounts(cases);

  it('without self-votes a candidate needs both others, and still a leader is elected and an entry committed', () => {
    const report = check(buildRaftModel({ ...raftOptionsOf('tlc-fork'), maxMessages: 10 }), { progress: false });
    const reached = new Map(report.sometimes.map((s) => [s.property, s.reached]));
    expect(reached.get('LeaderElected')).toBe(true);
    expect(reached.get('EntryCommitted')).toBe(true);
    // With only two servers no candidate can reach a quorum without voting for itself.
    const two = check(buildRaftModel({ ...raftOptionsOf('tlc-fork'), servers: 2 }), { progress: false });
    expect(new Map(two.sometimes.map((s) => [s.property, s.reached])).get('LeaderElected')).toBe(false);
  });
});

describe('the correct protocol under crashes', () => {
  // check:all runs only `ci` (drops, no restarts) for Raft, so Restart is checked
  // here: currentTerm, votedFor and log survive, everything else is lost.
  it('restarts preset: exhaustive, no violation, a leader elected and an entry committed', { timeout: 120_000 }, () => {
    const report = check(buildRaftModel(raftPresets.find((p) => p.name === 'restarts')!.bounds), { progress: false });
    expect(report.complete).toBe(true);
    expect(report.violations).toEqual([]);
    expect(report.distinctStates).toBe(345_822);
    const reached = new Map(report.sometimes.map((s) => [s.property, s.reached]));
    expect(reached.get('LeaderElected')).toBe(true);
    expect(reached.get('EntryCommitted')).toBe(true);
  });
});
