// How each spec's states read as a space-time diagram: a small description per
// spec, not code per picture. It says which part of a state is a node (a lane),
// how to list the messages in flight (the diagram finds sends and deliveries by
// diffing successive states' lists, events.ts), which deliveries an action
// makes when the network does not show them (a set network such as Paxos.tla's
// msgs keeps every message; a conformance trace has no network at all, only the
// trace's nondetPicks), which actions are crashes, restarts, partitions, disk
// syncs, drops, and which field of a node grows when it commits.
//
// A spec's view (its format.ts `view`) is the input here, so a change to a
// view shows as a wrong picture in view.test.ts rather than a type error.

import type { SpecDefinition } from '../model-check/model.ts';
import { paxosSpec } from '../spec/paxos/spec.ts';
import { multiPaxosSpec } from '../spec/paxos/multi/spec.ts';
import { raftSpec } from '../spec/raft/spec.ts';
import { zabSpec } from '../spec/zab/spec.ts';

export type MarkKind = 'crash' | 'restart' | 'partition' | 'heal' | 'disk-sync' | 'drop' | 'duplicate' | 'timeout' | 'commit';

export interface Lane {
  readonly id: string;
  /** The node's part of the state; null while the node is down. */
  readonly value: unknown;
}

export interface Message {
  readonly from: string;
  /** The receiving lane, or '*' when the network does not address it (a broadcast into a set). */
  readonly to: string;
  /** What a delivery names (ZAB's PROPOSAL, Paxos's 1a): deliveries are matched to sends by it. */
  readonly type: string;
  /** The few words drawn beside the arrow. */
  readonly label: string;
  /** The whole message, on hover. */
  readonly detail: string;
}

export interface Receipt {
  readonly from: string;
  readonly to: string;
  readonly type: string;
}

export interface SpecPicture {
  readonly lanes: (state: unknown) => readonly Lane[];
  /** Every copy in flight, once per copy. Absent: the state holds no network (a projection). */
  readonly inFlight?: (state: unknown) => readonly Message[];
  /** The deliveries an action makes that the network's diff does not show (a set network, a projection). */
  readonly receives?: (action: string, picks: Readonly<Record<string, unknown>> | undefined) => readonly Receipt[];
  /**
   * The lane that took the step, from the lanes the action names in order; default the first. Undefined
   * for a step of the network (a drop, a duplicate).
   */
  readonly actor?: (action: string, named: readonly string[]) => string | undefined;
  /** Action names (the text before "(") and the mark each makes on the lanes the action names. */
  readonly marks: Readonly<Record<string, MarkKind>>;
  /** A node's commit point: a commit mark where it grows. */
  readonly commit?: (node: Record<string, unknown>) => number | undefined;
  /** A few words for the node's role, written on its lane when they change (LEADING, Follower t3). */
  readonly role?: (node: Record<string, unknown>) => string;
}

type Rec = Record<string, unknown>;
const rec = (v: unknown): Rec => (typeof v === 'object' && v !== null ? (v as Rec) : {});
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const json = (v: unknown) => JSON.stringify(v);

// --- ZAB ----------------------------------------------------------------------------------------

const zabMarks: Record<string, MarkKind> = {
  NodeCrash: 'crash',
  NodeStart: 'restart',
  PartitionStart: 'partition',
  PartitionRecover: 'heal',
  DiskSync: 'disk-sync',
  DropNotification: 'drop',
  Timeout: 'timeout',
  FLENotmsgTimeout: 'timeout',
};

const zxidText = (z: unknown): string => {
  const r = rec(z);
  return typeof r.epoch === 'number' ? `${r.epoch}.${r.counter}` : '';
};

function zabMessage(from: number, to: number, m: unknown): Message {
  const r = rec(m);
  const type = typeof r.type === 'string' ? r.type : 'NOTIFICATION';
  const zxid = zxidText(r.zxid ?? rec(r.txn).zxid);
  return { from: `s${from}`, to: `s${to}`, type, label: zxid === '' ? type : `${type} ${zxid}`, detail: json(m) };
}

/** Zab's phases (the paper's names), shortened to fit beside a lane. */
const ZAB_PHASES: Readonly<Record<string, string>> = { ELECTION: '', DISCOVERY: 'discovery', SYNCHRONIZATION: 'sync', BROADCAST: 'broadcast' };

/** spec/zab's view: servers[i].node (null while crashed) with its disk and pending writes, FIFO channels[from * n + to] and FLE's notifications alike. */
const zabState: SpecPicture = {
  // A server's lane holds its node and, beside it, its disk and fsync queue: the known bugs are about what reached the disk.
  lanes: (state) =>
    arr(rec(state).servers).map((s, i) => {
      const server = rec(s);
      return { id: `s${i}`, value: server.node === null || server.node === undefined ? null : { ...rec(server.node), disk: server.disk, pending: server.pending } };
    }),
  inFlight: (state) => {
    const out: Message[] = [];
    for (const field of ['channels', 'notifications']) {
      const channels = arr(rec(state)[field]);
      const n = Math.round(Math.sqrt(channels.length));
      channels.forEach((channel, k) => {
        for (const m of arr(channel)) out.push(zabMessage(Math.floor(k / n), k % n, field === 'notifications' ? { type: 'VOTE', ...rec(m) } : m));
      });
    }
    return out;
  },
  marks: zabMarks,
  commit: (node) => num(node.lastCommitted),
  role: (node) => (node.state === 'LOOKING' ? 'LOOKING' : `${node.state} ${ZAB_PHASES[String(node.zabState)] ?? String(node.zabState ?? '')}`),
};

/** A conformance trace's projection (conformance/adapters/zab.ts): nodes[i], DOWN while crashed; deliveries from the action's name or nondetPicks. */
const zabProjection: SpecPicture = {
  lanes: (state) => arr(rec(state).nodes).map((node, i) => ({ id: `s${i}`, value: rec(node).state === 'DOWN' ? null : node })),
  receives: (action, picks) => {
    // A delivery is named `Handler(sTo, sFrom) [TYPE]` (spec/zab/format.ts); a generated trace also has it in its picks, a recording only in the name.
    const named = /^\w+\((s\d+), (s\d+)\) \[(\w+)\]$/.exec(action);
    if (named !== null) return [{ from: named[2]!, to: named[1]!, type: named[3]! }];
    const p = rec(picks);
    return typeof p.from === 'number' && typeof p.to === 'number' && typeof p.message === 'string' ? [{ from: `s${p.from}`, to: `s${p.to}`, type: p.message }] : [];
  },
  marks: zabMarks,
  commit: (node) => num(node.lastCommittedZxid),
  role: zabState.role,
};

// --- Raft ---------------------------------------------------------------------------------------

const RAFT_MESSAGE_NAMES: Readonly<Record<string, string>> = {
  RequestVoteRequest: 'RequestVote',
  RequestVoteResponse: 'Vote',
  AppendEntriesRequest: 'AppendEntries',
  AppendEntriesResponse: 'AE reply',
};

/** spec/raft's view: nodes[i]; messages as [{message: "AppendEntriesRequest s0->s1 term 4 ...", count}]. */
const raftState: SpecPicture = {
  lanes: (state) => arr(rec(state).nodes).map((node, i) => ({ id: `s${i}`, value: node })),
  inFlight: (state) => {
    const out: Message[] = [];
    for (const entry of arr(rec(state).messages)) {
      const text = String(rec(entry).message);
      const match = /^(\w+) (s\d+)->(s\d+)(.*)$/.exec(text);
      if (match === null) continue;
      const [, type, from, to, rest] = match as unknown as [string, string, string, string, string];
      const name = RAFT_MESSAGE_NAMES[type] ?? type;
      const term = /term (\d+)/.exec(rest)?.[1];
      const outcome = /granted|rejected|match \d+/.exec(rest)?.[0];
      const message = { from, to, type, label: [name, term === undefined ? '' : `t${term}`, outcome ?? ''].filter((w) => w !== '').join(' '), detail: text };
      for (let c = 0; c < (num(rec(entry).count) ?? 1); c++) out.push(message);
    }
    return out;
  },
  // Receive(RequestVoteRequest s0->s1 ...) is a step of the receiver, s1, the second lane it names.
  actor: (action, named) => (/^(Drop|Duplicate)Message\(/.test(action) ? undefined : action.startsWith('Receive(') ? named[1] : named[0]),
  marks: { Restart: 'restart', DropMessage: 'drop', DuplicateMessage: 'duplicate', Timeout: 'timeout' },
  commit: (node) => num(node.commitIndex),
  role: (node) => `${node.state} t${node.currentTerm}`,
};

// --- Paxos and Multi-Paxos -------------------------------------------------------------------------

/** The receipts Paxos's actions name: Phase1b(a1, b0) reads b0's 1a; Phase2a(b0) promises from {a1, a2}; Phase2b(a1, b0, ...) reads a 2a; Learn(l1, 2b a1 ...). */
function paxosReceipts(action: string): Receipt[] {
  let m = /^Phase1b\((a\d+), (b\d+)\)/.exec(action);
  if (m) return [{ from: m[2]!, to: m[1]!, type: '1a' }];
  m = /^Phase2b\((a\d+), (b\d+)/.exec(action);
  if (m) return [{ from: m[2]!, to: m[1]!, type: '2a' }];
  m = /^(?:Phase2a|Phase1Done)\((b\d+)[^)]*\) promises from \{([^}]*)\}/.exec(action);
  if (m) return m[2]!.split(', ').map((a) => ({ from: a, to: m![1]!, type: '1b' }));
  m = /^Learn\((l\d+), 2b (a\d+)/.exec(action);
  if (m) return [{ from: m[2]!, to: m[1]!, type: '2b' }];
  return [];
}

/** spec/paxos's view: proposers (by ballot), acceptors, learners; network {"1a b0 -> a1": count} (a bag) or without "-> x" (Paxos.tla's set). */
const paxosState: SpecPicture = {
  lanes: (state) => [
    ...arr(rec(state).proposers).map((p) => ({ id: `b${rec(p).ballot}`, value: p })),
    ...arr(rec(state).acceptors).map((a) => ({ id: String(rec(a).acceptor), value: a })),
    ...arr(rec(state).learners).map((l) => ({ id: String(rec(l).learner), value: l })),
  ],
  inFlight: (state) => {
    const out: Message[] = [];
    for (const [text, count] of Object.entries(rec(rec(state).network))) {
      const [body = '', dest] = text.split(' -> ');
      const [type = '', first = '', second = ''] = body.split(' ');
      if (!['1a', '1b', '2a', '2b'].includes(type)) continue;
      // 1a and 2a go from a ballot's proposer to acceptors, 1b from an acceptor to the ballot's proposer, 2b to the learners.
      const from = first;
      const to = type === '1b' ? second : (dest ?? '*');
      const message = { from, to, type, label: text.replace(/ -> \S+$/, '').replace(/ mbal=.*$/, ''), detail: text };
      for (let c = 0; c < (typeof count === 'number' ? count : 1); c++) out.push(message);
    }
    return out;
  },
  receives: (action) => paxosReceipts(action),
  actor: (action, named) => (/^(Drop|Duplicate)Message\(/.test(action) ? undefined : named[0]),
  marks: { DropMessage: 'drop', DuplicateMessage: 'duplicate' },
  role: (node) => (typeof node.phase === 'string' ? node.phase : typeof node.learned === 'string' ? `learned ${node.learned}` : `maxBal ${node.maxBal}`),
};

/** spec/paxos/multi's view: leaders (by ballot), acceptors; network {"<message JSON>": true}, a set. */
const multiPaxosState: SpecPicture = {
  lanes: (state) => [
    ...arr(rec(state).leaders).map((l) => ({ id: `b${rec(l).ballot}`, value: l })),
    ...arr(rec(state).acceptors).map((a, i) => ({ id: `a${i + 1}`, value: a })),
  ],
  inFlight: (state) =>
    Object.keys(rec(rec(state).network)).map((key) => {
      const m = rec(JSON.parse(key));
      const type = String(m.type);
      const from = type === '1a' || type === '2a' ? `b${m.bal}` : `a${Number(m.acc) + 1}`;
      const to = type === '1b' ? `b${m.bal}` : '*';
      const slot = typeof m.slot === 'number' ? ` slot ${m.slot}` : '';
      const value = typeof m.val === 'number' ? ` v${m.val + 1}` : '';
      return { from, to, type, label: `${type} b${m.bal}${slot}${value}`, detail: key };
    }),
  receives: (action) => paxosReceipts(action),
  marks: {},
  role: (node) => (typeof node.phase === 'string' ? node.phase : `maxBal ${node.maxBal}`),
};

// --- The registry --------------------------------------------------------------------------------

const definitions: Readonly<Record<string, SpecDefinition>> = { zab: zabSpec, raft: raftSpec, paxos: paxosSpec, 'multi-paxos': multiPaxosSpec };
const statePictures: Readonly<Record<string, SpecPicture>> = { zab: zabState, raft: raftState, paxos: paxosState, 'multi-paxos': multiPaxosState };
const projectionPictures: Readonly<Record<string, SpecPicture>> = { zab: zabProjection };

export const PICTURED_SPECS = Object.keys(statePictures);

/** The description for a spec's whole states or its conformance projections; undefined for a spec without one. */
export function pictureOf(spec: string, kind: 'spec-state' | 'projection'): SpecPicture | undefined {
  return (kind === 'spec-state' ? statePictures : projectionPictures)[spec];
}

/** The spec's Model.hiddenFields at the file's bounds (none when the spec or the bounds are unknown). */
export function hiddenFieldsOf(spec: string, bounds: unknown): readonly string[] {
  const definition = definitions[spec];
  if (definition === undefined) return [];
  try {
    const defaults = Object.fromEntries(definition.bounds.map((b) => [b.name, b.default]));
    return definition.build({ ...defaults, ...rec(bounds) } as never, undefined).hiddenFields ?? [];
  } catch {
    return [];
  }
}

export function specDefinition(spec: string): SpecDefinition | undefined {
  return definitions[spec];
}
