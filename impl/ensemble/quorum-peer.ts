// An ensemble member as one process (ZooKeeper's QuorumPeerMain and
// QuorumPeer.run): the disk, the client port, the election port, and the
// loop LOOKING -> LEADING | FOLLOWING | OBSERVING -> LOOKING ...
//
// - Each election uses the last logged zxid and currentEpoch on disk
//   (QuorumPeer.getLastLoggedZxid, getCurrentEpoch), after the previous run
//   has flushed its log.
// - Each role run (leader-run.ts, learner-run.ts) rebuilds its state from the
//   disk, so nothing of a run that ended (uncommitted txns a leader had
//   applied, a learner's half-finished sync) leaks into the next.
// - While LOOKING the client port accepts and closes connections, and srvr
//   says the instance is not serving, as ZooKeeper does; clients move on to
//   another server. With readonlymode.enabled, after a grace period, read-only
//   clients are served meanwhile (read-only-server.ts).
// - A failed write to the log or an epoch file stops the process with exit
//   code 1 (the standalone server does the same): acknowledging anything
//   after the disk refused a write would be a lie.
// - With ZKSPEC_TEST_CONTROL=1 (tests only, control/README.md) there is no
//   election: a harness says when to lead or whom to follow, when the log is
//   synced, and when a run ends, over a control port.

import { fullVersion } from '../admin/version.ts';
import { answerFourLetterWord } from '../admin/four-letter-words.ts';
import { traceAndDigestOptions } from '../admin/trace-and-digest.ts';
import type { AdminActions, PeerStateForAdmin, QuorumGaugesForAdmin, ServerMode, ServerSnapshotForAdmin } from '../admin/server-snapshot.ts';
import type { AdminCommand, QuorumForAdmin } from '../admin/admin-commands.ts';
import { startEndpoints, type Endpoints } from '../admin/endpoints.ts';
import { ServerMetrics } from '../observability/server-metrics.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { ElectionRunner, type ElectionOutcome } from '../quorum/election-runner.ts';
import { authenticationOptionsOf } from '../server/authentication.ts';
import { ServerCore, type ServerCoreOptions } from '../server/core.ts';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import { clientListeners } from '../security/client-x509.ts';
import { quorumSockets } from '../security/quorum-x509.ts';
import { quorumAuthenticator } from '../security/quorum-sasl.ts';
import type { QuorumAuthenticator } from '../quorum/quorum-auth.ts';
import { authenticatedQuorumSockets, plainQuorumSockets, type QuorumSockets } from '../quorum/quorum-sockets.ts';
import { adminSnapshot } from '../admin/admin-snapshot.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import { hex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { runLeader, type LeaderRunGauges } from './leader-run.ts';
import { runLearner } from './learner-run.ts';
import { controlModeFromEnv, type ControlMode } from './control/control-mode.ts';
import { historyOf, projectFromDisk, projectLooking, projectRunning, type ControlExtra, type ControlProjection } from './control/projection.ts';
import { LineServer } from '../faults/line-protocol.ts';
import type { Peer } from '../quorum/peer/types.ts';
import { diskFullAdvice, namesFullDisk } from '../database/database.ts';
import { membershipOf, type Membership } from './membership.ts';
import { PeerTrace } from './peer-trace.ts';
import { ReadOnlyServer } from './read-only-server.ts';
import { ReplicaStore } from './replica-store.ts';
import { LoopStallWatch } from './loop-stalls.ts';
import type { RunContext, RunEnd, ServingMode } from './run-context.ts';
import type { FsLayer } from '../storage/fs-layer.ts';

/** QuorumPeer.ZabState of a core phase (ELECTION is the time between runs). */
const zabStateOf = { DISCOVERY: 'discovery', SYNCHRONIZATION: 'synchronization', BROADCAST: 'broadcast' } as const;

/** What the member is doing: between roles it is looking, and may serve read-only clients meanwhile. */
export type MemberState = 'looking' | 'read-only' | ServingMode;

export type EnsembleStop = { readonly exitCode: number; readonly reason: string };

export interface EnsembleMember {
  readonly myid: number;
  readonly clientPort: number;
  /** 'looking' between roles; 'read-only' while looking with readonlymode.enabled, after the grace period. */
  readonly state: () => MemberState;
  readonly stopped: Promise<EnsembleStop>;
  close(reason?: string): Promise<EnsembleStop>;
}

export type EnsembleMemberOptions = {
  /** AdminServer commands beyond ZooKeeper's (the caller's, e.g. a log level command). */
  readonly adminCommands?: readonly AdminCommand[];
  /** The file system under the member's storage (the fault switch's, impl/faults, in test mode); node:fs by default. */
  readonly fs?: FsLayer;
  /** The wall clock the pipelines read (txn times); Date.now by default, the fault switch's stepped one in test mode. */
  readonly now?: () => number;
};

export async function startEnsembleMember(config: ZooKeeperConfig, myid: number, log: StructuredLogger, options: EnsembleMemberOptions = {}): Promise<Result<EnsembleMember, string>> {
  const member = membershipOf(config, myid);
  if (!member.ok) return member;
  const control = controlModeFromEnv();
  if (!control.ok) return control;
  const membership = control.value === undefined ? member.value : { ...member.value, peerConfig: { ...member.value.peerConfig, bugs: control.value.bugs } };
  const metrics = new ServerMetrics();
  const openStartedAt = performance.now();
  const opened = await ReplicaStore.open(config, log, options.fs);
  if (!opened.ok) return opened;
  const store = opened.value;
  metrics.summaries.dbinittime.add(performance.now() - openStartedAt);
  metrics.adoptDatabaseTimings(store.database);
  if (control.value !== undefined) store.holdAppends();
  // QuorumPeer.loadDataBase: the tree is built once, before the member takes part in any election, and kept
  // for the first role run (replica-store.ts's takeTree); built there instead, it stalled the member's
  // event loop where its peers held it to syncLimit (issue 15).
  const loadStartedAt = performance.now();
  const loaded = store.takeTree();
  if (!loaded.ok) {
    await store.close();
    return err(`cannot rebuild the data tree: ${loaded.error}`);
  }
  store.keepTree(loaded.value);
  log('info', 'recovered', {
    myid,
    acceptedEpoch: store.acceptedEpoch,
    currentEpoch: store.currentEpoch,
    lastLoggedZxid: hex(store.lastLoggedZxid),
    nodeCount: loaded.value.nodeCount,
    treeLoadMs: Math.round(performance.now() - loadStartedAt),
  });
  const peer = new QuorumPeer(config, membership, store, log, metrics, options.adminCommands ?? [], control.value, options.now);
  const started = await peer.start();
  if (!started.ok) {
    await store.close();
    return started;
  }
  return ok({
    myid,
    clientPort: peer.clientPort,
    state: () => peer.state,
    stopped: peer.stopped,
    close: (reason = 'shutdown requested') => peer.shutdown({ exitCode: 0, reason }),
  });
}

class QuorumPeer {
  state: MemberState = 'looking';
  private client: ZooKeeperServer | undefined;
  private election: ElectionRunner | undefined;
  private readonly coreOptions: ServerCoreOptions;
  private readonly version = fullVersion();
  private stopping: Promise<EnsembleStop> | undefined;
  private resolveStopped!: (stop: EnsembleStop) => void;
  readonly stopped: Promise<EnsembleStop>;
  private runs = 0;
  private readonly abort = new AbortController();
  /** TCP, or TLS when sslQuorum is set (settled in start()). */
  private quorumSockets: QuorumSockets = plainQuorumSockets;
  /** The quorum port's: quorumSockets, with the SASL exchange first when quorum.auth.enableSasl=true. */
  private quorumPortSockets: QuorumSockets = plainQuorumSockets;
  private quorumAuth: QuorumAuthenticator | undefined;
  private readonly trace: PeerTrace;
  /** The current leader run's mntr gauges (leader-run.ts LeaderRunGauges); undefined in a learner run. */
  private leaderGauges: (() => LeaderRunGauges) | undefined;
  /** The leader a learner run syncs from (Observer.getLearnerMasterId for observer_master_id). */
  private learnerMasterSid: number | undefined;
  /** The leader of the current run (QuorumPeer.getLeaderId); undefined while looking. */
  private leaderSid: number | undefined;
  /** When this member last started looking (QuorumPeer.start_fle), for election_time. */
  private lookingSinceMs = performance.now();
  private endpoints: Endpoints | undefined;
  /** readonlymode.enabled: the read-only pipeline while looking. */
  private readonly readOnly: ReadOnlyServer;
  /** The core the current role run serves, if it has started serving. */
  private servedCore: ServerCore | undefined;
  /** The last zxid the member knew committed when its last serving run ended: what a read-only pipeline shows. */
  private lastCommittedZxid: bigint | undefined;
  /** Logs the event loop's stalls (loop-stalls.ts). */
  private readonly stalls: LoopStallWatch;

  constructor(
    private readonly config: ZooKeeperConfig,
    private readonly membership: Membership,
    private readonly store: ReplicaStore,
    private readonly log: StructuredLogger,
    private readonly metrics: ServerMetrics,
    private readonly adminCommands: readonly AdminCommand[],
    private readonly control: ControlMode | undefined = undefined,
    now: (() => number) | undefined = undefined,
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.trace = new PeerTrace(membership.myid);
    this.trace.line('start', { detail: `acceptedEpoch ${store.acceptedEpoch} currentEpoch ${store.currentEpoch} lastLoggedZxid ${hex(store.lastLoggedZxid)}` });
    this.store.committedLogCountMax = membership.peerConfig.committedLogCountMax;
    this.coreOptions = {
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      replyBytesMax: config.juteMaxBufferBytes,
      serverId: membership.myid,
      metrics,
      ...(config.superDigest === undefined ? {} : { superDigest: config.superDigest }),
      // SASL is answered by the member the session is connected to; its ids travel with forwarded requests to the leader's ACL checks.
      authentication: authenticationOptionsOf(config),
      // enforceQuota, extendedTypesEnabled and the container sweeper's znode.container.* settings (the sweeper runs on the leader).
      ...config.treeFeatures,
      log,
      ...(now === undefined ? {} : { now }),
    };
    this.stalls = new LoopStallWatch(50, 200, (stalledMs) => this.log('warn', 'event-loop-stall', { stalledMs, state: this.state }));
    this.readOnly = new ReadOnlyServer({
      config,
      coreOptions: this.coreOptions,
      store,
      log,
      lastCommittedZxid: () => this.lastCommittedZxid,
      serve: (core) => {
        if (this.stopping !== undefined) return;
        this.state = core === undefined ? 'looking' : 'read-only';
        this.client?.replaceCore(core ?? this.notServing());
      },
    });
  }

  get clientPort(): number {
    return this.client?.port ?? this.config.clientPort;
  }

  /** A pipeline that serves nobody: LOOKING, or a leader with leaderServes=no. */
  private notServing(): ServerCore {
    const core = new ServerCore(this.coreOptions);
    core.stop();
    return core;
  }

  async start(): Promise<Result<void, string>> {
    const { config, membership, log } = this;
    const listeners = clientListeners(config);
    if (!listeners.ok) return listeners;
    const sockets = quorumSockets(config.quorumTls, log);
    if (!sockets.ok) return err(`${sockets.error.key}: ${sockets.error.message}`);
    if (sockets.value !== undefined) this.quorumSockets = sockets.value;
    this.quorumAuth = quorumAuthenticator(config.quorumAuth, config.quorumLogins, config.cnxTimeoutMs);
    this.quorumPortSockets = this.quorumAuth === undefined ? this.quorumSockets : authenticatedQuorumSockets(this.quorumSockets, this.quorumAuth, log);
    try {
      this.client = await startServer({
        host: config.clientPortAddress,
        port: config.clientPort,
        ...listeners.value,
        core: this.notServing(),
        maxClientCnxns: config.maxClientCnxns,
        maxCnxns: config.maxCnxns,
        sessionlessCnxnTimeoutMs: config.sessionlessCnxnTimeoutMs,
        globalOutstandingLimit: config.globalOutstandingLimit,
        frameBytesMax: config.juteMaxBufferBytes,
        log,
        fourLetterWord: (word, _server, argument) => this.fourLetterWord(word, argument),
      });
    } catch (thrown) {
      const code = (thrown as { code?: unknown }).code;
      return err(`cannot listen on ${config.clientPortAddress}:${config.clientPort}: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    // One trace mask for gtmk/stmk and get_trace_mask/set_trace_mask, as ZooTrace's is one per process.
    const endpoints = await startEndpoints(config, { snapshot: () => this.snapshot(), actions: this.actions(), quorum: () => this.quorumView(), ...traceAndDigestOptions(this.client, config, undefined) }, log, this.adminCommands);
    if (!endpoints.ok) {
      await this.client.close();
      return endpoints;
    }
    this.endpoints = endpoints.value;
    if (this.control !== undefined) return this.startControlled(this.control);
    this.election = new ElectionRunner({
      myid: membership.myid,
      members: membership.electionMembers,
      cnxTimeoutMs: config.cnxTimeoutMs,
      handshakingMax: config.quorumAuth.cnxnThreadsSize,
      onElected: (outcome) => this.elected(outcome),
      log,
      sockets: this.quorumSockets,
      ...(this.quorumAuth === undefined ? {} : { auth: this.quorumAuth }),
    });
    try {
      await this.election.listen();
    } catch (thrown) {
      await this.client.close();
      const code = (thrown as { code?: unknown }).code;
      return err(`cannot listen on the election port ${membership.self.host}:${membership.self.electionPort}: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    log('info', 'looking', { myid: membership.myid, clientPort: this.client.port, lastLoggedZxid: hex(this.store.lastLoggedZxid), currentEpoch: this.store.currentEpoch });
    this.startedLooking();
    this.election.startElection(this.electionInputs());
    return ok(undefined);
  }

  private electionInputs() {
    return { lastLoggedZxid: this.store.lastLoggedZxid, currentEpoch: BigInt(this.store.currentEpoch) };
  }

  private elected(outcome: ElectionOutcome): void {
    if (this.stopping !== undefined) return;
    // QuorumPeer.run: lookForLeader returned, so the read-only server (if it started) shuts down and closes its connections.
    this.readOnly.stop('a leader was elected');
    const run = ++this.runs;
    this.trace.run = run;
    this.trace.line('elected', { detail: `${outcome.state} leader ${Number(outcome.leader)}` });
    const leader = Number(outcome.leader);
    this.leaderSid = leader;
    this.metrics.summaries.election_time.add(performance.now() - this.lookingSinceMs);
    this.log('info', 'elected', { leader, state: outcome.state, round: outcome.round, zxid: hex(outcome.zxid), run });
    const context = this.context();
    let ended: Promise<RunEnd>;
    this.leaderGauges = undefined;
    this.learnerMasterSid = outcome.state === 'LEADING' ? undefined : leader;
    try {
      ended = outcome.state === 'LEADING' ? runLeader(context, (gauges) => (this.leaderGauges = gauges)) : runLearner(context, leader);
    } catch (error) {
      this.fatal(`cannot start the ${outcome.state} run: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    const controlled = this.controlledRun;
    // Test-control mode: the held appends reach the disk when any run ends (a leader's too: Leader.shutdown
    // shuts the SyncRequestProcessor down, which flushes), before the member counts as LOOKING.
    if (controlled !== undefined) ended = ended.then(async (end) => ((await this.store.flush()), end));
    void ended.then((end) => {
      if (controlled !== undefined) controlled.over = true;
      this.trace.line('end', { detail: end.reason });
      if (this.servedCore !== undefined) this.lastCommittedZxid = this.servedCore.lastDurableZxid;
      this.servedCore = undefined;
      if (this.stopping !== undefined) return;
      this.state = 'looking';
      this.log('info', 'looking', { after: end.reason, lastLoggedZxid: hex(this.store.lastLoggedZxid), currentEpoch: this.store.currentEpoch });
      this.leaderSid = undefined;
      this.startedLooking();
      this.election?.startLooking(this.electionInputs());
    });
  }

  private context(): RunContext {
    if (this.control === undefined) return this.runContext(this.abort.signal, () => false);
    // Test-control mode: each run has its own abort (a `kill` of the run, not of the member) and shows its core.
    const abort = new AbortController();
    this.abort.signal.addEventListener('abort', () => abort.abort(), { once: true });
    const run = { peer: undefined as (() => Peer) | undefined, abort, over: false };
    this.controlledRun = run;
    return { ...this.runContext(abort.signal, () => run.over), control: { attach: (peer) => (run.peer = peer) } };
  }

  /** What a role run gets; `over` says when its serve() calls no longer count. */
  private runContext(signal: AbortSignal, over: () => boolean): RunContext {
    return {
      config: this.config,
      membership: this.membership,
      store: this.store,
      log: this.log,
      coreOptions: this.coreOptions,
      quorumSockets: this.quorumPortSockets,
      metrics: this.metrics,
      signal,
      trace: this.trace,
      serve: (core, mode) => {
        if (this.stopping !== undefined || over()) return;
        if (core !== undefined) this.servedCore = core;
        this.state = mode ?? 'looking';
        this.client?.replaceCore(core ?? this.notServing());
      },
      fatal: (reason) => this.fatal(reason),
    };
  }

  private fatal(reason: string): void {
    // Once: every append queued behind the refused one fails too and lands here.
    if (this.stopping === undefined && namesFullDisk(reason)) this.log('fatal', 'disk-full', { reason, message: diskFullAdvice });
    void this.shutdown({ exitCode: 1, reason });
  }

  /** What the four-letter words and the AdminServer read: the server now, with this member's mode and quorum lines. */
  private snapshot(): ServerSnapshotForAdmin {
    const client = this.client!;
    const serving = this.state !== 'looking';
    const mode: ServerMode = this.state === 'looking' ? 'follower' : this.state;
    const snapshot = adminSnapshot({
      core: client.core,
      config: this.config,
      port: client.port,
      version: this.version,
      isServing: () => serving,
      fsyncTimeMs: this.store.database.fsyncTimeMs,
      snapshotTimeMs: this.store.database.snapshotTimeMs,
      metrics: this.metrics,
    });
    // conf: an ensemble member's id and peer settings, as QuorumZooKeeperServer.dumpConf prints them.
    const self = this.membership.self;
    const quorum = {
      initLimitTicks: this.config.initLimitTicks,
      syncLimitTicks: this.config.syncLimitTicks,
      quorumPort: self.quorumPort,
      electionPort: self.electionPort,
      peerType: self.peerType,
      members: this.config.servers.map((s) => ({
        id: s.id,
        host: s.host,
        quorumPort: s.quorumPort,
        electionPort: s.electionPort,
        peerType: s.peerType,
        clientAddress: s.clientAddress,
        clientPort: s.clientPort,
      })),
      configVersion: 0n,
    };
    const gauges = this.state === 'leader' ? this.leaderGauges?.() : undefined;
    return {
      ...snapshot,
      mode,
      config: { ...snapshot.config, serverId: this.membership.myid, quorum },
      ...(gauges === undefined ? {} : { proposalSizes: gauges.proposalSizes }),
      // A read-only server is no QuorumZooKeeperServer: ZooKeeper's mntr has no zk_peer_state or zk_quorum_size then.
      ...(this.state === 'read-only' ? {} : { quorumGauges: this.quorumGauges(gauges) }),
    };
  }

  private actions(): AdminActions {
    const reset = () => this.client?.core.resetStats();
    return { resetServerStats: reset, resetConnectionStats: reset, resetObserverConnectionStats: () => (this.state === 'leader' ? this.leaderGauges?.().resetObserverConnectionStats() : undefined) };
  }

  private fourLetterWord(word: string, argument?: bigint): string | undefined {
    const client = this.client!;
    return answerFourLetterWord(word, () => this.snapshot(), {
      whitelist: this.config.fourLetterWordWhitelist,
      actions: this.actions(),
      ...traceAndDigestOptions(client, this.config, argument),
    });
  }

  /** What the AdminServer's leader, voting_view and zabstate read (QuorumPeer). */
  private quorumView(): QuorumForAdmin {
    const self = this.membership.self;
    const leaderSid = this.leaderSid;
    const leaderHost = leaderSid === undefined ? '' : (this.config.servers.find((s) => s.id === leaderSid)?.host ?? '');
    return {
      myid: this.membership.myid,
      isLeader: this.state === 'leader',
      leaderId: leaderSid ?? -1,
      leaderHost,
      zabState: this.quorumGauges(this.state === 'leader' ? this.leaderGauges?.() : undefined).peerState.zabState,
      quorumAddress: { host: self.host, port: self.quorumPort },
      electionAddress: { host: self.host, port: self.electionPort },
      clientAddress: `${this.config.clientPortAddress.includes(":") ? `[${this.config.clientPortAddress}]` : this.config.clientPortAddress}:${this.clientPort}`,
      voting: self.peerType === 'participant',
      ...(this.state === 'leader' && this.leaderGauges !== undefined ? { observers: this.leaderGauges().observers } : {}),
    };
  }

  /** QuorumPeer.run's LOOKING case: looking_count, and the start of election_time. */
  private startedLooking(): void {
    this.metrics.counters.looking_count++;
    this.lookingSinceMs = performance.now();
    this.readOnly.looking();
  }

  /**
   * mntr's quorum lines (QuorumZooKeeperServer, ObserverZooKeeperServer, LeaderZooKeeperServer).
   * A learner run serves only from BROADCAST (learner-run.ts), after NEWLEADER, when ZooKeeper's sync
   * mode is back to NONE; a leader's phase is its core's.
   */
  private quorumGauges(leader: LeaderRunGauges | undefined): QuorumGaugesForAdmin {
    const peerState: PeerStateForAdmin = (() => {
      switch (this.state) {
        case 'looking':
        case 'read-only':
          return { serverState: 'looking', zabState: 'election', syncMode: 'none' };
        case 'leader':
          return leader?.phase === undefined
            ? { serverState: 'looking', zabState: 'election', syncMode: 'none' }
            : { serverState: 'leading', zabState: zabStateOf[leader.phase], syncMode: 'none' };
        case 'follower':
          return { serverState: 'following', zabState: 'broadcast', syncMode: 'none' };
        case 'observer':
          return { serverState: 'observing', zabState: 'broadcast', syncMode: 'none' };
      }
    })();
    return {
      peerState,
      quorumSize: this.membership.voters,
      ...(this.state === 'observer' ? { observerMasterId: this.learnerMasterSid ?? -1 } : {}),
      ...(leader === undefined
        ? {}
        : {
            leader: {
              learners: leader.learners,
              syncedFollowers: leader.syncedFollowers,
              // Every participant is a voter here (no reconfiguration), so no follower is a non-voting one.
              syncedNonVotingFollowers: 0,
              syncedObservers: leader.syncedObservers,
              pendingSyncs: leader.pendingSyncs,
              leaderUptimeMs: leader.uptimeMs,
            },
          }),
    };
  }

  // Test-control mode (control/control-mode.ts): commands instead of the election, the fsync and the timers.

  private controlServer: LineServer | undefined;
  /** The current (or last) run's core state, and how to end that run. */
  private controlledRun: { peer: (() => Peer) | undefined; readonly abort: AbortController; over: boolean } | undefined;

  private async startControlled(control: ControlMode): Promise<Result<void, string>> {
    try {
      this.controlServer = await LineServer.start(control.port, (command, args) => this.command(command, args));
    } catch (thrown) {
      await this.client?.close();
      const code = (thrown as { code?: unknown }).code;
      return err(`cannot listen on the control port 127.0.0.1:${control.port}: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    this.log('info', 'test-control', { myid: this.membership.myid, controlPort: control.port, bugs: [...control.bugs].join(',') });
    return ok(undefined);
  }

  private async command(command: string, args: readonly string[]): Promise<unknown> {
    const running = this.controlledRun !== undefined && !this.controlledRun.over;
    switch (command) {
      case 'prj':
        return this.controlProjection();
      case 'who':
        return { myid: this.membership.myid, pid: process.pid };
      case 'lead':
      case 'follow': {
        if (running) throw new Error(`a ${this.state} run is still going on`);
        const leader = command === 'lead' ? this.membership.myid : Number(args[0]);
        if (this.membership.coreIdOf(leader) === undefined) throw new Error(`no server ${args[0] ?? ''} to follow`);
        const state = command === 'lead' ? 'LEADING' : this.membership.isObserver(this.membership.myid) ? 'OBSERVING' : 'FOLLOWING';
        this.elected({ leader: BigInt(leader), zxid: this.store.lastLoggedZxid, epoch: BigInt(this.store.currentEpoch), round: 0n, state });
        return {};
      }
      case 'sync': {
        const zxid = BigInt(args[0] ?? '0');
        // The command may overtake the packet whose appends it syncs (another connection): wait for them, bounded.
        const deadline = performance.now() + 2000;
        while (this.store.lastLoggedZxid < zxid && performance.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        const synced = await this.store.syncHeld();
        if (!synced.ok) throw new Error(synced.error);
        return {};
      }
      case 'end':
        if (running) this.controlledRun!.abort.abort();
        return {};
      default:
        throw new Error(`unknown command ${command}`);
    }
  }

  private controlProjection(): { projection: ControlProjection; extra: ControlExtra } {
    const run = this.controlledRun;
    const logged = this.store.durableZxid;
    const peer = run?.peer?.();
    let projection: ControlProjection;
    if (peer === undefined) projection = projectFromDisk(this.store.peerDisk(), logged);
    // A run that ended (a leader's `end` leaves its core as it was): LOOKING with what it left in memory.
    else if (run!.over) projection = projectLooking(peer, logged);
    else projection = projectRunning(peer, logged);
    const waitsForSync = peer !== undefined && peer.role !== 'LOOKING' && peer.role !== 'LEADING' && peer.newLeaderAckAfter !== undefined;
    return {
      projection,
      extra: {
        waitsForSync,
        held: this.store.heldCount,
        running: run !== undefined && !run.over,
        diskAcceptedEpoch: this.store.acceptedEpoch,
        diskCurrentEpoch: this.store.currentEpoch,
        epochWrites: this.store.epochWritesInFlight,
        ...(peer === undefined ? historyOf((({ log, snapshotCount }) => ({ history: log, lastCommitted: snapshotCount }))(this.store.peerDisk())) : historyOf(peer)),
      },
    };
  }

  shutdown(stop: EnsembleStop): Promise<EnsembleStop> {
    this.stopping ??= (async () => {
      this.log(stop.exitCode === 0 ? 'info' : 'fatal', 'stopping', { reason: stop.reason, exitCode: stop.exitCode });
      this.abort.abort();
      this.stalls.stop();
      this.readOnly.stop('shutdown');
      await this.controlServer?.close();
      await this.endpoints?.close();
      this.client?.core.stop();
      await this.election?.close();
      await this.client?.close();
      await this.store.settled();
      await this.store.close();
      this.trace.flush();
      this.log('info', 'stopped', { lastLoggedZxid: hex(this.store.lastLoggedZxid), exitCode: stop.exitCode });
      this.resolveStopped(stop);
      return stop;
    })();
    return this.stopping;
  }
}
