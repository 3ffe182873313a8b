// One term as a follower or observer (QuorumPeer FOLLOWING / OBSERVING:
// Follower.followLeader, Observer.observeLeader, Learner.syncWithLeader): the
// connection to the leader's quorum port, the peer core as learner, and, from
// UPTODATE on, a ServerCore in learner mode behind the client port.
//
// - Connecting: the learner dials the leader until initLimit ticks have
//   passed (Learner.connectToLeader retries for initLimit * tickTime), then
//   gives up and looks again: the election may have picked a leader that
//   never came up.
// - Synchronisation must be over within initLimit ticks, and in BROADCAST
//   the leader must be heard from at least every syncLimit ticks (the
//   socket's read timeout in ZooKeeper); otherwise the leader is lost.
// - The data tree holds committed txns only. Until serving starts the run
//   only notes how far the core delivered (the txns are in the log), and
//   takes the tree then: the previous run's brought forward through the log
//   (kept-tree.ts), with no snapshot decoded while the leader holds us to
//   syncLimit; after a SNAP, the leader's tree, to which deliveries apply
//   directly. From UPTODATE on they go through the ServerCore, which
//   releases the replies of the local clients whose requests they are.
// - A SNAP's snapshot arrives with the SNAP packet; the core decides when it
//   is installed (at NEWLEADER), and the run writes it to disk then.
//
// The core's effects are carried out by the interpreter both roles share
// (peer-interpreter.ts); what is here is the learner's world: its one
// connection to the leader, the SNAP it received, and its tree.

import type { Socket } from 'node:net';
import { startFollowing } from '../quorum/peer/learner.ts';
import { fromQuorumPacket } from '../quorum/peer/packet.ts';
import type { LearnerPeer, PeerMessage, PeerTxn } from '../quorum/peer/types.ts';
import { recordSinceProposed } from './zab-latency.ts';
import { PacketType } from '../quorum/wire.ts';
import { ServerCore } from '../server/core.ts';
import { hex } from '../../lib/hex.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { deserializeTree } from '../tree/snapshot.ts';
import { decodeTxn } from '../tree/txn.ts';
import { PeerInterpreter } from './peer-interpreter.ts';
import { beatsIn, SilentBeats } from './silence.ts';
import { QuorumConnection, quorumLimits, type QuorumItem } from './quorum-connection.ts';
import type { RunContext, RunEnd } from './run-context.ts';
import { decodeRevalidateReply, pingPacket, requestPacket, revalidateRequestPacket } from './session-traffic.ts';

const noPayload = new Uint8Array(0);

export async function runLearner(context: RunContext, leaderSid: number): Promise<RunEnd> {
  const run = new LearnerRun(context, leaderSid);
  return run.start();
}

class LearnerRun {
  private readonly zab: PeerInterpreter;
  private readonly leaderCoreId: number;
  private connection: QuorumConnection | undefined;
  private core: ServerCore | undefined;
  /**
   * The data tree, once the run needs one: at a SNAP (the leader's tree) or when serving starts (the
   * previous run's tree brought forward, or one rebuilt from the disk: replica-store.ts's takeTree).
   * Until then a delivered txn is only noted in `deliveredZxid`: it is in the log, and the tree
   * replays it when it is taken, so no snapshot is decoded while the leader waits on our answers.
   */
  private tree: DataTree | undefined;
  /** The last txn delivered while there was no tree (at first, the last one the core starts known committed). */
  private deliveredZxid: bigint;
  /** The snapshot that came with the last SNAP, installed at NEWLEADER. */
  private snapshot: { zxid: bigint; blob: Uint8Array } | undefined;
  private finish!: (end: RunEnd) => void;
  private readonly finished: Promise<RunEnd>;
  private over = false;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly observing: boolean;

  constructor(
    private readonly context: RunContext,
    private readonly leaderSid: number,
  ) {
    const { membership, store } = context;
    const leaderCoreId = membership.coreIdOf(leaderSid);
    if (leaderCoreId === undefined) throw new Error(`elected leader ${leaderSid} is not in the configuration`);
    this.leaderCoreId = leaderCoreId;
    const disk = store.peerDisk();
    // Our fsyncs come back to the core as LogSynced (SyncRequestProcessor's flush, then SendAckRequestProcessor).
    this.zab = new PeerInterpreter(context, this.freshCore(), {
      send: (to, message) => this.send(to, message),
      deliver: (txn) => this.deliver(txn),
      snapshotToInstall: (zxid) => this.snapshotToInstall(zxid),
      goLooking: (reason) => this.end(this.lostBecause ?? reason),
      stepped: () => this.afterStep(),
    });
    const peer = this.zab.peer as LearnerPeer;
    this.observing = peer.role === 'OBSERVING';
    // What the core knows committed of the log (the snapshot and the committedLog before it) is delivered already.
    this.deliveredZxid = peer.lastCommitted > 0 ? disk.log[peer.lastCommitted - 1]!.zxid : 0n;
    this.finished = new Promise((resolve) => (this.finish = resolve));
    context.signal.addEventListener('abort', () => this.end('server shutting down'), { once: true });
  }

  async start(): Promise<RunEnd> {
    const { config, log } = this.context;
    const initLimitMs = config.initLimitTicks * config.tickTimeMs;
    const deadline = performance.now() + initLimitMs;
    log('info', this.observing ? 'observing' : 'following', { leader: this.leaderSid });
    let connection: QuorumConnection | undefined;
    // A connection the leader closes before saying anything (it is not listening yet behind a proxy,
    // or it is still closing its previous term) is retried like a refused one, until initLimit.
    while (connection === undefined || (connection.isClosed && connection.packetsReceived === 0)) {
      const socket = await this.dial(deadline);
      if (socket === undefined || this.over) {
        this.end(`cannot connect to leader ${this.leaderSid} within initLimit (${initLimitMs} ms)`);
        return this.finished;
      }
      connection = new QuorumConnection(socket, (fields) => log('warn', 'quorum-stream-broken', fields), quorumLimits(this.context.config.juteMaxBufferBytes), () => this.context.trace.flush());
      const first = await new Promise<'packet' | 'closed' | 'timeout'>((resolve) => {
        const timer = setTimeout(() => resolve('timeout'), Math.max(0, deadline - performance.now()));
        this.timers.push(timer);
        connection!.attach({
          onItem: (item) => {
            resolve('packet');
            this.receive(item);
          },
          onClose: (reason) => {
            resolve('closed');
            if (connection!.packetsReceived > 0) this.leaderLost(`connection to the leader: ${reason}`);
          },
        });
        this.connection = connection!;
        if (connection!.packetsReceived === 0 && !connection!.isClosed) this.zab.dispatch({ type: 'ConnectToLeader' });
      });
      if (first === 'timeout' && connection.packetsReceived === 0) {
        this.leaderLost(`no answer from leader ${this.leaderSid} within initLimit (${initLimitMs} ms)`);
        return this.finished;
      }
      if (first === 'closed' && connection.packetsReceived === 0 && this.context.control !== undefined) {
        // Test-control mode: the harness's link dials the leader for us; a close is the leader gone, as for ZooKeeper's
        // Learner.registerWithLeader (an EOF before LEADERINFO ends the run), and as spec/zab's LeaderLost.
        this.leaderLost(`connection to leader ${this.leaderSid} closed before it said anything`);
        return this.finished;
      }
      if (first === 'closed' && connection.packetsReceived === 0) {
        // Nothing happened but our FOLLOWERINFO: start the core afresh and register again.
        this.zab.restart(this.freshCore());
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    this.timers.push(
      setTimeout(() => {
        const peer = this.zab.peer;
        if (peer.role !== 'LOOKING' && peer.phase !== 'BROADCAST') this.leaderLost(`not synchronised within initLimit (${initLimitMs} ms)`);
      }, initLimitMs),
    );
    const syncLimitMs = config.syncLimitTicks * config.tickTimeMs;
    const beatMs = Math.max(5, Math.floor(config.tickTimeMs / 2));
    // Counted in our own beats (silence.ts): after a stall of ours, what the leader sent meanwhile is still unread.
    const silence = new SilentBeats(connection.lastReceivedAtMs);
    this.timers.push(
      setInterval(() => {
        const peer = this.zab.peer;
        const silentBeats = silence.beat(connection.lastReceivedAtMs);
        if (this.over || peer.role === 'LOOKING' || peer.phase !== 'BROADCAST') return;
        if (silentBeats > beatsIn(syncLimitMs, beatMs)) this.leaderLost(`nothing from the leader for syncLimit (${syncLimitMs} ms)`);
      }, beatMs),
    );
    return this.finished;
  }

  /** The core as learner, from what is on disk now. */
  private freshCore(): LearnerPeer {
    const { membership, store } = this.context;
    return startFollowing(membership.coreIdOf(membership.myid)!, membership.peerConfig, store.peerDisk(), this.leaderCoreId);
  }

  /** Learner.connectToLeader: retry until the deadline. */
  private async dial(deadlineMs: number): Promise<Socket | undefined> {
    const { membership, config } = this.context;
    const leader = membership.ordered[this.leaderCoreId]!;
    for (let attempt = 0; !this.over && performance.now() < deadlineMs; attempt++) {
      const socket = await new Promise<Socket | undefined>((resolve) => {
        const s = this.context.quorumSockets.connect(leader.host, leader.quorumPort, () => {
          clearTimeout(timer);
          resolve(s);
        });
        const timer = setTimeout(() => {
          s.destroy();
          resolve(undefined);
        }, Math.min(config.cnxTimeoutMs, Math.max(10, deadlineMs - performance.now())));
        s.once('error', () => {
          clearTimeout(timer);
          resolve(undefined);
        });
      });
      if (socket !== undefined) return socket;
      await new Promise((r) => setTimeout(r, Math.min(1000, 50 * 2 ** Math.min(attempt, 5))));
    }
    return undefined;
  }

  private receive(item: QuorumItem): void {
    const { log } = this.context;
    if (item.kind === 'snapshot') {
      this.snapshot = { zxid: item.packet.zxid, blob: item.blob };
      // The core's SNAP carries the committed txns that make the snapshot; here a stand-in for the whole of it.
      const stand: PeerTxn[] = item.packet.zxid > 0n ? [{ zxid: item.packet.zxid, data: noPayload }] : [];
      const message = fromQuorumPacket(item.packet, stand);
      if (message.ok) this.zab.dispatch({ type: 'Receive', from: this.leaderCoreId, message: message.value });
      return;
    }
    const packet = item.packet;
    switch (packet.type) {
      case PacketType.PING:
        // Learner.ping: answer with the sessions our clients kept alive since the last one.
        this.connection?.send(pingPacket(packet.zxid, this.core?.drainSessionTouches() ?? []));
        return;
      case PacketType.SYNC:
        this.core?.leaderSynced();
        return;
      case PacketType.REVALIDATE: {
        const reply = decodeRevalidateReply(packet);
        if (!reply.ok) {
          log('warn', 'bad-revalidate', { from: this.leaderSid, error: reply.error });
          return;
        }
        const waiting = this.revalidations.get(reply.value.sessionId);
        const resolve = waiting?.shift();
        if (waiting !== undefined && waiting.length === 0) this.revalidations.delete(reply.value.sessionId);
        resolve?.(reply.value.valid);
        return;
      }
      default: {
        const message = fromQuorumPacket(packet);
        if (!message.ok) {
          log('warn', 'bad-packet', { from: this.leaderSid, error: message.error });
          return;
        }
        // Follower.processPacket, Observer.processPacket: the PROPOSALs and COMMITs (an observer's INFORMs) received.
        const { counters } = this.context.metrics;
        if (message.value.type === 'PROPOSAL') {
          counters.learner_proposal_received_count++;
          if (this.core !== undefined) recordSinceProposed(this.context.metrics.summaries.proposal_latency, message.value.txn.data);
        } else if (message.value.type === 'COMMIT' || message.value.type === 'INFORM') counters.learner_commit_received_count++;
        this.zab.dispatch({ type: 'Receive', from: this.leaderCoreId, message: message.value });
      }
    }
  }

  /** After each step: start serving once Zab is in BROADCAST. */
  private afterStep(): void {
    const peer = this.zab.peer;
    if (this.core === undefined && !this.over && peer.role !== 'LOOKING' && peer.phase === 'BROADCAST') this.startServing();
  }

  /** The core's `send`: only ever to our leader, over our one connection. */
  private send(to: number, message: PeerMessage): void {
    if (to !== this.leaderCoreId) return;
    this.connection?.send(this.zab.packetOf(message));
  }

  /** The core installs the SNAP it was sent (at NEWLEADER): its tree replaces ours, and its bytes go to disk. */
  private snapshotToInstall(zxid: bigint): Uint8Array | undefined {
    const snapshot = this.snapshot;
    if (snapshot === undefined || snapshot.zxid !== zxid) throw new Error(`installSnapshot ${hex(zxid)} without that snapshot received`);
    const tree = deserializeTree(snapshot.blob);
    if (!tree.ok) {
      // The leader sent bytes that are no tree: drop the leader, never install them.
      this.leaderLost(`the leader's snapshot does not decode: ${tree.error}`);
      return undefined;
    }
    this.tree = tree.value;
    this.snapshot = undefined;
    return snapshot.blob;
  }

  private deliver(entry: PeerTxn): void {
    if (entry.zxid <= (this.tree?.lastProcessedZxid ?? this.deliveredZxid)) return;
    if (this.tree === undefined) {
      // Logged before it was delivered (the core's appendTxns comes first): the tree replays it when it is taken.
      this.deliveredZxid = entry.zxid;
      return;
    }
    const txn = decodeTxn(entry.data);
    if (!txn.ok) {
      this.context.fatal(`committed txn ${hex(entry.zxid)} does not decode: ${txn.error}`);
      return;
    }
    if (this.core !== undefined) {
      const { metrics } = this.context;
      recordSinceProposed(metrics.summaries.commit_propagation_latency, entry.data);
      metrics.counters.request_commit_queued++;
      this.core.applyCommitted(txn.value);
    } else this.tree.applyTxn(txn.value);
    this.context.store.maybeSnapshot(this.tree);
  }

  private startServing(): void {
    const { log, store } = this.context;
    if (this.tree === undefined) {
      const taken = store.takeTree(this.deliveredZxid);
      if (!taken.ok) {
        this.context.fatal(`cannot rebuild the data tree: ${taken.error}`);
        return;
      }
      this.tree = taken.value;
    }
    const core = new ServerCore({
      ...this.context.coreOptions,
      tree: this.tree,
      replication: {
        role: 'learner',
        forward: (request) => this.connection?.send(requestPacket(request)),
        revalidate: (sessionId, timeoutMs, passwd) => this.revalidate(sessionId, timeoutMs, passwd),
        learnerType: this.observing ? 'observer' : 'follower',
      },
    });
    this.core = core;
    const mode = this.observing ? 'observer' : 'follower';
    log('info', 'serving', { mode, leader: this.leaderSid, lastZxid: hex(this.tree.lastProcessedZxid), pid: process.pid });
    this.context.serve(core, mode);
  }

  /** Reconnecting sessions waiting for the leader's word, oldest first (the leader answers in order). */
  private readonly revalidations = new Map<bigint, ((valid: boolean) => void)[]>();

  /** Learner.validateSession: the leader owns session liveness, and knows every session's password. */
  private revalidate(sessionId: bigint, timeoutMs: number, passwd: Uint8Array): Promise<boolean> {
    if (this.over || this.connection === undefined) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiting = this.revalidations.get(sessionId) ?? [];
      waiting.push(resolve);
      this.revalidations.set(sessionId, waiting);
      this.connection!.send(revalidateRequestPacket(sessionId, timeoutMs, passwd));
    });
  }

  private leaderLost(reason: string): void {
    if (this.over) return;
    // The core's goLooking ends the run with its own words ("connection to the leader lost"); the log says why.
    this.lostBecause = reason;
    this.zab.dispatch({ type: 'LeaderLost' });
    this.end(reason);
  }

  /** Why leaderLost was called, for the log line of the run's end. */
  private lostBecause: string | undefined;

  private end(reason: string): void {
    if (this.over) return;
    this.over = true;
    this.zab.end();
    for (const timer of this.timers) clearTimeout(timer);
    this.context.log('info', 'stopped-following', { leader: this.leaderSid, reason });
    this.context.serve(undefined, undefined);
    this.core?.stop();
    // Our tree holds committed txns only, each logged before it was delivered: the next run may take it.
    if (this.tree !== undefined) this.context.store.keepTree(this.tree);
    this.connection?.close('stopped following');
    // No answer will come: the reconnecting clients are refused and try elsewhere.
    for (const waiting of this.revalidations.values()) for (const resolve of waiting) resolve(false);
    this.revalidations.clear();
    // The log's queue is flushed before looking again (SyncRequestProcessor's shutdown): the vote must count it.
    // A TRUNC or SNAP still being written finishes first too: the vote must not count txns it is removing,
    // and the next run must not start another rewrite of the same files (replica-store.ts, `settled`).
    void this.context.store.settled().then(() => this.finish({ reason }));
  }
}
