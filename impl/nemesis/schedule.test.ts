// The fault schedule alone (no processes): the same seed gives the same
// schedule, a short one still has every variant, faults overlap at most two at
// a time and only single-member ones on top, pauses outlast syncLimit, and
// everything is repaired within the window. Also the command line's options.

import { describe, expect, it } from 'vitest';
import { faultLabel, faultVariants, makeSchedule } from './schedule.ts';
import { reproduceCommand, type JepsenOptions } from './jepsen-run.ts';
import { parseJepsenArgs } from './main.ts';

const seeds = Array.from({ length: 200 }, (_, i) => (i * 0x9e3779b1) >>> 0);

describe('a seeded fault schedule', () => {
  it('is the same for the same seed and differs for another', () => {
    const options = { seconds: 60, faults: 20, members: 3, syncLimitMs: 1000 };
    expect(makeSchedule({ ...options, seed: 42 })).toEqual(makeSchedule({ ...options, seed: 42 }));
    expect(makeSchedule({ ...options, seed: 43 }).faults).not.toEqual(makeSchedule({ ...options, seed: 42 }).faults);
  });

  for (const members of [3, 5]) {
    it(`has every variant when there is room for them, for ${members} members, over 200 seeds`, () => {
      const variants = faultVariants(members).map(faultLabel).sort();
      for (const seed of seeds) {
        const s = makeSchedule({ seed, seconds: 40, faults: variants.length, members, syncLimitMs: 1000 });
        expect(s.faults.map((f) => faultLabel(f.fault)).sort(), `seed ${seed}`).toEqual(variants);
      }
    });
  }

  it('keeps at most two faults on at once, a single-member one on top, pauses past 1.5 syncLimit, all within the window', () => {
    let overlaps = 0;
    for (const seed of seeds) {
      const s = makeSchedule({ seed, seconds: 300, faults: 100, members: 5, syncLimitMs: 1000 });
      expect(s.faults.length).toBeGreaterThan(80);
      for (const [i, f] of s.faults.entries()) {
        expect(f.atMs + f.holdMs).toBeLessThanOrEqual(300_000);
        if (f.fault.kind === 'pause') expect(f.holdMs).toBeGreaterThanOrEqual(1500);
        const on = s.faults.slice(0, i).filter((g) => g.atMs + g.holdMs > f.atMs);
        expect(on.length, `seed ${seed} #${f.n}`).toBeLessThanOrEqual(1);
        expect(on.length > 0).toBe(f.overlapping);
        if (f.overlapping) {
          overlaps++;
          expect(['kill', 'pause', 'isolate', 'one-way']).toContain(f.fault.kind);
        }
      }
    }
    // About one fault in five rides on another (a quarter of those that do not): the quorum is sometimes lost.
    expect(overlaps / (seeds.length * 100)).toBeGreaterThan(0.1);
    expect(overlaps / (seeds.length * 100)).toBeLessThan(0.3);
  });
});

describe('the disk fault set', () => {
  const options = { seconds: 20, faults: 6, members: 3, syncLimitMs: 1000 };

  it('draws disk full only when asked for (--fault-set disk or all), the same for the same seed', () => {
    for (const set of ['standard', 'switch'] as const) expect(faultVariants(3, set).map(faultLabel)).not.toContain('disk full leader');
    // The two variants in the order `--kinds disk-full` listed them, so that its recorded seeds (docs/reliability.md) replay as `--fault-set disk`.
    expect(faultVariants(3, 'disk')).toEqual([
      { kind: 'disk-full', target: 'leader' },
      { kind: 'disk-full', target: 'follower' },
    ]);
    const disk = makeSchedule({ ...options, seed: 7, faultSet: 'disk' });
    expect(disk).toEqual(makeSchedule({ ...options, seed: 7, faultSet: 'disk' }));
    expect(new Set(disk.faults.map((f) => faultLabel(f.fault)))).toEqual(new Set(['disk full leader', 'disk full follower']));
    const allLabels = faultVariants(3, 'all').map(faultLabel).sort();
    expect(allLabels).toEqual([...faultVariants(3, 'standard'), ...faultVariants(3, 'switch'), ...faultVariants(3, 'disk')].map(faultLabel).sort());
    const all = makeSchedule({ ...options, seed: 7, faults: allLabels.length, seconds: 90, faultSet: 'all' });
    expect(all.faults.map((f) => faultLabel(f.fault)).sort()).toEqual(allLabels);
  });

  it('puts a disk full on top of another fault as it does the other single-member faults', () => {
    const overlapping = seeds.flatMap((seed) => makeSchedule({ ...options, seed, seconds: 120, faults: 40, faultSet: 'all' }).faults.filter((f) => f.overlapping));
    expect(overlapping.some((f) => f.fault.kind === 'disk-full')).toBe(true);
    const diskOnDisk = seeds.flatMap((seed) => makeSchedule({ ...options, seed, faultSet: 'disk' }).faults.filter((f) => f.overlapping));
    expect(diskOnDisk.length).toBeGreaterThan(0);
  });
});

describe('npm run jepsen options', () => {
  it('reads the options, with defaults and a seed drawn when none is given', () => {
    expect(parseJepsenArgs(['--servers', 'ours', '--seconds', '30', '--faults', '5', '--seed', '9', '--members', '5'], () => 1)).toEqual({
      servers: 'ours',
      seconds: 30,
      faults: 5,
      seed: 9,
      members: 5,
    });
    expect(parseJepsenArgs(['--servers', 'ours', '--members', '5', '--observers', '2'], () => 3)).toMatchObject({ members: 5, observers: 2 });
    expect(parseJepsenArgs(['--servers', 'ours', '--observers', '9'], () => 3)).toMatch(/--observers must be an integer from 0 to 4/);
    expect(parseJepsenArgs(['--servers', 'zookeeper'], () => 77)).toMatchObject({ servers: 'zookeeper', seconds: 60, faults: 20, seed: 77, members: 3 });
  });

  it('refuses what it cannot run, with the usage', () => {
    expect(parseJepsenArgs([], () => 1)).toMatch(/--servers must be ours or zookeeper\nusage:/);
    expect(parseJepsenArgs(['--servers', 'ours', '--members', '4'], () => 1)).toMatch(/--members must be 3 or 5/);
    expect(parseJepsenArgs(['--servers', 'ours', '--seconds', 'x'], () => 1)).toMatch(/--seconds must be an integer/);
    expect(parseJepsenArgs(['--servers', 'ours', '--bogus', '1'], () => 1)).toMatch(/unknown option --bogus/);
    expect(parseJepsenArgs(['--servers'], () => 1)).toMatch(/--servers needs a value/);
    expect(parseJepsenArgs(['--servers', 'ours', '--kinds', 'disk-full'], () => 1)).toMatch(/unknown option --kinds\nusage:/);
    expect(parseJepsenArgs(['--servers', 'ours', '--disk-mb', '2'], () => 1)).toMatch(/--disk-mb must be an integer from 8/);
  });

  it('reads the disk fault set and the disk size, and repeats them in the command that reproduces a run', () => {
    const options = parseJepsenArgs(['--servers', 'ours', '--seed', '7', '--fault-set', 'disk', '--disk-mb', '64'], () => 1);
    expect(options).toMatchObject({ faultSet: 'disk', diskMb: 64 });
    expect(reproduceCommand(options as JepsenOptions)).toBe('npm run jepsen -- --servers ours --seconds 60 --faults 20 --seed 7 --members 3 --fault-set disk --disk-mb 64');
    expect(parseJepsenArgs(['--servers', 'ours', '--fault-set', 'all'], () => 1)).toMatchObject({ faultSet: 'all' });
  });
});
