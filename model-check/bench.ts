// The checker's benchmark (`npm run bench -- check [--spec paxos]
// [--preset NAME] [--seconds 30] [--record]`): breadth-first search on one
// spec at a preset large enough to keep it busy (the spec's `bench` preset if
// it has one, else its last and largest), stopped after --seconds, so the
// figure is a steady-state rate rather than start-up. Prints distinct and
// generated states, duration, distinct states per second, the fingerprint
// set's bytes per state, and the machine; --workers N uses the parallel search
// (parallel.ts) instead; --ci runs every spec at each of its ci presets and
// says which meet issue #11's 100,000 distinct states per CPU-second; --record keeps the figures in
// docs/benchmarks.md under `## Model checker: <spec>`, one table row per
// preset, leaving every other section of that file alone.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { assert } from '../lib/assert.ts';
import { check, type CheckReport } from './check.ts';
import { type CliIo, processIo } from './cli.ts';
import { findSpec, presetBounds, tokenize, UsageError } from './cli-options.ts';
import { ciPresets } from './check-all.ts';
import type { Preset, SpecDefinition } from './model.ts';
import { formatBounds } from './report.ts';

export const BENCHMARKS_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const USAGE = 'usage: npm run bench -- check [--spec NAME] [--preset NAME | --ci] [--seconds S] [--workers N] [--record]';

const argsSchema = z.strictObject(
  {
    spec: z.string({ error: '--spec needs a value' }).optional(),
    preset: z.string({ error: '--preset needs a value' }).optional(),
    seconds: z
      .string({ error: '--seconds needs a value' })
      .regex(/^\d+(\.\d+)?$/, '--seconds must be a positive number')
      .transform(Number)
      .refine((s) => s > 0, '--seconds must be a positive number')
      .optional(),
    record: z.literal(true, { error: '--record takes no value' }).optional(),
    ci: z.literal(true, { error: '--ci takes no value' }).optional(),
    workers: z
      .string({ error: '--workers needs a value' })
      .regex(/^\d+$/, '--workers must be an integer between 1 and 64')
      .transform(Number)
      .refine((n) => n >= 1 && n <= 64, '--workers must be an integer between 1 and 64')
      .optional(),
  },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? `unknown option(s) ${issue.keys.map((k) => `--${k}`).join(', ')}; allowed: --spec, --preset, --ci, --seconds, --record, --workers` : undefined) },
);

export interface Machine {
  readonly cpu: string;
  readonly cores: number;
  readonly memoryGb: number;
  readonly node: string;
  readonly platform: string;
  /** The 1-minute load average when the run ended: other processes sharing the cores skew the rate. */
  readonly loadAverage: number;
}

export function machine(): Machine {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: Math.round(os.loadavg()[0]! * 10) / 10,
  };
}

export interface BenchmarkRow {
  readonly preset: string;
  /** Process CPU time of the run (user + system, all threads). */
  readonly cpuSeconds: number;
  readonly bounds: string;
  readonly report: CheckReport;
  readonly machine: Machine;
  readonly date: string;
}

const TABLE_HEADER = [
  '| preset | bounds | complete | distinct states | generated states | depth | duration s | distinct states/s | CPU s | distinct states/CPU-s | fingerprint set bytes/state | machine | load | node | date |',
  '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---|---|',
];

function formatRow(row: BenchmarkRow): string {
  const r = row.report;
  const bytesPerState = r.distinctStates > 0 && r.fingerprintBytes !== undefined ? (r.fingerprintBytes / r.distinctStates).toFixed(1) : '-';
  const m = row.machine;
  return `| ${row.preset} | ${row.bounds} | ${r.complete ? 'yes' : 'no (time)'} | ${r.distinctStates} | ${r.generatedStates} | ${r.maxDepth} | ${(r.durationMs / 1000).toFixed(1)} | ${r.statesPerSecond} | ${row.cpuSeconds.toFixed(1)} | ${row.cpuSeconds > 0 ? Math.round(r.distinctStates / row.cpuSeconds) : '-'} | ${bytesPerState} | ${m.cpu}, ${m.cores} cores, ${m.memoryGb} GB | ${m.loadAverage} | ${m.node} | ${row.date} |`;
}

/**
 * Puts `row` into the `## Model checker: <spec>` section of `markdown`
 * (replacing the row of the same preset), creating the section at the end if
 * needed. Text outside that section is returned unchanged.
 */
export function upsertBenchmarkRow(markdown: string, spec: string, row: BenchmarkRow): string {
  const heading = `## Model checker: ${spec}`;
  const lines = markdown.length === 0 ? ['# Benchmarks', ''] : markdown.replace(/\n$/, '').split('\n');
  let start = lines.indexOf(heading);
  if (start < 0) {
    if (lines.at(-1) !== '') lines.push('');
    lines.push(
      heading,
      '',
      `Breadth-first search, one core, stopped after the time budget: \`npm run bench -- check --spec ${spec} --record\`.`,
      'The rate per CPU-second does not depend on other processes sharing the cores; the load column says how busy they were.',
      'Fingerprint set bytes/state counts the open-addressing table only (8 bytes per slot at a load of 0.3 to 0.6);',
      'the search adds 8 bytes per state (parent and action) plus the state objects of the frontier.',
      '',
      ...TABLE_HEADER,
    );
    start = lines.indexOf(heading);
  }
  let end = lines.findIndex((line, i) => i > start && line.startsWith('## '));
  if (end < 0) end = lines.length;
  const section = lines.slice(start, end);
  const formatted = formatRow(row);
  const existing = section.findIndex((line) => line.startsWith(`| ${row.preset} |`));
  if (existing >= 0) {
    section[existing] = formatted;
  } else {
    let lastTableLine = section.length - 1;
    while (lastTableLine > 0 && !section[lastTableLine]!.startsWith('|')) lastTableLine--;
    section.splice(lastTableLine + 1, 0, formatted);
  }
  return `${[...lines.slice(0, start), ...section, ...lines.slice(end)].join('\n')}\n`;
}

/** Runs the benchmark over `registry` (cli/bench-check.ts passes cli/specs.ts); `registryModule` is for --workers (see cli.ts's main). */
export async function main(
  argv: readonly string[],
  registry: readonly SpecDefinition[],
  io: CliIo = processIo,
  benchmarksPath = BENCHMARKS_PATH,
  registryModule?: string,
): Promise<number> {
  try {
    const tokens = tokenize(argv);
    if (tokens.positionals.length > 0) throw new UsageError(`unexpected argument(s): ${tokens.positionals.join(' ')}`);
    const parsed = argsSchema.safeParse(Object.fromEntries(tokens.options));
    if (!parsed.success) throw new UsageError(parsed.error.issues.map((issue) => issue.message).join('; '));
    const args = parsed.data;
    const names = registry.map((s) => s.name);
    if (registry.length === 0) throw new UsageError('no specs registered in cli/specs.ts');
    if (args.ci === true) {
      if (args.spec !== undefined || args.preset !== undefined) throw new UsageError('--ci runs every spec at its ci presets; drop --spec and --preset');
      return await benchEveryCiPreset(registry, args, io, benchmarksPath, registryModule);
    }
    const specName = args.spec ?? (names.includes('paxos') ? 'paxos' : names[0]!);
    const spec = findSpec(specName, registry);
    if (spec === undefined) throw new UsageError(`unknown spec '${specName}'; registered: ${names.join(', ')}`);
    const preset =
      args.preset === undefined
        ? (spec.presets.find((p) => p.name === 'bench') ?? spec.presets.at(-1))
        : spec.presets.find((p) => p.name === args.preset);
    if (preset === undefined) throw new UsageError(`unknown preset '${args.preset}' for ${spec.name}; presets: ${spec.presets.map((p) => p.name).join(', ')}`);
    await benchOne(spec, preset, args, io, benchmarksPath, registryModule);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`error: ${error.message}`);
      io.err(USAGE);
      return 2;
    }
    throw error;
  }
}

type BenchArgs = z.infer<typeof argsSchema>;

/** The distinct states per CPU-second issue #11 asks of every spec's ci preset. */
const CI_RATE_GOAL = 100_000;

/** --ci: every spec at each of its ci presets (check-all.ts's ciPresets), then one line per row against the goal. */
async function benchEveryCiPreset(registry: readonly SpecDefinition[], args: BenchArgs, io: CliIo, benchmarksPath: string, registryModule: string | undefined): Promise<number> {
  const rows: string[] = [];
  for (const spec of registry) {
    for (const preset of ciPresets(spec)) {
      const { report, statesPerCpuSecond } = await benchOne(spec, preset, args, io, benchmarksPath, registryModule);
      const verdict = statesPerCpuSecond >= CI_RATE_GOAL ? 'meets' : 'below';
      rows.push(`  ${`${spec.name}/${preset.name}`.padEnd(28)} ${String(statesPerCpuSecond).padStart(8)} distinct states/CPU-s  ${verdict} ${CI_RATE_GOAL}${report.complete ? '' : ' (time budget)'}`);
      io.out('');
    }
  }
  io.out('every ci preset, distinct states per CPU-second (issue #11\'s goal: 100,000 on each):');
  for (const row of rows) io.out(row);
  return 0;
}

/** One benchmark run: prints it, records it with --record, returns its report and rate. */
async function benchOne(
  spec: SpecDefinition,
  preset: Preset,
  args: BenchArgs,
  io: CliIo,
  benchmarksPath: string,
  registryModule: string | undefined,
): Promise<{ report: CheckReport; statesPerCpuSecond: number }> {
  const seconds = args.seconds ?? 30;

  const bounds = presetBounds(spec, preset);
  const model = spec.build(bounds, undefined);
  const cpuBefore = process.cpuUsage();
  const options = { progress: io.progress, timeMaxMs: seconds * 1000 };
  let report: CheckReport;
  if (args.workers === undefined) {
    report = check(model, options);
  } else {
    assert(registryModule !== undefined, '--workers needs the module that exports the registry');
    const rebuild = { module: registryModule, name: spec.name, bounds, mutant: undefined };
    report = await check(model, { ...options, strategy: { kind: 'parallel-bfs', workers: args.workers, rebuild } });
  }
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const statesPerCpuSecond = cpuSeconds > 0 ? Math.round(report.distinctStates / cpuSeconds) : 0;
  const strategyName = args.workers === undefined ? 'BFS' : `BFS on ${args.workers} workers`;
  const host = machine();
  const bytesPerState = report.distinctStates > 0 && report.fingerprintBytes !== undefined ? report.fingerprintBytes / report.distinctStates : 0;
  io.out(`model checker benchmark: ${spec.name}, preset ${preset.name} (${formatBounds(bounds)}), ${strategyName}, budget ${seconds} s`);
  io.out(`  complete            ${report.complete ? 'yes' : 'no (stopped by the time budget)'}`);
  io.out(`  distinct states     ${report.distinctStates}`);
  io.out(`  generated states    ${report.generatedStates}`);
  io.out(`  depth               ${report.maxDepth}`);
  io.out(`  duration            ${(report.durationMs / 1000).toFixed(2)} s`);
  io.out(`  distinct states/s   ${report.statesPerSecond}`);
  io.out(`  CPU time            ${cpuSeconds.toFixed(2)} s (all threads)`);
  io.out(`  distinct states/CPU-s ${statesPerCpuSecond} (independent of other load)`);
  io.out(`  generated states/s  ${report.durationMs > 0 ? Math.round((report.generatedStates * 1000) / report.durationMs) : 0}`);
  io.out(`  fingerprint set     ${((report.fingerprintBytes ?? 0) / 2 ** 20).toFixed(1)} MiB, ${bytesPerState.toFixed(1)} bytes/state`);
  io.out(`  peak RSS            ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  io.out(`  machine             ${host.cpu}, ${host.cores} cores, ${host.memoryGb} GB, node ${host.node}, ${host.platform}`);
  io.out(`  load average        ${host.loadAverage} (1 min; above ${host.cores} other work shared the cores)`);
  if (report.violations.length > 0) {
    io.out(`  note: stopped at a violation of ${report.violations[0]!.property}; the rate covers the run until then`);
  }
  if (args.record === true) {
    const markdown = existsSync(benchmarksPath) ? readFileSync(benchmarksPath, 'utf8') : '';
    const row = { cpuSeconds, preset: args.workers === undefined ? preset.name : `${preset.name} (${args.workers} workers)`, bounds: formatBounds(bounds), report, machine: host, date: new Date().toISOString().slice(0, 10) };
    writeFileSync(benchmarksPath, upsertBenchmarkRow(markdown, spec.name, row));
    io.out(`  recorded in ${benchmarksPath}`);
  }
  return { report, statesPerCpuSecond };
}
