// The command line's liveness and deadlock reports, against the test-only
// toy-election spec (liveness-toys.ts): the lasso printed and written with
// its cycle marked, the verdicts in the JSON summary, exit code 1 on a
// liveness violation or a deadlock, --deadlock false, and the deadlock check
// of the parallel search's workers.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastJson, runCliAsync } from './cli-testing.ts';
import { toyElectionSpec } from './liveness-toys.ts';

const run = (...argv: string[]) => runCliAsync([toyElectionSpec], new URL('./liveness-toys.ts', import.meta.url).href, argv);


describe('npm run check -- <spec> with liveness', () => {
  it('exits 1 on a liveness violation, prints the lasso with its cycle marked, and writes it as a trace', async () => {
    const traces = mkdtempSync(join(tmpdir(), 'cli-liveness-'));
    const traceOut = join(traces, 'lasso.json');
    const r = await run('toy-election', '--json', '--trace-out', traceOut);
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIOLATION of EventuallyLeader by a lasso: 0 steps, then a cycle of 3: a leader is elected');
    expect(r.out).toContain('  -- the cycle starts at state 0:');
    expect(r.out).toContain('  -- back to state 0: the cycle repeats forever');
    expect(lastJson(r)).toMatchObject({
      violations: [{ property: 'EventuallyLeader', depth: 3, cycleStart: 0, traceFile: traceOut }],
      liveness: [{ property: 'EventuallyLeader', kind: 'eventually', verdict: 'violated' }],
    });
    const file = JSON.parse(readFileSync(traceOut, 'utf8')) as { trace: { cycleStart: number; steps: { action: string }[] } };
    expect(file.trace.cycleStart).toBe(0);
    expect(file.trace.steps.map((s) => s.action)).toEqual(['Timeout', 'Timeout', 'Timeout']);
  });

  it('exits 0 when the property holds under the fairness the bounds assume', async () => {
    const r = await run('toy-election', '--fair', 'true', '--json');
    expect(r.code).toBe(0);
    expect(r.out).toContain('  eventually EventuallyLeader: holds (3 states searched for a fair cycle)');
    expect(lastJson(r)).toMatchObject({ violations: [], liveness: [{ verdict: 'holds' }] });
  });

  it('reports a deadlock by default, and not with --deadlock false', async () => {
    const r = await run('toy-election', '--fair', 'true', '--mutant', 'stuck', '--json');
    expect(r.code).toBe(1);
    expect(lastJson(r)).toMatchObject({ violations: [{ property: 'Deadlock', depth: 1 }], liveness: [{ verdict: 'not checked' }] });
    const off = await run('toy-election', '--fair', 'true', '--mutant', 'stuck', '--deadlock', 'false', '--json');
    expect(off.code).toBe(0);
    // The leader's state has no successor, so the behaviour stutters there, where the property holds.
    expect(lastJson(off)).toMatchObject({ violations: [], liveness: [{ verdict: 'holds' }] });
    expect((await run('toy-election', '--deadlock', 'maybe')).code).toBe(2);
  });

  it('finds the deadlock on worker threads too, and says liveness is not checked there', async () => {
    const r = await run('toy-election', '--mutant', 'stuck', '--workers', '2', '--json');
    expect(r.code).toBe(1);
    expect(lastJson(r)).toMatchObject({ violations: [{ property: 'Deadlock', depth: 1 }], liveness: [{ verdict: 'not checked' }] });
  });
});
