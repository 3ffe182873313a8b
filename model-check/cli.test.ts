// The command line in process, against the test-only toy-clock spec
// (toys.ts): exit codes 0 / 1 / 2 / 3, --help, the JSON summary as the last stdout line,
// trace files, the listing, and the reproduce line of a failing simulation.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliIo, main } from './cli.ts';
import { lastJson, runCli, runCliAsync } from './cli-testing.ts';
import { acceptedOptions } from './cli-options.ts';
import { toyClockSpec } from './toys.ts';

const run = (...argv: string[]) => runCli([toyClockSpec], argv);

const runWorkers = (...argv: string[]) => runCliAsync([toyClockSpec], new URL('./toys.ts', import.meta.url).href, argv);

const traceDirectory = () => mkdtempSync(join(tmpdir(), 'cli-traces-'));

describe('npm run check -- <spec>', () => {
  it('exits 0 when no property is violated, with the JSON summary as the last line', () => {
    const r = run('toy-clock', '--json');
    expect(r.code).toBe(0);
    expect(lastJson(r)).toMatchObject({
      spec: 'toy-clock',
      preset: 'ci',
      bounds: { n: 3, withSometimes: true },
      mutant: null,
      strategy: 'bfs',
      distinctStates: 16,
      generatedStates: 25,
      maxDepth: 6,
      violations: [],
      sometimes: [{ property: 'HandAReachesN', reached: true }],
    });
  });

  it('applies the preset, then bounds from the command line', () => {
    expect(lastJson(run('toy-clock', '--preset', 'big', '--json'))).toMatchObject({ preset: 'big', distinctStates: 31 * 31 });
    expect(lastJson(run('toy-clock', '--preset', 'big', '--n=5', '--withSometimes', 'false', '--json'))).toMatchObject({
      bounds: { n: 5, withSometimes: false },
      distinctStates: 36,
      sometimes: [],
    });
  });

  it('exits 1 on a violation, prints the counterexample and writes the trace file', () => {
    const traceOut = join(traceDirectory(), 'overflow.json');
    const r = run('toy-clock', '--mutant', 'overflow', '--trace-out', traceOut, '--json');
    expect(r.code).toBe(1);
    expect(r.out).toContain('VIOLATION of HandsInRange at depth 4: both hands stay within 0..n');
    expect(r.out).toContain('  4: Tick(a)   a: 3 -> 4');
    expect(lastJson(r)).toMatchObject({ mutant: 'overflow', violations: [{ property: 'HandsInRange', depth: 4, traceFile: traceOut }] });
    const file = JSON.parse(readFileSync(traceOut, 'utf8'));
    expect(file).toMatchObject({ spec: 'toy-clock', preset: 'ci', bounds: { n: 3 }, mutant: 'overflow', property: 'HandsInRange' });
    expect(file.trace.steps.map((s: { action: string }) => s.action)).toEqual(['Tick(a)', 'Tick(a)', 'Tick(a)', 'Tick(a)']);
  });

  it('exits 1 when a simulation violates an always, and prints the seed and the command to reproduce it', () => {
    const traceOut = join(traceDirectory(), 'sim.json');
    const r = run('toy-clock', '--mutant', 'overflow', '--simulate', '50', '--seed', '9', '--depth', '20', '--trace-out', traceOut, '--json');
    expect(r.code).toBe(1);
    const command = 'npm run check -- toy-clock --preset ci --n 3 --withSometimes true --mutant overflow --simulate 50 --seed 9 --depth 20';
    expect(r.out).toContain(`  ${command}`);
    expect(r.out.some((line) => line.includes('seed 9'))).toBe(true);
    expect(lastJson(r)).toMatchObject({ strategy: 'simulate', seed: 9 });
    // The printed command reproduces the same violation.
    const again = run(...command.split(' ').slice(4), '--trace-out', join(traceDirectory(), 'again.json'), '--json');
    expect(lastJson(again)['violations']).toEqual([{ ...(lastJson(r)['violations'] as object[])[0], traceFile: expect.stringContaining('again.json') }]);
  });

  it('runs coverage-guided walks with --simulate N --guided, and the printed command repeats them', () => {
    const r = run('toy-clock', '--mutant', 'overflow', '--simulate', '50', '--guided', '--seed', '9', '--depth', '20', '--trace-out', join(traceDirectory(), 'g.json'), '--json');
    expect(r.code).toBe(1);
    const command = 'npm run check -- toy-clock --preset ci --n 3 --withSometimes true --mutant overflow --simulate 50 --guided --seed 9 --depth 20';
    expect(r.out).toContain(`  ${command}`);
    expect(lastJson(r)).toMatchObject({ strategy: 'guided', seed: 9, violations: [{ property: 'HandsInRange' }] });
    const again = run(...command.split(' ').slice(4), '--trace-out', join(traceDirectory(), 'g-again.json'), '--json');
    const { durationMs: _a, statesPerSecond: _b, memory: _m, violations: first, ...rest } = lastJson(r);
    const { durationMs: _c, statesPerSecond: _d, memory: _n, violations: second, ...restAgain } = lastJson(again);
    expect(restAgain).toEqual(rest);
    expect((second as { depth: number }[])[0]!.depth).toBe((first as { depth: number }[])[0]!.depth);
  });

  it('runs depth-first with --dfs and a depth cut, which is INCOMPLETE (exit 3)', () => {
    const r = run('toy-clock', '--dfs', '--depth', '2', '--json');
    expect(r.code).toBe(3);
    expect(lastJson(r)).toMatchObject({ strategy: 'dfs', complete: false, distinctStates: 6, maxDepth: 2, exitCode: 3 });
    expect(r.err).toContain('INCOMPLETE: --depth 2 cut the depth-first search; states beyond it were not checked (exit code 3)');
    // A depth bound that cuts nothing leaves the run complete.
    expect(run('toy-clock', '--dfs', '--depth', '6').code).toBe(0);
  });

  it('runs breadth-first on worker threads with --workers, with the same counts', async () => {
    const r = await runWorkers('toy-clock', '--workers', '2', '--json');
    expect(r.code).toBe(0);
    expect(lastJson(r)).toMatchObject({ strategy: 'bfs', complete: true, distinctStates: 16, generatedStates: 25, maxDepth: 6 });
    const violated = await runWorkers('toy-clock', '--workers', '2', '--mutant', 'overflow', '--trace-out', join(traceDirectory(), 'w.json'), '--json');
    expect(violated.code).toBe(1);
    expect(lastJson(violated)).toMatchObject({ violations: [{ property: 'HandsInRange', depth: 4 }] });
  });

  it('stops at --states-max, says INCOMPLETE on stdout and stderr and exits 3, for every strategy', () => {
    const r = run('toy-clock', '--states-max', '5', '--json');
    expect(r.code).toBe(3);
    expect(lastJson(r)).toMatchObject({ complete: false, distinctStates: 5, exitCode: 3 });
    const line = 'INCOMPLETE: --states-max 5 distinct states reached; states beyond it were not checked (exit code 3)';
    expect(r.out).toContain(line);
    expect(r.err).toContain(line);
    expect(run('toy-clock', '--dfs', '--states-max', '5').code).toBe(3);
    expect(run('toy-clock', '--simulate', '100', '--seed', '1', '--states-max', '5').code).toBe(3);
    // The budget is not an excuse: a violation found before it is still exit 1.
    expect(run('toy-clock', '--mutant', 'overflow', '--states-max', '15', '--trace-out', join(traceDirectory(), 't.json')).code).toBe(1);
    // A budget the run never reaches leaves it complete.
    expect(run('toy-clock', '--states-max', '17').code).toBe(0);
  });

  it('prints the calculated collision probability in the report and the JSON summary', () => {
    const r = run('toy-clock', '--preset', 'big', '--json');
    // 961 distinct, 1 + 2 * 30 * 31 = 1,861 generated: 961 * 900 / 2^64.
    expect(lastJson(r)['collisionProbability']).toBe((961 * 900) / 2 ** 64);
    expect(r.out).toContain('  collision chance  4.7E-14 (fingerprint collision, calculated (optimistic) as TLC does: distinct x (generated - distinct) / 2^64)');
  });

  it('counts action coverage with --coverage and names the kinds that never fired', () => {
    const r = run('toy-clock', '--coverage', '--json');
    expect(r.code).toBe(0);
    // 16 states, 15 found by a Tick; 24 successors, one per hand below n from each state.
    expect(lastJson(r)['coverage']).toEqual([{ kind: 'Tick', generated: 24, distinct: 15 }]);
    expect(r.out).toContain('  every action kind fired');
    expect(run('toy-clock').out.some((line) => line.includes('action coverage'))).toBe(false);
  });

  it('prints a progress line through stderr every --progress-every seconds when stderr is not a terminal, and none with 0', () => {
    const err: string[] = [];
    const io: CliIo = { out: () => {}, err: (text) => err.push(text), progress: true, terminal: false };
    expect(main(['toy-clock', '--progress-every', '0'], [toyClockSpec], io)).toBe(0);
    expect(err).toEqual([]);
  });

  it('--help lists every option the parser accepts, one line each, and the exit codes', () => {
    const r = run('--help');
    expect(r.code).toBe(0);
    const listed = r.out.map((line) => /^ {2}--([a-z-]+)[ ]/.exec(line)?.[1]).filter((name) => name !== undefined);
    expect(new Set(listed)).toEqual(new Set(acceptedOptions()));
    expect(listed).toHaveLength(acceptedOptions().length);
    for (const code of ['0', '1', '2', '3']) expect(r.out.some((line) => line.startsWith(`  ${code}  `))).toBe(true);
  });
});

describe('bad usage exits 2 and says what is allowed', () => {
  const cases: [string[], string][] = [
    [[], 'which spec? registered: toy-clock'],
    [['paxos'], "unknown spec 'paxos'; registered: toy-clock"],
    [['toy-clock', '--preset', 'huge'], "unknown preset 'huge' for toy-clock; presets: ci, big"],
    [['toy-clock', '--mutant', 'off-by-one'], "unknown mutant 'off-by-one' for toy-clock; mutants: overflow"],
    [['toy-clock', '--servers', '3'], 'unknown option --servers for toy-clock; bounds: --n, --withSometimes'],
    [['toy-clock', '--n', 'three'], '--n (a bound of toy-clock) must be an integer'],
    [['toy-clock', '--withSometimes', 'yes'], '--withSometimes (a bound of toy-clock) must be true or false'],
    [['toy-clock', '--simulate', '10', '--seed', 'x'], '--seed must be an integer'],
    [['toy-clock', '--simulate'], '--simulate needs a value'],
    [['toy-clock', '--bfs', '--simulate', '3'], 'choose one strategy, got --bfs and --simulate'],
    [['toy-clock', '--seed', '3'], '--seed only applies to --simulate'],
    [['toy-clock', '--dfs', '--guided'], '--guided only applies to --simulate'],
    [['toy-clock', '--simulate', '3', '--guided=yes'], '--guided takes no value'],
    [['toy-clock', '--n', '3', '--n', '4'], '--n given twice'],
    [['toy-clock', '--dfs', '--workers', '2'], '--workers only applies to breadth-first search'],
    [['toy-clock', '--workers', '0'], '--workers must be between 1 and 64'],
    [['toy-clock', '--workers', '2', '--coverage'], '--coverage is counted on one thread only; drop --workers'],
    [['toy-clock', '--progress-every', 'often'], '--progress-every must be an integer'],
    [['toy-clock', '--coverage=yes'], '--coverage takes no value'],
  ];
  for (const [argv, message] of cases) {
    it(`${argv.join(' ') || '(nothing)'} -> ${message}`, () => {
      const r = run(...argv);
      expect(r.code).toBe(2);
      expect(r.err[0]).toContain(`error: ${message}`);
      expect(r.err.join('\n')).toContain('usage: npm run check');
      expect(r.out).toEqual([]);
    });
  }
});

describe('npm run check -- --list', () => {
  it('prints one JSON object with specs, presets (with their bounds), bounds and mutants', () => {
    const r = run('--list', '--json');
    expect(r.code).toBe(0);
    expect(r.out).toHaveLength(1);
    expect(JSON.parse(r.out[0]!)).toEqual({
      specs: [
        {
          name: 'toy-clock',
          description: 'Two clock hands (test-only spec)',
          presets: [
            { name: 'ci', description: 'n = 3', bounds: { n: 3, withSometimes: true } },
            { name: 'big', description: 'n = 30', bounds: { n: 30, withSometimes: true } },
          ],
          bounds: [
            { name: 'n', description: 'largest value of a hand', default: 3 },
            { name: 'withSometimes', description: 'require hand a to reach n (a reachable sometimes)', default: true },
          ],
          mutants: [{ name: 'overflow', description: 'hand a may pass n' }],
        },
      ],
    });
  });

  it('prints a human listing without --json', () => {
    const r = run('--list');
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe('toy-clock: Two clock hands (test-only spec)');
    expect(r.out.some((line) => line.includes('overflow') && line.includes('hand a may pass n'))).toBe(true);
  });
});
