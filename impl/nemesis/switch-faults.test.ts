// The nemesis's fault-switch faults (schedule.ts's `switch` set: fsync slow
// and failing, the wall clock stepped forward and back, crashes at points of
// the persistence order): their place in a schedule, their report as not
// applicable to Apache ZooKeeper (no switch there) with the same schedule, and
// a short run of only these against our 3-member ensemble, which must keep
// every acknowledged write with no anomaly in the history, and whose members'
// exits must all be the faults' own (a SIGKILL at a crash point, exit 1 after
// a failed fsync). ZKSPEC_SEED replays a run.

import { afterEach, describe, expect, it } from 'vitest';
import { testsRunAgainst, type Ensemble } from '../ensemble/cluster.ts';
import { describeResult, jepsenSchedule, removeRunDirectory, reproduceCommand, runJepsen, type JepsenOptions } from './jepsen-run.ts';
import { parseJepsenArgs } from './main.ts';
import { Nemesis } from './nemesis.ts';
import { faultLabel, faultVariants, makeSchedule, needsFaultSwitch } from './schedule.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

const seed = process.env['ZKSPEC_SEED'] !== undefined ? Number(process.env['ZKSPEC_SEED']) : 0x5e1f;
const seeds = Array.from({ length: 100 }, (_, i) => (i * 0x9e3779b1) >>> 0);

describe('switch faults in a schedule', () => {
  it('has every switch variant once first, alone or with the standard ones, and leaves the standard set as it was', () => {
    const switchLabels = faultVariants(3, 'switch').map(faultLabel).sort();
    expect(switchLabels).toEqual(['clock back', 'clock forward', 'crash at accepted-epoch-written', 'crash at current-epoch-written', 'crash at log-synced', 'crash at log-written', 'fsync fail', 'fsync slow']);
    const allLabels = faultVariants(3, 'all').map(faultLabel).sort();
    for (const s of seeds) {
      expect(makeSchedule({ seed: s, seconds: 40, faults: 8, members: 3, syncLimitMs: 1000, faultSet: 'switch' }).faults.map((f) => faultLabel(f.fault)).sort(), `seed ${s}`).toEqual(switchLabels);
      expect(makeSchedule({ seed: s, seconds: 90, faults: allLabels.length, members: 3, syncLimitMs: 1000, faultSet: 'all' }).faults.map((f) => faultLabel(f.fault)).sort(), `seed ${s}`).toEqual(allLabels);
      // A seed of the standard set replays the schedule it gave before the switch faults existed.
      const standard = { seed: s, seconds: 60, faults: 20, members: 3, syncLimitMs: 1000 };
      expect(makeSchedule({ ...standard, faultSet: 'standard' })).toEqual({ ...makeSchedule(standard), options: { ...standard, faultSet: 'standard' } });
      expect(makeSchedule(standard).faults.some((f) => needsFaultSwitch(f.fault))).toBe(false);
    }
  });

  it('is chosen with --fault-set, standard by default', () => {
    expect(parseJepsenArgs(['--servers', 'ours', '--seed', '3', '--fault-set', 'switch'], () => 1)).toMatchObject({ servers: 'ours', seed: 3, faultSet: 'switch' });
    expect(parseJepsenArgs(['--servers', 'ours', '--seed', '3'], () => 1)).not.toHaveProperty('faultSet');
    expect(parseJepsenArgs(['--servers', 'ours', '--fault-set', 'fsync'], () => 1)).toMatch(/--fault-set must be one of standard, switch, disk, all, not fsync\nusage:/);
    expect(reproduceCommand({ servers: 'zookeeper', seconds: 10, faults: 8, seed: 3, members: 3, faultSet: 'all' })).toBe('npm run jepsen -- --servers zookeeper --seconds 10 --faults 8 --seed 3 --members 3 --fault-set all');
  });

  it('against Apache ZooKeeper: the same schedule, each switch fault reported as not applicable, none injected', async () => {
    const options = { seconds: 1, faults: 8, seed, members: 3 as const, faultSet: 'switch' as const };
    expect(jepsenSchedule({ ...options })).toEqual(jepsenSchedule({ ...options }));
    // The nemesis reaches no member for a fault it cannot make: an ensemble with no fault switches is enough here
    // (its members all running, for the nemesis's look for members that exited on their own before each fault).
    const zookeeper = { options: { kind: 'zookeeper', size: 3 }, ids: [1, 2, 3], isRunning: () => true } as unknown as Ensemble;
    const nemesis = new Nemesis(zookeeper, seed);
    await nemesis.run(jepsenSchedule(options));
    expect(nemesis.injected).toEqual({});
    expect(Object.keys(nemesis.notApplicable).sort()).toEqual(faultVariants(3, 'switch').map(faultLabel).sort());
    expect(nemesis.log.filter((line) => line.includes('not applicable to Apache ZooKeeper (no fault switch)'))).toHaveLength(8);
  });
});

describe.runIf(testsRunAgainst('ours'))('a short run of switch faults against a three-member ensemble of ours', () => {
  it('injects them, reaches crash points, and keeps every acknowledged write with no anomaly and no exit but the faults\' own', async () => {
    const options: JepsenOptions = { servers: 'ours', seconds: 10, faults: 8, seed, members: 3, faultSet: 'switch' };
    const lines: string[] = [];
    const result = await runJepsen({ ...options, log: (line) => lines.push(line), onStarted: (stop) => stops.push(stop) });
    const context = `[seed ${seed}: ${reproduceCommand(options)}]\n${lines.join('\n')}\n${describeResult(options, result).join('\n')}`;
    expect(result.anomalies, context).toEqual([]);
    expect(result.verdict, context).toBe('valid');
    expect(result.lostAcknowledgedWrites, context).toBe(0);
    // Every exit was a fault's own: a SIGKILL at a crash point, or exit 1 after a failed fsync.
    expect(result.unexpectedExits, context).toEqual([]);
    expect(result.liveness, context).toEqual([]);
    // On a loaded machine a member restarted by one fault may still be loading (seconds) when the next one is due:
    // that fault is skipped and logged, not silently lost.
    const injected = Object.values(result.faults).reduce((sum, n) => sum + n, 0);
    expect(injected + result.faultsSkipped, context).toBe(8);
    expect(injected, context).toBeGreaterThanOrEqual(5);
    expect(result.crashPoints.reached, context).toBeGreaterThanOrEqual(1);
    expect(result.operations.ok, context).toBeGreaterThan(200);
    removeRunDirectory(result);
  }, 120_000);
});
