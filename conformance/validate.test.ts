// The validator judged on traces whose verdict we know: every trace the spec
// generates is accepted (also with steps the recorder could not see removed),
// and traces that break the protocol are rejected at the step that breaks it.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { zabAdapter } from './adapters/zab.ts';
import { generateCoverage, randomWalks } from './generate.ts';
import { ACTION_TAKEN, parseTrace, type NodeProjection, type Trace } from './trace.ts';
import { BACKTRACK_STEPS_MAX, validateTrace } from './validate.ts';

const coverage = generateCoverage(zabAdapter, 'ci', { statesMax: 20_000 });

/** The trace without state `index` (a step the recorder did not see), renumbered, as an impl recording. */
function withoutStep(trace: Trace, index: number): Trace {
  const states = trace.states.filter((_, i) => i !== index).map((s, i) => ({ ...s, '#meta': { index: i } }));
  return { ...trace, '#meta': { ...trace['#meta'], source: 'impl' }, states };
}

/** The trace with node `node`'s projection at state `index` changed. */
function withNode(trace: Trace, index: number, node: number, change: Partial<NodeProjection>): Trace {
  const copy = structuredClone(trace) as Trace;
  const nodes = copy.states[index]!.nodes as NodeProjection[];
  nodes[node] = { ...nodes[node]!, ...change } as NodeProjection;
  return copy;
}

function scenario(mutant: string): Trace {
  const parsed = parseTrace(readFileSync(new URL(`./scenarios/zab/${mutant}.json`, import.meta.url), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.trace;
}

describe('traces the spec generates are accepted', () => {
  it(`every coverage trace of the ci preset (${coverage.traces.length} traces) validates with no hidden step`, () => {
    expect(coverage.traces.length).toBeGreaterThanOrEqual(3);
    for (const trace of coverage.traces) {
      const verdict = validateTrace(zabAdapter, trace);
      expect(verdict, trace['#meta'].description).toMatchObject({ verdict: 'accepted', steps: trace.states.length - 1, hiddenSteps: 0 });
    }
  });

  it('twenty seeded random walks of up to 40 actions at ci validate', () => {
    const seed = 20261122;
    for (const trace of randomWalks(zabAdapter, 'ci', { walks: 20, seed, depthMax: 40 })) {
      expect(validateTrace(zabAdapter, trace).verdict, `seed ${trace['#meta'].seed}`).toBe('accepted');
    }
  });

  it('a walk of 3,500 steps validates (the search keeps its own stack: recursion overflowed Node\'s at about 2,500)', () => {
    const seed = 11;
    const bounds = { servers: 3, observers: 0, maxEpoch: 2, maxTransactions: 800, maxTimeouts: 0, maxCrashes: 0, maxPartitions: 0 };
    const [walk] = randomWalks(zabAdapter, 'ci', { walks: 1, seed, depthMax: 20_000, bounds });
    expect(walk!.states.length).toBeGreaterThan(3_500);
    expect(validateTrace(zabAdapter, walk!), `seed ${seed}`).toMatchObject({ verdict: 'accepted', steps: walk!.states.length - 1, hiddenSteps: 0 });
  });

  it('a recording that missed a disk sync, or a message delivery, still validates: the validator supplies the hidden step', () => {
    const withLabel = (prefix: string) => {
      for (const trace of coverage.traces) {
        const index = trace.states.findIndex((s) => s['mbt::actionTaken'].startsWith(prefix));
        if (index > 0) return { trace, index };
      }
      throw new Error(`no coverage trace takes ${prefix}`);
    };
    for (const prefix of ['DiskSync', 'FollowerProcessLEADERINFO']) {
      const { trace, index } = withLabel(prefix);
      const verdict = validateTrace(zabAdapter, withoutStep(trace, index));
      expect(verdict, prefix).toMatchObject({ verdict: 'accepted', hiddenSteps: 1 });
    }
    // Two consecutive missed steps are supplied too; with no hidden step allowed (K = 0) a gap is rejected where it is.
    const { trace, index } = withLabel('FollowerProcessLEADERINFO');
    const twoMissing = withoutStep(withoutStep(trace, index), index);
    expect(validateTrace(zabAdapter, twoMissing)).toMatchObject({ verdict: 'accepted', hiddenSteps: 2 });
    expect(validateTrace(zabAdapter, withoutStep(trace, index), { hiddenStepsMax: 0 })).toMatchObject({ verdict: 'rejected', step: index });
  });
});

describe('tampered recordings are rejected at the step that breaks the protocol', () => {
  const longest = coverage.traces[0]!;

  it("a server's lastZxid changed at one step is rejected at that step, with the closest spec state printed beside it", () => {
    const index = 5;
    const tampered = withNode(longest, index, 1, { lastZxid: { '#bigint': '9007199254740993' } });
    const verdict = validateTrace(zabAdapter, tampered);
    expect(verdict.verdict).toBe('rejected');
    if (verdict.verdict !== 'rejected') return;
    expect(verdict.step).toBe(index);
    expect(verdict.closest[0]!.differences).toBe(1);
    expect(verdict.report).toContain(`rejected at step ${index}`);
    expect(verdict.report).toMatch(/s1 +lastZxid +\{"#bigint":"9007199254740993"\} +\d+ +<-- differs/);
  });

  it('a leader that shows a commit at the step it proposes, before any follower could log and ack, is rejected at that step', () => {
    // A trace where the leader proposes (LeaderProcessRequest) and later commits by LeaderProcessACK.
    let found: { trace: Trace; proposed: number; committed: number; leader: number } | undefined;
    for (const trace of coverage.traces) {
      const labels = trace.states.map((s) => s['mbt::actionTaken']);
      const proposed = labels.findIndex((l) => l.startsWith('LeaderProcessRequest('));
      if (proposed < 0 || found !== undefined) continue;
      const leader = trace.states[proposed]!.nodes.findIndex((n) => n.state === 'LEADING');
      const committed = trace.states.findIndex((s, i) => i > proposed && s.nodes[leader]!.lastCommittedZxid !== trace.states[proposed]!.nodes[leader]!.lastCommittedZxid);
      if (committed > 0 && labels[committed]!.startsWith('LeaderProcessACK(')) found = { trace, proposed, committed, leader };
    }
    expect(found).toBeDefined();
    const { trace, proposed, committed, leader } = found!;
    // The untampered trace passes; committing early needs PROPOSAL, the follower's DiskSync and its ACK first: more than K = 2 hidden steps.
    expect(validateTrace(zabAdapter, trace).verdict).toBe('accepted');
    const early = withNode(trace, proposed, leader, { lastCommittedZxid: trace.states[committed]!.nodes[leader]!.lastCommittedZxid! });
    expect(validateTrace(zabAdapter, early)).toMatchObject({ verdict: 'rejected', step: proposed });
  });

  it('a trace whose initial state no spec initial state explains is rejected at step 0', () => {
    const verdict = validateTrace(zabAdapter, withNode(longest, 0, 0, { currentEpoch: 1 }));
    expect(verdict).toMatchObject({ verdict: 'rejected', step: 0 });
  });

  it('a dead end is rejected quickly, with the step named: the search goes back at most B recorded steps from the furthest it reached', () => {
    // A long run of the disk as the server runs it (partialSync: fsyncs of a prefix), in which many steps are ACK
    // deliveries that change nothing visible: each matches several spec actions, so there are many ways of
    // matching the steps before a dead end, and without B the search tries them all.
    const seed = 11;
    const bounds = { servers: 3, observers: 0, maxEpoch: 2, maxTransactions: 150, maxTimeouts: 0, maxCrashes: 0, maxPartitions: 0, partialSync: true };
    const [walk] = randomWalks(zabAdapter, 'ci', { walks: 1, seed, depthMax: 20_000, bounds });
    const accepted = validateTrace(zabAdapter, walk!, { hiddenStepsMax: 0 });
    expect(accepted, `seed ${seed}`).toMatchObject({ verdict: 'accepted', steps: walk!.states.length - 1 });
    // A follower's PROPOSAL the recorder lost: its next step shows a log one longer than the spec can make it.
    const removed = walk!.states.findIndex((s, i) => i > walk!.states.length / 2 && s[ACTION_TAKEN].startsWith('FollowerProcessPROPOSAL('));
    const damaged = withoutStep(walk!, removed);
    const verdict = validateTrace(zabAdapter, damaged, { hiddenStepsMax: 0 });
    expect(verdict, `seed ${seed}`).toMatchObject({ verdict: 'rejected', step: removed, action: damaged.states[removed]![ACTION_TAKEN] });
    if (verdict.verdict !== 'rejected' || accepted.verdict !== 'accepted') return;
    expect(verdict.report).toContain(`rejected at step ${removed} (`);
    expect(verdict.report).toContain(`the ${BACKTRACK_STEPS_MAX} recorded steps before it`);
    // Little more work than accepting the whole recording took.
    expect(verdict.successors).toBeLessThan(accepted.successors + 10_000);
    // Without the bound, the same dead end runs out a budget ten times that without a verdict (the old behaviour).
    const unbounded = validateTrace(zabAdapter, damaged, { hiddenStepsMax: 0, backtrackStepsMax: Number.POSITIVE_INFINITY, successorsMax: accepted.successors + 100_000 });
    expect(unbounded.verdict).toBe('undecided');
  }, 120_000);

  it('a search that runs out of its budget says undecided, not rejected', () => {
    const verdict = validateTrace(zabAdapter, withNode(longest, 5, 1, { currentEpoch: 7 }), { successorsMax: 50 });
    expect(verdict.verdict).toBe('undecided');
  });

  it('a projection with a field the schema does not know is invalid, not rejected', () => {
    const verdict = validateTrace(zabAdapter, withNode(longest, 2, 0, { vote: 3 }));
    expect(verdict.verdict).toBe('invalid');
  });
});

describe('the known-bug scenarios are rejected by the correct spec where the bug shows, and accepted by their own mutant', () => {
  it.each([
    // The follower acks NEWLEADER with the DIFF proposal only in memory: correct ZAB logs it first.
    ['ZOOKEEPER-3911', 8, 'FollowerProcessNEWLEADER(s1, s0) [NEWLEADER]'],
    ['ZOOKEEPER-4646', 8, 'FollowerProcessNEWLEADER(s1, s0) [NEWLEADER]'],
    // currentEpoch reaches the follower's disk before its synchronised proposals do.
    ['ZOOKEEPER-4643', 8, 'FollowerProcessNEWLEADER(s2, s0) [NEWLEADER]'],
    // The leader, told T1 instead of T2, synchronises by DIFF where TRUNC was due.
    ['ZOOKEEPER-2845', 4, 'LeaderProcessACKEPOCH(s1, s0) [ACKEPOCH]'],
    // UPTODATE finds a COMMIT for a proposal the learner never received.
    ['zab-paper-newleader-gap', 17, 'FollowerProcessUPTODATE(s0, s1) [UPTODATE]'],
  ])('%s: rejected at step %i, %s', (mutant, step, action) => {
    const trace = scenario(mutant);
    expect(trace['#meta'].mutant).toBe(mutant);
    expect(validateTrace(zabAdapter, trace)).toMatchObject({ verdict: 'rejected', step, action });
    expect(validateTrace(zabAdapter, trace, { mutant }).verdict).toBe('accepted');
  });
});
