// What the checker prints and writes: a human-readable report (TLC's closing
// statistics: distinct and generated states, depth, time, rate, the chance of
// a fingerprint collision, and with --coverage how often each action kind
// fired), each counterexample as counterexample.ts prints it, and trace files
// for tools: our JSON (conformance replays them; their shape is
// {spec, preset, bounds, mutant, property, trace: {initial, steps}}) and the
// same trace in ITF beside it (itf.ts; `<name>.itf.json`).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertNever } from '../lib/assert.ts';
import { collisionProbability, formatProbability, observedCollisionProbability } from './collision.ts';
import { formatTrace, type TraceFormat } from './counterexample.ts';
import { itfTrace } from './itf.ts';
import type { ActionCoverageReport, BitstateSummary, CheckReport, LivenessReport, MemoryReport, Trace } from './report-types.ts';
import type { Bounds } from './model.ts';
import { formatParallelStats } from './parallel-stats.ts';

export interface RunDescription {
  readonly spec: string;
  readonly preset: string;
  readonly bounds: Bounds;
  readonly mutant: string | undefined;
}

export function formatBounds(bounds: Bounds): string {
  return Object.entries(bounds)
    .map(([name, value]) => `${name}=${value}`)
    .join(' ');
}

const integer = (n: number) => n.toLocaleString('en-US');

const megabytes = (bytes: number) => `${(bytes / 2 ** 20).toFixed(bytes < 2 ** 24 ? 1 : 0)} MiB`;

/** `35 bytes/state (fingerprints 16.0 MiB, paths 8.0 MiB, heap growth 11 MiB; frontier peak 1,024 states; peak RSS 180 MiB)`. */
export function formatMemory(memory: MemoryReport): string {
  const disk = memory.diskPeakBytes === undefined ? '' : `; disk peak ${megabytes(memory.diskPeakBytes)}`;
  return (
    `${integer(memory.bytesPerState)} bytes/state (fingerprints ${megabytes(memory.fingerprintBytes)}, paths ${megabytes(memory.pathBytes)}, ` +
    `heap growth ${megabytes(memory.heapGrowthPeakBytes)}; frontier peak ${integer(memory.frontierPeakStates)} states; ` +
    `peak RSS ${megabytes(memory.rssPeakBytes)}${disk})`
  );
}

export function formatReport(report: CheckReport, run?: RunDescription, traceFiles: readonly string[] = [], format: TraceFormat = {}): string {
  const lines: string[] = [];
  if (run !== undefined) {
    const mutant = run.mutant === undefined ? '' : `, mutant ${run.mutant}`;
    lines.push(`${run.spec} (preset ${run.preset}: ${formatBounds(run.bounds)}${mutant})`);
  }
  const seed = report.seed === undefined ? '' : ` seed ${report.seed}`;
  lines.push(`  strategy          ${report.strategy}${seed}${report.complete ? ' (complete)' : ' (incomplete)'}`);
  if (report.searchBounds !== undefined) lines.push(`  search            ${report.searchBounds}`);
  lines.push(`  distinct states   ${integer(report.distinctStates)}`);
  lines.push(`  generated states  ${integer(report.generatedStates)}`);
  lines.push(`  depth             ${report.maxDepth} (TLC would print ${report.maxDepth + 1})`);
  lines.push(`  duration          ${(report.durationMs / 1000).toFixed(2)} s`);
  lines.push(`  rate              ${integer(report.statesPerSecond)} distinct states/s`);
  if (report.memory !== undefined) lines.push(`  memory            ${formatMemory(report.memory)}`);
  if (report.parallel !== undefined) for (const line of formatParallelStats(report.parallel)) lines.push(`  workers           ${line}`);
  const collision = formatProbability(collisionProbability(report.distinctStates, report.generatedStates));
  lines.push(`  collision chance  ${collision} (fingerprint collision, calculated (optimistic) as TLC does: distinct x (generated - distinct) / 2^64)`);
  if (report.closestFingerprintDistance !== undefined) {
    const observed = formatProbability(observedCollisionProbability(report.closestFingerprintDistance));
    lines.push(`                    ${observed} observed, as TLC estimates it from the actual fingerprints (1 / the distance between the closest two)`);
  }
  if (report.coverage !== undefined) lines.push('', ...formatCoverage(report.coverage));
  if (report.bitstate !== undefined) lines.push(...formatBitstate(report.bitstate));
  if (report.violations.length === 0) lines.push('  no violation');
  report.violations.forEach((violation, i) => {
    lines.push('');
    const cycleStart = violation.trace.cycleStart;
    const at = cycleStart === undefined ? `at depth ${violation.depth}` : `by a lasso: ${cycleStart} steps, then a cycle of ${violation.depth - cycleStart}`;
    lines.push(`VIOLATION of ${violation.property} ${at}: ${violation.description}`);
    lines.push(...formatTrace(violation.trace, format));
    const file = traceFiles[i];
    if (file !== undefined) lines.push(`  trace written to ${file} (ITF: ${itfPath(file)})`);
  });
  if (report.liveness !== undefined) lines.push('', ...report.liveness.map(formatLiveness));
  if (report.graphBytes !== undefined) lines.push(`  state graph       ${integer(Math.round(report.graphBytes / 2 ** 20))} MiB (recorded for liveness)`);
  if (report.sometimes.length > 0) lines.push('');
  for (const sometimes of report.sometimes) {
    lines.push(
      sometimes.reached
        ? `  sometimes ${sometimes.property}: reached at depth ${sometimes.depth}`
        : `  sometimes ${sometimes.property}: NOT reached (${sometimes.description})`,
    );
  }
  return lines.join('\n');
}

/** SPIN's bitstate statistics (hash factor, bits per state) and the coverage they imply (bitstate-set.ts). */
export function formatBitstate(b: BitstateSummary): string[] {
  const percent = (x: number) => `${(100 * x).toPrecision(4)}%`;
  return [
    `  bitstate          ${integer(b.bits)} bits (${integer(b.bytes)} bytes), ${b.hashes} bits per state, ${percent(b.fillRatio)} set`,
    `  hash factor       ${b.hashFactor.toPrecision(4)} (bits per state stored; coverage is near complete above about 100)`,
    `  omission          a new state met now is taken for seen with probability ${b.omissionProbability.toPrecision(3)}`,
    `  coverage          ${percent(b.expectedCoverage)} expected (about ${integer(Math.round(b.expectedOmitted))} states omitted${b.hashFactor < 5 ? '; with a hash factor below 5 what only they reach is lost too, so the true coverage is lower' : ''})`,
  ];
}

/** With --coverage: per action kind, successors generated and new distinct states found, then the kinds that never fired. */
export function formatCoverage(coverage: ActionCoverageReport): string[] {
  const width = Math.max(12, ...coverage.actions.map((a) => a.kind.length));
  const lines = [`  action coverage   ${'kind'.padEnd(width)} ${'generated'.padStart(14)} ${'distinct'.padStart(14)}`];
  for (const action of coverage.actions) {
    lines.push(`                    ${action.kind.padEnd(width)} ${integer(action.generated).padStart(14)} ${integer(action.distinct).padStart(14)}`);
  }
  const never = coverage.actions.filter((a) => a.generated === 0).map((a) => a.kind);
  lines.push(never.length === 0 ? '  every action kind fired' : `  NEVER FIRED: ${never.join(', ')}`);
  return lines;
}

function formatLiveness(report: LivenessReport): string {
  const head = `  ${report.kind} ${report.property}:`;
  switch (report.verdict) {
    case 'holds': {
      const leaving = report.leavingBoundary ?? 0;
      const caveat = leaving === 0 ? '' : `; ${integer(leaving)} of them have successors outside the boundary, not followed`;
      return `${head} holds (${integer(report.regionStates ?? 0)} states searched for a fair cycle${caveat})`;
    }
    case 'violated':
      return `${head} VIOLATED (lasso above)`;
    case 'not checked':
      return `${head} NOT CHECKED: ${report.reason}`;
    default:
      return assertNever(report.verdict, 'liveness verdict');
  }
}

export interface TraceFile extends RunDescription {
  readonly property: string;
  readonly trace: Trace;
  /** For a lasso (a liveness counterexample): the index of the state its last step returns to; ITF's `loop`. */
  readonly loop?: number;
}

/** The trace file's JSON document (mutant null when there is none, so the key is always present). */
export function traceDocument(file: TraceFile): unknown {
  return { spec: file.spec, preset: file.preset, bounds: file.bounds, mutant: file.mutant ?? null, property: file.property, trace: file.trace };
}

/** ./traces/<spec>-<preset>[-<mutant>]-<property>.json (traces/ is gitignored). */
export function defaultTracePath(file: RunDescription & { readonly property: string }, directory = 'traces'): string {
  const parts = [file.spec, file.preset, ...(file.mutant === undefined ? [] : [file.mutant]), file.property];
  return join(directory, `${parts.join('-').replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/** Where the ITF copy of the trace file at `path` goes: `x.json` -> `x.itf.json`. */
export function itfPath(path: string): string {
  return path.endsWith('.json') ? `${path.slice(0, -'.json'.length)}.itf.json` : `${path}.itf.json`;
}

/** Writes the trace file at `path` and its ITF copy at itfPath(path). */
export function writeTraceFile(file: TraceFile, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(traceDocument(file), null, 2)}\n`);
  const meta = { spec: file.spec, preset: file.preset, bounds: file.bounds, mutant: file.mutant ?? null, property: file.property };
  writeFileSync(itfPath(path), `${JSON.stringify(itfTrace(file.trace, meta, file.loop))}\n`);
}
