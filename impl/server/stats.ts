// Counters the four-letter words and the admin server format (ServerStats,
// ServerCnxn's per-connection stats, DataTree's counts). Plain data: the admin
// part owns the text formats.

import { ServerMetrics } from '../observability/server-metrics.ts';
import type { ServerState } from './options.ts';

export type ConnectionInfo = {
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly interestOps: number;
  readonly sessionId: bigint | undefined;
  readonly sessionTimeoutMs: number | undefined;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly outstandingRequests: number;
  readonly establishedAtMs: number;
  readonly lastCxid: number;
  readonly lastZxid: bigint;
  readonly lastOperation: string;
  readonly lastResponseAtMs: number;
  readonly lastLatencyMs: number;
  readonly latencyMinMs: number;
  readonly latencyAvgMs: number;
  readonly latencyMaxMs: number;
};

export type ServerStats = {
  /** srvr's "Mode:" and mntr's zk_server_state. */
  readonly serverState: ServerState;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly latencyMinMs: number;
  readonly latencyAvgMs: number;
  readonly latencyMaxMs: number;
  readonly outstandingRequests: number;
  readonly lastProcessedZxid: bigint;
  readonly znodeCount: number;
  readonly watchCount: number;
  readonly watchedPaths: number;
  readonly watchingConnections: number;
  readonly ephemeralsCount: number;
  readonly approximateDataSize: number;
  readonly sessionCount: number;
  readonly connections: readonly ConnectionInfo[];
  readonly startedAtMs: number;
  readonly txnsPersisted: number;
  readonly persistBatches: number;
  /** ServerStats.clientResponseStats (BufferStats): reply sizes in bytes, -1 until the first. */
  readonly clientResponseBytes: { readonly last: number; readonly min: number; readonly max: number };
};

/** Running min/avg/max of latencies, resettable like ServerStats.resetLatency. */
export class LatencyStats {
  minMs = Number.POSITIVE_INFINITY;
  maxMs = 0;
  totalMs = 0;
  count = 0;

  add(latencyMs: number): void {
    if (latencyMs < this.minMs) this.minMs = latencyMs;
    if (latencyMs > this.maxMs) this.maxMs = latencyMs;
    this.totalMs += latencyMs;
    this.count += 1;
  }

  get min(): number {
    return this.count === 0 ? 0 : this.minMs;
  }

  get avg(): number {
    return this.count === 0 ? 0 : this.totalMs / this.count;
  }

  reset(): void {
    this.minMs = Number.POSITIVE_INFINITY;
    this.maxMs = 0;
    this.totalMs = 0;
    this.count = 0;
  }
}

/** The server-wide counters (ServerStats): what the pipeline's parts count as they go, read by admin-views.ts. */
export class ServerCounters {
  packetsReceived = 0;
  packetsSent = 0;
  readonly latency = new LatencyStats();
  /** Requests received and not yet answered, over all open connections. */
  outstandingRequests = 0;
  txnsPersisted = 0;
  persistBatches = 0;
  /** BufferStats of reply sizes (without the length prefix), -1 until the first. */
  readonly clientResponse = { last: -1, min: -1, max: -1 };

  /** The process's ServerMetrics (ZooKeeper's counters and summaries by name), which outlive this pipeline. */
  constructor(readonly metrics: ServerMetrics = new ServerMetrics()) {}
}
