// The replay suite the command line and CI run (`npm run conformance -- replay`):
// spec/zab's traces from three sources, each replayed in process against the
// peer core (replay.ts), with the command that reproduces each one alone.
//
// - scenarios: every known-bug scenario (conformance/scenarios/zab/*.json),
//   judged by the correct spec on the scenario's schedule: a fixed server must
//   take the path the correct protocol takes where the bug broke it;
// - coverage: the coverage-directed traces of each preset (generate.ts, the
//   model checker's BFS cut at statesMax);
// - walks: `count` seeded random walks per preset (seeds seed..seed+count-1).

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { PeerBug } from '../../impl/quorum/peer/types.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { generateCoverage, randomWalks } from '../generate.ts';
import { parseTrace, type Trace } from '../trace.ts';
import { type Judge, replayTrace, type ReplayVerdict } from './replay.ts';

export type Source = 'scenarios' | 'coverage' | 'walks' | 'files';

export const CI_PRESETS = ['ci', 'ci-all-faults', 'ci-observer', 'ci-fle'] as const;

export interface SuiteOptions {
  readonly sources: readonly Exclude<Source, 'files'>[];
  readonly presets: readonly string[];
  readonly count: number;
  readonly seed: number;
  readonly depthMax: number;
  readonly statesMax: number;
  readonly bugs: ReadonlySet<PeerBug>;
  /** Trace files to replay instead of the generated sources. */
  readonly files?: readonly string[];
  /** The judge for files (scenarios are judged by the correct spec, generated traces by themselves). */
  readonly judge?: Judge;
  /** replay.ts ReplayOptions.discoveryTimeout. */
  readonly discoveryTimeout?: boolean;
}

export interface SuiteResult {
  readonly source: Source;
  readonly name: string;
  readonly verdict: ReplayVerdict;
  readonly reproduce: string;
}

const SCENARIOS = new URL('../scenarios/zab/', import.meta.url);

/** A trace file, parsed and validated (trace.ts); an unreadable one is an error naming the file. */
export function readTraceFile(path: string): Trace {
  const parsed = parseTrace(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error}`);
  return parsed.trace;
}

export function scenarioFile(mutant: string): string {
  return fileURLToPath(new URL(`${mutant}.json`, SCENARIOS));
}

/** One trace of the suite, with how it is judged and the command that reproduces its replay. */
export interface SuiteTrace {
  readonly source: Source;
  readonly name: string;
  readonly trace: Trace;
  readonly judge: Judge;
  readonly reproduce: string;
}

export function runSuite(options: SuiteOptions): SuiteResult[] {
  return replaySuite(collectSuite(options), options);
}

/** Replays collected traces (collectSuite) against the core built as `options` says. */
export function replaySuite(traces: readonly SuiteTrace[], options: Pick<SuiteOptions, 'bugs' | 'discoveryTimeout'>): SuiteResult[] {
  const discoveryTimeout = options.discoveryTimeout === true;
  return traces.map((t) => ({ source: t.source, name: t.name, reproduce: t.reproduce, verdict: replayTrace(t.trace, { bugs: options.bugs, judge: t.judge, reproduce: t.reproduce, discoveryTimeout }) }));
}

/** The suite's traces (generated or read), each with its judge and reproduce command. */
export function collectSuite(options: SuiteOptions): SuiteTrace[] {
  const bugs = options.bugs;
  const discoveryTimeout = options.discoveryTimeout === true;
  const bugFlag = `${bugs.size > 0 ? ` --bugs ${[...bugs].join(',')}` : ''}${discoveryTimeout ? ' --discovery-timeout' : ''}`;
  const results: SuiteTrace[] = [];
  const run = (source: Source, name: string, trace: Trace, judge: Judge, reproduce: string) => {
    results.push({ source, name, trace, judge, reproduce });
  };
  if (options.files !== undefined) {
    const judge = options.judge ?? 'trace';
    for (const file of options.files) run('files', file, readTraceFile(file), judge, `npm run conformance -- replay --trace ${file} --judge ${judge}${bugFlag}`);
    return results;
  }
  if (options.sources.includes('scenarios')) {
    for (const mutant of zabAdapter.spec.mutants.map((m) => m.name)) {
      const file = `conformance/scenarios/zab/${mutant}.json`;
      run('scenarios', mutant, readTraceFile(scenarioFile(mutant)), 'correct-spec', `npm run conformance -- replay --trace ${file} --judge correct-spec${bugFlag}`);
    }
  }
  for (const preset of options.presets) {
    if (options.sources.includes('coverage')) {
      const coverage = generateCoverage(zabAdapter, preset, { statesMax: options.statesMax });
      coverage.traces.forEach((trace, k) =>
        run('coverage', `coverage-${preset}-${k}`, trace, 'trace', `npm run conformance -- replay --sources coverage --preset ${preset} --states-max ${options.statesMax}${bugFlag}  (trace ${k})`),
      );
    }
    if (options.sources.includes('walks') && options.count > 0) {
      for (const trace of randomWalks(zabAdapter, preset, { walks: options.count, seed: options.seed, depthMax: options.depthMax })) {
        const seed = trace['#meta'].seed!;
        run('walks', `walk-${preset}-seed${seed}`, trace, 'trace', `npm run conformance -- replay --sources walks --preset ${preset} --count 1 --seed ${seed} --depth ${options.depthMax}${bugFlag}`);
      }
    }
  }
  return results;
}

/** Counts per source and verdict ("conforms", "conforms with abstracted steps", "diverging-state", "diverging-state (known: ...)"). */
export function summarize(results: readonly SuiteResult[]): Map<string, Map<string, number>> {
  const table = new Map<string, Map<string, number>>();
  for (const r of results) {
    const v = r.verdict;
    const key =
      v.verdict === 'conforms'
        ? Object.keys(v.abstracted).length === 0
          ? 'conforms'
          : 'conforms with abstracted steps'
        : v.verdict === 'invalid'
          ? v.verdict
          : v.known === undefined
            ? v.verdict
            : `${v.verdict} (known: ${v.known})`;
    const row = table.get(r.source) ?? new Map<string, number>();
    row.set(key, (row.get(key) ?? 0) + 1);
    table.set(r.source, row);
  }
  return table;
}
