// The sequential specification the checker linearizes against: ZooKeeper's
// data tree as clients see it (DataTree and PrepRequestProcessor's checks, in
// PrepRequestProcessor's order), with the one thing a plain register model
// lacks: reads are sequentially consistent, not linearizable.
//
// Writes (create, delete, setData, multi, and their failures, which ZooKeeper
// also orders through the leader as error txns) apply to the newest state: the
// order of writes is one total order that respects real time. A read
// (getData, exists) is placed in that order too, inside its interval, but may
// return an older value of its znode, as a follower that has not applied the
// newest commits does ("Guarantees" in ZooKeeper's Programmer's Guide):
// - never older than what its session has already seen or written of that
//   znode (its floor on the znode), FIFO client order;
// - never older than a write of that znode that completed before the session
//   last invoked a write, a sync or connected (`ReadBound`): those are ordered
//   by the leader after every write that had completed, and a later read of
//   the session sees at least their state. This is the bound that makes a
//   read after sync linearizable; it needs no state, and it holds across
//   znodes and partitions.
// What this does not check: that a session's read of one znode is no older
// than the position in the write order of its own last write (or read) of
// another znode, when the write it misses was concurrent with that write
// rather than completed before it. Floors kept per znode let the memo merge
// the many orders of concurrent writes to different znodes that a floor in
// the global order tells apart: with one global floor, a 400-operation
// history of 20 clients took more than 50,000 search steps instead of 400.
//
// So the state keeps, per znode, its values since the oldest change a
// pending read may still see, each with its change count and the operation
// that wrote it; values no pending read can see are dropped (`trim`), which
// keeps states small and equal states equal for the memo.

import { assert } from '../../lib/assert.ts';
import { describeArgs, writeZxid, type MultiOp, type Operation, type OpResult, type ResultCode, type Znode } from './history.ts';

/**
 * One value of a znode (null: absent), its `from`-th change (0: initial), written by operation `by` (-1: initial),
 * with the zxid of that write: the Stat's mzxid a read of this value shows. Undefined: not known (a history that
 * does not record zxids, an initial value without one), which any read matches; `unseen` (-1): made by an
 * indeterminate write that the search took as one no read with a Stat saw (indeterminate.ts), which no read that
 * recorded an mzxid matches.
 */
export type Entry = { readonly from: number; readonly value: Znode | null; readonly by: number; readonly zxid: number | undefined };
export const unseen = -1;
/** A session's floor on one znode: the oldest change its reads of it may see, and the operation that set it. */
export type Floor = { readonly pos: number; readonly by: number };
export type SeqCounter = { readonly number: number; readonly by: number };

export type ModelState = {
  /** Every path of the partition; the last entry is the current value. */
  readonly znodes: Znodes;
  /** Per parent: the highest sequence number handed out under it. */
  readonly lastSeq: ReadonlyMap<string, SeqCounter>;
  /** By `floorKey(session, path)`. */
  readonly floors: ReadonlyMap<string, Floor>;
  /** Two 32-bit hashes of the znodes' values, xor-ed per path: the key costs what a step changed, not the part's size. */
  readonly znodesHash: readonly [number, number];
  /** The paths with more than one value kept: the only ones `trim` has work on (a part may have thousands of sequential names). */
  readonly deep: readonly string[];
  /** The highest zxid of the writes taken (-1: none): writes take zxids in the order they are applied. */
  readonly lastZxid: number;
  /** The operation that took it (-1: none), for messages. */
  readonly lastZxidBy: number;
  /** Canonical text of what decides the future (not the `by` of floors, which only messages read). */
  readonly key: string;
};

/** What stays fixed while one partition is searched. */
export type ModelContext = {
  /** Paths some operation of the history creates or deletes: a parent not among them exists throughout. */
  readonly dynamic: ReadonlySet<string>;
  /** Path -> its children among the partition's paths. */
  readonly children: ReadonlyMap<string, readonly string[]>;
  /** Sequential prefix (`/p/n-`) -> the names under it the history mentions, candidates for an indeterminate create. */
  readonly seqNames: ReadonlyMap<string, readonly string[]>;
  /** Name -> the highest number an acknowledged create under its parent returned below its own (partition.ts sequenceFloors). */
  readonly seqFloors: ReadonlyMap<string, number>;
  readonly operation: (id: number) => Operation;
  /** Session -> its determinate reads not yet placed (kept by the search). */
  /** Path -> session -> its determinate reads of the path not yet placed (kept by the search). */
  readonly pendingReads: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Path -> session -> the smallest `ReadBound.time` of its reads of the path. */
  readonly readsSeeFrom: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Keep every value (explanations replay a path this way, to name the older value a stale read returned). */
  readonly keepAll?: boolean;
  /**
   * Path -> the mzxids that reads of it returned and that no determinate write of the part took: each is the zxid of
   * an indeterminate write that took effect (indeterminate.ts, "zxids"), so one taken may be given one of these.
   */
  readonly seenZxids?: ReadonlyMap<string, readonly number[]>;
  /** Whether an indeterminate write may have taken a zxid, by real time (zxid-window.ts); absent: any. */
  readonly zxidFits?: (op: Operation, zxid: number) => boolean;
};

/** A read's real-time bound (see the header): the time, and the operation (or "connect") that set it. */
export type ReadBound = { readonly time: number; readonly by: number | 'connect' | undefined };

export type Reason = { readonly text: string; readonly operations: readonly number[] };
export type StepOutcome = { readonly ok: true; readonly states: readonly ModelState[] } | { readonly ok: false; readonly reason: Reason };

export function parentOf(path: string): string {
  const slash = path.lastIndexOf('/');
  return slash <= 0 ? '/' : path.slice(0, slash);
}

/** The sequence number of `name` created by a sequential create of `prefix`, or undefined if it is not one (%010d). */
export function sequenceNumber(prefix: string, name: string): number | undefined {
  if (!name.startsWith(prefix) || name.length !== prefix.length + 10) return undefined;
  const digits = name.slice(prefix.length);
  return /^\d{10}$/.test(digits) ? Number(digits) : undefined;
}

export function initialState(paths: readonly string[], initial: ReadonlyMap<string, Znode>): ModelState {
  const znodes = new Map<string, readonly Entry[]>();
  for (const path of [...paths].sort()) {
    const value = initial.get(path);
    znodes.set(path, [{ from: 0, value: value === undefined ? null : { data: value.data, version: value.version }, by: -1, zxid: value?.mzxid }]);
  }
  let znodesHash: [number, number] = [0, 0];
  for (const [path, entries] of znodes) znodesHash = rehash(znodesHash, path, undefined, entries);
  return withKey({ znodes: new Znodes(znodes, new Map()), lastSeq: new Map(), floors: new Map(), deep: [], znodesHash, lastZxid: -1, lastZxidBy: -1 });
}

/**
 * The values of a part's znodes: a shared base and the few paths changed since, so that a step copies what it
 * changed and not the part (a sequential parent's part holds every name made under it: thousands). The changes
 * are folded into a new base once there are more than `foldAt`, so a lookup stays two map reads.
 */
export class Znodes {
  private static readonly foldAt = 64;
  constructor(
    private readonly base: ReadonlyMap<string, readonly Entry[]>,
    private readonly top: ReadonlyMap<string, readonly Entry[]>,
  ) {}
  get(path: string): readonly Entry[] | undefined {
    return this.top.get(path) ?? this.base.get(path);
  }
  has(path: string): boolean {
    return this.top.has(path) || this.base.has(path);
  }
  with(changes: readonly (readonly [string, readonly Entry[]])[]): Znodes {
    if (changes.length === 0) return this;
    const top = new Map(this.top);
    for (const [path, entries] of changes) top.set(path, entries);
    if (top.size <= Znodes.foldAt) return new Znodes(this.base, top);
    const base = new Map(this.base);
    for (const [path, entries] of top) base.set(path, entries);
    return new Znodes(base, new Map());
  }
}

const floorKey = (session: string, path: string): string => `${session}\u0000${path}`;
const sessionOfFloor = (key: string): string => key.slice(0, key.indexOf('\u0000'));
const pathOfFloor = (key: string): string => key.slice(key.indexOf('\u0000') + 1);

export function formatValue(value: Znode | null, withData = true): string {
  if (value === null) return 'no node';
  return withData ? `version ${value.version} (data ${JSON.stringify(value.data)})` : `version ${value.version}`;
}

export function describeOperation(op: Operation): string {
  return `op #${op.id} ${op.call.op} ${describeArgs(op.call)} by session ${op.session}`;
}

export function describeResult(op: Operation): string {
  const result = op.result;
  if (result === undefined) return 'indeterminate';
  if (result.code !== 'OK') return result.code;
  switch (op.call.op) {
    case 'getData':
      return `OK ${formatValue({ data: result.data ?? '', version: result.version ?? 0 })}${result.mzxid === undefined ? '' : ` mzxid ${hexZxid(result.mzxid)}`}`;
    case 'exists':
      return `OK version ${result.version}${result.mzxid === undefined ? '' : ` mzxid ${hexZxid(result.mzxid)}`}`;
    case 'setData':
      return `OK, new version ${result.version}`;
    case 'create':
      return `OK, created ${result.path}`;
    case 'multi':
      return `OK ${JSON.stringify(result.results)}`;
    case 'delete':
    case 'sync':
      return 'OK';
  }
}

// ---- writes ----

/** A write in progress: changes over a base state, copied per alternative. */
type Draft = { readonly changes: Map<string, Znode | null>; readonly seq: Map<string, SeqCounter> };

function current(state: ModelState, draft: Draft, path: string): Znode | null {
  if (draft.changes.has(path)) return draft.changes.get(path)!;
  const entries = state.znodes.get(path);
  assert(entries !== undefined, () => `path ${path} is not in its partition`);
  return entries[entries.length - 1]!.value;
}

function parentExists(state: ModelState, draft: Draft, ctx: ModelContext, path: string): boolean {
  const parent = parentOf(path);
  return parent === '/' || !ctx.dynamic.has(parent) || current(state, draft, parent) !== null;
}

/** One possible outcome of a sub-operation: its code, what the reply carries, the draft after it. */
type SubOutcome = { readonly code: ResultCode; readonly path?: string; readonly version?: number; readonly draft: Draft };

const copy = (draft: Draft): Draft => ({ changes: new Map(draft.changes), seq: new Map(draft.seq) });

function applyCreate(state: ModelState, draft: Draft, ctx: ModelContext, args: { path: string; data: string; sequential: boolean }, named: string | undefined, id: number): SubOutcome[] | Reason {
  if (!parentExists(state, draft, ctx, args.path)) return [{ code: 'NoNode', draft }];
  if (!args.sequential) {
    if (current(state, draft, args.path) !== null) return [{ code: 'NodeExists', draft }];
    const next = copy(draft);
    next.changes.set(args.path, { data: args.data, version: 0 });
    return [{ code: 'OK', path: args.path, draft: next }];
  }
  const parent = parentOf(args.path);
  const last = draft.seq.get(parent) ?? state.lastSeq.get(parent);
  const create = (name: string, number: number): SubOutcome => {
    const next = copy(draft);
    next.changes.set(name, { data: args.data, version: 0 });
    next.seq.set(parent, { number, by: id });
    return { code: 'OK', path: name, draft: next };
  };
  if (named === undefined) {
    // Indeterminate: it may have created any name the history mentions; a name no one saw changes nothing observable.
    const outcomes: SubOutcome[] = [];
    for (const name of ctx.seqNames.get(args.path) ?? []) {
      const number = sequenceNumber(args.path, name)!;
      const after = ctx.seqFloors.get(name) ?? -1;
      if ((last === undefined || number > last.number) && (last?.number ?? -1) >= after && current(state, draft, name) === null) outcomes.push(create(name, number));
    }
    return outcomes;
  }
  const number = sequenceNumber(args.path, named);
  if (number === undefined) return { text: `a sequential create of ${args.path} returned ${named}, which is not ${args.path} followed by ten digits`, operations: [id] };
  if (last !== undefined && number <= last.number) {
    const by = ctx.operation(last.by);
    return { text: `sequence number ${number} under ${parent} is not above ${last.number}, already handed out by ${describeOperation(by)}`, operations: [id, last.by] };
  }
  if (current(state, draft, named) !== null) return { text: `it returned ${named}, which already exists`, operations: [id] };
  return [create(named, number)];
}

function applySub(state: ModelState, draft: Draft, ctx: ModelContext, sub: MultiOp, named: string | undefined, id: number): SubOutcome[] | Reason {
  if (sub.op === 'create') return applyCreate(state, draft, ctx, sub.args, named, id);
  const node = current(state, draft, sub.args.path);
  if (node === null) return [{ code: 'NoNode', draft }];
  const expected = sub.args.version;
  if (expected !== -1 && expected !== node.version) return [{ code: 'BadVersion', draft }];
  switch (sub.op) {
    case 'check':
      return [{ code: 'OK', draft }];
    case 'delete': {
      if ((ctx.children.get(sub.args.path) ?? []).some((child) => current(state, draft, child) !== null)) return [{ code: 'NotEmpty', draft }];
      const next = copy(draft);
      next.changes.set(sub.args.path, null);
      return [{ code: 'OK', draft: next }];
    }
    case 'setData': {
      const next = copy(draft);
      const version = node.version + 1;
      next.changes.set(sub.args.path, { data: sub.args.data, version });
      return [{ code: 'OK', version, draft: next }];
    }
  }
}

/** The outcomes of a whole write: one draft each, with the result ZooKeeper would reply. */
type WriteOutcome = { readonly result: OpResult; readonly draft: Draft };

function applyWrite(state: ModelState, ctx: ModelContext, op: Operation): WriteOutcome[] | Reason {
  const empty: Draft = { changes: new Map(), seq: new Map() };
  const call = op.call;
  switch (call.op) {
    case 'create':
    case 'delete':
    case 'setData': {
      const sub = { op: call.op, args: call.args } as MultiOp;
      const outcomes = applySub(state, empty, ctx, sub, op.result?.code === 'OK' ? op.result.path : undefined, op.id);
      if (!Array.isArray(outcomes)) return outcomes;
      return outcomes.map(({ code, path, version, draft }) => ({ result: { code, ...(path === undefined ? {} : { path }), ...(version === undefined ? {} : { version }) }, draft }));
    }
    case 'multi':
      return applyMulti(state, ctx, op, call.args.ops);
    case 'getData':
    case 'exists':
    case 'sync':
      assert(false, () => `${call.op} is not a write`);
  }
}

/** All or nothing: sub-operations in order on one draft; the first failure discards it (ZooKeeper's MultiOperationRecord). */
function applyMulti(state: ModelState, ctx: ModelContext, op: Operation, subs: readonly MultiOp[]): WriteOutcome[] | Reason {
  type Partial = { draft: Draft; results: { path?: string; version?: number }[] };
  let partials: Partial[] = [{ draft: { changes: new Map(), seq: new Map() }, results: [] }];
  const failures: WriteOutcome[] = [];
  for (const [index, sub] of subs.entries()) {
    const next: Partial[] = [];
    for (const partial of partials) {
      const named = op.result?.code === 'OK' ? op.result.results?.[index]?.path : undefined;
      const outcomes = applySub(state, partial.draft, ctx, sub, named, op.id);
      if (!Array.isArray(outcomes)) return { text: `sub-operation ${index}: ${outcomes.text}`, operations: outcomes.operations };
      for (const outcome of outcomes) {
        if (outcome.code !== 'OK') failures.push({ result: { code: outcome.code, index }, draft: { changes: new Map(), seq: new Map() } });
        else next.push({ draft: outcome.draft, results: [...partial.results, { ...(outcome.path === undefined ? {} : { path: outcome.path }), ...(outcome.version === undefined ? {} : { version: outcome.version }) }] });
      }
    }
    partials = next;
  }
  return [...partials.map(({ draft, results }) => ({ result: { code: 'OK' as const, results }, draft })), ...failures];
}

/** Whether ZooKeeper's reply `expected` is what the recording got (fields the recording left out are not compared). */
function sameResult(op: Operation, expected: OpResult, got: OpResult): boolean {
  if (expected.code !== got.code) return false;
  if (got.code !== 'OK') return got.index === undefined || expected.index === undefined || got.index === expected.index;
  if (op.call.op === 'create') return expected.path === got.path;
  if (op.call.op === 'setData') return expected.version === got.version;
  if (op.call.op === 'multi') {
    return (got.results ?? []).every((sub, i) => {
      const want = expected.results?.[i];
      return want !== undefined && (sub.path === undefined || sub.path === want.path) && (sub.version === undefined || sub.version === want.version);
    });
  }
  return true;
}

function describeExpected(op: Operation, expected: OpResult): string {
  if (expected.code !== 'OK') return expected.index === undefined ? expected.code : `${expected.code} at sub-operation ${expected.index}`;
  return describeResult({ ...op, result: expected });
}

function stepWrite(state: ModelState, ctx: ModelContext, op: Operation): StepOutcome {
  const outcomes = applyWrite(state, ctx, op);
  if (!Array.isArray(outcomes)) return { ok: false, reason: { text: `${describeOperation(op)} → ${describeResult(op)} cannot take effect: ${outcomes.text}`, operations: outcomes.operations } };
  const got = op.result;
  // An indeterminate write with no outcome here (a sequential create none of whose candidate names is free) just does not take effect now.
  if (got === undefined && outcomes.length === 0) return { ok: true, states: [] };
  const matching = got === undefined ? outcomes : outcomes.filter((outcome) => sameResult(op, outcome.result, got));
  if (matching.length === 0) {
    const want = outcomes[0];
    const paths = writtenPaths(op);
    const now = paths.filter((path) => state.znodes.has(path)).map((path) => `${path} is ${formatValue(current(state, { changes: new Map(), seq: new Map() }, path))}`).join(', ');
    const text = want === undefined ? 'no outcome of the model matches' : `ZooKeeper answers ${describeExpected(op, want.result)} here (${now})`;
    return { ok: false, reason: { text: `${describeOperation(op)} → ${describeResult(op)} cannot take effect: ${text}`, operations: [op.id, ...lastWriters(state, paths)] } };
  }
  const zxid = writeZxid(op);
  if (zxid !== undefined && zxid <= state.lastZxid) {
    const by = ctx.operation(state.lastZxidBy);
    return { ok: false, reason: { text: `${describeOperation(op)} → ${describeResult(op)} cannot take effect: its zxid ${hexZxid(zxid)} is not above ${hexZxid(state.lastZxid)}, taken by ${describeOperation(by)}, which it must follow`, operations: [op.id, by.id] } };
  }
  if (got !== undefined) return { ok: true, states: matching.map((outcome) => commit(state, ctx, op, outcome.draft, zxid)) };
  // Indeterminate: its zxid is unknown, unless a read's Stat showed what it made; each mzxid seen on a path it changes
  // is an alternative, and so is being seen by no such read. The zxid only labels the value for reads: it does not
  // order the write among the others (`lastZxid`), or lazy placement would not hold (indeterminate.ts, "zxids").
  const states: ModelState[] = [];
  for (const outcome of matching) {
    states.push(commit(state, ctx, op, outcome.draft, unseen));
    const candidates = new Set<number>();
    for (const [path, value] of outcome.draft.changes) if (value !== null) for (const seen of ctx.seenZxids?.get(path) ?? []) if (ctx.zxidFits?.(op, seen) !== false) candidates.add(seen);
    for (const seen of [...candidates].sort((a, b) => a - b)) states.push(commit(state, ctx, op, outcome.draft, seen));
  }
  return { ok: true, states };
}

/** A zxid as ZooKeeper prints it. */
export function hexZxid(zxid: number): string {
  return `0x${zxid.toString(16)}`;
}

function writtenPaths(op: Operation): string[] {
  return op.call.op === 'multi' ? op.call.args.ops.map((sub) => sub.args.path) : [op.call.args.path];
}

function lastWriters(state: ModelState, paths: readonly string[]): number[] {
  return paths.flatMap((path) => {
    const entries = state.znodes.get(path);
    const by = entries?.[entries.length - 1]?.by;
    return by === undefined || by < 0 ? [] : [by];
  });
}

function commit(state: ModelState, ctx: ModelContext, op: Operation, draft: Draft, zxid: number | undefined): ModelState {
  let znodesHash = state.znodesHash;
  const changes: [string, readonly Entry[]][] = [];
  for (const [path, value] of draft.changes) {
    const entries = state.znodes.get(path)!;
    const next = [...entries, { from: entries[entries.length - 1]!.from + 1, value, by: op.id, zxid }];
    changes.push([path, next]);
    znodesHash = rehash(znodesHash, path, entries, next);
  }
  const znodes = state.znodes.with(changes);
  const lastSeq = draft.seq.size > 0 ? new Map([...state.lastSeq, ...draft.seq]) : state.lastSeq;
  const floors = new Map(state.floors);
  // A write is applied to the newest state, which its session has then seen (of the znodes it names). An
  // indeterminate write sets no floor: its session does not know it happened (nor does one the search pinned,
  // indeterminate.ts, which is why the history's own operation is asked).
  if (ctx.operation(op.id).result !== undefined) {
    for (const path of writtenPaths(op)) {
      const entries = znodes.get(path);
      if (entries !== undefined) floors.set(floorKey(op.session, path), { pos: entries[entries.length - 1]!.from, by: op.id });
    }
  }
  const deep = [...new Set([...state.deep, ...draft.changes.keys()])];
  // Only a determinate write (or one a read pinned) is ordered by its zxid.
  const ordered = op.result !== undefined && zxid !== undefined && zxid > state.lastZxid;
  const [lastZxid, lastZxidBy] = ordered ? [zxid, op.id] : [state.lastZxid, state.lastZxidBy];
  return trim({ znodes, lastSeq, floors, deep, znodesHash, lastZxid, lastZxidBy, key: '' }, ctx);
}

// ---- reads ----

/** Whether a read's result is `entry`'s value; a Stat's mzxid must be the zxid of the write that made it, where known. */
function readMatches(op: Operation, entry: Entry): boolean {
  const result = op.result!;
  const value = entry.value;
  if (result.code === 'NoNode') return value === null;
  if (result.code !== 'OK' || value === null) return false;
  if (result.mzxid !== undefined && entry.zxid !== undefined && entry.zxid !== result.mzxid) return false;
  return op.call.op === 'exists' ? value.version === result.version : value.version === result.version && value.data === result.data;
}

/** The oldest entry a read of `entries` by a session at `floor` that must see writes completed before `bound` may return. */
function oldestVisible(entries: readonly Entry[], floor: number, bound: number, ctx: ModelContext): { byFloor: number; byTime: number } {
  let byFloor = 0;
  while (byFloor + 1 < entries.length && entries[byFloor + 1]!.from <= floor) byFloor++;
  let byTime = 0;
  for (let j = entries.length - 1; j > 0; j--) {
    if (ctx.operation(entries[j]!.by).completedAt < bound) {
      byTime = j;
      break;
    }
  }
  return { byFloor, byTime };
}

/** The path a read (getData, exists) reads. */
function readPath(op: Operation): string {
  assert(op.call.op === 'getData' || op.call.op === 'exists', () => `${op.call.op} is not a read`);
  return op.call.args.path;
}

export function stepRead(state: ModelState, ctx: ModelContext, op: Operation, bound: ReadBound): StepOutcome {
  const path = readPath(op);
  const entries = state.znodes.get(path);
  assert(entries !== undefined, () => `path ${path} is not in its partition`);
  const floor = state.floors.get(floorKey(op.session, path));
  const { byFloor, byTime } = oldestVisible(entries, floor?.pos ?? 0, bound.time, ctx);
  const oldest = Math.max(byFloor, byTime);
  for (let j = oldest; j < entries.length; j++) {
    if (!readMatches(op, entries[j]!)) continue;
    const floors = new Map(state.floors);
    floors.set(floorKey(op.session, path), { pos: Math.max(floor?.pos ?? 0, entries[j]!.from), by: floor !== undefined && floor.pos >= entries[j]!.from ? floor.by : op.id });
    return { ok: true, states: [trim({ ...state, floors, key: '' }, ctx)] };
  }
  return { ok: false, reason: staleReason(ctx, op, entries, { byFloor, byTime, floor, bound }) };
}

function staleReason(ctx: ModelContext, op: Operation, entries: readonly Entry[], why: { byFloor: number; byTime: number; floor: Floor | undefined; bound: ReadBound }): Reason {
  const path = readPath(op);
  const withData = op.call.op === 'getData';
  const head = `${describeOperation(op)} returned ${describeResult(op)}`;
  const older = entries.slice(0, Math.max(why.byFloor, why.byTime)).some((entry) => readMatches(op, entry));
  if (!older) {
    const zxidOf = (entry: Entry): string => (op.result?.mzxid === undefined || entry.value === null ? '' : entry.zxid === undefined ? '' : entry.zxid === unseen ? ' by a lost write no Stat showed' : ` mzxid ${hexZxid(entry.zxid)}`);
    const values = entries.map((entry) => `${formatValue(entry.value, withData)}${zxidOf(entry)}`).join(', then ');
    return { text: `${head}, which ${path} never held where this read may look (${path} was ${values})`, operations: [op.id, ...entries.flatMap((entry) => (entry.by < 0 ? [] : [entry.by]))] };
  }
  if (why.byFloor >= why.byTime && why.floor !== undefined) {
    const seen = entries[why.byFloor]!;
    const by = ctx.operation(why.floor.by);
    return { text: `${head} after session ${op.session} had seen ${path} at ${formatValue(seen.value, withData)} (${describeOperation(by)} set what the session has seen)`, operations: [op.id, why.floor.by, ...(seen.by < 0 ? [] : [seen.by])] };
  }
  const newer = entries[why.byTime]!;
  const writer = ctx.operation(newer.by);
  const since = why.bound.by === 'connect' || why.bound.by === undefined ? `session ${op.session} connected` : `${describeOperation(ctx.operation(why.bound.by))} was invoked`;
  return {
    text: `${head}, but ${describeOperation(writer)} had made ${path} ${formatValue(newer.value, withData)} and completed before ${since}, which every later read of the session must see`,
    operations: [op.id, newer.by, ...(typeof why.bound.by === 'number' ? [why.bound.by] : [])],
  };
}

export function step(state: ModelState, ctx: ModelContext, op: Operation, bound: ReadBound): StepOutcome {
  return op.call.op === 'getData' || op.call.op === 'exists' ? stepRead(state, ctx, op, bound) : stepWrite(state, ctx, op);
}

// ---- trimming and the canonical key ----

/** Drops values no pending read can see, and floors of sessions with no read left. */
function trim(state: ModelState, ctx: ModelContext): ModelState {
  if (ctx.keepAll === true) return withKey(state);
  // A floor matters only while its session has a read of its znode to place.
  const floors = new Map<string, Floor>();
  for (const [key, floor] of state.floors) if ((ctx.pendingReads.get(pathOfFloor(key))?.get(sessionOfFloor(key)) ?? 0) > 0) floors.set(key, floor);
  let znodesHash = state.znodesHash;
  const changes: [string, readonly Entry[]][] = [];
  const deep: string[] = [];
  for (const path of state.deep) {
    const entries = state.znodes.get(path)!;
    let keep = entries.length - 1;
    for (const [session, count] of ctx.pendingReads.get(path) ?? []) {
      if (keep === 0) break;
      if (count === 0) continue;
      const { byFloor, byTime } = oldestVisible(entries, floors.get(floorKey(session, path))?.pos ?? 0, ctx.readsSeeFrom.get(path)?.get(session) ?? Number.NEGATIVE_INFINITY, ctx);
      keep = Math.min(keep, Math.max(byFloor, byTime));
    }
    if (keep > 0) {
      const kept = entries.slice(keep);
      changes.push([path, kept]);
      znodesHash = rehash(znodesHash, path, entries, kept);
    }
    if (entries.length - keep > 1) deep.push(path);
  }
  return withKey({ znodes: state.znodes.with(changes), lastSeq: state.lastSeq, floors, deep, znodesHash, lastZxid: state.lastZxid, lastZxidBy: state.lastZxidBy });
}

/** Each path's hashes, by its (immutable, shared between states) entries. */
const fragmentHashes = new WeakMap<readonly Entry[], readonly [number, number]>();

function fragmentHash(path: string, entries: readonly Entry[]): readonly [number, number] {
  let hash = fragmentHashes.get(entries);
  if (hash === undefined) {
    const text = `${path}=${entries.map((entry) => `${entry.from}:${entry.by}:${entry.zxid ?? ''}:${entry.value === null ? '-' : `${entry.value.version}:${JSON.stringify(entry.value.data)}`}`).join(',')}`;
    hash = [stringHash(text, 0x9e3779b9), stringHash(text, 0x85ebca6b)];
    fragmentHashes.set(entries, hash);
  }
  return hash;
}

/** FNV-1a with a seed, finished with murmur3's mix. */
function stringHash(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function rehash(hash: readonly [number, number], path: string, before: readonly Entry[] | undefined, after: readonly Entry[]): [number, number] {
  const out = before === undefined ? [0, 0] : fragmentHash(path, before);
  const into = fragmentHash(path, after);
  return [(hash[0] ^ out[0] ^ into[0]) >>> 0, (hash[1] ^ out[1] ^ into[1]) >>> 0];
}

function withKey(state: Omit<ModelState, 'key'>): ModelState {
  // Two states with equal hashes but different values (about one pair in 2^64) would be merged by the memo, which
  // could only hide a linearization, never invent one: a valid history could be reported, an invalid one never passes.
  const parts: string[] = [`${state.znodesHash[0]}.${state.znodesHash[1]}`];
  parts.push([...state.lastSeq].map(([parent, counter]) => `${parent}#${counter.number}`).sort().join(','));
  parts.push([...state.floors].map(([session, floor]) => `${session}@${floor.pos}`).sort().join(','));
  parts.push(String(state.lastZxid));
  return { ...state, key: parts.join('|') };
}
