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
// schedule says a snapshot is due, that tree is offered as it is (the
// database writes it once the log has caught up with it).
//
// Shutdown (`close`, on SIGINT/SIGTERM from main.ts): stop accepting and close
// the connections (replies not yet released are dropped: their writes were
// never acknowledged), wait for a snapshot under way, wait for the log's
// pending appends (flush), close it. Exit code 0.

import { fullVersion } from '../admin/version.ts';
import { answerFourLetterWord } from '../admin/four-letter-words.ts';
import { isStandalone, type ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { Database, TxnLogError } from '../database/database.ts';
import { rebuildTree } from '../database/rebuild-tree.ts';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import type { ServerCore } from '../server/core.ts';
import { hex } from '../../lib/hex.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { adminSnapshot } from '../admin/admin-snapshot.ts';
import { createLogger, type StructuredLogger } from '../observability/logger.ts';
import { encodeTxn, type Txn } from '../tree/txn.ts';
import type { DataTree } from '../tree/data-tree.ts';

export type StandaloneOptions = {
  readonly log?: StructuredLogger;
  /** The file system under storage; tests inject faults (a full disk) here. */
  readonly fs?: FsLayer;
  /** Seed of the snapshot schedule's jitter, for reproducible tests. */
  readonly snapshotSeed?: number;
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

export async function startStandalone(config: ZooKeeperConfig, options: StandaloneOptions = {}): Promise<Result<StandaloneServer, string>> {
  const log = options.log ?? createLogger('info');
  if (!isStandalone(config)) {
    return err(`the configuration lists ${config.servers.length} servers; this entry point runs a standalone server only (remove the server.N lines)`);
  }
  const version = fullVersion();
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

  // The tree exists only once the database has been read; the schedule cannot come due before the first append.
  let tree: DataTree | undefined;
  const opened = await Database.open(config, {
    log,
    ...(options.fs === undefined ? {} : { fs: options.fs }),
    ...(options.snapshotSeed === undefined ? {} : { snapshotSeed: options.snapshotSeed }),
    onSnapshotDue: () => {
      if (tree !== undefined) void database.snapshotIfDue(tree);
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

  /** The core's persist: the group's txns encoded and appended; resolves once all are durable, throws the log's refusal. */
  const persist = async (txns: readonly Txn[]): Promise<void> => {
    if (txns.length === 0) return;
    const appended = await database.append(txns.map((txn) => ({ zxid: txn.zxid, data: encodeTxn(txn) })));
    if (!appended.ok) throw appended.error;
  };
  let serving = false;
  let stopping: Promise<StandaloneStop> | undefined;
  let resolveStopped!: (stop: StandaloneStop) => void;
  const stopped = new Promise<StandaloneStop>((resolve) => (resolveStopped = resolve));
  let server: ZooKeeperServer;

  const shutdown = (stop: StandaloneStop): Promise<StandaloneStop> => {
    stopping ??= (async () => {
      serving = false;
      log(stop.exitCode === 0 ? 'info' : 'fatal', 'stopping', { reason: stop.reason, exitCode: stop.exitCode });
      await server.close();
      await database.close();
      log('info', 'stopped', { lastLoggedZxid: database.storage.lastLoggedZxid, exitCode: stop.exitCode });
      resolveStopped(stop);
      return stop;
    })();
    return stopping;
  };

  try {
    server = await startServer({
      host: config.clientPortAddress,
      port: config.clientPort,
      tickTimeMs: config.tickTimeMs,
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      maxClientCnxns: config.maxClientCnxns,
      globalOutstandingLimit: config.globalOutstandingLimit,
      frameBytesMax: config.juteMaxBufferBytes,
      ...(config.superDigest === undefined ? {} : { superDigest: config.superDigest }),
      tree,
      persist,
      onFatal: (error) => {
        const message = error instanceof TxnLogError ? error.message : error instanceof Error ? error.message : String(error);
        log('fatal', 'txn-log-failed', {
          message: `${message}; stopping the server without acknowledging the write`,
          ...(error instanceof TxnLogError ? { zxid: error.zxid, code: error.storageError.kind === 'io' ? error.storageError.code : error.storageError.kind } : {}),
        });
        void shutdown({ exitCode: 1, reason: message });
      },
      log: (level, message) => log(level, 'server', { message }),
      fourLetterWord: (word) =>
        answerFourLetterWord(
          word,
          () =>
            adminSnapshot({
              core: server.core,
              config,
              port: server.port,
              version,
              isServing: () => serving,
              fsyncTimeMs: database.fsyncTimeMs,
              snapshotTimeMs: database.snapshotTimeMs,
            }),
          {
            whitelist: config.fourLetterWordWhitelist,
            // The core has one reset for server and connection counters; both words use it.
            actions: { resetServerStats: () => server.core.resetStats(), resetConnectionStats: () => server.core.resetStats() },
          },
        ),
    });
  } catch (thrown) {
    await database.close();
    const code = (thrown as { code?: unknown }).code;
    return err(`cannot listen on ${config.clientPortAddress}:${config.clientPort}: ${typeof code === 'string' ? code : String(thrown)}`);
  }

  serving = true;
  log('info', 'serving', {
    host: server.host,
    port: server.port,
    lastZxid: tree.lastProcessedZxid,
    nodeCount: tree.nodeCount,
    sessions: tree.sessions.size,
    message: `serving on ${server.host}:${server.port} at zxid ${hex(tree.lastProcessedZxid)}`,
  });
  return ok({
    host: server.host,
    port: server.port,
    core: server.core,
    database,
    stopped,
    close: (reason = 'shutdown requested') => shutdown({ exitCode: 0, reason }),
  });
}
