// The standalone server's request pipeline, sans-IO: frames in (one per call,
// already split by FrameDecoder), bytes and closes out through each
// connection's sink, txns out through `persist`. It plays the parts of
// ZooKeeper's ZooKeeperServer.processConnectRequest/processPacket, the
// PrepRequestProcessor -> SyncRequestProcessor -> FinalRequestProcessor chain,
// SessionTrackerImpl and ContainerManager.
//
// Ordering. Requests are handled in arrival order, one at a time. A write is
// prepped and applied to the tree at once, so the next request is validated
// against it, but nothing it produced (its reply, the watch events it fired)
// leaves the server before `persist` has made its txn durable.
//
// Each connection has its own output FIFO; an output is released when the
// persist batch it depends on is durable and everything ahead of it in that
// connection's FIFO has been released. This is ZooKeeper's CommitProcessor
// rule: a request waits only for its own session's earlier requests, so a
// read of one session is not held up by another session's writes on their
// way to disk. What a read depends on:
// - a read of a path (exists, getData, getChildren, getACL, multiRead) depends
//   on the newest non-durable txn that changed that path: the node itself, or,
//   for a create or delete, its parent too (children, cversion, pzxid). It runs
//   against the tree now, which holds that txn, so it is released only once
//   the txn is durable; a read of a path no pending txn touched is answered
//   at once, and what it shows is durable already;
// - any other read (sync, setWatches, addWatch, getAllChildrenNumber, ...)
//   depends on the newest txn of all.
// A read's reply header carries the newest zxid that is both durable and
// applied when it was read, never a non-durable one (a client reconnecting
// with a zxid the server lost would be refused). Watch events join the
// watcher's FIFO with the batch of the change, ahead of any later reply to that
// watcher, and a reply that shows the change depends on that batch: the
// client sees the event before the new data, as ZooKeeper guarantees.
//
// Group commit: all txns produced while a persist is in flight go to the next
// persist call as one batch. If persist fails the server stops, as ZooKeeper's
// SyncRequestProcessor does on a log write error: the tree already holds the
// change and cannot be rolled back.
//
// Replication (the `replication` option; without it the server is standalone).
// - LEADER (LeaderZooKeeperServer): the path above, unchanged, with zxids from
//   the epoch's first zxid and `persist` resolving when a quorum has COMMITTED
//   the batch, so "durable" reads "committed". Learners hand in their clients'
//   requests (submitForwarded: Learner.request -> LearnerHandler ->
//   PrepRequestProcessor); they are prepped and applied into the current batch
//   like local writes but answered by the learner, not here. Session expiry
//   stays here (the leader's SessionTrackerImpl), fed by the learners' touches.
// - LEARNER (FollowerZooKeeperServer / ObserverZooKeeperServer): the tree holds
//   committed txns only; the runner hands each in with applyCommitted, in zxid
//   order. Writes, createSession and closeSession are forwarded, never applied
//   here; the reply of a forwarded request waits in its connection's FIFO until
//   its txn (same sessionId and cxid) commits and is built from the apply result
//   as the leader would build it (CommitProcessor matching the committed request
//   with the local one, then FinalRequestProcessor). A read runs against the
//   committed tree, but only once everything ahead of it in its connection's FIFO
//   has been released, so a session reads its own writes (CommitProcessor holds
//   a session's reads behind its pending writes). Watch events go out when the
//   txn is applied, ahead of anything still waiting, as NIOServerCnxn.process
//   sends them. A sync is forwarded too and released by leaderSynced(), which
//   pops the oldest pending sync (FollowerZooKeeperServer.pendingSyncs): the
//   leader's runner answers each forwarded sync with a SYNC right after the
//   COMMIT of the last txn prepped before it (Leader.processSync; see
//   lastPreppedZxid), and the quorum channel is FIFO.
// Session ids carry the allocating server's id in their top byte, so a
// learner's and the leader's never collide.

import { ErrorCode, KeeperState, OpCode, Perms, Xid, opCodeName } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { frame } from '../protocol/frame-decoder.ts';
import { authenticate, checkACL } from '../tree/acl.ts';
import { DataTree, type TxnResult, type WatchEvent } from '../tree/data-tree.ts';
import { prepRequest, type WriteRequest } from '../tree/prep.ts';
import type { Txn, TxnOp } from '../tree/txn.ts';
import { assert, assertNever } from '../../lib/assert.ts';
import { checkPasswd, generatePasswd, initialSessionId } from './session-password.ts';
import { SessionTouches, SessionTracker } from './session-tracker.ts';
import { LatencyStats, type ConnectionInfo, type ServerStats } from './stats.ts';
import { readRequest, wholeTree, type ReadDependency } from './reads.ts';
import { sessionIdHex, hex } from '../../lib/hex.ts';
import { newConnection, type Connection, type ConnectionSink, type Forwarded, type Output } from './connection.ts';
import type { ForwardedRequest, Logger, Replication, ServerCoreOptions, ServerState, SessionTouch } from './options.ts';

export type { ConnectionSink } from './connection.ts';
export type { ForwardedRequest, Logger, LogLevel, Replication, ServerCoreOptions, ServerState, SessionTouch } from './options.ts';

/** Frames a connection may send while its session is being revalidated (ZooKeeper stops reading the socket instead). */
const heldFramesMax = 1000;

export class ServerCore {
  readonly tree: DataTree;
  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  private readonly options: ServerCoreOptions;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly tracker: SessionTracker;
  private readonly connections = new Map<number, Connection>();
  private readonly sessionConnection = new Map<bigint, number>();
  private nextConnectionId = 1;
  private nextSessionId: bigint;
  private nextZxid: bigint;

  // Output FIFOs and group commit.
  /** Connections whose FIFO holds outputs waiting for a batch. */
  private readonly waiting = new Set<Connection>();
  /** Path -> the newest batch with a txn that changed it; entries at or below durableBatch are stale. */
  private readonly pendingPaths = new Map<string, number>();
  /** The batch of the newest txn applied. */
  private lastTxnBatch = 0;
  private batchTxns: Txn[] = [];
  private currentBatch = 1;
  private durableBatch = 0;
  private persisting = false;
  private stopped = false;
  private durableZxid: bigint;
  private lastContainerCheckMs: number;

  // Replication.
  private readonly replication: Replication | undefined;
  /** Learner: forwarded syncs waiting for the leader's SYNC, oldest first (FollowerZooKeeperServer.pendingSyncs). */
  private readonly pendingSyncs: { readonly output: Output; readonly release: () => void }[] = [];
  /** Learner: local sessions touched since the last drain (LearnerSessionTracker's touchTable). */
  private readonly touches = new SessionTouches();

  // Server-wide stats.
  private packetsReceived = 0;
  private packetsSent = 0;
  private readonly latency = new LatencyStats();
  /** Requests received and not yet answered, over all open connections. */
  private outstandingTotal = 0;
  private txnsPersisted = 0;
  private persistBatches = 0;
  readonly startedAtMs: number;

  constructor(options: ServerCoreOptions = {}) {
    this.options = options;
    this.now = options.now ?? Date.now;
    this.log = options.log ?? (() => {});
    this.tickTimeMs = options.tickTimeMs ?? 3000;
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 2 * this.tickTimeMs;
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 20 * this.tickTimeMs;
    this.tree = options.tree ?? new DataTree();
    this.tracker = new SessionTracker(this.tickTimeMs);
    this.startedAtMs = this.now();
    this.lastContainerCheckMs = this.startedAtMs;
    this.nextSessionId = initialSessionId(options.serverId ?? 1, this.startedAtMs);
    this.replication = options.replication;
    this.nextZxid = this.tree.lastProcessedZxid + 1n;
    if (this.replication?.role === 'leader') {
      const { firstZxid } = this.replication;
      assert(firstZxid > this.tree.lastProcessedZxid, () => `leader's first zxid ${hex(firstZxid)} is not above the tree's ${hex(this.tree.lastProcessedZxid)}`);
      this.nextZxid = firstZxid;
    }
    this.durableZxid = this.tree.lastProcessedZxid;
    // Sessions recovered from the snapshot and log live on until they expire or
    // their clients reconnect (ZooKeeperServer.loadData re-tracks them). A
    // learner tracks only the sessions of its own clients; the leader expires
    // the others.
    if (!this.isLearner) for (const [sessionId, timeoutMs] of this.tree.sessions) this.tracker.add(sessionId, timeoutMs, this.startedAtMs);
  }

  private get isLearner(): boolean {
    return this.replication?.role === 'learner';
  }

  /** What the four-letter words report as the server's mode (srvr's "Mode:", mntr's zk_server_state). */
  get serverState(): ServerState {
    const replication = this.replication;
    if (replication === undefined) return 'standalone';
    return replication.role === 'leader' ? 'leader' : (replication.learnerType ?? 'follower');
  }

  // ---- connections --------------------------------------------------------------

  openConnection(sink: ConnectionSink, remoteAddress: string, remotePort: number): number {
    const id = this.nextConnectionId++;
    this.connections.set(id, newConnection(id, sink, remoteAddress, remotePort, this.now(), this.stopped ? 'closed' : 'handshake'));
    if (this.stopped) sink.close('server stopped');
    return id;
  }

  /**
   * Requests received and not yet answered, over all connections: what
   * ZooKeeper compares with globalOutstandingLimit to stop reading from
   * clients (ServerCnxn.disableRecv) until the server catches up.
   */
  get outstandingRequests(): number {
    return this.outstandingTotal;
  }

  private countRequest(connection: Connection): void {
    connection.outstandingRequests++;
    this.outstandingTotal++;
  }

  /** The transport saw the connection end (client closed, socket error). The session lives on until it expires. */
  connectionClosed(connectionId: number): void {
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return;
    connection.state = 'closed';
    this.connections.delete(connectionId);
    this.outstandingTotal -= connection.outstandingRequests;
    connection.outstandingRequests = 0;
    // What it still had waiting can no longer be sent.
    connection.outputs = [];
    connection.outputsHead = 0;
    connection.forwarded = [];
    connection.forwardedHead = 0;
    connection.heldFrames = [];
    this.waiting.delete(connection);
    this.tree.removeWatcher(connectionId);
    if (connection.sessionId !== undefined && this.sessionConnection.get(connection.sessionId) === connectionId) {
      this.sessionConnection.delete(connection.sessionId);
    }
  }

  /** Closes a connection from the server side (bad input, expired session, closeSession). */
  closeConnection(connectionId: number, reason: string): void {
    const connection = this.connections.get(connectionId);
    if (connection === undefined || connection.state === 'closed') return;
    this.log('info', `closing connection ${connectionId} (${connection.remoteAddress}:${connection.remotePort}): ${reason}`);
    this.connectionClosed(connectionId);
    connection.sink.close(reason);
  }

  /** One complete frame from a connection. */
  receiveFrame(connectionId: number, payload: Uint8Array): void {
    const connection = this.connections.get(connectionId);
    if (connection === undefined || connection.state === 'closed') return;
    this.packetsReceived++;
    connection.packetsReceived++;
    if (connection.state === 'handshake') this.handleConnect(connection, payload);
    else if (connection.state === 'revalidating') this.holdFrame(connection, payload);
    else this.handlePacket(connection, payload);
  }

  private holdFrame(connection: Connection, payload: Uint8Array): void {
    if (connection.heldFrames.length >= heldFramesMax) {
      this.closeConnection(connection.id, `more than ${heldFramesMax} requests before the session was revalidated`);
      return;
    }
    connection.heldFrames.push(payload.slice());
  }

  // ---- handshake (ZooKeeperServer.processConnectRequest) ------------------------

  private handleConnect(connection: Connection, payload: Uint8Array): void {
    const decoded = decodeRecord(payload, R.ConnectRequest.read, true);
    if (!decoded.ok) {
      this.closeConnection(connection.id, `malformed ConnectRequest: ${decoded.error}`);
      return;
    }
    const request = decoded.value;
    if (request.lastZxidSeen > this.tree.lastProcessedZxid) {
      this.closeConnection(
        connection.id,
        `client has seen zxid ${hex(request.lastZxidSeen)}, our last zxid is ${hex(this.tree.lastProcessedZxid)}`,
      );
      return;
    }
    const timeoutMs = Math.min(Math.max(request.timeOut, this.minSessionTimeoutMs), this.maxSessionTimeoutMs);
    // ProtocolManager: answer with the readOnly byte only if the client sent one.
    const withReadOnly = request.readOnly !== undefined;
    const startedAtMs = this.now();
    connection.state = 'open';
    this.countRequest(connection);
    if (request.sessionId === 0n) {
      const sessionId = this.allocateSessionId();
      this.tracker.add(sessionId, timeoutMs, this.now());
      this.attach(connection, sessionId, timeoutMs);
      if (this.isLearner) {
        // The learner picks the id and the leader logs the createSession
        // (Learner.request sends the timeout as the body); the client hears
        // of its session once that txn has committed.
        this.touches.touch(sessionId, timeoutMs);
        const body = new Uint8Array(4);
        new DataView(body.buffer).setInt32(0, timeoutMs);
        this.forward(connection, 'createSession', { sessionId, cxid: 0, type: OpCode.createSession, body, authIds: [] }, () => () =>
          this.sendConnectResponse(connection, sessionId, timeoutMs, true, withReadOnly, startedAtMs),
        );
        return;
      }
      const { batch } = this.submitTxn(sessionId, 0, { type: OpCode.createSession, timeOut: timeoutMs });
      this.enqueue(connection, batch, () => this.sendConnectResponse(connection, sessionId, timeoutMs, true, withReadOnly, startedAtMs));
      return;
    }
    const sessionId = request.sessionId;
    const revalidate = this.replication?.role === 'learner' ? this.replication.revalidate : undefined;
    if (revalidate !== undefined && checkPasswd(sessionId, request.passwd) && this.tracker.get(sessionId)?.closing !== true) {
      // LearnerZooKeeperServer.revalidateSession -> Learner.validateSession:
      // the leader's tracker decides; nothing more is read from the client
      // until it has (NIOServerCnxn.disableRecv), so later frames are held.
      connection.state = 'revalidating';
      const settle = (valid: boolean) => this.finishRevalidation(connection, sessionId, timeoutMs, valid, withReadOnly, startedAtMs);
      revalidate(sessionId, timeoutMs).then(settle, (error: unknown) => {
        this.log('warn', `revalidating session ${sessionIdHex(sessionId)} failed: ${error instanceof Error ? error.message : String(error)}`);
        settle(false);
      });
      return;
    }
    const valid = checkPasswd(sessionId, request.passwd) && this.reattachSession(sessionId, timeoutMs);
    this.finishReattach(connection, sessionId, timeoutMs, valid, withReadOnly, startedAtMs);
  }

  /** ZooKeeperServer.finishSessionInit for a session a client brought back. */
  private finishReattach(connection: Connection, sessionId: bigint, timeoutMs: number, valid: boolean, withReadOnly: boolean, startedAtMs: number): void {
    if (valid) {
      const previous = this.sessionConnection.get(sessionId);
      if (previous !== undefined && previous !== connection.id) this.closeConnection(previous, 'session moved to a new connection');
      this.attach(connection, sessionId, timeoutMs);
    } else {
      this.log('info', `invalid session ${sessionIdHex(sessionId)} from ${connection.remoteAddress}, probably expired`);
    }
    this.enqueue(connection, 0, () => this.sendConnectResponse(connection, sessionId, timeoutMs, valid, withReadOnly, startedAtMs));
  }

  /** The leader's answer to REVALIDATE: the connect is answered, then the frames held meanwhile are handled in order. */
  private finishRevalidation(connection: Connection, sessionId: bigint, timeoutMs: number, valid: boolean, withReadOnly: boolean, startedAtMs: number): void {
    if (this.stopped || connection.state !== 'revalidating') return; // closed meanwhile
    connection.state = 'open';
    if (valid) this.trackLocally(sessionId, timeoutMs);
    this.finishReattach(connection, sessionId, timeoutMs, valid, withReadOnly, startedAtMs);
    const held = connection.heldFrames;
    connection.heldFrames = [];
    for (const payload of held) {
      if (connection.state !== 'open') break;
      this.handlePacket(connection, payload);
    }
  }

  /** Learner: a session with a client here, tracked for touches and stats (never expired here). */
  private trackLocally(sessionId: bigint, timeoutMs: number): void {
    if (this.tracker.get(sessionId) === undefined) this.tracker.add(sessionId, timeoutMs, this.now());
    else this.tracker.touch(sessionId, this.now(), timeoutMs);
    this.touches.touch(sessionId, timeoutMs);
  }

  /**
   * Whether a session a client reconnects with is live, touching it if so.
   * A learner without `revalidate` takes the committed tree's word for it:
   * ZooKeeper's learner asks the leader (REVALIDATE, answered from the
   * leader's session tracker), which also knows a session the leader has
   * begun to expire and whose closeSession has not committed yet; this check
   * is weaker in that window (the client is let in, then closed when the
   * closeSession commits).
   */
  private reattachSession(sessionId: bigint, timeoutMs: number): boolean {
    if (!this.isLearner) return this.tracker.touch(sessionId, this.now(), timeoutMs);
    if (!this.tree.sessions.has(sessionId)) return false;
    if (this.tracker.get(sessionId)?.closing === true) return false; // its closeSession is on its way
    this.trackLocally(sessionId, timeoutMs);
    return true;
  }

  /**
   * The next session id. 0 means "no session" on the wire and "not ephemeral" in
   * a stat, and an id may still be live after a restart with a slow clock, so
   * both are skipped.
   */
  private allocateSessionId(): bigint {
    let id = this.nextSessionId++;
    while (id === 0n || id === -(1n << 63n) || this.tracker.get(id) !== undefined || this.tree.sessions.has(id)) id = this.nextSessionId++;
    return id;
  }

  private attach(connection: Connection, sessionId: bigint, timeoutMs: number): void {
    connection.sessionId = sessionId;
    connection.sessionTimeoutMs = timeoutMs;
    this.sessionConnection.set(sessionId, connection.id);
  }

  /** ZooKeeperServer.finishSessionInit: an invalid session gets zeros and a closed connection. */
  private sendConnectResponse(connection: Connection, sessionId: bigint, timeoutMs: number, valid: boolean, withReadOnly: boolean, startedAtMs: number): void {
    const response: R.ConnectResponse = {
      protocolVersion: 0,
      timeOut: valid ? timeoutMs : 0,
      sessionId: valid ? sessionId : 0n,
      passwd: valid ? generatePasswd(sessionId) : new Uint8Array(16),
      readOnly: withReadOnly ? false : undefined,
    };
    this.send(connection, encodeRecord(response, R.ConnectResponse.write), startedAtMs, 'SESS', -1, this.tree.lastProcessedZxid);
    if (!valid) this.closeConnection(connection.id, 'invalid session');
  }

  // ---- requests (processPacket + the processor chain) ------------------------------

  private handlePacket(connection: Connection, payload: Uint8Array): void {
    const sessionId = connection.sessionId!;
    const reader = decodeRecord(payload.subarray(0, 8), R.RequestHeader.read);
    if (!reader.ok) {
      this.closeConnection(connection.id, `malformed RequestHeader (${payload.byteLength} bytes)`);
      return;
    }
    const header = reader.value;
    const body = payload.subarray(8);
    const startedAtMs = this.now();
    const zxid = this.tree.lastProcessedZxid;
    if (!this.tracker.touch(sessionId, startedAtMs)) {
      // The session expired or is closing: ZooKeeper answers SessionExpired and the client gives up.
      this.countRequest(connection);
      this.enqueue(connection, 0, () => this.reply(connection, header, ErrorCode.SESSIONEXPIRED, undefined, startedAtMs, this.visibleZxid(zxid)));
      return;
    }
    if (this.isLearner) this.touches.touch(sessionId, connection.sessionTimeoutMs!);
    this.countRequest(connection);
    connection.lastCxid = header.xid;
    switch (header.type) {
      case OpCode.ping:
        // A learner's ping may wait behind forwarded writes; FinalRequestProcessor
        // stamps it with the tree's zxid when it gets there.
        this.enqueue(connection, 0, () =>
          this.reply(connection, { xid: Xid.ping, type: OpCode.ping }, 0, undefined, startedAtMs, this.isLearner ? this.tree.lastProcessedZxid : this.visibleZxid(zxid)),
        );
        return;
      case OpCode.auth:
        this.handleAuth(connection, header, body, startedAtMs);
        return;
      case OpCode.closeSession: {
        this.tracker.setClosing(sessionId);
        if (this.isLearner) {
          const request = { sessionId, cxid: header.xid, type: OpCode.closeSession, body: new Uint8Array(0), authIds: [...connection.authIds] };
          this.forward(connection, 'closeSession', request, () => {
            const closeZxid = this.tree.lastProcessedZxid;
            return () => {
              this.reply(connection, header, 0, undefined, startedAtMs, closeZxid);
              this.closeConnection(connection.id, 'client closed the session');
            };
          });
          return;
        }
        const { batch } = this.submitTxn(sessionId, header.xid, { type: OpCode.closeSession });
        const closeZxid = this.tree.lastProcessedZxid;
        this.enqueue(connection, batch, () => {
          this.reply(connection, header, 0, undefined, startedAtMs, closeZxid);
          this.closeConnection(connection.id, 'client closed the session');
        });
        return;
      }
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
      case OpCode.createTTL:
      case OpCode.delete:
      case OpCode.setData:
      case OpCode.setACL:
      case OpCode.check:
      case OpCode.multi:
      case OpCode.reconfig:
        this.handleWrite(connection, header, body, startedAtMs);
        return;
      case OpCode.sync:
        if (this.isLearner) this.handleLearnerSync(connection, header, body, startedAtMs);
        else this.handleRead(connection, header, body, startedAtMs);
        return;
      case OpCode.exists:
      case OpCode.getData:
      case OpCode.getACL:
      case OpCode.getChildren:
      case OpCode.getChildren2:
      case OpCode.getAllChildrenNumber:
      case OpCode.setWatches:
      case OpCode.setWatches2:
      case OpCode.addWatch:
      case OpCode.checkWatches:
      case OpCode.removeWatches:
      case OpCode.getEphemerals:
      case OpCode.multiRead:
      case OpCode.whoAmI:
        this.handleRead(connection, header, body, startedAtMs);
        return;
      default:
        // UnimplementedRequestProcessor: an Unimplemented reply, then the connection is closed.
        this.log('warn', `unknown request type ${header.type} from connection ${connection.id}`);
        this.enqueue(connection, 0, () => {
          this.reply(connection, header, ErrorCode.UNIMPLEMENTED, undefined, startedAtMs, this.visibleZxid(zxid));
          this.closeConnection(connection.id, `unknown request type ${header.type}`);
        });
    }
  }

  private handleAuth(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const decoded = decodeRecord(body, R.AuthPacket.read, true);
    const ids = decoded.ok ? authenticate(decoded.value.scheme, decoded.value.auth, connection.remoteAddress, this.options.superDigest) : undefined;
    if (ids !== undefined) {
      for (const id of ids) if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) connection.authIds.push(id);
      this.enqueue(connection, 0, () => this.reply(connection, header, 0, undefined, startedAtMs, 0n));
      return;
    }
    this.log('warn', `authentication failed for scheme ${decoded.ok ? decoded.value.scheme : '(malformed)'} on connection ${connection.id}`);
    this.enqueue(connection, 0, () => {
      this.reply(connection, header, ErrorCode.AUTHFAILED, undefined, startedAtMs, 0n);
      this.closeConnection(connection.id, 'authentication failed');
    });
  }

  private handleWrite(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const sessionId = connection.sessionId!;
    if (this.isLearner) {
      // Forwarded as received, even if it does not decode: the leader's prep
      // turns it into the error txn, which takes a zxid as it would here.
      const request = { sessionId, cxid: header.xid, type: header.type, body: body.slice(), authIds: [...connection.authIds] };
      this.forward(connection, 'write', request, (outcome) => {
        const { err, response } = writeResponse(outcome);
        const zxid = this.tree.lastProcessedZxid;
        return () => this.reply(connection, header, err, response, startedAtMs, zxid);
      });
      return;
    }
    const request = decodeWrite(header.type, body);
    if (request === undefined) {
      // A body that does not decode becomes an error txn (pRequest's catch-all: MarshallingError).
      const { batch, outcome } = this.submitErrorTxn(sessionId, header.xid, ErrorCode.MARSHALLINGERROR);
      const zxid = this.tree.lastProcessedZxid;
      this.enqueue(connection, batch, () => this.reply(connection, header, outcome.err, undefined, startedAtMs, zxid));
      return;
    }
    if (request === 'reconfig') {
      const { batch, outcome } = this.submitErrorTxn(sessionId, header.xid, ErrorCode.RECONFIGDISABLED);
      const zxid = this.tree.lastProcessedZxid;
      this.enqueue(connection, batch, () => this.reply(connection, header, outcome.err, undefined, startedAtMs, zxid));
      return;
    }
    const { batch, outcome } = this.submitTxn(sessionId, header.xid, request, connection.authIds);
    const { err, response } = writeResponse(outcome);
    const zxid = this.tree.lastProcessedZxid;
    this.enqueue(connection, batch, () => this.reply(connection, header, err, response, startedAtMs, zxid));
  }

  /**
   * FinalRequestProcessor's read cases: run against the tree now, released in
   * order. On a learner, a read behind anything still waiting in its
   * connection's FIFO (a forwarded write, a sync) runs when it reaches the
   * head instead, so it sees the session's own writes.
   */
  private handleRead(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    if (this.isLearner && connection.outputsHead < connection.outputs.length) {
      this.pushOutput(connection, { batch: 0, deliver: () => this.runRead(connection, header, body, startedAtMs).deliver() });
      return;
    }
    const { batch, deliver } = this.runRead(connection, header, body, startedAtMs);
    this.enqueue(connection, batch, deliver);
  }

  /** Runs a read against the tree now; its reply (and the events setWatches fired) go out when `deliver` is called, once `batch` is durable. */
  private runRead(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): { batch: number; deliver: () => void } {
    const read = readRequest(this.tree, connection, header.type, body);
    const batch = this.readBatch(read.dependsOn);
    const zxid = this.tree.lastProcessedZxid;
    return {
      batch,
      deliver: () => {
        if (read.events !== undefined) for (const event of read.events) this.deliverEvent(event);
        this.reply(connection, header, read.err, read.response, startedAtMs, this.visibleZxid(zxid));
      },
    };
  }

  /**
   * A learner's sync: forwarded, and answered once the leader's SYNC for it
   * has come back (leaderSynced), by which time everything the leader had
   * proposed before it has been applied here.
   */
  private handleLearnerSync(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const decoded = decodeRecord(body, R.SyncRequest.read, true);
    if (!decoded.ok) {
      this.handleRead(connection, header, body, startedAtMs); // MarshallingError, answered here
      return;
    }
    const { path } = decoded.value;
    const output: Output = { batch: 0, deliver: undefined };
    this.pushOutput(connection, output);
    this.pendingSyncs.push({
      output,
      release: () => {
        // Stamped when it leaves, not when the SYNC came: a write of the same
        // session ahead of it in the FIFO may commit in between, and the zxids
        // a client sees must not go backwards.
        output.deliver = () => this.reply(connection, header, 0, encodeRecord({ path }, R.SyncResponse.write), startedAtMs, this.tree.lastProcessedZxid);
        this.releaseConnection(connection);
      },
    });
    this.learnerForward({ sessionId: connection.sessionId!, cxid: header.xid, type: OpCode.sync, body: body.slice(), authIds: [...connection.authIds] });
  }

  // ---- txns, group commit and the output FIFO -------------------------------------

  private takeZxid(): bigint {
    return this.nextZxid++;
  }

  /** Preps and applies one write; its outputs must wait for the returned batch. */
  private submitTxn(sessionId: bigint, cxid: number, request: WriteRequest, authIds: readonly R.Id[] = []): { batch: number; outcome: TxnResult } {
    const txn = prepRequest(this.tree, request, {
      sessionId,
      cxid,
      // Taken only once prep has returned: a prep that throws leaves no gap in the zxids.
      zxid: this.nextZxid,
      time: BigInt(this.now()),
      authIds,
      extendedTypesEnabled: this.options.extendedTypesEnabled ?? false,
    });
    this.takeZxid();
    return this.applyAndLog(txn);
  }

  private submitErrorTxn(sessionId: bigint, cxid: number, err: number): { batch: number; outcome: TxnResult } {
    return this.applyAndLog({ sessionId, cxid, zxid: this.takeZxid(), time: BigInt(this.now()), body: { type: 'error', err } });
  }

  private applyAndLog(txn: Txn): { batch: number; outcome: TxnResult } {
    const batch = this.currentBatch;
    if (this.options.persist !== undefined) this.markPending(txn, batch);
    const { result, events } = this.tree.applyTxn(txn);
    if (txn.body.type === 'closeSession') {
      this.tracker.remove(txn.sessionId);
    }
    this.lastTxnBatch = batch;
    this.batchTxns.push(txn);
    // First: an in-memory server makes the batch durable here, so the events go out at once.
    this.scheduleFlush();
    for (const event of events) {
      const watcher = this.connections.get(event.watcher);
      if (watcher !== undefined) this.enqueue(watcher, batch, () => this.deliverEvent(event));
    }
    return { batch, outcome: result };
  }

  /** Records the paths whose reads must wait for `batch` (see the ordering note at the top). */
  private markPending(txn: Txn, batch: number): void {
    const body = txn.body;
    switch (body.type) {
      case 'multi':
        for (const op of body.ops) this.markPendingOp(op, batch);
        return;
      case 'closeSession':
        for (const path of body.paths2Delete) this.markPendingChild(path, batch);
        // Whatever else the tree deletes for the session (it should be the same list).
        for (const path of this.tree.getEphemerals(txn.sessionId)) this.markPendingChild(path, batch);
        return;
      case 'createSession':
        return;
      default:
        this.markPendingOp(body, batch);
    }
  }

  private markPendingOp(op: TxnOp, batch: number): void {
    switch (op.type) {
      case 'create':
      case 'createContainer':
      case 'createTTL':
      case 'delete':
        this.markPendingChild(op.path, batch);
        return;
      case 'setData':
      case 'setACL':
        this.pendingPaths.set(op.path, batch);
        return;
      case 'check':
      case 'error':
        return;
      default:
        assertNever(op);
    }
  }

  /** A created or deleted node changes its parent's children, cversion and pzxid too. */
  private markPendingChild(path: string, batch: number): void {
    this.pendingPaths.set(path, batch);
    const slash = path.lastIndexOf('/');
    this.pendingPaths.set(slash <= 0 ? '/' : path.slice(0, slash), batch);
  }

  /** The batch a read's reply must wait for. */
  private readBatch(dependency: ReadDependency): number {
    if (typeof dependency === 'string') return this.pathBatch(dependency);
    if (dependency === wholeTree) return this.lastTxnBatch;
    let batch = 0;
    for (const path of dependency) batch = Math.max(batch, this.pathBatch(path));
    return batch;
  }

  /** The batch a read of `path` must wait for: 0 when every change to it is durable. */
  private pathBatch(path: string): number {
    const batch = this.pendingPaths.get(path);
    return batch === undefined || batch <= this.durableBatch ? 0 : batch;
  }

  /** The zxid a read's reply carries: what it saw, but never beyond what is durable. */
  private visibleZxid(readZxid: bigint): bigint {
    return readZxid < this.durableZxid ? readZxid : this.durableZxid;
  }

  private scheduleFlush(): void {
    if (this.options.persist === undefined) {
      // In-memory: a txn is "durable" as soon as it is applied.
      this.txnsPersisted += this.batchTxns.length;
      this.batchTxns = [];
      this.durableBatch = this.currentBatch++;
      this.durableZxid = this.tree.lastProcessedZxid;
      return;
    }
    if (this.replication?.role === 'leader') {
      // A leader pipelines: each batch is proposed as soon as it is complete
      // (the txns of one turn of the event loop), without waiting for the
      // previous one to commit, as ZooKeeper's ProposalRequestProcessor does.
      // Waiting would cap throughput at one batch per quorum round trip.
      // Commits, and so persist's promises, complete in zxid order.
      if (!this.flushQueued) {
        this.flushQueued = true;
        queueMicrotask(() => {
          this.flushQueued = false;
          void this.flush();
        });
      }
      return;
    }
    if (!this.persisting) queueMicrotask(() => void this.flush());
  }

  private flushQueued = false;
  private batchesInFlight = 0;

  private async flush(): Promise<void> {
    const persist = this.options.persist;
    const pipelined = this.replication?.role === 'leader';
    if (persist === undefined || (this.persisting && !pipelined) || this.batchTxns.length === 0 || this.stopped) return;
    const txns = this.batchTxns;
    const batch = this.currentBatch;
    this.batchTxns = [];
    this.currentBatch++;
    this.persisting = true;
    this.batchesInFlight++;
    try {
      await persist(txns);
    } catch (error) {
      this.batchesInFlight--;
      this.persisting = this.batchesInFlight > 0;
      this.fail(error);
      return;
    }
    this.batchesInFlight--;
    this.persisting = this.batchesInFlight > 0;
    assert(batch === this.durableBatch + 1 || this.stopped, () => `persist batch ${batch} completed after batch ${this.durableBatch}: out of order`);
    this.txnsPersisted += txns.length;
    this.persistBatches++;
    this.durableBatch = batch;
    for (const txn of txns) if (txn.zxid > this.durableZxid) this.durableZxid = txn.zxid;
    for (const [path, pathBatch] of this.pendingPaths) if (pathBatch <= batch) this.pendingPaths.delete(path);
    this.release();
    if (this.batchTxns.length > 0 && !pipelined) void this.flush();
  }

  private fail(error: unknown): void {
    this.log('error', `persist failed, stopping the server: ${error instanceof Error ? error.message : String(error)}`);
    this.stop();
    this.options.onFatal?.(error);
  }

  /** Stops serving: every connection is closed and new ones are refused. Pending outputs are dropped. */
  stop(): void {
    this.stopped = true;
    for (const connection of this.waiting) {
      connection.outputs = [];
      connection.outputsHead = 0;
    }
    this.waiting.clear();
    for (const id of [...this.connections.keys()]) this.closeConnection(id, 'server stopping');
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private enqueue(connection: Connection, batch: number, deliver: () => void): void {
    if (this.stopped || connection.state === 'closed') return;
    if (connection.outputsHead === connection.outputs.length && batch <= this.durableBatch) {
      deliver();
      return;
    }
    this.pushOutput(connection, { batch, deliver });
  }

  /** Appends to the connection's FIFO without trying to deliver. */
  private pushOutput(connection: Connection, output: Output): void {
    if (this.stopped || connection.state === 'closed') return;
    connection.outputs.push(output);
    this.waiting.add(connection);
  }

  private release(): void {
    for (const connection of this.waiting) this.releaseConnection(connection);
  }

  /** Delivers the connection's outputs from the head up to the first that must still wait. */
  private releaseConnection(connection: Connection): void {
    let head = connection.outputsHead;
    while (head < connection.outputs.length) {
      const output = connection.outputs[head]!;
      if (output.batch > this.durableBatch || output.deliver === undefined) break;
      connection.outputsHead = ++head;
      output.deliver();
      // A delivery may close the connection, which empties its FIFO.
      head = connection.outputsHead;
    }
    if (connection.outputsHead === connection.outputs.length) {
      connection.outputs = [];
      connection.outputsHead = 0;
      this.waiting.delete(connection);
    } else if (connection.outputsHead > 1024 && connection.outputsHead * 2 > connection.outputs.length) {
      // Compact once the consumed prefix dominates (avoids queue.shift()).
      connection.outputs = connection.outputs.slice(connection.outputsHead);
      connection.outputsHead = 0;
    }
  }

  // ---- replication: the learner's side ----------------------------------------------

  private learnerForward(request: ForwardedRequest): void {
    const replication = this.replication;
    assert(replication?.role === 'learner', 'only a learner forwards requests');
    replication.forward(request);
  }

  /** Forwards a request whose reply waits, in the connection's FIFO, for its txn to commit. */
  private forward(connection: Connection, kind: Forwarded['kind'], request: ForwardedRequest, onCommit: Forwarded['onCommit']): void {
    if (this.stopped || connection.state === 'closed') return;
    const output: Output = { batch: 0, deliver: undefined };
    // Queued before it leaves, in case the runner commits it before forward returns.
    this.pushOutput(connection, output);
    connection.forwarded.push({ cxid: request.cxid, kind, output, onCommit });
    this.learnerForward(request);
  }

  /**
   * Learner: a txn the leader has committed, handed in in zxid order (a
   * follower's COMMIT, an observer's INFORM). Applies it, sends the watch
   * events it fires, and releases the reply of the local request it answers:
   * the oldest forwarded request of the session's connection, if its cxid and
   * kind match (CommitProcessor's match of a committed request with the
   * pending local one). A closeSession that answers no local request (the
   * leader expired the session, or the client closed it through another
   * server) closes the session's local connection.
   */
  applyCommitted(txn: Txn): void {
    assert(this.isLearner, 'applyCommitted is for a learner; a leader applies its own txns');
    // Applied even once stopped: the tree must follow the commits (its
    // connections are closed, so nothing is sent).
    if (txn.zxid <= this.tree.lastProcessedZxid) {
      this.log('warn', `ignoring committed txn ${hex(txn.zxid)}: the tree is at ${hex(this.tree.lastProcessedZxid)} already`);
      return;
    }
    const { result, events } = this.tree.applyTxn(txn);
    this.durableZxid = txn.zxid;
    if (txn.body.type === 'closeSession') {
      this.tracker.remove(txn.sessionId);
      this.touches.forget(txn.sessionId);
    }
    // NIOServerCnxn.process sends an event at once, ahead of replies still waiting.
    for (const event of events) this.deliverEvent(event);
    const connection = this.sessionConnectionOf(txn.sessionId);
    if (connection === undefined) return;
    const pending = connection.forwarded[connection.forwardedHead];
    if (pending !== undefined && pending.cxid === txn.cxid && pending.kind === forwardedKind(txn)) {
      if (++connection.forwardedHead === connection.forwarded.length) {
        connection.forwarded = [];
        connection.forwardedHead = 0;
      } else if (connection.forwardedHead > 1024 && connection.forwardedHead * 2 > connection.forwarded.length) {
        connection.forwarded = connection.forwarded.slice(connection.forwardedHead);
        connection.forwardedHead = 0;
      }
      pending.output.deliver = pending.onCommit(result);
      this.releaseConnection(connection);
      return;
    }
    // The leader's own closeSession (expiry) has cxid 0; a client's has its xid.
    if (txn.body.type === 'closeSession') this.closeConnection(connection.id, txn.cxid === 0 ? 'session expired' : 'session closed through another server');
  }

  private sessionConnectionOf(sessionId: bigint): Connection | undefined {
    const connectionId = this.sessionConnection.get(sessionId);
    return connectionId === undefined ? undefined : this.connections.get(connectionId);
  }

  /**
   * Learner: the leader's SYNC for the oldest sync this server forwarded
   * (FollowerZooKeeperServer.sync pops pendingSyncs). Everything the leader had
   * proposed before that sync has been handed to applyCommitted by now.
   */
  leaderSynced(): void {
    assert(this.isLearner, 'leaderSynced is for a learner');
    const pending = this.pendingSyncs.shift();
    if (pending === undefined) {
      this.log('warn', 'SYNC from the leader with no sync pending');
      return;
    }
    pending.release();
  }

  /** Learner: the local sessions touched since the last call, for the runner's PING reply (LearnerSessionTracker.snapshot). */
  drainSessionTouches(): SessionTouch[] {
    return this.touches.drain();
  }

  // ---- replication: the leader's side ------------------------------------------------

  /**
   * Leader: a request a learner forwarded for one of its clients
   * (LearnerHandler's REQUEST into the leader's PrepRequestProcessor). Writes,
   * createSession and closeSession are prepped and applied into the current
   * batch like local writes; nothing is sent from here, the learner answers
   * when the txn commits. A write of a session the leader does not know, or
   * one that is closing, becomes an error txn with SessionExpired
   * (SessionTracker.checkSession in pRequest2Txn), so it cannot create
   * ephemerals for a dead session. Bad input from a peer is logged, never
   * thrown. A forwarded sync makes no txn and is not for this method: see
   * lastPreppedZxid.
   */
  submitForwarded(request: ForwardedRequest): void {
    assert(this.replication?.role === 'leader', 'submitForwarded is for a leader');
    if (this.stopped) return;
    const { sessionId, cxid, type, body } = request;
    const what = () => `forwarded ${opCodeName(type)} (type ${type}) of session ${sessionIdHex(sessionId)} cxid ${cxid}`;
    try {
      switch (type) {
        case OpCode.createSession: {
          if (body.byteLength < 4 || sessionId === 0n) {
            this.log('warn', `ignoring ${what()}: ${sessionId === 0n ? 'session id 0' : `${body.byteLength}-byte body`}`);
            return;
          }
          const timeoutMs = new DataView(body.buffer, body.byteOffset, body.byteLength).getInt32(0);
          if (this.tracker.get(sessionId) === undefined) this.tracker.add(sessionId, timeoutMs, this.now());
          else this.tracker.touch(sessionId, this.now(), timeoutMs);
          this.submitTxn(sessionId, cxid, { type: OpCode.createSession, timeOut: timeoutMs });
          return;
        }
        case OpCode.closeSession: {
          this.tracker.setClosing(sessionId);
          const { batch } = this.submitTxn(sessionId, cxid, { type: OpCode.closeSession });
          // A connection of the session here is stale (the client moved on); it
          // closes with the commit (FinalRequestProcessor's closeSession of a
          // request with no connection).
          const connection = this.sessionConnectionOf(sessionId);
          if (connection !== undefined) this.enqueue(connection, batch, () => this.closeConnection(connection.id, 'session closed through another server'));
          return;
        }
        case OpCode.create:
        case OpCode.create2:
        case OpCode.createContainer:
        case OpCode.createTTL:
        case OpCode.delete:
        case OpCode.setData:
        case OpCode.setACL:
        case OpCode.check:
        case OpCode.multi:
        case OpCode.reconfig: {
          const session = this.tracker.get(sessionId);
          if (session === undefined || session.closing) {
            this.submitErrorTxn(sessionId, cxid, ErrorCode.SESSIONEXPIRED);
            return;
          }
          const write = decodeWrite(type, body);
          if (write === undefined) this.submitErrorTxn(sessionId, cxid, ErrorCode.MARSHALLINGERROR);
          else if (write === 'reconfig') this.submitErrorTxn(sessionId, cxid, ErrorCode.RECONFIGDISABLED);
          else this.submitTxn(sessionId, cxid, write, request.authIds);
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
   * Leader: the zxid of the newest txn prepped, whether or not it has reached
   * persist yet (Leader.processSync's lastProposed). A learner's forwarded sync
   * is the runner's to answer: it sends that learner a SYNC right after the
   * COMMIT of this zxid, read when the sync arrives, and at once if that is
   * committed already (Leader.pendingSyncs). The SYNC must come before the
   * COMMITs of later txns: otherwise a write the client sent after the sync
   * could commit first, and its reply, which waits behind the sync's, would
   * carry an older zxid than the sync's. (The last zxid proposed, rather than
   * prepped, is also safe; it leaves out txns prepped while a persist is in
   * flight, which no client has been told of.)
   */
  get lastPreppedZxid(): bigint {
    assert(this.replication?.role === 'leader', 'lastPreppedZxid is for a leader');
    return this.nextZxid - 1n;
  }

  /** Leader: the session touches a learner reported with its PING (LearnerHandler -> ZooKeeperServer.touch). */
  touchSessions(touches: readonly SessionTouch[]): void {
    assert(this.replication?.role === 'leader', 'touchSessions is for a leader');
    if (this.stopped) return;
    const nowMs = this.now();
    for (const { sessionId, timeoutMs } of touches) {
      if (!this.tracker.touch(sessionId, nowMs, timeoutMs)) this.log('debug', `touch of session ${sessionIdHex(sessionId)}, which is gone or closing`);
    }
  }

  /** Leader: REVALIDATE of a session a client brought to a learner: true, and touched, if it is live here. */
  revalidateSession(sessionId: bigint, timeoutMs: number): boolean {
    assert(this.replication?.role === 'leader', 'revalidateSession is for a leader');
    return !this.stopped && this.tracker.touch(sessionId, this.now(), timeoutMs);
  }

  /**
   * The last zxid `persist` has made durable. The tree may be ahead of it (writes
   * are applied before they are durable; their effects are held back), so a
   * snapshot taken while this is below tree.lastProcessedZxid contains txns the
   * log may not have yet; take snapshots when `isIdle`, or label them with the
   * tree's zxid and keep the log's later txns.
   */
  get lastDurableZxid(): bigint {
    return this.durableZxid;
  }

  /** True when no output waits for persistence (tests use it to settle). */
  get isIdle(): boolean {
    return this.waiting.size === 0 && this.batchTxns.length === 0 && !this.persisting;
  }

  // ---- sending ---------------------------------------------------------------------

  private send(connection: Connection, body: Uint8Array, startedAtMs: number, operation: string, cxid: number, zxid: bigint): void {
    this.sendFramed(connection, frame(body), startedAtMs, operation, cxid, zxid);
  }

  /** Sends an already length-prefixed frame and accounts for it. */
  private sendFramed(connection: Connection, framed: Uint8Array, startedAtMs: number, operation: string, cxid: number, zxid: bigint): void {
    if (connection.state === 'closed') return;
    const latencyMs = this.now() - startedAtMs;
    this.latency.add(latencyMs);
    connection.latency.add(latencyMs);
    connection.lastLatencyMs = latencyMs;
    connection.lastResponseAtMs = this.now();
    connection.lastOperation = operation;
    connection.lastZxid = zxid;
    if (cxid !== -1) connection.lastCxid = cxid;
    if (connection.outstandingRequests > 0) {
      connection.outstandingRequests--;
      this.outstandingTotal--;
    }
    this.packetsSent++;
    connection.packetsSent++;
    connection.sink.send(framed);
  }

  /**
   * Sends a reply. `zxid` is the tree's last zxid when the request was processed
   * (FinalRequestProcessor's lastZxid), captured before the reply waits in the FIFO.
   */
  private reply(connection: Connection, header: R.RequestHeader, err: number, response: Uint8Array | undefined, startedAtMs: number, zxid: bigint): void {
    // One buffer per reply: the length prefix is patched in at the end.
    const w = new JuteWriter(20 + (response?.byteLength ?? 0));
    w.writeInt(0);
    R.ReplyHeader.write(w, { xid: header.xid, zxid, err });
    if (err === 0 && response !== undefined) w.writeRaw(response);
    w.patchInt(0, w.length - 4);
    this.sendFramed(connection, w.finish(), startedAtMs, opCodeName(header.type), header.xid, zxid);
  }

  private deliverEvent(event: WatchEvent): void {
    const connection = this.connections.get(event.watcher);
    if (connection === undefined || connection.state !== 'open') return;
    // NIOServerCnxn.process: no event about a znode the connection may not READ (CVE-2024-23944).
    if (event.acl !== undefined && !checkACL(event.acl, Perms.READ, connection.authIds)) return;
    const w = new JuteWriter(32 + event.path.length);
    // ZooKeeper 3.8 sends notifications with zxid -1 in the reply header.
    R.ReplyHeader.write(w, { xid: Xid.notification, zxid: -1n, err: 0 });
    R.WatcherEvent.write(w, { type: event.type, state: KeeperState.SyncConnected, path: event.path });
    this.packetsSent++;
    connection.packetsSent++;
    connection.sink.send(frame(w.toBytes()));
  }

  // ---- time: session expiry and container reaping ------------------------------------

  /** Called by the transport every tick (or by a test with a chosen time). */
  tick(): void {
    // A learner expires nothing: the leader owns the sessions and reaps the
    // containers (ContainerManager runs on the leader only).
    if (this.stopped || this.isLearner) return;
    const nowMs = this.now();
    for (const session of this.tracker.expire(nowMs)) {
      this.log('info', `expiring session ${sessionIdHex(session.sessionId)}, timeout of ${session.timeoutMs}ms exceeded`);
      const { batch } = this.submitTxn(session.sessionId, 0, { type: OpCode.closeSession });
      const connectionId = this.sessionConnection.get(session.sessionId);
      const connection = connectionId === undefined ? undefined : this.connections.get(connectionId);
      if (connection !== undefined) this.enqueue(connection, batch, () => this.closeConnection(connection.id, 'session expired'));
    }
    const intervalMs = this.options.containerCheckIntervalMs ?? 60_000;
    if (nowMs - this.lastContainerCheckMs >= intervalMs) {
      this.lastContainerCheckMs = nowMs;
      const maxNeverUsed = BigInt(this.options.containerMaxNeverUsedIntervalMs ?? 0);
      for (const path of this.tree.reapCandidates(BigInt(nowMs), maxNeverUsed)) {
        // ContainerManager submits deleteContainer as the server (session 0); a
        // container that gained a child meanwhile fails prep with NotEmpty.
        this.submitTxn(0n, 0, { type: OpCode.deleteContainer, request: { path } });
      }
    }
  }

  // ---- stats ---------------------------------------------------------------------------

  stats(): ServerStats {
    const connections: ConnectionInfo[] = [...this.connections.values()].map((c) => ({
      connectionId: c.id,
      remoteAddress: c.remoteAddress,
      remotePort: c.remotePort,
      interestOps: 1,
      sessionId: c.sessionId,
      sessionTimeoutMs: c.sessionTimeoutMs,
      packetsReceived: c.packetsReceived,
      packetsSent: c.packetsSent,
      outstandingRequests: c.outstandingRequests,
      establishedAtMs: c.establishedAtMs,
      lastCxid: c.lastCxid,
      lastZxid: c.lastZxid,
      lastOperation: c.lastOperation,
      lastResponseAtMs: c.lastResponseAtMs,
      lastLatencyMs: c.lastLatencyMs,
      latencyMinMs: c.latency.min,
      latencyAvgMs: c.latency.avg,
      latencyMaxMs: c.latency.maxMs,
    }));
    return {
      serverState: this.serverState,
      packetsReceived: this.packetsReceived,
      packetsSent: this.packetsSent,
      latencyMinMs: this.latency.min,
      latencyAvgMs: this.latency.avg,
      latencyMaxMs: this.latency.maxMs,
      outstandingRequests: connections.reduce((n, c) => n + c.outstandingRequests, 0),
      lastProcessedZxid: this.tree.lastProcessedZxid,
      znodeCount: this.tree.nodeCount,
      watchCount: this.tree.watchCount,
      watchedPaths: this.tree.dataWatches.pathCount + this.tree.childWatches.pathCount,
      watchingConnections: new Set([...this.tree.dataWatches.byWatcher().keys(), ...this.tree.childWatches.byWatcher().keys()]).size,
      ephemeralsCount: this.tree.ephemeralCount,
      approximateDataSize: this.tree.approximateDataSize(),
      sessionCount: this.tracker.size,
      connections,
      startedAtMs: this.startedAtMs,
      txnsPersisted: this.txnsPersisted,
      persistBatches: this.persistBatches,
    };
  }

  /** srst / crst: resets the latency and packet counters. */
  resetStats(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.latency.reset();
    for (const c of this.connections.values()) {
      c.packetsReceived = 0;
      c.packetsSent = 0;
      c.latency.reset();
    }
  }

  /** wchc: the paths each session watches (watches belong to connections; a connection has at most one session). */
  watchesBySession(): Map<bigint, string[]> {
    const bySession = new Map<bigint, Set<string>>();
    for (const table of [this.tree.dataWatches, this.tree.childWatches]) {
      for (const [watcher, paths] of table.byWatcher()) {
        const sessionId = this.connections.get(watcher)?.sessionId;
        if (sessionId === undefined) continue;
        let set = bySession.get(sessionId);
        if (set === undefined) bySession.set(sessionId, (set = new Set()));
        for (const path of paths) set.add(path);
      }
    }
    return new Map([...bySession].map(([id, paths]) => [id, [...paths]]));
  }

  /** wchp: the sessions watching each path. */
  watchesByPath(): Map<string, bigint[]> {
    const byPath = new Map<string, Set<bigint>>();
    for (const table of [this.tree.dataWatches, this.tree.childWatches]) {
      for (const [path, watchers] of table.byPath()) {
        let set = byPath.get(path);
        if (set === undefined) byPath.set(path, (set = new Set()));
        for (const watcher of watchers) {
          const sessionId = this.connections.get(watcher)?.sessionId;
          if (sessionId !== undefined) set.add(sessionId);
        }
      }
    }
    return new Map([...byPath].map(([path, ids]) => [path, [...ids]]));
  }

  /**
   * Live sessions and when each expires unless touched: the expiry bucket's
   * time, a multiple of tickTime (SessionTrackerImpl's ExpiryQueue), as
   * ZooKeeper's dump reports it.
   */
  sessionExpiries(): { sessionId: bigint; expiresAtMs: number }[] {
    return [...this.tracker.all()].map((s) => ({ sessionId: s.sessionId, expiresAtMs: s.expiresAtMs }));
  }

  /** The session ids of live sessions with their timeouts (dump, cons). */
  sessions(): { sessionId: bigint; timeoutMs: number; ephemerals: string[] }[] {
    return [...this.tracker.all()].map((s) => ({ sessionId: s.sessionId, timeoutMs: s.timeoutMs, ephemerals: this.tree.getEphemerals(s.sessionId) }));
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

/** The body of a write request, decoded; undefined when it does not decode. */
function decodeWrite(type: number, body: Uint8Array): WriteRequest | 'reconfig' | undefined {
  switch (type) {
    case OpCode.create:
    case OpCode.create2:
    case OpCode.createContainer: {
      const r = decodeRecord(body, R.CreateRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.createTTL: {
      const r = decodeRecord(body, R.CreateTTLRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.delete: {
      const r = decodeRecord(body, R.DeleteRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.setData: {
      const r = decodeRecord(body, R.SetDataRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.setACL: {
      const r = decodeRecord(body, R.SetACLRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.check: {
      const r = decodeRecord(body, R.CheckVersionRequest.read, true);
      return r.ok ? { type, request: r.value } : undefined;
    }
    case OpCode.multi: {
      const r = decodeRecord(body, R.MultiRequest.read, true);
      return r.ok ? { type, ops: r.value } : undefined;
    }
    case OpCode.reconfig:
      return 'reconfig';
    default:
      return undefined;
  }
}

/** FinalRequestProcessor's write cases: the reply for a txn's result. */
function writeResponse(outcome: TxnResult): { err: number; response?: Uint8Array } {
  if (outcome.type === OpCode.error) return { err: outcome.err };
  switch (outcome.type) {
    case OpCode.create:
      return { err: outcome.err, response: encodeRecord({ path: outcome.path ?? '' }, R.CreateResponse.write) };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return outcome.stat === undefined
        ? { err: outcome.err }
        : { err: outcome.err, response: encodeRecord({ path: outcome.path ?? '', stat: outcome.stat }, R.Create2Response.write) };
    case OpCode.setData:
    case OpCode.setACL:
      return outcome.stat === undefined ? { err: outcome.err } : { err: outcome.err, response: encodeRecord({ stat: outcome.stat }, R.SetDataResponse.write) };
    case OpCode.multi: {
      // The multi's header says OK; failures are in the per-op results.
      const results: R.MultiResult[] = (outcome.multiResult ?? []).map(multiResult);
      return { err: 0, response: encodeRecord(results, R.MultiResponse.write) };
    }
    default:
      return { err: outcome.err };
  }
}

function multiResult(sub: TxnResult): R.MultiResult {
  switch (sub.type) {
    case OpCode.create:
      return { type: OpCode.create, path: sub.path ?? '' };
    case OpCode.create2:
    case OpCode.createTTL:
    case OpCode.createContainer:
      return { type: OpCode.create2, path: sub.path ?? '', stat: sub.stat! };
    case OpCode.delete:
    case OpCode.deleteContainer:
      return { type: OpCode.delete };
    case OpCode.setData:
      return { type: OpCode.setData, stat: sub.stat! };
    case OpCode.check:
      return { type: OpCode.check };
    default:
      return { type: OpCode.error, err: sub.err };
  }
}

