// The side-by-side benchmark against TLC: its parsers read what the two tools
// really print, its options are validated, its section of docs/benchmarks.md
// is replaced without touching the rest, and, where TLC is installed
// (ZKSPEC_TLC_DIR, or ../shared/tlc next to the repository), the smoke row runs
// both tools and they agree. Without Java or the jar that last test says why
// and the command itself exits 0 with a message (tested too).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type CliIo, main } from '../model-check/cli.ts';
import { UsageError } from '../model-check/cli-options.ts';
import { specs } from './specs.ts';
import { VERSUS_ROWS } from './versus-tlc-rows.ts';
import {
  agreement,
  parseChildTimes,
  parseOursSummary,
  parseTlcSummary,
  parseVersusOptions,
  rowMissing,
  tlcMissing,
  upsertVersusSection,
  VERSUS_HEADING,
  versusMain,
} from './versus-tlc.ts';

const TLC_DIR = process.env.ZKSPEC_TLC_DIR ?? fileURLToPath(new URL('../../shared/tlc', import.meta.url));

// The closing lines of a TLC 2.20 run (../shared/tlc/run.sh paxos-tiny), as printed.
const TLC_CLEAN = [
  'Model checking completed. No error has been found.',
  '  Estimates of the probability that TLC did not check all reachable states',
  '  because two distinct states had the same fingerprint:',
  '  calculated (optimistic):  val = 1.2E-17',
  '28,169,044 states generated, 2,379,781 distinct states found, 0 states left on queue.',
  'The depth of the complete state graph search is 53.',
  'Finished in 08min 48s at (2026-12-07 06:19:29)',
].join('\n');

const TLC_VIOLATION = [
  'Error: Invariant Agreement is violated.',
  '82 states generated, 25 distinct states found, 7 states left on queue.',
  'The depth of the complete state graph search is 9.',
].join('\n');

function capture(): { io: CliIo; out: string[] } {
  const out: string[] = [];
  return { io: { out: (t) => out.push(...t.split('\n')), err: (t) => out.push(...t.split('\n')), progress: false }, out };
}

describe('versus TLC: reading both tools', () => {
  it("reads TLC's counts, with or without thousands separators, and whether it finished clean", () => {
    expect(parseTlcSummary(TLC_CLEAN)).toEqual({ distinct: 2_379_781, generated: 28_169_044, depth: 53, clean: true });
    expect(parseTlcSummary(TLC_VIOLATION)).toEqual({ distinct: 25, generated: 82, depth: 9, clean: false });
    expect(parseTlcSummary('Error: TLC threw an unexpected exception.')).toBeUndefined();
  });

  it("reads our checker's --json line as the command line really prints it, depth in TLC's convention", () => {
    const { io, out } = capture();
    const code = main(['paxos', '--preset', 'tlc', '--acceptors', '1', '--values', '1', '--json'], specs, io);
    expect(code).toBe(0);
    expect(parseOursSummary(out.filter((l) => l !== '').join('\n'))).toEqual({ distinct: 25, generated: 35, depth: 9, clean: true });
    expect(parseOursSummary('not json')).toBeUndefined();
  });

  it("reads the children's CPU time from a real shell's times", () => {
    const r = spawnSync('sh', ['-c', '"$@"; times >&2', 'sh', 'true'], { encoding: 'utf8' });
    const seconds = parseChildTimes(r.stderr);
    expect(seconds).toBeGreaterThanOrEqual(0);
    expect(parseChildTimes('0m1.500000s 0m0.250000s\n1m2.000000s 0m0.500000s')).toBeCloseTo(62.5);
    expect(parseChildTimes('garbage')).toBeUndefined();
  });
});

describe('versus TLC: options, rows and the recorded section', () => {
  it('runs every row but the smoke row by default, and refuses an unknown row', () => {
    const defaults = parseVersusOptions(['--versus-tlc', '/x']);
    expect(defaults.rows.map((r) => r.name)).toEqual(['paxos-tiny', 'paxos', 'raft-fork', 'raft']);
    expect(defaults.pairs).toBe(1);
    expect(parseVersusOptions(['--versus-tlc', '/x', '--rows', 'raft', '--pairs', '3']).rows.map((r) => r.name)).toEqual(['raft']);
    expect(() => parseVersusOptions(['--versus-tlc', '/x', '--rows', 'nope'])).toThrow(UsageError);
    expect(() => parseVersusOptions(['--versus-tlc', '/x', '--pairs', '0'])).toThrow(UsageError);
    expect(() => parseVersusOptions(['--versus-tlc', '/x', '--workers', '2'])).toThrow(/unknown option/);
  });

  it('says which files of a row are missing and where they come from', () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'versus-'));
    const fork = VERSUS_ROWS.find((r) => r.name === 'raft-fork')!;
    expect(rowMissing(empty, fork)).toMatch(/raft-fork\/raft\.tla, raft-fork\/raft\.cfg missing .* granular-storage\/raft\.tla at 64daec5/);
    expect(tlcMissing(empty)).toMatch(/tla2tools\.jar not found/);
  });

  it('exits 0 with a message when TLC cannot run, so a machine without it stays green', async () => {
    const { io, out } = capture();
    expect(await versusMain(['--versus-tlc', mkdtempSync(path.join(tmpdir(), 'versus-'))], io)).toBe(0);
    expect(out.join('\n')).toMatch(/versus TLC skipped: .*tla2tools\.jar not found/);
  });

  it('agrees only when both tools find the row\'s distinct count and depth, clean', () => {
    const row = VERSUS_ROWS.find((r) => r.name === 'paxos-1')!;
    const c = { distinct: 25, generated: 35, depth: 9, clean: true };
    expect(agreement(row, { ...c, generated: 82 }, c)).toEqual({ agree: true, text: 'distinct yes, generated no, depth yes' });
    expect(agreement(row, { ...c, distinct: 24 }, c).agree).toBe(false);
    expect(agreement(row, c, { ...c, depth: 8 }).agree).toBe(false);
    expect(agreement(row, { ...c, clean: false }, c).agree).toBe(false);
    expect(agreement(row, undefined, c).text).toBe('incomplete');
  });

  it('replaces its own section of docs/benchmarks.md and leaves the others alone', () => {
    const before = ['# Benchmarks', '', '## Server', 'server rows', '', VERSUS_HEADING, '', 'old table', '', '## Model checker: paxos', 'paxos rows', ''].join('\n');
    const after = upsertVersusSection(before, ['new table']);
    expect(after).toContain('## Server\nserver rows');
    expect(after).toContain(`${VERSUS_HEADING}\n\nnew table\n\n## Model checker: paxos\npaxos rows`);
    expect(after).not.toContain('old table');
    expect(upsertVersusSection('# Benchmarks\n', ['t'])).toBe(`# Benchmarks\n\n${VERSUS_HEADING}\n\nt\n`);
  });
});

const missing = tlcMissing(TLC_DIR);
if (missing !== undefined) console.warn(`versus TLC end-to-end test will not run: ${missing} (set ZKSPEC_TLC_DIR to a folder like ../shared/tlc)`);

describe.skipIf(missing !== undefined)('versus TLC: both tools on the smoke row', () => {
  it('runs TLC and ours on MCPaxos (25 states), they agree, and --record writes the table', async () => {
    const { io, out } = capture();
    const benchmarks = path.join(mkdtempSync(path.join(tmpdir(), 'versus-')), 'benchmarks.md');
    writeFileSync(benchmarks, '# Benchmarks\n');
    const code = await versusMain(['--versus-tlc', TLC_DIR, '--rows', 'paxos-1', '--timeout', '300', '--record'], io, benchmarks);
    expect(out.join('\n')).toMatch(/paxos-1 +TLC +25 \/ 82 \/ 9/);
    expect(out.join('\n')).toMatch(/paxos-1 +ours 25 \/ 35 \/ 9/);
    expect(code).toBe(0);
    expect(readFileSync(benchmarks, 'utf8')).toMatch(/\| paxos-1 \| .* \| 25 \/ 82 \/ 9 \| 25 \/ 35 \/ 9 \| distinct yes, generated no, depth yes \|/);
  }, 300_000);
});
