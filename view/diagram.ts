// A timeline (timeline.ts) read through its spec's picture description
// (spec-pictures.ts) as what a space-time diagram draws: lanes, one per node;
// per step the lanes it changed (with the fields), the marks (crash, restart,
// partition, disk sync, commit, drop...), the role a lane takes; and arrows,
// one per message copy, from the step that sent it to the step that delivered
// (or dropped) it, or to the end of the trace while it is still in flight.
//
// Sends and deliveries are found by diffing successive states' lists of
// messages in flight, as a multiset: a copy that appears was sent by that step,
// one that disappears was delivered (dropped, when the action is a drop). The
// copies of one message are matched first in, first out, as a FIFO link
// delivers them. Where the network keeps messages (a set: Paxos.tla's msgs) or
// the trace has none (a conformance projection), the description's `receives`
// names the deliveries an action makes, matched to the latest send of that type
// from that sender; a delivery whose send the trace does not show is drawn from
// the sender's previous step, dashed.

import { diffViews, formatValue, formatWholeState, hiddenPatterns } from '../model-check/counterexample.ts';
import type { Lane, MarkKind, Message, Receipt, SpecPicture } from './spec-pictures.ts';
import { stateAt, type Highlight, type Timeline } from './timeline.ts';

export interface DiagramMark {
  readonly lane: string;
  readonly kind: MarkKind;
}

export interface DiagramStep {
  /** The state index this step leads to (1 = the first step). */
  readonly index: number;
  readonly action: string;
  /** Lanes whose node changed, with the changed fields (`path: before -> after`). */
  readonly changes: ReadonlyMap<string, readonly string[]>;
  readonly marks: readonly DiagramMark[];
  /** Lanes whose role changed, and the new role. */
  readonly roles: ReadonlyMap<string, string>;
  /** The lane that took the step (the first the action names), when the action names one. */
  readonly actor?: string;
}

export type ArrowKind = 'delivered' | 'dropped' | 'in-flight' | 'send-not-recorded';

export interface Arrow {
  readonly from: string;
  readonly to: string;
  /** The state index of the send (0: in flight initially). */
  readonly sent: number;
  /** The state index of the delivery or drop; the last index + 1 for a copy still in flight. */
  readonly received: number;
  readonly kind: ArrowKind;
  /** The message's type (its colour). */
  readonly type: string;
  readonly label: string;
  readonly detail: string;
}

export interface DiagramLane {
  readonly id: string;
  readonly role: string;
  /** The node's initial value, whole. */
  readonly initial: unknown;
}

export interface Diagram {
  readonly spec: string;
  readonly title: string;
  readonly lanes: readonly DiagramLane[];
  readonly steps: readonly DiagramStep[];
  readonly arrows: readonly Arrow[];
  readonly loopStart?: number;
  readonly highlight?: Highlight;
  readonly violated?: string;
  /** The initial state whole (hidden fields left out), one field per line. */
  readonly initialLines: readonly string[];
}

const messageKey = (m: Message) => `${m.from}|${m.to}|${m.detail}`;
const actionName = (action: string) => /^[A-Za-z0-9_]+/.exec(action)?.[0] ?? action;
const asRecord = (v: unknown): Record<string, unknown> => (typeof v === 'object' && v !== null ? (v as Record<string, unknown>) : {});

/** The lanes an action names, in the order it names them (`FollowLeader(s1, s0)`: s1, s0). */
function namedLanes(action: string, lanes: readonly Lane[]): string[] {
  const ids = new Set(lanes.map((l) => l.id));
  return [...action.matchAll(/\b([a-z]\d+)\b/g)].map((m) => m[1]!).filter((id, k, all) => ids.has(id) && all.indexOf(id) === k);
}

/** Lane-level hidden fields: the last segment of a hidden path inside a node (`servers[*].node.config` hides `config`). */
function laneHidden(hiddenFields: readonly string[]): RegExp[] {
  return hiddenPatterns(hiddenFields.filter((f) => f.includes('.')).map((f) => f.slice(f.lastIndexOf('.') + 1)));
}

const CHANGE_VALUE_CHARS = 48;
const short = (v: unknown) => {
  const text = formatValue(v);
  return text.length > CHANGE_VALUE_CHARS ? `${text.slice(0, CHANGE_VALUE_CHARS - 3)}...` : text;
};

function laneChanges(before: Lane | undefined, after: Lane, hidden: readonly RegExp[]): string[] {
  const was = before?.value ?? null;
  if (was === null && after.value === null) return [];
  if (was === null) return ['(up)'];
  if (after.value === null) return ['(down)'];
  return diffViews(was, after.value)
    .filter((c) => !hidden.some((p) => p.test(c.path)))
    .map((c) => `${c.path}: ${short(c.before)} -> ${short(c.after)}`);
}

interface Pending {
  readonly message: Message;
  readonly sent: number;
  delivered: boolean;
}

/** The diagram of a timeline, read through `picture`. */
export function buildDiagram(timeline: Timeline, picture: SpecPicture): Diagram {
  const hidden = laneHidden(timeline.hiddenFields);
  const roleOf = (lane: Lane) => (lane.value === null ? 'down' : (picture.role?.(asRecord(lane.value)) ?? ''));
  let lanes = picture.lanes(timeline.initial);
  let inFlight = picture.inFlight?.(timeline.initial) ?? [];
  const arrows: Arrow[] = [];
  const queues = new Map<string, Pending[]>();
  const sent: Pending[] = [];
  const lastActive = new Map<string, number>();
  for (const m of inFlight) enqueue(queues, sent, m, 0);
  const steps: DiagramStep[] = [];
  timeline.steps.forEach((step, k) => {
    const index = k + 1;
    const nextLanes = picture.lanes(step.state);
    const nextInFlight = picture.inFlight?.(step.state) ?? [];
    const named = namedLanes(step.action, nextLanes);
    const kind = picture.marks[actionName(step.action)];
    const changes = new Map<string, string[]>();
    const roles = new Map<string, string>();
    const marks: DiagramMark[] = [];
    nextLanes.forEach((lane, n) => {
      const fields = laneChanges(lanes[n], lane, hidden);
      if (fields.length > 0) changes.set(lane.id, fields);
      const role = roleOf(lane);
      if (lanes[n] === undefined || roleOf(lanes[n]!) !== role) roles.set(lane.id, role);
      const commit = (v: unknown) => (v === null || v === undefined ? undefined : picture.commit?.(asRecord(v)));
      const before = commit(lanes[n]?.value);
      const after = commit(lane.value);
      if (before !== undefined && after !== undefined && after > before) marks.push({ lane: lane.id, kind: 'commit' });
    });
    if (kind !== undefined && kind !== 'drop' && kind !== 'duplicate') {
      const on = kind === 'partition' || kind === 'heal' ? named : named.slice(0, 1);
      for (const lane of on) marks.push({ lane, kind });
    }
    const taker = picture.actor === undefined ? named[0] : picture.actor(step.action, named);
    const actor = taker ?? [...changes.keys()][0];
    const delivered = diffNetwork({ queues, sent, arrows, before: inFlight, after: nextInFlight, index, kind, actor });
    for (const receipt of picture.receives?.(step.action, step.picks) ?? []) {
      receive({ receipt, delivered, sent, arrows, index, lastActive });
    }
    // A lane is active where it changed or took the step; the sender a delivery names did nothing at this step.
    for (const lane of new Set([...changes.keys(), ...(taker === undefined ? [] : [taker])])) lastActive.set(lane, index);
    steps.push({ index, action: step.action, changes, marks, roles, ...(taker === undefined ? {} : { actor: taker }) });
    lanes = nextLanes;
    inFlight = nextInFlight;
  });
  const end = timeline.steps.length + 1;
  for (const queue of queues.values()) {
    for (const p of queue) if (!p.delivered) arrows.push({ ...arrowOf(p.message, p.sent, end, 'in-flight'), to: p.message.to === '*' ? p.message.from : p.message.to });
  }
  const initialLanes = picture.lanes(timeline.initial);
  return {
    spec: timeline.spec,
    title: timeline.title,
    lanes: initialLanes.map((lane) => ({ id: lane.id, role: roleOf(lane), initial: lane.value })),
    steps,
    arrows,
    ...(timeline.loopStart === undefined ? {} : { loopStart: timeline.loopStart }),
    ...(timeline.highlight === undefined ? {} : { highlight: timeline.highlight }),
    ...(timeline.violated === undefined ? {} : { violated: timeline.violated }),
    initialLines: formatWholeState(stateAt(timeline, 0), hiddenPatterns(timeline.hiddenFields)),
  };
}

function enqueue(queues: Map<string, Pending[]>, sent: Pending[], message: Message, index: number): void {
  const pending: Pending = { message, sent: index, delivered: false };
  const key = messageKey(message);
  queues.set(key, [...(queues.get(key) ?? []), pending]);
  sent.push(pending);
}

const arrowOf = (m: Message, sentAt: number, received: number, kind: ArrowKind): Arrow => ({ from: m.from, to: m.to, sent: sentAt, received, kind, type: m.type, label: m.label, detail: m.detail });

interface NetworkDiff {
  readonly queues: Map<string, Pending[]>;
  readonly sent: Pending[];
  readonly arrows: Arrow[];
  readonly before: readonly Message[];
  readonly after: readonly Message[];
  readonly index: number;
  readonly kind: MarkKind | undefined;
  readonly actor: string | undefined;
}

/** Sends and deliveries of one step from the multiset difference of the messages in flight; returns the deliveries' arrows. */
function diffNetwork(d: NetworkDiff): Arrow[] {
  const count = (list: readonly Message[]) => {
    const counts = new Map<string, { message: Message; n: number }>();
    for (const m of list) {
      const key = messageKey(m);
      const c = counts.get(key);
      if (c === undefined) counts.set(key, { message: m, n: 1 });
      else c.n++;
    }
    return counts;
  };
  const was = count(d.before);
  const now = count(d.after);
  const delivered: Arrow[] = [];
  for (const key of new Set([...was.keys(), ...now.keys()])) {
    const message = (now.get(key) ?? was.get(key))!.message;
    const change = (now.get(key)?.n ?? 0) - (was.get(key)?.n ?? 0);
    for (let c = 0; c < change; c++) {
      enqueue(d.queues, d.sent, d.kind === 'duplicate' ? { ...message, label: `${message.label} (dup)` } : message, d.index);
    }
    for (let c = 0; c < -change; c++) {
      const pending = d.queues.get(key)?.find((p) => !p.delivered);
      if (pending !== undefined) pending.delivered = true;
      const to = message.to === '*' ? (d.actor ?? message.from) : message.to;
      // A crash, restart or partition empties the links it breaks: what they held is lost, not delivered.
      const lost = d.kind === 'drop' || d.kind === 'crash' || d.kind === 'restart' || d.kind === 'partition';
      const arrow = { ...arrowOf(message, pending?.sent ?? 0, d.index, lost ? 'dropped' : 'delivered'), to };
      d.arrows.push(arrow);
      if (arrow.kind === 'delivered') delivered.push(arrow);
    }
  }
  return delivered;
}

interface Receive {
  readonly receipt: Receipt;
  readonly delivered: readonly Arrow[];
  readonly sent: Pending[];
  readonly arrows: Arrow[];
  readonly index: number;
  readonly lastActive: ReadonlyMap<string, number>;
}

/** A delivery the action names: matched to the latest send of its type from its sender, else drawn from the sender's previous step. */
function receive(r: Receive): void {
  const { receipt } = r;
  if (r.delivered.some((a) => a.from === receipt.from && a.to === receipt.to)) return;
  let match: Pending | undefined;
  for (const p of r.sent) {
    const m = p.message;
    if (p.sent < r.index && m.from === receipt.from && m.type === receipt.type && (m.to === receipt.to || m.to === '*')) match = p;
  }
  if (match !== undefined) {
    // A set keeps the message: the same send may be read by every receiver.
    match.delivered = true;
    r.arrows.push({ ...arrowOf(match.message, match.sent, r.index, 'delivered'), to: receipt.to });
    return;
  }
  const from = r.lastActive.get(receipt.from) ?? Math.max(0, r.index - 1);
  r.arrows.push({ from: receipt.from, to: receipt.to, sent: from, received: r.index, kind: 'send-not-recorded', type: receipt.type, label: receipt.type, detail: `${receipt.type} from ${receipt.from} to ${receipt.to} (the trace does not record when it was sent)` });
}
