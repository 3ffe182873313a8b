// A node's log as an immutable value: the entries after the last snapshot,
// and the snapshot's (index, term) that stands for everything before them
// (§7: "the last included index and term"). Operations return a new log and
// never mutate, so a node's state can be kept and compared (the simulation
// keeps what was persisted; conformance compares projections).

import { assert } from '../../lib/assert.ts';
import type { Entry } from './types.ts';

export interface RaftLog {
  /** The last index and term a snapshot covers (0, 0: none). */
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  /** entries[k].index === snapshotIndex + 1 + k. */
  readonly entries: readonly Entry[];
}

export const EMPTY_LOG: RaftLog = Object.freeze({ snapshotIndex: 0, snapshotTerm: 0, entries: Object.freeze([]) as readonly Entry[] });

export function lastIndex(log: RaftLog): number {
  return log.snapshotIndex + log.entries.length;
}

export function firstIndex(log: RaftLog): number {
  return log.snapshotIndex + 1;
}

export function lastTerm(log: RaftLog): number {
  return log.entries.length === 0 ? log.snapshotTerm : log.entries[log.entries.length - 1]!.term;
}

/** The term of the entry at `index`; undefined when compacted away or past the end. */
export function termAt(log: RaftLog, index: number): number | undefined {
  if (index === log.snapshotIndex) return log.snapshotTerm;
  if (index < log.snapshotIndex || index > lastIndex(log)) return undefined;
  return log.entries[index - log.snapshotIndex - 1]!.term;
}

export function entryAt(log: RaftLog, index: number): Entry | undefined {
  if (index <= log.snapshotIndex || index > lastIndex(log)) return undefined;
  return log.entries[index - log.snapshotIndex - 1];
}

/** The entries in [from, to] (both held). */
export function slice(log: RaftLog, from: number, to: number): Entry[] {
  assert(from > log.snapshotIndex && to <= lastIndex(log), () => `slice ${from}..${to} outside ${firstIndex(log)}..${lastIndex(log)}`);
  return log.entries.slice(from - log.snapshotIndex - 1, to - log.snapshotIndex);
}

/** Whether our log holds an entry at `index` with `term` (§5.3's consistency check). */
export function matchTerm(log: RaftLog, index: number, term: number): boolean {
  return termAt(log, index) === term;
}

/**
 * §5.4.1, the election restriction: a candidate's log (lastTerm, lastIndex) is
 * at least as up-to-date as ours when its last term is later, or equal with an
 * index at least ours.
 */
export function isUpToDate(log: RaftLog, candidateLastIndex: number, candidateLastTerm: number): boolean {
  const myTerm = lastTerm(log);
  return candidateLastTerm > myTerm || (candidateLastTerm === myTerm && candidateLastIndex >= lastIndex(log));
}

/** The leader's own append: `entries` follow our last entry. */
export function append(log: RaftLog, entries: readonly Entry[]): RaftLog {
  if (entries.length === 0) return log;
  assert(entries[0]!.index === lastIndex(log) + 1, () => `append at ${entries[0]!.index} after last ${lastIndex(log)}`);
  return { ...log, entries: [...log.entries, ...entries] };
}

/**
 * The first of `entries` (which follow a matched prevLogIndex) that we do not
 * hold with the same term: 0 when we hold them all. Figure 2: "If an existing
 * entry conflicts with a new one (same index but different terms), delete the
 * existing entry and all that follow it", and only then.
 */
export function findConflict(log: RaftLog, entries: readonly Entry[]): number {
  for (const e of entries) {
    if (e.index <= log.snapshotIndex) continue; // compacted: committed, so it matches
    if (termAt(log, e.index) !== e.term) return e.index;
  }
  return 0;
}

/** Our log cut after `index` (the entries after it deleted) and `entries` appended. */
export function truncateAndAppend(log: RaftLog, entries: readonly Entry[]): RaftLog {
  if (entries.length === 0) return log;
  const from = entries[0]!.index;
  assert(from > log.snapshotIndex && from <= lastIndex(log) + 1, () => `truncateAndAppend at ${from} outside ${firstIndex(log)}..${lastIndex(log) + 1}`);
  return { ...log, entries: [...log.entries.slice(0, from - log.snapshotIndex - 1), ...entries] };
}

/** The log with everything up to `index` replaced by a snapshot's (index, term); later entries kept. */
export function compactTo(log: RaftLog, index: number): RaftLog {
  const term = termAt(log, index);
  assert(term !== undefined && index >= log.snapshotIndex, () => `compact to ${index} outside ${log.snapshotIndex}..${lastIndex(log)}`);
  return { snapshotIndex: index, snapshotTerm: term, entries: log.entries.slice(index - log.snapshotIndex) };
}

/** A log that is only a snapshot (InstallSnapshot of a follower whose log does not hold the snapshot's last entry). */
export function fromSnapshot(index: number, term: number): RaftLog {
  return { snapshotIndex: index, snapshotTerm: term, entries: [] };
}
