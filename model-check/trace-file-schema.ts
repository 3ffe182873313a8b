// The readers of the trace files report.ts writes (writeTraceFile): our JSON
// document and its ITF copy (itf.ts). The diagrams (view/) and the explorer
// (cli/explorer/) read them; the schemas live beside the writer so that the
// two readers and the writer agree on one format. States are left as
// unknown: a reader compares or draws them, it does not trust them. The size
// limits are the explorer's, whose files may come over HTTP.

import { z } from 'zod';

const NAME = z.string().min(1).max(200);
const boundsSchema = z.record(NAME, z.union([z.number().int(), z.boolean()]));

/** The most steps a trace file may hold (a checker counterexample is far shorter). */
export const TRACE_FILE_STEPS_MAX = 10_000;

/** report.ts's traceDocument. */
export const traceFileSchema = z.object({
  spec: NAME,
  preset: NAME,
  bounds: boundsSchema,
  mutant: NAME.nullable(),
  property: NAME,
  trace: z.object({
    initial: z.unknown(),
    steps: z.array(z.object({ action: z.string().max(10_000), state: z.unknown() })).max(TRACE_FILE_STEPS_MAX),
    cycleStart: z.number().int().nonnegative().optional(),
  }),
});

/** itf.ts's itfTrace with writeTraceFile's meta: the run in "#meta" (its `source` tells it from a conformance trace's), each state's action in its own. */
export const itfTraceFileSchema = z.object({
  '#meta': z.looseObject({
    source: z.literal('zkspec model-check'),
    spec: NAME,
    preset: NAME.optional(),
    bounds: boundsSchema.optional(),
    mutant: NAME.nullable().optional(),
    property: NAME.optional(),
  }),
  vars: z.array(z.string()),
  states: z
    .array(z.looseObject({ '#meta': z.looseObject({ index: z.number().int(), action: z.string().optional() }) }))
    .min(1, 'an ITF trace has at least its initial state')
    .max(TRACE_FILE_STEPS_MAX + 1),
  loop: z.number().int().nonnegative().optional(),
});
