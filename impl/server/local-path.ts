// The local write path: the role of a standalone server and of a leader
// (ZooKeeperServer's and LeaderZooKeeperServer's processor chains). Sessions
// and writes are prepped and applied here at once (writes.ts) and their
// effects wait for `persist`: a standalone server's log write, a leader's
// proposal committed by a quorum (group-commit.ts), so "durable" reads
// "committed" for a leader. This server owns session expiry and container
// reaping (ticks.ts).
//
// A leader's learners hand in their clients' requests (submitForwarded:
// Learner.request -> LearnerHandler -> PrepRequestProcessor); they are prepped
// and applied into the current batch like local writes but answered by the
// learner when the txn commits, not here. Session expiry stays here (the
// leader's SessionTrackerImpl), fed by the learners' touches.

import { ErrorCode, OpCode, opCodeName } from '../protocol/constants.ts';
import type * as R from '../protocol/records.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { sessionIdHex } from '../../lib/hex.ts';
import type { Connection } from './connection.ts';
import type { Connections } from './connections.ts';
import type { ForwardedRequest, Logger, SessionTouch } from './options.ts';
import type { OutputQueues } from './output-queues.ts';
import type { ReadProcessor } from './read-processor.ts';
import type { ReleaseOrder } from './release-order.ts';
import type { Replies } from './replies.ts';
import { requestKind } from './request-kind.ts';
import type { SessionTracker } from './session-tracker.ts';
import type { Ticks } from './ticks.ts';
import type { WritePath } from './write-path.ts';
import { writeResponse, type Writes } from './writes.ts';

export class LocalWritePath implements WritePath {
  constructor(
    readonly serverState: 'standalone' | 'leader',
    private readonly tree: DataTree,
    private readonly tracker: SessionTracker,
    private readonly writes: Writes,
    private readonly reads: ReadProcessor,
    private readonly ticks: Ticks,
    private readonly connections: Connections,
    private readonly queues: OutputQueues,
    private readonly order: ReleaseOrder,
    private readonly replies: Replies,
    private readonly log: Logger,
    private readonly now: () => number,
    startedAtMs: number,
  ) {
    // Sessions recovered from the snapshot and log live on until they expire or
    // their clients reconnect (ZooKeeperServer.loadData re-tracks them).
    for (const [sessionId, timeoutMs] of tree.sessions) tracker.add(sessionId, timeoutMs, startedAtMs);
  }

  createSession(connection: Connection, sessionId: bigint, timeoutMs: number, respond: () => void): void {
    const { batch } = this.writes.submit(sessionId, 0, { type: OpCode.createSession, timeOut: timeoutMs });
    this.queues.enqueue(connection, batch, respond);
  }

  reattach(_connection: Connection, sessionId: bigint, timeoutMs: number, passwdOk: boolean, finish: (valid: boolean) => void): void {
    finish(passwdOk && this.tracker.touch(sessionId, this.now(), timeoutMs));
  }

  touched(): void {}

  pingZxid(receivedZxid: bigint): bigint {
    return this.order.visibleZxid(receivedZxid);
  }

  closeSession(connection: Connection, header: R.RequestHeader, startedAtMs: number): void {
    const { batch } = this.writes.submit(connection.sessionId!, header.xid, { type: OpCode.closeSession });
    const closeZxid = this.tree.lastProcessedZxid;
    this.queues.enqueue(connection, batch, () => {
      this.replies.reply(connection, header, 0, undefined, startedAtMs, closeZxid);
      this.connections.close(connection.id, 'client closed the session');
    });
  }

  write(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const { batch, outcome } = this.writes.submitRequest(connection.sessionId!, header.xid, header.type, body, connection.authIds);
    const { err, response } = writeResponse(outcome);
    const zxid = this.tree.lastProcessedZxid;
    this.queues.enqueue(connection, batch, () => this.replies.reply(connection, header, err, response, startedAtMs, zxid));
  }

  /** A sync here is a read of the whole tree: it is answered once everything applied before it is durable. */
  sync(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    this.reads.run(connection, header, body, startedAtMs);
  }

  read(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    this.reads.run(connection, header, body, startedAtMs);
  }

  tick(): void {
    this.ticks.tick();
  }

  // ---- a leader's side of its learners' requests ------------------------------------

  /**
   * A request a learner forwarded for one of its clients (LearnerHandler's
   * REQUEST into the leader's PrepRequestProcessor). Writes, createSession and
   * closeSession are prepped and applied into the current batch like local
   * writes; nothing is sent from here, the learner answers when the txn
   * commits. A write of a session the leader does not know, or one that is
   * closing, becomes an error txn with SessionExpired
   * (SessionTracker.checkSession in pRequest2Txn), so it cannot create
   * ephemerals for a dead session. Bad input from a peer is logged, never
   * thrown. A forwarded sync makes no txn and is not for this method: see
   * lastPreppedZxid.
   */
  submitForwarded(request: ForwardedRequest): void {
    const { sessionId, cxid, type, body } = request;
    const what = () => `forwarded ${opCodeName(type)} (type ${type}) of session ${sessionIdHex(sessionId)} cxid ${cxid}`;
    try {
      switch (requestKind(type)) {
        case 'createSession': {
          if (body.byteLength < 4 || sessionId === 0n) {
            this.log('warn', `ignoring ${what()}: ${sessionId === 0n ? 'session id 0' : `${body.byteLength}-byte body`}`);
            return;
          }
          const timeoutMs = new DataView(body.buffer, body.byteOffset, body.byteLength).getInt32(0);
          if (this.tracker.get(sessionId) === undefined) this.tracker.add(sessionId, timeoutMs, this.now());
          else this.tracker.touch(sessionId, this.now(), timeoutMs);
          this.writes.submit(sessionId, cxid, { type: OpCode.createSession, timeOut: timeoutMs });
          return;
        }
        case 'closeSession': {
          this.tracker.setClosing(sessionId);
          const { batch } = this.writes.submit(sessionId, cxid, { type: OpCode.closeSession });
          // A connection of the session here is stale (the client moved on); it
          // closes with the commit (FinalRequestProcessor's closeSession of a
          // request with no connection).
          const connection = this.connections.ofSession(sessionId);
          if (connection !== undefined) this.queues.enqueue(connection, batch, () => this.connections.close(connection.id, 'session closed through another server'));
          return;
        }
        case 'write': {
          const session = this.tracker.get(sessionId);
          if (session === undefined || session.closing) this.writes.submitError(sessionId, cxid, ErrorCode.SESSIONEXPIRED);
          else this.writes.submitRequest(sessionId, cxid, type, body, request.authIds);
          return;
        }
        default:
          this.log('warn', `ignoring ${what()}: not a request a learner forwards`);
      }
    } catch (error) {
      this.log('error', `ignoring ${what()}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /**
   * The zxid of the newest txn prepped, whether or not it has reached persist
   * yet (Leader.processSync's lastProposed). A learner's forwarded sync is the
   * runner's to answer: it sends that learner a SYNC right after the COMMIT of
   * this zxid, read when the sync arrives, and at once if that is committed
   * already (Leader.pendingSyncs). The SYNC must come before the COMMITs of
   * later txns: otherwise a write the client sent after the sync could commit
   * first, and its reply, which waits behind the sync's, would carry an older
   * zxid than the sync's. (The last zxid proposed, rather than prepped, is
   * also safe; it leaves out txns prepped while a persist is in flight, which
   * no client has been told of.)
   */
  get lastPreppedZxid(): bigint {
    return this.writes.lastPreppedZxid;
  }

  /** The session touches a learner reported with its PING (LearnerHandler -> ZooKeeperServer.touch). */
  touchSessions(touches: readonly SessionTouch[]): void {
    const nowMs = this.now();
    for (const { sessionId, timeoutMs } of touches) {
      if (!this.tracker.touch(sessionId, nowMs, timeoutMs)) this.log('debug', `touch of session ${sessionIdHex(sessionId)}, which is gone or closing`);
    }
  }

  /** REVALIDATE of a session a client brought to a learner: true, and touched, if it is live here. */
  revalidateSession(sessionId: bigint, timeoutMs: number): boolean {
    return this.tracker.touch(sessionId, this.now(), timeoutMs);
  }
}
