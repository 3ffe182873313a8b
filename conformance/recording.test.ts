// The other direction: impl/quorum/peer's simulation records its own runs
// (replay/simulation-recorder.ts as its witness) and validate.ts accepts a recording only if
// every recorded step is a legal spec/zab step. Seeded runs with crashes,
// restarts and broken connections validate; a run of a core built with
// ZOOKEEPER-3911 or -4646 is rejected at the NEWLEADER the bug changes.
// Every failure names its seed; replay one with
//   npm run conformance -- record --seed N --count 1 --eras 3 --steps 250 --out DIR

import { describe, expect, it } from 'vitest';
import type { PeerBug } from '../impl/quorum/peer/types.ts';
import { explainRejection, recordSimulation, validateRecording } from './replay/record.ts';
import { ACTION_TAKEN, type Trace } from './trace.ts';
import type { Verdict } from './validate.ts';

function record(seed: number, options: { eras: number; stepsPerEra: number; bug?: PeerBug }) {
  return recordSimulation({ seed, eras: options.eras, stepsPerEra: options.stepsPerEra, ...(options.bug !== undefined ? { bugs: new Set([options.bug]) } : {}) });
}

const describeVerdict = (seed: number, v: Verdict) => `seed ${seed}: ${v.verdict === 'rejected' ? v.report : JSON.stringify(v)}`;

describe('recordings of the seeded simulation validate against spec/zab', () => {
  const seeds = Array.from({ length: 30 }, (_, i) => i + 1);
  const runs = seeds.map((seed) => ({ seed, ...record(seed, { eras: 3, stepsPerEra: 250 }) }));

  it('30 seeds (3 eras of 250 steps, an observer on even seeds): every recorded step is one spec step (K = 0), but for the documented difference', () => {
    let accepted = 0;
    let crashes = 0;
    let steps = 0;
    for (const run of runs) {
      expect(run.violations, `seed ${run.seed}`).toEqual([]);
      expect(run.trace['#meta'].source).toBe('impl');
      crashes += run.crashes;
      steps += run.trace.states.length - 1;
      const verdict = validateRecording(run.trace, 0);
      if (verdict.verdict === 'accepted') {
        expect(verdict.hiddenSteps).toBe(0);
        accepted++;
      } else {
        expect(explainRejection(run.trace, verdict), describeVerdict(run.seed, verdict)).toBe('discovery-leader-keeps-running');
      }
    }
    // 29 of 30 accepted when written (seed 23 meets discovery-leader-keeps-running), over 22,620 recorded steps.
    expect(accepted).toBeGreaterThanOrEqual(27);
    expect(steps).toBeGreaterThan(15_000);
    expect(crashes).toBeGreaterThan(20);
  });

  it('steps the recorder does not show are searched for: with DiskSync steps left out (never two in a row), K = 1 supplies each one', () => {
    const { trace } = record(3, { eras: 1, stepsPerEra: 150 });
    let previousRemoved = false;
    const kept = trace.states.filter((s, i) => {
      const remove = i > 0 && !previousRemoved && s[ACTION_TAKEN].startsWith('DiskSync(');
      previousRemoved = remove;
      return !remove;
    });
    const states = kept.map((s, index) => ({ ...s, '#meta': { index } }));
    const removed = trace.states.length - states.length;
    expect(removed).toBeGreaterThan(5);
    const partial: Trace = { ...trace, states };
    expect(validateRecording(partial, 0).verdict).toBe('rejected');
    const verdict = validateRecording(partial, 1);
    expect(verdict.verdict, describeVerdict(3, verdict)).toBe('accepted');
    // Each gap is filled by one hidden step, or by none when the next recorded step explains the missing
    // write by itself (25 removed, 18 supplied when written).
    if (verdict.verdict === 'accepted') {
      expect(verdict.hiddenSteps).toBeGreaterThan(removed / 2);
      expect(verdict.hiddenSteps).toBeLessThanOrEqual(removed);
    }
  });
});

describe('recordings of a core built with a known bug are rejected where the bug acts', () => {
  // ZOOKEEPER-3911 acks NEWLEADER with the synced proposals in memory only and logs them at UPTODATE: the
  // recording leaves the spec at that NEWLEADER, or at the UPTODATE when the NEWLEADER looked the same
  // (nothing synced after the DIFF). ZOOKEEPER-4646 acks NEWLEADER before their fsync.
  it.each([
    ['ZOOKEEPER-3911', /^Follower(ProcessNEWLEADER\(s\d, s\d\) \[NEWLEADER\]|ProcessUPTODATE\(s\d, s\d\) \[UPTODATE\])$/],
    ['ZOOKEEPER-4646', /^FollowerProcessNEWLEADER\(s\d, s\d\) \[NEWLEADER\]$/],
  ] as const)('%s: seeds 1..6 each rejected', (bug, where) => {
    for (let seed = 1; seed <= 6; seed++) {
      const { trace } = record(seed, { eras: 3, stepsPerEra: 200, bug });
      const verdict = validateRecording(trace, 0);
      expect(verdict.verdict, `seed ${seed}`).toBe('rejected');
      if (verdict.verdict === 'rejected') expect(verdict.action, `seed ${seed}`).toMatch(where);
    }
  });
});
