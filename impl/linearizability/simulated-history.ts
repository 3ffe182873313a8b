// Valid histories made to order, for the checker's tests and its measurement
// (`npm run lincheck -- --simulate N --seed K OUT.json`): sessions run a
// sequential model of the data tree, written separately from the checker's
// (data-model.ts) so that one's mistake is not copied into the other, with
// the freedom ZooKeeper has and no more:
// - every operation takes effect at one moment between its invocation and
//   its completion, and the moments of different sessions interleave at
//   random, so intervals overlap;
// - a read returns the state at a random position of the write order between
//   what its session has seen (its own writes and reads, the state when it
//   connected) and the newest: a follower that lags;
// - an operation may lose its reply ("info"); it then takes effect at once,
//   later (after its session has moved on), or never, and its client opens a
//   new session, as a ZooKeeper client does after its session is lost;
// - sequence numbers are the parent's cversion (ZooKeeper's), which counts
//   deletes too, so they have gaps;
// - every write takes the next zxid (a failed one too: ZooKeeper commits it
//   as an error txn), with gaps for the writes no client of the history made
//   (sessions created elsewhere); each reply carries the zxid in its header
//   and, where ZooKeeper's does, the Stat (czxid, mzxid, pzxid, version,
//   cversion, numChildren) of what it read or wrote; a create replies as
//   create2 does.

import { seededRandom } from '../../lib/random.ts';
import type { OpResult, Znode } from './history.ts';
import { HistoryRecorder, type CallInput } from './recorder.ts';

export type SimulationOptions = {
  readonly operations: number;
  readonly clients: number;
  /** Registers /r/k0 .. /r/k<registers-1>. */
  readonly registers: number;
  readonly seed: number;
  /** Probability that an operation's reply is lost. */
  readonly lostReplies: number;
  /** Record the replies' zxids and Stats (default true; false: the history of a client that does not, the same operations). */
  readonly zxids?: boolean;
};

type Value = Znode | null;
/** A value with what its Stat says of it: the zxids of its create and of its last change, and the position of its create. */
type Past = { readonly pos: number; readonly value: Value; readonly mzxid: number; readonly czxid: number; readonly createdAt: number };
/** A Stat as the history records it (history.ts): the fields of ZooKeeper's that the checker may read. */
type StatFields = { version: number; czxid: number; mzxid: number; pzxid: number; cversion: number; numChildren: number };
/** The data tree with its past: per path, its values with the position each took effect at. */
class Tree {
  n = 0;
  /** The last zxid handed out; `zxids[pos]` is the zxid of the write at `pos`. */
  zxid = 0;
  readonly zxids: number[] = [0];
  readonly past = new Map<string, Past[]>();
  readonly cversion = new Map<string, number>();
  readonly children = new Map<string, Set<string>>();
  /** Per parent: each change of its children, with its position, zxid and the count of children after it. */
  readonly childChanges = new Map<string, { pos: number; zxid: number; numChildren: number }[]>();

  constructor(initial: Record<string, Znode>) {
    for (const [path, value] of Object.entries(initial)) this.set(path, value, 0, value.mzxid ?? 0);
  }

  private entry(path: string, pos: number): Past | undefined {
    const past = this.past.get(path) ?? [];
    let found: Past | undefined;
    for (const entry of past) if (entry.pos <= pos) found = entry;
    return found;
  }

  at(path: string, pos = this.n): Value {
    return this.entry(path, pos)?.value ?? null;
  }

  /** The Stat of `path` at `pos`, or undefined if it is absent there. */
  stat(path: string, pos = this.n): StatFields | undefined {
    const entry = this.entry(path, pos);
    if (entry === undefined || entry.value === null) return undefined;
    const changes = (this.childChanges.get(path) ?? []).filter((change) => change.pos > entry.createdAt && change.pos <= pos);
    const last = changes.at(-1);
    return { version: entry.value.version, czxid: entry.czxid, mzxid: entry.mzxid, pzxid: last?.zxid ?? entry.czxid, cversion: changes.length, numChildren: last?.numChildren ?? 0 };
  }

  /** Hands out the next zxid to a write that changes nothing (an error txn), or to one no client of the history made. */
  skipZxid(): number {
    return ++this.zxid;
  }

  private set(path: string, value: Value, pos: number, zxid: number): void {
    const past = this.past.get(path) ?? [];
    const before = past.at(-1);
    const created = value !== null && (before === undefined || before.value === null);
    past.push({ pos, value, mzxid: zxid, czxid: created || before === undefined ? zxid : before.czxid, createdAt: created || before === undefined ? pos : before.createdAt });
    this.past.set(path, past);
    const parent = path.slice(0, path.lastIndexOf('/')) || '/';
    const siblings = this.children.get(parent) ?? new Set();
    if (value === null) siblings.delete(path);
    else siblings.add(path);
    this.children.set(parent, siblings);
  }

  /** Applies changes (path -> value, in order) as one write with the next zxid; returns its position (a failure: the position before it, and a zxid all the same). */
  commit(changes: readonly [string, Value][]): number {
    const zxid = this.skipZxid();
    if (changes.length === 0) return this.n;
    this.n++;
    this.zxids[this.n] = zxid;
    for (const [path, value] of changes) {
      const parent = path.slice(0, path.lastIndexOf('/')) || '/';
      const changed = (this.at(path) === null) !== (value === null);
      if (changed) this.cversion.set(parent, (this.cversion.get(parent) ?? 0) + 1);
      this.set(path, value, this.n, zxid);
      if (changed) {
        const list = this.childChanges.get(parent) ?? [];
        list.push({ pos: this.n, zxid, numChildren: this.children.get(parent)?.size ?? 0 });
        this.childChanges.set(parent, list);
      }
    }
    return this.n;
  }
}

type Sub = Extract<CallInput, { op: 'multi' }>['args']['ops'] extends (infer T)[] | undefined ? T : never;

/** ZooKeeper's answer to one write against `view` (the tree with the multi's earlier changes), and its changes. */
function applySub(tree: Tree, view: Map<string, Value>, sub: Sub): { result: OpResult; changes: [string, Value][] } {
  const get = (path: string): Value => (view.has(path) ? view.get(path)! : tree.at(path));
  const path = sub.args.path!;
  const parent = path.slice(0, path.lastIndexOf('/')) || '/';
  switch (sub.op) {
    case 'create': {
      // /r and /r/q are the workload's roots: they exist throughout.
      if (parent !== '/r' && parent !== '/r/q' && get(parent) === null) return { result: { code: 'NoNode' }, changes: [] };
      let name = path;
      if (sub.args.sequential === true) {
        const pending = [...view.entries()].filter(([p, v]) => p.startsWith(`${parent}/`) && (v === null) !== (tree.at(p) === null)).length;
        name = `${path}${String((tree.cversion.get(parent) ?? 0) + pending).padStart(10, '0')}`;
      }
      if (get(name) !== null) return { result: { code: 'NodeExists' }, changes: [] };
      return { result: { code: 'OK', path: name }, changes: [[name, { data: sub.args.data!, version: 0 }]] };
    }
    case 'delete': {
      const node = get(path);
      if (node === null) return { result: { code: 'NoNode' }, changes: [] };
      if (sub.args.version !== undefined && sub.args.version !== -1 && sub.args.version !== node.version) return { result: { code: 'BadVersion' }, changes: [] };
      const children = [...(tree.children.get(path) ?? [])].filter((child) => get(child) !== null);
      const added = [...view.entries()].some(([p, v]) => p.startsWith(`${path}/`) && v !== null);
      if (children.length > 0 || added) return { result: { code: 'NotEmpty' }, changes: [] };
      return { result: { code: 'OK' }, changes: [[path, null]] };
    }
    case 'setData':
    case 'check': {
      const node = get(path);
      if (node === null) return { result: { code: 'NoNode' }, changes: [] };
      if (sub.args.version !== undefined && sub.args.version !== -1 && sub.args.version !== node.version) return { result: { code: 'BadVersion' }, changes: [] };
      if (sub.op === 'check') return { result: { code: 'OK' }, changes: [] };
      const version = node.version + 1;
      return { result: { code: 'OK', version }, changes: [[path, { data: sub.args.data!, version }]] };
    }
  }
}

/** Applies a write; its result and position (the position before it, for a failure). */
function applyWrite(tree: Tree, call: CallInput): { result: OpResult; pos: number } {
  if (call.op !== 'multi') {
    const { result, changes } = applySub(tree, new Map(), call as Sub);
    return { result, pos: tree.commit(changes) };
  }
  const view = new Map<string, Value>();
  const results: { path?: string; version?: number }[] = [];
  for (const [index, sub] of (call.args.ops ?? []).entries()) {
    const { result, changes } = applySub(tree, view, sub);
    if (result.code !== 'OK') {
      tree.skipZxid(); // the error txn
      return { result: { code: result.code, index }, pos: tree.n };
    }
    for (const [path, value] of changes) view.set(path, value);
    results.push({ ...(result.path === undefined || sub.op !== 'create' ? {} : { path: result.path }), ...(result.version === undefined ? {} : { version: result.version }) });
  }
  return { result: { code: 'OK', results }, pos: tree.commit([...view.entries()]) };
}

type Client = { session: number; floor: number; busy: { id: number; call: CallInput; done?: { result: OpResult; lost: boolean } } | undefined };

/** A valid history (a zkspec-history/1 document) of `options.operations` operations. */
export function simulateHistory(options: SimulationOptions): unknown {
  const random = seededRandom(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const withZxids = options.zxids !== false;
  // Each initial znode made by its own create, before the history starts.
  const initial: Record<string, Znode> = { '/r/d': { data: '', version: 0, ...(withZxids ? { mzxid: 1 } : {}) } };
  for (let k = 0; k < options.registers; k++) initial[`/r/k${k}`] = { data: '', version: 0, ...(withZxids ? { mzxid: 2 + k } : {}) };
  const tree = new Tree(initial);
  tree.zxid = options.registers + 1;
  /** What a reply carries of zxids: the header's, and the Stat of `path` at `pos` (left out when the simulation is without them). */
  const stamped = (result: OpResult, zxid: number, stat?: { path: string; pos: number }): OpResult => {
    if (!withZxids) return result;
    const fields = stat === undefined ? undefined : tree.stat(stat.path, stat.pos);
    const { version: _, ...rest } = fields ?? { version: 0 };
    return { ...result, zxid, ...(fields === undefined ? {} : rest) };
  };
  let time = 0;
  const recorder = new HistoryRecorder(() => time, initial);
  let sessions = 0;
  let completedMax = 0;
  const clients: Client[] = Array.from({ length: options.clients }, () => ({ session: sessions++, floor: 0, busy: undefined }));
  for (const client of clients) recorder.connected(client.session);
  const seqNames: string[] = [];
  const limbo: CallInput[] = [];
  const registers = Array.from({ length: options.registers }, (_, k) => `/r/k${k}`);
  const children = ['/r/d/c0', '/r/d/c1'];
  const data = (): string => (random() < 0.7 ? pick(['a', 'b', 'c']) : `x${Math.floor(random() * 1e6)}`);
  const version = (path: string): number => (random() < 0.5 ? -1 : (tree.at(path, Math.floor(random() * (tree.n + 1)))?.version ?? 0));
  const nextCall = (): CallInput => {
    const roll = random();
    const register = pick(registers);
    if (roll < 0.25) return { op: 'getData', args: { path: register } };
    if (roll < 0.3) return { op: 'exists', args: { path: pick([...registers, ...children, '/r/d']) } };
    if (roll < 0.5) return { op: 'setData', args: { path: register, data: data(), version: version(register) } };
    if (roll < 0.57) return { op: 'create', args: { path: pick(children), data: data() } };
    if (roll < 0.62) return { op: 'delete', args: { path: pick([...children, ...children, '/r/d']), version: -1 } };
    if (roll < 0.64) return { op: 'create', args: { path: '/r/d', data: '' } };
    if (roll < 0.7) return { op: 'create', args: { path: '/r/q/n-', data: data(), sequential: true } };
    if (roll < 0.76 && seqNames.length > 0) return { op: 'getData', args: { path: random() < 0.9 ? pick(seqNames) : '/r/q/n-0000099999' } };
    if (roll < 0.79 && seqNames.length > 0) {
      const name = pick(seqNames);
      return { op: 'delete', args: { path: name, version: version(name) } };
    }
    if (roll < 0.9) {
      // A multi ties registers 2i and 2i+1, or /r/k0 and /r/d's children, so that a long history still splits into parts.
      const pair = Math.floor(registers.indexOf(register) / 2) * 2;
      const [first, second] = [registers[pair]!, registers[Math.min(pair + 1, registers.length - 1)]!];
      const ops: Sub[] =
        random() < 0.6
          ? [{ op: 'setData', args: { path: first, data: data(), version: version(first) } }, { op: 'check', args: { path: second, version: version(second) } }]
          : [{ op: 'create', args: { path: pick(children), data: data(), sequential: false } }, { op: 'setData', args: { path: registers[0]!, data: data(), version: -1 } }];
      return { op: 'multi', args: { ops } };
    }
    if (roll < 0.95) return { op: 'sync', args: { path: '/r' } };
    return { op: 'getData', args: { path: register } };
  };
  const isRead = (call: CallInput): boolean => call.op === 'getData' || call.op === 'exists';
  const takeEffect = (client: Client, call: CallInput): OpResult => {
    if (call.op === 'sync') {
      client.floor = tree.n;
      return stamped({ code: 'OK' }, tree.zxid);
    }
    if (isRead(call)) {
      const from = Math.max(client.floor, 0);
      const pos = random() < 0.5 ? tree.n : from + Math.floor(random() * (tree.n - from + 1));
      client.floor = Math.max(client.floor, pos);
      const path = call.args.path!;
      const value = tree.at(path, pos);
      // The header's zxid: the last write the serving member had applied.
      if (value === null) return stamped({ code: 'NoNode' }, tree.zxids[pos]!);
      const result: OpResult = call.op === 'getData' ? { code: 'OK', data: value.data, version: value.version } : { code: 'OK', version: value.version };
      return stamped(result, tree.zxids[pos]!, { path, pos });
    }
    const { result, pos } = applyWrite(tree, call);
    client.floor = pos;
    if (result.code === 'OK' && call.op === 'create' && call.args.sequential === true) seqNames.push(result.path!);
    for (const sub of result.results ?? []) if (sub.path?.startsWith('/r/q/') === true) seqNames.push(sub.path);
    // setData's Stat, and create2's (of the znode it made); a multi's header only.
    const statOf = result.code !== 'OK' ? undefined : call.op === 'setData' ? call.args.path! : call.op === 'create' ? result.path! : undefined;
    return stamped(result, tree.zxid, statOf === undefined ? undefined : { path: statOf, pos });
  };
  let invoked = 0;
  while (invoked < options.operations || clients.some((client) => client.busy !== undefined)) {
    time += 1 + Math.floor(random() * 3);
    if (limbo.length > 0 && random() < 0.05) {
      // A lost write taking effect long after its client moved on.
      const call = limbo.splice(Math.floor(random() * limbo.length), 1)[0]!;
      takeEffect({ session: -1, floor: 0, busy: undefined }, call);
    }
    const client = pick(clients);
    const busy = client.busy;
    if (busy === undefined) {
      if (invoked >= options.operations) continue;
      const call = nextCall();
      client.busy = { id: recorder.invoke(client.session, call), call };
      invoked++;
    } else if (busy.done === undefined) {
      const lost = random() < options.lostReplies;
      const later = lost && !isRead(busy.call) && busy.call.op !== 'sync' && random() < 0.5;
      if (later) {
        if (random() < 0.6) limbo.push(busy.call);
        busy.done = { result: { code: 'OK' }, lost };
      } else busy.done = { result: takeEffect(client, busy.call), lost };
    } else {
      recorder.complete(busy.id, busy.done.lost ? 'info' : busy.done.result);
      if (!busy.done.lost && !isRead(busy.call)) completedMax = Math.max(completedMax, client.floor);
      client.busy = undefined;
      if (busy.done.lost) {
        // The client's session is gone; its next one sees at least what was completed when it connected.
        client.session = sessions++;
        client.floor = completedMax;
        recorder.connected(client.session);
        tree.skipZxid(); // its createSession, a txn no operation of the history names

      }
    }
  }
  return recorder.toJSON();
}
