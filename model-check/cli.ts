// The command line (`npm run check -- ...`), TLC's `tlc -config` for our specs:
//
//   npm run check -- <spec> [--preset NAME] [--<bound> VALUE ...] [--mutant NAME]
//                   [--bfs | --dfs [--depth D] | --simulate N [--guided] [--seed S] [--depth D]]
//                   [--iddfs [--depth D] [--depth-step K]] [--bitstate MB [--hashes K]]
//                   [--swarm N [--seed S] [--depth D] [--swarm-states K]]
//                   [--states-max N] [--workers N] [--deadlock false] [--trace-out FILE] [--json] ...
//   npm run check -- --list [--json]
//   npm run check -- --help            every option, one line each (OPTION_HELP)
//
// Bounds start from the spec's defaults, then the preset's overrides (the
// first preset, `ci`, by default), then the command line's. Exit codes
// (EXIT): 0 a complete run without violation, 1 a violation (in any
// strategy), 2 bad usage, 3 INCOMPLETE: no violation, but the run was cut
// short (--states-max, a time budget, --dfs --depth), so it proves nothing
// about the states it did not reach. With --json the last line on stdout is
// one JSON object summarising the run; each violation's counterexample goes
// to a trace file (--trace-out, or ./traces/...) and its ITF copy beside it.
//
// Arguments are validated with zod; a wrong one is reported with what is
// allowed instead. The checker knows no spec: `main(argv, registry, io,
// registryModule)` takes the registry, so cli/check.ts runs it over the real
// specs (cli/specs.ts) and tests run it in process against test-only ones.

import { z } from 'zod';
import { assert, assertNever } from '../lib/assert.ts';
import { check, type CheckReport, ModelError, type SequentialStrategy, type Strategy } from './check.ts';
import { CheckpointError, checkpointMismatch } from './checkpoint.ts';
import type { DiskOptions } from './disk-bfs.ts';
import type { BoundValue, Bounds, Preset, SpecDefinition } from './model.ts';
import { BITSTATE_HASHES_DEFAULT } from './bitstate-set.ts';
import { collisionProbability } from './collision.ts';
import { formatTrace, type TraceFormat } from './counterexample.ts';
import type { ModelSource } from './parallel-protocol.ts';
import { defaultProgress, type ProgressOptions } from './progress.ts';
import { defaultTracePath, formatBounds, formatReport, writeTraceFile } from './report.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  /** Show the progress line (progress.ts) on stderr; tests turn it off. */
  readonly progress: boolean;
  /** stderr is a terminal: the progress line is rewritten in place once a second rather than printed every ten seconds. */
  readonly terminal?: boolean;
}

export const processIo: CliIo = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
  progress: true,
  terminal: process.stderr.isTTY === true,
};

/** The exit codes, as --help lists them. */
export const EXIT = { ok: 0, violation: 1, usage: 2, incomplete: 3 } as const;

export const USAGE = [
  'usage: npm run check -- <spec> [--preset NAME] [--<bound> VALUE ...] [--mutant NAME]',
  '                        [--bfs | --dfs [--depth D] | --simulate N [--guided (coverage-guided walks)] [--seed S] [--depth D]]',
  '                        [--iddfs [--depth D] [--depth-step K]   iterative deepening: depth bounds 1, 2, 4, ... or K, 2K, ... up to D]',
  '                        [--bitstate MB [--hashes K]   supertrace: BFS (or --dfs) over a bit array of MB megabytes, K bits per state (3)]',
  '                        [--swarm N [--seed S] [--depth D] [--swarm-states K]   N randomised DFS/walk members, bounds D/4..D (100), K states each (10000)]',
  '                        [--states-max N] [--workers N (bfs on N threads)] [--trace-out FILE] [--json]',
  '                        [--coverage] [--verbose] [--progress-every SECONDS]',
  '                        [--spill DIR [--memory MB]] [--checkpoint DIR [--checkpoint-every SECONDS]] [--recover DIR]',
  '                        [--deadlock false (no deadlock check, as TLC -deadlock)]',
  '       npm run check -- --list [--json]',
  '       npm run check -- --help',
].join('\n');

/** One line per option for --help (its value's name, if any, and what it does); a test checks that it names exactly the options the parser accepts. */
const OPTION_HELP: Readonly<Record<string, readonly [value: string, text: string]>> = {
  help: ['', 'print this help and exit'],
  list: ['', 'list the specs with their presets, bounds and mutants (with --json: as one JSON object)'],
  json: ['', 'print one JSON summary as the last line of stdout (with --list: the listing as JSON)'],
  preset: ['NAME', 'start from this preset of the spec (default: its first, ci)'],
  mutant: ['NAME', 'check the spec with this known bug put back in'],
  bfs: ['', 'breadth-first search, shortest counterexamples (the default)'],
  dfs: ['', 'depth-first search (less memory: one path held)'],
  depth: ['D', 'with --dfs: do not expand states at depth D (INCOMPLETE if that cut any); with --simulate: walk length (default 100); with --iddfs, --swarm: the deepest bound'],
  simulate: ['N', 'N seeded random walks instead of an exhaustive search'],
  deadlock: ['false', 'no deadlock check (TLC\'s -deadlock); on by default, and a spec whose runs end by design opts out itself'],
  guided: ['', 'with --simulate: coverage-guided walks from the least explored cells, preferring rarely taken actions (model-check/guided.ts)'],
  seed: ['S', 'with --simulate or --swarm: the seed (default: a random one, printed)'],
  'states-max': ['N', 'stop after N distinct states (the run is then INCOMPLETE, exit code 3)'],
  workers: ['N', 'breadth-first search on N worker threads (same counts)'],
  'trace-out': ['FILE', 'write the first counterexample here (default ./traces/<spec>-<preset>[-<mutant>]-<property>.json), its ITF copy beside it (.itf.json)'],
  coverage: ['', 'count how often each action kind fired (successors generated, new states) and name those that never fired; not with --workers'],
  verbose: ['', 'counterexamples show the fields the spec hides (network bookkeeping, bound counters, ghost variables)'],
  'progress-every': ['SECONDS', 'a progress line on stderr this often (default 1 on a terminal, 10 otherwise; 0 for none)'],
  spill: ['DIR', 'breadth-first search whose frontier and seen set go to disk in DIR beyond the --memory budget (docs/model-checking.md)'],
  memory: ['MB', 'with --spill: the memory budget, half for the seen set, half for the frontier on the heap (default 4096)'],
  checkpoint: ['DIR', 'breadth-first search that writes a checkpoint to DIR every --checkpoint-every seconds and when cut short'],
  'checkpoint-every': ['SECONDS', 'with --checkpoint: seconds between checkpoints (default 600)'],
  recover: ['DIR', 'continue a breadth-first search from the checkpoint in DIR (same spec, bounds and mutant, else refused)'],
  iddfs: ['', 'iterative deepening: depth-first passes with bounds 1, 2, 4, ... up to --depth (default: until a pass cuts nothing)'],
  'depth-step': ['K', 'with --iddfs: bounds K, 2K, 3K, ... instead of doubling'],
  bitstate: ['MB', 'supertrace: BFS (or --dfs) whose seen set is a bit array of MB megabytes (1..512); prints the expected coverage'],
  hashes: ['K', 'with --bitstate: bits set per state (default 3, as SPIN)'],
  swarm: ['N', 'swarm verification: N small randomised DFS or walk members, member i seeded --seed + i, depth bounds --depth/4..--depth (100)'],
  'swarm-states': ['K', 'with --swarm: states each member visits (default 10000)'],
};

/** --help: the usage, every option with one line, the bounds and the exit codes. */
export function helpText(): string {
  const left = (name: string, value: string) => `--${name}${value === '' ? '' : ` ${value}`}`;
  const rows: [string, string][] = Object.entries(OPTION_HELP).map(([name, [value, text]]) => [left(name, value), text]);
  rows.push(['--<bound> VALUE', 'any bound of the spec (--list shows them and their defaults)']);
  const width = Math.max(...rows.map(([l]) => l.length));
  return [
    USAGE,
    '',
    'options:',
    ...rows.map(([l, text]) => `  ${l.padEnd(width)}   ${text}`),
    '',
    'exit codes:',
    `  ${EXIT.ok}  the run was complete and no property was violated`,
    `  ${EXIT.violation}  a property was violated (counterexample printed and written to a trace file)`,
    `  ${EXIT.usage}  bad usage`,
    `  ${EXIT.incomplete}  INCOMPLETE: no violation found, but the run was cut short (--states-max, a time budget, --dfs --depth)`,
  ].join('\n');
}

const SIMULATION_DEPTH_DEFAULT = 100;
const MIB = 2 ** 20;
const MEMORY_MB_DEFAULT = 4096;
const CHECKPOINT_EVERY_S_DEFAULT = 600;
const SWARM_DEPTH_DEFAULT = 100;
const SWARM_MEMBER_STATES_DEFAULT = 10_000;
const BITSTATE_MB_MAX = 512;

/** A mistake on the command line: reported with exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

// --- Tokens -------------------------------------------------------------------------------

/** Options that never take a value. Every other option takes one (`--x V` or `--x=V`). */
const SWITCHES = new Set(['list', 'json', 'bfs', 'dfs', 'help', 'coverage', 'verbose', 'iddfs', 'guided']);
const DISK_OPTIONS = ['spill', 'memory', 'checkpoint', 'checkpoint-every', 'recover'];
const OPTIONS = new Set([
  ...SWITCHES,
  ...['preset', 'simulate', 'seed', 'depth', 'mutant', 'trace-out', 'states-max', 'workers', 'progress-every'],
  ...['depth-step', 'bitstate', 'hashes', 'swarm', 'swarm-states'],
  ...DISK_OPTIONS,
  'deadlock',
]);

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
  guided: switchSchema('guided'),
  preset: nameSchema('preset'),
  mutant: nameSchema('mutant'),
  'trace-out': nameSchema('trace-out'),
  simulate: integerSchema('simulate', 1),
  seed: integerSchema('seed', 0, 0xffffffff),
  depth: integerSchema('depth', 0),
  'states-max': integerSchema('states-max', 1),
  workers: integerSchema('workers', 1, 64),
  spill: nameSchema('spill'),
  memory: integerSchema('memory', 16),
  checkpoint: nameSchema('checkpoint'),
  'checkpoint-every': integerSchema('checkpoint-every', 0),
  recover: nameSchema('recover'),
  coverage: switchSchema('coverage'),
  verbose: switchSchema('verbose'),
  'progress-every': integerSchema('progress-every', 0, 86_400),
  iddfs: switchSchema('iddfs'),
  'depth-step': integerSchema('depth-step', 1),
  bitstate: integerSchema('bitstate', 1, BITSTATE_MB_MAX),
  hashes: integerSchema('hashes', 1, 32),
  swarm: integerSchema('swarm', 1),
  'swarm-states': integerSchema('swarm-states', 1),
  deadlock: z
    .union([z.literal(true), z.enum(['true', 'false'])], { error: '--deadlock must be true or false' })
    .transform((v) => v === true || v === 'true')
    .optional(),
});
type Options = z.infer<typeof optionsSchema>;

/** The options the parser accepts (for the test that --help lists each of them). */
export function acceptedOptions(): string[] {
  assert([...OPTIONS].every((name) => name in optionsSchema.shape), 'every option in OPTIONS has a schema');
  return Object.keys(optionsSchema.shape);
}

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
  /** Count action coverage (--coverage). */
  readonly coverage?: boolean;
  /** Show hidden fields in counterexamples (--verbose). */
  readonly verbose?: boolean;
  /** Seconds between progress lines (--progress-every; 0 none; default by terminal). */
  readonly progressEveryS?: number;
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

  const disk = diskOptions(options, { spec: spec.name, bounds, mutant: mutant ?? null });
  const strategy = resolveStrategy(
    options,
    () => {
      // Each worker rebuilds the model from the registry's module (parallel-protocol.ts).
      assert(registryModule !== undefined, '--workers needs the module that exports the registry');
      return { module: registryModule, name: spec.name, bounds, mutant };
    },
    disk,
  );
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
    coverage: options.coverage === true,
    verbose: options.verbose === true,
    ...(options['progress-every'] === undefined ? {} : { progressEveryS: options['progress-every'] }),
  };
}

/** The disk-backed BFS's options (disk-bfs.ts) when any of them is given; `identity` is what a checkpoint must match. */
function diskOptions(options: Options, identity: unknown): DiskOptions | undefined {
  const { spill, memory, checkpoint, recover } = options;
  const every = options['checkpoint-every'];
  if (spill === undefined && checkpoint === undefined && recover === undefined) {
    if (memory !== undefined) throw new UsageError('--memory only applies with --spill');
    if (every !== undefined) throw new UsageError('--checkpoint-every only applies with --checkpoint');
    return undefined;
  }
  const otherSearch = options.dfs === true || options.simulate !== undefined || options.iddfs === true || options.swarm !== undefined;
  if (otherSearch || options.bitstate !== undefined || options.workers !== undefined) {
    throw new UsageError('--spill, --checkpoint and --recover apply to breadth-first search on one thread only');
  }
  if (memory !== undefined && spill === undefined) throw new UsageError('--memory only applies with --spill');
  if (every !== undefined && checkpoint === undefined) throw new UsageError('--checkpoint-every only applies with --checkpoint');
  if (recover !== undefined) {
    const mismatch = checkpointMismatch(recover, identity);
    if (mismatch !== undefined) throw new UsageError(`--recover: ${mismatch}`);
  }
  return {
    ...(spill === undefined ? {} : { spillDirectory: spill }),
    memoryBytes: (memory ?? MEMORY_MB_DEFAULT) * MIB,
    ...(checkpoint === undefined ? {} : { checkpoint: { directory: checkpoint, everyMs: (every ?? CHECKPOINT_EVERY_S_DEFAULT) * 1000 } }),
    ...(recover === undefined ? {} : { recover }),
    identity,
  };
}

/** The strategy the options choose, after checking that every option given applies to it. */
function resolveStrategy(options: Options, rebuild: () => ModelSource, disk: DiskOptions | undefined): Strategy {
  const chosen = [
    options.bfs && '--bfs',
    options.dfs && '--dfs',
    options.simulate !== undefined && '--simulate',
    options.iddfs && '--iddfs',
    options.swarm !== undefined && '--swarm',
  ].filter(Boolean);
  if (chosen.length > 1) throw new UsageError(`choose one strategy, got ${chosen.join(' and ')}`);
  const seeded = options.simulate !== undefined || options.swarm !== undefined;
  if (options.seed !== undefined && !seeded) throw new UsageError('--seed only applies to --simulate and --swarm');
  const bounded = options.dfs === true || seeded || options.iddfs === true;
  if (options.depth !== undefined && !bounded) throw new UsageError('--depth only applies to --dfs, --simulate, --iddfs and --swarm');
  if (options['depth-step'] !== undefined && options.iddfs !== true) throw new UsageError('--depth-step only applies to --iddfs');
  if (options.guided === true && options.simulate === undefined) throw new UsageError('--guided only applies to --simulate');
  if (options.hashes !== undefined && options.bitstate === undefined) throw new UsageError('--hashes only applies to --bitstate');
  if (options['swarm-states'] !== undefined && options.swarm === undefined) throw new UsageError('--swarm-states only applies to --swarm');
  if (options.bitstate !== undefined && (seeded || options.iddfs === true)) throw new UsageError('--bitstate applies to --bfs and --dfs only');
  if (options.workers !== undefined && (chosen.some((c) => c !== '--bfs') || options.bitstate !== undefined)) {
    throw new UsageError('--workers only applies to breadth-first search (without --bitstate)');
  }
  if (options.workers !== undefined && options.coverage === true) {
    throw new UsageError('--coverage is counted on one thread only; drop --workers');
  }
  // A fresh seed when none is given; it is printed, so the run can be repeated.
  const seed = () => options.seed ?? Math.floor(Math.random() * 0x100000000);
  if (options.bitstate !== undefined) {
    const bytes = options.bitstate * 1024 * 1024;
    const hashes = options.hashes ?? BITSTATE_HASHES_DEFAULT;
    return options.dfs === true
      ? { kind: 'bitstate', bytes, hashes, order: 'dfs', ...(options.depth === undefined ? {} : { depthMax: options.depth }) }
      : { kind: 'bitstate', bytes, hashes, order: 'bfs' };
  }
  if (options.simulate !== undefined) {
    const kind = options.guided === true ? 'guided' : 'simulate';
    return { kind, walks: options.simulate, seed: seed(), depthMax: options.depth ?? SIMULATION_DEPTH_DEFAULT };
  }
  if (options.swarm !== undefined) {
    const memberStatesMax = options['swarm-states'] ?? SWARM_MEMBER_STATES_DEFAULT;
    return { kind: 'swarm', members: options.swarm, seed: seed(), depthMax: options.depth ?? SWARM_DEPTH_DEFAULT, memberStatesMax };
  }
  if (options.iddfs === true) {
    return {
      kind: 'iddfs',
      ...(options.depth === undefined ? {} : { depthMax: options.depth }),
      ...(options['depth-step'] === undefined ? {} : { step: options['depth-step'] }),
    };
  }
  if (options.dfs === true) return options.depth === undefined ? { kind: 'dfs' } : { kind: 'dfs', depthMax: options.depth };
  if (options.workers !== undefined) return { kind: 'parallel-bfs', workers: options.workers, rebuild: rebuild() };
  return disk === undefined ? { kind: 'bfs' } : { kind: 'bfs', disk };
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
      if (strategy.disk?.spillDirectory !== undefined) parts.push('--spill', strategy.disk.spillDirectory, '--memory', String(strategy.disk.memoryBytes / MIB));
      break;
    case 'dfs':
      parts.push('--dfs');
      if (strategy.depthMax !== undefined) parts.push('--depth', String(strategy.depthMax));
      break;
    case 'simulate':
    case 'guided':
      parts.push('--simulate', String(strategy.walks), ...(strategy.kind === 'guided' ? ['--guided'] : []));
      parts.push('--seed', String(strategy.seed), '--depth', String(strategy.depthMax));
      break;
    case 'parallel-bfs':
      parts.push('--workers', String(strategy.workers));
      break;
    case 'iddfs':
      parts.push('--iddfs');
      if (strategy.depthMax !== undefined) parts.push('--depth', String(strategy.depthMax));
      if (strategy.step !== undefined) parts.push('--depth-step', String(strategy.step));
      break;
    case 'bitstate':
      parts.push('--bitstate', String(strategy.bytes / (1024 * 1024)), '--hashes', String(strategy.hashes ?? BITSTATE_HASHES_DEFAULT));
      if (strategy.order === 'dfs') parts.push('--dfs');
      if (strategy.depthMax !== undefined) parts.push('--depth', String(strategy.depthMax));
      break;
    case 'swarm':
      parts.push('--swarm', String(strategy.members), '--seed', String(strategy.seed), '--depth', String(strategy.depthMax));
      parts.push('--swarm-states', String(strategy.memberStatesMax));
      break;
    default:
      assertNever(strategy, 'strategy');
  }
  if (config.statesMax !== undefined) parts.push('--states-max', String(config.statesMax));
  if (config.coverage === true) parts.push('--coverage');
  if (config.checkDeadlock === false) parts.push('--deadlock', 'false');
  return parts.join(' ');
}

/** The run of one swarm member alone: a swarm of one whose seed is the member's. */
function swarmMemberRun(config: RunConfig<Extract<Strategy, { kind: 'swarm' }>>, seed: number): RunConfig {
  return { ...config, strategy: { ...config.strategy, members: 1, seed } };
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
    progress: progressOf(config, io),
    coverage: config.coverage === true,
    ...(config.statesMax === undefined ? {} : { statesMax: config.statesMax }),
    ...(config.checkDeadlock === undefined ? {} : { checkDeadlock: config.checkDeadlock }),
  };
  const report = check(model, options);
  const format = { hiddenFields: model.hiddenFields ?? [], verbose: config.verbose === true };
  return report instanceof Promise ? report.then((r) => present(config, io, r, format)) : present(config, io, report, format);
}

/** The progress line: none when io says so or --progress-every 0; else every N seconds, in place on a terminal. */
function progressOf(config: RunConfig, io: CliIo): ProgressOptions | false {
  if (!io.progress || config.progressEveryS === 0) return false;
  const terminal = io.terminal === true;
  const defaults = defaultProgress(terminal);
  const everyMs = config.progressEveryS === undefined ? defaults.everyMs : config.progressEveryS * 1000;
  // In place on the terminal itself; otherwise whole lines through io, which adds the newline.
  return terminal ? { ...defaults, everyMs } : { everyMs, inPlace: false, write: (text) => io.err(text.replace(/\n$/, '')) };
}

/** Why a run without violation is incomplete, for the INCOMPLETE line. */
export function incompleteReason(config: RunConfig, report: CheckReport): string {
  if (config.statesMax !== undefined && report.distinctStates >= config.statesMax) return `--states-max ${config.statesMax} distinct states reached`;
  const strategy = config.strategy;
  if (strategy.kind === 'dfs' && strategy.depthMax !== undefined) return `--depth ${strategy.depthMax} cut the depth-first search`;
  return 'the time budget ran out';
}

/** The exit code of a finished run: a violation, else INCOMPLETE when the run was cut short, else ok. */
export function exitCodeOf(report: CheckReport): number {
  if (report.violations.length > 0) return EXIT.violation;
  return report.complete ? EXIT.ok : EXIT.incomplete;
}

/** Writes the trace files and prints the report (and the JSON line with --json). */
function present(config: RunConfig, io: CliIo, report: CheckReport, format: TraceFormat): RunResult {
  const run = { spec: config.spec.name, preset: config.preset.name, bounds: config.bounds, mutant: config.mutant };
  const traceFiles = report.violations.map((violation, i) => {
    const path =
      config.traceOut === undefined
        ? defaultTracePath({ ...run, property: violation.property }, config.traceDirectory)
        : i === 0
          ? config.traceOut
          : config.traceOut.replace(/(\.json)?$/, `-${violation.property}$1`);
    writeTraceFile({ ...run, property: violation.property, trace: violation.trace, ...(violation.trace.cycleStart === undefined ? {} : { loop: violation.trace.cycleStart }) }, path);
    return path;
  });
  io.out(formatReport(report, run, traceFiles, format));
  if (exitCodeOf(report) === EXIT.incomplete) {
    const line = `INCOMPLETE: ${incompleteReason(config, report)}; states beyond it were not checked (exit code ${EXIT.incomplete})`;
    io.out(`\n${line}`);
    io.err(line);
  }
  if (report.violations.length > 0 && (config.strategy.kind === 'simulate' || config.strategy.kind === 'guided')) {
    io.out(`\nsimulation seed ${config.strategy.seed}; reproduce with:\n  ${reproduceCommand(config)}`);
  }
  const finder = report.swarmFinder;
  if (finder !== undefined && config.strategy.kind === 'swarm') {
    io.out(`\nfound by swarm member ${finder.index} (seed ${finder.seed}, ${finder.mode}, depth bound ${finder.depthBound}, omission ${finder.omission});`);
    io.out(`reproduce that member alone with:\n  ${reproduceCommand(swarmMemberRun(config as RunConfig<typeof config.strategy>, finder.seed))}`);
  }
  const unreached = report.sometimes.filter((s) => !s.reached);
  if (unreached.length > 0 && report.complete && config.strategy.kind !== 'simulate' && config.strategy.kind !== 'guided') {
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
        ...(report.searchBounds === undefined ? {} : { searchBounds: report.searchBounds }),
        ...(report.bitstate === undefined ? {} : { bitstate: report.bitstate }),
        ...(report.swarmFinder === undefined || config.strategy.kind !== 'swarm'
          ? {}
          : {
              swarmFinder: {
                ...report.swarmFinder,
                reproduce: reproduceCommand(swarmMemberRun(config as RunConfig<typeof config.strategy>, report.swarmFinder.seed)),
              },
            }),
        reproduce: reproduceCommand(config),
        distinctStates: report.distinctStates,
        generatedStates: report.generatedStates,
        maxDepth: report.maxDepth,
        durationMs: report.durationMs,
        statesPerSecond: report.statesPerSecond,
        collisionProbability: collisionProbability(report.distinctStates, report.generatedStates),
        exitCode: exitCodeOf(report),
        ...(report.coverage === undefined ? {} : { coverage: report.coverage.actions }),
        violations: report.violations.map((v, i) => ({
          property: v.property,
          depth: v.depth,
          ...(v.trace.cycleStart === undefined ? {} : { cycleStart: v.trace.cycleStart }),
          traceFile: traceFiles[i],
        })),
        sometimes: report.sometimes.map((s) => ({ property: s.property, reached: s.reached })),
        ...(report.liveness === undefined ? {} : { liveness: report.liveness.map((l) => ({ property: l.property, kind: l.kind, verdict: l.verdict })) }),
        ...(report.memory === undefined ? {} : { memory: report.memory }),
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
 * Runs the command line over `registry`; returns the exit code (EXIT: 0 a
 * complete run without violation, 1 violation, 2 bad usage, 3 incomplete), asynchronously with --workers, whose
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
      io.out(helpText());
      return EXIT.ok;
    }
    if (options.list === true) {
      if (tokens.positionals.length > 0 || tokens.options.size > (options.json ? 2 : 1)) {
        throw new UsageError('--list takes only --json');
      }
      printListing(registry, options.json === true, io);
      return 0;
    }
    const config = resolveRun(tokens, options, registry, registryModule);
    const exitCode = (result: RunResult) => exitCodeOf(result.report);
    const result = execute(config, io);
    return result instanceof Promise ? result.then(exitCode, (error: unknown) => reportCrash(error, io)) : exitCode(result);
  } catch (error) {
    return reportCrash(error, io);
  }
}

/** Bad usage is exit code 2; a model that throws is printed with its path and rethrown. */
function reportCrash(error: unknown, io: CliIo): number {
  if (error instanceof UsageError || error instanceof CheckpointError) {
    io.err(`error: ${error.message}`);
    io.err(USAGE);
    return EXIT.usage;
  }
  if (error instanceof ModelError) {
    // A bug in the spec, not a property violation: show the path, then crash with the stack.
    io.err(`MODEL ERROR: ${error.message}\npath to the state being expanded:`);
    io.err(formatTrace(error.trace).join('\n'));
  }
  throw error;
}
