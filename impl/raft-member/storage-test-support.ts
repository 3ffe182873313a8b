// For the Raft member's tests: a model of what storage must hold after a
// sequence of persists (impl/raft's own applyPersist, the in-memory world's
// store), comparisons that print what differs, and seeded persists that
// exercise every part of a Ready's persist.

import type { Random } from '../../lib/random.ts';
import type { Stored } from '../raft/node.ts';
import type { Persist } from '../raft/ready.ts';
import { type Entry, NONE } from '../raft/types.ts';

/** Entries as `index:term:data` strings, so a failed expectation shows the difference at a glance. */
export function entriesText(entries: readonly Entry[]): string[] {
  return entries.map((e) => `${e.index}:${e.term}:${new TextDecoder().decode(e.data)}`);
}

export function storedText(stored: Stored): { hardState: string; snapshot: string; entries: string[] } {
  const s = stored.snapshot;
  return {
    hardState: `term ${stored.hardState.term} vote ${stored.hardState.vote}`,
    snapshot: s === undefined ? 'none' : `${s.index}:${s.term}:${new TextDecoder().decode(s.data)}`,
    entries: entriesText(stored.entries),
  };
}

export const bytesOf = (text: string) => new TextEncoder().encode(text);

export function lastIndexOf(stored: Stored): number {
  return stored.entries.at(-1)?.index ?? stored.snapshot?.index ?? 0;
}

export function termAtIndex(stored: Stored, index: number): number | undefined {
  if (stored.snapshot?.index === index) return stored.snapshot.term;
  return stored.entries.find((e) => e.index === index)?.term;
}

/**
 * A persist the core could ask for in `stored`'s state, drawn by `random`:
 * a new term and vote, appends, conflicting (truncating) appends, a
 * compaction, an installed snapshot, or several at once.
 */
export function randomPersist(random: Random, stored: Stored, step: number): Persist {
  const term = Math.max(stored.hardState.term, stored.entries.at(-1)?.term ?? 0, stored.snapshot?.term ?? 0);
  const last = lastIndexOf(stored);
  const first = (stored.snapshot?.index ?? 0) + 1;
  const newTerm = term + 1;
  const entriesFrom = (from: number, entryTerm: number, count: number): Entry[] =>
    Array.from({ length: count }, (_, k) => ({ index: from + k, term: entryTerm, data: bytesOf(`e${from + k}-s${step}${'x'.repeat(random.nextInt(40))}`) }));
  switch (random.nextInt(6)) {
    case 0:
      return { hardState: { term: newTerm, vote: random.nextInt(2) === 0 ? NONE : random.nextInt(3) + 1 } };
    case 1:
      return { entries: entriesFrom(last + 1, Math.max(term, 1), 1 + random.nextInt(6)) };
    case 2: {
      // A leader of a newer term overwrites a suffix: the hard state and the entries in one Ready.
      const from = first + random.nextInt(last - first + 2);
      return { hardState: { term: newTerm, vote: NONE }, entries: entriesFrom(from, newTerm, 1 + random.nextInt(4)) };
    }
    case 3: {
      if (last < first) return { entries: entriesFrom(last + 1, Math.max(term, 1), 2) };
      const index = first + random.nextInt(last - first + 1);
      return { snapshot: { snapshot: { index, term: termAtIndex(stored, index)!, data: bytesOf(`snap${index}-s${step}`) }, replacesLog: false } };
    }
    case 4: {
      // InstallSnapshot beyond our log, with the leader's next entries in the same Ready.
      const index = last + 1 + random.nextInt(5);
      return {
        hardState: { term: newTerm, vote: NONE },
        snapshot: { snapshot: { index, term: newTerm, data: bytesOf(`installed${index}-s${step}`) }, replacesLog: true },
        entries: random.nextInt(2) === 0 ? [] : entriesFrom(index + 1, newTerm, 1 + random.nextInt(3)),
      };
    }
    default: {
      // InstallSnapshot inside our log at an index whose term differs: our entries from there on are stale.
      if (last < first) return { hardState: { term: newTerm, vote: 1 } };
      const index = first + random.nextInt(last - first + 1);
      return { hardState: { term: newTerm, vote: NONE }, snapshot: { snapshot: { index, term: newTerm, data: bytesOf(`replaced${index}-s${step}`) }, replacesLog: true } };
    }
  }
}

function samePrefix(a: readonly string[], b: readonly string[]): number {
  let k = 0;
  while (k < a.length && k < b.length && a[k] === b[k]) k++;
  return k;
}

/**
 * Whether `recovered` is a state a crash during `persist` may leave, from
 * `before` (returns why not, or undefined): each part of the persist done or
 * not, in order, and of the log never less than what the persist keeps.
 */
export function crashOutcomeProblem(before: Stored, persist: Persist, after: Stored, recovered: Stored): string | undefined {
  const hs = (s: Stored) => `${s.hardState.term}/${s.hardState.vote}`;
  if (hs(recovered) !== hs(before) && hs(recovered) !== hs(after)) return `hard state ${hs(recovered)} is neither ${hs(before)} nor ${hs(after)}`;
  const snapshotIndex = recovered.snapshot?.index ?? 0;
  if (snapshotIndex !== (before.snapshot?.index ?? 0) && snapshotIndex !== (after.snapshot?.index ?? 0)) return `snapshot ${snapshotIndex} is neither before's nor after's`;
  // The log as the persist sees it from the recovered snapshot: before's, and before's with the entries written.
  const installed = persist.snapshot?.replacesLog === true && snapshotIndex === persist.snapshot.snapshot.index;
  const from = persist.entries?.[0]?.index ?? Number.POSITIVE_INFINITY;
  const old = installed ? [] : before.entries;
  const logicalAfter = [...old.filter((e) => e.index < from), ...(persist.entries ?? [])];
  const beforeText = entriesText(old.filter((e) => e.index > snapshotIndex));
  const afterText = entriesText(logicalAfter.filter((e) => e.index > snapshotIndex));
  const got = entriesText(recovered.entries);
  const isPrefix = (of: readonly string[]) => samePrefix(got, of) === got.length;
  if (!isPrefix(beforeText) && !isPrefix(afterText)) return `log ${got.join(' ')} is a prefix of neither ${beforeText.join(' ')} nor ${afterText.join(' ')}`;
  const kept = samePrefix(beforeText, afterText);
  if (got.length < kept) return `log ${got.join(' ')} lost entries the persist keeps: ${beforeText.slice(0, kept).join(' ')}`;
  return undefined;
}
