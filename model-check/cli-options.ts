// The command line's options (`npm run check -- ...`, cli.ts): the usage and
// --help text (one line per option, OPTION_HELP), the tokens, their zod
// validation, and how they resolve into a RunConfig: the spec, preset, bounds,
// mutant and the one strategy they choose, after checking that every option
// given applies to it. cli.ts runs a RunConfig and prints what it found.

import { z } from 'zod';
import { assert } from '../lib/assert.ts';
import { BITSTATE_HASHES_DEFAULT } from './bitstate-set.ts';
import type { Strategy } from './check.ts';
import { checkpointMismatch } from './checkpoint.ts';
import type { DiskOptions } from './disk-bfs.ts';
import type { BoundValue, Bounds, Preset, SpecDefinition } from './model.ts';
import type { ModelSource } from './parallel-protocol.ts';

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
  '                        [--deadlock false (no deadlock check, as TLC -deadlock)] [--stop-at PROPERTY]',
  '       npm run check -- --list [--json]',
  '       npm run check -- --help',
].join('\n');

/** One line per option for --help (its value's name, if any, and what it does); a test checks that it names exactly the options the parser accepts. */
const OPTION_HELP: Readonly<Record<string, readonly [value: string, text: string]>> = {
  help: ['', 'print this help and exit'],
  list: ['', 'list the specs with their presets, bounds and mutants (with --json: as one JSON object)'],
  json: ['', 'print one JSON summary as the last line of stdout (with --list: the listing as JSON)'],
  preset: ['NAME', 'start from this preset of the spec (default: its first, ci)'],
  mutant: ['NAME', "check the spec with this known bug put back in; alone (no preset, bound or strategy) it runs the mutant's declared hunt from the real initial state"],
  'stop-at': ['PROPERTY', "stop at this property's first violation only: search on past other properties' violations (still reported)"],
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
export const MIB = 2 ** 20;
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
  ...['preset', 'simulate', 'seed', 'depth', 'mutant', 'trace-out', 'states-max', 'workers', 'progress-every', 'stop-at'],
  ...['depth-step', 'bitstate', 'hashes', 'swarm', 'swarm-states'],
  ...DISK_OPTIONS,
  'deadlock',
]);

export interface Tokens {
  readonly positionals: string[];
  /** Option name (without `--`) to its value; `true` when given without one. */
  readonly options: Map<string, string | true>;
}

/** The spec registered under `name`, or undefined. */
export function findSpec(name: string, registry: readonly SpecDefinition[]): SpecDefinition | undefined {
  return registry.find((spec) => spec.name === name);
}

/** `--name value`, `--name=value` and bare `--name` (true); `switches` never take the next word as their value. */
export function tokenize(argv: readonly string[], switches: ReadonlySet<string> = SWITCHES): Tokens {
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
    } else if (!switches.has(name) && i + 1 < argv.length && !argv[i + 1]!.startsWith('--')) {
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
  'stop-at': nameSchema('stop-at'),
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
export type Options = z.infer<typeof optionsSchema>;

/** The options the parser accepts (for the test that --help lists each of them). */
/** The options that are not bounds, validated (`--help`, `--list` and the run's). */
export function parseOptions(tokens: Tokens): Options {
  const globals: Record<string, string | true> = {};
  for (const [name, value] of tokens.options) if (OPTIONS.has(name)) globals[name] = value;
  return parseWith(optionsSchema, globals);
}

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
  /** Stop only at this property's violation (--stop-at; CheckOptions.stopAt). */
  readonly stopAt?: string;
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

export function resolveRun(tokens: Tokens, options: Options, registry: readonly SpecDefinition[], registryModule: string | undefined): RunConfig {
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
    ...(options['stop-at'] === undefined ? {} : { stopAt: options['stop-at'] }),
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
  if (options.workers !== undefined && options['stop-at'] !== undefined) {
    throw new UsageError('--stop-at is honoured on one thread only; drop --workers');
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
