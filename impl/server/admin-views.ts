// What the four-letter words and the admin server read from the pipeline:
// stats (srvr, stat, cons, mntr), the counter resets (srst, crst), the watch
// listings (wchc, wchp) and the session listings (dump). Read-only views over
// the parts' state, apart from the resets; the text formats are impl/admin's.

import type { DataTree } from '../tree/data-tree.ts';
import type { Connections } from './connections.ts';
import type { ServerState } from './options.ts';
import type { SessionTracker } from './session-tracker.ts';
import type { ConnectionInfo, ServerCounters, ServerStats } from './stats.ts';

export class AdminViews {
  constructor(
    private readonly tree: DataTree,
    private readonly tracker: SessionTracker,
    private readonly connections: Connections,
    private readonly counters: ServerCounters,
    private readonly serverState: ServerState,
    private readonly startedAtMs: number,
  ) {}

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
    const { counters, tree } = this;
    return {
      serverState: this.serverState,
      packetsReceived: counters.packetsReceived,
      packetsSent: counters.packetsSent,
      latencyMinMs: counters.latency.min,
      latencyAvgMs: counters.latency.avg,
      latencyMaxMs: counters.latency.maxMs,
      outstandingRequests: connections.reduce((n, c) => n + c.outstandingRequests, 0),
      lastProcessedZxid: tree.lastProcessedZxid,
      znodeCount: tree.nodeCount,
      watchCount: tree.watchCount,
      watchedPaths: tree.dataWatches.pathCount + tree.childWatches.pathCount,
      watchingConnections: new Set([...tree.dataWatches.byWatcher().keys(), ...tree.childWatches.byWatcher().keys()]).size,
      ephemeralsCount: tree.ephemeralCount,
      approximateDataSize: tree.approximateDataSize(),
      sessionCount: this.tracker.size,
      connections,
      startedAtMs: this.startedAtMs,
      txnsPersisted: counters.txnsPersisted,
      persistBatches: counters.persistBatches,
      clientResponseBytes: { ...counters.clientResponse },
    };
  }

  /** srst / crst: resets the latency and packet counters. */
  resetStats(): void {
    this.counters.packetsReceived = 0;
    this.counters.packetsSent = 0;
    this.counters.latency.reset();
    Object.assign(this.counters.clientResponse, { last: -1, min: -1, max: -1 });
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
