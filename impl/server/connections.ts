// The open connections and the session each carries (ServerCnxnFactory's
// connection set and its session map): opening, attaching a session, counting
// outstanding requests for the throttle, and closing from either side. A
// session outlives its connection: closing one leaves the session to expire or
// to be brought back by a new connection.

import type { DataTree } from '../tree/data-tree.ts';
import { newConnection, type Connection, type ConnectionSink } from './connection.ts';
import type { Logger } from './options.ts';
import type { OutputQueues } from './output-queues.ts';
import type { ServerCounters } from './stats.ts';

export class Connections {
  private readonly byId = new Map<number, Connection>();
  private readonly bySession = new Map<bigint, number>();
  private nextId = 1;
  private stopped = false;

  constructor(
    private readonly tree: DataTree,
    private readonly queues: OutputQueues,
    private readonly counters: ServerCounters,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  /** A new connection; once the server has stopped it is born closed. */
  open(sink: ConnectionSink, remoteAddress: string, remotePort: number): number {
    const id = this.nextId++;
    this.byId.set(id, newConnection(id, sink, remoteAddress, remotePort, this.now(), this.stopped ? 'closed' : 'handshake'));
    if (this.stopped) sink.close('server stopped');
    return id;
  }

  get(connectionId: number): Connection | undefined {
    return this.byId.get(connectionId);
  }

  values(): IterableIterator<Connection> {
    return this.byId.values();
  }

  /** The connection the session is attached to, if any. */
  ofSession(sessionId: bigint): Connection | undefined {
    const connectionId = this.bySession.get(sessionId);
    return connectionId === undefined ? undefined : this.byId.get(connectionId);
  }

  attach(connection: Connection, sessionId: bigint, timeoutMs: number): void {
    connection.sessionId = sessionId;
    connection.sessionTimeoutMs = timeoutMs;
    this.bySession.set(sessionId, connection.id);
  }

  /** A request arrived; replies.ts counts it down when it is answered. */
  countRequest(connection: Connection): void {
    connection.outstandingRequests++;
    this.counters.outstandingRequests++;
  }

  /** The transport saw the connection end (client closed, socket error). The session lives on until it expires. */
  closed(connectionId: number): void {
    const connection = this.byId.get(connectionId);
    if (connection === undefined) return;
    connection.state = 'closed';
    this.byId.delete(connectionId);
    this.counters.outstandingRequests -= connection.outstandingRequests;
    connection.outstandingRequests = 0;
    // What it still had waiting can no longer be sent.
    this.queues.forget(connection);
    connection.queuedReplyBytes = 0;
    connection.forwarded = [];
    connection.forwardedHead = 0;
    connection.heldFrames = [];
    this.tree.removeWatcher(connectionId);
    if (connection.sessionId !== undefined && this.bySession.get(connection.sessionId) === connectionId) {
      this.bySession.delete(connection.sessionId);
    }
  }

  /** Closes a connection from the server side (bad input, expired session, closeSession). */
  close(connectionId: number, reason: string): void {
    const connection = this.byId.get(connectionId);
    if (connection === undefined || connection.state === 'closed') return;
    this.log('info', 'closing-connection', { connectionId, remoteAddress: connection.remoteAddress, remotePort: connection.remotePort, reason });
    this.closed(connectionId);
    connection.sink.close(reason);
  }

  /** The server stops: every connection is closed and new ones are refused. */
  stop(): void {
    this.stopped = true;
    for (const id of [...this.byId.keys()]) this.close(id, 'server stopping');
  }

  get isStopped(): boolean {
    return this.stopped;
  }
}
