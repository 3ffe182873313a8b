// Log compaction and InstallSnapshot (§7). The application takes a snapshot
// of what it has applied and says so (`Compact`); the core drops the log up
// to there and keeps the snapshot to send a follower whose next entry has been
// compacted away. A follower installs a snapshot only when it moves it
// forward: a snapshot at or below its commit index changes nothing, and one
// whose last entry its log already holds only fast-forwards the commit index
// (the entries after it stay: "If the follower receives a snapshot that
// describes a prefix of its log, log entries covered by the snapshot are
// deleted but entries following the snapshot are still valid").

import { compactTo, fromSnapshot, lastIndex, matchTerm, termAt } from './log.ts';
import { type Draft, send } from './node.ts';
import type { Message } from './types.ts';

type InstallSnapshot = Extract<Message, { type: 'InstallSnapshot' }>;

/** The application's snapshot up to `index` (at most what it has applied): the log before it is dropped. */
export function compact(d: Draft, index: number, data: Uint8Array): void {
  if (index > d.applied) {
    d.out.warnings.push(`Compact to ${index} beyond the applied index ${d.applied}: ignored`);
    return;
  }
  if (index <= d.log.snapshotIndex) return;
  const term = termAt(d.log, index)!;
  const snapshot = { index, term, data };
  d.log = compactTo(d.log, index);
  d.snapshot = snapshot;
  d.out.snapshot = { snapshot, replacesLog: false };
}

/** A follower needs entries we compacted: send the snapshot, and wait for its acknowledgement. */
export function sendSnapshot(d: Draft, to: number): boolean {
  const pr = d.progress.get(to)!;
  const snapshot = d.snapshot;
  if (snapshot === undefined) {
    d.out.warnings.push(`follower ${to} needs index ${pr.next}, before our log, and we hold no snapshot`);
    return false;
  }
  send(d, { type: 'InstallSnapshot', term: d.term, from: d.config.id, to, snapshot });
  d.progress.set(to, { ...pr, state: 'snapshot', pendingSnapshot: snapshot.index, inflight: [], paused: false });
  return true;
}

/** InstallSnapshot at a follower of the leader's term; answered as an AppendEntries success up to where our log now matches. */
export function handleInstallSnapshot(d: Draft, m: InstallSnapshot): void {
  const s = m.snapshot;
  const reply = (matchIndex: number) =>
    send(d, { type: 'AppendEntriesResponse', term: d.term, from: d.config.id, to: m.from, success: true, matchIndex, rejectedIndex: 0, lastIndex: lastIndex(d.log) });
  if (s.index <= d.commit) {
    reply(d.commit);
    return;
  }
  if (matchTerm(d.log, s.index, s.term)) {
    d.commit = s.index;
    reply(s.index);
    return;
  }
  d.log = fromSnapshot(s.index, s.term);
  d.snapshot = s;
  d.commit = s.index;
  d.applied = s.index;
  d.out.logFrom = undefined;
  d.out.snapshot = { snapshot: s, replacesLog: true };
  d.out.applySnapshot = s;
  reply(s.index);
}
