// What MonitorCommand reports, as typed values in ZooKeeper 3.8.0's order:
// the server's own values (ZooKeeperServer.dumpMonitorValues: version,
// server_state; an ensemble member adds peer_state, an observer then
// observer_master_id), then the gauges of the metrics provider, then its
// counters and summaries (impl/observability/server-metrics.ts). The one list
// three readers format: mntr as `zk_<key>\t<value>` lines, /commands/monitor
// as JSON (admin-commands.ts), /metrics as Prometheus text
// (impl/observability/prometheus.ts), which exports gauges, counters and
// summaries but not the `info` values, as ZooKeeper's provider does.
//
// The gauges' order is stable: DefaultMetricsProvider keeps its gauges in a
// ConcurrentHashMap, iterated bucket by bucket, and with 24 to 47 gauges (a
// standalone server prints 24, a leader 34) the table has 64 buckets, so a
// key's place is its String.hashCode spread into 6 bits. Keys sharing a
// bucket keep their registration order, and the leader's and the quorum's
// gauges are always registered after the standalone ones
// (LeaderZooKeeperServer.registerMetrics calls super first), which is how
// `packets_received` precedes `max_proposal_size` (bucket 22) and
// `max_client_response_size` precedes `synced_followers` (bucket 23).
// impl/ensemble/mntr.test.ts checks the order against a running ZooKeeper 3.8
// ensemble. Counters and summaries follow in the order server-metrics.ts lists.

import type { PeerStateForAdmin, ServerSnapshotForAdmin, SummaryForAdmin } from './server-snapshot.ts';
import { javaDouble } from './java-format.ts';
import { counterNames, counterSetNames, summaryNames } from '../observability/server-metrics.ts';
import { concurrentHashMapOrder } from './quota-metrics.ts';
import type { DurationSummary } from '../observability/duration-summary.ts';

export type MonitorValue =
  /** dumpMonitorValues: in mntr and /commands/monitor, not a metric of the provider. */
  | { readonly kind: 'info'; readonly name: string; readonly value: string | number }
  /** `double`: Java prints it as a double (avg_latency). */
  | { readonly kind: 'gauge'; readonly name: string; readonly value: number; readonly double?: true }
  | { readonly kind: 'counter'; readonly name: string; readonly value: number }
  /** A summary with percentiles (a DurationSummary), or only count/sum/min/max. */
  | { readonly kind: 'summary'; readonly name: string; readonly summary: DurationSummary | SummaryForAdmin }
  /** A GaugeSet or CounterSet: a value per key, printed by mntr as `<key>_<name>`, by /metrics with the label `key`. */
  | { readonly kind: 'gaugeSet'; readonly name: string; readonly values: readonly (readonly [string, number])[] }
  | { readonly kind: 'counterSet'; readonly name: string; readonly values: readonly (readonly [string, number])[] };

/** Every value mntr prints for this snapshot, in ZooKeeper's order. */
export function monitorValues(s: ServerSnapshotForAdmin): MonitorValue[] {
  const quorum = s.quorumGauges;
  const leader = quorum?.leader;
  const proposals = s.proposalSizes ?? { last: -1, min: -1, max: -1 };
  const values: MonitorValue[] = [];
  const info = (name: string, value: string | number) => values.push({ kind: 'info', name, value });
  const gauge = (name: string, value: number) => values.push({ kind: 'gauge', name, value });
  info('version', s.version);
  info('server_state', s.mode);
  if (quorum !== undefined) info('peer_state', detailedPeerState(quorum.peerState));
  if (quorum?.observerMasterId !== undefined) info('observer_master_id', quorum.observerMasterId);
  gauge('ephemerals_count', s.ephemerals.reduce((n, e) => n + e.paths.length, 0));
  gauge('num_alive_connections', s.connections.length);
  values.push({ kind: 'gauge', name: 'avg_latency', value: roundHalfUp4(s.latency.avgMs), double: true });
  if (leader !== undefined) gauge('min_proposal_size', proposals.min);
  gauge('outstanding_requests', s.outstandingRequests);
  gauge('znode_count', s.nodeCount);
  gauge('global_sessions', s.sessions.length);
  if (s.clientResponseBytes !== undefined) gauge('last_client_response_size', s.clientResponseBytes.last);
  gauge('packets_sent', s.packetsSent);
  gauge('packets_received', s.packetsReceived);
  if (leader !== undefined) gauge('max_proposal_size', proposals.max);
  if (s.clientResponseBytes !== undefined) gauge('max_client_response_size', s.clientResponseBytes.max);
  if (leader !== undefined) gauge('synced_followers', leader.syncedFollowers);
  gauge('watch_count', s.watchCount);
  if (leader !== undefined) {
    gauge('synced_non_voting_followers', leader.syncedNonVotingFollowers);
    gauge('synced_observers', leader.syncedObservers);
  }
  gauge('auth_failed_count', s.authFailedCount);
  gauge('min_latency', s.latency.minMs);
  if (s.fileDescriptors !== undefined) gauge('max_file_descriptor_count', s.fileDescriptors.max);
  gauge('approximate_data_size', s.approximateDataSizeBytes);
  if (s.fileDescriptors !== undefined) gauge('open_file_descriptor_count', s.fileDescriptors.open);
  if (leader !== undefined) {
    gauge('last_proposal_size', proposals.last);
    gauge('pending_syncs', leader.pendingSyncs);
    gauge('leader_uptime', leader.leaderUptimeMs);
  }
  gauge('local_sessions', 0);
  gauge('uptime', s.uptimeMs);
  gauge('max_latency', s.latency.maxMs);
  if (leader !== undefined) gauge('learners', leader.learners);
  if (s.clientResponseBytes !== undefined) gauge('min_client_response_size', s.clientResponseBytes.min);
  if (quorum !== undefined) gauge('quorum_size', quorum.quorumSize);
  // DefaultMetricsProvider dumps the gauge sets after the gauges.
  for (const set of s.quotaGauges ?? []) values.push({ kind: 'gaugeSet', name: set.name, values: set.values });
  values.push(...metricValues(s));
  return values;
}

/** The counters and summaries of the server's ServerMetrics; without one (tests), the database's timings alone. */
function metricValues(s: ServerSnapshotForAdmin): MonitorValue[] {
  const { metrics } = s;
  if (metrics === undefined) {
    const values: MonitorValue[] = [];
    if (s.fsyncTimeMs !== undefined) values.push({ kind: 'summary', name: 'fsynctime', summary: s.fsyncTimeMs });
    if (s.snapshotTimeMs !== undefined) values.push({ kind: 'summary', name: 'snapshottime', summary: s.snapshotTimeMs });
    return values;
  }
  return [
    ...counterNames.map((name): MonitorValue => ({ kind: 'counter', name, value: metrics.counters[name] })),
    // Then the counter sets, each key's counter in the order it was first counted (the keys' hash order in ZooKeeper's map).
    ...counterSetNames.map((name): MonitorValue => ({ kind: 'counterSet', name, values: concurrentHashMapOrder([...metrics.counterSets[name].keys()], 16).map((key) => [key, metrics.counterSets[name].get(key)!] as const) })),
    ...summaryNames.map((name): MonitorValue => ({ kind: 'summary', name, summary: metrics.summaries[name] })),
  ];
}

/** The percentiles mntr prints for an advanced summary (AvgMinMaxPercentileCounter.values). */
const mntrPercentiles = [
  ['p50', 0.5],
  ['p95', 0.95],
  ['p99', 0.99],
  ['p999', 0.999],
] as const;

/** mntr's `key -> value` text pairs (values as Java prints them), summaries expanded. */
export function mntrLines(values: readonly MonitorValue[]): [string, string][] {
  const lines: [string, string][] = [];
  for (const v of values) {
    for (const [key, value] of expand(v)) lines.push([key, v.kind === 'summary' ? summaryText(key, value) : typeof value === 'number' && v.kind === 'gauge' && v.double === true ? javaDouble(value) : String(value)]);
  }
  return lines;
}

/** MonitorCommand's JSON: the same keys, numbers as numbers. */
export function monitorJson(values: readonly MonitorValue[]): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const v of values) for (const [key, value] of expand(v)) out[key] = value;
  return out;
}

/** A value's keys as mntr names them: one for info, gauges and counters; avg/min/max/cnt/sum (and percentiles) for a summary. */
function expand(v: MonitorValue): [string, string | number][] {
  if (v.kind === 'gaugeSet' || v.kind === 'counterSet') return v.values.map(([key, value]) => [`${key}_${v.name}`, value]);
  if (v.kind !== 'summary') return [[v.name, v.value]];
  const m = v.summary;
  const lines: [string, string | number][] = [
    [`avg_${v.name}`, m.count === 0 ? 0 : roundHalfUp4(m.sum / m.count)],
    [`min_${v.name}`, m.count === 0 ? 0 : m.min],
    [`max_${v.name}`, m.count === 0 ? 0 : m.max],
    [`cnt_${v.name}`, m.count],
    [`sum_${v.name}`, m.sum],
  ];
  if ('level' in m && m.level === 'advanced') {
    const qs = m.quantiles(mntrPercentiles.map(([, q]) => q));
    mntrPercentiles.forEach(([label], i) => lines.push([`${label}_${v.name}`, Math.trunc(qs[i]!)]));
  }
  return lines;
}

/** A summary's avg is a Java double (`0.0`, `2.5`); every other number a long. */
function summaryText(key: string, value: string | number): string {
  if (typeof value === 'string') return value;
  return key.startsWith('avg_') ? javaDouble(value) : String(value);
}

/** QuorumPeer.getDetailedPeerState as 3.8.0 writes it. */
export function detailedPeerState(p: PeerStateForAdmin): string {
  let out = p.serverState;
  if (p.zabState !== 'election') out += ` - ${p.zabState}`;
  if (p.syncMode !== 'none') out += ` - ${p.syncMode}`;
  return out;
}

/** AvgMinMaxCounter.getAvg: BigDecimal.setScale(4, HALF_UP) of the mean. */
export function roundHalfUp4(value: number): number {
  return Math.round(value * 10_000 + Number.EPSILON) / 10_000;
}
