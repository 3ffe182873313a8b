// One term of leadership (QuorumPeer LEADING: Leader.lead with its
// LearnerCnxAcceptor and LearnerHandlers): the quorum port, the peer core as
// leader, and, once Zab reaches BROADCAST, a ServerCore in leader mode behind
// the client port. The core's effects are carried out by the interpreter both
// roles share (peer-interpreter.ts); what is here is the leader's world: a
// connection per learner, the SNAPs it builds, the commits that release
// client writes.
//
// - Discovery and synchronisation must finish within initLimit ticks
//   (Leader.getEpochToPropose, waitForEpochAck, waitForNewLeaderAck each wait
//   initLimit * tickTime); otherwise the leader gives up and looks again.
// - In BROADCAST the leader pings every learner each half tick
//   (Leader.lead's loop) and drops a learner it has not heard from in syncLimit
//   ticks (LearnerHandler.synced); the core then gives up leadership if the
//   remaining voters are no quorum.
// - Client writes: the ServerCore preps and applies them at once (the
//   leader's outstanding changes) and hands each batch to `persist`, which here
//   proposes every txn through the core and resolves once the last one is
//   committed. The core assigns the same zxids the ServerCore did (epoch << 32
//   | counter, in order); a mismatch is a bug and stops the process.
// - A SNAP is the committed tree at the zxid the core chose, serialised a
//   slice at a time (sliced-serialise.ts) while the other learners keep being
//   pinged. Before BROADCAST it is the run's own tree (the whole log), which
//   then becomes the serving tree; in BROADCAST the ServerCore's tree may hold
//   txns not yet committed, which a learner must never be given as
//   committed, so the tree is rebuilt from the snapshot and the log.

import type { Server, Socket } from 'node:net';
import { assert } from '../../lib/assert.ts';
import { OpCode } from '../protocol/constants.ts';
import { startLeading } from '../quorum/peer/leader.ts';
import { makeZxid } from '../quorum/peer/history.ts';
import { fromQuorumPacket } from '../quorum/peer/packet.ts';
import type { LeaderPeer, PeerMessage, PeerPhase, PeerTxn } from '../quorum/peer/types.ts';
import { observerInfo } from './observer-info.ts';
import { recordSinceProposed } from './zab-latency.ts';
import { decodeLearnerInfo, PacketType, packetTypeName } from '../quorum/wire.ts';
import { ServerCore } from '../server/core.ts';
import { hex } from '../../lib/hex.ts';
import { ok, type Result } from '../../lib/result.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import { HandshakeLimits } from '../quorum/handshake-limits.ts';
import { checkLearnerInfo } from '../quorum/peer-values.ts';
import { admitLearner } from './learner-admission.ts';
import { beatsIn, SilentBeats } from './silence.ts';
import { serialiseInSlices } from './sliced-serialise.ts';
import { PeerInterpreter } from './peer-interpreter.ts';
import { QuorumConnection, quorumLimits, type QuorumItem } from './quorum-connection.ts';
import type { RunContext, RunEnd } from './run-context.ts';
import type { ObserverForAdmin } from '../admin/admin-commands.ts';
import { decodePingTouches, decodeRequestPacket, decodeRevalidateRequest, pingPacket, revalidateReplyPacket, syncPacket } from './session-traffic.ts';

/**
 * What the leader's mntr gauges read (LeaderZooKeeperServer.registerMetrics),
 * taken at the moment of the call; reading them changes nothing.
 */
export interface LeaderRunGauges {
  /** The core's Zab phase (QuorumPeer's zabState while LEADING); undefined once the core has gone back to LOOKING. */
  readonly phase: PeerPhase | undefined;
  /** Leader.getLearners: every learner connection from its accept on, FOLLOWERINFO or not (LearnerHandler.run adds itself first). */
  readonly learners: number;
  /** Leader.getForwardingFollowers: voters the core has synced (LeaderSyncFollower's startForwarding) and not lost. */
  readonly syncedFollowers: number;
  /** Leader.getObservingLearners: observers synced the same way. */
  readonly syncedObservers: number;
  /** Leader.getNumPendingSyncs: distinct zxids that forwarded syncs wait on (ZooKeeper keys pendingSyncs by zxid). */
  readonly pendingSyncs: number;
  /** Leader.proposalStats (BufferStats): bytes of each proposed txn, -1 until the first. */
  readonly proposalSizes: { readonly last: number; readonly min: number; readonly max: number };
  /** Leader.getUptime: ms since this run started serving (leaderStartTime), 0 before. */
  readonly uptimeMs: number;
  /** Leader.getObservingLearnersInfo: each synced observer's connection (the observers command). */
  readonly observers: readonly ObserverForAdmin[];
  /** Leader.resetObserverConnectionStats: zeroes those connections' counts (observer_connection_stat_reset). */
  resetObserverConnectionStats(): void;
}

/** What a learner sends the leader besides PING, REQUEST and REVALIDATE (Learner.registerWithLeader, syncWithLeader, Follower.processPacket). */
const learnerSentTypes: ReadonlySet<number> = new Set([PacketType.FOLLOWERINFO, PacketType.OBSERVERINFO, PacketType.ACKEPOCH, PacketType.ACK]);

/** Why a quorum-port connection whose first packet does not say which learner it is gets closed. */
const notLearnerInfo = 'first packet is not a valid FOLLOWERINFO/OBSERVERINFO';

/** `expose` receives, once and at once, a reader of the run's gauges (for the member's mntr). */
export async function runLeader(context: RunContext, expose?: (gauges: () => LeaderRunGauges) => void): Promise<RunEnd> {
  const run = new LeaderRun(context);
  expose?.(() => run.gauges());
  return run.start();
}

class LeaderRun {
  private readonly zab: PeerInterpreter;
  private readonly myCoreId: number;
  private readonly learners = new Map<number, QuorumConnection>();
  /**
   * The learner connections that have acknowledged NEWLEADER: only those are held to syncLimit. One still
   * synchronising (a large SNAP being installed and fsynced) is held to initLimit, as LearnerHandler sets
   * its socket's timeout to syncLimit only after that ACK; holding it to syncLimit dropped a member that
   * needed longer than syncLimit to install a 7 MB snapshot, again and again (issue 15's nemesis runs).
   */
  private readonly synchronised = new WeakSet<QuorumConnection>();
  private server: Server | undefined;
  private core: ServerCore | undefined;
  /** Before serving: the committed tree, taken for the first SNAP (it then becomes the serving tree). */
  private tree: DataTree | undefined;
  /** The last SNAP's bytes: learners synchronised at the same zxid get them without another serialisation. */
  private snapshotBlob: { readonly zxid: bigint; readonly blob: Promise<Result<Uint8Array, string>> } | undefined;
  /** The walk of `tree` for a SNAP, while it lasts (startServing waits for it). */
  private serialising: Promise<unknown> | undefined;
  private finish!: (end: RunEnd) => void;
  private readonly finished: Promise<RunEnd>;
  private over = false;
  private readonly timers: NodeJS.Timeout[] = [];
  /** persist() calls waiting for their last zxid to commit, in zxid order. */
  private commitWaiters: { zxid: bigint; resolve: () => void }[] = [];
  /** Forwarded syncs: the learner gets SYNC once everything proposed before it is committed (Leader.processSync). */
  private pendingSyncs: { coreId: number; zxid: bigint }[] = [];
  private lastCommittedZxid = 0n;
  /** Each learner connection's silence, in beats of the heartbeat (silence.ts). */
  private readonly silences = new WeakMap<QuorumConnection, SilentBeats>();
  /** The heartbeat's period: half a tick, as Leader.lead's loop. */
  private readonly beatMs: number;
  /** Leader.proposalStats: sizes of the txns proposed in this run (BufferStats, -1 until the first). */
  private readonly proposalSizes = { last: -1, min: -1, max: -1 };
  /** When this run started serving (Leader.leaderStartTime), performance.now() ms. */
  private servingSinceMs: number | undefined;
  /**
   * Connections whose FOLLOWERINFO has not arrived yet, closed when the run ends, as Leader.shutdown
   * closes every LearnerHandler (spec/zab's LeaderShutdown: every connected learner loses it); left
   * open, a learner that had just dialled would wait on a leader that is gone.
   */
  private readonly unregistered = new Set<QuorumConnection>();
  /** The quorum port's handshake deadline (initLimit) and cap (quorum.cnxn.threads.size) for connections not yet registered. */
  private readonly handshakes: HandshakeLimits;

  constructor(private readonly context: RunContext) {
    const { membership, store } = context;
    this.myCoreId = membership.coreIdOf(membership.myid)!;
    // The leader's own log syncs are its own ACKs (AckRequestProcessor); the interpreter reports them as LogSynced.
    this.zab = new PeerInterpreter(context, startLeading(this.myCoreId, membership.peerConfig, store.peerDisk()), {
      send: (to, message) => this.send(to, message),
      deliver: (txn) => this.delivered(txn),
      goLooking: (reason) => this.end(reason),
      stepped: () => this.afterStep(),
    });
    this.finished = new Promise((resolve) => (this.finish = resolve));
    const { config, log } = context;
    this.beatMs = Math.max(5, Math.floor(config.tickTimeMs / 2));
    this.handshakes = new HandshakeLimits({
      port: 'quorum',
      handshakeMs: config.initLimitTicks * config.tickTimeMs,
      handshakingMax: config.quorumAuth.cnxnThreadsSize,
      log: (level, event, fields) => log(level, event, fields),
    });
    context.signal.addEventListener('abort', () => this.end('server shutting down'), { once: true });
  }

  async start(): Promise<RunEnd> {
    const { config, membership, log } = this.context;
    const self = membership.self;
    this.server = this.context.quorumSockets.createServer((socket) => this.accept(socket));
    const listening = await new Promise<string | undefined>((resolve) => {
      this.server!.once('error', (error) => resolve(error.message));
      this.server!.listen(self.quorumPort, self.host, () => resolve(undefined));
    });
    if (listening !== undefined) {
      this.end(`cannot listen on the quorum port ${self.host}:${self.quorumPort}: ${listening}`);
      return this.finished;
    }
    this.server.on('error', (error) => log('error', 'quorum-port', { error: error.message }));
    log('info', 'leading', { epoch: this.zab.peer.acceptedEpoch + 1, quorumPort: self.quorumPort });
    const initLimitMs = config.initLimitTicks * config.tickTimeMs;
    this.timers.push(
      setTimeout(() => {
        const peer = this.zab.peer;
        if (peer.role === 'LEADING' && peer.phase !== 'BROADCAST') this.end(`no quorum reached ${peer.phase} within initLimit (${initLimitMs} ms)`);
      }, initLimitMs),
    );
    this.timers.push(setInterval(() => this.heartbeat(), this.beatMs));
    return this.finished;
  }

  private accept(socket: Socket): void {
    if (this.over) {
      socket.destroy();
      return;
    }
    const { log, membership } = this.context;
    // LearnerCnxAcceptor's soTimeout: the FOLLOWERINFO within initLimit, and only so many connections waiting for theirs.
    let connection: QuorumConnection | undefined;
    if (!this.handshakes.begin(socket, (reason) => connection?.close(reason))) return;
    connection = new QuorumConnection(socket, (fields) => log('warn', 'quorum-stream-broken', fields), quorumLimits(this.context.config.juteMaxBufferBytes), () => this.context.trace.flush());
    const accepted = connection;
    let coreId: number | undefined;
    this.unregistered.add(accepted);
    accepted.attach({
      onItem: (item) => {
        if (coreId === undefined) {
          this.unregistered.delete(accepted);
          this.handshakes.done(socket);
          const registered = this.register(accepted, item);
          if (typeof registered === 'string') {
            if (registered.startsWith(notLearnerInfo)) log('warn', 'learner-refused', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: registered });
            accepted.close(registered);
          } else coreId = registered;
          return;
        }
        this.receive(coreId, item);
      },
      onClose: (reason) => {
        this.unregistered.delete(accepted);
        if (coreId === undefined || this.learners.get(coreId) !== accepted) return;
        this.learners.delete(coreId);
        log('info', 'learner-lost', { sid: membership.sidOf(coreId), reason });
        this.zab.dispatch({ type: 'LearnerLost', sid: coreId });
      },
    });
  }

  /** LearnerHandler.run's first read: who is this learner? Its core id, or why the connection is closed. */
  private register(connection: QuorumConnection, item: QuorumItem): number | string {
    const { log, membership } = this.context;
    if (item.kind !== 'packet') return notLearnerInfo;
    const packet = item.packet;
    if (packet.type !== PacketType.FOLLOWERINFO && packet.type !== PacketType.OBSERVERINFO) return notLearnerInfo;
    // The LearnerInfo's values in range (peer-values.ts), and what the core will be given read as a
    // FOLLOWERINFO (its zxid an epoch), before the learner takes a slot.
    const info = checkLearnerInfo(decodeLearnerInfo(packet.data));
    if (!info.ok) return `${notLearnerInfo}: ${info.error}`;
    const message = fromQuorumPacket(packet);
    if (!message.ok) return `${notLearnerInfo}: ${message.error}`;
    const sid = info.value;
    const coreId = membership.coreIdOf(sid);
    const remote = { remoteAddress: connection.socket.remoteAddress, remotePort: connection.socket.remotePort };
    if (coreId === undefined || coreId === this.myCoreId) {
      log('warn', 'unknown-learner', { sid, ...remote, message: 'this server id is not in the configuration' });
      return `server id ${sid} is not a learner of this ensemble`;
    }
    const admitted = admitLearner(this.learners.get(coreId), performance.now(), this.silenceLimitMs());
    if (admitted.kind === 'refuse') {
      log('warn', 'learner-duplicate', { sid, ...remote, ...admitted.fields, message: admitted.reason });
      return admitted.reason;
    }
    // A learner that reconnects while its old connection is judged dead: the old one goes first (its
    // onClose reports LearnerLost to the core), as LearnerHandler's shutdown before a new handler syncs.
    if (admitted.kind === 'replace') admitted.previous.close(admitted.reason);
    // That loss may have ended the run (no quorum left): then nothing is registered.
    if (this.over) return 'leader stepping down';
    this.learners.set(coreId, connection);
    log('info', 'learner-connected', { sid, ...remote, type: packet.type === PacketType.FOLLOWERINFO ? 'FOLLOWERINFO' : 'OBSERVERINFO' });
    this.receive(coreId, item);
    return coreId;
  }

  private receive(coreId: number, item: QuorumItem): void {
    const { log, membership } = this.context;
    const packet = item.packet;
    switch (packet.type) {
      case PacketType.PING: {
        const touches = decodePingTouches(packet);
        if (!touches.ok) this.dropLearner(coreId, 'bad-ping', touches.error);
        else if (this.core !== undefined) this.core.touchSessions(touches.value);
        return;
      }
      case PacketType.REQUEST: {
        const request = decodeRequestPacket(packet);
        if (!request.ok) {
          this.dropLearner(coreId, 'bad-request', request.error);
          return;
        }
        if (this.core === undefined) return; // not serving yet: the learner's client times out and retries
        const from = this.learners.get(coreId);
        if (from !== undefined) from.requestsReceived++;
        if (request.value.type === OpCode.sync) {
          this.pendingSyncs.push({ coreId, zxid: this.lastProposedZxid() });
          this.releaseSyncs();
          return;
        }
        this.core.submitForwarded(request.value);
        return;
      }
      case PacketType.REVALIDATE: {
        const request = decodeRevalidateRequest(packet);
        if (!request.ok) {
          this.dropLearner(coreId, 'bad-revalidate', request.error);
          return;
        }
        // Not serving yet: the session cannot be vouched for; the client tries again.
        const valid = this.core?.revalidateSession(request.value.sessionId, request.value.timeoutMs, request.value.passwd) === true;
        this.learners.get(coreId)?.send(revalidateReplyPacket(request.value.sessionId, valid));
        return;
      }
      default: {
        const message = fromQuorumPacket(packet);
        if (!message.ok) {
          // LearnerHandler.run: a packet type a learner never sends is logged and skipped ("unexpected quorum
          // packet"); one it does send that cannot be read ends the handler, as its exception does there.
          if (!learnerSentTypes.has(packet.type)) log('warn', 'unexpected-packet', { sid: membership.sidOf(coreId), type: packetTypeName(packet.type), error: message.error });
          else this.dropLearner(coreId, 'bad-packet', message.error);
          return;
        }
        if (message.value.type === 'ACKLD') {
          const connection = this.learners.get(coreId);
          if (connection !== undefined) this.synchronised.add(connection);
        }
        this.zab.dispatch({ type: 'Receive', from: coreId, message: message.value });
      }
    }
  }

  /** A learner whose packet cannot be read is broken: its connection is closed (onClose reports LearnerLost) and the reason logged. */
  private dropLearner(coreId: number, event: string, error: string): void {
    const { log, membership } = this.context;
    const connection = this.learners.get(coreId);
    log('warn', event, { sid: membership.sidOf(coreId), remoteAddress: connection?.socket.remoteAddress, remotePort: connection?.socket.remotePort, error, message: 'closing the connection' });
    connection?.close(`${event}: ${error}`);
  }

  gauges(): LeaderRunGauges {
    const { membership } = this.context;
    const peer = this.zab.peer;
    let syncedFollowers = 0;
    let syncedObservers = 0;
    if (peer.role === 'LEADING') {
      for (let coreId = 0; coreId < membership.ordered.length; coreId++) {
        if ((peer.forwarding & (1 << coreId)) === 0) continue;
        if (membership.isObserver(membership.sidOf(coreId))) syncedObservers++;
        else syncedFollowers++;
      }
    }
    return {
      phase: peer.role === 'LEADING' ? peer.phase : undefined,
      learners: this.learners.size + this.unregistered.size,
      syncedFollowers,
      syncedObservers,
      pendingSyncs: new Set(this.pendingSyncs.map((s) => s.zxid)).size,
      proposalSizes: { ...this.proposalSizes },
      uptimeMs: this.servingSinceMs === undefined ? 0 : Math.round(performance.now() - this.servingSinceMs),
      observers: this.syncedObservers().map(([sid, connection]) => observerInfo(sid, connection)),
      resetObserverConnectionStats: () => {
        for (const [, connection] of this.syncedObservers()) connection.resetStats();
      },
    };
  }

  /** Leader.getObservingLearners: the observers the core forwards to, by server id, with their connections. */
  private syncedObservers(): [number, QuorumConnection][] {
    const { membership } = this.context;
    const peer = this.zab.peer;
    if (peer.role !== 'LEADING') return [];
    const out: [number, QuorumConnection][] = [];
    for (const [coreId, connection] of this.learners) {
      const sid = membership.sidOf(coreId);
      if ((peer.forwarding & (1 << coreId)) !== 0 && membership.isObserver(sid)) out.push([sid, connection]);
    }
    return out;
  }

  private lastProposedZxid(): bigint {
    const history = this.zab.peer.history;
    return history.length === 0 ? 0n : history[history.length - 1]!.zxid;
  }

  /** The core's `send`: to a learner's connection, if it still has one; a SNAP carries the committed tree up to its zxid. */
  private send(to: number, message: PeerMessage): void {
    const { membership } = this.context;
    const connection = this.learners.get(to);
    if (connection === undefined) return;
    // LearnerHandler.syncFollower: a SNAP counts as snap_count, a DIFF or TRUNC as diff_count.
    if (message.type === 'SNAP') this.context.metrics.counters.snap_count++;
    else if (message.type === 'DIFF' || message.type === 'TRUNC') this.context.metrics.counters.diff_count++;
    if (message.type === 'SNAP') {
      const sid = membership.sidOf(to);
      const blob = this.snapshotAt(message.zxid).then((built) => {
        // The disk we rebuild from failed us: this member cannot lead.
        if (!built.ok) this.context.fatal(`cannot build the snapshot for server ${sid}: ${built.error}`);
        return built;
      });
      connection.sendSnapshotWhenReady(this.zab.packetOf(message), blob);
      return;
    }
    if (message.type === 'PROPOSAL' || message.type === 'INFORM') assert(message.txn.data.byteLength > 0, 'a txn without a payload is never sent');
    connection.send(this.zab.packetOf(message));
  }

  /**
   * The serialised committed tree at `zxid` for a SNAP, serialised a slice at a time (sliced-serialise.ts)
   * so that the other learners keep being pinged meanwhile. Before BROADCAST that tree is the whole log,
   * so the run's own tree serves (taken once, and served from later: startServing waits for the walk),
   * and every learner synchronised by SNAP in this phase gets the same bytes. In BROADCAST our tree holds
   * txns not committed yet, so a tree is rebuilt from the disk at `zxid`, in one step (a stall as long as
   * decoding the snapshot: docs/reliability.md, "Settling after a storm").
   */
  private snapshotAt(zxid: bigint): Promise<Result<Uint8Array, string>> {
    if (this.snapshotBlob?.zxid === zxid) return this.snapshotBlob.blob;
    let tree: DataTree;
    if (this.core === undefined && zxid === this.context.store.lastLoggedZxid) {
      if (this.tree === undefined) {
        const taken = this.context.store.takeTree();
        if (!taken.ok) return Promise.resolve(taken);
        this.tree = taken.value;
      }
      tree = this.tree;
    } else {
      const built = this.context.store.buildTree(zxid);
      if (!built.ok) return Promise.resolve(built);
      tree = built.value;
    }
    assert(tree.lastProcessedZxid === zxid, () => `SNAP at ${hex(zxid)} built a tree at ${hex(tree.lastProcessedZxid)}`);
    const blob = serialiseInSlices(tree).then((bytes): Result<Uint8Array, string> => ok(bytes));
    this.snapshotBlob = { zxid, blob };
    if (tree === this.tree) {
      const walk: Promise<unknown> = blob.then(() => {
        if (this.serialising === walk) this.serialising = undefined;
      });
      this.serialising = walk;
    }
    return blob;
  }

  /** A txn is committed: release the persist() calls and syncs it completes. */
  private delivered(txn: PeerTxn): void {
    const { zxid } = txn;
    const { metrics } = this.context;
    metrics.counters.commit_count++;
    if (this.core !== undefined) {
      // Leader.tryToCommit: a proposal of this BROADCAST acked by a quorum, handed to the commit stage.
      recordSinceProposed(metrics.summaries.quorum_ack_latency, txn.data);
      metrics.counters.request_commit_queued++;
    }
    if (zxid > this.lastCommittedZxid) this.lastCommittedZxid = zxid;
    let released = 0;
    while (released < this.commitWaiters.length && this.commitWaiters[released]!.zxid <= zxid) this.commitWaiters[released++]!.resolve();
    if (released > 0) this.commitWaiters = this.commitWaiters.slice(released);
    this.releaseSyncs();
    const core = this.core;
    if (core !== undefined && core.tree.lastProcessedZxid === zxid) this.context.store.maybeSnapshot(core.tree);
  }

  private releaseSyncs(): void {
    while (this.pendingSyncs.length > 0 && this.pendingSyncs[0]!.zxid <= this.lastCommittedZxid) {
      const { coreId } = this.pendingSyncs.shift()!;
      this.learners.get(coreId)?.send(syncPacket);
    }
  }

  /** After each step: start serving once Zab is in BROADCAST. */
  private afterStep(): void {
    const peer = this.zab.peer;
    if (this.core !== undefined || this.over || peer.role !== 'LEADING' || peer.phase !== 'BROADCAST') return;
    this.startServing(peer);
  }

  private startServing(peer: LeaderPeer): void {
    const { store, log, config } = this.context;
    // A SNAP is being serialised from our tree: the core may change it only once the walk is over.
    if (this.serialising !== undefined) {
      void this.serialising.then(() => this.afterStep());
      return;
    }
    // The whole log is committed now: the tree the SNAPs were made from, or the previous run's brought forward through
    // the log, or one rebuilt from the disk.
    const tree = this.tree !== undefined && this.tree.lastProcessedZxid === store.lastLoggedZxid ? ok(this.tree) : store.takeTree();
    this.tree = undefined;
    this.snapshotBlob = undefined;
    if (!tree.ok) {
      this.context.fatal(`cannot rebuild the data tree: ${tree.error}`);
      return;
    }
    this.lastCommittedZxid = tree.value.lastProcessedZxid;
    const core = new ServerCore({
      ...this.context.coreOptions,
      tree: tree.value,
      replication: { role: 'leader', firstZxid: makeZxid(peer.currentEpoch, 1n) },
      persist: (txns) => this.propose(txns),
      onFatal: (error) => this.context.fatal(`leader pipeline failed: ${error instanceof Error ? error.message : String(error)}`),
    });
    this.core = core;
    this.servingSinceMs = performance.now();
    log('info', 'serving', { mode: 'leader', epoch: peer.currentEpoch, lastZxid: hex(tree.value.lastProcessedZxid), pid: process.pid });
    if (config.leaderServes) this.context.serve(core, 'leader');
  }

  /** The leader's `persist`: propose each txn through the core; resolves when the last is committed. */
  private propose(txns: readonly Txn[]): Promise<void> {
    if (txns.length === 0 || this.over) return new Promise(() => {});
    for (const txn of txns) {
      const data = encodeTxn(txn);
      this.zab.dispatch({ type: 'ClientRequest', data });
      const proposed = this.lastProposedZxid();
      if (proposed !== txn.zxid) {
        // The peer core refused (it is no longer in BROADCAST, or the counter rolled over): the run is ending.
        if (this.zab.peer.role !== 'LEADING') return new Promise(() => {});
        throw new Error(`the peer core proposed ${hex(proposed)} for txn ${hex(txn.zxid)}`);
      }
      this.recordProposalSize(data.byteLength);
      this.context.metrics.counters.proposal_count++;
    }
    const last = txns[txns.length - 1]!.zxid;
    return new Promise((resolve) => this.commitWaiters.push({ zxid: last, resolve }));
  }

  /** BufferStats.setLastBufferSize. */
  private recordProposalSize(bytes: number): void {
    const sizes = this.proposalSizes;
    sizes.last = bytes;
    if (sizes.min === -1 || bytes < sizes.min) sizes.min = bytes;
    if (bytes > sizes.max) sizes.max = bytes;
  }

  /** How long a learner may be silent before it is judged dead: syncLimit ticks in BROADCAST, initLimit before (LearnerHandler's soTimeout). */
  private silenceLimitMs(): number {
    const { config } = this.context;
    const peer = this.zab.peer;
    const ticks = peer.role === 'LEADING' && peer.phase === 'BROADCAST' ? config.syncLimitTicks : config.initLimitTicks;
    return ticks * config.tickTimeMs;
  }

  /**
   * Each half tick: ping the learners, drop those silent for syncLimit ticks (initLimit until they
   * acknowledged NEWLEADER). Silence is counted in our own beats (silence.ts): a stall of ours costs
   * a learner one beat, not the learner's whole budget.
   */
  private heartbeat(): void {
    const { config, log, membership } = this.context;
    const peer = this.zab.peer;
    if (this.over || peer.role !== 'LEADING') return;
    const now = performance.now();
    const broadcastLimitMs = this.silenceLimitMs();
    const initLimitMs = config.initLimitTicks * config.tickTimeMs;
    const ping = pingPacket(this.lastProposedZxid(), undefined);
    for (const [coreId, connection] of this.learners) {
      const synchronised = this.synchronised.has(connection);
      const connectionLimitMs = synchronised ? broadcastLimitMs : initLimitMs;
      let silence = this.silences.get(connection);
      if (silence === undefined) this.silences.set(connection, (silence = new SilentBeats(connection.lastReceivedAtMs)));
      if (silence.beat(connection.lastReceivedAtMs) > beatsIn(connectionLimitMs, this.beatMs)) {
        log('warn', 'learner-silent', {
          sid: membership.sidOf(coreId),
          silentMs: Math.round(now - connection.lastReceivedAtMs),
          packetsSent: connection.packetsSent,
          packetsReceived: connection.packetsReceived,
          limitMs: connectionLimitMs,
          message: `nothing from this learner within ${synchronised ? 'syncLimit' : 'initLimit (still synchronising)'}; closing its connection`,
        });
        connection.close(synchronised ? 'silent for longer than syncLimit' : 'silent for longer than initLimit while synchronising');
        continue;
      }
      if (peer.phase === 'BROADCAST') connection.send(ping);
    }
  }

  private end(reason: string): void {
    if (this.over) return;
    this.over = true;
    this.zab.end();
    for (const timer of this.timers) clearTimeout(timer);
    this.context.log('info', 'leadership-ended', { reason });
    this.context.serve(undefined, undefined);
    this.core?.stop();
    // Our tree holds every txn we prepared; the store keeps it only if each of them was logged (kept-tree.ts).
    const tree = this.core?.tree ?? this.tree;
    if (tree !== undefined) this.context.store.keepTree(tree);
    for (const connection of this.learners.values()) connection.close('leader stepping down');
    this.learners.clear();
    for (const connection of [...this.unregistered]) connection.close('leader stepping down');
    this.handshakes.closeAll();
    // The next run may lead again on the same port: report the end once the port is free.
    if (this.server?.listening === true) this.server.close(() => this.finish({ reason }));
    else this.finish({ reason });
  }
}
