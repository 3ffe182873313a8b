// The server's role as a strategy, chosen once when the pipeline is built:
// what happens to a client's session and write requests, which is where a
// standalone server or a leader (local-path.ts: prep, apply, persist or
// propose) differs from a follower or observer (forwarding-path.ts: forward to
// the leader, apply what it commits). ZooKeeper makes the same choice by
// building a different processor chain per ZooKeeperServer subclass
// (ZooKeeperServer / LeaderZooKeeperServer vs FollowerZooKeeperServer,
// ObserverZooKeeperServer). Everything else (the handshake, dispatch, reads,
// the output FIFOs, the admin views) is the same for every role.

import type * as R from '../protocol/records.ts';
import type { Connection } from './connection.ts';
import type { ServerState } from './options.ts';

export interface WritePath {
  /** What the four-letter words report as the server's mode. */
  readonly serverState: ServerState;

  /**
   * A client asked for a new session, already tracked and attached, whose
   * password is `passwd` (session-password.ts); `respond` sends the
   * ConnectResponse once its createSession is durable.
   */
  createSession(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, respond: () => void): void;

  /**
   * A client brought a session back with `passwd`: `finish(valid)`, now or
   * once the leader has answered, says whether the password is the session's
   * and the session live, having touched it if so.
   */
  reattach(connection: Connection, sessionId: bigint, timeoutMs: number, passwd: Uint8Array, finish: (valid: boolean) => void): void;

  /** A request of the connection's session has arrived and touched it. */
  touched(connection: Connection): void;

  /** The zxid a ping reply carries when it leaves; `receivedZxid` is the tree's when the ping came. */
  pingZxid(receivedZxid: bigint): bigint;

  /** closeSession, once the session is marked closing: its reply, then the connection's close, follow the txn. */
  closeSession(connection: Connection, header: R.RequestHeader, startedAtMs: number): void;

  /** A write request (request-kind.ts), decoded or not. */
  write(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void;

  sync(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void;

  /** A read request, run against the tree now or when the connection's earlier requests are answered. */
  read(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void;

  /** Session expiry and container reaping, where the role owns them. */
  tick(): void;
}
