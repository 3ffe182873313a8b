// The parallel search (model-check/parallel.ts) on a real spec: with 2 and 3
// worker threads it counts exactly what the single-threaded BFS counts, finds
// a known-bug mutant with a counterexample as short as BFS's that replays to a
// violating state, and keeps its counts through many growths of the shared
// table. (model-check/parallel.test.ts does the same on toy models.)

import { describe, expect, it } from 'vitest';
import { check, type CheckReport } from '../model-check/check.ts';
import type { Model } from '../model-check/model.ts';
import type { Trace } from '../model-check/report-types.ts';
import { paxosSpec } from '../spec/paxos/spec.ts';
import { SPECS_MODULE } from './specs.ts';

// MCPaxosTiny: 3,921 distinct states (TLC's count), small enough for a test.
const TLC_BOUNDS = paxosSpec.presets.find((p) => p.name === 'tlc')!.bounds;

function sequential(mutant: string | undefined): CheckReport {
  return check(paxosSpec.build(TLC_BOUNDS, mutant), { progress: false });
}

function parallel(mutant: string | undefined, workers: number, capacityLog2?: number): Promise<CheckReport> {
  const rebuild = { module: SPECS_MODULE, name: paxosSpec.name, bounds: TLC_BOUNDS, mutant };
  const strategy = { kind: 'parallel-bfs' as const, workers, rebuild, ...(capacityLog2 === undefined ? {} : { capacityLog2 }) };
  return check(paxosSpec.build(TLC_BOUNDS, mutant), { strategy, progress: false });
}

/** Replays a trace by its printed action names from the first initial state; the state it ends in. */
function replayByName<S, A>(model: Model<S, A>, trace: Trace): S {
  let state = model.init()[0]!;
  for (const step of trace.steps) {
    const action = model.actions(state).find((a) => model.formatAction(a) === step.action);
    expect(action, `${step.action} enabled`).toBeDefined();
    state = model.next(state, action!)!;
    expect(state).toBeDefined();
  }
  return state;
}

const counts = (report: CheckReport) => ({
  complete: report.complete,
  distinctStates: report.distinctStates,
  generatedStates: report.generatedStates,
  maxDepth: report.maxDepth,
  sometimes: report.sometimes.map((s) => [s.property, s.reached, s.depth]),
});

// Each parallel run starts its workers, which compile the specs under tsx: seconds each on a loaded machine.
const TIMEOUT_MS = 180_000;

describe('parallel BFS on paxos at the tlc preset', () => {
  it.each([2, 3])('counts what BFS counts on %i workers, also through table growth from 16 slots', async (workers) => {
    const expected = counts(sequential(undefined));
    expect(expected).toMatchObject({ complete: true, distinctStates: 3921 });
    expect(counts(await parallel(undefined, workers))).toEqual(expected);
    // 3,921 states from 16 slots: the workers rehash together through 5 growths (fourfold up to 2^14 slots).
    expect(counts(await parallel(undefined, workers, 4))).toEqual(expected);
  }, TIMEOUT_MS);

  it.each([2, 3])('finds ignore-promised-values on %i workers with a counterexample as short as BFS, which replays to a violation', async (workers) => {
    const mutant = 'ignore-promised-values';
    const bfs = sequential(mutant).violations[0]!;
    expect(bfs).toMatchObject({ property: 'Agreement', depth: 12 });
    const model = paxosSpec.build(TLC_BOUNDS, mutant);
    const agreement = model.properties.find((p) => p.name === 'Agreement')!;
    const report = await parallel(mutant, workers);
    expect(report.complete).toBe(false);
    const violation = report.violations[0]!;
    expect(violation).toMatchObject({ property: 'Agreement', depth: bfs.depth });
    expect(violation.trace.steps).toHaveLength(bfs.trace.steps.length);
    expect(agreement.holds(replayByName(model, violation.trace))).toBe(false);
  }, TIMEOUT_MS);
});
