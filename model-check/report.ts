// What the checker prints and writes: a human-readable report (TLC's closing
// statistics: distinct and generated states, depth, time, rate), each
// counterexample one step per line with the fields of the state that the step
// changed (TLC prints whole states; a diff reads faster), and trace files in
// JSON for tools (conformance replays them; their shape is
// {spec, preset, bounds, mutant, property, trace: {initial, steps}}).
//
// The diff is generic and structural over model.view output (plain JSON
// data): objects by key, arrays by index, paths written as in TypeScript
// (`acceptors[1].maxBal`).

import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { assertNever } from '../lib/assert.ts';
import type { CheckReport, LivenessReport, Trace } from './report-types.ts';
import type { Bounds } from './model.ts';

export interface FieldChange {
  readonly path: string;
  readonly before: unknown;
  readonly after: unknown;
}

/** The leaves that differ between two views; an absent side is `undefined`. */
export function diffViews(before: unknown, after: unknown, path = ''): FieldChange[] {
  const changes: FieldChange[] = [];
  collectChanges(before, after, path, changes);
  return changes;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function collectChanges(before: unknown, after: unknown, path: string, changes: FieldChange[]): void {
  if (Object.is(before, after)) return;
  if (Array.isArray(before) && Array.isArray(after)) {
    collectArrayChanges(before, after, path, changes);
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
    for (const key of keys) collectChanges(before[key], after[key], path === '' ? key : `${path}.${key}`, changes);
    return;
  }
  changes.push({ path: path === '' ? '(state)' : path, before, after });
}

/**
 * Arrays are compared after their common prefix and suffix, so that taking
 * the head of a FIFO channel or inserting into a sorted bag reads as one
 * removed or added element rather than every later element changing.
 */
function collectArrayChanges(before: readonly unknown[], after: readonly unknown[], path: string, changes: FieldChange[]): void {
  const shorter = Math.min(before.length, after.length);
  let prefix = 0;
  while (prefix < shorter && isDeepEqual(before[prefix], after[prefix])) prefix++;
  let suffix = 0;
  while (suffix < shorter - prefix && isDeepEqual(before[before.length - 1 - suffix], after[after.length - 1 - suffix])) suffix++;
  const removed = before.length - prefix - suffix;
  const added = after.length - prefix - suffix;
  if (removed === 0 || added === 0 || removed === added) {
    // Pure removal, pure insertion, or replacement in place: element by element at the original indices.
    const length = Math.max(removed, added);
    for (let i = prefix; i < prefix + length; i++) {
      collectChanges(i - prefix < removed ? before[i] : undefined, i - prefix < added ? after[i] : undefined, `${path}[${i}]`, changes);
    }
    return;
  }
  const length = Math.max(before.length, after.length);
  for (let i = prefix; i < length; i++) collectChanges(before[i], after[i], `${path}[${i}]`, changes);
}

function isDeepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((item, i) => isDeepEqual(item, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((key) => key in b && isDeepEqual(a[key], b[key]));
  }
  return false;
}

const VALUE_CHARS_MAX = 80;

export function formatValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > VALUE_CHARS_MAX ? `${text.slice(0, VALUE_CHARS_MAX - 3)}...` : text;
}

export function formatChange(change: FieldChange): string {
  return `${change.path}: ${formatValue(change.before)} -> ${formatValue(change.after)}`;
}

/** A counterexample, one line per step: `  3: Phase1b(a1, b0)   acceptors[1].maxBal: -1 -> 0`. */
export function formatTrace(trace: Trace): string[] {
  const numberWidth = String(trace.steps.length).length;
  const width = Math.max(4, ...trace.steps.map((step) => step.action.length));
  const lines = [`  ${'0'.padStart(numberWidth)}: ${'Init'.padEnd(width)}   ${formatValue(trace.initial)}`];
  let previous = trace.initial;
  trace.steps.forEach((step, i) => {
    const changes = diffViews(previous, step.state).map(formatChange);
    const changed = changes.length === 0 ? '(no change)' : changes.join('; ');
    lines.push(`  ${String(i + 1).padStart(numberWidth)}: ${step.action.padEnd(width)}   ${changed}`);
    previous = step.state;
  });
  if (trace.cycleStart !== undefined) markCycle(lines, trace.cycleStart, trace.steps.length);
  return lines;
}

/** A lasso's cycle: a line before its first step and one after its last (report-types.ts's Trace.cycleStart). */
function markCycle(lines: string[], cycleStart: number, steps: number): void {
  if (cycleStart === steps) {
    lines.push(`  -- state ${cycleStart} has no successor: the behaviour stutters there forever`);
    return;
  }
  lines.splice(cycleStart + 1, 0, `  -- the cycle starts at state ${cycleStart}:`);
  lines.push(`  -- back to state ${cycleStart}: the cycle repeats forever`);
}

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

export function formatReport(report: CheckReport, run?: RunDescription, traceFiles: readonly string[] = []): string {
  const lines: string[] = [];
  if (run !== undefined) {
    const mutant = run.mutant === undefined ? '' : `, mutant ${run.mutant}`;
    lines.push(`${run.spec} (preset ${run.preset}: ${formatBounds(run.bounds)}${mutant})`);
  }
  const seed = report.seed === undefined ? '' : ` seed ${report.seed}`;
  lines.push(`  strategy          ${report.strategy}${seed}${report.complete ? ' (complete)' : ' (incomplete)'}`);
  lines.push(`  distinct states   ${integer(report.distinctStates)}`);
  lines.push(`  generated states  ${integer(report.generatedStates)}`);
  lines.push(`  depth             ${report.maxDepth} (TLC would print ${report.maxDepth + 1})`);
  lines.push(`  duration          ${(report.durationMs / 1000).toFixed(2)} s`);
  lines.push(`  rate              ${integer(report.statesPerSecond)} distinct states/s`);
  if (report.violations.length === 0) lines.push('  no violation');
  report.violations.forEach((violation, i) => {
    lines.push('');
    const cycleStart = violation.trace.cycleStart;
    const at = cycleStart === undefined ? `at depth ${violation.depth}` : `by a lasso: ${cycleStart} steps, then a cycle of ${violation.depth - cycleStart}`;
    lines.push(`VIOLATION of ${violation.property} ${at}: ${violation.description}`);
    lines.push(...formatTrace(violation.trace));
    const file = traceFiles[i];
    if (file !== undefined) lines.push(`  trace written to ${file}`);
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

export function writeTraceFile(file: TraceFile, path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(traceDocument(file), null, 2)}\n`);
}
