// An in-memory world for the core: per node a durable store (what the
// Readys' persists wrote), the state machine's applied entries, and a network
// of messages in flight that may be delivered in any order, lost or
// duplicated. It carries out each Ready in the order the contract says
// (persist, then open the outbox with the receipt), and can crash a node
// between the two or before either: the node restarts from its store alone.
// The seeded simulation (simulation.ts) and the unit tests drive it.

import { assert } from '../../lib/assert.ts';
import { type Durable, persisted, type Persist, type Ready } from './ready.ts';
import { newNode, type RaftNode, type Stored, EMPTY_STORED } from './node.ts';
import { step } from './step.ts';
import type { Entry, Message, RaftConfig, RaftInput, Snapshot } from './types.ts';

export interface WorldNode {
  node: RaftNode;
  stored: Stored;
  up: boolean;
  /** The state machine: the snapshot it was loaded from and the entries applied after it, in order. */
  machine: { snapshot: Snapshot | undefined; entries: Entry[] };
  /** Reads answered: context -> the index the state machine had to reach. */
  reads: Map<number, number>;
}

/** Where a crash strikes a Ready (none: carried out whole). */
export type CrashPoint = 'none' | 'before-persist' | 'after-persist';

export interface WorldHooks {
  /** Called after a node's step and its Ready were carried out (or cut short by a crash). */
  afterStep?(id: number, before: RaftNode, ready: Ready): void;
  /** Called for every committed entry a state machine applies. */
  onApply?(id: number, entry: Entry): void;
}

export class RaftWorld {
  readonly nodes: WorldNode[];
  inFlight: Message[] = [];

  /** `stored`: what each node's storage holds at the start (default empty). */
  constructor(
    readonly configs: readonly RaftConfig[],
    private readonly hooks: WorldHooks = {},
    stored?: readonly Stored[],
  ) {
    this.nodes = configs.map((config, k) => {
      const start = stored?.[k] ?? EMPTY_STORED;
      return { node: newNode(config, start), stored: start, up: true, machine: { snapshot: start.snapshot, entries: [] }, reads: new Map() };
    });
  }

  /** Feed one input to node `id`, carry out its Ready (a crash may cut it at `crash`); returns the Ready. */
  input(id: number, input: RaftInput, crash: CrashPoint = 'none'): Ready | undefined {
    const w = this.nodes[id]!;
    if (!w.up) return undefined;
    const before = w.node;
    const { node, ready } = step(w.node, input);
    w.node = node;
    this.carryOut(id, ready, crash);
    this.hooks.afterStep?.(id, before, ready);
    return ready;
  }

  private carryOut(id: number, ready: Ready, crash: CrashPoint): void {
    const w = this.nodes[id]!;
    if (crash === 'before-persist') return this.crash(id);
    if (ready.persist !== undefined) w.stored = applyPersist(w.stored, ready.persist);
    const receipt: Durable = persisted(ready);
    if (crash === 'after-persist') return this.crash(id);
    const out = ready.outbox.open(receipt);
    this.inFlight.push(...out.messages);
    if (out.applySnapshot !== undefined) w.machine = { snapshot: out.applySnapshot, entries: [] };
    for (const e of out.committed) {
      const last = w.machine.entries.at(-1)?.index ?? w.machine.snapshot?.index ?? 0;
      assert(e.index === last + 1, () => `node ${id} applies ${e.index} after ${last}`);
      w.machine.entries.push(e);
      this.hooks.onApply?.(id, e);
    }
    for (const r of out.reads) w.reads.set(r.context, r.index);
  }

  /** The node loses everything but its store. */
  crash(id: number): void {
    const w = this.nodes[id]!;
    w.up = false;
    w.node = newNode(w.node.config, w.stored);
  }

  restart(id: number): void {
    const w = this.nodes[id]!;
    if (w.up) return;
    w.up = true;
    w.node = newNode(w.node.config, w.stored);
    // The state machine is rebuilt from the stored snapshot; the core re-delivers what it commits after.
    w.machine = { snapshot: w.stored.snapshot, entries: [] };
  }

  /** Deliver the message at `k` in flight (removing it). */
  deliver(k: number, crash: CrashPoint = 'none'): void {
    const [m] = this.inFlight.splice(k, 1);
    assert(m !== undefined, () => `no message ${k} in flight`);
    this.input(m.to, { type: 'Receive', message: m }, crash);
  }

  leaders(): number[] {
    return this.nodes.flatMap((w, id) => (w.up && w.node.role === 'leader' ? [id] : []));
  }
}

/** The store after a Ready's persist: hard state replaced; a snapshot stored (the log replaced, or cut before it); entries written from their first index. */
export function applyPersist(stored: Stored, p: Persist): Stored {
  let { hardState, snapshot, entries } = stored;
  if (p.hardState !== undefined) hardState = p.hardState;
  if (p.snapshot !== undefined) {
    snapshot = p.snapshot.snapshot;
    const cut = snapshot.index;
    entries = p.snapshot.replacesLog ? [] : entries.filter((e) => e.index > cut);
  }
  if (p.entries !== undefined && p.entries.length > 0) {
    const from = p.entries[0]!.index;
    entries = [...entries.filter((e) => e.index < from), ...p.entries];
  }
  return { hardState, snapshot, entries };
}
