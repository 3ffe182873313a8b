// The client request pipeline, sans-IO: frames in (one per call, already split
// by FrameDecoder), bytes and closes out through each connection's sink, txns
// out through `persist`. ServerCore is its facade: it builds the parts below
// once, with the role chosen at construction, and keeps the API the TCP
// server (server.ts), the standalone server and the ensemble's runs use. It
// plays ZooKeeperServer (processConnectRequest, processPacket) with its
// processor chain, SessionTrackerImpl and ContainerManager; each part names
// the ZooKeeper class whose job it does.
//
//   frame ─► handshake.ts   ConnectRequest: new session or reattach (a learner may ask the leader)
//         └► requests.ts    processPacket: header, session touch, dispatch by request-kind.ts
//               │ ping, auth, unknown: answered there; SASL and enforce.auth in authentication.ts
//               ▼
//            write-path.ts  the role, a strategy chosen once:
//               ├ local-path.ts       standalone, leader: writes.ts (prep -> txn -> apply, zxids)
//               │                     -> group-commit.ts (persist, or propose on a leader); ticks.ts
//               ├ forwarding-path.ts  learner: forward to the leader, apply what it commits
//               └ read-only-path.ts   read-only member: reads only, writes answered NotReadOnly
//            reads: reads.ts (pure: tree, session, request -> reply, dependency) via read-processor.ts
//               ▼
//            output-queues.ts  one FIFO per connection, released by release-order.ts
//               ▼
//            replies.ts     framed bytes to the connection's sink, counted for the stats
//
//   admin-views.ts: stats, watch and session listings for the four-letter words.
//
// Ordering (release-order.ts has the whole rule). Requests are handled in
// arrival order, one at a time. A write is applied to the tree at once, but
// nothing it produced (its reply, the watch events it fired) leaves before
// `persist` has made its txn durable; a request waits only for its own
// session's earlier requests (ZooKeeper's CommitProcessor rule), and a read
// only for the writes it shows.
//
// Replication (the `replication` option; without it the server is standalone).
// A leader (LeaderZooKeeperServer) is the local path with zxids from the
// epoch's first zxid and a `persist` that resolves once a quorum has committed
// the batch; its learners hand in their clients' requests (submitForwarded). A
// learner (FollowerZooKeeperServer / ObserverZooKeeperServer) forwards
// sessions, writes and syncs and is handed the committed txns (applyCommitted,
// leaderSynced). Session ids carry the allocating server's id in their top
// byte, so a learner's and the leader's never collide.

import { assert } from '../../lib/assert.ts';
import { juteMaxBufferDefault } from '../protocol/constants.ts';
import { closeSessionTxnBytesMax } from '../tree/close-session-bytes.ts';
import type { Id } from '../protocol/records.ts';
import { DataTree } from '../tree/data-tree.ts';
import type { Txn } from '../tree/txn.ts';
import { AdminViews } from './admin-views.ts';
import { Authentication } from './authentication.ts';
import type { ConnectionSink } from './connection.ts';
import { Connections } from './connections.ts';
import { ForwardingWritePath } from './forwarding-path.ts';
import { GroupCommit } from './group-commit.ts';
import { Handshake } from './handshake.ts';
import { LocalWritePath } from './local-path.ts';
import type { ForwardedRequest, Logger, ServerCoreOptions, ServerState, SessionTouch } from './options.ts';
import { OutputQueues } from './output-queues.ts';
import type { PipelineParts } from './parts.ts';
import { ReadOnlyWritePath } from './read-only-path.ts';
import { ReadProcessor } from './read-processor.ts';
import { ReleaseOrder } from './release-order.ts';
import { Replies } from './replies.ts';
import { RequestDispatcher } from './requests.ts';
import { SessionTracker } from './session-tracker.ts';
import { ServerCounters, type ServerStats } from './stats.ts';
import type { ServerMetrics } from '../observability/server-metrics.ts';
import { Ticks } from './ticks.ts';
import type { WritePath } from './write-path.ts';
import { rateLimited, Writes } from './writes.ts';

export type { ConnectionSink } from './connection.ts';
export type { ForwardedRequest, LogFields, Logger, LogLevel, Replication, ServerCoreOptions, ServerState, SessionTouch } from './options.ts';

/** ServerCoreOptions.replyBacklogBytesMax's default: four of the largest replies jute.maxbuffer allows. */
const replyBacklogBytesDefault = 4 * 1024 * 1024;

export class ServerCore {
  readonly tree: DataTree;
  readonly tickTimeMs: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly startedAtMs: number;
  /** ServerCoreOptions.replyBacklogBytesMax: past it, a connection is given no more requests until its replies leave. */
  readonly replyBacklogBytesMax: number;
  private readonly log: Logger;
  private readonly onFatal: ((error: unknown) => void) | undefined;
  private readonly counters: ServerCounters;
  private readonly connections: Connections;
  private readonly queues: OutputQueues;
  private readonly order: ReleaseOrder;
  private readonly commit: GroupCommit;
  private readonly role: WritePath;
  /** The role again, for the leader's own entry points; undefined unless leading. */
  private readonly leader: LocalWritePath | undefined;
  /** The role again, for the learner's own entry points; undefined unless a learner. */
  private readonly learner: ForwardingWritePath | undefined;
  private readonly handshake: Handshake;
  private readonly requests: RequestDispatcher;
  private readonly views: AdminViews;

  constructor(options: ServerCoreOptions = {}) {
    const now = options.now ?? Date.now;
    // Session expiry runs on a monotonic clock, as ZooKeeper's SessionTrackerImpl on Time.currentElapsedTime: a
    // wall clock stepped forward used to expire every session at the next tick (issue 15, the fault switch's clock step).
    // Whole milliseconds, as Time.currentElapsedTime: srvr and mntr print latencies' min and max as integers.
    const elapsed = options.elapsedNow ?? (() => Math.floor(performance.now()));
    const log = (this.log = options.log ?? (() => {}));
    this.counters = new ServerCounters(options.metrics);
    this.onFatal = options.onFatal;
    this.tickTimeMs = options.tickTimeMs ?? 3000;
    this.replyBacklogBytesMax = options.replyBacklogBytesMax ?? replyBacklogBytesDefault;
    this.minSessionTimeoutMs = options.minSessionTimeoutMs ?? 2 * this.tickTimeMs;
    this.maxSessionTimeoutMs = options.maxSessionTimeoutMs ?? 20 * this.tickTimeMs;
    const tree = (this.tree = options.tree ?? new DataTree());
    tree.setDigestEnabled(options.digestEnabled ?? true);
    const tracker = new SessionTracker(this.tickTimeMs);
    const startedAtMs = (this.startedAtMs = now());
    const replication = options.replication;

    const order = (this.order = new ReleaseOrder(tree, options.persist !== undefined));
    const queues = (this.queues = new OutputQueues(order));
    const connections = (this.connections = new Connections(tree, queues, this.counters, log, now));
    const replies = new Replies(connections, this.counters, now, elapsed);
    const reads = new ReadProcessor(tree, order, queues, replies, options.replyBytesMax ?? juteMaxBufferDefault, rateLimited(log, elapsed));
    const parts: PipelineParts = { tree, tracker, connections, queues, order, replies, reads, log, now, elapsed, startedAtMs, startedElapsedMs: elapsed() };
    const pipelined = replication?.role === 'leader';
    this.commit = new GroupCommit(options.persist, pipelined, order, queues, this.counters, (error) => this.fail(error));

    // The role, once: no handler asks which one it is.
    if (replication?.role === 'learner') {
      this.learner = new ForwardingWritePath(replication, parts);
      this.role = this.learner;
    } else if (replication?.role === 'read-only') {
      this.role = new ReadOnlyWritePath(parts);
    } else {
      const metrics = this.counters.metrics;
      const settings = {
        extendedTypesEnabled: options.extendedTypesEnabled ?? false,
        enforceQuota: options.enforceQuota ?? false,
        warn: rateLimited(log, elapsed),
        quotaExceeded: (namespace: string) => metrics.quotaExceeded(namespace),
        // replyBytesMax is this server's jute.maxbuffer, which its learners apply too.
        closeSessionTxnBytesMax: closeSessionTxnBytesMax(options.replyBytesMax ?? juteMaxBufferDefault),
      };
      const writes = new Writes(tree, tracker, order, this.commit, queues, connections, replies, now, settings, replication?.firstZxid, options.authentication?.providerSchemes);
      const local = new LocalWritePath(replication === undefined ? 'standalone' : 'leader', parts, writes, new Ticks(parts, writes, options));
      this.leader = replication === undefined ? undefined : local;
      this.role = local;
    }

    this.requests = new RequestDispatcher(parts, this.role, options.superDigest, new Authentication(parts, options.authentication));
    const sessionSettings = { minSessionTimeoutMs: this.minSessionTimeoutMs, maxSessionTimeoutMs: this.maxSessionTimeoutMs, serverId: options.serverId ?? 1 };
    this.handshake = new Handshake(parts, this.role, this.requests, sessionSettings);
    this.views = new AdminViews(tree, tracker, connections, this.counters, this.role.serverState, startedAtMs);
  }

  /** The counters and summaries this pipeline adds to (the process's, when it was given one). */
  get metrics(): ServerMetrics {
    return this.counters.metrics;
  }

  /** What the four-letter words report as the server's mode (srvr's "Mode:", mntr's zk_server_state). */
  get serverState(): ServerState {
    return this.role.serverState;
  }

  // ---- connections --------------------------------------------------------------

  openConnection(sink: ConnectionSink, remoteAddress: string, remotePort: number): number {
    return this.connections.open(sink, remoteAddress, remotePort);
  }

  /**
   * Requests received and not yet answered, over all connections: what
   * ZooKeeper compares with globalOutstandingLimit to stop reading from
   * clients (ServerCnxn.disableRecv) until the server catches up.
   */
  get outstandingRequests(): number {
    return this.counters.outstandingRequests;
  }

  /** ServerCnxn.addAuthInfo: an id the transport authenticated (a TLS client certificate's x509 id), before the first request. */
  addAuthInfo(connectionId: number, id: Id): void {
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return;
    if (!connection.authIds.some((a) => a.scheme === id.scheme && a.id === id.id)) connection.authIds.push(id);
  }

  /** The transport saw the connection end (client closed, socket error). The session lives on until it expires. */
  connectionClosed(connectionId: number): void {
    this.connections.closed(connectionId);
  }

  /** Closes a connection from the server side (bad input, expired session, closeSession). */
  closeConnection(connectionId: number, reason: string): void {
    this.connections.close(connectionId, reason);
  }

  /**
   * One complete frame from a connection. Returns whether the connection may be
   * given its next frame now (see `mayReceive`); false: the transport stops
   * reading it (ServerCnxn.disableRecv) and asks `mayReceive` again later.
   */
  receiveFrame(connectionId: number, payload: Uint8Array): boolean {
    const connection = this.connections.get(connectionId);
    if (connection === undefined || connection.state === 'closed') return false;
    this.counters.packetsReceived++;
    // ServerCnxn.packetReceived counts the length prefix too.
    this.counters.metrics.counters.bytes_received_count += payload.byteLength + 4;
    connection.packetsReceived++;
    if (connection.state === 'handshake') {
      this.counters.metrics.counters.connection_request_count++;
      this.handshake.connect(connection, payload);
    }
    else if (connection.state === 'revalidating') this.handshake.hold(connection, payload);
    else this.requests.handlePacket(connection, payload);
    return connection.state === 'open' && !connection.settingUp && connection.queuedReplyBytes <= this.replyBacklogBytesMax;
  }

  /**
   * Whether the connection may be given another frame: not while its session
   * is being set up or revalidated (ZooKeeper's processConnectRequest stops
   * reading until finishSessionInit), nor while more than
   * `replyBacklogBytesMax` of its read replies wait in its FIFO. The transport
   * adds its own conditions (bytes written and not taken, globalOutstandingLimit).
   * A closed connection never may.
   */
  mayReceive(connectionId: number): boolean {
    const connection = this.connections.get(connectionId);
    if (connection === undefined) return false;
    return connection.state === 'handshake' || (connection.state === 'open' && !connection.settingUp && connection.queuedReplyBytes <= this.replyBacklogBytesMax);
  }

  // ---- life cycle ------------------------------------------------------------------

  /** Stops serving: every connection is closed and new ones are refused. Pending outputs are dropped. */
  stop(): void {
    this.commit.stop();
    this.queues.stop();
    this.connections.stop();
  }

  get isStopped(): boolean {
    return this.connections.isStopped;
  }

  /** persist failed: the tree holds changes that cannot be rolled back, so the server stops. */
  private fail(error: unknown): void {
    this.log('error', 'persist-failed', { error: error instanceof Error ? error.message : String(error), message: 'persist failed, stopping the server' });
    this.stop();
    this.onFatal?.(error);
  }

  /**
   * The last zxid `persist` has made durable. The tree may be ahead of it (writes
   * are applied before they are durable; their effects are held back), so a
   * snapshot taken while this is below tree.lastProcessedZxid contains txns the
   * log may not have yet; take snapshots when `isIdle`, or label them with the
   * tree's zxid and keep the log's later txns.
   */
  get lastDurableZxid(): bigint {
    return this.order.durableZxid;
  }

  /** True when no output waits for persistence (tests use it to settle). */
  get isIdle(): boolean {
    return this.queues.isEmpty && this.commit.isIdle;
  }

  /** Called by the transport every tick (or by a test with a chosen time): session expiry and container reaping, where the role owns them. */
  tick(): void {
    if (this.isStopped) return;
    this.role.tick();
  }

  // ---- a learner's run hands in (forwarding-path.ts) -------------------------------------

  /** A txn the leader has committed, in zxid order (a follower's COMMIT, an observer's INFORM). */
  applyCommitted(txn: Txn): void {
    assert(this.learner !== undefined, 'applyCommitted is for a learner; a leader applies its own txns');
    this.learner.applyCommitted(txn);
  }

  /** The leader's SYNC for the oldest sync this server forwarded. */
  leaderSynced(): void {
    assert(this.learner !== undefined, 'leaderSynced is for a learner');
    this.learner.leaderSynced();
  }

  /** A learner's local sessions touched since the last call, for the run's PING reply (LearnerSessionTracker.snapshot); none on other roles. */
  drainSessionTouches(): SessionTouch[] {
    return this.learner?.drainSessionTouches() ?? [];
  }

  // ---- a leader's run hands in (local-path.ts) -------------------------------------------

  /** A request a learner forwarded for one of its clients. */
  submitForwarded(request: ForwardedRequest): void {
    assert(this.leader !== undefined, 'submitForwarded is for a leader');
    if (this.isStopped) return;
    this.leader.submitForwarded(request);
  }

  /** The zxid of the newest txn prepped (Leader.processSync's lastProposed): a forwarded sync is answered after its COMMIT. */
  get lastPreppedZxid(): bigint {
    assert(this.leader !== undefined, 'lastPreppedZxid is for a leader');
    return this.leader.lastPreppedZxid;
  }

  /** The session touches a learner reported with its PING (LearnerHandler -> ZooKeeperServer.touch). */
  touchSessions(touches: readonly SessionTouch[]): void {
    assert(this.leader !== undefined, 'touchSessions is for a leader');
    if (this.isStopped) return;
    this.leader.touchSessions(touches);
  }

  /**
   * REVALIDATE of a session a client brought to a learner: true, and touched,
   * if it is live here and `passwd` is its password (undefined: a learner that
   * sent none, whose own tree checked it).
   */
  revalidateSession(sessionId: bigint, timeoutMs: number, passwd?: Uint8Array): boolean {
    assert(this.leader !== undefined, 'revalidateSession is for a leader');
    return !this.isStopped && this.leader.revalidateSession(sessionId, timeoutMs, passwd);
  }

  // ---- admin views (admin-views.ts) ------------------------------------------------------

  stats(): ServerStats {
    return this.views.stats();
  }

  /** srst / crst: resets the latency and packet counters. */
  resetStats(): void {
    this.views.resetStats();
  }

  /** wchc: the paths each session watches. */
  watchesBySession(): Map<bigint, string[]> {
    return this.views.watchesBySession();
  }

  /** wchp: the sessions watching each path. */
  watchesByPath(): Map<string, bigint[]> {
    return this.views.watchesByPath();
  }

  /** Live sessions and when each expires unless touched (dump). */
  sessionExpiries(): { sessionId: bigint; expiresAtMs: number }[] {
    return this.views.sessionExpiries();
  }

  /** The session ids of live sessions with their timeouts (dump, cons). */
  sessions(): { sessionId: bigint; timeoutMs: number; ephemerals: string[] }[] {
    return this.views.sessions();
  }
}
