// The search for a linearization of one part: Wing and Gong's algorithm
// ("Testing and verifying concurrent objects", 1993) with Lowe's memo
// ("Testing for linearizability", 2017), as Porcupine implements it
// (checker.go, checkSingle):
//
// The invocations and completions are one list in time order. Walking it, an
// invocation whose operation can take effect now (the model accepts its
// result in the current state, and its session's earlier operations of the
// part have taken effect: FIFO client order) is taken: lifted out of the list
// with its completion, and the walk restarts from the head. A completion
// reached means its operation was not taken in time: undo the last one taken
// and try the next thing instead. All completions lifted means a linearization
// exists. An indeterminate operation has no completion (Jepsen's :info): it
// may take effect at any time after its invocation, or never.
//
// The memo: a pair (set of operations taken, state) met once is never
// searched again, since what can follow depends on nothing else. The set is
// kept as two 32-bit Zobrist hashes (a random word per operation, xor-ed in
// and out), so a memo entry costs the state's key and not a bitset of the
// part; two sets colliding in both words (about one in 2^64 per pair) could
// prune a branch, which would make a valid history look invalid, never the
// reverse.
//
// Where the model has a choice (an indeterminate sequential create may have
// made any of several names), each alternative is a branch: backtracking to
// an operation first tries its next alternative.

import { assert } from '../../lib/assert.ts';
import { Random } from '../../lib/random.ts';
import { describeOperation, describeResult, step, type ModelContext, type ModelState, type ReadBound, type Reason } from './data-model.ts';
import { writeZxid, type Operation } from './history.ts';
import { laziness, pinByReads, seenZxids, takesClaimedVersion } from './indeterminate.ts';

export type SearchInput = {
  readonly operations: readonly Operation[];
  readonly initial: ModelState;
  /** The context minus what the search keeps itself (pendingReads). */
  readonly context: Omit<ModelContext, 'pendingReads' | 'readsSeeFrom'>;
  /** Per operation id: a read's real-time bound. */
  readonly bounds: ReadonlyMap<number, ReadBound>;
  /** Stop after this many steps taken (each a model step accepted). */
  readonly stepsMax: number;
};

export type Deepest = {
  /** How many operations had taken effect. */
  readonly taken: number;
  /** The last few taken, oldest first. */
  readonly lastTaken: readonly Operation[];
  /** The operation whose completion came before it could take effect. */
  readonly blocked: Operation;
  readonly reason: Reason;
};

export type SearchResult =
  | { readonly verdict: 'linearizable'; readonly steps: number }
  | { readonly verdict: 'anomaly'; readonly steps: number; readonly deepest: Deepest }
  | { readonly verdict: 'unknown'; readonly steps: number };

type Entry = { readonly index: number; readonly call: boolean; readonly time: number; prev: Entry | undefined; next: Entry | undefined; match: Entry | undefined };
/** What was taken, linked to what was taken before it: a snapshot of the stack is a pointer. */
type Frame = {
  readonly entry: Entry;
  readonly state: ModelState;
  readonly alternative: number;
  readonly late: boolean;
  /** The indeterminate writes taken since the last determinate operation and not yet followed by one they conflict with. */
  readonly owed: readonly number[];
  readonly below: Frame | undefined;
  readonly depth: number;
};
/** Where the search got furthest: what the explanation is built from. */
type Snapshot = { readonly top: Frame | undefined; readonly blocked: number };

const isRead = (op: Operation): boolean => op.call.op === 'getData' || op.call.op === 'exists';

/** The list of invocations and completions, in time order (an invocation before a completion at the same time: they then overlap). */
function buildList(operations: readonly Operation[]): Entry {
  const entries: Entry[] = [];
  for (const [index, op] of operations.entries()) {
    const call: Entry = { index, call: true, time: op.invokedAt, prev: undefined, next: undefined, match: undefined };
    entries.push(call);
    if (Number.isFinite(op.completedAt)) {
      const ret: Entry = { index, call: false, time: op.completedAt, prev: undefined, next: undefined, match: undefined };
      call.match = ret;
      entries.push(ret);
    }
  }
  entries.sort((a, b) => a.time - b.time || Number(b.call) - Number(a.call) || a.index - b.index);
  const head: Entry = { index: -1, call: true, time: Number.NEGATIVE_INFINITY, prev: undefined, next: undefined, match: undefined };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
}

function lift(entry: Entry): void {
  entry.prev!.next = entry.next;
  if (entry.next !== undefined) entry.next.prev = entry.prev;
  const match = entry.match;
  if (match === undefined) return;
  match.prev!.next = match.next;
  if (match.next !== undefined) match.next.prev = match.prev;
}

function unlift(entry: Entry): void {
  const match = entry.match;
  if (match !== undefined) {
    match.prev!.next = match;
    if (match.next !== undefined) match.next.prev = match;
  }
  entry.prev!.next = entry;
  if (entry.next !== undefined) entry.next.prev = entry;
}

/** For each operation, the index of its session's previous determinate operation in the part (-1: none): it must take effect first. */
function sessionPredecessors(operations: readonly Operation[], pinned: Uint8Array): Int32Array {
  const before = new Int32Array(operations.length).fill(-1);
  const order = [...operations.keys()].sort((a, b) => operations[a]!.invokedAt - operations[b]!.invokedAt || a - b);
  const lastDeterminate = new Map<string, number>();
  for (const index of order) {
    const op = operations[index]!;
    before[index] = lastDeterminate.get(op.session) ?? -1;
    if (op.result !== undefined && pinned[index] === 0) lastDeterminate.set(op.session, index);
  }
  return before;
}

export function searchPartition(input: SearchInput): SearchResult {
  const initialValue = (path: string) => {
    const first = input.initial.znodes.get(path)?.[0];
    return first?.value == null ? first?.value : { ...first.value, ...(first.zxid === undefined ? {} : { mzxid: first.zxid }) };
  };
  const { operations: ops, pinned } = pinByReads(input.operations, input.context, initialValue);
  const head = buildList(ops);
  const before = sessionPredecessors(ops, pinned);
  const random = new Random(0x5eed);
  const zobrist = Array.from({ length: ops.length }, () => [random.nextUint32(), random.nextUint32()] as const);
  const pendingReads = new Map<string, Map<string, number>>();
  const readsSeeFrom = new Map<string, Map<string, number>>();
  const readPath = (op: Operation): string => (op.call.op === 'getData' || op.call.op === 'exists' ? op.call.args.path : '');
  for (const op of ops) {
    if (!isRead(op)) continue;
    const path = readPath(op);
    const counts = pendingReads.get(path) ?? new Map<string, number>();
    counts.set(op.session, (counts.get(op.session) ?? 0) + 1);
    pendingReads.set(path, counts);
    const bound = input.bounds.get(op.id)?.time ?? Number.NEGATIVE_INFINITY;
    const bounds = readsSeeFrom.get(path) ?? new Map<string, number>();
    bounds.set(op.session, Math.min(bounds.get(op.session) ?? Number.POSITIVE_INFINITY, bound));
    readsSeeFrom.set(path, bounds);
  }
  const context: ModelContext = { ...input.context, pendingReads, readsSeeFrom, seenZxids: seenZxids(ops) };
  const lazy = laziness(ops, input.context);
  const noBound: ReadBound = { time: Number.NEGATIVE_INFINITY, by: undefined };

  const taken = new Uint8Array(ops.length);
  // Writes whose zxid is known take effect in zxid order (data-model.ts checks it, as `lastZxid`): one is a candidate
  // only when every one with a smaller zxid has been taken, since taking it earlier leaves them no place. Its rank in
  // that order, -1 for the others; the taken ones are always the first `zxidsTaken` of the order.
  const zxidRank = zxidRanks(ops);
  let zxidsTaken = 0;
  const twin = earlierTwins(ops);
  let hash0 = 0;
  let hash1 = 0;
  let completionsLeft = ops.filter((op) => Number.isFinite(op.completedAt)).length;
  const memo = new Set<string>();
  let top: Frame | undefined;
  let state = input.initial;
  let entry = head.next;
  let alternative = 0;
  let steps = 0;
  let deepest: Snapshot | undefined;
  // Two passes over the candidates of each node: determinate operations first, indeterminate ones only when
  // those lead nowhere. Both passes together try every candidate once; the split spares the model a step for
  // each indeterminate operation that never took effect (it stays a candidate to the end) at every node.
  let late = false;
  let sawLate = false;
  let owed: readonly number[] = [];

  const setTaken = (index: number, on: boolean): void => {
    taken[index] = on ? 1 : 0;
    if (zxidRank[index]! >= 0) zxidsTaken += on ? 1 : -1;
    hash0 ^= zobrist[index]![0];
    hash1 ^= zobrist[index]![1];
    const op = ops[index]!;
    if (isRead(op)) {
      const counts = pendingReads.get(readPath(op))!;
      counts.set(op.session, counts.get(op.session)! + (on ? -1 : 1));
    }
    if (Number.isFinite(op.completedAt)) completionsLeft += on ? -1 : 1;
    for (const w of lazy.closes[index]!) lazy.closers[w]! += on ? -1 : 1;
  };
  /** The run of indeterminate writes after taking `index` (indeterminate.ts), or undefined if it may not be taken now. */
  const none: readonly number[] = [];
  const owedAfter = (index: number): readonly number[] | undefined => {
    // The common case first: no run open and a determinate operation (called for every candidate visited).
    if (owed.length === 0 && ops[index]!.result !== undefined) return none;
    const left = owed.filter((w) => !lazy.conflicts[w]!.has(index));
    if (ops[index]!.result !== undefined) return left.length === 0 ? left : undefined;
    return lazy.closers[index]! > 0 ? [...left, index] : undefined;
  };

  while (completionsLeft > 0) {
    if (entry === undefined) break; // Unreachable: a completion left is in the list.
    const at: Entry = entry;
    if (at.call) {
      const index = at.index;
      const op = ops[index]!;
      const ready =
        (before[index] === -1 || taken[before[index]!] === 1) && (zxidRank[index] === -1 || zxidRank[index] === zxidsTaken) && (twin[index] === -1 || taken[twin[index]!] === 1);
      const indeterminate = op.result === undefined;
      if (indeterminate && !late) sawLate = true;
      let moved = false;
      const nextOwed = ready && indeterminate === late ? owedAfter(index) : undefined;
      if (nextOwed !== undefined) {
        setTaken(index, true);
        const outcome = step(state, context, op, input.bounds.get(op.id) ?? noBound);
        if (outcome.ok) {
          for (let alt = alternative; alt < outcome.states.length; alt++) {
            const next = outcome.states[alt]!;
            // An indeterminate operation that changes nothing here (it failed, say) need not be taken: the search
            // without it reaches every linearization the search with it does, and taking it would double the work.
            if (indeterminate && (next.key === state.key || takesClaimedVersion(lazy, op, state, next))) continue;
            const key = `${hash0}.${hash1}.${nextOwed.join(',')}.${next.key}`;
            if (memo.has(key)) continue;
            memo.add(key);
            top = { entry: at, state, alternative: alt, late, owed, below: top, depth: (top?.depth ?? 0) + 1 };
            owed = nextOwed;
            lift(at);
            state = next;
            entry = head.next;
            alternative = 0;
            late = false;
            sawLate = false;
            moved = true;
            steps++;
            break;
          }
        }
        if (!moved) setTaken(index, false);
      }
      if (steps > input.stepsMax) return { verdict: 'unknown', steps };
      if (!moved) {
        entry = at.next;
        alternative = 0;
      }
      continue;
    }
    // A completion whose operation has not taken effect: the determinate candidates are exhausted, then the indeterminate ones.
    if (!late && sawLate) {
      late = true;
      entry = head.next;
      alternative = 0;
      continue;
    }
    if (deepest === undefined || (top?.depth ?? 0) > (deepest.top?.depth ?? 0)) deepest = { top, blocked: at.index };
    const frame = top;
    if (frame === undefined) break;
    top = frame.below;
    setTaken(frame.entry.index, false);
    unlift(frame.entry);
    state = frame.state;
    owed = frame.owed;
    entry = frame.entry;
    alternative = frame.alternative + 1;
    late = frame.late;
    // Indeterminate candidates before the resumed one were not seen by this pass: assume some.
    sawLate = true;
  }
  if (completionsLeft === 0) return { verdict: 'linearizable', steps };
  if (deepest === undefined) return { verdict: 'unknown', steps };
  return { verdict: 'anomaly', steps, deepest: explain({ ...input, context: { ...input.context, seenZxids: context.seenZxids } }, ops, before, deepest) };
}

/**
 * Per indeterminate write: the last one invoked before it with the same call (operation and arguments), -1 if none.
 * Two such writes are interchangeable: the same call from the same state has the same outcomes; neither sets a floor,
 * bounds a read or orders its session (no completion); the earlier-invoked one may take effect wherever the later one
 * can (it was invoked first) and fits every zxid the later one fits (zxid-window.ts: its window is wider), and lazy
 * placement gives it at least the same closers. So in any linearization they can be swapped so that they take effect
 * in the order they were invoked, and the search takes one only after its earlier twin: k lost writes alike are tried
 * as one sequence, not in k! orders (the simulation's lost `delete /r/d/c0` are all alike).
 */
function earlierTwins(ops: readonly Operation[]): Int32Array {
  const twin = new Int32Array(ops.length).fill(-1);
  const order = [...ops.keys()].filter((i) => ops[i]!.result === undefined && ops[i]!.call.op !== 'getData' && ops[i]!.call.op !== 'exists');
  order.sort((a, b) => ops[a]!.invokedAt - ops[b]!.invokedAt || a - b);
  const last = new Map<string, number>();
  for (const index of order) {
    const call = ops[index]!.call;
    const key = JSON.stringify([call.op, call.args]);
    twin[index] = last.get(key) ?? -1;
    last.set(key, index);
  }
  return twin;
}

/** Per operation: its rank among the part's determinate writes with a known zxid, by zxid (-1: not one of them). */
function zxidRanks(ops: readonly Operation[]): Int32Array {
  const ranks = new Int32Array(ops.length).fill(-1);
  const known = [...ops.keys()].filter((i) => ops[i]!.result !== undefined && ops[i]!.call.op !== 'getData' && ops[i]!.call.op !== 'exists' && writeZxid(ops[i]!) !== undefined);
  known.sort((a, b) => writeZxid(ops[a]!)! - writeZxid(ops[b]!)! || a - b);
  for (const [rank, index] of known.entries()) ranks[index] = rank;
  return ranks;
}

/**
 * Why the blocked operation could not take effect where the search got furthest. The states there
 * were trimmed of what no pending read could see; the explanation replays the same choices without
 * trimming, so that it can say which older value a stale read returned.
 */
function explain(input: SearchInput, ops: readonly Operation[], before: Int32Array, deepest: Snapshot): Deepest {
  const frames: Frame[] = [];
  for (let frame = deepest.top; frame !== undefined; frame = frame.below) frames.push(frame);
  frames.reverse();
  const takenSet = new Uint8Array(ops.length);
  for (const frame of frames) takenSet[frame.entry.index] = 1;
  const context: ModelContext = { ...input.context, pendingReads: new Map(), readsSeeFrom: new Map(), keepAll: true };
  const boundOf = (op: Operation): ReadBound => input.bounds.get(op.id) ?? { time: Number.NEGATIVE_INFINITY, by: undefined };
  let state = input.initial;
  for (const frame of frames) {
    const op = ops[frame.entry.index]!;
    const outcome = step(state, context, op, boundOf(op));
    assert(outcome.ok && outcome.states[frame.alternative] !== undefined, () => `replaying the search: ${describeOperation(op)} no longer takes effect`);
    state = outcome.states[frame.alternative]!;
  }
  const lastTaken = frames.slice(-5).map((frame) => ops[frame.entry.index]!);
  // A session's operations take effect in order: if the blocked one's predecessor had not, that one is the story.
  let index = deepest.blocked;
  const waits: Operation[] = [];
  while (before[index] !== -1 && takenSet[before[index]!] === 0) {
    waits.push(ops[index]!);
    index = before[index]!;
  }
  const blocked = ops[index]!;
  const outcome = step(state, context, blocked, boundOf(blocked));
  const first: Reason = outcome.ok
    ? { text: `${describeOperation(blocked)} → ${describeResult(blocked)} could take effect here only in a state the search had already ruled out`, operations: [blocked.id] }
    : outcome.reason;
  if (waits.length === 0) return { taken: frames.length, lastTaken, blocked, reason: first };
  const waiting = waits[0]!;
  return {
    taken: frames.length,
    lastTaken,
    blocked: waiting,
    reason: { text: `${describeOperation(waiting)} completed, but its session's earlier ${describeOperation(blocked)} must take effect first (FIFO client order), and: ${first.text}`, operations: [waiting.id, ...first.operations] },
  };
}
