// `npm run bench -- check --versus-tlc DIR [--rows a,b] [--pairs N]
// [--timeout S] [--heap-mb M] [--record]`: TLC and our checker on the very
// same state spaces (versus-tlc-rows.ts), one worker each, interleaved (TLC
// then ours, then ours then TLC on the next pair, so drift in the machine's
// load falls on both), each run a child process timed by its wall clock and
// by the CPU time the shell's `times` reports for it (every thread, the JVM's
// compiler and collector included). DIR holds tla2tools.jar, lib/ and one
// folder per row, as ../shared/tlc/ does. Without Java or the jar the command
// says so and exits 0: a machine without TLC still gets a green run.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { BENCHMARKS_PATH, machine } from '../model-check/bench.ts';
import type { CliIo } from '../model-check/cli.ts';
import { tokenize, UsageError } from '../model-check/cli-options.ts';
import { VERSUS_ROWS, type VersusRow } from './versus-tlc-rows.ts';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));

export const VERSUS_USAGE =
  'usage: npm run bench -- check --versus-tlc DIR [--rows NAME,...] [--pairs N] [--timeout SECONDS] [--heap-mb MB] [--record]\n' +
  `  rows: ${VERSUS_ROWS.map((r) => r.name).join(', ')} (default: every row but paxos-1)`;

/** What one checker reported, in TLC's conventions (depth counts states, so ours is one more than our action count). */
export interface Counts {
  readonly distinct: number;
  readonly generated: number;
  readonly depth: number;
  /** False when the checker reported a violation or an error, or did not finish. */
  readonly clean: boolean;
}

export interface Run {
  readonly tool: 'TLC' | 'ours';
  readonly counts: Counts | undefined;
  readonly wallSeconds: number;
  readonly cpuSeconds: number | undefined;
  readonly exitCode: number | null;
  readonly timedOut: boolean;
}

const integer = (text: string): number => Number(text.replaceAll(',', ''));

/** TLC's closing lines: "N states generated, M distinct states found, 0 states left on queue." and the depth. */
export function parseTlcSummary(stdout: string): Counts | undefined {
  const states = /([\d,]+) states generated, ([\d,]+) distinct states found, ([\d,]+) states left on queue/.exec(stdout);
  const depth = /The depth of the complete state graph search is ([\d,]+)/.exec(stdout);
  if (states === null || depth === null) return undefined;
  const clean = /Model checking completed\. No error has been found\./.test(stdout) && integer(states[3]!) === 0;
  return { generated: integer(states[1]!), distinct: integer(states[2]!), depth: integer(depth[1]!), clean };
}

const oursSummarySchema = z.object({
  complete: z.boolean(),
  distinctStates: z.number().int().nonnegative(),
  generatedStates: z.number().int().nonnegative(),
  maxDepth: z.number().int().nonnegative(),
  violations: z.array(z.unknown()),
});

/** Our checker's `--json` line (the last line on stdout), in TLC's depth convention. */
export function parseOursSummary(stdout: string): Counts | undefined {
  const last = stdout.trimEnd().split('\n').at(-1) ?? '';
  let json: unknown;
  try {
    json = JSON.parse(last);
  } catch {
    return undefined;
  }
  const parsed = oursSummarySchema.safeParse(json);
  if (!parsed.success) return undefined;
  const s = parsed.data;
  return { distinct: s.distinctStates, generated: s.generatedStates, depth: s.maxDepth + 1, clean: s.complete && s.violations.length === 0 };
}

/** The children's user and system time from a POSIX shell's `times` (its second line), in seconds. */
export function parseChildTimes(stderr: string): number | undefined {
  const lines = stderr.trimEnd().split('\n');
  const match = /^(\d+)m([\d.]+)s\s+(\d+)m([\d.]+)s$/.exec(lines.at(-1)?.trim() ?? '');
  if (match === null) return undefined;
  return Number(match[1]) * 60 + Number(match[2]) + Number(match[3]) * 60 + Number(match[4]);
}

interface Spawned {
  readonly stdout: string;
  readonly stderr: string;
  readonly exitCode: number | null;
  readonly wallSeconds: number;
  readonly cpuSeconds: number | undefined;
  readonly timedOut: boolean;
}

/** Runs `command` under sh so that `times` can report its CPU time; kills its whole process group after `timeoutSeconds`. */
function timed(command: string, args: readonly string[], cwd: string, timeoutSeconds: number): Promise<Spawned> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn('sh', ['-c', '"$@"; rc=$?; times >&2; exit $rc', 'sh', command, ...args], { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    }, timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolve({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr,
        exitCode: code,
        wallSeconds: (performance.now() - start) / 1000,
        cpuSeconds: timedOut ? undefined : parseChildTimes(stderr),
        timedOut,
      });
    });
  });
}

async function runTlc(dir: string, row: VersusRow, timeoutSeconds: number): Promise<Run> {
  const metadir = mkdtempSync(path.join(os.tmpdir(), 'tlc-states-'));
  try {
    const args = ['-XX:+UseParallelGC', `-DTLA-Library=${path.join(dir, 'lib')}`, '-cp', path.join(dir, 'tla2tools.jar'), 'tlc2.TLC'];
    args.push('-workers', '1', '-metadir', metadir, '-noGenerateSpecTE', '-config', row.tlc.config, row.tlc.module);
    const r = await timed('java', args, path.join(dir, row.tlc.folder), timeoutSeconds);
    return { tool: 'TLC', counts: parseTlcSummary(r.stdout), wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, exitCode: r.exitCode, timedOut: r.timedOut };
  } finally {
    rmSync(metadir, { recursive: true, force: true });
  }
}

async function runOurs(row: VersusRow, heapMb: number, timeoutSeconds: number): Promise<Run> {
  const args = [`--max-old-space-size=${heapMb}`, '--import', 'tsx', 'cli/check.ts', ...row.ours, '--json', '--trace-out', path.join(os.tmpdir(), `versus-tlc-${row.name}.json`)];
  const r = await timed(process.execPath, args, REPO_ROOT, timeoutSeconds);
  return { tool: 'ours', counts: parseOursSummary(r.stdout), wallSeconds: r.wallSeconds, cpuSeconds: r.cpuSeconds, exitCode: r.exitCode, timedOut: r.timedOut };
}

const optionsSchema = z.strictObject(
  {
    'versus-tlc': z.string({ error: '--versus-tlc needs the folder holding tla2tools.jar and the models' }),
    rows: z.string({ error: '--rows needs a comma-separated list' }).optional(),
    pairs: z.string().regex(/^[1-9]\d*$/, '--pairs must be a positive integer').transform(Number).optional(),
    timeout: z.string().regex(/^[1-9]\d*$/, '--timeout must be a positive number of seconds').transform(Number).optional(),
    'heap-mb': z.string().regex(/^[1-9]\d*$/, '--heap-mb must be a positive integer').transform(Number).optional(),
    record: z.literal(true, { error: '--record takes no value' }).optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown option(s) ${issue.keys.map((k) => `--${k}`).join(', ')}` : undefined) },
);

export interface VersusOptions {
  readonly dir: string;
  readonly rows: readonly VersusRow[];
  readonly pairs: number;
  readonly timeoutSeconds: number;
  readonly heapMb: number;
  readonly record: boolean;
}

export function parseVersusOptions(argv: readonly string[]): VersusOptions {
  const tokens = tokenize(argv);
  if (tokens.positionals.length > 0) throw new UsageError(`unexpected argument(s): ${tokens.positionals.join(' ')}`);
  const parsed = optionsSchema.safeParse(Object.fromEntries(tokens.options));
  if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => issue.message).join('; '));
  const o = parsed.data;
  const names = o.rows === undefined ? VERSUS_ROWS.filter((r) => r.byDefault).map((r) => r.name) : o.rows.split(',').filter((n) => n !== '');
  const rows = names.map((name) => {
    const row = VERSUS_ROWS.find((r) => r.name === name);
    if (row === undefined) throw new UsageError(`unknown row '${name}'; rows: ${VERSUS_ROWS.map((r) => r.name).join(', ')}`);
    return row;
  });
  if (rows.length === 0) throw new UsageError('--rows names no row');
  return { dir: path.resolve(o['versus-tlc']), rows, pairs: o.pairs ?? 1, timeoutSeconds: o.timeout ?? 3600, heapMb: o['heap-mb'] ?? 16_000, record: o.record === true };
}

/** Why TLC cannot run here, or undefined when it can. */
export function tlcMissing(dir: string): string | undefined {
  if (!existsSync(path.join(dir, 'tla2tools.jar'))) return `${path.join(dir, 'tla2tools.jar')} not found`;
  const java = spawnSync('java', ['-version'], { stdio: 'ignore' });
  if (java.error !== undefined || java.status !== 0) return 'java not found (apt-get install default-jre-headless)';
  return undefined;
}

/** The files of `row` missing under `dir`, with where to get them, or undefined. */
export function rowMissing(dir: string, row: VersusRow): string | undefined {
  const missing = row.tlc.files.filter((f) => !existsSync(path.join(dir, row.tlc.folder, f)));
  if (missing.length === 0) return undefined;
  return `${missing.map((f) => path.join(row.tlc.folder, f)).join(', ')} missing under ${dir}; from ${row.tlc.source}`;
}

export interface RowResult {
  readonly row: VersusRow;
  /** Every run of the row, in the order they ran (pairs of TLC and ours). */
  readonly runs: readonly Run[];
}

const median = (values: readonly number[]): number | undefined => {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};

interface ToolSummary {
  readonly counts: Counts | undefined;
  readonly wall: number | undefined;
  readonly cpu: number | undefined;
  readonly finished: number;
  readonly runs: number;
}

function summarise(runs: readonly Run[], tool: Run['tool']): ToolSummary {
  const mine = runs.filter((r) => r.tool === tool);
  const finished = mine.filter((r) => !r.timedOut && r.counts !== undefined);
  return {
    counts: finished[0]?.counts,
    wall: median(finished.map((r) => r.wallSeconds)),
    cpu: median(finished.flatMap((r) => (r.cpuSeconds === undefined ? [] : [r.cpuSeconds]))),
    finished: finished.length,
    runs: mine.length,
  };
}

const fmt = (n: number | undefined, digits = 1): string => (n === undefined ? '-' : n.toFixed(digits));
const counts = (c: Counts | undefined): string => (c === undefined ? 'did not finish' : `${c.distinct.toLocaleString('en-US')} / ${c.generated.toLocaleString('en-US')} / ${c.depth}`);
const ratio = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined || b === 0 ? '-' : `${(a / b).toFixed(1)}x`);

/** Whether both tools found the row's distinct count and the same depth; generated states are compared but may differ by convention. */
export function agreement(row: VersusRow, tlc: Counts | undefined, ours: Counts | undefined): { readonly agree: boolean; readonly text: string } {
  if (tlc === undefined || ours === undefined) return { agree: false, text: 'incomplete' };
  const parts = [
    `distinct ${tlc.distinct === ours.distinct && ours.distinct === row.distinct ? 'yes' : 'NO'}`,
    `generated ${tlc.generated === ours.generated ? 'yes' : 'no'}`,
    `depth ${tlc.depth === ours.depth ? 'yes' : 'NO'}`,
  ];
  const agree = tlc.distinct === ours.distinct && ours.distinct === row.distinct && tlc.depth === ours.depth && tlc.clean && ours.clean;
  return { agree, text: parts.join(', ') + (tlc.clean && ours.clean ? '' : ', a violation or error reported') };
}

export const VERSUS_HEADER = [
  '| row | state space | TLC distinct / generated / depth | ours distinct / generated / depth | agree | TLC wall s | ours wall s | TLC ÷ ours, wall | TLC CPU s | ours CPU s | TLC ÷ ours, CPU |',
  '|---|---|---|---|---|---:|---:|---:|---:|---:|---:|',
];

export function formatVersusRow(result: RowResult): string {
  const tlc = summarise(result.runs, 'TLC');
  const ours = summarise(result.runs, 'ours');
  const unfinished = (s: ToolSummary): string => (s.finished < s.runs ? ` (${s.runs - s.finished} of ${s.runs} runs unfinished)` : '');
  return [
    `| ${result.row.name}`,
    result.row.description,
    counts(tlc.counts) + unfinished(tlc),
    counts(ours.counts) + unfinished(ours),
    agreement(result.row, tlc.counts, ours.counts).text,
    fmt(tlc.wall),
    fmt(ours.wall),
    ratio(tlc.wall, ours.wall),
    fmt(tlc.cpu),
    fmt(ours.cpu),
    `${ratio(tlc.cpu, ours.cpu)} |`,
  ].join(' | ');
}

export const VERSUS_HEADING = '## Model checker versus TLC';

/** Replaces (or appends) the `## Model checker versus TLC` section of `markdown` with `body`; the rest is unchanged. */
export function upsertVersusSection(markdown: string, body: readonly string[]): string {
  const lines = markdown.length === 0 ? ['# Benchmarks', ''] : markdown.replace(/\n$/, '').split('\n');
  const start = lines.indexOf(VERSUS_HEADING);
  const section = [VERSUS_HEADING, '', ...body, ''];
  if (start < 0) {
    if (lines.at(-1) !== '') lines.push('');
    return `${[...lines, ...section].join('\n').replace(/\n+$/, '')}\n`;
  }
  let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  if (end < 0) end = lines.length;
  return `${[...lines.slice(0, start), ...section, ...lines.slice(end)].join('\n').replace(/\n+$/, '')}\n`;
}

function describeRun(row: VersusRow, run: Run): string {
  const state = run.timedOut ? 'timed out' : run.counts === undefined ? `no summary (exit ${run.exitCode})` : counts(run.counts);
  return `  ${row.name.padEnd(10)} ${run.tool.padEnd(4)} ${state}; wall ${fmt(run.wallSeconds)} s, CPU ${fmt(run.cpuSeconds)} s`;
}

/** Runs the rows, interleaved pair by pair; prints each run as it ends and the table at the end. */
export async function versusMain(argv: readonly string[], io: CliIo, benchmarksPath = BENCHMARKS_PATH): Promise<number> {
  let options: VersusOptions;
  try {
    options = parseVersusOptions(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`error: ${error.message}`);
    io.err(VERSUS_USAGE);
    return 2;
  }
  const missing = tlcMissing(options.dir);
  if (missing !== undefined) {
    io.out(`versus TLC skipped: ${missing}`);
    return 0;
  }
  const rows = options.rows.filter((row) => {
    const why = rowMissing(options.dir, row);
    if (why !== undefined) io.out(`row ${row.name} skipped: ${why}`);
    return why === undefined;
  });
  const results = rows.map((row) => ({ row, runs: [] as Run[] }));
  for (let pair = 0; pair < options.pairs; pair++) {
    for (const result of results) {
      const order = pair % 2 === 0 ? (['TLC', 'ours'] as const) : (['ours', 'TLC'] as const);
      for (const tool of order) {
        const run = tool === 'TLC' ? await runTlc(options.dir, result.row, options.timeoutSeconds) : await runOurs(result.row, options.heapMb, options.timeoutSeconds);
        result.runs.push(run);
        io.out(describeRun(result.row, run));
      }
    }
  }
  const host = machine();
  const body = [
    `TLC (one worker, \`-XX:+UseParallelGC\`) and ours (one worker) on the same state spaces, ${options.pairs} interleaved pair(s) per row, medians;`,
    'depth as TLC counts it (states on the longest shortest path: our actions + 1). CPU is every thread of the process (the JVM\'s compiler and collector too).',
    `Command: \`npm run bench -- check --versus-tlc DIR --pairs ${options.pairs}${options.rows.length === VERSUS_ROWS.filter((r) => r.byDefault).length ? '' : ` --rows ${options.rows.map((r) => r.name).join(',')}`} --record\`.`,
    `Machine: ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB, node ${host.node}, ${host.platform}; load ${host.loadAverage} at the end; ${new Date().toISOString().slice(0, 10)}.`,
    '',
    ...VERSUS_HEADER,
    ...results.map(formatVersusRow),
  ];
  io.out('');
  for (const line of body.slice(body.indexOf(VERSUS_HEADER[0]!))) io.out(line);
  if (options.record) {
    const markdown = existsSync(benchmarksPath) ? readFileSync(benchmarksPath, 'utf8') : '';
    writeFileSync(benchmarksPath, upsertVersusSection(markdown, body));
    io.out(`recorded in ${benchmarksPath}`);
  }
  const allAgree = results.every((r) => agreement(r.row, summarise(r.runs, 'TLC').counts, summarise(r.runs, 'ours').counts).agree);
  return allAgree ? 0 : 1;
}
