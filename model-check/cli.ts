// The command line (`npm run check -- ...`), TLC's `tlc -config` for our specs:
//
//   npm run check -- <spec> [--preset NAME] [--<bound> VALUE ...] [--mutant NAME]
//                   [--bfs | --dfs [--depth D] | --simulate N [--seed S] [--depth D]]
//                   [--states-max N] [--workers N] [--deadlock false] [--trace-out FILE] [--json]
//   npm run check -- --list [--json]
//
// Bounds start from the spec's defaults, then the preset's overrides (the
// first preset, `ci`, by default), then the command line's. Exit codes: 0 no
// violation, 1 a violation (in any strategy), 2 bad usage. With --json the
// last line on stdout is one JSON object summarising the run; each violation's
// counterexample goes to a trace file (--trace-out, or ./traces/...).
//
// Arguments are validated with zod; a wrong one is reported with what is
// allowed instead. The checker knows no spec: `main(argv, registry, io,
// registryModule)` takes the registry, so cli/check.ts runs it over the real
// specs (cli/specs.ts) and tests run it in process against test-only ones.

import { z } from 'zod';
import { assert, assertNever } from '../lib/assert.ts';
import { check, type CheckReport, ModelError, type SequentialStrategy, type Strategy } from './check.ts';
import type { BoundValue, Bounds, Preset, SpecDefinition } from './model.ts';
import { defaultTracePath, formatBounds, formatReport, formatTrace, writeTraceFile } from './report.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Show the progress line (only when stderr is a terminal). */
  readonly progress: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  progress: process.stderr.isTTY === true,
};

export const USAGE = [
  'usage: npm run check -- <spec> [--preset NAME] [--<bound> VALUE ...] [--mutant NAME]',
  '                        [--bfs | --dfs [--depth D] | --simulate N [--seed S] [--depth D]]',
  '                        [--states-max N] [--workers N (bfs on N threads)] [--trace-out FILE] [--json]',
  '                        [--deadlock false (no deadlock check, as TLC -deadlock)]',
  '       npm run check -- --list [--json]',
].join('\n');

const SIMULATION_DEPTH_DEFAULT = 100;

/** A mistake on the command line: reported with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

// --- Tokens -------------------------------------------------------------------------------

/** Options that never take a value. Every other option takes one (`--x V` or `--x=V`). */
const SWITCHES = new Set(['list', 'json', 'bfs', 'dfs', 'help']);
const OPTIONS = new Set([...SWITCHES, 'preset', 'simulate', 'seed', 'depth', 'mutant', 'trace-out', 'states-max', 'workers', 'deadlock']);

interface Tokens {
  readonly positionals: string[];
  /** Option name (without `--`) to its value; `true` when given without one. */
  readonly options: Map<string, string | true>;
}

/** The spec registered under `name`, or undefined. */
export function findSpec(name: string, registry: readonly SpecDefinition[]): SpecDefinition | undefined {
  return registry.find((spec) => spec.name === name);
}

export function tokenize(argv: readonly string[]): Tokens {
  const positionals: string[] = [];
  const options = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (!token.startsWith('--')) {
      positionals.push(token);
      continue;
    }
    const equals = token.indexOf('=');
    const name = equals < 0 ? token.slice(2) : token.slice(2, equals);
    let value: string | true;
    if (equals >= 0) {
      value = token.slice(equals + 1);
    } else if (!SWITCHES.has(name) && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
      value = argv[++i]!;
    } else {
      value = true;
    }
    if (name === '') throw new UsageError(`empty option name in '${token}'`);
    if (options.has(name)) throw new UsageError(`--${name} given twice`);
    options.set(name, value);
  }
  return { positionals, options };
}

// --- Validation -----------------------------------------------------------------------------

const switchSchema = (name: string) => z.literal(true, { error: `--${name} takes no value` }).optional();
const integerSchema = (name: string, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string({ error: `--${name} needs a value` })
    .regex(/^-?\d+$/, `--${name} must be an integer`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `--${name} must be between ${min} and ${max}`)
    .optional();
const nameSchema = (name: string) => z.string({ error: `--${name} needs a value` }).min(1, `--${name} needs a value`).optional();

const optionsSchema = z.object({
  list: switchSchema('list'),
  json: switchSchema('json'),
  help: switchSchema('help'),
  bfs: switchSchema('bfs'),
  dfs: switchSchema('dfs'),
  preset: nameSchema('preset'),
  mutant: nameSchema('mutant'),
  'trace-out': nameSchema('trace-out'),
  simulate: integerSchema('simulate', 1),
  seed: integerSchema('seed', 0, 0xffffffff),
  depth: integerSchema('depth', 0),
  'states-max': integerSchema('states-max', 1),
  workers: integerSchema('workers', 1, 64),
  deadlock: z
    .union([z.literal(true), z.enum(['true', 'false'])], { error: '--deadlock must be true or false' })
    .transform((v) => v === true || v === 'true')
    .optional(),
});
type Options = z.infer<typeof optionsSchema>;

function parseWith<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) throw new UsageError(result.error.issues.map((issue) => issue.message).join('; '));
  return result.data;
}

function boundSchema(spec: SpecDefinition, name: string, defaultValue: BoundValue): z.ZodType<BoundValue> {
  const what = `--${name} (a bound of ${spec.name})`;
  if (typeof defaultValue === 'boolean') {
    return z.union([z.literal(true), z.enum(['true', 'false'])], { error: `${what} must be true or false` }).transform((v) => v === true || v === 'true');
  }
  const integral = Number.isInteger(defaultValue);
  return z
    .string({ error: `${what} needs a value` })
    .regex(integral ? /^-?\d+$/ : /^-?\d+(\.\d+)?$/, `${what} must be ${integral ? 'an integer' : 'a number'}`)
    .transform(Number);
}

const listOf = (names: readonly string[]) => (names.length === 0 ? '(none)' : names.join(', '));

export interface RunConfig<T extends Strategy = Strategy> {
  readonly spec: SpecDefinition;
  readonly preset: Preset;
  readonly bounds: Bounds;
  readonly mutant: string | undefined;
  readonly strategy: T;
  readonly statesMax: number | undefined;
  /** false: no deadlock check (TLC's -deadlock); default true, and a model may opt out itself. */
  readonly checkDeadlock?: boolean;
  readonly traceOut: string | undefined;
  /** Where trace files go without --trace-out (default ./traces). */
  readonly traceDirectory?: string;
  readonly json: boolean;
}

/** The bounds of `preset`: the spec's defaults with the preset's overrides. */
export function presetBounds(spec: SpecDefinition, preset: Preset): Record<string, BoundValue> {
  const bounds: Record<string, BoundValue> = {};
  for (const bound of spec.bounds) bounds[bound.name] = bound.default;
  return { ...bounds, ...preset.bounds };
}

function resolveRun(tokens: Tokens, options: Options, registry: readonly SpecDefinition[], registryModule: string | undefined): RunConfig {
  const names = registry.map((s) => s.name);
  if (tokens.positionals.length === 0) throw new UsageError(`which spec? registered: ${listOf(names)}`);
  if (tokens.positionals.length > 1) throw new UsageError(`one spec at a time, got: ${tokens.positionals.join(' ')}`);
  const specName = tokens.positionals[0]!;
  const spec = findSpec(specName, registry);
  if (spec === undefined) throw new UsageError(`unknown spec '${specName}'; registered: ${listOf(names)}`);

  const preset = options.preset === undefined ? spec.presets[0] : spec.presets.find((p) => p.name === options.preset);
  if (preset === undefined) {
    throw new UsageError(`unknown preset '${options.preset}' for ${spec.name}; presets: ${listOf(spec.presets.map((p) => p.name))}`);
  }
  const mutant = options.mutant;
  if (mutant !== undefined && !spec.mutants.some((m) => m.name === mutant)) {
    throw new UsageError(`unknown mutant '${mutant}' for ${spec.name}; mutants: ${listOf(spec.mutants.map((m) => m.name))}`);
  }

  const bounds = presetBounds(spec, preset);
  for (const [name, value] of tokens.options) {
    if (OPTIONS.has(name)) continue;
    const bound = spec.bounds.find((b) => b.name === name);
    if (bound === undefined) {
      throw new UsageError(
        `unknown option --${name} for ${spec.name}; bounds: ${listOf(spec.bounds.map((b) => `--${b.name}`))}; options: ${listOf([...OPTIONS].map((o) => `--${o}`))}`,
      );
    }
    bounds[name] = parseWith(boundSchema(spec, name, bound.default), value);
  }

  const chosen = [options.bfs && '--bfs', options.dfs && '--dfs', options.simulate !== undefined && '--simulate'].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`choose one strategy, got ${chosen.join(' and ')}`);
  if (options.seed !== undefined && options.simulate === undefined) throw new UsageError('--seed only applies to --simulate');
  if (options.depth !== undefined && options.simulate === undefined && options.dfs !== true) {
    throw new UsageError('--depth only applies to --dfs and --simulate');
  }
  if (options.workers !== undefined && (options.dfs === true || options.simulate !== undefined)) {
    throw new UsageError('--workers only applies to breadth-first search');
  }
  let strategy: Strategy;
  if (options.simulate !== undefined) {
    strategy = {
      kind: 'simulate',
      walks: options.simulate,
      // A fresh seed when none is given; it is printed, so the run can be repeated.
      seed: options.seed ?? Math.floor(Math.random() * 0x100000000),
      depthMax: options.depth ?? SIMULATION_DEPTH_DEFAULT,
    };
  } else if (options.dfs === true) {
    strategy = options.depth === undefined ? { kind: 'dfs' } : { kind: 'dfs', depthMax: options.depth };
  } else if (options.workers !== undefined) {
    // Each worker rebuilds the model from the registry's module (parallel-protocol.ts).
    assert(registryModule !== undefined, '--workers needs the module that exports the registry');
    strategy = { kind: 'parallel-bfs', workers: options.workers, rebuild: { module: registryModule, name: spec.name, bounds, mutant } };
  } else {
    strategy = { kind: 'bfs' };
  }
  return {
    spec,
    preset,
    bounds,
    mutant,
    strategy,
    statesMax: options['states-max'],
    ...(options.deadlock === undefined ? {} : { checkDeadlock: options.deadlock }),
    traceOut: options['trace-out'],
    json: options.json === true,
  };
}

// --- Running ---------------------------------------------------------------------------------

/** The command that repeats this exact run (every bound spelled out). */
export function reproduceCommand(config: RunConfig): string {
  const parts = ['npm run check --', config.spec.name, '--preset', config.preset.name];
  for (const [name, value] of Object.entries(config.bounds)) parts.push(`--${name}`, String(value));
  if (config.mutant !== undefined) parts.push('--mutant', config.mutant);
  const strategy = config.strategy;
  switch (strategy.kind) {
    case 'bfs':
      break;
    case 'dfs':
      parts.push('--dfs');
      if (strategy.depthMax !== undefined) parts.push('--depth', String(strategy.depthMax));
      break;
    case 'simulate':
      parts.push('--simulate', String(strategy.walks), '--seed', String(strategy.seed), '--depth', String(strategy.depthMax));
      break;
    case 'parallel-bfs':
      parts.push('--workers', String(strategy.workers));
      break;
    default:
      assertNever(strategy, 'strategy');
  }
  if (config.statesMax !== undefined) parts.push('--states-max', String(config.statesMax));
  if (config.checkDeadlock === false) parts.push('--deadlock', 'false');
  return parts.join(' ');
}

export interface RunResult {
  readonly report: CheckReport;
  readonly traceFiles: string[];
}

/** Checks one configuration, writes a trace file per violation, prints the report (asynchronously for --workers). */
export function execute(config: RunConfig<SequentialStrategy>, io: CliIo): RunResult;
export function execute(config: RunConfig, io: CliIo): RunResult | Promise<RunResult>;
export function execute(config: RunConfig, io: CliIo): RunResult | Promise<RunResult> {
  const model = config.spec.build(config.bounds, config.mutant);
  const options = {
    strategy: config.strategy,
    progress: io.progress,
    ...(config.statesMax === undefined ? {} : { statesMax: config.statesMax }),
    ...(config.checkDeadlock === undefined ? {} : { checkDeadlock: config.checkDeadlock }),
  };
  const report = check(model, options);
  return report instanceof Promise ? report.then((r) => present(config, io, r)) : present(config, io, report);
}

/** Writes the trace files and prints the report (and the JSON line with --json). */
function present(config: RunConfig, io: CliIo, report: CheckReport): RunResult {
  const run = { spec: config.spec.name, preset: config.preset.name, bounds: config.bounds, mutant: config.mutant };
  const traceFiles = report.violations.map((violation, i) => {
    const path =
      config.traceOut === undefined
        ? defaultTracePath({ ...run, property: violation.property }, config.traceDirectory)
        : i === 0
          ? config.traceOut
          : config.traceOut.replace(/(\.json)?$/, `-${violation.property}$1`);
    writeTraceFile({ ...run, property: violation.property, trace: violation.trace }, path);
    return path;
  });
  io.out(formatReport(report, run, traceFiles));
  if (report.violations.length > 0 && config.strategy.kind === 'simulate') {
    io.out(`\nsimulation seed ${config.strategy.seed}; reproduce with:\n  ${reproduceCommand(config)}`);
  }
  const unreached = report.sometimes.filter((s) => !s.reached);
  if (unreached.length > 0 && report.complete && config.strategy.kind !== 'simulate') {
    io.err(`warning: the whole state space was explored and never reached: ${unreached.map((s) => s.property).join(', ')}`);
  }
  if (config.json) {
    io.out(
      JSON.stringify({
        spec: config.spec.name,
        preset: config.preset.name,
        bounds: config.bounds,
        mutant: config.mutant ?? null,
        strategy: report.strategy,
        complete: report.complete,
        ...(report.seed === undefined ? {} : { seed: report.seed }),
        distinctStates: report.distinctStates,
        generatedStates: report.generatedStates,
        maxDepth: report.maxDepth,
        durationMs: report.durationMs,
        statesPerSecond: report.statesPerSecond,
        violations: report.violations.map((v, i) => ({
          property: v.property,
          depth: v.depth,
          ...(v.trace.cycleStart === undefined ? {} : { cycleStart: v.trace.cycleStart }),
          traceFile: traceFiles[i],
        })),
        sometimes: report.sometimes.map((s) => ({ property: s.property, reached: s.reached })),
        ...(report.liveness === undefined ? {} : { liveness: report.liveness.map((l) => ({ property: l.property, kind: l.kind, verdict: l.verdict })) }),
      }),
    );
  }
  return { report, traceFiles };
}

// --- Listing ---------------------------------------------------------------------------------

export function listing(registry: readonly SpecDefinition[]) {
  return {
    specs: registry.map((spec) => ({
      name: spec.name,
      description: spec.description,
      presets: spec.presets.map((preset) => ({ name: preset.name, description: preset.description, bounds: presetBounds(spec, preset) })),
      bounds: spec.bounds.map((b) => ({ name: b.name, description: b.description, default: b.default })),
      mutants: spec.mutants.map((m) => ({ name: m.name, description: m.description })),
    })),
  };
}

function printListing(registry: readonly SpecDefinition[], json: boolean, io: CliIo): void {
  if (json) {
    io.out(JSON.stringify(listing(registry)));
    return;
  }
  if (registry.length === 0) io.out('no specs registered');
  for (const spec of registry) {
    io.out(`${spec.name}: ${spec.description}`);
    io.out('  presets:');
    for (const preset of spec.presets) io.out(`    ${preset.name.padEnd(12)} ${formatBounds(presetBounds(spec, preset))}   ${preset.description}`);
    io.out('  bounds:');
    for (const bound of spec.bounds) io.out(`    --${bound.name.padEnd(10)} default ${String(bound.default).padEnd(6)} ${bound.description}`);
    io.out('  mutants:');
    if (spec.mutants.length === 0) io.out('    (none)');
    for (const mutant of spec.mutants) io.out(`    ${mutant.name.padEnd(12)} ${mutant.description}`);
  }
}

// --- Entry point -----------------------------------------------------------------------------

/**
 * Runs the command line over `registry`; returns the exit code (0 no
 * violation, 1 violation, 2 bad usage), asynchronously with --workers, whose
 * threads import `registryModule` (a file URL exporting the registry) to
 * rebuild the spec.
 */
export function main(argv: readonly string[], registry: readonly SpecDefinition[], io: CliIo = processIo, registryModule?: string): number | Promise<number> {
  try {
    const tokens = tokenize(argv);
    const globals: Record<string, string | true> = {};
    for (const [name, value] of tokens.options) if (OPTIONS.has(name)) globals[name] = value;
    const options = parseWith(optionsSchema, globals);
    if (options.help === true) {
      io.out(USAGE);
      return 0;
    }
    if (options.list === true) {
      if (tokens.positionals.length > 0 || tokens.options.size > (options.json ? 2 : 1)) {
        throw new UsageError('--list takes only --json');
      }
      printListing(registry, options.json === true, io);
      return 0;
    }
    const config = resolveRun(tokens, options, registry, registryModule);
    const exitCode = (result: RunResult) => (result.report.violations.length > 0 ? 1 : 0);
    const result = execute(config, io);
    return result instanceof Promise ? result.then(exitCode, (error: unknown) => reportCrash(error, io)) : exitCode(result);
  } catch (error) {
    return reportCrash(error, io);
  }
}

/** Bad usage is exit code 2; a model that throws is printed with its path and rethrown. */
function reportCrash(error: unknown, io: CliIo): number {
  if (error instanceof UsageError) {
    io.err(`error: ${error.message}`);
    io.err(USAGE);
    return 2;
  }
  if (error instanceof ModelError) {
    // A bug in the spec, not a property violation: show the path, then crash with the stack.
    io.err(`MODEL ERROR: ${error.message}\npath to the state being expanded:`);
    io.err(formatTrace(error.trace).join('\n'));
  }
  throw error;
}
