// The disk-backed breadth-first search (disk-bfs.ts): the same counts,
// verdicts and shortest traces as the in-memory search when everything
// spills, and checkpoints from which an interrupted run recovers to the
// counts of an uninterrupted one.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { check, type CheckReport } from './check.ts';
import type { DiskOptions } from './disk-bfs.ts';
import type { Model } from './model.ts';
import { clockModel, countersModel, crewModel, doublerModel } from './toys.ts';

const directories: string[] = [];
function scratch(): string {
  const directory = mkdtempSync(join(tmpdir(), 'zkspec-disk-bfs-'));
  directories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

/** Everything spills: a budget of one byte (the smallest seen-set table, the heap always over) and segments of 50 states. */
function spillAll(extra: Partial<DiskOptions> = {}): DiskOptions {
  return { spillDirectory: scratch(), memoryBytes: 1, segmentStates: 50, identity: 'test', ...extra };
}

function counts(report: CheckReport) {
  return {
    complete: report.complete,
    distinctStates: report.distinctStates,
    generatedStates: report.generatedStates,
    maxDepth: report.maxDepth,
    violations: report.violations.map((v) => ({ property: v.property, depth: v.depth, trace: v.trace })),
    sometimes: report.sometimes.map((s) => ({ property: s.property, reached: s.reached, depth: s.depth, trace: s.trace })),
  };
}

describe('breadth-first search with spilling', () => {
  // The last field: whether the model is big enough to put anything on disk (more than a table of 614 or a segment of 50).
  const models: [string, () => Model<never, never>, boolean][] = [
    ['counters with its own codec (24^3 states)', () => countersModel(3, 24, true) as Model<never, never>, true],
    ['counters with the v8 codec', () => countersModel(3, 24, false) as Model<never, never>, true],
    ['crew with symmetry', () => crewModel(4, true) as Model<never, never>, false],
    ['doubler (a violation at depth 7, a sometimes)', () => doublerModel(37, 5000) as Model<never, never>, true],
    // Without the counters' opt-out their top state is a deadlock: reported at the same depth with the same trace.
    ['counters with the deadlock check (top state)', () => ({ ...countersModel(3, 24, true), deadlock: 'check' }) as Model<never, never>, true],
  ];
  for (const [name, build, spills] of models) {
    it(`gives the in-memory counts, verdicts and traces: ${name}`, () => {
      const inMemory = check(build(), { progress: false, stopAtFirstViolation: false });
      const spilled = check(build(), { progress: false, stopAtFirstViolation: false, strategy: { kind: 'bfs', disk: spillAll() } });
      expect(counts(spilled)).toEqual(counts(inMemory));
      if (name.includes('deadlock')) expect(spilled.violations.map((v) => v.property)).toContain('Deadlock');
      if (spills) expect(spilled.memory?.diskPeakBytes).toBeGreaterThan(0);
    });
  }

  it('stops at the first violation with the shortest trace, as in memory', () => {
    const model = doublerModel(37, 5000);
    const spilled = check(model, { progress: false, strategy: { kind: 'bfs', disk: spillAll() } });
    expect(spilled.violations.map((v) => [v.property, v.depth])).toEqual([['NeverTarget', 7]]);
    expect(spilled.complete).toBe(false);
  });

  it('leaves nothing in the spill directory', () => {
    const disk = spillAll();
    check(countersModel(3, 24, true), { progress: false, strategy: { kind: 'bfs', disk } });
    expect(readdirSync(disk.spillDirectory!)).toEqual([]);
  });

  it('reports memory per state for the default search too', () => {
    const report = check(clockModel({ n: 300 }), { progress: false });
    expect(report.memory).toBeDefined();
    expect(report.memory!.pathBytes).toBeGreaterThanOrEqual(report.distinctStates * 8);
    expect(report.memory!.fingerprintBytes).toBe(report.fingerprintBytes);
    expect(report.memory!.bytesPerState).toBeGreaterThanOrEqual(16);
    expect(report.memory!.diskPeakBytes).toBeUndefined();
  });
});

describe('checkpoints', () => {
  const whole = () => check(countersModel(3, 30, true), { progress: false });

  for (const spill of [false, true]) {
    it(`a run cut by statesMax recovers to the uninterrupted counts and verdicts (${spill ? 'spilling' : 'in memory'})`, () => {
      const directory = scratch();
      const base = spill ? spillAll() : { memoryBytes: 1 << 20, identity: 'test' };
      const disk: DiskOptions = { ...base, checkpoint: { directory, everyMs: 60_000 } };
      const cut = check(countersModel(3, 30, true), { progress: false, statesMax: 10_000, strategy: { kind: 'bfs', disk } });
      expect(cut.complete).toBe(false);
      // The state being expanded is finished first: at most its 3 successors past the budget.
      expect(cut.distinctStates).toBeGreaterThanOrEqual(10_000);
      expect(cut.distinctStates).toBeLessThan(10_003);
      const recovered = check(countersModel(3, 30, true), { progress: false, strategy: { kind: 'bfs', disk: { ...base, recover: directory } } });
      expect(counts(recovered)).toEqual(counts(whole()));
    });
  }

  it('recovers again from a checkpoint of a recovered run, and from every-N-seconds checkpoints (everyMs 0: one per tick)', () => {
    const directory = scratch();
    const base = { ...spillAll(), checkpoint: { directory, everyMs: 0 } };
    check(countersModel(3, 30, true), { progress: false, statesMax: 5_000, strategy: { kind: 'bfs', disk: base } });
    const second = check(countersModel(3, 30, true), { progress: false, statesMax: 15_000, strategy: { kind: 'bfs', disk: { ...base, recover: directory } } });
    expect(second.distinctStates).toBeGreaterThanOrEqual(15_000);
    const last = check(countersModel(3, 30, true), { progress: false, strategy: { kind: 'bfs', disk: { ...spillAll(), recover: directory } } });
    expect(counts(last)).toEqual(counts(whole()));
  });

  it('a crash while writing a checkpoint leaves the previous one to recover from', () => {
    const directory = scratch();
    const disk: DiskOptions = { memoryBytes: 1 << 20, identity: 'test', checkpoint: { directory, everyMs: 60_000 } };
    check(countersModel(3, 30, true), { progress: false, statesMax: 8_000, strategy: { kind: 'bfs', disk } });
    // What a kill half way through the next checkpoint leaves: a staging directory with some parts.
    mkdirSync(join(directory, 'cp-2.tmp'));
    writeFileSync(join(directory, 'cp-2.tmp', 'frontier.seg'), 'half a file');
    const recovered = check(countersModel(3, 30, true), { progress: false, strategy: { kind: 'bfs', disk: { memoryBytes: 1 << 20, identity: 'test', recover: directory } } });
    expect(counts(recovered)).toEqual(counts(whole()));
  });

  it('refuses a checkpoint of another run, naming both', () => {
    const directory = scratch();
    const identity = { spec: 'toy-counters', bounds: { k: 3, m: 30 }, mutant: null };
    check(countersModel(3, 30, true), { progress: false, statesMax: 1_000, strategy: { kind: 'bfs', disk: { memoryBytes: 1 << 20, identity, checkpoint: { directory, everyMs: 60_000 } } } });
    const other = { ...identity, bounds: { k: 3, m: 31 } };
    expect(() => check(countersModel(3, 31, true), { progress: false, strategy: { kind: 'bfs', disk: { memoryBytes: 1 << 20, identity: other, recover: directory } } })).toThrow(
      /checkpoint .* is of another run \(bounds.m: 30 -> 31\): it holds .*"m":30.* this run is .*"m":31/,
    );
    expect(() => check(countersModel(3, 30, true), { progress: false, strategy: { kind: 'bfs', disk: { memoryBytes: 1 << 20, identity, recover: scratch() } } })).toThrow(
      /no checkpoint in/,
    );
  });
});
