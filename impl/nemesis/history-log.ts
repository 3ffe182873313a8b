// The history of a jepsen run as the safety workload's clients saw it
// (impl/ensemble/safety-workload.ts's HistorySink), kept in memory and written
// as one zkspec-history/1 JSON document: the format impl/linearizability's
// checker reads (`npm run lincheck -- FILE`), events in the order they
// happened, times in milliseconds from the start of the recording on one
// clock for every client. It also counts the operations by outcome.

import { closeSync, openSync, writeSync } from 'node:fs';
import type { HistoryCall, HistoryResult, HistorySink } from '../ensemble/safety-workload.ts';

type Event =
  | { readonly type: 'invoke'; readonly id: number; readonly session: string; readonly time: number; readonly op: HistoryCall['op']; readonly args: HistoryCall['args'] }
  | { readonly type: 'complete'; readonly id: number; readonly time: number; readonly result: HistoryResult };

export type OperationCounts = {
  /** Completed with OK. */
  readonly ok: number;
  /** Completed with a definite failure (NoNode, NodeExists, BadVersion, NotEmpty). */
  readonly failed: number;
  /** Not known to have taken effect or not: connection lost, session expired, never answered. */
  readonly indeterminate: number;
};

export class HistoryLog implements HistorySink {
  private readonly events: Event[] = [];
  private readonly sessions: Record<string, { connectedAt: number }> = {};
  private readonly startedAt = performance.now();
  private nextId = 0;
  private counts = { ok: 0, failed: 0, completed: 0 };

  /**
   * @param initial the znodes that exist when the history starts, among those it touches
   *   (zkspec-history/1's `initial`: path -> data and version).
   */
  constructor(private readonly initial: Readonly<Record<string, { readonly data: string; readonly version: number }>>) {}

  private now(): number {
    return Math.round((performance.now() - this.startedAt) * 1000) / 1000;
  }

  connected(session: string): void {
    this.sessions[session] = { connectedAt: this.now() };
  }

  invoke(session: string, call: HistoryCall): number {
    const id = this.nextId++;
    this.events.push({ type: 'invoke', id, session, time: this.now(), op: call.op, args: call.args });
    return id;
  }

  complete(id: number, result: HistoryResult): void {
    this.events.push({ type: 'complete', id, time: this.now(), result });
    this.counts.completed++;
    if (result === 'info') return;
    if (result.code === 'OK') this.counts.ok++;
    else this.counts.failed++;
  }

  /** Operations by outcome; an invocation never completed counts as indeterminate. */
  operationCounts(): OperationCounts {
    return { ok: this.counts.ok, failed: this.counts.failed, indeterminate: this.nextId - this.counts.ok - this.counts.failed };
  }

  get operations(): number {
    return this.nextId;
  }

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
