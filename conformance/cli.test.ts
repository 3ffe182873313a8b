// The command line run in process: exit codes 0/1/2 and what it prints.

import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main, scenarioPath } from './cli.ts';

const dir = mkdtempSync(join(tmpdir(), 'conformance-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('conformance command line', () => {
  it('generate zab --preset zookeeper-3911 --walks 2 --seed 5: exhausts the 390 states, writes coverage traces and two walks, exit 0', () => {
    const out = join(dir, 'generated');
    const result = run('generate', 'zab', '--preset', 'zookeeper-3911', '--walks', '2', '--seed', '5', '--depth', '20', '--out', out);
    expect(result.code).toBe(0);
    expect(result.out).toContain('zookeeper-3911: 390 states (exhaustive)');
    expect(result.out).toMatch(/action kinds: \d+\/26 covered/);
    const files = readdirSync(out);
    expect(files.filter((f) => f.startsWith('walk-'))).toEqual(['walk-zookeeper-3911-seed5.json', 'walk-zookeeper-3911-seed6.json']);
    const coverage = files.filter((f) => f.startsWith('coverage-'));
    expect(coverage.length).toBeGreaterThan(0);
    // What generate writes, validate accepts.
    for (const f of [...coverage, 'walk-zookeeper-3911-seed5.json']) expect(run('validate', join(out, f)).code, f).toBe(0);
  });

  it('validate: a mutant scenario is rejected by the correct spec (exit 1) and accepted with --mutant (exit 0)', () => {
    const file = fileURLToPath(scenarioPath('zab', 'ZOOKEEPER-3911'));
    const rejected = run('validate', file);
    expect(rejected.code).toBe(1);
    expect(rejected.out).toContain('rejected at step 8 (FollowerProcessNEWLEADER(s1, s0) [NEWLEADER])');
    expect(run('validate', file, '--mutant', 'ZOOKEEPER-3911').code).toBe(0);
  });

  it('validate: an unreadable or malformed file, or bad usage, exits 2', () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"#meta": {}, "vars": [], "states": []}');
    const result = run('validate', bad);
    expect(result.code).toBe(2);
    expect(result.err).toContain('not a conformance trace');
    expect(run('validate', join(dir, 'missing.json')).code).toBe(2);
    expect(run('generate', 'nosuchspec').code).toBe(2);
    expect(run('generate', 'zab', '--preset', 'nosuchpreset').code).toBe(2);
    expect(run('frobnicate').code).toBe(2);
    expect(run('validate', bad, '--unknown-flag').code).toBe(2);
  });

  it('replay --sources scenarios: the fixed core conforms (exit 0); built with ZOOKEEPER-3911 it diverges at NEWLEADER (exit 1)', () => {
    const fixed = run('replay', '--sources', 'scenarios');
    expect(fixed.code).toBe(0);
    expect(fixed.out).toContain('scenarios: 3 conforms, 2 conforms until the schedule leaves the correct spec');
    expect(fixed.out).toContain('48 of 56 trace steps replayed');
    expect(fixed.out).toContain('every trace conforms');
    const buggy = run('replay', '--sources', 'scenarios', '--bugs', 'ZOOKEEPER-3911');
    expect(buggy.code).toBe(1);
    expect(buggy.out).toContain('diverging-state at step 8 (FollowerProcessNEWLEADER(s1, s0) [NEWLEADER])');
    expect(buggy.out).toContain('reproduce: npm run conformance -- replay --trace conformance/scenarios/zab/ZOOKEEPER-3911.json --judge correct-spec --bugs ZOOKEEPER-3911');
  });

  it('replay: a known difference fails the run unless --allow-known; a file replays alone', () => {
    // ci walk seed 15 ends in discovery-leader-keeps-running at step 7 when the initLimit timer is not fired there.
    const walk = ['replay', '--sources', 'walks', '--preset', 'ci', '--count', '1', '--seed', '15'];
    const strict = run(...walk, '--strict-discovery');
    expect(strict.code).toBe(1);
    expect(strict.out).toContain('known difference discovery-leader-keeps-running: 1 traces');
    expect(run(...walk, '--strict-discovery', '--allow-known').code).toBe(0);
    const through = run(...walk);
    expect(through.code).toBe(0);
    expect(through.out).toContain('initLimit of a leader in DISCOVERY expiring at once');
    const file = fileURLToPath(scenarioPath('zab', 'ZOOKEEPER-4646'));
    expect(run('replay', '--trace', file, '--bugs', 'ZOOKEEPER-4646').code).toBe(0);
    expect(run('replay', '--trace', file).code).toBe(1);
  });

  it('replay --processes runs against member processes (a server built with ZOOKEEPER-4646: exit 1 at step 8); bad options exit 2', () => {
    // The fixed build passing the same scenario at process level is conformance/replay/processes.test.ts's.
    const file = fileURLToPath(scenarioPath('zab', 'ZOOKEEPER-4646'));
    const buggy = run('replay', '--processes', '--trace', file, '--judge', 'correct-spec', '--bugs', 'ZOOKEEPER-4646');
    expect(buggy.code, buggy.out + buggy.err).toBe(1);
    expect(buggy.out).toContain('diverging-state at step 8');
    expect(run('replay', '--processes', '--no-such-option').code).toBe(2);
    expect(run('replay', '--bugs', 'ZOOKEEPER-9999').code).toBe(2);
    expect(run('replay', '--sources', 'everything').code).toBe(2);
    expect(run('replay', '--trace', join(dir, 'missing.json')).code).toBe(2);
  });

  it('record: seeded simulation recordings validate (exit 0) and are written; built with ZOOKEEPER-4646 they are rejected (exit 1)', () => {
    const out = join(dir, 'recordings');
    const fixed = run('record', '--count', '2', '--seed', '1', '--eras', '2', '--steps', '100', '--out', out);
    expect(fixed.code).toBe(0);
    expect(fixed.out).toMatch(/^2 recordings of impl\/quorum\/peer's simulation \(2 eras of 100 steps, \d+ recorded steps\), validated with K = 0: 2 accepted, 0 rejected/m);
    expect(readdirSync(out).sort()).toEqual(['recording-seed1.json', 'recording-seed2.json']);
    expect(run('validate', join(out, 'recording-seed1.json'), '--hidden', '0').code).toBe(0);
    const buggy = run('record', '--count', '1', '--seed', '1', '--eras', '2', '--steps', '100', '--bugs', 'ZOOKEEPER-4646');
    expect(buggy.code).toBe(1);
    expect(buggy.out).toContain('(FollowerProcessNEWLEADER(');
    expect(buggy.out).toContain('reproduce: npm run conformance -- record --seed 1 --count 1 --eras 2 --steps 100 --bugs ZOOKEEPER-4646');
  });

  it('scenarios --check: the committed scenario files are current (exit 0)', () => {
    const result = run('scenarios', 'zab', '--check');
    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toHaveLength(5);
  });
});
