// A standalone ZooKeeper-compatible server as one durable process: zoo.cfg's
// settings, the database under dataDir/dataLogDir (impl/database), the TCP
// server, snapshots and the four-letter words, wired together. This is what
// ZooKeeperServerMain.runFromConfig does for ZooKeeper: open FileTxnSnapLog,
// load the database (ZKDatabase.loadDataBase: snapshot, then the log), start
// the connection factory, and shut everything down in order.
//
// Durability: the core's `persist` is the database's group-commit append, so
// no reply or watch event that depends on a write leaves before the write is
// fsynced (unless forceSync=no). An append error (a full disk) stops the
// server: the core drops what it had not yet released, this module logs the
// reason at level fatal, closes the listener and the log, and `stopped`
// resolves with exit code 1. Acknowledging a write the disk refused would be
// a lie a restart would expose.
//
// Snapshots: the core applies every write to its one tree, so whenever the
// schedule says a snapshot is due, that tree is offered as it is, for a fuzzy
// snapshot serialised a slice at a time while requests go on (the database
// writes it once the log has caught up with what it holds).
//
// Shutdown (`close`, on SIGINT/SIGTERM from main.ts): stop accepting and close
// the connections (replies not yet released are dropped: their writes were
// never acknowledged), wait for a snapshot under way, wait for the log's
// pending appends (flush), close it. Exit code 0.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fullVersion } from '../admin/version.ts';
import { answerFourLetterWord } from '../admin/four-letter-words.ts';
import { traceAndDigestOptions } from '../admin/trace-and-digest.ts';
import { isStandalone, type ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { Database, TxnLogError } from '../database/database.ts';
import { rebuildTree } from '../database/rebuild-tree.ts';
import { authenticationOptionsOf } from '../server/authentication.ts';
import { startServer, type StartServerOptions, type ZooKeeperServer } from '../server/server.ts';
import type { ServerCore } from '../server/core.ts';
import type { Persist } from '../server/options.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { adminSnapshot } from '../admin/admin-snapshot.ts';
import type { AdminCommand } from '../admin/admin-commands.ts';
import { startEndpoints, type Endpoints } from '../admin/endpoints.ts';
import type { AdminActions, ServerSnapshotForAdmin } from '../admin/server-snapshot.ts';
import { ServerMetrics } from '../observability/server-metrics.ts';
import { createLogger, type StructuredLogger } from '../observability/logger.ts';
import { encodeTxnWith, type Txn } from '../tree/txn.ts';
import { pooledBytes } from '../server/pooled-bytes.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { clientListeners } from '../security/client-x509.ts';

export type StandaloneOptions = {
  readonly log?: StructuredLogger;
  /** AdminServer commands beyond ZooKeeper's (the caller's, e.g. a log level command). */
  readonly adminCommands?: readonly AdminCommand[];
  /** The file system under storage; tests inject faults (a full disk) here. */
  readonly fs?: FsLayer;
  /** Seed of the snapshot schedule's jitter, for reproducible tests. */
  readonly snapshotSeed?: number;
  /** The wall clock the pipeline reads (txn times); Date.now by default, the fault switch's stepped one in test mode (impl/faults). */
  readonly now?: () => number;
};

export type StandaloneStop = { readonly exitCode: number; readonly reason: string };

export type StandaloneServer = {
  readonly host: string;
  readonly port: number;
  readonly core: ServerCore;
  readonly database: Database;
  /** Resolves once the server has stopped, for whatever reason. */
  readonly stopped: Promise<StandaloneStop>;
  /** Clean shutdown; resolves when the log is closed. */
  close(reason?: string): Promise<StandaloneStop>;
};

/**
 * Runs a standalone server from zoo.cfg (ZooKeeperServerMain.runFromConfig):
 * loads the database, then serves it on the client port until `close` or a
 * log failure. Err when the configuration lists servers, the database cannot
 * be read, or the port cannot be bound.
 */
export async function startStandalone(config: ZooKeeperConfig, options: StandaloneOptions = {}): Promise<Result<StandaloneServer, string>> {
  const log = options.log ?? createLogger('info');
  if (!isStandalone(config)) {
    return err(`the configuration lists ${config.servers.length} servers; this entry point runs a standalone server only (remove the server.N lines)`);
  }
  const version = fullVersion();
  logStarting(log, config, version);
  // The key and trust stores are read before the database: a TLS setting that cannot be used stops the start.
  const listeners = clientListeners(config);
  if (!listeners.ok) return listeners;
  const metrics = new ServerMetrics();
  const loadStartedAt = performance.now();
  const loaded = await loadDataBase(config, options, log);
  if (!loaded.ok) return loaded;
  // ZKDatabase.loadDataBase's dbinittime and startup_txns_loaded.
  metrics.summaries.dbinittime.add(performance.now() - loadStartedAt);
  metrics.summaries.startup_txns_loaded.add(loaded.value.replayedTxns);
  metrics.adoptDatabaseTimings(loaded.value.database);
  // The secret an earlier version derived session passwords from; they are random and kept with each session now (impl/server/session-password.ts).
  if (existsSync(join(config.dataDir, 'session-secret'))) log('info', 'session-secret-unused', { path: join(config.dataDir, 'session-secret'), message: 'no longer read: session passwords are random and kept with their sessions; the file may be deleted' });
  const main = new ZooKeeperServerMain(config, log, version, loaded.value.database, listeners.value, metrics, options.adminCommands ?? [], options.now);
  return main.serve(loaded.value.tree);
}

/** The `starting` line: the version and the settings that decide where the data is and how it is kept. */
function logStarting(log: StructuredLogger, config: ZooKeeperConfig, version: string): void {
  log('info', 'starting', {
    version,
    dataDir: config.dataDir,
    dataLogDir: config.dataLogDir,
    clientPortAddress: config.clientPortAddress,
    clientPort: config.clientPort,
    tickTimeMs: config.tickTimeMs,
    snapCount: config.snapCount,
    forceSync: config.forceSync,
    purgeIntervalHours: config.purgeIntervalHours,
  });
}

/**
 * Recovery (ZKDatabase.loadDataBase): opens the database under dataDir and
 * dataLogDir and rebuilds the data tree from its snapshot and log. From then
 * on, whenever the snapshot schedule comes due, that tree is offered as it is
 * (a fuzzy snapshot: database/snapshotter.ts).
 */
async function loadDataBase(config: ZooKeeperConfig, options: StandaloneOptions, log: StructuredLogger): Promise<Result<{ readonly database: Database; readonly tree: DataTree; readonly replayedTxns: number }, string>> {
  // The tree exists only once the database has been read; the schedule cannot come due before the first append.
  let tree: DataTree | undefined;
  const opened = await Database.open(config, {
    log,
    ...(options.fs === undefined ? {} : { fs: options.fs }),
    ...(options.snapshotSeed === undefined ? {} : { snapshotSeed: options.snapshotSeed }),
    onSnapshotDue: () => {
      if (tree !== undefined) void database.fuzzySnapshotIfDue(tree);
    },
  });
  if (!opened.ok) return opened;
  const { database, recovery } = opened.value;

  const rebuilt = rebuildTree(
    recovery.snapshot,
    recovery.records.map((record) => ({ zxid: record.zxid, data: record.payload })),
  );
  if (!rebuilt.ok) {
    await database.close();
    return err(`cannot rebuild the data tree from ${config.dataDir}: ${rebuilt.error}`);
  }
  tree = rebuilt.value.tree;
  log('info', 'recovered', {
    snapshotZxid: rebuilt.value.snapshotZxid,
    replayedTxns: rebuilt.value.replayedTxns,
    lastZxid: tree.lastProcessedZxid,
    nodeCount: tree.nodeCount,
    sessions: tree.sessions.size,
    ephemerals: tree.ephemeralCount,
  });
  return ok({ database, tree, replayedTxns: rebuilt.value.replayedTxns });
}

/**
 * The process once its database is loaded (ZooKeeperServerMain): the
 * pipeline over the database on the client port, its four-letter words, and
 * the one shutdown, whether asked for or forced by a log failure.
 */
class ZooKeeperServerMain {
  readonly stopped: Promise<StandaloneStop>;
  private resolveStopped!: (stop: StandaloneStop) => void;
  private serving = false;
  private stopping: Promise<StandaloneStop> | undefined;
  private server!: ZooKeeperServer;
  private endpoints: Endpoints | undefined;

  constructor(
    private readonly config: ZooKeeperConfig,
    private readonly log: StructuredLogger,
    private readonly version: string,
    private readonly database: Database,
    private readonly listeners: Pick<StartServerOptions, 'plaintext' | 'secure' | 'portUnification'>,
    private readonly metrics: ServerMetrics,
    private readonly adminCommands: readonly AdminCommand[],
    private readonly now: (() => number) | undefined,
  ) {
    this.stopped = new Promise<StandaloneStop>((resolve) => (this.resolveStopped = resolve));
  }

  /** Serves `tree` on clientPortAddress:clientPort; a port that cannot be bound closes the database and is an error. */
  async serve(tree: DataTree): Promise<Result<StandaloneServer, string>> {
    const { config, database, log } = this;
    try {
      this.server = await startServer(this.serverOptions(tree));
    } catch (thrown) {
      await database.close();
      const code = (thrown as { code?: unknown }).code;
      const where = config.clientTls.secureClientPort === undefined ? `${config.clientPortAddress}:${config.clientPort}` : `${config.clientPortAddress}:${config.clientPort} or ${config.clientTls.secureClientPortAddress}:${config.clientTls.secureClientPort}`;
      return err(`cannot listen on ${where}: ${typeof code === 'string' ? code : String(thrown)}`);
    }
    const { server } = this;
    // One trace mask for gtmk/stmk and get_trace_mask/set_trace_mask, as ZooTrace's is one per process.
    const endpoints = await startEndpoints(config, { snapshot: () => this.snapshot(), actions: this.actions(), ...traceAndDigestOptions(server, config, undefined) }, log, this.adminCommands);
    if (!endpoints.ok) {
      await server.close();
      await database.close();
      return endpoints;
    }
    this.endpoints = endpoints.value;
    this.serving = true;
    log('info', 'serving', {
      host: server.host,
      port: server.port,
      ...(server.securePort === undefined ? {} : { securePort: server.securePort }),
      lastZxid: tree.lastProcessedZxid,
      nodeCount: tree.nodeCount,
      sessions: tree.sessions.size,
      // The PID a supervisor signals (also in the PID file, impl/process/pid-file.ts).
      pid: process.pid,
    });
    return ok({
      host: server.host,
      port: server.port,
      core: server.core,
      database,
      stopped: this.stopped,
      close: (reason = 'shutdown requested') => this.shutdown({ exitCode: 0, reason }),
    });
  }

  /** zoo.cfg's settings for the pipeline and the TCP server, with `persist` the database's append. */
  private serverOptions(tree: DataTree): StartServerOptions {
    const { config, log } = this;
    return {
      host: config.clientPortAddress,
      port: config.clientPort,
      ...this.listeners,
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      maxClientCnxns: config.maxClientCnxns,
      maxCnxns: config.maxCnxns,
      sessionlessCnxnTimeoutMs: config.sessionlessCnxnTimeoutMs,
      globalOutstandingLimit: config.globalOutstandingLimit,
      frameBytesMax: config.juteMaxBufferBytes,
      replyBytesMax: config.juteMaxBufferBytes,
      ...(config.superDigest === undefined ? {} : { superDigest: config.superDigest }),
      authentication: authenticationOptionsOf(config),
      // enforceQuota, extendedTypesEnabled and the container sweeper's znode.container.* settings.
      ...config.treeFeatures,
      tree,
      persist: persistTo(this.database),
      ...(this.now === undefined ? {} : { now: this.now }),
      metrics: this.metrics,
      onFatal: (error) => this.txnLogFailed(error),
      log,
      fourLetterWord: (word, _server, argument) => this.fourLetterWord(word, argument),
    };
  }

  /** The core's onFatal: the log refused a write, so the server stops without acknowledging it (exit code 1). */
  private txnLogFailed(error: unknown): void {
    const message = error instanceof TxnLogError ? error.message : error instanceof Error ? error.message : String(error);
    this.log('fatal', 'txn-log-failed', {
      error: message,
      message: 'stopping the server without acknowledging the write',
      ...(error instanceof TxnLogError ? { zxid: error.zxid, code: error.storageError.kind === 'io' ? error.storageError.code : error.storageError.kind } : {}),
    });
    void this.shutdown({ exitCode: 1, reason: message });
  }

  /** What the four-letter words and the AdminServer read: the server now. */
  private snapshot(): ServerSnapshotForAdmin {
    const { config, database, server } = this;
    return adminSnapshot({
      core: server.core,
      config,
      port: server.port,
      version: this.version,
      isServing: () => this.serving,
      fsyncTimeMs: database.fsyncTimeMs,
      snapshotTimeMs: database.snapshotTimeMs,
      metrics: this.metrics,
    });
  }

  /** The core has one reset for server and connection counters; srst and crst both use it. */
  private actions(): AdminActions {
    const reset = () => this.server.core.resetStats();
    return { resetServerStats: reset, resetConnectionStats: reset };
  }

  /** Answers a four-letter word from a fresh admin snapshot, within zoo.cfg's whitelist. */
  private fourLetterWord(word: string, argument?: bigint): string | undefined {
    return answerFourLetterWord(word, () => this.snapshot(), {
      whitelist: this.config.fourLetterWordWhitelist,
      actions: this.actions(),
      ...traceAndDigestOptions(this.server, this.config, argument),
    });
  }

  /** Stops once, in order: the client port and its connections, then the database (its snapshot and pending appends). */
  shutdown(stop: StandaloneStop): Promise<StandaloneStop> {
    this.stopping ??= (async () => {
      this.serving = false;
      this.log(stop.exitCode === 0 ? 'info' : 'fatal', 'stopping', { reason: stop.reason, exitCode: stop.exitCode });
      await this.endpoints?.close();
      await this.server.close();
      await this.database.close();
      this.log('info', 'stopped', { lastLoggedZxid: this.database.storage.lastLoggedZxid, exitCode: stop.exitCode });
      this.resolveStopped(stop);
      return stop;
    })();
    return this.stopping;
  }
}

/** The core's persist: the group's txns encoded and appended; resolves once all are durable, throws the log's refusal. */
function persistTo(database: Database): Persist {
  return async (txns) => {
    const appended = await database.append(txns.map(loggedTxn));
    if (!appended.ok) throw appended.error;
  };
}

/** A txn as the log appends it; its bytes live only until the log has copied them into its write (server/pooled-bytes.ts). */
export function loggedTxn(txn: Txn): { readonly zxid: bigint; readonly data: Uint8Array } {
  return { zxid: txn.zxid, data: encodeTxnWith(txn, pooledBytes) };
}
