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
import { ACTION_TAKEN, parseTrace, serializeTrace, type Trace } from '../trace.ts';
import { validateTrace, type ValidateOptions, type Verdict } from '../validate.ts';
import { readMemberFiles, type Members } from './member-files.ts';
import { mergeMembers, type MergeNotes } from './merge.ts';

export interface RecordingVerdict {
  readonly verdict: Verdict;
  readonly notes: MergeNotes;
  readonly steps: number;
  /** With stopBefore: the first recorded step whose label it matched, where judging stopped (the steps before it were judged). */
  readonly stoppedAt?: number;
  readonly elapsedMs: number;
}

export interface RecordingOptions extends ValidateOptions {
  /**
   * Judge only the steps before the first whose label matches: what spec/zab or the merge does not
   * express yet. `\[SNAP\]`: the server sends SNAP where spec/zab would send DIFF, when the txn log
   * to send is larger than a third of the snapshot (ZooKeeper's snapshotSizeFactor), a size spec/zab
   * does not model, and after a SNAP the core's committed zxid is the data tree's, which the merge
   * does not yet put in spec terms. `^Timeout`: a follower's lost connection, after which spec/zab's
   * leader learns at once that the learner left, where a partitioned leader learns it only when its
   * own syncLimit runs out (docs/conformance.md).
   */
  stopBefore?: RegExp;
}

/** Reads, merges and validates the member files of one ensemble run. */
export function validateRecordingDir(dir: string, options: RecordingOptions = {}): { ok: true; result: RecordingVerdict; trace: Trace } | { ok: false; error: string } {
  const read = readMemberFiles(dir);
  if (!read.ok) return read;
  return { ok: true, ...validateMembers(read.members, options, `the ensemble run recorded in ${dir}`) };
}

export function validateMembers(members: Members, options: RecordingOptions = {}, description?: string): { result: RecordingVerdict; trace: Trace } {
  const started = performance.now();
  const merged = mergeMembers(members, description);
  const { stopBefore, ...validateOptions } = options;
  const stop = stopBefore === undefined ? -1 : merged.trace.states.findIndex((s, i) => i > 0 && stopBefore.test(s[ACTION_TAKEN]));
  const judged = stop < 0 ? merged.trace : { ...merged.trace, states: merged.trace.states.slice(0, stop) };
  // Round-trip through the trace schema: what is judged is what a file would hold.
  const parsed = parseTrace(serializeTrace(judged));
  const verdict: Verdict = parsed.ok ? validateTrace(zabAdapter, parsed.trace, { hiddenStepsMax: 0, ...validateOptions }) : { verdict: 'invalid', error: parsed.error };
  const steps = merged.trace.states.length - 1;
  return { result: { verdict, notes: merged.notes, steps, ...(stop < 0 ? {} : { stoppedAt: stop }), elapsedMs: performance.now() - started }, trace: merged.trace };
}
