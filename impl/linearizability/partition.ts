// P-compositionality (Horn and Kroening, "Faster linearizability checking via
// P-compositionality", 2015; Porcupine's Partition): a history is
// linearizable if each part of it that touches a disjoint set of keys is, so
// each part is searched alone and the search's cost grows with the largest
// part, not with the history. The keys are znode paths, and what ties two of
// them into one part:
// - a multi, over all its sub-operations' paths;
// - a sequential create, its parent's counter (`seq:/p`), and every path the
//   history mentions that could be one of its names (`/p/n-` and ten digits):
//   sequence numbers must grow per parent, and an indeterminate create may
//   have made any of those names;
// - a create or delete of a path whose parent the history also creates or
//   deletes, with that parent (create needs it, delete of it needs no
//   children); likewise a znode that exists initially under such a parent.
// Syncs belong to no part: their effect on later reads is the real-time bound
// carried by each read (data-model.ts), which holds across parts.

import { parentOf, sequenceNumber } from './data-model.ts';
import type { History, MultiOp, Operation } from './history.ts';

export type Partition = {
  /** Its znode paths (no counters), sorted. */
  readonly paths: readonly string[];
  readonly operations: readonly Operation[];
};

const counterKey = (parent: string): string => `seq:${parent}`;

class UnionFind {
  private readonly parent = new Map<string, string>();
  find(key: string): string {
    let root = key;
    for (let up = this.parent.get(root); up !== undefined && up !== root; up = this.parent.get(root)) root = up;
    if (!this.parent.has(key)) this.parent.set(key, key);
    // Path compression.
    for (let at = key; at !== root; ) {
      const up = this.parent.get(at)!;
      this.parent.set(at, root);
      at = up;
    }
    return root;
  }
  union(a: string, b: string): void {
    const ra = this.find(a);
    const rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }
}

function subOperations(op: Operation): MultiOp[] {
  const call = op.call;
  if (call.op === 'multi') return call.args.ops;
  if (call.op === 'create' || call.op === 'delete' || call.op === 'setData') return [{ op: call.op, args: call.args } as MultiOp];
  return [];
}

/** Paths some operation creates or deletes (a sequential create: its parent's children in general, so the created names). */
export function dynamicPaths(history: History): Set<string> {
  const dynamic = new Set<string>();
  for (const op of history.operations) {
    for (const [index, sub] of subOperations(op).entries()) {
      if (sub.op === 'delete') dynamic.add(sub.args.path);
      if (sub.op !== 'create') continue;
      if (!sub.args.sequential) dynamic.add(sub.args.path);
      const named = op.call.op === 'multi' ? op.result?.results?.[index]?.path : op.result?.path;
      if (sub.args.sequential && op.result?.code === 'OK' && named !== undefined) dynamic.add(named);
    }
  }
  return dynamic;
}

/** Sequential prefixes -> every path in the history that could be a name under them. */
export function sequentialNames(history: History, paths: Iterable<string>): Map<string, string[]> {
  const prefixes = new Set<string>();
  for (const op of history.operations) for (const sub of subOperations(op)) if (sub.op === 'create' && sub.args.sequential) prefixes.add(sub.args.path);
  return namesUnder(prefixes, paths);
}

/**
 * What an indeterminate sequential create of each prefix may have made: the names the history mentions that no
 * acknowledged create returned (a name is made once; an acknowledged one is explained by its own create), and of
 * those only the ones something shows to exist. A name that every operation naming it found absent (NoNode, a read
 * of `n-0000099999` say) need not be made: a linearization in which a lost create made it stays one without that
 * create (those operations find it absent throughout, and a lower counter only lets later numbers pass), unless
 * the parent is deleted (NotEmpty) or a multi creates under the prefix (its other sub-operations need it to succeed).
 */
export function unexplainedSequentialNames(history: History, paths: Iterable<string>): Map<string, string[]> {
  const all = sequentialNames(history, paths);
  const acknowledged = new Set<string>();
  const shownToExist = new Set<string>();
  const keepAll = new Set<string>();
  for (const op of history.operations) {
    for (const [index, sub] of subOperations(op).entries()) {
      if (sub.op === 'delete') keepAll.add(sub.args.path);
      if (sub.op === 'create' && sub.args.sequential && op.call.op === 'multi') keepAll.add(parentOf(sub.args.path));
      if (op.result?.code !== 'OK' || sub.op !== 'create' || !sub.args.sequential) continue;
      const named = op.call.op === 'multi' ? op.result.results?.[index]?.path : op.result.path;
      if (named !== undefined) acknowledged.add(named);
    }
    // Found absent, or an indeterminate read (which tells nothing and is not judged).
    const absent = op.call.op !== 'multi' && op.result !== undefined && op.result.code === 'NoNode';
    const silent = (op.call.op === 'getData' || op.call.op === 'exists') && op.result === undefined;
    if (!absent && !silent && !(op.call.op === 'create' && op.call.args.sequential)) for (const path of operationPaths(op)) shownToExist.add(path);
  }
  return new Map(
    [...all].map(([prefix, names]) => [prefix, names.filter((name) => !acknowledged.has(name) && (shownToExist.has(name) || keepAll.has(parentOf(prefix))))]),
  );
}

/**
 * Per name an indeterminate sequential create may have made: the highest number below its own that an acknowledged
 * create under the same parent returned (-1: none). Numbers grow along the write order, so that create took effect
 * after the acknowledged one: a name is tried only once the counter has reached it, in a window, not everywhere.
 */
export function sequenceFloors(history: History, names: ReadonlyMap<string, readonly string[]>): Map<string, number> {
  const acknowledged = new Map<string, number[]>();
  for (const op of history.operations) {
    if (op.result?.code !== 'OK') continue;
    for (const [index, sub] of subOperations(op).entries()) {
      if (sub.op !== 'create' || !sub.args.sequential) continue;
      const named = op.call.op === 'multi' ? op.result.results?.[index]?.path : op.result.path;
      const number = named === undefined ? undefined : sequenceNumber(sub.args.path, named);
      if (number !== undefined) acknowledged.set(parentOf(sub.args.path), [...(acknowledged.get(parentOf(sub.args.path)) ?? []), number]);
    }
  }
  const floors = new Map<string, number>();
  for (const [prefix, list] of names) {
    const numbers = acknowledged.get(parentOf(prefix)) ?? [];
    for (const name of list) {
      const own = sequenceNumber(prefix, name)!;
      floors.set(name, numbers.reduce((best, n) => (n < own && n > best ? n : best), -1));
    }
  }
  return floors;
}

function namesUnder(prefixes: ReadonlySet<string>, paths: Iterable<string>): Map<string, string[]> {
  const names = new Map<string, string[]>([...prefixes].map((prefix) => [prefix, []]));
  for (const path of paths) {
    if (path.length <= 10) continue;
    const prefix = path.slice(0, -10);
    if (prefixes.has(prefix) && sequenceNumber(prefix, path) !== undefined) names.get(prefix)!.push(path);
  }
  for (const list of names.values()) list.sort();
  return names;
}

/** Every path an operation reads or writes (created names included). */
function operationPaths(op: Operation): string[] {
  const call = op.call;
  if (call.op === 'getData' || call.op === 'exists' || call.op === 'sync') return [call.args.path];
  const paths: string[] = [];
  for (const [index, sub] of subOperations(op).entries()) {
    if (sub.op === 'create' && sub.args.sequential) {
      const named = call.op === 'multi' ? op.result?.results?.[index]?.path : op.result?.path;
      if (op.result?.code === 'OK' && named !== undefined) paths.push(named);
    } else paths.push(sub.args.path);
  }
  return paths;
}

/** The keys one operation links: all of them go into the same part. */
function operationKeys(op: Operation, dynamic: ReadonlySet<string>, seqPrefixOf: (path: string) => string | undefined): string[] {
  const keys = operationPaths(op);
  for (const sub of subOperations(op)) {
    if (sub.op === 'create' && sub.args.sequential) keys.push(counterKey(parentOf(sub.args.path)));
    const parent = parentOf(sub.args.path);
    if ((sub.op === 'create' || sub.op === 'delete') && dynamic.has(parent)) keys.push(parent);
  }
  for (const path of operationPaths(op)) {
    const prefix = seqPrefixOf(path);
    if (prefix !== undefined) keys.push(counterKey(parentOf(prefix)));
  }
  return keys;
}

/** The parts of a history's reads and writes (syncs excluded), each with the paths it touches. */
export function partition(history: History, operations: readonly Operation[], dynamic: ReadonlySet<string>): Partition[] {
  const allPaths = new Set<string>(history.initial.keys());
  for (const op of history.operations) for (const path of operationPaths(op)) allPaths.add(path);
  const names = sequentialNames(history, allPaths);
  const prefixOf = new Map<string, string>();
  for (const [prefix, list] of names) for (const name of list) prefixOf.set(name, prefix);
  const seqPrefixOf = (path: string): string | undefined => prefixOf.get(path);

  const sets = new UnionFind();
  const keysOf = new Map<Operation, string[]>();
  for (const op of operations) {
    const keys = operationKeys(op, dynamic, seqPrefixOf);
    keysOf.set(op, keys);
    for (const key of keys) sets.union(keys[0]!, key);
  }
  for (const path of history.initial.keys()) if (dynamic.has(parentOf(path))) sets.union(path, parentOf(path));
  // Names an indeterminate sequential create may have made belong to its part even when no operation there names them.
  for (const path of allPaths) {
    const prefix = seqPrefixOf(path);
    if (prefix !== undefined) sets.union(path, counterKey(parentOf(prefix)));
  }
  const parts = new Map<string, { paths: Set<string>; operations: Operation[] }>();
  const partOf = (key: string) => {
    const root = sets.find(key);
    let part = parts.get(root);
    if (part === undefined) parts.set(root, (part = { paths: new Set(), operations: [] }));
    return part;
  };
  for (const op of operations) {
    const keys = keysOf.get(op)!;
    const part = partOf(keys[0]!);
    part.operations.push(op);
    for (const key of keys) if (!key.startsWith('seq:')) part.paths.add(key);
  }
  for (const path of allPaths) if (parts.has(sets.find(path))) partOf(path).paths.add(path);
  return [...parts.values()].filter((part) => part.operations.length > 0).map((part) => ({ paths: [...part.paths].sort(), operations: part.operations }));
}
