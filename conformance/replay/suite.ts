// The replay suite the command line and CI run (`npm run conformance -- replay
// [--spec zab|raft]`): a spec's traces from three sources, each replayed in
// process against the target's core (replay.ts), with the command that
// reproduces each one alone.
//
// - scenarios: every known-bug scenario (conformance/scenarios/<spec>/*.json)
//   but those the target cannot start (its notReplayable), judged by the
//   correct spec on the scenario's schedule: a fixed core must take the path
//   the correct protocol takes where the bug broke it;
// - coverage: the coverage-directed traces of each preset (generate.ts, the
//   model checker's BFS cut at statesMax);
// - walks: `count` seeded walks per preset (seeds seed..seed+count-1), as the
//   target takes them (ZAB: random walks; Raft: under the eager scheduler).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { generateCoverage } from '../generate.ts';
import { parseTrace, type Trace } from '../trace.ts';
import { replayTrace } from './replay.ts';
import type { AnyReplayTarget, Judge, ReplayVerdict } from './target.ts';

export const SOURCES = ['scenarios', 'coverage', 'walks'] as const;
export type Source = (typeof SOURCES)[number] | 'files';

export interface SuiteOptions {
  readonly sources: readonly Exclude<Source, 'files'>[];
  readonly presets: readonly string[];
  readonly count: number;
  readonly seed: number;
  readonly depthMax: number;
  readonly statesMax: number;
  /** Bug flags the core is built with (the target's `bugs`). */
  readonly bugs: ReadonlySet<string>;
  /** Trace files to replay instead of the generated sources. */
  readonly files?: readonly string[];
  /** The judge for files (scenarios are judged by the correct spec, generated traces by themselves). */
  readonly judge?: Judge;
  /** target.ts ReplayOptions.discoveryTimeout (ZAB). */
  readonly discoveryTimeout?: boolean;
}

/** One trace of the suite, with how it is judged and the command that reproduces its replay. */
export interface SuiteTrace {
  readonly source: Source;
  readonly name: string;
  readonly trace: Trace;
  readonly judge: Judge;
  readonly reproduce: string;
}

export interface SuiteResult {
  readonly source: Source;
  readonly name: string;
  readonly verdict: ReplayVerdict;
  readonly reproduce: string;
  /** The trace's length in actions. */
  readonly steps: number;
}

/** A trace file, parsed and validated (trace.ts); an unreadable one is an error naming the file. */
export function readTraceFile(path: string): Trace {
  const parsed = parseTrace(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error}`);
  return parsed.trace;
}

/** The path of a mutant's scenario file (default spec/zab's). */
export function scenarioFile(mutant: string, spec = 'zab'): string {
  return fileURLToPath(new URL(`../scenarios/${spec}/${mutant}.json`, import.meta.url));
}

export function runSuite(target: AnyReplayTarget, options: SuiteOptions): SuiteResult[] {
  return replaySuite(target, collectSuite(target, options), options);
}

/** Replays collected traces (collectSuite) against the target's core built as `options` says. */
export function replaySuite(target: AnyReplayTarget, traces: readonly SuiteTrace[], options: Pick<SuiteOptions, 'bugs' | 'discoveryTimeout'>): SuiteResult[] {
  const discoveryTimeout = options.discoveryTimeout === true;
  return traces.map((t) => ({
    source: t.source,
    name: t.name,
    reproduce: t.reproduce,
    steps: t.trace.states.length - 1,
    verdict: replayTrace(target, t.trace, { bugs: options.bugs, judge: t.judge, reproduce: t.reproduce, discoveryTimeout }),
  }));
}

/** The command line that runs `replay` for this target: `--spec` named for any but ZAB, the default. */
export function replayCommand(target: AnyReplayTarget): string {
  const spec = target.adapter.spec.name;
  return `npm run conformance -- replay${spec === 'zab' ? '' : ` --spec ${spec}`}`;
}

/** The suite's traces (generated or read), each with its judge and reproduce command. */
export function collectSuite(target: AnyReplayTarget, options: SuiteOptions): SuiteTrace[] {
  const spec = target.adapter.spec.name;
  const command = replayCommand(target);
  const bugs = options.bugs;
  const flags = `${bugs.size > 0 ? ` --bugs ${[...bugs].join(',')}` : ''}${options.discoveryTimeout === true ? ' --discovery-timeout' : ''}`;
  const results: SuiteTrace[] = [];
  const add = (source: Source, name: string, trace: Trace, judge: Judge, reproduce: string) => {
    results.push({ source, name, trace, judge, reproduce });
  };
  if (options.files !== undefined) {
    const judge = options.judge ?? 'trace';
    for (const file of options.files) add('files', file, readTraceFile(file), judge, `${command} --trace ${file} --judge ${judge}${flags}`);
    return results;
  }
  if (options.sources.includes('scenarios')) {
    for (const mutant of target.adapter.spec.mutants.map((m) => m.name)) {
      if (target.notReplayable[mutant] !== undefined) continue;
      const file = `conformance/scenarios/${spec}/${mutant}.json`;
      add('scenarios', mutant, readTraceFile(scenarioFile(mutant, spec)), 'correct-spec', `${command} --trace ${file} --judge correct-spec${flags}`);
    }
  }
  for (const preset of options.presets) {
    if (options.sources.includes('coverage')) {
      generateCoverage(target.adapter, preset, { statesMax: options.statesMax }).traces.forEach((trace, k) =>
        add('coverage', `coverage-${preset}-${k}`, trace, 'trace', `${command} --sources coverage --preset ${preset} --states-max ${options.statesMax}${flags}  (trace ${k})`),
      );
    }
    if (options.sources.includes('walks') && options.count > 0) {
      for (const trace of target.walks(preset, options.count, options.seed, options.depthMax)) {
        const seed = trace['#meta'].seed!;
        add('walks', `walk-${preset}-seed${seed}`, trace, 'trace', `${command} --sources walks --preset ${preset} --count 1 --seed ${seed} --depth ${options.depthMax}${flags}`);
      }
    }
  }
  return results;
}
