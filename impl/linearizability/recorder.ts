// What a workload uses to write a history (history.ts's format) as it runs:
// each call's invocation before the request leaves, its completion when the
// reply (or the loss of the connection) comes back, with one clock for all
// the workload's clients so that real-time order between them is kept. The
// one recorder of zkspec-history/1: the simulated histories, the tests'
// workloads and `npm run jepsen` (impl/nemesis, through safety-workload's
// HistorySink, which this class satisfies) all write through it.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { HistoryFile, Invocation, OpResult, Znode } from './history.ts';

type Call = { [K in Invocation['op']]: { op: K; args: Extract<Invocation, { op: K }>['args'] } }[Invocation['op']];
/** An operation as a workload writes it: defaults (version -1, sequential false) may be left out. */
export type CallInput = { [K in Call['op']]: { op: K; args: Partial<Extract<Call, { op: K }>['args']> & { path?: string } } }[Call['op']];

export type OperationCounts = {
  /** Completed with OK. */
  readonly ok: number;
  /** Completed with a definite failure (NoNode, NodeExists, BadVersion, NotEmpty). */
  readonly failed: number;
  /** Not known to have taken effect or not: connection lost, session expired, never answered. */
  readonly indeterminate: number;
};

/** Milliseconds since the recorder was made, to the microsecond (a long run's times stay short in the file). */
function sinceCreated(): () => number {
  const startedAt = performance.now();
  return () => Math.round((performance.now() - startedAt) * 1000) / 1000;
}

export class HistoryRecorder {
  private readonly events: HistoryFile['events'] = [];
  private readonly sessions: Record<string, { connectedAt: number }> = {};
  private nextId = 0;
  private ok = 0;
  private failed = 0;

  /**
   * @param clock one clock for every client of the workload (milliseconds by convention)
   * @param initial the znodes that exist when the history starts, among those it touches
   */
  constructor(
    private readonly clock: () => number = sinceCreated(),
    private readonly initial: Readonly<Record<string, Znode>> = {},
  ) {}

  /** The recorder's clock now: a workload reads it when it sends a ConnectRequest, for `connected`. */
  now(): number {
    return this.clock();
  }

  /**
   * Records that `session` was connected, its ConnectRequest sent at `requestedAt` (default: now). Its reads
   * see at least what was completed before that: the createSession is a write ordered somewhere between the
   * request and the ConnectResponse, so only writes completed before the request are surely before it; a
   * write completed while the ConnectResponse was on its way (by another member) may be ordered after it.
   */
  connected(session: string | number, requestedAt: number = this.clock()): void {
    this.sessions[String(session)] = { connectedAt: requestedAt };
  }

  /** Records an invocation; returns its id for `complete`. */
  invoke(session: string | number, call: CallInput): number {
    const id = this.nextId++;
    this.events.push({ type: 'invoke', id, session, time: this.clock(), op: call.op, args: call.args } as HistoryFile['events'][number]);
    return id;
  }

  /** Records the completion of `id`: the reply, or 'info' when it is not known whether the operation took effect. */
  complete(id: number, result: OpResult | 'info'): void {
    this.events.push({ type: 'complete', id, time: this.clock(), result });
    if (result === 'info') return;
    if (result.code === 'OK') this.ok++;
    else this.failed++;
  }

  /** How many operations were invoked. */
  get size(): number {
    return this.nextId;
  }

  /** Operations by outcome; an invocation never completed counts as indeterminate. */
  operationCounts(): OperationCounts {
    return { ok: this.ok, failed: this.failed, indeterminate: this.nextId - this.ok - this.failed };
  }

  /** The history as a JSON document (format zkspec-history/1). */
  toJSON(): unknown {
    return { format: 'zkspec-history/1', initial: this.initial, sessions: this.sessions, events: this.events };
  }

  /** Writes the document to `path`, one event per line (a long run's history is tens of megabytes). */
  write(path: string): void {
    const head = JSON.stringify({ format: 'zkspec-history/1', initial: this.initial, sessions: this.sessions });
    const fd = openSync(path, 'w');
    try {
      writeSync(fd, `${head.slice(0, -1)},"events":[\n`);
      // In chunks: one string of a long run's events would pass V8's limit on a string's length.
      for (let i = 0; i < this.events.length; i += 10_000) {
        const chunk = this.events.slice(i, i + 10_000).map((e) => JSON.stringify(e));
        writeSync(fd, `${i === 0 ? '' : ',\n'}${chunk.join(',\n')}`);
      }
      writeSync(fd, '\n]}\n');
    } finally {
      closeSync(fd);
    }
  }
}
