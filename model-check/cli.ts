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

import { assertNever } from '../lib/assert.ts';
import { check, type CheckReport, ModelError, type SequentialStrategy, type Strategy } from './check.ts';
import { CheckpointError } from './checkpoint.ts';
import { BITSTATE_HASHES_DEFAULT } from './bitstate-set.ts';
import { EXIT, helpText, MIB, parseOptions, presetBounds, type RunConfig, resolveRun, tokenize, USAGE, UsageError } from './cli-options.ts';
import type { SpecDefinition } from './model.ts';
import { collisionProbability, observedCollisionProbability } from './collision.ts';
import { formatTrace, type TraceFormat } from './counterexample.ts';
import { chooseHunt } from './mutant-hunt.ts';
import { DEADLOCK } from './properties.ts';
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
  if (config.stopAt !== undefined) parts.push('--stop-at', config.stopAt);
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
  const stoppable = [...model.properties.filter((p) => p.kind === 'always').map((p) => p.name), DEADLOCK];
  if (config.stopAt !== undefined && !stoppable.includes(config.stopAt)) {
    throw new UsageError(`--stop-at ${config.stopAt} is not an always property of ${config.spec.name}; properties: ${stoppable.join(', ')}`);
  }
  const options = {
    strategy: config.strategy,
    progress: progressOf(config, io),
    coverage: config.coverage === true,
    ...(config.statesMax === undefined ? {} : { statesMax: config.statesMax }),
    ...(config.stopAt === undefined ? {} : { stopAt: config.stopAt }),
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
  if (config.json) io.out(JSON.stringify(summary(config, report, traceFiles)));
  return { report, traceFiles };
}

/** The --json line: one object summarising the run (cli/versus-tlc.ts and CI read it). */
function summary(config: RunConfig, report: CheckReport, traceFiles: readonly string[]): Record<string, unknown> {
  return {
    spec: config.spec.name,
    preset: config.preset.name,
    bounds: config.bounds,
    mutant: config.mutant ?? null,
    ...(config.stopAt === undefined ? {} : { stopAt: config.stopAt }),
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
    ...(report.closestFingerprintDistance === undefined ? {} : { observedCollisionProbability: observedCollisionProbability(report.closestFingerprintDistance) }),
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
  };
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
    const given = tokenize(argv);
    const hunt = chooseHunt(given, registry);
    if (hunt.note !== undefined) io.err(hunt.note);
    if (hunt.argv !== undefined) io.out(`${given.options.get('mutant')}: its declared hunt from the real initial state:\n  npm run check -- ${hunt.argv.join(' ')}\n`);
    const tokens = hunt.argv === undefined ? given : tokenize(hunt.argv);
    const options = parseOptions(tokens);
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
    const exitCode = (result: RunResult) => {
      if (hunt.argv !== undefined && config.stopAt !== undefined && !result.report.violations.some((v) => v.property === config.stopAt)) {
        io.err(`the declared hunt did NOT find ${config.mutant}'s violation of ${config.stopAt}`);
      }
      return exitCodeOf(result.report);
    };
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
