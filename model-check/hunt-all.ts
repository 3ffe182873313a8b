// Every mutant's declared hunt (MutantHunt in model.ts), and the correct spec
// under the same preset and options: `npm run check:all -- --mutants` prints
// the table docs/zab.md, docs/raft.md and docs/paxos.md quote, and
// cli/mutant-hunts.test.ts runs the same rows in CI. A hunt passes when the
// mutant violates its declared property from the real initial state and the
// correct spec, searched the same way, violates nothing (and an exhaustive
// search of it is complete): otherwise the "finding" would be the bounds'.

import { type CliIo, main } from './cli.ts';
import { EXIT } from './cli-options.ts';
import type { MutantHunt, SpecDefinition } from './model.ts';
import { huntArguments } from './mutant-hunt.ts';

export interface HuntRow {
  readonly spec: string;
  readonly mutant: string;
  readonly hunt: MutantHunt;
  /** The mutant's run. */
  readonly found: boolean;
  readonly distinctStates: number;
  readonly depth: number | undefined;
  readonly seconds: number;
  /** Every property the mutant's run violated, in the order found. */
  readonly violated: readonly string[];
  /** The correct spec's run under the same preset and options. */
  readonly correct: { readonly clean: boolean; readonly complete: boolean; readonly distinctStates: number; readonly seconds: number };
  readonly problems: readonly string[];
}

export interface JsonSummary {
  readonly exitCode: number;
  readonly complete: boolean;
  readonly distinctStates: number;
  readonly durationMs: number;
  readonly strategy: string;
  readonly violations: readonly { readonly property: string; readonly depth: number }[];
}

/** Runs the command line in process with --json and returns its summary line (also cli/catalogue.ts, for the depths). */
export function runJson(registry: readonly SpecDefinition[], argv: readonly string[]): JsonSummary {
  const out: string[] = [];
  const io: CliIo = { out: (text) => out.push(...text.split('\n')), err: () => {}, progress: false };
  const code = main([...argv, '--json'], registry, io);
  if (typeof code !== 'number') throw new Error('a hunt runs on one thread (no --workers)');
  const summary = JSON.parse(out.at(-1) ?? '{}') as JsonSummary;
  if (summary.exitCode !== code) throw new Error(`npm run check -- ${argv.join(' ')}: exit code ${code}: ${out.slice(-5).join(' / ')}`);
  return summary;
}

/** The correct spec's runs by their arguments: mutants that share a hunt's preset and options share its control run. */
export type ControlRuns = Map<string, JsonSummary>;

/** One mutant's hunt and its control run; `traceDirectory` receives the counterexample. */
export function huntMutant(registry: readonly SpecDefinition[], spec: SpecDefinition, mutant: string, traceDirectory: string, controls: ControlRuns = new Map()): HuntRow {
  const hunt = spec.mutants.find((m) => m.name === mutant)?.hunt;
  if (hunt === undefined) throw new Error(`${spec.name} mutant ${mutant} declares no hunt`);
  const found = runJson(registry, [spec.name, '--mutant', mutant, '--trace-out', `${traceDirectory}/${spec.name}-${mutant}.json`]);
  const hit = found.violations.find((v) => v.property === hunt.violates);
  const controlArgs = [spec.name, '--preset', hunt.preset, ...hunt.options];
  const key = controlArgs.join(' ');
  const control = controls.get(key) ?? runJson(registry, [...controlArgs, '--trace-out', `${traceDirectory}/${spec.name}-correct.json`]);
  controls.set(key, control);
  const exhaustive = control.strategy === 'bfs' || control.strategy === 'dfs' || control.strategy === 'iddfs';
  const problems = [
    ...(hit === undefined ? [`no violation of ${hunt.violates} (${found.violations.map((v) => v.property).join(', ') || 'no violation at all'})`] : []),
    ...control.violations.map((v) => `the correct spec violates ${v.property} at depth ${v.depth} under the same hunt`),
    ...(exhaustive && !control.complete ? ['the correct spec\'s exhaustive search was cut short'] : []),
    ...(control.exitCode !== EXIT.ok && control.violations.length === 0 && exhaustive ? [`the correct spec's run exits ${control.exitCode}`] : []),
  ];
  return {
    spec: spec.name,
    mutant,
    hunt,
    found: hit !== undefined,
    distinctStates: found.distinctStates,
    depth: hit?.depth,
    seconds: found.durationMs / 1000,
    violated: found.violations.map((v) => v.property),
    correct: { clean: control.violations.length === 0, complete: control.complete, distinctStates: control.distinctStates, seconds: control.durationMs / 1000 },
    problems,
  };
}

/** The strategy column: the hunt's options, or breadth-first. */
export function strategyOf(hunt: MutantHunt): string {
  return hunt.options.length === 0 ? 'bfs' : hunt.options.join(' ');
}

/** Hunts every declared mutant of every spec; prints a table; 0 when every hunt passes, 1 otherwise. */
export function huntAll(registry: readonly SpecDefinition[], io: CliIo, traceDirectory: string): number {
  const rows: HuntRow[] = [];
  const controls: ControlRuns = new Map();
  const undeclared: string[] = [];
  for (const spec of registry) {
    for (const mutant of spec.mutants) {
      if (mutant.hunt === undefined) {
        undeclared.push(`${spec.name} ${mutant.name}`);
        continue;
      }
      io.err(`hunting ${spec.name} ${mutant.name}: npm run check -- ${huntArguments(spec.name, mutant.name, mutant.hunt).join(' ')}`);
      rows.push(huntMutant(registry, spec, mutant.name, traceDirectory, controls));
    }
  }
  io.out('| spec | mutant | preset | strategy | property | found | distinct states | depth | seconds | correct spec: states, seconds |');
  io.out('|---|---|---|---|---|---|---:|---:|---:|---|');
  for (const r of rows) {
    const correct = `${r.correct.clean ? 'clean' : 'VIOLATED'}${r.correct.complete ? ', complete' : ''}: ${r.correct.distinctStates.toLocaleString('en-US')}, ${r.correct.seconds.toFixed(1)} s`;
    io.out(
      `| ${r.spec} | ${r.mutant} | ${r.hunt.preset} | ${strategyOf(r.hunt)} | ${r.hunt.violates} | ${r.found ? 'yes' : 'NO'} | ${r.distinctStates.toLocaleString('en-US')} | ${r.depth ?? '-'} | ${r.seconds.toFixed(2)} | ${correct} |`,
    );
  }
  for (const r of rows) for (const problem of r.problems) io.err(`FAIL ${r.spec} ${r.mutant}: ${problem}`);
  if (undeclared.length > 0) io.err(`no hunt declared (not yet found from the real initial state): ${undeclared.join(', ')}`);
  return rows.every((r) => r.problems.length === 0) ? 0 : 1;
}
