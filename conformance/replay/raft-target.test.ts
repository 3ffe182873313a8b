// spec/raft's traces replayed against impl/raft's core in process: the fixed
// core follows the known-bug scenarios as the correct protocol does (until a
// schedule the core's atomic steps cannot take, named), a core built with a
// bug leaves them where the bug lives with a clear verdict, and seeded eager
// walks and coverage traces conform. Walk seeds are in the reproduce lines.

import { describe, expect, it } from 'vitest';
import type { RaftBug } from '../../impl/raft/types.ts';
import { main } from '../cli.ts';
import { eagerWalks } from './raft-eager.ts';
import { raftTarget } from './raft-target.ts';
import { replayTrace } from './replay.ts';
import { readTraceFile, runSuite } from './suite.ts';
import type { ReplayVerdict } from './target.ts';

const scenario = (mutant: string) => readTraceFile(`conformance/scenarios/raft/${mutant}.json`);
const bugs = (bug: RaftBug) => new Set<RaftBug>([bug]);
const text = (v: ReplayVerdict) => (v.verdict === 'conforms' ? JSON.stringify(v) : v.verdict === 'invalid' ? v.error : v.report);

describe('the known-bug scenarios, judged by the correct spec on their schedule', () => {
  it('figure8-commit: the fixed core takes 21 steps as the correct spec, until a candidate that has not voted for itself grants a vote (atomic-step)', () => {
    const v = replayTrace(raftTarget, scenario('figure8-commit'), { judge: 'correct-spec' });
    expect(v, text(v)).toMatchObject({ verdict: 'conforms', steps: 21, scheduleLeftCoreAt: { step: 22 } });
  });

  it('figure8-commit built in: the leader of term 4 commits the term-2 entry when s1 acknowledges it (step 19)', () => {
    const v = replayTrace(raftTarget, scenario('figure8-commit'), { judge: 'correct-spec', bugs: bugs('figure8-commit'), reproduce: 'REPRO' });
    expect(v, text(v)).toMatchObject({ verdict: 'diverging-state', step: 19, action: 'Receive(AppendEntriesResponse s1->s0 term 4 match 1)', known: undefined });
    const report = (v as { report: string }).report;
    expect(report).toMatch(/s0 +commitIndex +1 +0 +<-- differs/);
    expect(report).toContain('reproduce: REPRO');
  });

  it('double-vote built in: s0, leader of term 2, grants s1 a second vote in term 2 (step 11)', () => {
    const v = replayTrace(raftTarget, scenario('double-vote'), { judge: 'correct-spec', bugs: bugs('double-vote') });
    expect(v, text(v)).toMatchObject({ verdict: 'unexpected-action', step: 11 });
    expect((v as { detail: string }).detail).toBe(
      'answer to RequestVoteRequest s1->s0 term 2 lastLog 0@0: core [RequestVoteResponse s0->s1 term 2 granted], spec [RequestVoteResponse s0->s1 term 2 denied]',
    );
  });

  it('the fixed core follows truncate-on-stale-append\'s whole schedule (the core has no such bug)', () => {
    expect(replayTrace(raftTarget, scenario('truncate-on-stale-append'), { judge: 'correct-spec' })).toMatchObject({ verdict: 'conforms', steps: 17 });
  });

  it('a trace from a scripted start with a leader is refused as invalid, not replayed wrongly', () => {
    expect(replayTrace(raftTarget, scenario('stale-read'), { judge: 'correct-spec' })).toMatchObject({ verdict: 'invalid', step: 0 });
  });
});

describe('generated traces', () => {
  it('eager walks and coverage traces of the ci preset conform; skip-log-up-to-date-check is caught by a walk', () => {
    const results = runSuite(raftTarget, { sources: ['coverage', 'walks'], presets: ['ci'], count: 20, seed: 1, depthMax: 60, statesMax: 5_000, bugs: new Set() });
    for (const r of results) expect(r.verdict.verdict, `${r.name}: ${text(r.verdict)}\nreproduce: ${r.reproduce}`).toBe('conforms');
    const replayed = results.reduce((sum, r) => sum + (r.verdict.verdict === 'conforms' ? r.verdict.steps : 0), 0);
    const total = results.reduce((sum, r) => sum + r.steps, 0);
    expect(replayed / total).toBeGreaterThan(0.8);
    const [walk] = eagerWalks('ci', 1, 10, 60);
    const v = replayTrace(raftTarget, walk!, { bugs: bugs('skip-log-up-to-date-check') });
    expect(v, text(v)).toMatchObject({ verdict: 'unexpected-action', step: 44 });
  }, 60_000);

  it('`replay --spec raft --sources scenarios`: exit 0 for the fixed core, 1 with --bugs figure8-commit, 2 for an unknown bug', () => {
    const run = (...args: string[]) => {
      const lines: string[] = [];
      const code = main(['replay', '--spec', 'raft', ...args], { out: (t) => lines.push(t), err: (t) => lines.push(t) });
      return { code, out: lines.join('\n') };
    };
    const fixed = run('--sources', 'scenarios');
    expect(fixed.code, fixed.out).toBe(0);
    expect(fixed.out).toContain('every trace conforms');
    const buggy = run('--sources', 'scenarios', '--bugs', 'figure8-commit');
    expect(buggy.code, buggy.out).toBe(1);
    expect(buggy.out).toContain('reproduce: npm run conformance -- replay --spec raft --trace conformance/scenarios/raft/figure8-commit.json --judge correct-spec --bugs figure8-commit');
    expect(run('--bugs', 'no-such-bug').code).toBe(2);
  }, 30_000);
});
