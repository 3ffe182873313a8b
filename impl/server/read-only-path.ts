// The read-only role: what an ensemble member cut off from its quorum serves
// with readonlymode.enabled (ZooKeeper's ReadOnlyZooKeeperServer with its
// ReadOnlyRequestProcessor and LearnerSessionTracker, local sessions on, as
// ZooKeeper 3.7+ needs them for read-only clients to connect). Reads run on the
// tree the member last had; nothing is written, persisted or sent to a leader.
//
// - Every write (create*, delete, setData, setACL, check, multi, reconfig) and
//   sync is answered NotReadOnly (-119) with the tree's last zxid, as
//   ReadOnlyRequestProcessor does; multiRead is a read and is served.
// - Sessions are local to this server: tracked here, never logged or
//   forwarded, gone when the member rejoins its quorum (ZooKeeper closes every
//   connection then, and a Java client that never saw a read-write server
//   connects again with session id 0, getting a new session).
// - A client that brings back a global session (one the tree knows, created
//   through a leader) is refused by closing its connection without a
//   response (ReadOnlyZooKeeperServer.validateSession); the session stays the
//   leader's to expire. A client without the readOnly flag is refused in
//   handshake.ts.
// - Local sessions expire here when their timeout passes; they own no
//   ephemerals (a read-only session cannot create any), so expiry only closes
//   the connection. Their passwords are kept here, beside the tracker, for
//   as long as they are tracked.

import { ErrorCode } from '../protocol/constants.ts';
import type * as R from '../protocol/records.ts';
import type { Connection } from './connection.ts';
import type { PipelineParts } from './parts.ts';
import { samePasswd } from './session-password.ts';
import type { WritePath } from './write-path.ts';

export class ReadOnlyWritePath implements WritePath {
  readonly serverState = 'read-only' as const;

  /** The local sessions' passwords (no txn carries them). */
  private readonly passwords = new Map<bigint, Uint8Array>();

  constructor(private readonly parts: PipelineParts) {}

  /** A local session (LocalSessionTracker): already tracked and attached by the handshake; no txn, so the response leaves at once. */
  createSession(connection: Connection, sessionId: bigint, _timeoutMs: number, passwd: Uint8Array, respond: () => void): void {
    this.passwords.set(sessionId, passwd);
    this.parts.queues.enqueue(connection, 0, respond);
  }

  reattach(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, finish: (valid: boolean) => void): void {
    if (this.parts.tree.sessions.has(sessionId)) {
      this.parts.log('info', 'global-session-refused', { sessionId, remoteAddress: connection.remoteAddress, message: 'Refusing global session reconnection in RO mode' });
      this.parts.connections.close(connection.id, 'global session reconnection in read-only mode');
      return;
    }
    const kept = this.passwords.get(sessionId);
    const passwdOk = kept !== undefined && samePasswd(kept, passwd);
    if (kept !== undefined && !passwdOk) this.parts.log('warn', 'incorrect-password', { sessionId, from: connection.remoteAddress, message: 'Incorrect password' });
    finish(passwdOk && this.parts.tracker.touch(sessionId, this.parts.elapsed(), timeoutMs));
  }

  touched(): void {}

  pingZxid(receivedZxid: bigint): bigint {
    return receivedZxid;
  }

  /** A local session's close: no txn (FinalRequestProcessor closes it locally). */
  closeSession(connection: Connection, header: R.RequestHeader, startedAtMs: number): void {
    const sessionId = connection.sessionId!;
    const zxid = this.parts.tree.lastProcessedZxid;
    this.parts.queues.enqueue(connection, 0, () => {
      this.parts.tracker.remove(sessionId);
      this.passwords.delete(sessionId);
      this.parts.replies.reply(connection, header, 0, undefined, startedAtMs, zxid);
      this.parts.connections.close(connection.id, 'client closed the session');
    });
  }

  write(connection: Connection, header: R.RequestHeader, _body: Uint8Array, startedAtMs: number): void {
    this.notReadOnly(connection, header, startedAtMs);
  }

  /** ReadOnlyRequestProcessor lists sync with the writes: there is no leader to sync with. */
  sync(connection: Connection, header: R.RequestHeader, _body: Uint8Array, startedAtMs: number): void {
    this.notReadOnly(connection, header, startedAtMs);
  }

  read(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    this.parts.reads.run(connection, header, body, startedAtMs);
  }

  /** Local sessions past their timeout are closed (LocalSessionTracker's expirer); they hold no ephemerals. */
  tick(): void {
    for (const session of this.parts.tracker.expire(this.parts.elapsed())) {
      this.parts.log('info', 'session-expired', { sessionId: session.sessionId, timeoutMs: session.timeoutMs, message: 'expiring local session, timeout exceeded' });
      this.parts.tracker.remove(session.sessionId);
      this.passwords.delete(session.sessionId);
      const connection = this.parts.connections.ofSession(session.sessionId);
      if (connection !== undefined) this.parts.queues.enqueue(connection, 0, () => this.parts.connections.close(connection.id, 'session expired'));
    }
  }

  /** ReadOnlyRequestProcessor.sendErrorResponse: the header alone, with the tree's last zxid. */
  private notReadOnly(connection: Connection, header: R.RequestHeader, startedAtMs: number): void {
    const zxid = this.parts.tree.lastProcessedZxid;
    this.parts.queues.enqueue(connection, 0, () => this.parts.replies.reply(connection, header, ErrorCode.NOTREADONLY, undefined, startedAtMs, zxid));
  }
}
