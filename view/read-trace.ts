// Reads any trace file this project writes into a Timeline (timeline.ts):
//   - a checker counterexample, `npm run check -- ... --trace-out F.json`
//     (model-check/report.ts writeTraceFile: {spec, property, trace: {initial, steps, cycleStart?}})
//     and its ITF copy F.itf.json (model-check/itf.ts, `loop` for a lasso);
//   - a conformance trace (conformance/trace.ts: generated, a scenario, or a
//     recording with source "impl", such as `validate-recording --out`);
//   - a real ensemble's recording directory of member-*.jsonl
//     (impl/ensemble/peer-trace.ts), merged and judged as `validate-recording` does;
//   - with a validator verdict: `--verdict F` (what `conformance validate --json`
//     prints) or `--validate` (judge it here), whose rejected step is highlighted.
// A file is a trust boundary: its shape is checked (zod) and a bad one is an
// error value naming what is wrong, never a crash.

import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { assertNever } from '../lib/assert.ts';
import { findAdapter } from '../conformance/adapters/index.ts';
import { validateRecordingDir } from '../conformance/recordings/ensemble.ts';
import { ACTION_TAKEN, NODES, NONDET_PICKS, parseTrace, type Trace } from '../conformance/trace.ts';
import { validateTrace, type Verdict } from '../conformance/validate.ts';
import { fromItf } from '../model-check/itf.ts';
import { itfTraceFileSchema, traceFileSchema } from '../model-check/trace-file-schema.ts';
import { hiddenFieldsOf } from './spec-pictures.ts';
import type { Highlight, Timeline } from './timeline.ts';

export type ReadResult = { readonly ok: true; readonly timeline: Timeline } | { readonly ok: false; readonly error: string };

export interface ReadOptions {
  /** A verdict file (`conformance validate --json`'s last line) whose rejected step is highlighted. */
  readonly verdictFile?: string;
  /** Judge a conformance trace or recording with the correct spec here and highlight where it was rejected. */
  readonly validate?: boolean;
  /** The validator's K (hidden spec steps before each recorded one); default 2, 0 for a directory as validate-recording. */
  readonly hiddenStepsMax?: number;
}

const verdictSchema = z.looseObject({ verdict: z.enum(['accepted', 'rejected', 'undecided', 'invalid']), step: z.number().int().optional() });

/** Reads `path` (a file or a recording directory) into a timeline. */
export function readTimeline(path: string, options: ReadOptions = {}): ReadResult {
  let isDirectory: boolean;
  try {
    isDirectory = statSync(path).isDirectory();
  } catch (error) {
    return { ok: false, error: `cannot read ${path}: ${(error as Error).message}` };
  }
  if (isDirectory) return readRecordingDir(path, options);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { ok: false, error: `${path}: not a JSON trace file: ${(error as Error).message}` };
  }
  const read = timelineOf(json, path);
  if (!read.ok) return read;
  return withVerdict(read.timeline, json, options);
}

/** The timeline of a parsed trace file of any kind. */
export function timelineOf(json: unknown, name = 'trace'): ReadResult {
  const checker = traceFileSchema.safeParse(json);
  if (checker.success) {
    const file = checker.data;
    return {
      ok: true,
      timeline: {
        spec: file.spec,
        source: 'checker',
        kind: 'spec-state',
        title: checkerTitle(file.spec, file.property, file.mutant, file.preset),
        initial: file.trace.initial,
        steps: file.trace.steps.map((s) => ({ action: s.action, state: s.state })),
        ...(file.trace.cycleStart === undefined ? {} : { loopStart: file.trace.cycleStart }),
        ...(file.property === undefined ? {} : { violated: file.property }),
        hiddenFields: hiddenFieldsOf(file.spec, (json as { bounds?: unknown }).bounds),
      },
    };
  }
  const itf = itfTraceFileSchema.safeParse(json);
  if (itf.success) return { ok: true, timeline: fromCheckerItf(itf.data) };
  const conformance = parseTrace(JSON.stringify(json));
  if (conformance.ok) return { ok: true, timeline: fromConformance(conformance.trace) };
  return {
    ok: false,
    error: `${name}: not a trace this project writes (a checker counterexample, its .itf.json, a conformance trace or recording); as a conformance trace: ${conformance.error}`,
  };
}

function checkerTitle(spec: string, property: string | undefined, mutant: string | null | undefined, preset: string | null | undefined): string {
  const what = property === undefined ? 'counterexample' : `${property} violated`;
  return `${spec}${mutant ? ` with mutant ${mutant}` : ''}: ${what}${preset ? ` (preset ${preset})` : ''}`;
}

function fromCheckerItf(itf: z.infer<typeof itfTraceFileSchema>): Timeline {
  const meta = itf['#meta'] as Record<string, unknown>;
  const view = (state: Record<string, unknown>): unknown => {
    const out: Record<string, unknown> = {};
    for (const name of itf.vars) out[name] = fromItf(state[name]);
    // model-check/itf.ts writes a view that is not a record as one variable `state`.
    return itf.vars.length === 1 && itf.vars[0] === 'state' ? out.state : out;
  };
  const [first, ...rest] = itf.states;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    spec: itf['#meta'].spec,
    source: 'checker-itf',
    kind: 'spec-state',
    title: checkerTitle(itf['#meta'].spec, str(meta.property), str(meta.mutant), str(meta.preset)),
    initial: view(first!),
    steps: rest.map((s) => ({ action: s['#meta'].action ?? '(action not recorded)', state: view(s) })),
    ...(itf.loop === undefined ? {} : { loopStart: itf.loop }),
    ...(typeof meta.property === 'string' ? { violated: meta.property } : {}),
    hiddenFields: hiddenFieldsOf(itf['#meta'].spec, meta.bounds),
  };
}

function fromConformance(trace: Trace): Timeline {
  const meta = trace['#meta'];
  const [first, ...rest] = trace.states;
  const recording = meta.source === 'impl';
  const view = (state: Trace['states'][number]) => ({ nodes: fromItf(state[NODES]) });
  return {
    spec: meta.spec,
    source: recording ? 'recording' : 'conformance',
    kind: 'projection',
    title: meta.description ?? `${meta.spec} ${recording ? 'recording' : 'conformance trace'}${meta.mutant ? ` (mutant ${meta.mutant})` : ''}`,
    initial: view(first!),
    steps: rest.map((s) => ({ action: s[ACTION_TAKEN], state: view(s), picks: fromItf(s[NONDET_PICKS]) as Record<string, unknown> })),
    hiddenFields: [],
  };
}

function readRecordingDir(dir: string, options: ReadOptions): ReadResult {
  const judged = validateRecordingDir(dir, { hiddenStepsMax: options.hiddenStepsMax ?? 0 });
  if (!judged.ok) return { ok: false, error: `${dir}: ${judged.error}` };
  const timeline = fromConformance(judged.trace);
  return { ok: true, timeline: { ...timeline, highlight: highlightOf(judged.result.verdict) } };
}

function withVerdict(timeline: Timeline, json: unknown, options: ReadOptions): ReadResult {
  if (options.verdictFile !== undefined) {
    const verdict = readVerdictFile(options.verdictFile);
    if (!verdict.ok) return verdict;
    return { ok: true, timeline: { ...timeline, highlight: highlightOf(verdict.verdict) } };
  }
  if (options.validate !== true) return { ok: true, timeline };
  const trace = parseTrace(JSON.stringify(json));
  if (!trace.ok) return { ok: false, error: '--validate judges a conformance trace or recording; this file is a checker counterexample' };
  const adapter = findAdapter(trace.trace['#meta'].spec);
  if (adapter === undefined) return { ok: false, error: `no conformance adapter for spec ${trace.trace['#meta'].spec}` };
  const verdict = validateTrace(adapter, trace.trace, { hiddenStepsMax: options.hiddenStepsMax ?? 2 });
  return { ok: true, timeline: { ...timeline, highlight: highlightOf(verdict) } };
}

/** A verdict file: the JSON line `conformance validate --json` prints last (after its text report). */
function readVerdictFile(path: string): { ok: true; verdict: Verdict } | { ok: false; error: string } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { ok: false, error: `cannot read ${path}: ${(error as Error).message}` };
  }
  const lines = text.trim().split('\n').reverse();
  for (const line of lines) {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue;
    }
    const parsed = verdictSchema.safeParse(json);
    if (parsed.success) return { ok: true, verdict: parsed.data as unknown as Verdict };
  }
  return { ok: false, error: `${path}: no verdict line (the JSON \`npm run conformance -- validate FILE --json\` prints)` };
}

/** Where a verdict points: the rejected or undecided step; nothing for an accepted run. */
export function highlightOf(verdict: Verdict): Highlight | undefined {
  switch (verdict.verdict) {
    case 'accepted':
      return undefined;
    case 'rejected':
      return {
        step: verdict.step,
        title: `validator: rejected at step ${verdict.step} (${verdict.action}): the recording left the spec here`,
        label: `the recording left the spec here (rejected at step ${verdict.step})`,
        detail: verdict.report ?? closestText(verdict),
      };
    case 'undecided':
      return { step: verdict.step, title: `validator: undecided at step ${verdict.step}`, label: `undecided here (step ${verdict.step})`, detail: verdict.reason };
    case 'invalid':
      return { step: 0, title: 'validator: invalid trace', label: 'the trace is invalid', detail: verdict.error };
    default:
      return assertNever(verdict, 'verdict');
  }
}

/** A verdict file has no report (the command leaves it out of the JSON): the closest spec states' actions instead. */
function closestText(verdict: Extract<Verdict, { verdict: 'rejected' }>): string {
  const closest = verdict.closest ?? [];
  return closest.map((c, k) => `closest spec state ${k + 1} (${c.differences} fields differ), after: ${c.actions.join(' ; ') || '(initial state)'}`).join('\n');
}
