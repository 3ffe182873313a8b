// The process-level replay suite and its command line (`npx tsx
// conformance/replay/processes.ts --processes ...`; conformance/cli.ts
// delegates `replay --processes` to replayProcessesCli, which runs this file
// as a child): the known-bug scenarios, coverage traces and seeded walks of
// the presets whose traces use the oracle election, each replayed against
// real member processes (process-replay.ts), with the command that reproduces
// it alone.

import { spawnSync } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PEER_BUGS, type PeerBug } from '../../impl/quorum/peer/types.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { generateCoverage, randomWalks } from '../generate.ts';
import { misplaced, parseReplayOptions, type ReplayValues } from './options.ts';
import type { Trace } from '../trace.ts';
import { type ProcessReplayVerdict, replayTraceInProcesses } from './process-replay.ts';
import type { Judge } from './target.ts';
import { readTraceFile, scenarioFile } from './suite.ts';

/** Presets whose traces use the oracle election (ci-fle's use Fast Leader Election, which is not replayed here). */
export const PROCESS_PRESETS = ['ci', 'ci-all-faults', 'ci-observer'] as const;

export interface ProcessSuiteOptions {
  /** Known-bug scenarios (conformance/scenarios/zab/), judged by the correct spec. */
  readonly scenarios: boolean;
  readonly presets: readonly string[];
  /** Seeded random walks per preset (seeds seed..seed+count-1). */
  readonly count: number;
  /** The coverage-directed traces of each preset (generate.ts), the model checker's BFS cut at statesMax. */
  readonly coverageStatesMax?: number;
  readonly seed: number;
  readonly depthMax: number;
  readonly bugs: ReadonlySet<PeerBug>;
  /** Trace files instead of the generated sources. */
  readonly files?: readonly string[];
  readonly judge?: Judge;
  readonly stepTimeoutMs?: number;
  readonly discoveryTimeout?: boolean;
  /** Called after each trace (progress). */
  readonly onResult?: (result: ProcessSuiteResult, done: number, total: number) => void;
}

export interface ProcessSuiteResult {
  readonly source: 'scenarios' | 'coverage' | 'walks' | 'files';
  readonly name: string;
  readonly verdict: ProcessReplayVerdict;
  readonly reproduce: string;
}

/** The traces a process suite replays, each with its judge and the command that reproduces it alone. */
export function processSuiteTraces(options: ProcessSuiteOptions): { source: ProcessSuiteResult['source']; name: string; trace: Trace; judge: Judge; reproduce: string }[] {
  const bugFlag = (options.bugs.size > 0 ? ` --bugs ${[...options.bugs].join(',')}` : '') + (options.discoveryTimeout === true ? '' : ' --strict-discovery');
  const out: ReturnType<typeof processSuiteTraces> = [];
  if (options.files !== undefined) {
    const judge = options.judge ?? 'trace';
    for (const file of options.files) out.push({ source: 'files', name: file, trace: readTraceFile(file), judge, reproduce: `npx tsx conformance/replay/processes.ts --processes --trace ${file} --judge ${judge}${bugFlag}` });
    return out;
  }
  if (options.scenarios) {
    for (const mutant of zabAdapter.spec.mutants.map((m) => m.name)) {
      const file = `conformance/scenarios/zab/${mutant}.json`;
      out.push({ source: 'scenarios', name: mutant, trace: readTraceFile(scenarioFile(mutant)), judge: 'correct-spec', reproduce: `npx tsx conformance/replay/processes.ts --processes --trace ${file} --judge correct-spec${bugFlag}` });
    }
  }
  if (options.coverageStatesMax !== undefined) {
    for (const preset of options.presets) {
      generateCoverage(zabAdapter, preset, { statesMax: options.coverageStatesMax }).traces.forEach((trace, k) =>
        out.push({ source: 'coverage', name: `coverage-${preset}-${k}`, trace, judge: 'trace', reproduce: `npx tsx conformance/replay/processes.ts --processes --no-scenarios --count 0 --coverage --preset ${preset} --states-max ${options.coverageStatesMax}${bugFlag}  (trace ${k})` }),
      );
    }
  }
  if (options.count > 0) {
    for (const preset of options.presets) {
      for (const trace of randomWalks(zabAdapter, preset, { walks: options.count, seed: options.seed, depthMax: options.depthMax })) {
        const seed = trace['#meta'].seed!;
        out.push({ source: 'walks', name: `walk-${preset}-seed${seed}`, trace, judge: 'trace', reproduce: `npx tsx conformance/replay/processes.ts --processes --no-scenarios --preset ${preset} --count 1 --seed ${seed} --depth ${options.depthMax}${bugFlag}` });
      }
    }
  }
  return out;
}

/** Replays the suite's traces one after another (each starts and kills its own members). */
export async function runProcessSuite(options: ProcessSuiteOptions): Promise<ProcessSuiteResult[]> {
  const traces = processSuiteTraces(options);
  const results: ProcessSuiteResult[] = [];
  for (const t of traces) {
    const verdict = await replayTraceInProcesses(t.trace, {
      bugs: options.bugs,
      judge: t.judge,
      reproduce: t.reproduce,
      discoveryTimeout: options.discoveryTimeout === true,
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
    });
    const result = { source: t.source, name: t.name, verdict, reproduce: t.reproduce };
    results.push(result);
    options.onResult?.(result, results.length, traces.length);
  }
  return results;
}

export interface ProcessCliIo {
  out(text: string): void;
  err(text: string): void;
}

/** What the command line asks of the suite, and how to report it. */
interface ParsedProcessesCommand {
  readonly suite: Omit<ProcessSuiteOptions, 'onResult'>;
  readonly allowKnown: boolean;
  readonly json: boolean;
}

/**
 * `replay --processes [--count N] [--seed S] [--depth D] [--preset P ...] [--trace FILE ... [--judge J]]
 * [--bugs B,...] [--no-scenarios] [--coverage [--states-max N]] [--allow-known] [--strict-discovery]
 * [--step-timeout MS] [--json]`: the process-level suite. A DISCOVERY leader's initLimit fires where
 * spec/zab gives up, as the in-process replay does by default, unless --strict-discovery. Exit 0 when
 * every trace conforms (or, with --allow-known, diverges only by a documented difference), 1 on any other
 * divergence or an invalid trace, 2 on bad usage.
 */
export async function processesCommand(args: readonly string[], io: ProcessCliIo): Promise<number> {
  const command = parseProcessesCommand(args, io);
  if (typeof command === 'number') return command;
  const startMs = performance.now();
  let results: ProcessSuiteResult[];
  try {
    results = await runProcessSuite({
      ...command.suite,
      onResult: (r, done, total) => io.err(`[${done}/${total}] ${r.name}: ${r.verdict.verdict}${'step' in r.verdict ? ` at step ${r.verdict.step}` : ''} (${r.verdict.elapsedMs} ms)`),
    });
  } catch (error) {
    io.err((error as Error).message);
    return 2;
  }
  return reportProcessSuite(results, Math.round(performance.now() - startMs), command, io);
}

/** The command's options, or its exit code (2) after saying what is wrong with them. */
function parseProcessesCommand(args: readonly string[], io: ProcessCliIo): ParsedProcessesCommand | number {
  let values: ReplayValues;
  try {
    values = parseReplayOptions(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n${PROCESSES_USAGE}`);
    return 2;
  }
  const wrong = values.spec !== undefined && values.spec !== 'zab' ? `--spec: the process-level replay is spec/zab's, not ${values.spec}'s` : misplaced({ ...values, processes: true });
  if (wrong !== undefined) {
    io.err(`${wrong}\n${PROCESSES_USAGE}`);
    return 2;
  }
  const int = (text: string | undefined, name: string, fallback: number): number | undefined => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= 0) return n;
    io.err(`--${name} must be a non-negative integer, got ${text}\n${PROCESSES_USAGE}`);
    return undefined;
  };
  const bugs = new Set<PeerBug>();
  for (const name of (values.bugs ?? '').split(',').filter((b) => b !== '')) {
    if (!(PEER_BUGS as readonly string[]).includes(name)) {
      io.err(`--bugs: unknown bug ${name} (have: ${PEER_BUGS.join(', ')})`);
      return 2;
    }
    bugs.add(name as PeerBug);
  }
  const presets = values.preset ?? [...PROCESS_PRESETS];
  for (const p of presets) {
    if (!zabAdapter.spec.presets.some((q) => q.name === p)) {
      io.err(`zab has no preset ${p}`);
      return 2;
    }
  }
  const judge = values.judge ?? 'trace';
  if (judge !== 'trace' && judge !== 'correct-spec') {
    io.err(`--judge must be trace or correct-spec, got ${judge}`);
    return 2;
  }
  const count = int(values.count, 'count', 10);
  const seed = int(values.seed, 'seed', 1);
  const depthMax = int(values.depth, 'depth', 40);
  const stepTimeoutMs = int(values['step-timeout'], 'step-timeout', 3000);
  const statesMax = int(values['states-max'], 'states-max', 20_000);
  if (count === undefined || seed === undefined || depthMax === undefined || stepTimeoutMs === undefined || statesMax === undefined) return 2;
  const suite: ParsedProcessesCommand['suite'] = {
    scenarios: values['no-scenarios'] !== true,
    presets,
    count,
    seed,
    depthMax,
    bugs,
    judge,
    stepTimeoutMs,
    discoveryTimeout: values['strict-discovery'] !== true,
    ...(values.coverage === true ? { coverageStatesMax: statesMax } : {}),
    ...(values.trace === undefined ? {} : { files: values.trace }),
  };
  return { suite, allowKnown: values['allow-known'] === true, json: values.json === true };
}

/** The summary, each divergence in full, and the exit code: 0 when every trace conforms (or with --allow-known diverges only by a known difference), else 1. */
function reportProcessSuite(results: readonly ProcessSuiteResult[], elapsedMs: number, command: ParsedProcessesCommand, io: ProcessCliIo): number {
  const bugs = command.suite.bugs;
  const failed = results.filter((r) => r.verdict.verdict !== 'conforms' && !(command.allowKnown && r.verdict.verdict !== 'invalid' && r.verdict.known !== undefined));
  const steps = results.reduce((sum, r) => sum + (r.verdict.verdict === 'conforms' ? r.verdict.steps : 0), 0);
  io.out(`replayed ${results.length} traces against ensemble member processes (impl/main.ts in test-control mode)${bugs.size > 0 ? ` built with ${[...bugs].join(', ')}` : ''} in ${elapsedMs} ms; ${steps} steps in conforming traces`);
  const counts = new Map<string, number>();
  for (const r of results) {
    const v = r.verdict;
    const key = `${r.source} ${v.verdict}${v.verdict !== 'conforms' && v.verdict !== 'invalid' && v.known !== undefined ? ` (known: ${v.known})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, n] of counts) io.out(`  ${key}: ${n}`);
  for (const r of results) {
    const v = r.verdict;
    if (v.verdict === 'conforms') {
      if (v.scheduleLeftSpecAt !== undefined) io.out(`  ${r.name}: the correct spec leaves the schedule at step ${v.scheduleLeftSpecAt.step} (${v.scheduleLeftSpecAt.action}); replayed up to there`);
      continue;
    }
    if (v.verdict === 'invalid') io.out(`${r.name}: invalid at step ${v.step}: ${v.error}\nreproduce: ${r.reproduce}`);
    else io.out(`${r.name}:\n${v.report}`);
  }
  if (command.json) io.out(JSON.stringify(results.map((r) => ({ source: r.source, name: r.name, verdict: r.verdict.verdict, elapsedMs: r.verdict.elapsedMs, ...('step' in r.verdict ? { step: r.verdict.step } : {}) }))));
  io.out(failed.length === 0 ? 'every trace conforms' : `${failed.length} of ${results.length} traces diverge`);
  return failed.length === 0 ? 0 : 1;
}

export const PROCESSES_USAGE =
  'usage: conformance replay --processes [--count N] [--seed S] [--depth D] [--preset P ...] [--trace FILE ... [--judge trace|correct-spec]] [--bugs B,...] [--no-scenarios] [--coverage [--states-max N]] [--allow-known] [--strict-discovery] [--step-timeout MS] [--json]';

/**
 * For conformance/cli.ts, whose commands are synchronous: runs the command in
 * a child process (this file as the entry point) and waits for it; progress
 * goes to stderr as it happens, the summary through `io` at the end.
 */
export function replayProcessesCli(args: readonly string[], io: ProcessCliIo): number {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (child.stdout !== '') io.out(child.stdout.replace(/\n$/, ''));
  if (child.error !== undefined) {
    io.err(`replay --processes: ${child.error.message}`);
    return 2;
  }
  return child.status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void processesCommand(process.argv.slice(2), { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }).then((code) => {
    process.exitCode = code;
  });
}
