// The checker's front: a parsed history in, a verdict out. It drops what
// cannot be judged (an indeterminate read tells nothing, as in Jepsen), gives
// each read its real-time bound (data-model.ts: the newest invocation of a
// write, sync or connection of its session before it), splits the rest into
// parts (partition.ts) and searches each (search.ts). A verdict names every
// part that has no linearization, with the operations involved and why.

import { describeOperation, describeResult, initialState, parentOf, type ReadBound } from './data-model.ts';
import type { History, Operation } from './history.ts';
import { dynamicPaths, partition, sequenceFloors, unexplainedSequentialNames } from './partition.ts';
import { searchPartition } from './search.ts';
import { zxidConflicts, zxidWindow } from './zxid-window.ts';

export type Anomaly = {
  /** The part's znode paths. */
  readonly paths: readonly string[];
  readonly partOperations: number;
  /** The ids of the operations the explanation names, the blocked one first. */
  readonly operations: readonly number[];
  readonly explanation: string;
};

export type Verdict = {
  readonly verdict: 'linearizable' | 'anomaly' | 'unknown';
  readonly operations: number;
  readonly indeterminate: number;
  readonly parts: number;
  readonly largestPart: number;
  readonly steps: number;
  readonly anomalies: readonly Anomaly[];
  /** Parts whose search ran out of steps. */
  readonly unknown: readonly (readonly string[])[];
};

export type CheckOptions = {
  /** Steps per part before giving up with "unknown". */
  readonly stepsMax?: number;
};

const isRead = (op: Operation): boolean => op.call.op === 'getData' || op.call.op === 'exists';

/** Each read's real-time bound: the session's newest earlier determinate write, sync or connection. */
export function readBounds(history: History): Map<number, ReadBound> {
  const bySession = new Map<string, Operation[]>();
  for (const op of history.operations) {
    const list = bySession.get(op.session) ?? [];
    list.push(op);
    bySession.set(op.session, list);
  }
  const bounds = new Map<number, ReadBound>();
  for (const [session, list] of bySession) {
    list.sort((a, b) => a.invokedAt - b.invokedAt || a.id - b.id);
    const connected = history.connectedAt.get(session);
    let bound: ReadBound = connected === undefined ? { time: Number.NEGATIVE_INFINITY, by: undefined } : { time: connected, by: 'connect' };
    for (const op of list) {
      if (isRead(op)) bounds.set(op.id, bound);
      else if (op.result !== undefined && op.invokedAt >= bound.time) bound = { time: op.invokedAt, by: op.id };
    }
  }
  return bounds;
}

export function checkHistory(history: History, options: CheckOptions = {}): Verdict {
  const judged = history.operations.filter((op) => op.call.op !== 'sync' && !(isRead(op) && op.result === undefined));
  const dynamic = dynamicPaths(history);
  const bounds = readBounds(history);
  const parts = partition(history, judged, dynamic);
  const byId = new Map(history.operations.map((op) => [op.id, op]));
  const operation = (id: number): Operation => byId.get(id)!;
  const anomalies: Anomaly[] = zxidConflicts(history).map(({ earlier, later, text }) => ({
    paths: [...new Set([earlier, later].flatMap((op) => (op.call.op === 'multi' ? op.call.args.ops.map((sub) => sub.args.path) : [op.call.args.path])))],
    partOperations: 2,
    operations: [later.id, earlier.id],
    explanation: `${describeOperation(later)} → ${describeResult(later)}: ${text} (${describeOperation(earlier)}); writes take zxids in the order they are applied, which respects real time.`,
  }));
  const unknown: string[][] = [];
  let steps = 0;
  // Once for the history, not per part: each walks every operation.
  const allNames = unexplainedSequentialNames(history, parts.flatMap((part) => part.paths));
  const seqFloors = sequenceFloors(history, allNames);
  const zxidFits = zxidWindow(history).fits;
  for (const part of parts) {
    const paths = new Set(part.paths);
    const children = new Map<string, string[]>();
    for (const path of part.paths) {
      const parent = parentOf(path);
      if (paths.has(parent)) children.set(parent, [...(children.get(parent) ?? []), path]);
    }
    const seqNames = new Map([...allNames].map(([prefix, names]) => [prefix, names.filter((name) => paths.has(name))]));
    const result = searchPartition({
      operations: part.operations,
      initial: initialState(part.paths, history.initial),
      context: { dynamic, children, seqNames, seqFloors, operation, zxidFits },
      bounds,
      stepsMax: options.stepsMax ?? 50_000_000,
    });
    steps += result.steps;
    if (result.verdict === 'unknown') unknown.push([...part.paths]);
    if (result.verdict !== 'anomaly') continue;
    const { deepest } = result;
    const context = deepest.lastTaken.length === 0 ? 'before any operation had taken effect' : `after ${deepest.taken} had taken effect (the last: ${deepest.lastTaken.map((op) => `#${op.id}`).join(', ')})`;
    anomalies.push({
      paths: part.paths,
      partOperations: part.operations.length,
      operations: [...new Set(deepest.reason.operations)],
      explanation: `${deepest.reason.text}. No order of the part's ${part.operations.length} operations explains their results; the search got furthest ${context}.`,
    });
  }
  const verdict = anomalies.length > 0 ? 'anomaly' : unknown.length > 0 ? 'unknown' : 'linearizable';
  return {
    verdict,
    operations: history.operations.length,
    indeterminate: history.operations.filter((op) => op.result === undefined).length,
    parts: parts.length,
    largestPart: Math.max(0, ...parts.map((part) => part.operations.length)),
    steps,
    anomalies,
    unknown,
  };
}

/** The verdict as the command prints it. */
export function formatVerdict(verdict: Verdict, history: History): string[] {
  const byId = new Map(history.operations.map((op) => [op.id, op]));
  const lines = [
    `${verdict.operations} operations (${verdict.indeterminate} indeterminate) in ${verdict.parts} parts (largest ${verdict.largestPart}), ${verdict.steps} search steps`,
  ];
  for (const anomaly of verdict.anomalies) {
    const shown = anomaly.paths.length > 6 ? `${anomaly.paths.slice(0, 6).join(' ')} and ${anomaly.paths.length - 6} more` : anomaly.paths.join(' ');
    lines.push(`ANOMALY in the part of ${shown} (${anomaly.partOperations} operations):`, `  ${anomaly.explanation}`, '  operations involved:');
    for (const id of anomaly.operations) {
      const op = byId.get(id);
      if (op !== undefined) lines.push(`    ${describeOperation(op)} [${op.invokedAt}, ${Number.isFinite(op.completedAt) ? op.completedAt : '∞'}] → ${describeResult(op)}`);
    }
  }
  for (const paths of verdict.unknown) lines.push(`UNKNOWN: the search of the part of ${paths.slice(0, 6).join(' ')} ran out of steps`);
  lines.push(
    verdict.verdict === 'linearizable'
      ? 'linearizable: writes linearizable, reads sequentially consistent (ZooKeeper\'s guarantee)'
      : verdict.verdict === 'anomaly'
        ? `${verdict.anomalies.length} anomal${verdict.anomalies.length === 1 ? 'y' : 'ies'}`
        : 'unknown',
  );
  return lines;
}
