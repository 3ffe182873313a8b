// CI's model-checking gate (`npm run check:all`, run by cli/check-all.ts over
// the registry in cli/specs.ts): every registered spec at
// every preset named `ci` or `ci-<something>` (a spec may need several small
// exhaustive configurations, e.g. ZAB's oracle and full-election presets),
// breadth-first, in this process one after the other. Fails
// (exit 1) on any violation, on a search cut short (INCOMPLETE) and on any `sometimes` that was not reached, since
// an unreached `sometimes` means the check may pass only because nothing
// happens (stateright's reason for them). Trace files of violations go to
// ./traces/ as with `npm run check`. A spec that throws fails with its path
// printed, and the others still run.

import { ModelError } from './check.ts';
import { type CliIo, execute, processIo, type RunResult } from './cli.ts';
import { presetBounds } from './cli-options.ts';
import type { SpecDefinition } from './model.ts';
import { formatTrace } from './counterexample.ts';

export interface SpecOutcome {
  /** `spec` or `spec/preset` for presets other than `ci`. */
  readonly spec: string;
  readonly ok: boolean;
  readonly distinctStates: number;
  readonly durationMs: number;
  readonly problems: readonly string[];
}

/** The presets check:all runs for a spec: `ci` first, then every `ci-*` in declaration order. */
export function ciPresets(spec: SpecDefinition): SpecDefinition['presets'] {
  return spec.presets.filter((p) => p.name === 'ci' || p.name.startsWith('ci-')).sort((a, b) => (a.name === 'ci' ? -1 : b.name === 'ci' ? 1 : 0));
}

/** Checks every spec at its `ci` presets; returns the exit code (0 all pass, 1 otherwise). */
export function checkAll(registry: readonly SpecDefinition[], io: CliIo = processIo, traceDirectory = 'traces'): number {
  if (registry.length === 0) {
    io.err('check:all: no specs registered in cli/specs.ts');
    return 0;
  }
  const outcomes: SpecOutcome[] = [];
  for (const spec of registry) {
    const presets = ciPresets(spec);
    if (presets[0]?.name !== 'ci') {
      outcomes.push({ spec: spec.name, ok: false, distinctStates: 0, durationMs: 0, problems: ['no `ci` preset'] });
      continue;
    }
    for (const preset of presets) outcomes.push(checkPreset(spec, preset, io, traceDirectory));
  }
  io.out('check:all summary');
  for (const outcome of outcomes) {
    const verdict = outcome.ok ? 'ok  ' : 'FAIL';
    const detail = outcome.problems.length === 0 ? '' : `   ${outcome.problems.join('; ')}`;
    io.out(`  ${verdict} ${outcome.spec.padEnd(24)} ${String(outcome.distinctStates).padStart(12)} states ${(outcome.durationMs / 1000).toFixed(1).padStart(8)} s${detail}`);
  }
  return outcomes.every((o) => o.ok) ? 0 : 1;
}

function checkPreset(spec: SpecDefinition, preset: SpecDefinition['presets'][number], io: CliIo, traceDirectory: string): SpecOutcome {
  const label = preset.name === 'ci' ? spec.name : `${spec.name}/${preset.name}`;
  const config = {
    spec,
    preset,
    bounds: presetBounds(spec, preset),
    mutant: undefined,
    strategy: { kind: 'bfs' as const },
    statesMax: undefined,
    traceOut: undefined,
    traceDirectory,
    json: false,
  };
  let report: RunResult['report'];
  try {
    report = execute(config, io).report;
  } catch (error) {
    // One broken spec must not hide the verdicts of the others.
    const reason = error instanceof ModelError ? `${error.message} (after ${error.trace.steps.length} steps)` : error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    io.err(`${spec.name}: ${reason}`);
    if (error instanceof ModelError) io.err(formatTrace(error.trace).join('\n'));
    return { spec: label, ok: false, distinctStates: 0, durationMs: 0, problems: [`crashed: ${reason}`] };
  }
  io.out('');
  const problems = [
    ...report.violations.map((v) => `violates ${v.property} at depth ${v.depth}`),
    // A gate that passes on part of the state space would say nothing of the rest.
    ...(report.violations.length === 0 && !report.complete ? ['INCOMPLETE: the search was cut short'] : []),
    ...report.sometimes.filter((s) => !s.reached).map((s) => `never reaches ${s.property}`),
  ];
  return { spec: label, ok: problems.length === 0, distinctStates: report.distinctStates, durationMs: report.durationMs, problems };
}
