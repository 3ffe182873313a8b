// The four-letter words' view of a running server (admin's
// ServerSnapshotForAdmin), built on demand from the core's stats, its tree,
// the storage directories and the database's fsync and snapshot timings.
// Both modes use it: the standalone server as it is, an ensemble member with
// its mode, server id and quorum lines laid over it (ensemble/quorum-peer.ts).
// Each field is filled from the value that means the same thing in
// ZooKeeper; where we have no such value the optional field is left out,
// and the few approximations are named below.
//
// Approximations:
// - a connection's `expiresAtMs` (NIOServerCnxnFactory's idle-connection
//   queue) is its last activity plus its session timeout; ZooKeeper's queue
//   uses the same timeout, touched on each packet;
// - session expiry times come from the core's SessionTracker
//   (`ServerCore.sessionExpiries`, its tick-rounded expiry buckets);
// - `authFailedCount` is 0: the core does not count failed auths;
// - `fsyncTimeMs` is the time of one append to the database (write + fsync,
//   impl/database/database.ts): a whole group of writes for the standalone
//   server, which is what a client waits for, one txn for an ensemble member;
//   ZooKeeper's fsynctime times the fsync alone.

import { readdirSync, readlinkSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { nodeEnvironment } from './environment.ts';
import { quotaGaugeSets } from './quota-metrics.ts';
import type { ConnectionForAdmin, ServerSnapshotForAdmin, SummaryForAdmin } from './server-snapshot.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import type { ServerMetrics } from '../observability/server-metrics.ts';
import type { ServerCore } from '../server/core.ts';
import type { ConnectionInfo } from '../server/stats.ts';
import { versionDirName } from '../storage/file-names.ts';

export type AdminSources = {
  readonly core: ServerCore;
  readonly config: ZooKeeperConfig;
  readonly port: number;
  readonly version: string;
  readonly isServing: () => boolean;
  readonly fsyncTimeMs: SummaryForAdmin;
  readonly snapshotTimeMs: SummaryForAdmin;
  /** The process's counters and summaries (mntr's lines after the gauges). */
  readonly metrics?: ServerMetrics;
  readonly now?: () => number;
};

/** What the four-letter words read of a running server, now: counters, connections, watches, sessions, storage, settings. */
export function adminSnapshot(sources: AdminSources): ServerSnapshotForAdmin {
  const { core } = sources;
  const now = (sources.now ?? Date.now)();
  const stats = core.stats();
  const connections = stats.connections.map((c) => connectionForAdmin(c, core.maxSessionTimeoutMs));
  const dataWatches = dataWatchesBySession(core, stats.connections);
  const expiries = core.sessionExpiries();
  const ephemerals = ephemeralsBySession(core);
  const fileDescriptors = openFileDescriptors();
  return {
    isServing: sources.isServing(),
    version: sources.version,
    mode: 'standalone',
    lastProcessedZxid: stats.lastProcessedZxid,
    latency: { minMs: stats.latencyMinMs, avgMs: stats.latencyAvgMs, maxMs: stats.latencyMaxMs },
    packetsReceived: stats.packetsReceived,
    packetsSent: stats.packetsSent,
    outstandingRequests: stats.outstandingRequests,
    nodeCount: stats.znodeCount,
    connections,
    dataWatches,
    watchCount: stats.watchCount,
    sessions: expiries,
    ephemerals,
    approximateDataSizeBytes: stats.approximateDataSize,
    uptimeMs: now - stats.startedAtMs,
    authFailedCount: 0,
    ...(fileDescriptors === undefined ? {} : { fileDescriptors }),
    fsyncTimeMs: { ...sources.fsyncTimeMs },
    snapshotTimeMs: { ...sources.snapshotTimeMs },
    clientResponseBytes: stats.clientResponseBytes,
    ...(sources.metrics === undefined ? {} : { metrics: sources.metrics }),
    quotaGauges: quotaGaugeSets(core.tree),
    config: configForAdmin(sources),
    environment: nodeEnvironment(sources.version),
  };
}

/** One connection as cons lists it; the session's part only once the handshake has given it one. */
function connectionForAdmin(c: ConnectionInfo, maxSessionTimeoutMs: number): ConnectionForAdmin {
  const lastActivityMs = Math.max(c.establishedAtMs, c.lastResponseAtMs);
  return {
    remoteAddress: c.remoteAddress,
    remotePort: c.remotePort,
    interestOps: c.interestOps,
    outstandingRequests: c.outstandingRequests,
    packetsReceived: c.packetsReceived,
    packetsSent: c.packetsSent,
    expiresAtMs: lastActivityMs + (c.sessionTimeoutMs ?? maxSessionTimeoutMs),
    sessionId: c.sessionId ?? 0n,
    session:
      c.sessionId === undefined
        ? undefined
        : {
            lastOperation: c.lastOperation,
            establishedAtMs: c.establishedAtMs,
            sessionTimeoutMs: c.sessionTimeoutMs ?? 0,
            lastCxid: c.lastCxid,
            lastZxid: c.lastZxid,
            lastResponseAtMs: c.lastResponseAtMs,
            lastLatencyMs: c.lastLatencyMs,
            latencyMinMs: c.latencyMinMs,
            latencyAvgMs: Math.floor(c.latencyAvgMs),
            latencyMaxMs: c.latencyMaxMs,
          },
  };
}

/** Data watches only (DataTree.dumpWatches reads dataWatches), keyed by the watching connection's session. */
function dataWatchesBySession(core: ServerCore, connections: readonly ConnectionInfo[]): ServerSnapshotForAdmin['dataWatches'] {
  const sessionOf = new Map<number, bigint>();
  for (const c of connections) if (c.sessionId !== undefined) sessionOf.set(c.connectionId, c.sessionId);
  const dataWatches: { sessionId: bigint; path: string }[] = [];
  for (const [watcher, paths] of core.tree.dataWatches.byWatcher()) {
    const sessionId = sessionOf.get(watcher);
    if (sessionId === undefined) continue;
    for (const path of paths) dataWatches.push({ sessionId, path });
  }
  return dataWatches;
}

/** The sessions that own ephemeral znodes, with their paths (DataTree.ephemerals). */
function ephemeralsBySession(core: ServerCore): ServerSnapshotForAdmin['ephemerals'] {
  return [...core.tree.ephemerals.keys()]
    .map((sessionId) => ({ sessionId, paths: core.tree.getEphemerals(sessionId) }))
    .filter((e) => e.paths.length > 0);
}

/** What conf prints: the settings in force and the storage directories with their sizes. */
function configForAdmin(sources: AdminSources): ServerSnapshotForAdmin['config'] {
  const { core, config } = sources;
  const snapDir = resolve(config.dataDir, versionDirName);
  const logDir = resolve(config.dataLogDir, versionDirName);
  return {
    clientPort: sources.port,
    dataDir: snapDir,
    dataDirSizeBytes: directoryBytes(snapDir),
    dataLogDir: logDir,
    dataLogSizeBytes: directoryBytes(logDir),
    tickTimeMs: core.tickTimeMs,
    maxClientCnxns: config.maxClientCnxns,
    minSessionTimeoutMs: core.minSessionTimeoutMs,
    maxSessionTimeoutMs: core.maxSessionTimeoutMs,
    serverId: 0,
  };
}

/** The bytes of the regular files in a directory (ZooKeeper's dirs and conf sum the files of version-2). */
function directoryBytes(dir: string): number {
  let total = 0;
  try {
    for (const name of readdirSync(dir)) {
      try {
        const stat = statSync(join(dir, name));
        if (stat.isFile()) total += stat.size;
      } catch {
        // Purged between the listing and the stat.
      }
    }
  } catch {
    return 0;
  }
  return total;
}

/** Open and maximum file descriptors from /proc (Linux); undefined elsewhere, and mntr leaves the lines out. */
function openFileDescriptors(): { open: number; max: number } | undefined {
  try {
    const open = readdirSync('/proc/self/fd').filter((fd) => {
      try {
        readlinkSync(`/proc/self/fd/${fd}`);
        return true;
      } catch {
        return false; // the fd of the listing itself, closed by now
      }
    }).length;
    const limits = readFileSync('/proc/self/limits', 'utf8');
    const match = /^Max open files\s+(\d+)/m.exec(limits);
    if (match === null) return undefined;
    return { open, max: Number(match[1]) };
  } catch {
    return undefined;
  }
}
