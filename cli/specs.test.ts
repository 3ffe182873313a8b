// The registry and the commands over it: every spec in spec/ is registered
// with a `ci` preset first, the parallel search's workers can rebuild each one
// from the registry's module, and the entry points run model-check's command
// line over the real specs with its usual exit codes. (The command line's own
// behaviour is tested on toy specs in model-check/.)

import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CliIo, main } from '../model-check/cli.ts';
import { findSpecIn } from '../model-check/parallel-protocol.ts';
import { SPECS_MODULE, specs } from './specs.ts';

const root = fileURLToPath(new URL('..', import.meta.url));

function command(script: string, ...argv: string[]): { code: number | null; out: string; err: string } {
  const run = spawnSync(process.execPath, ['--import', 'tsx', script, ...argv], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  return { code: run.status, out: run.stdout, err: run.stderr };
}

function inProcess(...argv: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const io: CliIo = { out: (text) => out.push(...text.split('\n')), err: (text) => out.push(...text.split('\n')), progress: false };
  return Promise.resolve(main(argv, specs, io, SPECS_MODULE)).then((code) => ({ code, out }));
}

describe('the registry (cli/specs.ts)', () => {
  it('lists the specs of spec/ once each, in check:all order, each with a ci preset first', () => {
    expect(specs.map((s) => s.name)).toEqual(['paxos', 'raft', 'zab', 'multi-paxos']);
    for (const spec of specs) expect(spec.presets[0]?.name, spec.name).toBe('ci');
  });

  it('lets the parallel search rebuild every spec from its module', async () => {
    for (const spec of specs) expect(await findSpecIn(SPECS_MODULE, spec.name)).toBe(spec);
  });
});

describe('the commands over the registry', () => {
  it('checks a registered spec on one thread and on worker threads', async () => {
    for (const workers of [[], ['--workers', '2']]) {
      const run = await inProcess('paxos', '--states-max', '300', ...workers, '--json');
      // Cut by --states-max: INCOMPLETE, exit 3 (a complete pass is 0).
      expect(run.code).toBe(3);
      expect(JSON.parse(run.out.at(-1)!)).toMatchObject({ spec: 'paxos', preset: 'ci', strategy: 'bfs', complete: false, violations: [] });
    }
  });

  // Raft's Figure 8 from raft.tla's Init, no scripted start (docs/model-checking.md, "Guided simulation"):
  // the seed and budget are the documented command's with fewer walks (seed 1 finds it within 20,000; the
  // documented 100,000 are for any seed), and the correct protocol passes the same walks.
  const figure8 = ['raft', '--preset', 'deep', '--simulate', '100000', '--guided', '--seed', '1', '--depth', '150'];
  // About 7 CPU seconds for both runs; the timeout leaves room for a machine shared with other checks.
  it('finds figure8-commit from Init with coverage-guided walks, with the command to reproduce them', { timeout: 240_000 }, async () => {
    const run = await inProcess(...figure8, '--mutant', 'figure8-commit', '--trace-out', join(mkdtempSync(join(tmpdir(), 'figure8-')), 'trace.json'), '--json');
    expect(run.code).toBe(1);
    const summary = JSON.parse(run.out.at(-1)!) as { strategy: string; violations: { property: string }[]; bounds: Record<string, unknown> };
    expect(summary).toMatchObject({ strategy: 'guided', seed: 1, bounds: { fromFigure8: false, maxTerm: 5 } });
    expect(summary.violations.map((v) => v.property)).toEqual(['LeaderCompleteness']);
    expect(run.out.some((line) => line.includes('--simulate 100000 --guided --seed 1 --depth 150'))).toBe(true);
    const correct = await inProcess(...figure8, '--json');
    expect(correct.code).toBe(0);
    expect(JSON.parse(correct.out.at(-1)!)).toMatchObject({ strategy: 'guided', complete: true, violations: [] });
  });

  it('npm run check -- --list --json prints the registry', () => {
    const run = command('cli/check.ts', '--list', '--json');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.out) as { specs: { name: string }[] }).specs.map((s) => s.name)).toEqual(specs.map((s) => s.name));
  });

  it('npm run check and npm run bench -- check exit 2 on bad usage', () => {
    expect(command('cli/check.ts', 'no-such-spec')).toMatchObject({ code: 2, err: expect.stringContaining("unknown spec 'no-such-spec'; registered: paxos, raft, zab, multi-paxos") });
    expect(command('cli/bench-check.ts', '--fast')).toMatchObject({ code: 2, err: expect.stringContaining('unknown option(s) --fast') });
  });
});
