// Where an indeterminate write (its reply was lost: Jepsen's :info) may take
// effect, for the search (search.ts). Such a write may take effect at any
// time after its invocation, or never; a search that tries it everywhere
// (Wing and Gong's, Porcupine's, Knossos's) pays for every place, and with 1%
// of 100,000 operations lost that is more than any budget. Two facts of the
// ZooKeeper data model cut the places down to a few, without losing a single
// linearization (README.md, "Indeterminate operations", gives the argument):
//
// 1. Lazy placement (a normal form). Two operations conflict when one writes
//    what the other reads or writes (znode paths, a parent's set of children,
//    a parent's sequence counter), except that a read conflicts with a write
//    only if it returned a value that write could have made (data, version,
//    or no node). An indeterminate write w followed in a linearization by an
//    operation it does not conflict with can be moved after it: both see the
//    same states, w sets no session floor and bounds no read (it never
//    completed), and it has no completion to stay before. Moved as late as
//    it goes, w stands right before an operation it conflicts with, possibly
//    through a run of other indeterminate writes; one with nothing after it
//    is dropped (it took effect where no one looked, or never). So the search
//    takes an indeterminate write only as part of such a run, closed by a
//    determinate operation that every write of the run conflicts with, or
//    with a later one of the run; and a write with no determinate operation
//    left that conflicts with it is not taken at all.
// 2. Version slots. A znode that no operation of the history creates or
//    deletes has one incarnation, whose version grows by one with each
//    setData that takes effect. A determinate setData (or multi) that
//    returned version v is the write that made v, so no indeterminate write
//    may make v: one may take effect only where the next version is not
//    claimed. In a busy register the unclaimed versions are exactly where
//    the lost writes that took effect went.

import { parentOf } from './data-model.ts';
import type { ModelContext, ModelState } from './data-model.ts';
import { writeZxid, type MultiOp, type Operation, type OpResult, type Znode } from './history.ts';

/** A value a write may leave at a path: no node, or data with a version in a range. */
type Made = { readonly absent: true } | { readonly absent: false; readonly data: string; readonly minVersion: number; readonly maxVersion: number };

type Footprint = {
  readonly reads: ReadonlySet<string>;
  readonly writes: ReadonlySet<string>;
  /** A write's possible values per path, which a read must match to conflict with it. */
  readonly made: ReadonlyMap<string, readonly Made[]>;
};

export type Laziness = {
  /** Per operation (index in the part) that is an indeterminate write: the indices it conflicts with. */
  readonly conflicts: readonly (ReadonlySet<number> | undefined)[];
  /** Per determinate operation: the indeterminate writes it conflicts with (it may close their run). */
  readonly closes: readonly (readonly number[])[];
  /** Per indeterminate write: how many determinate operations conflicting with it complete after its invocation. */
  readonly closers: Int32Array;
  /** Per path no operation creates or deletes: the versions determinate writes returned. */
  readonly claimed: ReadonlyMap<string, ReadonlySet<number>>;
};

const kids = (path: string): string => `kids:${path}`;
const counter = (path: string): string => `seq:${path}`;
const isRead = (op: Operation): boolean => op.call.op === 'getData' || op.call.op === 'exists';

function subOperations(op: Operation): MultiOp[] {
  const call = op.call;
  if (call.op === 'multi') return call.args.ops;
  if (call.op === 'create' || call.op === 'delete' || call.op === 'setData') return [{ op: call.op, args: call.args } as MultiOp];
  return [];
}

/** The name a determinate sequential create returned, or the names an indeterminate one may have made. */
function createdNames(op: Operation, index: number, prefix: string, ctx: Pick<ModelContext, 'seqNames'>): readonly string[] {
  const named = op.result?.code === 'OK' ? (op.call.op === 'multi' ? op.result.results?.[index]?.path : op.result.path) : undefined;
  if (op.result !== undefined) return named === undefined ? [] : [named];
  return ctx.seqNames.get(prefix) ?? [];
}

function footprint(op: Operation, ctx: Pick<ModelContext, 'seqNames'>): Footprint {
  const reads = new Set<string>();
  const writes = new Set<string>();
  const made = new Map<string, Made[]>();
  const make = (path: string, value: Made): void => {
    writes.add(path);
    made.set(path, [...(made.get(path) ?? []), value]);
  };
  if (op.call.op === 'getData' || op.call.op === 'exists') reads.add(op.call.args.path);
  for (const [index, sub] of subOperations(op).entries()) {
    const path = sub.args.path;
    const parent = parentOf(path);
    switch (sub.op) {
      case 'create': {
        reads.add(parent);
        writes.add(kids(parent));
        const names = sub.args.sequential ? createdNames(op, index, path, ctx) : [path];
        if (sub.args.sequential) {
          reads.add(counter(parent));
          writes.add(counter(parent));
        }
        for (const name of names) {
          reads.add(name);
          make(name, { absent: false, data: sub.args.data, minVersion: 0, maxVersion: 0 });
        }
        break;
      }
      case 'delete':
        reads.add(path).add(kids(path));
        writes.add(kids(parent));
        make(path, { absent: true });
        break;
      case 'setData': {
        reads.add(path);
        // A determinate one made the version it returned.
        const version = op.result?.code === 'OK' ? (op.call.op === 'multi' ? op.result.results?.[index]?.version : op.result.version) : undefined;
        make(path, { absent: false, data: sub.args.data, minVersion: version ?? 1, maxVersion: version ?? Number.POSITIVE_INFINITY });
        break;
      }
      case 'check':
        reads.add(path);
        break;
    }
  }
  return { reads, writes, made };
}

/**
 * Whether a read's result could be a value in `made` (a read that returned anything else can be passed), by an
 * indeterminate write: not if the Stat's mzxid it returned is the zxid a determinate write took (`claimed`).
 */
function couldRead(read: Operation, made: readonly Made[] | undefined, claimed: ReadonlySet<number>): boolean {
  const result: OpResult | undefined = read.result;
  if (made === undefined || result === undefined) return false;
  if (result.mzxid !== undefined && claimed.has(result.mzxid)) return false;
  return made.some((value) => {
    if (value.absent) return result.code === 'NoNode';
    if (result.code !== 'OK') return false;
    const version = result.version ?? 0;
    const inRange = version >= value.minVersion && version <= value.maxVersion;
    return read.call.op === 'exists' ? inRange : inRange && result.data === value.data;
  });
}

/** Whether a key of `a` is in `b` (a parent's set of children left out when both only write it). */
const meets = (a: ReadonlySet<string>, b: ReadonlySet<string>, bothWrite = false): boolean => {
  for (const key of a) if (b.has(key) && !(bothWrite && key.startsWith('kids:'))) return true;
  return false;
};

/**
 * Whether the indeterminate write `w` cannot be moved past `x` (module header). Two writes of a parent's set of
 * children commute (a create and a delete of different children) unless one also reads it (a delete of the parent).
 */
function conflict(w: Footprint, x: Operation, fx: Footprint, claimed: ReadonlySet<number>): boolean {
  if (isRead(x)) return [...fx.reads].some((path) => couldRead(x, w.made.get(path), claimed));
  return meets(w.writes, fx.reads) || meets(w.reads, fx.writes) || meets(w.writes, fx.writes, true);
}

/** The versions that determinate writes claimed, per path that no operation creates or deletes. */
function claimedVersions(operations: readonly Operation[], dynamic: ReadonlySet<string>): Map<string, Set<number>> {
  const claimed = new Map<string, Set<number>>();
  const claim = (path: string, version: number | undefined): void => {
    if (version === undefined || dynamic.has(path)) return;
    const set = claimed.get(path) ?? new Set<number>();
    set.add(version);
    claimed.set(path, set);
  };
  for (const op of operations) {
    if (op.result?.code !== 'OK') continue;
    if (op.call.op === 'setData') claim(op.call.args.path, op.result.version);
    if (op.call.op === 'multi') for (const [index, sub] of op.call.args.ops.entries()) if (sub.op === 'setData') claim(sub.args.path, op.result.results?.[index]?.version);
  }
  return claimed;
}

export function laziness(operations: readonly Operation[], ctx: Pick<ModelContext, 'seqNames' | 'dynamic'>): Laziness {
  // Most parts have no lost write: nothing to place, and the claimed versions only ever restrict one.
  if (operations.every((op) => op.result !== undefined || isRead(op))) {
    return { conflicts: [], closes: operations.map(() => []), closers: new Int32Array(operations.length), claimed: new Map() };
  }
  const footprints = operations.map((op) => footprint(op, ctx));
  const zxids = claimedZxids(operations);
  // Which operations touch a key: a write's candidates for conflict are found through its keys, not the whole part.
  const byKey = new Map<string, number[]>();
  for (const [index, fp] of footprints.entries()) {
    for (const key of new Set([...fp.reads, ...fp.writes])) {
      const list = byKey.get(key) ?? [];
      list.push(index);
      byKey.set(key, list);
    }
  }
  const conflicts: (Set<number> | undefined)[] = operations.map(() => undefined);
  const indeterminate: number[] = [];
  for (const [w, op] of operations.entries()) {
    if (op.result !== undefined || isRead(op)) continue;
    indeterminate.push(w);
    const fw = footprints[w]!;
    const set = new Set<number>();
    for (const key of new Set([...fw.reads, ...fw.writes])) {
      for (const x of byKey.get(key) ?? []) if (x !== w && !set.has(x) && conflict(fw, operations[x]!, footprints[x]!, zxids)) set.add(x);
    }
    conflicts[w] = set;
  }
  // A run may close through other indeterminate writes (w, then w2 that it conflicts with, then an operation that
  // conflicts with w2): what may close w's run is what conflicts with any write of w's group under conflict.
  const group = new Map<number, number>();
  for (const w of indeterminate) {
    if (group.has(w)) continue;
    const stack = [w];
    group.set(w, w);
    while (stack.length > 0) {
      for (const x of conflicts[stack.pop()!]!) {
        if (conflicts[x] === undefined || group.has(x)) continue;
        group.set(x, w);
        stack.push(x);
      }
    }
  }
  const closes: number[][] = operations.map(() => []);
  const closers = new Int32Array(operations.length);
  const groupClosers = new Map<number, Set<number>>();
  for (const m of indeterminate) {
    const by = groupClosers.get(group.get(m)!) ?? new Set<number>();
    for (const x of conflicts[m]!) if (operations[x]!.result !== undefined) by.add(x);
    groupClosers.set(group.get(m)!, by);
  }
  for (const w of indeterminate) {
    for (const x of groupClosers.get(group.get(w)!)!) {
      if (operations[x]!.completedAt < operations[w]!.invokedAt) continue;
      closes[x]!.push(w);
      closers[w]!++;
    }
  }
  return { conflicts, closes, closers, claimed: claimedVersions(operations, ctx.dynamic) };
}

/** Whether an indeterminate write, taken from `before` to `after`, made a version of a path that a determinate write returned. */
export function takesClaimedVersion(lazy: Laziness, op: Operation, before: ModelState, after: ModelState): boolean {
  for (const sub of subOperations(op)) {
    if (sub.op !== 'setData') continue;
    const claimed = lazy.claimed.get(sub.args.path);
    if (claimed === undefined) continue;
    const was = before.znodes.get(sub.args.path);
    const now = after.znodes.get(sub.args.path);
    const value = now?.[now.length - 1]?.value;
    if (value == null || was?.[was.length - 1]?.value?.version === value.version) continue;
    if (claimed.has(value.version)) return true;
  }
  return false;
}

/**
 * Pinning by what a read returned: a getData of a path that returned a value (data and version) that only one write
 * of the part could have made, and that write indeterminate, proves that write took effect, with that value, before
 * the read completed. It becomes a determinate operation with that result, completing when the earliest such read
 * did (`pinned` marks it: it still sets no session floor and orders nothing in its session, as its client never
 * learnt of it). A restriction that every linearization satisfies, so nothing is lost; the search then places it
 * among the determinate operations instead of trying it everywhere.
 */
export function pinByReads(operations: readonly Operation[], ctx: Pick<ModelContext, 'seqNames' | 'zxidFits'>, initial: (path: string) => Znode | null | undefined): { operations: Operation[]; pinned: Uint8Array } {
  if (operations.every((op) => op.result !== undefined || isRead(op))) return { operations: [...operations], pinned: new Uint8Array(operations.length) };
  const footprints = operations.map((op) => footprint(op, ctx));
  const writersOf = new Map<string, number[]>();
  for (const [index, op] of operations.entries()) {
    if (isRead(op) || (op.result !== undefined && op.result.code !== 'OK')) continue;
    for (const path of footprints[index]!.made.keys()) writersOf.set(path, [...(writersOf.get(path) ?? []), index]);
  }
  const zxids = claimedZxids(operations);
  const pins = new Map<number, { deadline: number; zxid: number | undefined; results: Map<number, { path?: string; version?: number }> }>();
  for (const read of operations) {
    if (!isRead(read) || read.result?.code !== 'OK' || read.call.op === 'multi') continue;
    const mzxid = read.result.mzxid;
    // An exists tells only a version, shared by many writes: only its Stat's mzxid can pin one.
    if (read.call.op === 'exists' && mzxid === undefined) continue;
    const path = read.call.args.path;
    const first = initial(path);
    const sameZxid = mzxid === undefined || first?.mzxid === undefined || first.mzxid === mzxid;
    if (first != null && sameZxid && (read.call.op === 'exists' || first.data === read.result.data) && first.version === read.result.version) continue;
    // Made by a write invoked before the read completed; with an mzxid, by no write whose zxid is known (it would be another).
    const writers = (writersOf.get(path) ?? []).filter(
      (w) => couldRead(read, footprints[w]!.made.get(path), zxids) && operations[w]!.invokedAt <= read.completedAt && (mzxid === undefined || (writeZxid(operations[w]!) === undefined && ctx.zxidFits?.(operations[w]!, mzxid) !== false)),
    );
    if (writers.length !== 1 || operations[writers[0]!]!.result !== undefined) continue;
    const w = writers[0]!;
    const subs = subOperations(operations[w]!);
    const index = subs.findIndex((sub) => sub.op !== 'delete' && sub.op !== 'check' && (sub.args.path === path || (sub.op === 'create' && sub.args.sequential && path.startsWith(sub.args.path))));
    // A multi's other sequential create would need a name: left to the search.
    if (index < 0 || subs.some((sub, i) => i !== index && sub.op === 'create' && sub.args.sequential)) continue;
    const pin = pins.get(w) ?? { deadline: Number.POSITIVE_INFINITY, zxid: undefined, results: new Map() };
    pin.deadline = Math.min(pin.deadline, read.completedAt);
    // The first read's mzxid: another read naming another zxid then finds no value to match, an anomaly (one write, one zxid).
    pin.zxid ??= mzxid;
    if (!pin.results.has(index)) pin.results.set(index, subs[index]!.op === 'create' ? { path } : { version: read.result.version! });
    pins.set(w, pin);
  }
  const pinned = new Uint8Array(operations.length);
  const out = operations.map((op, index) => {
    const pin = pins.get(index);
    if (pin === undefined) return op;
    pinned[index] = 1;
    const subs = subOperations(op);
    const zxid = pin.zxid === undefined ? {} : { zxid: pin.zxid };
    const result: OpResult = op.call.op === 'multi' ? { code: 'OK', results: subs.map((_, i) => pin.results.get(i) ?? {}), ...zxid } : { code: 'OK', ...pin.results.get(0)!, ...zxid };
    return { ...op, result, completedAt: pin.deadline };
  });
  return { operations: out, pinned };
}

/** The zxids the part's determinate writes took (history.ts writeZxid). */
export function claimedZxids(operations: readonly Operation[]): Set<number> {
  const claimed = new Set<number>();
  for (const op of operations) {
    if (isRead(op)) continue;
    const zxid = writeZxid(op);
    if (zxid !== undefined) claimed.add(zxid);
  }
  return claimed;
}

/**
 * Path -> the mzxids reads of it returned that no determinate write of the part took: each names an indeterminate
 * write that took effect (the search may give one of them to an indeterminate write it takes: data-model.ts).
 */
export function seenZxids(operations: readonly Operation[]): Map<string, number[]> {
  const claimed = claimedZxids(operations);
  const seen = new Map<string, Set<number>>();
  for (const op of operations) {
    if ((op.call.op !== 'getData' && op.call.op !== 'exists') || op.result?.code !== 'OK') continue;
    const mzxid = op.result.mzxid;
    if (mzxid === undefined || claimed.has(mzxid)) continue;
    const set = seen.get(op.call.args.path) ?? new Set<number>();
    set.add(mzxid);
    seen.set(op.call.args.path, set);
  }
  return new Map([...seen].map(([path, set]) => [path, [...set].sort((a, b) => a - b)]));
}
