// A request on an open session (ZooKeeperServer.processPacket): decode the
// header, touch the session, and hand the request to the part that handles
// its kind (request-kind.ts): the role's write path for sessions, writes, syncs
// and reads (write-path.ts), and here the requests every role answers the
// same way (ping, auth, SASL, a session that has expired, an unknown type).

import { assert, assertNever } from '../../lib/assert.ts';
import { ErrorCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { authenticate } from '../tree/acl.ts';
import type { Authentication } from './authentication.ts';
import type { Connection } from './connection.ts';
import type { PipelineParts } from './parts.ts';
import { requestKind } from './request-kind.ts';
import type { WritePath } from './write-path.ts';

export class RequestDispatcher {
  constructor(
    private readonly parts: PipelineParts,
    private readonly role: WritePath,
    private readonly superDigest: string | undefined,
    private readonly authentication: Authentication,
  ) {}

  /** One frame of a connection whose session is settled. */
  handlePacket(connection: Connection, payload: Uint8Array): void {
    const sessionId = connection.sessionId;
    assert(connection.state === 'open' && sessionId !== undefined, 'a request is handled only on an open connection with a session');
    const reader = decodeRecord(payload.subarray(0, 8), R.RequestHeader.read);
    if (!reader.ok) {
      this.parts.connections.close(connection.id, `malformed RequestHeader (${payload.byteLength} bytes)`);
      return;
    }
    const header = reader.value;
    const body = payload.subarray(8);
    const startedAtMs = this.parts.elapsed();
    const zxid = this.parts.tree.lastProcessedZxid;
    const kind = requestKind(header.type);
    // processPacket: every request but auth and sasl passes AuthenticationHelper first, before it touches the session.
    if (kind !== 'auth' && kind !== 'sasl' && !this.authentication.enforce(connection, header, startedAtMs)) return;
    if (!this.parts.tracker.touch(sessionId, startedAtMs)) {
      // The session expired or is closing: ZooKeeper answers SessionExpired and the client gives up.
      this.parts.connections.countRequest(connection);
      this.parts.queues.enqueue(connection, 0, () => this.parts.replies.reply(connection, header, ErrorCode.SESSIONEXPIRED, undefined, startedAtMs, this.parts.order.visibleZxid(zxid)));
      return;
    }
    this.role.touched(connection);
    this.parts.connections.countRequest(connection);
    connection.lastCxid = header.xid;
    switch (kind) {
      case 'ping':
        this.parts.queues.enqueue(connection, 0, () => this.parts.replies.ping(connection, startedAtMs, this.role.pingZxid(zxid)));
        return;
      case 'auth':
        this.auth(connection, header, body, startedAtMs);
        return;
      case 'sasl':
        this.authentication.sasl(connection, header, body, startedAtMs);
        return;
      case 'closeSession':
        this.parts.tracker.setClosing(sessionId);
        this.role.closeSession(connection, header, startedAtMs);
        return;
      case 'write':
        this.role.write(connection, header, body, startedAtMs);
        return;
      case 'sync':
        this.role.sync(connection, header, body, startedAtMs);
        return;
      case 'read':
        this.role.read(connection, header, body, startedAtMs);
        return;
      case 'createSession': // only a learner sends one, to the leader
      case 'unknown':
        // UnimplementedRequestProcessor: an Unimplemented reply, then sendCloseSession. ZooKeeper's
        // NIOServerCnxn closes when its writer reaches the close, having already read and answered
        // the requests that came with this one: here, the close waits for the end of this turn,
        // when the frames of the chunk it came in have been handled.
        this.parts.log('warn', 'unknown-request-type', { type: header.type, connectionId: connection.id });
        this.parts.queues.enqueue(connection, 0, () => {
          this.parts.replies.reply(connection, header, ErrorCode.UNIMPLEMENTED, undefined, startedAtMs, this.parts.order.visibleZxid(zxid));
          queueMicrotask(() => this.parts.connections.close(connection.id, `unknown request type ${header.type}`));
        });
        return;
      default:
        assertNever(kind);
    }
  }

  /** processPacket's auth case: the scheme's AuthenticationProvider adds ids to the connection, or it fails and the connection is closed. */
  private auth(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const decoded = decodeRecord(body, R.AuthPacket.read, true);
    const ids = decoded.ok ? authenticate(decoded.value.scheme, decoded.value.auth, connection.remoteAddress, this.superDigest) : undefined;
    if (ids !== undefined) {
      for (const id of ids) if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) connection.authIds.push(id);
      this.parts.queues.enqueue(connection, 0, () => this.parts.replies.reply(connection, header, 0, undefined, startedAtMs, 0n));
      return;
    }
    this.parts.log('warn', 'auth-failed', { scheme: decoded.ok ? decoded.value.scheme : undefined, malformed: !decoded.ok, connectionId: connection.id });
    this.parts.queues.enqueue(connection, 0, () => {
      this.parts.replies.reply(connection, header, ErrorCode.AUTHFAILED, undefined, startedAtMs, 0n);
      this.parts.connections.close(connection.id, 'authentication failed');
    });
  }
}
