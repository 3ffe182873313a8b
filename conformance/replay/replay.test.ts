// The in-process replay of spec/zab traces against impl/quorum/peer's core:
// the fixed core follows every known-bug scenario the way the correct
// protocol does, a core built with a bug leaves it at the step the bug lives
// in (and follows the bug's own trace exactly), and hundreds of generated
// traces replay with only the documented differences. Walk seeds are in every
// failure message (the reproduce line).

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { step } from '../../impl/quorum/peer/step.ts';
import type { Peer, PeerBug, PeerEvent } from '../../impl/quorum/peer/types.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { randomWalks } from '../generate.ts';
import { ACTION_TAKEN, parseTrace, type NodeProjection, type Trace } from '../trace.ts';
import { replayTrace } from './replay.ts';
import { collectSuite, replaySuite, scenarioFile } from './suite.ts';
import type { ReplayVerdict } from './target.ts';
import { peerCoreTarget, zabTarget } from './zab-target.ts';
import { generateCoverage } from '../generate.ts';

function scenario(mutant: string): Trace {
  const parsed = parseTrace(readFileSync(scenarioFile(mutant), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.trace;
}

const bugs = (bug: PeerBug) => new Set<PeerBug>([bug]);

function describeVerdict(v: ReplayVerdict): string {
  return v.verdict === 'conforms' ? 'conforms' : v.verdict === 'invalid' ? `invalid: ${v.error}` : v.report;
}

/** The fields that differ between the two projections of a divergence, as "s1.loggedZxid". */
function differingFields(v: ReplayVerdict): string[] {
  if (v.verdict === 'conforms' || v.verdict === 'invalid') return [];
  const out: string[] = [];
  v.spec.forEach((node: NodeProjection, n) => {
    for (const field of Object.keys(node)) if (JSON.stringify(node[field]) !== JSON.stringify(v.impl[n]?.[field])) out.push(`s${n}.${field}`);
  });
  return out;
}

describe('the known-bug scenarios, judged by the correct spec on their schedule', () => {
  it.each([
    ['ZOOKEEPER-3911', 9],
    ['ZOOKEEPER-4646', 9],
    ['ZOOKEEPER-4643', 14],
  ])('%s: the fixed core takes all %i steps as the correct protocol does', (mutant, steps) => {
    const v = replayTrace(zabTarget, scenario(mutant), { judge: 'correct-spec' });
    expect(v, describeVerdict(v)).toEqual({ verdict: 'conforms', steps, abstracted: {} });
  });

  it('ZOOKEEPER-2845 and the paper gap: the correct spec leaves their schedule (step 1, step 17); the fixed core conforms up to there', () => {
    expect(replayTrace(zabTarget, scenario('ZOOKEEPER-2845'), { judge: 'correct-spec' })).toMatchObject({ verdict: 'conforms', steps: 0, scheduleLeftSpecAt: { step: 1, action: 'ElectLeader(s1, {s0, s1})' } });
    expect(replayTrace(zabTarget, scenario('zab-paper-newleader-gap'), { judge: 'correct-spec' })).toMatchObject({ verdict: 'conforms', steps: 16, scheduleLeftSpecAt: { step: 17 } });
  });

  it('ZOOKEEPER-3911 built in: at NEWLEADER (step 8) the follower acks with the DIFF proposal neither in its log nor on disk', () => {
    const v = replayTrace(zabTarget, scenario('ZOOKEEPER-3911'), { judge: 'correct-spec', bugs: bugs('ZOOKEEPER-3911'), reproduce: 'REPRO' });
    expect(v).toMatchObject({ verdict: 'diverging-state', step: 8, action: 'FollowerProcessNEWLEADER(s1, s0) [NEWLEADER]', known: undefined });
    expect(differingFields(v)).toEqual(['s1.lastZxid', 's1.loggedZxid']);
    const report = (v as { report: string }).report;
    expect(report).toContain('s1    lastZxid    4294967297   4294967298   <-- differs');
    expect(report).toContain('reproduce: REPRO');
  });

  it('ZOOKEEPER-4646 built in: at NEWLEADER (step 8) the ACK leaves with the proposal still queued (loggedZxid behind)', () => {
    const v = replayTrace(zabTarget, scenario('ZOOKEEPER-4646'), { judge: 'correct-spec', bugs: bugs('ZOOKEEPER-4646') });
    expect(v).toMatchObject({ verdict: 'diverging-state', step: 8, action: 'FollowerProcessNEWLEADER(s1, s0) [NEWLEADER]' });
    expect(differingFields(v)).toEqual(['s1.loggedZxid']);
  });

  it('ZOOKEEPER-4643 built in: the crash point inside NEWLEADER (step 8) would leave currentEpoch 2 on disk before the synced proposal', () => {
    const v = replayTrace(zabTarget, scenario('ZOOKEEPER-4643'), { judge: 'correct-spec', bugs: bugs('ZOOKEEPER-4643') });
    expect(v).toMatchObject({ verdict: 'diverging-state', step: 8, action: 'FollowerProcessNEWLEADER(s2, s0) [NEWLEADER]' });
    expect((v as { detail: string }).detail).toMatch(/^crash point inside NEWLEADER .*server 2 has currentEpoch 2 on disk .* leaves currentEpoch 1 /);
  });
});

describe('the known-bug scenarios as the mutant recorded them', () => {
  it.each([
    ['ZOOKEEPER-3911', 9],
    ['ZOOKEEPER-4646', 9],
    ['ZOOKEEPER-4643', 14],
  ] as const)('%s: the core built with the bug follows the mutant to the violation (%i steps); the fixed core leaves it at step 8', (mutant, steps) => {
    expect(replayTrace(zabTarget, scenario(mutant), { bugs: bugs(mutant) })).toEqual({ verdict: 'conforms', steps, abstracted: {} });
    expect(replayTrace(zabTarget, scenario(mutant))).toMatchObject({ verdict: 'diverging-state', step: 8 });
  });

  it('ZOOKEEPER-2845: the fixed core reports its last logged zxid in ACKEPOCH (step 3), not the last committed one', () => {
    const v = replayTrace(zabTarget, scenario('ZOOKEEPER-2845'));
    expect(v).toMatchObject({ verdict: 'unexpected-action', step: 3, detail: 'channel s0 -> s1: impl [ACKEPOCH(1, 4294967298)], spec [ACKEPOCH(1, 4294967297)]' });
  });

  it('the paper gap: the fixed core forwards the new proposal to a learner still synchronising (step 12)', () => {
    expect(replayTrace(zabTarget, scenario('zab-paper-newleader-gap'))).toMatchObject({ verdict: 'unexpected-action', step: 12 });
  });
});

describe('a learner on another branch: spec/zab and the core both SNAP, as ZooKeeper does (no TRUNC across an epoch boundary)', () => {
  it('zab-paper-newleader-gap coverage: the learner holding an unacked (1,2), the leader (1,1) then (2,1): every trace conforms, one through that SNAP', () => {
    const coverage = generateCoverage(zabAdapter, 'zab-paper-newleader-gap', { statesMax: 20_000 });
    const verdicts = coverage.traces.map((t) => replayTrace(zabTarget, t, { discoveryTimeout: true }));
    expect(verdicts.filter((v) => v.verdict !== 'conforms').map(describeVerdict)).toEqual([]);
    // The case itself: a trace whose learner, on the other branch, is synchronised by SNAP (it was TRUNC + DIFF in the core).
    const snapped = coverage.traces.filter((t) => t.states.some((s) => String(s[ACTION_TAKEN]).startsWith('FollowerProcessSyncMessage(s0, s1) [SNAP]')));
    expect(snapped.length).toBeGreaterThan(0);
  });
});

describe('the projection is read from outside the core', () => {
  it('a core that counts a commit but never delivers it to the data tree diverges at its first commit', () => {
    const forgetful = (peer: Peer, event: PeerEvent) => {
      const t = step(peer, event);
      return { state: t.state, effects: t.effects.filter((e) => e.type !== 'deliver') };
    };
    const walks = randomWalks(zabAdapter, 'ci', { walks: 20, seed: 1, depthMax: 60 });
    const verdicts = walks.map((w) => replayTrace(peerCoreTarget(forgetful), w, { discoveryTimeout: true }));
    const caught = verdicts.filter((v) => v.verdict !== 'conforms');
    expect(caught.length).toBeGreaterThan(0);
    for (const v of caught) {
      expect(v.verdict).toBe('diverging-state');
      expect(differingFields(v).every((f) => f.endsWith('.lastCommittedZxid'))).toBe(true);
    }
  });
});

describe('a trace that does not follow its own spec is invalid, not a verdict on the core', () => {
  it('a projection edited at step 4', () => {
    const trace = structuredClone(scenario('ZOOKEEPER-3911')) as Trace;
    (trace.states[4]!.nodes as NodeProjection[])[1] = { state: 'DOWN' };
    expect(replayTrace(zabTarget, trace, { bugs: bugs('ZOOKEEPER-3911') })).toMatchObject({ verdict: 'invalid', step: 4 });
  });
});

describe('generated traces: coverage and seeded walks of the ci presets', () => {
  const startMs = performance.now();
  const options = { sources: ['coverage', 'walks'] as const, presets: [...zabTarget.presets], count: 100, seed: 1, depthMax: 60, statesMax: 20_000, bugs: new Set<PeerBug>() };
  const traces = collectSuite(zabTarget, { ...options, sources: [...options.sources] });
  const results = replaySuite(zabTarget, traces, options);
  const elapsedMs = performance.now() - startMs;

  it('with the runner expiring a DISCOVERY leader\'s initLimit where spec/zab gives up at once, every one of them replays to its end', () => {
    const through = replaySuite(zabTarget, traces, { ...options, discoveryTimeout: true });
    expect(through.filter((r) => r.verdict.verdict !== 'conforms').map((r) => `${r.name}: ${describeVerdict(r.verdict)}`)).toEqual([]);
    const expiries = through.reduce((n, r) => n + (r.verdict.verdict === 'conforms' ? (r.verdict.abstracted["initLimit of a leader in DISCOVERY expiring at once (the runner ends the run)"] ?? 0) : 0), 0);
    // As many traces needed it as diverge without it (56 when written), some more than once.
    const known = results.filter((r) => r.verdict.verdict !== 'conforms' && r.verdict.verdict !== 'invalid' && r.verdict.known === 'discovery-leader-keeps-running').length;
    expect(expiries).toBeGreaterThanOrEqual(known);
    expect(known).toBeGreaterThan(0);
  });

  it(`${results.length} traces: each conforms or is an instance of a documented difference (${Math.round(elapsedMs)} ms)`, () => {
    expect(results.length).toBeGreaterThan(400);
    const unexplained = results.filter((r) => r.verdict.verdict !== 'conforms' && (r.verdict.verdict === 'invalid' || r.verdict.known === undefined));
    expect(unexplained.map((r) => `${r.name}: ${describeVerdict(r.verdict)}`)).toEqual([]);
    const conforming = results.filter((r) => r.verdict.verdict === 'conforms').length;
    // 365 of 421 when written; the rest are discovery-leader-keeps-running (spec/zab gives up at once, the core waits).
    expect(conforming).toBeGreaterThan(340);
    expect(elapsedMs).toBeLessThan(45_000);
  });

  it('every ci-fle walk conforms with its Fast Leader Election steps abstracted, not replayed', () => {
    const fle = results.filter((r) => r.name.startsWith('walk-ci-fle-'));
    expect(fle).toHaveLength(100);
    for (const r of fle) {
      expect(r.verdict.verdict, r.reproduce).toBe('conforms');
      if (r.verdict.verdict === 'conforms') expect(r.verdict.abstracted['FLEReceiveNotmsg (Fast Leader Election)'], r.reproduce).toBeGreaterThan(0);
    }
  });

  it.each(['ZOOKEEPER-3911', 'ZOOKEEPER-4646'] as const)('a core built with %s leaves some ci walks at a NEWLEADER step', (bug) => {
    const walks = randomWalks(zabAdapter, 'ci', { walks: 40, seed: 1, depthMax: 60 });
    const caught = walks.map((w) => replayTrace(zabTarget, w, { bugs: bugs(bug) })).filter((v) => v.verdict !== 'conforms' && v.verdict !== 'invalid' && v.known === undefined);
    expect(caught.length).toBeGreaterThan(0);
    for (const v of caught) expect(v).toMatchObject({ verdict: 'diverging-state', action: expect.stringMatching(/^FollowerProcessNEWLEADER/) });
  });
});
