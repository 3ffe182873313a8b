// The two large CI presets under the checker, in a file of their own so that
// they run beside model.test.ts: the correct protocol with the oracle
// election under a crash and a partition (ci), with two transactions across
// three epochs and a crash (ci-sync), and with Fast Leader Election (ci-fle). ci-all-faults (about 1.2 million states) is left to check:all. Each must be exhaustive, violate nothing, and reach every
// sometimes it checks; the distinct-state counts are pinned.

import { describe, expect, it } from 'vitest';
import { check, type CheckReport } from '../../model-check/check.ts';
import { zabSpec } from './spec.ts';

function run(preset: string): CheckReport {
  const bounds = zabSpec.presets.find((p) => p.name === preset)!.bounds;
  return check(zabSpec.build(bounds, undefined), { progress: false });
}

const reached = (report: CheckReport) => report.sometimes.filter((s) => s.reached).map((s) => s.property);

describe('the correct protocol at the CI presets', () => {
  it('ci: exhaustive under 1 crash and 1 partition, no violation, and a leader is established, a proposal committed, followers synced by DIFF, TRUNC and SNAP', () => {
    const report = run('ci');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(248_130);
    expect(reached(report)).toEqual(['LeaderEstablished', 'ProposalCommitted', 'SyncByDIFF', 'SyncByDIFFWithProposals', 'SyncByTRUNC', 'SyncBySNAP']);
  }, 180_000);

  it('ci-sync: two transactions, three epochs and a crash, exhaustive: no violation, and DIFF with proposals, TRUNC and SNAP all happen', () => {
    const report = run('ci-sync');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(336_330);
    expect(reached(report)).toEqual(['LeaderEstablished', 'ProposalCommitted', 'SyncByDIFF', 'SyncByDIFFWithProposals', 'SyncByTRUNC', 'SyncBySNAP']);
  }, 180_000);

  it('ci-fle: Fast Leader Election with a lost notification, exhaustive: one leader per epoch, and a leader is established', () => {
    const report = run('ci-fle');
    expect(report.violations).toEqual([]);
    expect(report.complete).toBe(true);
    expect(report.distinctStates).toBe(527_731);
    expect(reached(report)).toEqual(['LeaderEstablished', 'SyncByDIFF']);
  }, 180_000);
});
