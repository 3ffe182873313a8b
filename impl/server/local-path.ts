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
import type { Connection } from './connection.ts';
import type { ForwardedRequest, SessionTouch } from './options.ts';
import type { PipelineParts } from './parts.ts';
import { requestKind } from './request-kind.ts';
import type { Ticks } from './ticks.ts';
import type { WritePath } from './write-path.ts';
import { writeResponse, type Writes } from './writes.ts';
import { passwdMatches } from './session-password.ts';
import { sessionPasswdBytes } from '../tree/txn.ts';

export class LocalWritePath implements WritePath {
  constructor(
    readonly serverState: 'standalone' | 'leader',
    private readonly parts: PipelineParts,
    private readonly writes: Writes,
    private readonly ticks: Ticks,
  ) {
    // Sessions recovered from the snapshot and log live on until they expire or
    // their clients reconnect (ZooKeeperServer.loadData re-tracks them).
    for (const [sessionId, timeoutMs] of parts.tree.sessions) parts.tracker.add(sessionId, timeoutMs, parts.startedElapsedMs);
  }

  createSession(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, respond: () => void): void {
    const { batch } = this.writes.submit(sessionId, 0, { type: OpCode.createSession, timeOut: timeoutMs, passwd });
    this.parts.queues.enqueue(connection, batch, respond);
  }

  /** ZooKeeperServer.reopenSession: the password first (this tree knows every session, committed or not), then the tracker. */
  reattach(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, finish: (valid: boolean) => void): void {
    if (!passwdMatches(this.parts, sessionId, passwd, connection.remoteAddress)) {
      finish(false);
      return;
    }
    finish(this.parts.tracker.touch(sessionId, this.parts.elapsed(), timeoutMs));
  }

  touched(): void {}

  pingZxid(receivedZxid: bigint): bigint {
    return this.parts.order.visibleZxid(receivedZxid);
  }

  closeSession(connection: Connection, header: R.RequestHeader, startedAtMs: number): void {
    const { batch } = this.writes.submit(connection.sessionId!, header.xid, { type: OpCode.closeSession });
    const closeZxid = this.parts.tree.lastProcessedZxid;
    this.parts.queues.enqueue(connection, batch, () => {
      this.parts.replies.reply(connection, header, 0, undefined, startedAtMs, closeZxid);
      this.parts.connections.close(connection.id, 'client closed the session');
    });
  }

  write(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const { batch, outcome } = this.writes.submitRequest(connection.sessionId!, header.xid, header.type, body, connection.authIds);
    const { err, response } = writeResponse(outcome);
    const zxid = this.parts.tree.lastProcessedZxid;
    this.parts.queues.enqueue(connection, batch, () => this.parts.replies.reply(connection, header, err, response, startedAtMs, zxid));
  }

  /** A sync here is a read of the whole tree: it is answered once everything applied before it is durable. */
  sync(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    this.parts.reads.run(connection, header, body, startedAtMs);
  }

  read(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    this.parts.reads.run(connection, header, body, startedAtMs);
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
    // What every line about a forwarded request says (built only when one is written): which request it is.
    const what = () => ({ op: opCodeName(type), type, sessionId, cxid });
    try {
      switch (requestKind(type)) {
        case 'createSession': {
          // The timeout, then (from a learner of ours) the password it gave the client.
          const passwdOk = body.byteLength === 4 + sessionPasswdBytes;
          if (body.byteLength < 4 || sessionId === 0n) {
            this.parts.log('warn', 'forwarded-request-ignored', { ...what(), reason: sessionId === 0n ? 'session id 0' : 'createSession body shorter than 4 bytes', bodyBytes: body.byteLength });
            return;
          }
          if (!passwdOk) this.parts.log('warn', 'forwarded-session-without-password', { ...what(), bodyBytes: body.byteLength, message: 'no password will attach to this session' });
          const timeoutMs = new DataView(body.buffer, body.byteOffset, body.byteLength).getInt32(0);
          const passwd = passwdOk ? body.slice(4) : undefined;
          this.parts.tracker.addOrTouch(sessionId, timeoutMs, this.parts.elapsed());
          this.writes.submit(sessionId, cxid, { type: OpCode.createSession, timeOut: timeoutMs, passwd });
          return;
        }
        case 'closeSession': {
          this.parts.tracker.setClosing(sessionId);
          const { batch } = this.writes.submit(sessionId, cxid, { type: OpCode.closeSession });
          // A connection of the session here is stale (the client moved on); it
          // closes with the commit (FinalRequestProcessor's closeSession of a
          // request with no connection).
          const connection = this.parts.connections.ofSession(sessionId);
          if (connection !== undefined) this.parts.queues.enqueue(connection, batch, () => this.parts.connections.close(connection.id, 'session closed through another server'));
          return;
        }
        case 'write': {
          const session = this.parts.tracker.get(sessionId);
          if (session === undefined || session.closing) this.writes.submitError(sessionId, cxid, ErrorCode.SESSIONEXPIRED);
          else this.writes.submitRequest(sessionId, cxid, type, body, request.authIds);
          return;
        }
        default:
          this.parts.log('warn', 'forwarded-request-ignored', { ...what(), reason: 'not a request a learner forwards' });
      }
    } catch (error) {
      this.parts.log('error', 'forwarded-request-ignored', { ...what(), reason: 'failed', error: error instanceof Error ? error.message : String(error) });
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
    const nowMs = this.parts.elapsed();
    for (const { sessionId, timeoutMs } of touches) {
      if (!this.parts.tracker.touch(sessionId, nowMs, timeoutMs)) this.parts.log('debug', 'touch-of-gone-session', { sessionId });
    }
  }

  /**
   * REVALIDATE of a session a client brought to a learner: true, and touched,
   * if it is live here and `passwd` (when the learner sent one) is its
   * password. The learner asks with the password when its committed tree does
   * not know the session yet; this tree knows every session prepped.
   */
  revalidateSession(sessionId: bigint, timeoutMs: number, passwd: Uint8Array | undefined): boolean {
    if (passwd !== undefined && !passwdMatches(this.parts, sessionId, passwd, 'a learner')) return false;
    return this.parts.tracker.touch(sessionId, this.parts.elapsed(), timeoutMs);
  }
}
