// Traces in the Informal Trace Format (ITF, Apalache's ADR-015,
// https://apalache-mc.org/docs/adr/015adr-trace.html), the JSON that Apalache
// and Quint write, so that their tools (Quint's REPL and test runner, the
// itf crates for Rust and Go, trace viewers) can read our counterexamples.
//
//   {"#meta": {...}, "vars": ["acceptors", ...],
//    "states": [{"#meta": {"index": 0}, "acceptors": ..., ...}, ...], "loop": k?}
//
// How a view's JavaScript values map to TLA+ values:
//   number     -> {"#bigint": "n"} always (as Quint writes integers), so a
//                 reader never has to guess whether a plain number is safe;
//                 a non-integer is {"#unserializable": "..."}
//   string, boolean -> themselves
//   array      -> a sequence (a JSON array)
//   Set        -> {"#set": [...]}; Map -> {"#map": [[k, v], ...]}
//   plain object -> a record (its keys as fields)
//   null, undefined -> {"#unserializable": "null"}: TLA+ has no null; our
//                 views use it for "none" (raft's votedFor = Nil)
// The top-level fields of the view are the variables. The action that led to
// each state is in that state's "#meta" (`action`, as formatAction prints it;
// the initial state has none), and a lasso (a liveness counterexample) gives
// `loop`, the index of the state the last one steps back to, as ADR-015 does.

const FORMAT_DESCRIPTION = 'https://apalache-mc.org/docs/adr/015adr-trace.html';

export type ItfValue =
  | boolean
  | string
  | ItfValue[]
  | { readonly '#bigint': string }
  | { readonly '#set': ItfValue[] }
  | { readonly '#map': [ItfValue, ItfValue][] }
  | { readonly '#unserializable': string }
  | { readonly [field: string]: ItfValue };

export interface ItfState {
  readonly '#meta': { readonly index: number; readonly action?: string };
  readonly [variable: string]: ItfValue | ItfState['#meta'];
}

export interface ItfTrace {
  readonly '#meta': Record<string, unknown>;
  readonly vars: string[];
  readonly states: ItfState[];
  readonly loop?: number;
}

/** One value of a view as ITF writes it (the mapping in the header). */
export function toItfValue(value: unknown): ItfValue {
  if (typeof value === 'number') return Number.isInteger(value) ? { '#bigint': String(value) } : { '#unserializable': String(value) };
  if (typeof value === 'bigint') return { '#bigint': value.toString() };
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return { '#unserializable': 'null' };
  if (Array.isArray(value)) return value.map(toItfValue);
  if (value instanceof Set) return { '#set': [...value].map(toItfValue) };
  if (value instanceof Map) return { '#map': [...value].map(([k, v]): [ItfValue, ItfValue] => [toItfValue(k), toItfValue(v)]) };
  if (typeof value === 'object') {
    const record: Record<string, ItfValue> = {};
    for (const [key, field] of Object.entries(value)) record[key] = toItfValue(field);
    return record;
  }
  return { '#unserializable': String(value) };
}

/**
 * An ITF value back to the plain JSON a spec's view is, the inverse of
 * toItfValue as far as JSON goes (what conformance/trace.ts writes, and what
 * the diagrams read, so one picture description serves a counterexample file
 * and its ITF copy alike): {"#bigint"} to a number when exact in a double (a
 * decimal string beyond), {"#set"} and {"#tup"} to arrays, {"#map"} to a
 * record when its keys are strings and to an array of pairs otherwise,
 * {"#unserializable": "null"} to null.
 */
export function fromItf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(fromItf);
  if (typeof value !== 'object' || value === null) return value;
  const record = value as Record<string, unknown>;
  if (typeof record['#bigint'] === 'string') {
    const n = Number(record['#bigint']);
    return Number.isSafeInteger(n) ? n : record['#bigint'];
  }
  if (Array.isArray(record['#set'])) return record['#set'].map(fromItf);
  if (Array.isArray(record['#tup'])) return record['#tup'].map(fromItf);
  if (Array.isArray(record['#map'])) {
    const pairs = (record['#map'] as unknown[][]).map(([k, v]) => [fromItf(k), fromItf(v)] as const);
    return pairs.every(([k]) => typeof k === 'string') ? Object.fromEntries(pairs) : pairs;
  }
  if (typeof record['#unserializable'] === 'string') return record['#unserializable'] === 'null' ? null : record['#unserializable'];
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(record)) out[key] = fromItf(field);
  return out;
}

/** A view's variables: its top-level fields, or one variable `state` when the view is not a record. */
function variablesOf(view: unknown): Record<string, unknown> {
  const isRecord = typeof view === 'object' && view !== null && !Array.isArray(view) && !(view instanceof Set) && !(view instanceof Map);
  return isRecord ? (view as Record<string, unknown>) : { state: view };
}

export interface ItfSource {
  readonly initial: unknown;
  readonly steps: readonly { readonly action: string; readonly state: unknown }[];
}

/**
 * The ITF document of a trace. `meta` goes into the top-level "#meta" (the
 * spec, preset, bounds, property...); `loop` is the index of the state a
 * lasso returns to.
 */
export function itfTrace(trace: ItfSource, meta: Record<string, unknown>, loop?: number): ItfTrace {
  const views = [trace.initial, ...trace.steps.map((step) => step.state)];
  const vars = Object.keys(variablesOf(trace.initial));
  const states = views.map((view, index): ItfState => {
    const action = index === 0 ? undefined : trace.steps[index - 1]!.action;
    const state: Record<string, unknown> = { '#meta': action === undefined ? { index } : { index, action } };
    for (const [name, value] of Object.entries(variablesOf(view))) state[name] = toItfValue(value);
    return state as ItfState;
  });
  return {
    '#meta': { format: 'ITF', 'format-description': FORMAT_DESCRIPTION, source: 'zkspec model-check', ...meta },
    vars,
    states,
    ...(loop === undefined ? {} : { loop }),
  };
}
