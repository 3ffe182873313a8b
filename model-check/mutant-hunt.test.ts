// A mutant's declared hunt on the command line (mutant-hunt.ts), --stop-at
// (CheckOptions.stopAt), and the table of every hunt (hunt-all.ts), on a toy:
// the clock whose `overflow` mutant lets hand a pass n, plus an auxiliary
// invariant the mutant's build adds that fails long before the mission one.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastJson, runCli } from './cli-testing.ts';
import type { CliIo } from './cli.ts';
import { huntAll } from './hunt-all.ts';
import type { SpecDefinition } from './model.ts';
import { type ClockState, toyClockSpec } from './toys.ts';

const hunted: SpecDefinition = {
  ...toyClockSpec,
  name: 'toy-hunted',
  mutants: [
    { name: 'overflow', description: 'hand a may pass n', hunt: { preset: 'big', options: ['--iddfs'], violates: 'HandsInRange' } },
    { name: 'harmless', description: 'changes nothing', hunt: { preset: 'ci', options: [], violates: 'HandsInRange' } },
  ],
  build(bounds, mutant) {
    const model = toyClockSpec.build(bounds, mutant === 'overflow' ? mutant : undefined);
    if (mutant !== 'overflow') return model;
    const early = { name: 'AEarly', kind: 'always' as const, description: 'hand a stays below 5', holds: (s: ClockState) => s.a < 5 };
    return { ...model, properties: [early, ...model.properties] };
  },
};

const run = (...argv: string[]) => runCli([hunted], [...argv, '--trace-out', join(mkdtempSync(join(tmpdir(), 'hunt-')), 't.json')]);

describe('npm run check -- <spec> --mutant NAME alone runs the declared hunt', () => {
  it('takes the hunt preset and options, stops at its property, and prints the command', () => {
    const r = run('toy-hunted', '--mutant', 'overflow', '--json');
    expect(r.code).toBe(1);
    expect(r.out[0]).toBe('overflow: its declared hunt from the real initial state:');
    expect(r.out[1]).toMatch(/^ {2}npm run check -- toy-hunted --preset big --iddfs --mutant overflow --stop-at HandsInRange --json/);
    const json = lastJson(r) as { preset: string; stopAt: string; strategy: string; violations: { property: string; depth: number }[] };
    expect(json).toMatchObject({ preset: 'big', stopAt: 'HandsInRange', strategy: 'iddfs' });
    // The auxiliary invariant fails first and is reported; the search goes on to the mission property.
    expect(json.violations.map((v) => [v.property, v.depth])).toEqual([
      ['AEarly', 5],
      ['HandsInRange', 31],
    ]);
    expect(lastJson(r).reproduce).toMatch(/ --stop-at HandsInRange/);
  });

  it('is not used when the command line chooses the search, and says so', () => {
    const r = run('toy-hunted', '--mutant', 'overflow', '--preset', 'ci', '--json');
    expect(r.err[0]).toMatch(/^note: --preset given, so overflow's declared hunt \(npm run check -- toy-hunted --preset big --iddfs/);
    expect(lastJson(r)).toMatchObject({ preset: 'ci', strategy: 'bfs' });
    expect(lastJson(r).stopAt).toBeUndefined();
  });

  it('says loudly when the hunt did not find its property', () => {
    const r = run('toy-hunted', '--mutant', 'harmless');
    expect(r.code).toBe(0);
    expect(r.err).toContain("the declared hunt did NOT find harmless's violation of HandsInRange");
  });
});

describe('--stop-at PROPERTY', () => {
  it('without it the first violation of any property stops the search', () => {
    const r = run('toy-hunted', '--mutant', 'overflow', '--preset', 'big', '--json');
    expect((lastJson(r).violations as { property: string }[]).map((v) => v.property)).toEqual(['AEarly']);
  });

  it('names an always property (or Deadlock) of the spec, and runs on one thread', () => {
    const unknown = run('toy-hunted', '--stop-at', 'Nope');
    expect(unknown.code).toBe(2);
    expect(unknown.err[0]).toBe('error: --stop-at Nope is not an always property of toy-hunted; properties: HandsInRange, Deadlock');
    const parallel = run('toy-hunted', '--stop-at', 'HandsInRange', '--workers', '2');
    expect(parallel.code).toBe(2);
    expect(parallel.err[0]).toBe('error: --stop-at is honoured on one thread only; drop --workers');
  });
});

describe('every hunt and the correct spec under it (check:all --mutants)', () => {
  it('prints a row per hunt and fails when a hunt finds nothing', () => {
    const out: string[] = [];
    const err: string[] = [];
    const io: CliIo = { out: (t) => out.push(t), err: (t) => err.push(t), progress: false };
    const code = huntAll([hunted], io, mkdtempSync(join(tmpdir(), 'hunt-all-')));
    expect(code).toBe(1);
    expect(out[2]).toMatch(/^\| toy-hunted \| overflow \| big \| --iddfs \| HandsInRange \| yes \| [\d,]+ \| 31 \| [\d.]+ \| clean, complete: 961, [\d.]+ s \|$/);
    expect(out[3]).toMatch(/^\| toy-hunted \| harmless \| ci \| bfs \| HandsInRange \| NO \| 16 \| - \|/);
    expect(err).toContain('FAIL toy-hunted harmless: no violation of HandsInRange (no violation at all)');
  });
});
