// Which zxid an indeterminate write may have taken, from the zxids the
// determinate writes of the whole history took (history.ts writeZxid).
// ZooKeeper's leader gives each write the next zxid as it proposes it, and
// writes are applied in zxid order, in an order that respects real time: a
// write that completed before another was invoked was proposed before it, so
// its zxid is smaller. For an indeterminate write w (Jepsen's :info) that
// took effect with zxid z, then:
// - z is above the zxid of every write that completed before w's invocation;
// - every write whose zxid is above z completed after w's invocation (else it
//   completed before w was invoked, and its zxid would be below z).
// Both bound z by what happened in real time, across the whole history (zxids
// are global, not per part). A read whose Stat shows an mzxid that no
// determinate write took saw a value an indeterminate write made, with that
// zxid: only the indeterminate writes whose window holds it can have made it,
// usually one among hundreds (indeterminate.ts pins it; data-model.ts gives
// it as an alternative only to those).

import type { History, Operation } from './history.ts';
import { writeZxid } from './history.ts';

export type ZxidWindow = {
  /** Whether the indeterminate write `op` may have taken `zxid`, as far as the determinate writes' zxids tell. */
  readonly fits: (op: Operation, zxid: number) => boolean;
};

const isRead = (op: Operation): boolean => op.call.op === 'getData' || op.call.op === 'exists';

/** The windows of a history; every zxid fits when the history records none. */
export function zxidWindow(history: History): ZxidWindow {
  const known = history.operations.filter((op) => !isRead(op) && op.call.op !== 'sync' && writeZxid(op) !== undefined).map((op) => ({ zxid: writeZxid(op)!, completedAt: op.completedAt }));
  if (known.length === 0) return { fits: () => true };
  // By completion: the highest zxid completed so far (a prefix maximum).
  const byCompletion = [...known].sort((a, b) => a.completedAt - b.completedAt);
  const completedAt = byCompletion.map((write) => write.completedAt);
  const highestSoFar: number[] = [];
  for (const [i, write] of byCompletion.entries()) highestSoFar.push(Math.max(highestSoFar[i - 1] ?? -1, write.zxid));
  // By zxid: the earliest completion of a zxid at or above each (a suffix minimum).
  const byZxid = [...known].sort((a, b) => a.zxid - b.zxid);
  const zxids = byZxid.map((write) => write.zxid);
  const earliestFrom: number[] = new Array<number>(byZxid.length);
  for (let i = byZxid.length - 1; i >= 0; i--) earliestFrom[i] = Math.min(earliestFrom[i + 1] ?? Number.POSITIVE_INFINITY, byZxid[i]!.completedAt);
  return {
    fits(op, zxid) {
      // The highest zxid completed strictly before the invocation (a completion at the same time may overlap it).
      const before = lowerBound(completedAt, op.invokedAt) - 1;
      if (before >= 0 && highestSoFar[before]! >= zxid) return false;
      // The earliest completion among the zxids above `zxid`.
      const above = upperBound(zxids, zxid);
      return above >= zxids.length || earliestFrom[above]! >= op.invokedAt;
    },
  };
}

/** The first index whose value is >= `value` (sorted ascending). */
function lowerBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** The first index whose value is > `value`. */
function upperBound(sorted: readonly number[], value: number): number {
  let low = 0;
  let high = sorted.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! <= value) low = mid + 1;
    else high = mid;
  }
  return low;
}

/** A pair of determinate writes whose zxids contradict real time, or that took the same zxid. */
export type ZxidConflict = { readonly earlier: Operation; readonly later: Operation; readonly text: string };

/**
 * The writes whose zxids contradict real time across the whole history (the parts are searched apart, so this order
 * between them is checked here): a write invoked after another completed must have a higher zxid, and no two writes
 * take the same one. At most `limit` of them.
 */
export function zxidConflicts(history: History, limit = 10): ZxidConflict[] {
  const known = history.operations.filter((op) => !isRead(op) && op.call.op !== 'sync' && writeZxid(op) !== undefined);
  const conflicts: ZxidConflict[] = [];
  const byZxid = new Map<number, Operation>();
  for (const op of known) {
    const other = byZxid.get(writeZxid(op)!);
    if (other !== undefined && conflicts.length < limit) conflicts.push({ earlier: other, later: op, text: `both took zxid 0x${writeZxid(op)!.toString(16)}` });
    byZxid.set(writeZxid(op)!, op);
  }
  // Walk invocations and completions in time order, keeping the completed write with the highest zxid.
  const events = known.flatMap((op) => [{ at: op.invokedAt, done: false, op }, { at: op.completedAt, done: true, op }]);
  // An invocation before a completion at the same time: they overlap.
  events.sort((a, b) => a.at - b.at || Number(a.done) - Number(b.done));
  let highest: Operation | undefined;
  for (const { done, op } of events) {
    if (done) {
      if (highest === undefined || writeZxid(op)! > writeZxid(highest)!) highest = op;
    } else if (highest !== undefined && writeZxid(highest)! > writeZxid(op)! && conflicts.length < limit) {
      conflicts.push({ earlier: highest, later: op, text: `zxid 0x${writeZxid(op)!.toString(16)} is below 0x${writeZxid(highest)!.toString(16)} of a write that completed before it was invoked` });
    }
  }
  return conflicts;
}
