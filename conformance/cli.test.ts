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

  it('scenarios --check: the committed scenario files are current (exit 0)', () => {
    const result = run('scenarios', 'zab', '--check');
    expect(result.code).toBe(0);
    expect(result.out.split('\n')).toHaveLength(5);
  });
});
