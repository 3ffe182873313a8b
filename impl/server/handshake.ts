// The first frame of a connection: the ConnectRequest
// (ZooKeeperServer.processConnectRequest and finishSessionInit). A request
// with session id 0 gets a new session (its id from allocateSessionId, its
// createSession through the role's write path); one that brings a session
// back is attached to it if the role finds the password right and the session
// live (a learner may ask the leader, holding the frames that arrive
// meanwhile). A new session's password is random (session-password.ts) and
// goes with its createSession; a wrong one gets ZooKeeper's answer to any
// invalid session (ZooKeeperServer.reopenSession -> finishSessionInit(false):
// timeOut 0, session id 0, 16 zero bytes, then the close).
// The ConnectResponse joins the connection's FIFO like any reply.

import { hex } from '../../lib/hex.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import type { Connection } from './connection.ts';
import type { PipelineParts } from './parts.ts';
import type { RequestDispatcher } from './requests.ts';
import { initialSessionId, newSessionPasswd } from './session-password.ts';
import type { WritePath } from './write-path.ts';

/** Frames a connection may send while its session is being revalidated (ZooKeeper stops reading the socket instead). */
const heldFramesMax = 1000;

type SessionSettings = {
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  /** The server id in the top byte of session ids. */
  readonly serverId: number;
};

export class Handshake {
  private nextSessionId: bigint;

  constructor(
    private readonly parts: PipelineParts,
    private readonly role: WritePath,
    private readonly requests: RequestDispatcher,
    private readonly settings: SessionSettings,
  ) {
    this.nextSessionId = initialSessionId(settings.serverId, parts.startedAtMs);
  }

  /** The ConnectRequest of a connection in 'handshake'. */
  connect(connection: Connection, payload: Uint8Array): void {
    const decoded = decodeRecord(payload, R.ConnectRequest.read, true);
    if (!decoded.ok) {
      this.parts.connections.close(connection.id, `malformed ConnectRequest: ${decoded.error}`);
      return;
    }
    const request = decoded.value;
    // ZooKeeperServer.processConnectRequest: a read-only server serves only clients that asked for it (read-only-path.ts).
    if (this.role.serverState === 'read-only' && request.readOnly !== true) {
      this.parts.connections.close(connection.id, 'Refusing session request for not-read-only client');
      return;
    }
    if (request.lastZxidSeen > this.parts.tree.lastProcessedZxid) {
      this.parts.connections.close(
        connection.id,
        `client has seen zxid ${hex(request.lastZxidSeen)}, our last zxid is ${hex(this.parts.tree.lastProcessedZxid)}`,
      );
      return;
    }
    const { minSessionTimeoutMs, maxSessionTimeoutMs } = this.settings;
    const timeoutMs = Math.min(Math.max(request.timeOut, minSessionTimeoutMs), maxSessionTimeoutMs);
    // ProtocolManager: answer with the readOnly byte only if the client sent one; true from a read-only server.
    const withReadOnly = request.readOnly === undefined ? undefined : this.role.serverState === 'read-only';
    const startedAtMs = this.parts.elapsed();
    connection.state = 'open';
    connection.settingUp = true;
    this.parts.connections.countRequest(connection);
    if (request.sessionId === 0n) {
      const sessionId = this.allocateSessionId();
      const passwd = newSessionPasswd();
      this.parts.tracker.add(sessionId, timeoutMs, this.parts.elapsed());
      this.parts.connections.attach(connection, sessionId, timeoutMs);
      this.role.createSession(connection, sessionId, timeoutMs, passwd, () => this.respond(connection, sessionId, passwd, timeoutMs, true, withReadOnly, startedAtMs));
      return;
    }
    const { sessionId, passwd } = request;
    this.role.reattach(connection, sessionId, timeoutMs, passwd, (valid) => this.finishReattach(connection, sessionId, passwd, timeoutMs, valid, withReadOnly, startedAtMs));
  }

  /** A frame that arrived while the session is being revalidated: handled, in order, once it is settled. */
  hold(connection: Connection, payload: Uint8Array): void {
    if (connection.heldFrames.length >= heldFramesMax) {
      this.parts.connections.close(connection.id, `more than ${heldFramesMax} requests before the session was revalidated`);
      return;
    }
    connection.heldFrames.push(payload.slice());
  }

  /**
   * ZooKeeperServer.finishSessionInit for a session a client brought back;
   * then the frames held while the leader was asked, in order.
   */
  private finishReattach(connection: Connection, sessionId: bigint, passwd: Uint8Array, timeoutMs: number, valid: boolean, withReadOnly: boolean | undefined, startedAtMs: number): void {
    if (valid) {
      const previous = this.parts.connections.ofSession(sessionId);
      if (previous !== undefined && previous !== connection) this.parts.connections.close(previous.id, 'session moved to a new connection');
      this.parts.connections.attach(connection, sessionId, timeoutMs);
    } else {
      this.parts.log('info', 'invalid-session', { sessionId, remoteAddress: connection.remoteAddress, message: 'invalid session, probably expired' });
    }
    this.parts.queues.enqueue(connection, 0, () => this.respond(connection, sessionId, passwd, timeoutMs, valid, withReadOnly, startedAtMs));
    const held = connection.heldFrames;
    if (held.length === 0) return;
    connection.heldFrames = [];
    for (const payload of held) {
      if (connection.state !== 'open') break;
      this.requests.handlePacket(connection, payload);
    }
  }

  /**
   * ZooKeeperServer.finishSessionInit: an invalid session gets zeros and a
   * closed connection. A valid one gets its password back: the one made for
   * it, or the one the client brought, which the role has checked.
   */
  private respond(connection: Connection, sessionId: bigint, passwd: Uint8Array, timeoutMs: number, valid: boolean, withReadOnly: boolean | undefined, startedAtMs: number): void {
    connection.settingUp = false;
    this.parts.replies.connectResponse(connection, sessionId, passwd, timeoutMs, valid, withReadOnly, startedAtMs, this.parts.tree.lastProcessedZxid);
    if (!valid) this.parts.connections.close(connection.id, 'invalid session');
  }

  /**
   * The next session id (SessionTrackerImpl.createSession). 0 means "no
   * session" on the wire and "not ephemeral" in a stat, and an id may still be
   * live after a restart with a slow clock, so both are skipped.
   */
  private allocateSessionId(): bigint {
    let id = this.nextSessionId++;
    while (id === 0n || id === -(1n << 63n) || this.parts.tracker.get(id) !== undefined || this.parts.tree.sessions.has(id)) id = this.nextSessionId++;
    return id;
  }
}
