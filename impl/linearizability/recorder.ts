// What a workload uses to write a history (history.ts's format) as it runs:
// each call's invocation before the request leaves, its completion when the
// reply (or the loss of the connection) comes back, with one clock for all
// the workload's clients so that real-time order between them is kept.

import type { HistoryFile, Invocation, OpResult, Znode } from './history.ts';

type Call = { [K in Invocation['op']]: { op: K; args: Extract<Invocation, { op: K }>['args'] } }[Invocation['op']];
/** An operation as a workload writes it: defaults (version -1, sequential false) may be left out. */
export type CallInput = { [K in Call['op']]: { op: K; args: Partial<Extract<Call, { op: K }>['args']> & { path?: string } } }[Call['op']];

export class HistoryRecorder {
  private readonly events: HistoryFile['events'] = [];
  private readonly sessions: Record<string, { connectedAt: number }> = {};
  private nextId = 0;

  constructor(
    private readonly clock: () => number = () => performance.now(),
    private readonly initial: Record<string, Znode> = {},
  ) {}

  /** Records that `session` was connected now (its reads see at least what was completed before). */
  connected(session: string | number): void {
    this.sessions[String(session)] = { connectedAt: this.clock() };
  }

  /** Records an invocation; returns its id for `complete`. */
  invoke(session: string | number, call: CallInput): number {
    const id = this.nextId++;
    this.events.push({ type: 'invoke', id, session, time: this.clock(), ...call } as HistoryFile['events'][number]);
    return id;
  }

  /** Records the completion of `id`: the reply, or 'info' when it is not known whether the operation took effect. */
  complete(id: number, result: OpResult | 'info'): void {
    this.events.push({ type: 'complete', id, time: this.clock(), result });
  }

  get size(): number {
    return this.nextId;
  }

  /** The history as a JSON document (format zkspec-history/1). */
  toJSON(): unknown {
    return { format: 'zkspec-history/1', initial: this.initial, sessions: this.sessions, events: this.events };
  }
}
