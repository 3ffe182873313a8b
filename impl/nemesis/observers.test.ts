// A short jepsen run against three voters and one observer of ours
// (`npm run jepsen -- --observers 1`): the workload's clients write and read
// through the observer, the nemesis's faults hit it too (kill or pause aimed
// at a non-leader, isolation, one-way cuts), the final reads include it, and
// the report counts all of that; nothing acknowledged may be lost. Seed 12
// sends a fault to the observer: its first fault is a one-way cut, whose
// member is the nemesis's first draw among the four members, all healthy
// then, and that draw is member 4 (its schedule then pauses and kills a
// non-leader and bridges). ZKSPEC_SEED replays a run. 41-71 s at
// load 23-35 on 2 cores, about 14 s of CPU.

import { afterEach, describe, expect, it } from 'vitest';
import { testsRunAgainst } from '../ensemble/cluster.ts';
import { clientSpread, describeResult, removeRunDirectory, reproduceCommand, runJepsen, type JepsenOptions } from './jepsen-run.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  // Resumes every paused member and SIGKILLs every member by PID, whatever became of the run.
  for (const stop of stops.splice(0)) await stop();
});

const seed = process.env['ZKSPEC_SEED'] !== undefined ? Number(process.env['ZKSPEC_SEED']) : 12;

describe('the order clients are spread over voters and observers', () => {
  it('puts each observer right after a voter, then the other voters', () => {
    expect(clientSpread(3, 1)).toEqual([1, 4, 2, 3]);
    expect(clientSpread(5, 2)).toEqual([1, 6, 2, 7, 3, 4, 5]);
    expect(clientSpread(3, 0)).toEqual([1, 2, 3]);
  });
});

describe.runIf(testsRunAgainst('ours'))('a short jepsen run against three voters and an observer of ours', () => {
  it('sends clients and faults to the observer, reads it back at the end, and loses no acknowledged write', async () => {
    const options: JepsenOptions = { servers: 'ours', seconds: 6, faults: 4, seed, members: 3, observers: 1 };
    const lines: string[] = [];
    const result = await runJepsen({ ...options, log: (line) => lines.push(line), onStarted: (stop) => stops.push(stop) });
    const report = describeResult(options, result);
    const context = `[seed ${seed}: ${reproduceCommand(options)}]\n${lines.join('\n')}\n${report.join('\n')}`;
    expect(result.verdict, context).toBe('valid');
    expect(result.lostAcknowledgedWrites, context).toBe(0);
    expect(result.liveness, context).toEqual([]);
    expect(result.membersChecked, context).toEqual([1, 2, 3, 4]);
    expect(result.observers?.ids, context).toEqual([4]);
    expect(result.observers!.acknowledgedWrites, context).toBeGreaterThan(0);
    expect(result.observers!.reads, context).toBeGreaterThan(0);
    expect(Object.values(result.observers!.faults).reduce((s, n) => s + n, 0), context).toBeGreaterThan(0);
    expect(report.join('\n'), context).toMatch(/^observers 4: [1-9]\d* faults hit them/m);
    removeRunDirectory(result);
  }, 90_000);
});
