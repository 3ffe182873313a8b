// The forwarding path: the role of a learner (FollowerZooKeeperServer,
// ObserverZooKeeperServer). The tree holds committed txns only; the run that
// drives this server (impl/ensemble/learner-run.ts) hands each in with
// applyCommitted, in zxid order.
//
// - Writes, createSession and closeSession are forwarded, never applied here;
//   the reply of a forwarded request waits in its connection's FIFO until its
//   txn (same sessionId and cxid) commits and is built from the apply result
//   as the leader would build it (CommitProcessor matching the committed
//   request with the local one, then FinalRequestProcessor).
// - A read runs against the committed tree, but only once everything ahead of
//   it in its connection's FIFO has been released, so a session reads its own
//   writes (CommitProcessor holds a session's reads behind its pending writes).
// - Watch events go out when the txn is applied, ahead of anything still
//   waiting, as NIOServerCnxn.process sends them.
// - A sync is forwarded too and released by leaderSynced(), which pops the
//   oldest pending sync (FollowerZooKeeperServer.pendingSyncs): the leader's
//   run answers each forwarded sync with a SYNC right after the COMMIT of the
//   last txn prepped before it (Leader.processSync; see
//   LocalWritePath.lastPreppedZxid), and the quorum channel is FIFO.
// - Sessions belong to the leader, which expires them; this server tracks its
//   own clients' sessions for touches and stats, reports the touches with its
//   PING replies, and asks the leader whether a session a client brings back
//   is live (REVALIDATE). A password is checked here when the committed tree
//   knows the session, and by the leader (REVALIDATE carries it) when not yet:
//   the client may have been told of its session by another member first.

import { OpCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import type { Txn } from '../tree/txn.ts';
import type { Connection, Forwarded, Output } from './connection.ts';
import type { ForwardedRequest, Replication, SessionTouch } from './options.ts';
import type { PipelineParts } from './parts.ts';
import { checkSessionPasswd, passwdMatches } from './session-password.ts';
import { SessionTouches } from './session-tracker.ts';
import type { WritePath } from './write-path.ts';
import { writeResponse } from './writes.ts';

type LearnerReplication = Extract<Replication, { readonly role: 'learner' }>;

/** A forwarded-request list compacts once its consumed prefix passes this many entries and is most of it. */
const consumedForwardedMax = 1024;

export class ForwardingWritePath implements WritePath {
  readonly serverState: 'follower' | 'observer';
  /** Forwarded syncs waiting for the leader's SYNC, oldest first (FollowerZooKeeperServer.pendingSyncs). */
  private readonly pendingSyncs: { readonly output: Output; readonly release: () => void }[] = [];
  /** Local sessions touched since the last drain (LearnerSessionTracker's touchTable). */
  private readonly touches = new SessionTouches();

  constructor(
    private readonly replication: LearnerReplication,
    private readonly parts: PipelineParts,
  ) {
    this.serverState = replication.learnerType ?? 'follower';
  }

  /**
   * The learner picks the id and the password, and the leader logs the
   * createSession (Learner.request sends the timeout as the body; ours the
   * password after it, see ForwardedRequest); the client hears of its session
   * once that txn has committed.
   */
  createSession(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, respond: () => void): void {
    this.touches.touch(sessionId, timeoutMs);
    const body = new Uint8Array(4 + passwd.byteLength);
    new DataView(body.buffer).setInt32(0, timeoutMs);
    body.set(passwd, 4);
    this.forward(connection, 'createSession', { sessionId, cxid: 0, type: OpCode.createSession, body, authIds: [] }, () => respond);
  }

  /**
   * ZooKeeperServer.reopenSession on a learner: a password the committed tree
   * knows to be wrong is refused here; then LearnerZooKeeperServer.revalidateSession
   * -> Learner.validateSession: the leader's tracker decides, and the leader's
   * tree checks the password too (this tree may not have the session yet);
   * nothing more is read from the client until it has
   * (NIOServerCnxn.disableRecv), so later frames are held (handshake.ts).
   * Without `revalidate` the committed tree decides (reattachCommitted).
   */
  reattach(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, finish: (valid: boolean) => void): void {
    const check = checkSessionPasswd(this.parts.tree, sessionId, passwd);
    if (check === 'wrong') {
      passwdMatches(this.parts, sessionId, passwd, connection.remoteAddress); // logs why
      finish(false);
      return;
    }
    const revalidate = this.replication.revalidate;
    if (revalidate !== undefined && this.parts.tracker.get(sessionId)?.closing !== true) {
      connection.state = 'revalidating';
      const settle = (valid: boolean) => {
        if (this.parts.connections.isStopped || connection.state !== 'revalidating') return; // closed meanwhile
        connection.state = 'open';
        if (valid) this.trackLocally(sessionId, timeoutMs);
        finish(valid);
      };
      revalidate(sessionId, timeoutMs, passwd).then(settle, (error: unknown) => {
        this.parts.log('warn', 'revalidate-failed', { sessionId, error: error instanceof Error ? error.message : String(error) });
        settle(false);
      });
      return;
    }
    finish(check === 'match' && this.reattachCommitted(sessionId, timeoutMs));
  }

  touched(connection: Connection): void {
    this.touches.touch(connection.sessionId!, connection.sessionTimeoutMs!);
  }

  /** A ping may wait behind forwarded writes; FinalRequestProcessor stamps it with the tree's zxid when it gets there. */
  pingZxid(): bigint {
    return this.parts.tree.lastProcessedZxid;
  }

  closeSession(connection: Connection, header: R.RequestHeader, startedAtMs: number): void {
    const request = { sessionId: connection.sessionId!, cxid: header.xid, type: OpCode.closeSession, body: new Uint8Array(0), authIds: [...connection.authIds] };
    this.forward(connection, 'closeSession', request, () => {
      const closeZxid = this.parts.tree.lastProcessedZxid;
      return () => {
        this.parts.replies.reply(connection, header, 0, undefined, startedAtMs, closeZxid);
        this.parts.connections.close(connection.id, 'client closed the session');
      };
    });
  }

  /**
   * Forwarded as received, even if it does not decode: the leader's prep
   * turns it into the error txn, which takes a zxid as it would here.
   */
  write(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const request = { sessionId: connection.sessionId!, cxid: header.xid, type: header.type, body: body.slice(), authIds: [...connection.authIds] };
    this.forward(connection, 'write', request, (outcome) => {
      const { err, response } = writeResponse(outcome);
      const zxid = this.parts.tree.lastProcessedZxid;
      return () => this.parts.replies.reply(connection, header, err, response, startedAtMs, zxid);
    });
  }

  /**
   * Forwarded, and answered once the leader's SYNC for it has come back
   * (leaderSynced), by which time everything the leader had proposed before
   * it has been applied here.
   */
  sync(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const decoded = decodeRecord(body, R.SyncRequest.read, true);
    if (!decoded.ok) {
      this.read(connection, header, body, startedAtMs); // MarshallingError, answered here
      return;
    }
    const { path } = decoded.value;
    const output: Output = { batch: 0, deliver: undefined };
    this.parts.queues.push(connection, output);
    this.pendingSyncs.push({
      output,
      release: () => {
        // Stamped when it leaves, not when the SYNC came: a write of the same
        // session ahead of it in the FIFO may commit in between, and the zxids
        // a client sees must not go backwards.
        output.deliver = () => this.parts.replies.reply(connection, header, 0, encodeRecord({ path }, R.SyncResponse.write), startedAtMs, this.parts.tree.lastProcessedZxid);
        this.parts.queues.release(connection);
      },
    });
    this.replication.forward({ sessionId: connection.sessionId!, cxid: header.xid, type: OpCode.sync, body: body.slice(), authIds: [...connection.authIds] });
  }

  /** A read behind anything still waiting in its connection's FIFO (a forwarded write, a sync) runs when it reaches the head, so it sees the session's own writes. */
  read(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    if (this.parts.queues.hasWaiting(connection)) {
      this.parts.queues.push(connection, { batch: 0, deliver: () => this.parts.reads.runAndReply(connection, header, body, startedAtMs) });
      return;
    }
    this.parts.reads.run(connection, header, body, startedAtMs);
  }

  /** A learner expires nothing: the leader owns the sessions and reaps the containers (ContainerManager runs on the leader only). */
  tick(): void {}

  // ---- what the learner's run hands in ------------------------------------------------

  /**
   * A txn the leader has committed, handed in in zxid order (a follower's
   * COMMIT, an observer's INFORM). Applies it, sends the watch events it
   * fires, and releases the reply of the local request it answers: the oldest
   * forwarded request of the session's connection, if its cxid and kind match
   * (CommitProcessor's match of a committed request with the pending local
   * one). A closeSession that answers no local request (the leader expired the
   * session, or the client closed it through another server) closes the
   * session's local connection.
   */
  applyCommitted(txn: Txn): void {
    // Applied even once stopped: the tree must follow the commits (its
    // connections are closed, so nothing is sent).
    if (txn.zxid <= this.parts.tree.lastProcessedZxid) {
      this.parts.log('warn', 'stale-commit-ignored', { zxid: txn.zxid, lastProcessedZxid: this.parts.tree.lastProcessedZxid, message: 'ignoring a committed txn the tree has already applied' });
      return;
    }
    const { result, events } = this.parts.tree.applyTxn(txn);
    this.parts.order.committed(txn.zxid);
    if (txn.body.type === 'closeSession') {
      this.parts.tracker.remove(txn.sessionId);
      this.touches.forget(txn.sessionId);
    }
    // NIOServerCnxn.process sends an event at once, ahead of replies still waiting.
    for (const event of events) this.parts.replies.event(event);
    const connection = this.parts.connections.ofSession(txn.sessionId);
    if (connection === undefined) return;
    const pending = connection.forwarded[connection.forwardedHead];
    if (pending !== undefined && pending.cxid === txn.cxid && pending.kind === forwardedKind(txn)) {
      if (++connection.forwardedHead === connection.forwarded.length) {
        connection.forwarded = [];
        connection.forwardedHead = 0;
      } else if (connection.forwardedHead > consumedForwardedMax && connection.forwardedHead * 2 > connection.forwarded.length) {
        connection.forwarded = connection.forwarded.slice(connection.forwardedHead);
        connection.forwardedHead = 0;
      }
      pending.output.deliver = pending.onCommit(result);
      this.parts.queues.release(connection);
      return;
    }
    // The leader's own closeSession (expiry) has cxid 0; a client's has its xid.
    if (txn.body.type === 'closeSession') this.parts.connections.close(connection.id, txn.cxid === 0 ? 'session expired' : 'session closed through another server');
  }

  /**
   * The leader's SYNC for the oldest sync this server forwarded
   * (FollowerZooKeeperServer.sync pops pendingSyncs). Everything the leader had
   * proposed before that sync has been handed to applyCommitted by now.
   */
  leaderSynced(): void {
    const pending = this.pendingSyncs.shift();
    if (pending === undefined) {
      this.parts.log('warn', 'unexpected-sync', { message: 'SYNC from the leader with no sync pending' });
      return;
    }
    pending.release();
  }

  /** The local sessions touched since the last call, for the run's PING reply (LearnerSessionTracker.snapshot). */
  drainSessionTouches(): SessionTouch[] {
    return this.touches.drain();
  }

  // ---- helpers ------------------------------------------------------------------------

  /** Forwards a request whose reply waits, in the connection's FIFO, for its txn to commit. */
  private forward(connection: Connection, kind: Forwarded['kind'], request: ForwardedRequest, onCommit: Forwarded['onCommit']): void {
    if (this.parts.connections.isStopped || connection.state === 'closed') return;
    const output: Output = { batch: 0, deliver: undefined };
    // Queued before it leaves, in case the run commits it before forward returns.
    this.parts.queues.push(connection, output);
    connection.forwarded.push({ cxid: request.cxid, kind, output, onCommit });
    this.replication.forward(request);
  }

  /**
   * Whether a session a client reconnects with is live by the committed
   * tree, tracking it here if so. ZooKeeper's learner asks the leader
   * (REVALIDATE, answered from the leader's session tracker), which also knows
   * a session the leader has begun to expire and whose closeSession has not
   * committed yet; this check is weaker in that window (the client is let in,
   * then closed when the closeSession commits).
   */
  private reattachCommitted(sessionId: bigint, timeoutMs: number): boolean {
    if (!this.parts.tree.sessions.has(sessionId)) return false;
    if (this.parts.tracker.get(sessionId)?.closing === true) return false; // its closeSession is on its way
    this.trackLocally(sessionId, timeoutMs);
    return true;
  }

  /** A session with a client here, tracked for touches and stats (never expired here). */
  private trackLocally(sessionId: bigint, timeoutMs: number): void {
    this.parts.tracker.addOrTouch(sessionId, timeoutMs, this.parts.elapsed());
    this.touches.touch(sessionId, timeoutMs);
  }
}

/** Which kind of forwarded request a committed txn can answer. */
function forwardedKind(txn: Txn): Forwarded['kind'] {
  switch (txn.body.type) {
    case 'createSession':
      return 'createSession';
    case 'closeSession':
      return 'closeSession';
    default:
      return 'write';
  }
}
