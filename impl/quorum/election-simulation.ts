// A deterministic, seeded simulation of Fast Leader Election over a network
// that delays, reorders and loses notifications (TigerBeetle-style whole-
// cluster simulation). Virtual time only: timers and deliveries are events in
// one queue ordered by time, so a run of minutes of election takes
// milliseconds and the seed replays it exactly.
//
// The network is the election port as QuorumCnxManager offers it, with its
// faults made explicit: each notification is lost with `lossProbability` or
// delivered after 1..delayMsMax ms, independently of the others (so
// notifications between the same two servers can overtake each other, which
// TCP would not do; the core must cope with that too).

import { assert } from '../../lib/assert.ts';
import {
  electionConfig,
  startElection,
  step,
  type ElectionConfig,
  type ElectionEffect,
  type ElectionEvent,
  type ElectionInputs,
  type ElectionState,
  type ElectionTimer,
  type ElectionVote,
  type Vote,
} from './election.ts';

/** splitmix32-style PRNG: small, fast, and the same sequence on every platform. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A float in [0, 1). */
  next(): number {
    this.s = (this.s + 0x9e3779b9) >>> 0;
    let z = this.s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  }
  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
}

type SimEvent =
  | { readonly kind: 'deliver'; readonly to: number; readonly from: number; readonly notification: ElectionVote; readonly incarnation: number }
  | { readonly kind: 'timer'; readonly node: number; readonly timer: ElectionTimer; readonly generation: number }
  | { readonly kind: 'establish-check'; readonly node: number; readonly decisionCount: number; readonly incarnation: number };

interface Scheduled {
  readonly atMs: number;
  readonly seq: number;
  readonly event: SimEvent;
}

export interface Decision {
  readonly vote: Vote;
  readonly round: bigint;
  readonly state: 'LEADING' | 'FOLLOWING' | 'OBSERVING';
  readonly atMs: number;
}

export interface SimulationOptions {
  readonly seed: number;
  /** Server ids of the voters (participants). */
  readonly voters: readonly number[];
  /** Server ids of observers (they look for a leader but never vote). */
  readonly observers?: readonly number[];
  readonly lossProbability: number;
  readonly delayMsMax: number;
  readonly timing?: Partial<Pick<ElectionConfig, 'finalizeWaitMs' | 'notificationIntervalMsMin' | 'notificationIntervalMsMax'>>;
  /**
   * A stand-in for what Zab does after the election (initLimit): a server
   * whose leader has not gathered a quorum of followers this long after the
   * server decided goes back to LOOKING (Follower: the leader never answers;
   * Leader: waitForEpochAck times out). Without it a run stops at the first
   * decisions, which FLE alone does not make agree (see the tests).
   */
  readonly leaderEstablishMs?: number;
}

/** A binary min-heap on (atMs, seq): no Array.shift or sort in the hot loop. */
class EventQueue {
  private readonly heap: Scheduled[] = [];
  get size(): number {
    return this.heap.length;
  }
  push(item: Scheduled): void {
    const heap = this.heap;
    heap.push(item);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(heap[i]!, heap[parent]!)) break;
      [heap[i], heap[parent]] = [heap[parent]!, heap[i]!];
      i = parent;
    }
  }
  pop(): Scheduled | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && before(heap[l]!, heap[m]!)) m = l;
        if (r < heap.length && before(heap[r]!, heap[m]!)) m = r;
        if (m === i) break;
        [heap[i], heap[m]] = [heap[m]!, heap[i]!];
        i = m;
      }
    }
    return top;
  }
}

const before = (a: Scheduled, b: Scheduled) => a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);

export class ElectionSimulation {
  readonly prng: Prng;
  nowMs = 0;
  readonly nodes = new Map<number, ElectionState | undefined>();
  /** Every decision each server made, in order (a restarted server may decide again). */
  readonly decisions = new Map<number, Decision[]>();
  messagesSent = 0;
  messagesLost = 0;
  eventsProcessed = 0;
  private readonly queue = new EventQueue();
  private seq = 0;
  private readonly timerGeneration = new Map<string, number>();
  /** Bumped when a server crashes, so notifications in flight to its old incarnation are dropped. */
  private readonly incarnation = new Map<number, number>();
  private readonly configs = new Map<number, ElectionConfig>();

  constructor(readonly options: SimulationOptions) {
    this.prng = new Prng(options.seed);
    for (const id of [...options.voters, ...(options.observers ?? [])]) {
      this.configs.set(id, electionConfig(id, options.voters, options.timing));
      this.nodes.set(id, undefined);
      this.decisions.set(id, []);
      this.incarnation.set(id, 0);
    }
  }

  /** A server process starts (or restarts): a fresh election core, logical clock 0. */
  start(id: number, inputs: ElectionInputs): void {
    const config = this.configs.get(id);
    assert(config !== undefined, () => `unknown server ${id}`);
    assert(this.nodes.get(id) === undefined, () => `server ${id} is already running`);
    const { state, effects } = startElection(config, inputs);
    this.nodes.set(id, state);
    this.apply(id, effects);
  }

  /** The server's process dies: its memory, timers and inbound messages are gone. */
  crash(id: number): void {
    this.nodes.set(id, undefined);
    this.incarnation.set(id, (this.incarnation.get(id) ?? 0) + 1);
    for (const timer of ['notification', 'finalize'] as const) this.bumpTimer(id, timer);
  }

  /** A running server goes back to LOOKING (its leader is gone, or it lost its quorum). */
  event(id: number, event: ElectionEvent): void {
    const state = this.nodes.get(id);
    assert(state !== undefined, () => `server ${id} is not running`);
    const next = step(state, event);
    this.nodes.set(id, next.state);
    this.apply(id, next.effects);
  }

  /** Runs events until `done()` holds or virtual time passes `untilMs`; returns whether `done()` held. */
  runUntil(done: () => boolean, untilMs: number, eventsMax = 1_000_000): boolean {
    while (!done()) {
      const next = this.queue.pop();
      if (next === undefined || next.atMs > untilMs) {
        if (next !== undefined) this.queue.push(next);
        return false;
      }
      assert(this.eventsProcessed < eventsMax, () => `more than ${eventsMax} events by ${this.nowMs} ms (seed ${this.options.seed})`);
      this.eventsProcessed++;
      this.nowMs = next.atMs;
      this.dispatch(next.event);
    }
    return true;
  }

  /** The state of every running server. */
  running(): [number, ElectionState][] {
    return [...this.nodes].filter((entry): entry is [number, ElectionState] => entry[1] !== undefined);
  }

  /** `leader` is LEADING and a quorum of running voters (itself included) are out of the election with it as leader. */
  isEstablished(leader: bigint): boolean {
    const leaderState = this.nodes.get(Number(leader));
    if (leaderState === undefined || leaderState.state !== 'LEADING') return false;
    let supporters = 0;
    for (const id of this.options.voters) {
      const state = this.nodes.get(id);
      if (state !== undefined && state.state !== 'LOOKING' && state.vote.leader === leader) supporters++;
    }
    return supporters > this.options.voters.length / 2;
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case 'deliver': {
        if (this.incarnation.get(event.to) !== event.incarnation) return;
        const state = this.nodes.get(event.to);
        if (state === undefined) return;
        this.event(event.to, { type: 'NotificationReceived', from: event.from, notification: event.notification });
        return;
      }
      case 'timer': {
        if (this.timerGeneration.get(`${event.node}/${event.timer}`) !== event.generation) return;
        if (this.nodes.get(event.node) === undefined) return;
        this.event(event.node, { type: event.timer === 'notification' ? 'NotificationTimeout' : 'FinalizeWait' });
        return;
      }
      case 'establish-check': {
        const state = this.nodes.get(event.node);
        if (state === undefined || this.incarnation.get(event.node) !== event.incarnation) return;
        if (this.decisions.get(event.node)!.length !== event.decisionCount || state.state === 'LOOKING') return;
        if (this.isEstablished(state.vote.leader)) return;
        this.event(event.node, { type: 'StartLooking', inputs: state.inputs });
        return;
      }
    }
  }

  private apply(id: number, effects: readonly ElectionEffect[]): void {
    for (const effect of effects) {
      switch (effect.type) {
        case 'sendNotification': {
          this.messagesSent++;
          if (this.prng.next() < this.options.lossProbability) {
            this.messagesLost++;
            break;
          }
          const delayMs = this.prng.int(1, this.options.delayMsMax);
          const incarnation = this.incarnation.get(effect.to) ?? 0;
          this.schedule(delayMs, { kind: 'deliver', to: effect.to, from: id, notification: effect.notification, incarnation });
          break;
        }
        case 'setTimer': {
          const generation = this.bumpTimer(id, effect.timer);
          this.schedule(effect.delayMs, { kind: 'timer', node: id, timer: effect.timer, generation });
          break;
        }
        case 'cancelTimer':
          this.bumpTimer(id, effect.timer);
          break;
        case 'elected': {
          const decisions = this.decisions.get(id)!;
          decisions.push({ vote: effect.vote, round: effect.round, state: effect.state, atMs: this.nowMs });
          if (this.options.leaderEstablishMs !== undefined) {
            const incarnation = this.incarnation.get(id) ?? 0;
            this.schedule(this.options.leaderEstablishMs, { kind: 'establish-check', node: id, decisionCount: decisions.length, incarnation });
          }
          break;
        }
      }
    }
  }

  private bumpTimer(id: number, timer: ElectionTimer): number {
    const key = `${id}/${timer}`;
    const generation = (this.timerGeneration.get(key) ?? 0) + 1;
    this.timerGeneration.set(key, generation);
    return generation;
  }

  private schedule(delayMs: number, event: SimEvent): void {
    this.queue.push({ atMs: this.nowMs + delayMs, seq: this.seq++, event });
  }
}
