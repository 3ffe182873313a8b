// The printed counterexample: a structural diff of consecutive views, one
// line per step, and the trace file's shape.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from './check.ts';
import { defaultTracePath, diffViews, formatReport, formatTrace, writeTraceFile } from './report.ts';

describe('diffViews', () => {
  it('names each changed leaf by its path, objects by key and arrays by index', () => {
    const before = { acceptors: [{ maxBal: -1, votes: [] }, { maxBal: -1, votes: [] }], msgs: [{ type: '1a', bal: 0 }] };
    const after = { acceptors: [{ maxBal: -1, votes: [] }, { maxBal: 0, votes: [[0, 'v1']] }], msgs: [{ type: '1a', bal: 0 }, { type: '1b', bal: 0 }] };
    expect(diffViews(before, after)).toEqual([
      { path: 'acceptors[1].maxBal', before: -1, after: 0 },
      { path: 'acceptors[1].votes[0]', before: undefined, after: [0, 'v1'] },
      { path: 'msgs[1]', before: undefined, after: { type: '1b', bal: 0 } },
    ]);
  });

  it('reads taking the head of a queue and inserting into a bag as one element, not a shift', () => {
    const queue = [{ type: 'DIFF' }, { type: 'PROPOSAL' }, { type: 'COMMIT' }];
    expect(diffViews({ channel: queue }, { channel: queue.slice(1) })).toEqual([{ path: 'channel[0]', before: { type: 'DIFF' }, after: undefined }]);
    expect(diffViews({ bag: [1, 3, 4] }, { bag: [1, 2, 3, 4] })).toEqual([{ path: 'bag[1]', before: undefined, after: 2 }]);
    expect(diffViews([1, 2, 3], [1, 9, 3])).toEqual([{ path: '[1]', before: 2, after: 9 }]);
    // Both removal and insertion in the middle: compared index by index from the first difference.
    expect(diffViews([1, 2, 3, 9], [1, 7, 8, 3, 9])).toEqual([
      { path: '[1]', before: 2, after: 7 },
      { path: '[2]', before: 3, after: 8 },
      { path: '[3]', before: 9, after: 3 },
      { path: '[4]', before: undefined, after: 9 },
    ]);
  });

  it('reports removed keys, type changes and whole-state changes', () => {
    expect(diffViews({ a: 1, b: { c: 2 } }, { a: 1 })).toEqual([{ path: 'b', before: { c: 2 }, after: undefined }]);
    expect(diffViews({ a: [1] }, { a: { 0: 1 } })).toEqual([{ path: 'a', before: [1], after: { 0: 1 } }]);
    expect(diffViews(3, 4)).toEqual([{ path: '(state)', before: 3, after: 4 }]);
    expect(diffViews({ a: null }, { a: null })).toEqual([]);
  });
});

describe('formatTrace', () => {
  it('prints one step per line with the changed fields', () => {
    const initial = { acceptors: [{ maxBal: -1 }, { maxBal: -1 }], leader: null };
    const lines = formatTrace({
      initial,
      steps: [
        { action: 'Phase1a(b0)', actionData: {}, state: { ...initial, leader: 'p0' } },
        { action: 'Phase1b(a1, b0)', actionData: {}, state: { acceptors: [{ maxBal: -1 }, { maxBal: 0 }], leader: 'p0' } },
        { action: 'Stutter', actionData: {}, state: { acceptors: [{ maxBal: -1 }, { maxBal: 0 }], leader: 'p0' } },
      ],
    });
    expect(lines).toEqual([
      '  0: Init              {"acceptors":[{"maxBal":-1},{"maxBal":-1}],"leader":null}',
      '  1: Phase1a(b0)       leader: null -> "p0"',
      '  2: Phase1b(a1, b0)   acceptors[1].maxBal: -1 -> 0',
      '  3: Stutter           (no change)',
    ]);
  });
});

describe('formatReport', () => {
  const report: CheckReport = {
    strategy: 'bfs',
    complete: true,
    distinctStates: 16_668,
    generatedStates: 40_000,
    maxDepth: 12,
    durationMs: 1500,
    statesPerSecond: 11_112,
    violations: [],
    sometimes: [
      { property: 'ValueChosen', description: 'a value is chosen', reached: true, depth: 7 },
      { property: 'Never', description: 'something impossible', reached: false },
    ],
  };

  it('prints the statistics, the sometimes verdicts and TLC-comparable depth', () => {
    const text = formatReport(report, { spec: 'paxos', preset: 'ci', bounds: { acceptors: 3 }, mutant: undefined });
    expect(text).toContain('paxos (preset ci: acceptors=3)');
    expect(text).toContain('distinct states   16,668');
    expect(text).toContain('depth             12 (TLC would print 13)');
    expect(text).toContain('no violation');
    expect(text).toContain('sometimes ValueChosen: reached at depth 7');
    expect(text).toContain('sometimes Never: NOT reached (something impossible)');
  });
});

describe('trace files', () => {
  it('default to ./traces/<spec>-<preset>[-<mutant>]-<property>.json', () => {
    expect(defaultTracePath({ spec: 'raft', preset: 'ci', bounds: {}, mutant: 'figure8', property: 'StateMachineSafety' })).toBe(
      join('traces', 'raft-ci-figure8-StateMachineSafety.json'),
    );
    expect(defaultTracePath({ spec: 'zab', preset: 'ci', bounds: {}, mutant: undefined, property: 'a/b' })).toBe(join('traces', 'zab-ci-a_b.json'));
  });

  it('hold {spec, preset, bounds, mutant, property, trace}', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'traces-')), 'nested', 'trace.json');
    const trace = { initial: { x: 1 }, steps: [{ action: 'Double', actionData: 'Double', state: { x: 2 } }] };
    writeTraceFile({ spec: 'toy', preset: 'ci', bounds: { n: 3 }, mutant: undefined, property: 'P', trace }, path);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toEqual({ spec: 'toy', preset: 'ci', bounds: { n: 3 }, mutant: null, property: 'P', trace });
  });
});
