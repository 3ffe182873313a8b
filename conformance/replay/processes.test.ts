// The process-level replay (issue #7): spec/zab traces replayed against real
// ensemble members (impl/main.ts in test-control mode) over loopback TCP with
// real data directories. The fixed build follows every known-bug scenario as
// the correct protocol does; a build with a bug (ZKSPEC_TEST_BUGS) leaves the
// scenario at the step the bug lives in, with both projections and the
// command that reproduces it; seeded random walks of the oracle-election CI
// presets replay to their end. Walk seeds are in every failure message (the
// reproduce line). Each replay starts and SIGKILLs its own processes.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { liveMemberPids } from '../../impl/ensemble/control/controlled-ensemble.ts';
import type { PeerBug } from '../../impl/quorum/peer/types.ts';
import { parseTrace, type NodeProjection, type Trace } from '../trace.ts';
import { historyDifference, replayTraceInProcesses, type ProcessReplayVerdict } from './process-replay.ts';
import { valueOfTxnBytes, valueTxnBytes } from './process-world.ts';
import { PROCESS_PRESETS, processSuiteTraces } from './processes.ts';
import { scenarioFile } from './suite.ts';

function scenario(mutant: string): Trace {
  const parsed = parseTrace(readFileSync(scenarioFile(mutant), 'utf8'));
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.trace;
}

const bugs = (bug: PeerBug) => new Set<PeerBug>([bug]);

function describeVerdict(v: ProcessReplayVerdict): string {
  return v.verdict === 'conforms' ? 'conforms' : v.verdict === 'invalid' ? `invalid at step ${v.step}: ${v.error}` : v.report;
}

/** The fields that differ between the two projections of a divergence, as "s1.loggedZxid". */
function differingFields(v: ProcessReplayVerdict): string[] {
  if (v.verdict === 'conforms' || v.verdict === 'invalid') return [];
  const out: string[] = [];
  v.spec.forEach((node: NodeProjection, n) => {
    for (const field of Object.keys(node)) if (JSON.stringify(node[field]) !== JSON.stringify(v.impl[n]?.[field])) out.push(`s${n}.${field}`);
  });
  return out;
}

describe('a spec value travels as a createSession txn', () => {
  it('value 7 at zxid 0x100000002 decodes back to 7; other txns are -1', () => {
    expect(valueOfTxnBytes(valueTxnBytes(0x1_0000_0002n, 7))).toBe(7);
    expect(valueOfTxnBytes(valueTxnBytes(0x1_0000_0002n, 0))).toBe(0);
    expect(valueOfTxnBytes(new Uint8Array([1, 2, 3]))).toBe(-1);
    expect(() => valueTxnBytes(1n, 2_000_000)).toThrow(/does not fit/);
  });
});

describe('what the process replay does not take', () => {
  it('a trace with Fast Leader Election steps (ci-fle) is invalid here, before any process starts', async () => {
    const [trace] = processSuiteTraces({ scenarios: false, presets: ['ci-fle'], count: 1, seed: 1, depthMax: 10, bugs: new Set() });
    const v = await replayTraceInProcesses(trace!.trace);
    expect(v).toMatchObject({ verdict: 'invalid', error: expect.stringMatching(/Fast Leader Election is not replayed at process level/) });
    expect(v.elapsedMs).toBeLessThan(1000);
  });
});

describe("a member's log is compared with the spec's by value", () => {
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64');
  const zxid = (counter: number) => ({ epoch: 1, counter }) as never;
  const node = { history: [{ zxid: zxid(1), value: 1 }, { zxid: zxid(2), value: 2 }], lastCommitted: 1 } as never;

  it('the same txns, the same delivered prefix: no difference', () => {
    const extra = { history: [['4294967297', b64(valueTxnBytes(4294967297n, 1))], ['4294967298', b64(valueTxnBytes(4294967298n, 2))]] as const, committed: 1 };
    expect(historyDifference(extra, node)).toBeUndefined();
  });

  it('another value at the same zxid, or more delivered, is a difference naming both logs', () => {
    const other = { history: [['4294967297', b64(valueTxnBytes(4294967297n, 1))], ['4294967298', b64(valueTxnBytes(4294967298n, 3))]] as const, committed: 1 };
    expect(historyDifference(other, node)).toBe('log: impl [4294967297=1 4294967298=3], spec [4294967297=1 4294967298=2]; delivered: impl [4294967297=1], spec [4294967297=1]');
    const ahead = { history: [['4294967297', b64(valueTxnBytes(4294967297n, 1))], ['4294967298', b64(valueTxnBytes(4294967298n, 2))]] as const, committed: 2 };
    expect(historyDifference(ahead, node)).toMatch(/delivered: impl \[4294967297=1 4294967298=2\], spec \[4294967297=1\]$/);
  });

  it("a snapshot's stand-in (no payload) hides the txns it covers, not those after it", () => {
    const extra = { history: [['4294967297', ''], ['4294967298', b64(valueTxnBytes(4294967298n, 2))]] as const, committed: 1 };
    expect(historyDifference(extra, node)).toBeUndefined();
  });
});

describe('the known-bug scenarios against member processes, judged by the correct spec', () => {
  it.each([
    ['ZOOKEEPER-3911', 9],
    ['ZOOKEEPER-4646', 9],
    ['ZOOKEEPER-4643', 14],
  ])('%s: the fixed members take all %i steps as the correct protocol does', async (mutant, steps) => {
    const v = await replayTraceInProcesses(scenario(mutant), { judge: 'correct-spec' });
    expect(v, describeVerdict(v)).toMatchObject({ verdict: 'conforms', steps, abstracted: {} });
  });

  it('ZOOKEEPER-2845 and the paper gap: the members conform up to where the correct spec leaves the schedule (step 1, step 17)', async () => {
    const v2845 = await replayTraceInProcesses(scenario('ZOOKEEPER-2845'), { judge: 'correct-spec' });
    expect(v2845, describeVerdict(v2845)).toMatchObject({ verdict: 'conforms', steps: 0, scheduleLeftSpecAt: { step: 1, action: 'ElectLeader(s1, {s0, s1})' } });
    const gap = await replayTraceInProcesses(scenario('zab-paper-newleader-gap'), { judge: 'correct-spec' });
    expect(gap, describeVerdict(gap)).toMatchObject({ verdict: 'conforms', steps: 16, scheduleLeftSpecAt: { step: 17 } });
  });

  it('ZOOKEEPER-3911 built in (ZKSPEC_TEST_BUGS): at NEWLEADER (step 8) the follower acks with the DIFF proposal neither in its log nor on disk', async () => {
    const v = await replayTraceInProcesses(scenario('ZOOKEEPER-3911'), { judge: 'correct-spec', bugs: bugs('ZOOKEEPER-3911'), reproduce: 'REPRO', stepTimeoutMs: 1500 });
    expect(v).toMatchObject({ verdict: 'diverging-state', step: 8, action: 'FollowerProcessNEWLEADER(s1, s0) [NEWLEADER]', known: undefined });
    expect(differingFields(v)).toEqual(['s1.lastZxid', 's1.loggedZxid']);
    const report = (v as { report: string }).report;
    expect(report).toContain('s1    lastZxid    4294967297   4294967298   <-- differs');
    expect(report).toContain('reproduce: REPRO');
    // A replay that diverges still SIGKILLs every member it started.
    expect(liveMemberPids()).toEqual([]);
  });

  it('ZOOKEEPER-4646 built in: at NEWLEADER (step 8) the ACK leaves with the proposal still held (loggedZxid behind)', async () => {
    const v = await replayTraceInProcesses(scenario('ZOOKEEPER-4646'), { judge: 'correct-spec', bugs: bugs('ZOOKEEPER-4646'), stepTimeoutMs: 1500 });
    expect(v).toMatchObject({ verdict: 'diverging-state', step: 8, action: 'FollowerProcessNEWLEADER(s1, s0) [NEWLEADER]' });
    expect(differingFields(v)).toEqual(['s1.loggedZxid']);
  });

  it('ZOOKEEPER-4643 built in: the crash point inside NEWLEADER (step 8) would leave currentEpoch 2 on disk before the synced proposal', async () => {
    const v = await replayTraceInProcesses(scenario('ZOOKEEPER-4643'), { judge: 'correct-spec', bugs: bugs('ZOOKEEPER-4643'), stepTimeoutMs: 1500 });
    expect(v).toMatchObject({ verdict: 'diverging-state', step: 8, action: 'FollowerProcessNEWLEADER(s2, s0) [NEWLEADER]' });
    expect((v as { detail: string }).detail).toMatch(/^crash point inside NEWLEADER .*server 2 has currentEpoch 2 on disk .* leaves currentEpoch 1 /);
  });
});

describe('the coverage-directed traces of ci-all-faults and ci-observer (every action kind and branch the BFS reaches)', () => {
  const presets = ['ci-all-faults', 'ci-observer'];
  const traces = processSuiteTraces({ scenarios: false, presets, count: 0, seed: 1, depthMax: 40, coverageStatesMax: 20_000, bugs: new Set(), discoveryTimeout: true });

  it('replay to their end against member processes, a DISCOVERY leader\'s initLimit fired where the spec gives up', async () => {
    expect(traces.length).toBeGreaterThanOrEqual(10);
    const failures: string[] = [];
    for (const t of traces) {
      const v = await replayTraceInProcesses(t.trace, { judge: t.judge, reproduce: t.reproduce, discoveryTimeout: true });
      if (v.verdict !== 'conforms') failures.push(`${t.name}: ${describeVerdict(v)}`);
    }
    expect(failures).toEqual([]);
  }, 200_000);
});

describe('seeded random walks of the oracle-election CI presets', () => {
  const count = 3;
  const seed = 1;
  const traces = processSuiteTraces({ scenarios: false, presets: [...PROCESS_PRESETS], count, seed, depthMax: 40, bugs: new Set(), discoveryTimeout: true });

  it(`${count} walks of each of ${PROCESS_PRESETS.join(', ')} (seeds ${seed}..${seed + count - 1}, depth 40) replay to their end, a DISCOVERY leader's initLimit fired where the spec gives up`, async () => {
    expect(traces).toHaveLength(count * PROCESS_PRESETS.length);
    const failures: string[] = [];
    let steps = 0;
    for (const t of traces) {
      const v = await replayTraceInProcesses(t.trace, { judge: t.judge, reproduce: t.reproduce, discoveryTimeout: true });
      if (v.verdict === 'conforms') steps += v.steps;
      else failures.push(`${t.name}: ${describeVerdict(v)}\nreproduce: ${t.reproduce}`);
    }
    expect(failures).toEqual([]);
    // Each walk runs to depth 40 unless the spec deadlocks first.
    expect(steps).toBeGreaterThan(count * PROCESS_PRESETS.length * 20);
  }, 200_000);
});
