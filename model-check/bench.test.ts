// The benchmark: runs within its time budget and records one row per preset
// in its own section of docs/benchmarks.md, leaving other sections alone.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main, upsertBenchmarkRow, type BenchmarkRow } from './bench.ts';
import type { CheckReport } from './check.ts';
import type { CliIo } from './cli.ts';
import { toyClockSpec, toyCrewSpec } from './toys.ts';

const report = (distinctStates: number): CheckReport => ({
  strategy: 'bfs',
  complete: true,
  distinctStates,
  generatedStates: 2 * distinctStates,
  maxDepth: 9,
  durationMs: 2000,
  statesPerSecond: distinctStates / 2,
  violations: [],
  sometimes: [],
  fingerprintBytes: distinctStates * 16,
});
const machine = { cpu: 'Test CPU', cores: 2, memoryGb: 8, node: 'v20.0.0', platform: 'linux', loadAverage: 0.5 };
const row = (preset: string, distinct: number): BenchmarkRow => ({ preset, cpuSeconds: 4, bounds: 'n=3', report: report(distinct), machine, date: '2025-01-01' });

describe('upsertBenchmarkRow', () => {
  it('creates the section, replaces the row of the same preset, keeps other sections', () => {
    const others = '# Benchmarks\n\n## Server: throughput\n\nsome figures\n';
    let markdown = upsertBenchmarkRow(others, 'paxos', row('bench', 1000));
    expect(markdown.startsWith(others.trimEnd())).toBe(true);
    expect(markdown).toContain('## Model checker: paxos');
    expect(markdown).toContain('| bench | n=3 | yes | 1000 | 2000 | 9 | 2.0 | 500 | 4.0 | 250 | 16.0 | Test CPU, 2 cores, 8 GB | 0.5 | v20.0.0 | 2025-01-01 |');

    markdown = upsertBenchmarkRow(markdown, 'raft', row('bench', 7));
    markdown = upsertBenchmarkRow(markdown, 'paxos', row('bench', 3000));
    markdown = upsertBenchmarkRow(markdown, 'paxos', row('ci', 10));
    expect(markdown).not.toContain('| bench | n=3 | yes | 1000 |');
    const paxos = markdown.slice(markdown.indexOf('## Model checker: paxos'), markdown.indexOf('## Model checker: raft'));
    expect(paxos.split('\n').filter((line) => /^\| (bench|ci) \|/.test(line))).toEqual([
      expect.stringContaining('| bench | n=3 | yes | 3000 |'),
      expect.stringContaining('| ci | n=3 | yes | 10 |'),
    ]);
    expect(markdown).toContain('## Server: throughput\n\nsome figures\n');
    expect(markdown).toContain('| bench | n=3 | yes | 7 |');
  });
});

describe('npm run bench -- check', () => {
  const io = (out: string[]): CliIo => ({ out: (t) => out.push(...t.split('\n')), err: (t) => out.push(...t.split('\n')), progress: false });

  it('runs the largest preset for at most --seconds and records the figures', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bench-')), 'benchmarks.md');
    writeFileSync(path, '# Benchmarks\n\n## Other: kept\n');
    const out: string[] = [];
    expect(await main(['--spec', 'toy-clock', '--seconds', '0.5', '--record'], [toyClockSpec], io(out), path)).toBe(0);
    expect(out[0]).toBe('model checker benchmark: toy-clock, preset big (n=30 withSometimes=true), BFS, budget 0.5 s');
    expect(out).toContain('  distinct states     961');
    expect(out.some((line) => line.startsWith('  machine '))).toBe(true);
    const markdown = readFileSync(path, 'utf8');
    expect(markdown).toContain('## Other: kept');
    expect(markdown).toMatch(/\| big \| n=30 withSometimes=true \| yes \| 961 \| 1861 \| 60 \|/);
  });

  it('runs the parallel search with --workers and records it as its own row', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bench-')), 'benchmarks.md');
    const out: string[] = [];
    const toys = new URL('./toys.ts', import.meta.url).href;
    expect(await main(['--spec', 'toy-clock', '--workers', '2', '--record'], [toyClockSpec], io(out), path, toys)).toBe(0);
    expect(out[0]).toBe('model checker benchmark: toy-clock, preset big (n=30 withSometimes=true), BFS on 2 workers, budget 30 s');
    expect(out).toContain('  distinct states     961');
    expect(readFileSync(path, 'utf8')).toMatch(/\| big \(2 workers\) \| n=30 withSometimes=true \| yes \| 961 \| 1861 \| 60 \|/);
  });

  it('with --ci runs every spec at each of its ci presets and says which meet the rate goal', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bench-')), 'benchmarks.md');
    const out: string[] = [];
    expect(await main(['--ci', '--record'], [toyClockSpec, toyCrewSpec], io(out), path)).toBe(0);
    expect(out.filter((line) => line.startsWith('model checker benchmark: '))).toEqual([
      'model checker benchmark: toy-clock, preset ci (n=3 withSometimes=true), BFS, budget 30 s',
      expect.stringMatching(/^model checker benchmark: toy-crew, preset ci \(/),
    ]);
    const summary = out.slice(out.indexOf("every ci preset, distinct states per CPU-second (issue #11's goal: 100,000 on each):") + 1);
    expect(summary.map((line) => line.trim().split(/\s+/)[0])).toEqual(['toy-clock/ci', 'toy-crew/ci']);
    expect(summary.every((line) => / (meets|below) 100000$/.test(line))).toBe(true);
    const markdown = readFileSync(path, 'utf8');
    expect(markdown).toContain('## Model checker: toy-clock');
    expect(markdown).toContain('## Model checker: toy-crew');
    expect(await main(['--ci', '--spec', 'toy-clock'], [toyClockSpec], io(out), path)).toBe(2);
  });

  it('exits 2 on bad arguments', async () => {
    const out: string[] = [];
    expect(await main(['--seconds', 'soon'], [toyClockSpec], io(out))).toBe(2);
    expect(out[0]).toBe('error: --seconds must be a positive number');
    expect(await main(['--fast'], [toyClockSpec], io(out))).toBe(2);
    expect(out.some((line) => line.includes('unknown option(s) --fast'))).toBe(true);
  });
});
