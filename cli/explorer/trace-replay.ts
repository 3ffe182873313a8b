// A counterexample file, re-executed through the model. The checker writes
// each violation twice (model-check/report.ts's writeTraceFile): our JSON
// (`{spec, preset, bounds, mutant, property, trace: {initial, steps}}`) and
// its ITF copy (model-check/itf.ts). Either is read here, the model its
// metadata names is built, and each step is matched against the model: the
// initial state must be one of Init's, and step k must be an action enabled
// at state k-1 with the step's label whose successor is the file's state k.
// The result is the explorer's path to each matched state (state-path.ts),
// so the page steps through the trace as through any other path, and the
// first step that does not match is named with the reason (a trace of an
// older spec, of other bounds, or edited by hand).

import type { z } from 'zod';
import { type Result, err, ok } from '../../lib/result.ts';
import { diffViews, formatChange } from '../../model-check/counterexample.ts';
import { toItfValue } from '../../model-check/itf.ts';
import { itfTraceFileSchema, traceFileSchema } from '../../model-check/trace-file-schema.ts';
import type { LoadedModel, ModelCache, ResolvedConfig } from './model-config.ts';
import { jsonView } from './state-path.ts';

/** One state of a trace file, in the form it is compared in. */
interface FileStep {
  /** The action's label as the file gives it (formatAction's text); none for the initial state. */
  readonly label: string | undefined;
  readonly state: unknown;
}

interface ParsedTrace {
  readonly format: 'json' | 'itf';
  readonly config: { spec: string; preset?: string; bounds?: Record<string, number | boolean>; mutant: string | null };
  readonly property: string | null;
  readonly loop: number | null;
  /** The initial state first. */
  readonly steps: readonly FileStep[];
}

export interface ReplayedTrace {
  readonly model: ResolvedConfig;
  readonly format: 'json' | 'itf';
  readonly property: string | null;
  /** For a lasso: the state its last step returns to. */
  readonly loop: number | null;
  /** The file's labels: "Init", then each step's action. */
  readonly labels: readonly string[];
  /** The explorer's path of every state that matched, in order (paths[k] addresses the file's state k). */
  readonly paths: readonly (readonly number[])[];
  /** The first state that does not match, and why; absent when the whole trace is a behaviour of the model. */
  readonly mismatch?: { readonly step: number; readonly reason: string };
}

const issues = (error: z.ZodError) => error.issues.map((issue) => `${issue.path.join('.') || '(document)'}: ${issue.message}`).join('; ');

/** The trace file's document as our JSON or ITF, or why it is neither. */
export function parseTraceDocument(document: unknown): Result<ParsedTrace, string> {
  const isItf = typeof document === 'object' && document !== null && '#meta' in document;
  if (isItf) {
    const parsed = itfTraceFileSchema.safeParse(document);
    if (!parsed.success) return err(`not a trace file the checker writes (read as ITF): ${issues(parsed.error)}`);
    const { '#meta': meta, states, loop } = parsed.data;
    const steps = states.map((record): FileStep => {
      const { '#meta': stateMeta, ...variables } = record;
      return { label: stateMeta.action, state: variables };
    });
    const config = { spec: meta.spec, ...(meta.preset === undefined ? {} : { preset: meta.preset }), ...(meta.bounds === undefined ? {} : { bounds: meta.bounds }), mutant: meta.mutant ?? null };
    return ok({ format: 'itf', config, property: meta.property ?? null, loop: loop ?? null, steps });
  }
  const parsed = traceFileSchema.safeParse(document);
  if (!parsed.success) return err(`not a trace file the checker writes (read as its JSON): ${issues(parsed.error)}`);
  const { trace } = parsed.data;
  const steps: FileStep[] = [{ label: undefined, state: jsonView(trace.initial) }, ...trace.steps.map((step) => ({ label: step.action, state: jsonView(step.state) }))];
  const config = { spec: parsed.data.spec, preset: parsed.data.preset, bounds: parsed.data.bounds, mutant: parsed.data.mutant };
  return ok({ format: 'json', config, property: parsed.data.property, loop: trace.cycleStart ?? null, steps });
}

/** A view in the form the file holds it: JSON's, or ITF's values (itf.ts) for an ITF file. */
const comparable = (view: unknown, format: 'json' | 'itf'): unknown => {
  const json = jsonView(view);
  if (format === 'json') return json;
  const isRecord = typeof json === 'object' && json !== null && !Array.isArray(json);
  return jsonView(toItfValue(isRecord ? json : { state: json }));
};

function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (Array.isArray(a) || Array.isArray(b)) return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => sameValue(item, b[i]));
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => key in b && sameValue((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key]));
}

/** The first few fields where the model's state differs from the file's, for a mismatch's reason. */
function differences(model: unknown, file: unknown): string {
  const changes = diffViews(model, file);
  const shown = changes.slice(0, 3).map((change) => formatChange({ path: change.path, before: change.before, after: change.after }));
  return `${shown.join('; ')}${changes.length > 3 ? `; and ${changes.length - 3} more` : ''} (model -> file)`;
}

/** Re-executes `document` (a trace file) through the model it names; `cache` builds that model. */
export function replayTrace(document: unknown, cache: ModelCache): Result<ReplayedTrace, string> {
  const parsed = parseTraceDocument(document);
  if (!parsed.ok) return parsed;
  const trace = parsed.value;
  const loaded = cache.load(trace.config);
  if (!loaded.ok) return err(`the trace's model: ${loaded.error}`);
  const model = loaded.value.model;
  const labels = trace.steps.map((step, i) => (i === 0 ? 'Init' : (step.label ?? '(unlabelled)')));
  const base = { model: loaded.value.config, format: trace.format, property: trace.property, loop: trace.loop, labels };
  const initial = model.init();
  const first = initial.findIndex((state) => sameValue(comparable(model.view(state), trace.format), trace.steps[0]!.state));
  if (first < 0) {
    const reason = `the trace's initial state is none of the model's ${initial.length} initial states; against the first: ${differences(comparable(model.view(initial[0]), trace.format), trace.steps[0]!.state)}`;
    return ok({ ...base, paths: [], mismatch: { step: 0, reason } });
  }
  const paths: number[][] = [[first]];
  let state = initial[first];
  for (let k = 1; k < trace.steps.length; k++) {
    const step = trace.steps[k]!;
    const matched = matchStep(loaded.value.model, state, step, trace.format);
    if (!matched.ok) return ok({ ...base, paths, mismatch: { step: k, reason: `step ${k} (${labels[k]}): ${matched.error}` } });
    paths.push([...paths[paths.length - 1]!, matched.value.index]);
    state = matched.value.state;
  }
  return ok({ ...base, paths });
}

/** The action at `state` with the step's label whose successor is the step's state. */
// biome-ignore lint/suspicious/noExplicitAny: the spec's own state type
function matchStep(model: LoadedModel['model'], state: any, step: FileStep, format: 'json' | 'itf'): Result<{ index: number; state: unknown }, string> {
  const actions: readonly unknown[] = model.actions(state);
  let nearest: unknown;
  for (let index = 0; index < actions.length; index++) {
    if (model.formatAction(actions[index]) !== step.label) continue;
    let next: unknown;
    try {
      next = model.next(state, actions[index]);
    } catch (error) {
      return err(`the model threw: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (next === undefined) continue;
    const view = comparable(model.view(next), format);
    if (sameValue(view, step.state)) return ok({ index, state: next });
    nearest ??= view;
  }
  if (nearest !== undefined) return err(`the action is enabled but leads elsewhere: ${differences(nearest, step.state)}`);
  const enabled = actions.filter((action) => enabledQuietly(model, state, action)).map((action) => model.formatAction(action));
  const listed = enabled.slice(0, 12).join(', ') + (enabled.length > 12 ? `, ... (${enabled.length} in all)` : '');
  return err(`no such action is enabled here; enabled: ${listed === '' ? '(none)' : listed}`);
}

/** Whether `action` has a successor, a throw counting as none (only for listing what is enabled). */
// biome-ignore lint/suspicious/noExplicitAny: the spec's own state type
function enabledQuietly(model: LoadedModel['model'], state: any, action: unknown): boolean {
  try {
    return model.next(state, action) !== undefined;
  } catch {
    return false;
  }
}
