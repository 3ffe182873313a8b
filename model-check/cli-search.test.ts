// The command line's searches for deep bugs (--iddfs, --bitstate, --swarm)
// in process against the test-only toy-clock spec: what each option does,
// what the report and the JSON summary name, the misuse reported as exit 2,
// and a swarm's reproduce line that reruns the finding member alone.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastJson, runCli } from './cli-testing.ts';
import { USAGE } from './cli-options.ts';
import { toyClockSpec } from './toys.ts';

const run = (...argv: string[]) => runCli([toyClockSpec], argv);

const traceOut = () => join(mkdtempSync(join(tmpdir(), 'cli-search-')), 'trace.json');

describe('npm run check -- <spec> --iddfs', () => {
  it('deepens 1, 2, 4, ... until a pass cuts nothing, and counts as BFS does', () => {
    const r = run('toy-clock', '--preset', 'big', '--iddfs', '--json');
    expect(r.code).toBe(0);
    expect(lastJson(r)).toMatchObject({ strategy: 'iddfs', complete: true, distinctStates: 31 * 31, maxDepth: 60 });
    expect(lastJson(r).searchBounds).toBe('passes with depth bounds 1, 2, 4, 8, 16, 32, 64 (doubling, no depth limit)');
    expect(r.out).toContain('  search            passes with depth bounds 1, 2, 4, 8, 16, 32, 64 (doubling, no depth limit)');
  });

  it('takes --depth as the last bound and --depth-step as the step', () => {
    const r = run('toy-clock', '--preset', 'big', '--iddfs', '--depth', '25', '--depth-step', '10', '--json');
    expect(lastJson(r)).toMatchObject({ complete: false, maxDepth: 25, searchBounds: 'passes with depth bounds 10, 20, 25 (step 10, depth limit 25)' });
    expect(lastJson(r).reproduce).toMatch(/ --iddfs --depth 25 --depth-step 10$/);
  });
});

describe('npm run check -- <spec> --bitstate MB', () => {
  it('searches breadth-first over a bit array and prints the hash factor and the expected coverage', () => {
    const r = run('toy-clock', '--preset', 'big', '--bitstate', '1', '--json');
    expect(r.code).toBe(0);
    const json = lastJson(r);
    expect(json).toMatchObject({ strategy: 'bfs', complete: true, distinctStates: 961, bitstate: { bits: 8 * 1024 * 1024, hashes: 3 } });
    expect(r.out.some((line) => line.startsWith('  hash factor       8729 '))).toBe(true);
    expect(r.out.some((line) => /^ {2}coverage {10}100\.0+% expected/.test(line))).toBe(true);
  });

  it('searches depth-first with --dfs and takes --hashes', () => {
    const r = run('toy-clock', '--mutant', 'overflow', '--bitstate', '2', '--hashes', '5', '--dfs', '--depth', '30', '--trace-out', traceOut(), '--json');
    expect(r.code).toBe(1);
    expect(lastJson(r)).toMatchObject({ strategy: 'dfs', bitstate: { hashes: 5, bytes: 2 * 1024 * 1024 } });
    expect(lastJson(r).reproduce).toMatch(/ --bitstate 2 --hashes 5 --dfs --depth 30$/);
  });
});

describe('npm run check -- <spec> --swarm N', () => {
  it('names the member that found the violation and prints the command that reruns it alone, which finds it again', () => {
    const r = run('toy-clock', '--preset', 'big', '--mutant', 'overflow', '--swarm', '40', '--seed', '11', '--depth', '80', '--swarm-states', '50', '--trace-out', traceOut(), '--json');
    expect(r.code).toBe(1);
    const json = lastJson(r) as { seed: number; swarmFinder: { seed: number; index: number; reproduce: string } };
    expect(json).toMatchObject({ strategy: 'swarm', seed: 11 });
    expect(json.swarmFinder.seed).toBe(11 + json.swarmFinder.index);
    expect(r.out).toContain(`  ${json.swarmFinder.reproduce}`);
    const argv = json.swarmFinder.reproduce.replace(/^npm run check -- /, '').split(' ');
    expect(argv).toEqual(expect.arrayContaining(['--swarm', '1', '--seed', String(json.swarmFinder.seed), '--depth', '80', '--swarm-states', '50']));
    const again = run(...argv, '--trace-out', traceOut(), '--json');
    expect(again.code).toBe(1);
    expect(lastJson(again)).toMatchObject({ seed: json.swarmFinder.seed, swarmFinder: { index: 0, seed: json.swarmFinder.seed } });
  });

  it('draws a seed when none is given and prints it', () => {
    const r = run('toy-clock', '--swarm', '3', '--json');
    expect(typeof lastJson(r).seed).toBe('number');
    expect(r.out.some((line) => /^ {2}strategy {10}swarm seed \d+ /.test(line))).toBe(true);
  });
});

describe('misuse', () => {
  it.each([
    [['--iddfs', '--dfs'], 'choose one strategy, got --dfs and --iddfs'],
    [['--swarm', '3', '--simulate', '4'], 'choose one strategy, got --simulate and --swarm'],
    [['--hashes', '2'], '--hashes only applies to --bitstate'],
    [['--depth-step', '2'], '--depth-step only applies to --iddfs'],
    [['--swarm-states', '2'], '--swarm-states only applies to --swarm'],
    [['--bitstate', '1', '--iddfs'], '--bitstate applies to --bfs and --dfs only'],
    [['--bitstate', '0'], '--bitstate must be between 1 and 512'],
    [['--bitstate', '1', '--workers', '2'], '--workers only applies to breadth-first search (without --bitstate)'],
    [['--seed', '3', '--iddfs'], '--seed only applies to --simulate and --swarm'],
    [['--iddfs=yes'], '--iddfs takes no value'],
  ])('%j is bad usage', (argv, message) => {
    const r = run('toy-clock', ...argv);
    expect(r.code).toBe(2);
    expect(r.err[0]).toBe(`error: ${message}`);
  });

  it('lists every search option in the usage', () => {
    for (const option of ['--iddfs', '--depth-step', '--bitstate', '--hashes', '--swarm', '--swarm-states']) expect(USAGE).toContain(option);
  });
});
