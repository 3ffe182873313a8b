// A real ensemble's own account of its Zab steps, as a recording the validator
// (conformance/validate.ts) judges against spec/zab (issue #7). Each member of
// an ensemble started with ZKSPEC_PEER_TRACE_DIR appends JSON lines to
// member-<myid>.jsonl (impl/ensemble/peer-trace.ts). The files are read
// (member-files.ts), each member's lines put in spec/zab's terms
// (normalize.ts: group commits, sync bursts, NEWLEADER's fsyncs, fsync reports
// a SIGKILL lost), merged by time into one ITF trace in the ZAB adapter's
// projection (merge.ts: elections, crashes, lost connections, the data tree
// between runs), and judged here.

import { zabAdapter } from '../adapters/zab.ts';
import { parseTrace, serializeTrace, type Trace } from '../trace.ts';
import { validateTrace, type ValidateOptions, type Verdict } from '../validate.ts';
import { readMemberFiles, type Members } from './member-files.ts';
import { mergeMembers, type MergeNotes } from './merge.ts';

export interface RecordingVerdict {
  readonly verdict: Verdict;
  readonly notes: MergeNotes;
  readonly steps: number;
  readonly elapsedMs: number;
}

/** Reads, merges and validates the member files of one ensemble run. */
export function validateRecordingDir(dir: string, options: ValidateOptions = {}): { ok: true; result: RecordingVerdict; trace: Trace } | { ok: false; error: string } {
  const read = readMemberFiles(dir);
  if (!read.ok) return read;
  return { ok: true, ...validateMembers(read.members, options, `the ensemble run recorded in ${dir}`) };
}

export function validateMembers(members: Members, options: ValidateOptions = {}, description?: string): { result: RecordingVerdict; trace: Trace } {
  const started = performance.now();
  const merged = mergeMembers(members, description);
  // Round-trip through the trace schema: what is judged is what a file would hold.
  const parsed = parseTrace(serializeTrace(merged.trace));
  const verdict: Verdict = parsed.ok ? validateTrace(zabAdapter, parsed.trace, { hiddenStepsMax: 0, ...options }) : { verdict: 'invalid', error: parsed.error };
  return { result: { verdict, notes: merged.notes, steps: merged.trace.states.length - 1, elapsedMs: performance.now() - started }, trace: merged.trace };
}
