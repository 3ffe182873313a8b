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
//   another server.
// - A failed write to the log or an epoch file stops the process with exit
//   code 1 (the standalone server does the same): acknowledging anything
//   after the disk refused a write would be a lie.

import { fullVersion } from '../admin/version.ts';
import { answerFourLetterWord } from '../admin/four-letter-words.ts';
import type { ServerMode } from '../admin/server-snapshot.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { ElectionRunner, type ElectionOutcome } from '../quorum/election-runner.ts';
import { ServerCore, type ServerCoreOptions } from '../server/core.ts';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import { adminSnapshot } from '../standalone/admin-snapshot.ts';
import type { StructuredLogger } from '../standalone/logger.ts';
import { hex } from '../storage/file-names.ts';
import { err, ok, type Result } from '../storage/result.ts';
import { runLeader } from './leader-run.ts';
import { runLearner } from './learner-run.ts';
import { membershipOf, type Membership } from './membership.ts';
import { PeerTrace } from './peer-trace.ts';
import { ReplicaStore } from './replica-store.ts';
import type { RunContext, RunEnd, ServingMode } from './run-context.ts';

export type EnsembleStop = { readonly exitCode: number; readonly reason: string };

export interface EnsembleMember {
  readonly myid: number;
  readonly clientPort: number;
  /** 'looking' between roles. */
  readonly state: () => 'looking' | ServingMode;
  readonly stopped: Promise<EnsembleStop>;
  close(reason?: string): Promise<EnsembleStop>;
}

export async function startEnsembleMember(config: ZooKeeperConfig, myid: number, log: StructuredLogger): Promise<Result<EnsembleMember, string>> {
  const member = membershipOf(config, myid);
  if (!member.ok) return member;
  const membership = member.value;
  const opened = await ReplicaStore.open(config, log);
  if (!opened.ok) return opened;
  const store = opened.value;
  log('info', 'recovered', {
    myid,
    acceptedEpoch: store.acceptedEpoch,
    currentEpoch: store.currentEpoch,
    lastLoggedZxid: hex(store.lastLoggedZxid),
  });
  const peer = new QuorumPeer(config, membership, store, log);
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
  state: 'looking' | ServingMode = 'looking';
  private client: ZooKeeperServer | undefined;
  private election: ElectionRunner | undefined;
  private readonly coreOptions: ServerCoreOptions;
  private readonly version = fullVersion();
  private stopping: Promise<EnsembleStop> | undefined;
  private resolveStopped!: (stop: EnsembleStop) => void;
  readonly stopped: Promise<EnsembleStop>;
  private runs = 0;
  private readonly abort = new AbortController();
  private readonly trace: PeerTrace;

  constructor(
    private readonly config: ZooKeeperConfig,
    private readonly membership: Membership,
    private readonly store: ReplicaStore,
    private readonly log: StructuredLogger,
  ) {
    this.stopped = new Promise((resolve) => (this.resolveStopped = resolve));
    this.trace = new PeerTrace(membership.myid);
    this.trace.line('start', { detail: `acceptedEpoch ${store.acceptedEpoch} currentEpoch ${store.currentEpoch} lastLoggedZxid ${hex(store.lastLoggedZxid)}` });
    this.store.committedLogCountMax = membership.peerConfig.committedLogCountMax;
    this.coreOptions = {
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      serverId: membership.myid,
      ...(config.superDigest === undefined ? {} : { superDigest: config.superDigest }),
      log: (level, message) => log(level, 'server', { message }),
    };
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
    try {
      this.client = await startServer({
        host: config.clientPortAddress,
        port: config.clientPort,
        core: this.notServing(),
        maxClientCnxns: config.maxClientCnxns,
        globalOutstandingLimit: config.globalOutstandingLimit,
        frameBytesMax: config.juteMaxBufferBytes,
        log: (level, message) => log(level, 'server', { message }),
        fourLetterWord: (word) => this.fourLetterWord(word),
      });
    } catch (thrown) {
      const code = (thrown as { code?: unknown }).code;
      return err(`cannot listen on ${config.clientPortAddress}:${config.clientPort}: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    this.election = new ElectionRunner({
      myid: membership.myid,
      members: membership.electionMembers,
      cnxTimeoutMs: config.cnxTimeoutMs,
      onElected: (outcome) => this.elected(outcome),
      log: (line) => log('debug', 'election', { message: line }),
    });
    try {
      await this.election.listen();
    } catch (thrown) {
      await this.client.close();
      const code = (thrown as { code?: unknown }).code;
      return err(`cannot listen on the election port ${membership.self.host}:${membership.self.electionPort}: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    log('info', 'looking', { myid: membership.myid, clientPort: this.client.port, lastLoggedZxid: hex(this.store.lastLoggedZxid), currentEpoch: this.store.currentEpoch });
    this.election.startElection(this.electionInputs());
    return ok(undefined);
  }

  private electionInputs() {
    return { lastLoggedZxid: this.store.lastLoggedZxid, currentEpoch: BigInt(this.store.currentEpoch) };
  }

  private elected(outcome: ElectionOutcome): void {
    if (this.stopping !== undefined) return;
    const run = ++this.runs;
    this.trace.run = run;
    this.trace.line('elected', { detail: `${outcome.state} leader ${Number(outcome.leader)}` });
    const leader = Number(outcome.leader);
    this.log('info', 'elected', { leader, state: outcome.state, round: outcome.round, zxid: hex(outcome.zxid), run });
    const context = this.context();
    let ended: Promise<RunEnd>;
    try {
      ended = outcome.state === 'LEADING' ? runLeader(context) : runLearner(context, leader);
    } catch (error) {
      this.fatal(`cannot start the ${outcome.state} run: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    void ended.then((end) => {
      this.trace.line('end', { detail: end.reason });
      if (this.stopping !== undefined) return;
      this.state = 'looking';
      this.log('info', 'looking', { after: end.reason, lastLoggedZxid: hex(this.store.lastLoggedZxid), currentEpoch: this.store.currentEpoch });
      this.election?.startLooking(this.electionInputs());
    });
  }

  private context(): RunContext {
    return {
      config: this.config,
      membership: this.membership,
      store: this.store,
      log: this.log,
      coreOptions: this.coreOptions,
      signal: this.abort.signal,
      trace: this.trace,
      serve: (core, mode) => {
        if (this.stopping !== undefined) return;
        this.state = mode ?? 'looking';
        this.client?.replaceCore(core ?? this.notServing());
      },
      fatal: (reason) => this.fatal(reason),
    };
  }

  private fatal(reason: string): void {
    void this.shutdown({ exitCode: 1, reason });
  }

  private fourLetterWord(word: string): string | undefined {
    const client = this.client!;
    const serving = this.state !== 'looking';
    const mode: ServerMode = this.state === 'looking' ? 'follower' : this.state;
    return answerFourLetterWord(
      word,
      () => ({
        ...adminSnapshot({
          core: client.core,
          config: this.config,
          port: client.port,
          version: this.version,
          isServing: () => serving,
          fsyncTimeMs: this.store.fsyncTimeMs,
          snapshotTimeMs: this.store.snapshotTimeMs,
        }),
        mode,
      }),
      {
        whitelist: this.config.fourLetterWordWhitelist,
        actions: { resetServerStats: () => client.core.resetStats(), resetConnectionStats: () => client.core.resetStats() },
      },
    );
  }

  shutdown(stop: EnsembleStop): Promise<EnsembleStop> {
    this.stopping ??= (async () => {
      this.log(stop.exitCode === 0 ? 'info' : 'fatal', 'stopping', { reason: stop.reason, exitCode: stop.exitCode });
      this.abort.abort();
      this.client?.core.stop();
      await this.election?.close();
      await this.client?.close();
      await this.store.flush();
      await this.store.close();
      this.trace.flush();
      this.log('info', 'stopped', { lastLoggedZxid: hex(this.store.lastLoggedZxid), exitCode: stop.exitCode });
      this.resolveStopped(stop);
      return stop;
    })();
    return this.stopping;
  }
}
