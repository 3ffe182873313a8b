// A conformance trace: the file that carries a run between the spec and the
// implementation, in either direction. Its shape is the Informal Trace Format
// (ITF, Apalache ADR-015, also written and read by Quint): a `#meta` object,
// `vars` naming the variables, and `states`, each with `#meta.index` and one
// value per variable. Like Quint's model-based-testing traces, each state says
// which action led to it (`mbt::actionTaken`, "init" for the first) and with
// which parameters (`mbt::nondetPicks`). The one protocol variable is `nodes`:
// every node's observable projection after the action (adapter.ts), never the
// spec's whole state, because the implementation must be able to produce the
// same thing from outside.
//
// ITF values: integers within +-(2^53 - 1) are JSON numbers, larger ones are
// {"#bigint": "<decimal>"} (ZooKeeper's zxids are 64-bit: epoch << 32 | counter);
// records are objects, sequences arrays. A trace file is a trust boundary (an
// implementation wrote it, or a person edited it), so parse() checks it with
// zod and reports every problem with its path.

import { z } from 'zod';

export const ACTION_TAKEN = 'mbt::actionTaken';
export const NONDET_PICKS = 'mbt::nondetPicks';
export const NODES = 'nodes';
export const TRACE_VARS = [ACTION_TAKEN, NONDET_PICKS, NODES] as const;
export const INIT_ACTION = 'init';
export const ITF_DESCRIPTION_URL = 'https://apalache-mc.org/docs/adr/015adr-trace.html';

/** An ITF value as this project writes it (no #set, #tup or #map: projections are records and sequences). */
export type ItfValue = boolean | string | number | ItfBigint | readonly ItfValue[] | { readonly [key: string]: ItfValue };
export interface ItfBigint {
  readonly '#bigint': string;
}

const itfBigint = z.object({ '#bigint': z.string().regex(/^-?(0|[1-9][0-9]*)$/, 'a #bigint is a decimal integer string') }).strict();

export const itfValue: z.ZodType<ItfValue> = z.lazy(() =>
  z.union([
    z.boolean(),
    z.string(),
    z.number().int('ITF integers are integers').refine(Number.isSafeInteger, 'an integer beyond 2^53 must be written as {"#bigint": "..."}'),
    itfBigint,
    z.array(itfValue),
    z.record(z.string(), itfValue),
  ]),
);

/** One node's observable projection: a record of ITF values (its fields are the adapter's). */
export type NodeProjection = { readonly [field: string]: ItfValue };

export const traceMeta = z
  .object({
    format: z.literal('ITF'),
    'format-description': z.string().optional(),
    /** Who produced the trace: the model checker ('spec') or a recording of the implementation ('impl'). */
    source: z.enum(['spec', 'impl']),
    /** The spec's registry name (cli/specs.ts), e.g. "zab". */
    spec: z.string().min(1),
    /** The preset whose bounds built the model, or null when the bounds were given directly. */
    preset: z.string().min(1).nullable(),
    bounds: z.record(z.string(), z.union([z.number().int(), z.boolean()])),
    /** The known-bug mutant the spec ran, or null for the correct protocol. */
    mutant: z.string().min(1).nullable(),
    /** The PRNG seed of a random walk (lib/random.ts), or null. */
    seed: z.number().int().nullable(),
    description: z.string().optional(),
  })
  .strict();

export type TraceMeta = z.infer<typeof traceMeta>;

const traceState = z
  .object({
    '#meta': z.object({ index: z.number().int().nonnegative() }).strict(),
    [ACTION_TAKEN]: z.string().min(1),
    [NONDET_PICKS]: z.record(z.string(), itfValue),
    [NODES]: z.array(z.record(z.string(), itfValue)).min(1),
  })
  .strict();

export type TraceState = z.infer<typeof traceState>;

export const traceSchema = z
  .object({
    '#meta': traceMeta,
    vars: z.array(z.string()),
    states: z.array(traceState).min(1, 'a trace has at least its initial state'),
  })
  .strict()
  .superRefine((trace, ctx) => {
    for (const v of TRACE_VARS) {
      if (!trace.vars.includes(v)) ctx.addIssue({ code: 'custom', path: ['vars'], message: `vars must name ${v}` });
    }
    const nodes = trace.states[0]?.[NODES].length ?? 0;
    trace.states.forEach((state, i) => {
      if (state['#meta'].index !== i) ctx.addIssue({ code: 'custom', path: ['states', i, '#meta', 'index'], message: `expected index ${i}, got ${state['#meta'].index}` });
      const isInit = state[ACTION_TAKEN] === INIT_ACTION;
      if (isInit !== (i === 0)) {
        ctx.addIssue({ code: 'custom', path: ['states', i, ACTION_TAKEN], message: i === 0 ? 'the first state is reached by "init"' : '"init" may only lead to the first state' });
      }
      if (state[NODES].length !== nodes) ctx.addIssue({ code: 'custom', path: ['states', i, NODES], message: `expected ${nodes} nodes as in state 0, got ${state[NODES].length}` });
    });
  });

export type Trace = z.infer<typeof traceSchema>;

export type ParseResult = { ok: true; trace: Trace } | { ok: false; error: string };

/** Parses a trace file's text: a Result, since the text comes from outside. */
export function parseTrace(text: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `not JSON: ${(error as Error).message}` };
  }
  const result = traceSchema.safeParse(json);
  if (!result.success) return { ok: false, error: `not a conformance trace:\n${z.prettifyError(result.error)}` };
  return { ok: true, trace: result.data };
}

/**
 * Writes a trace with one state per line group: stable key order (as built),
 * two-space indentation, a final newline, so that committed scenario files
 * diff well and regenerate byte for byte.
 */
export function serializeTrace(trace: Trace): string {
  return `${JSON.stringify(trace, null, 2)}\n`;
}

/** A 64-bit unsigned integer as ITF: a JSON number when exact in a double, else #bigint. */
export function itfInteger(value: bigint): number | ItfBigint {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : { '#bigint': value.toString() };
}

/** A canonical string for an ITF value (object keys sorted), for equality of projections read from different writers. */
export function canonical(value: ItfValue | undefined): string {
  if (value === undefined) return 'undefined';
  if (typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => canonical(v)).join(',')}]`;
  const record = value as { readonly [key: string]: ItfValue };
  return `{${Object.keys(record)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonical(record[k])}`)
    .join(',')}}`;
}

/** Builds a trace from its parts (states numbered here). */
export function makeTrace(meta: Omit<TraceMeta, 'format' | 'format-description'>, states: readonly Omit<TraceState, '#meta'>[]): Trace {
  return {
    '#meta': { format: 'ITF', 'format-description': ITF_DESCRIPTION_URL, ...meta },
    vars: [...TRACE_VARS],
    states: states.map((s, index) => ({ '#meta': { index }, [ACTION_TAKEN]: s[ACTION_TAKEN], [NONDET_PICKS]: s[NONDET_PICKS], [NODES]: s[NODES] })),
  };
}
