// The printed report (statistics, collision chance, coverage) and the trace
// files' shape (our JSON and its ITF copy). The counterexample's own printing
// is counterexample.test.ts's.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { CheckReport } from './check.ts';
import { defaultTracePath, formatReport, itfPath, writeTraceFile } from './report.ts';

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
    expect(text).toContain('collision chance  2.1E-11');
    expect(text).not.toContain('action coverage');
  });

  it('prints action coverage when counted, and names the kinds that never fired', () => {
    const coverage = {
      actions: [
        { kind: 'Phase1a', generated: 1_200, distinct: 300 },
        { kind: 'DropMessage', generated: 0, distinct: 0 },
      ],
    };
    const text = formatReport({ ...report, coverage }).split('\n');
    expect(text).toContain('  action coverage   kind              generated       distinct');
    expect(text).toContain('                    Phase1a               1,200            300');
    expect(text).toContain('  NEVER FIRED: DropMessage');
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

  it('are written in ITF too, beside the JSON as <name>.itf.json', () => {
    expect(itfPath(join('traces', 'raft-ci-P.json'))).toBe(join('traces', 'raft-ci-P.itf.json'));
    expect(itfPath('out')).toBe('out.itf.json');
    const path = join(mkdtempSync(join(tmpdir(), 'traces-')), 'trace.json');
    const trace = { initial: { x: 1 }, steps: [{ action: 'Double', actionData: 'Double', state: { x: 2 } }] };
    writeTraceFile({ spec: 'toy', preset: 'ci', bounds: { n: 3 }, mutant: 'm', property: 'P', trace }, path);
    const itf = JSON.parse(readFileSync(itfPath(path), 'utf8'));
    expect(itf['#meta']).toMatchObject({ format: 'ITF', spec: 'toy', preset: 'ci', bounds: { n: 3 }, mutant: 'm', property: 'P' });
    expect(itf.vars).toEqual(['x']);
    expect(itf.states).toEqual([
      { '#meta': { index: 0 }, x: { '#bigint': '1' } },
      { '#meta': { index: 1, action: 'Double' }, x: { '#bigint': '2' } },
    ]);
    expect(itf.loop).toBeUndefined();
    writeTraceFile({ spec: 'toy', preset: 'ci', bounds: {}, mutant: undefined, property: 'Live', trace, loop: 0 }, path);
    expect(JSON.parse(readFileSync(itfPath(path), 'utf8')).loop).toBe(0);
  });
});
