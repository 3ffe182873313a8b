// The command line's disk options (--spill, --memory, --checkpoint,
// --checkpoint-every, --recover), in process against the toy-counters spec.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lastJson, runCli } from './cli-testing.ts';
import { toyCountersSpec } from './toys.ts';

const run = (...argv: string[]) => runCli([toyCountersSpec], argv);

const directories: string[] = [];
function scratch(): string {
  const directory = mkdtempSync(join(tmpdir(), 'cli-disk-'));
  directories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

const pick = (json: Record<string, unknown>) => ({
  complete: json['complete'],
  distinctStates: json['distinctStates'],
  generatedStates: json['generatedStates'],
  maxDepth: json['maxDepth'],
  sometimes: json['sometimes'],
});

describe('npm run check -- <spec> with the disk options', () => {
  // 4 counters of 12: 20,736 states, 1 + 4 * 11 * 12^3 = 76,033 generated, depth 44.
  const bounds = ['--k', '4', '--m', '12'];
  const whole = { complete: true, distinctStates: 20_736, generatedStates: 76_033, maxDepth: 44, sometimes: [{ property: 'AllAtTop', reached: true }] };

  it('--spill gives the in-memory counts and reports memory per state with the disk used', () => {
    expect(pick(lastJson(run('toy-counters', ...bounds, '--json')))).toEqual(whole);
    const spilled = run('toy-counters', ...bounds, '--spill', scratch(), '--memory', '16', '--json');
    expect(spilled.code).toBe(0);
    const json = lastJson(spilled);
    expect(pick(json)).toEqual(whole);
    expect(json['memory']).toMatchObject({ bytesPerState: expect.any(Number), diskPeakBytes: expect.any(Number) });
    expect(spilled.out.some((line) => /^ {2}memory {12}\d+ bytes\/state/.test(line))).toBe(true);
  });

  it('--checkpoint with --states-max, then --recover, ends with the uninterrupted counts', () => {
    const directory = scratch();
    const cut = run('toy-counters', ...bounds, '--checkpoint', directory, '--states-max', '5000', '--json');
    expect(lastJson(cut)['complete']).toBe(false);
    const recovered = run('toy-counters', ...bounds, '--recover', directory, '--json');
    expect(recovered.code).toBe(0);
    expect(pick(lastJson(recovered))).toEqual(whole);
  });

  it('refuses to recover a checkpoint of other bounds, with exit code 2 and both runs named', () => {
    const directory = scratch();
    run('toy-counters', ...bounds, '--checkpoint', directory, '--states-max', '1000');
    const other = run('toy-counters', '--k', '4', '--m', '13', '--recover', directory);
    expect(other.code).toBe(2);
    expect(other.err[0]).toMatch(/--recover: the checkpoint in .* is of another run \(bounds.m: 12 -> 13\): it holds .*"m":12.* this run is .*"m":13/);
  });

  it('rejects disk options with another strategy, and --memory or --checkpoint-every alone', () => {
    expect(run('toy-counters', '--dfs', '--spill', scratch()).err[0]).toMatch(/breadth-first search on one thread only/);
    expect(run('toy-counters', '--memory', '100').err[0]).toMatch(/--memory only applies with --spill/);
    expect(run('toy-counters', '--checkpoint-every', '5').err[0]).toMatch(/--checkpoint-every only applies with --checkpoint/);
    expect(run('toy-counters', '--recover', scratch()).err[0]).toMatch(/--recover: no checkpoint in/);
  });
});
