// The counters and summaries a server keeps as it works (ZooKeeper's
// ServerMetrics, the process-wide registry its request processors, Leader,
// Follower and QuorumPeer add to). One object per server process, handed to
// every ServerCore it runs (an ensemble member's role runs share it, as
// ZooKeeper's ServerMetrics outlives a role change), and read by mntr,
// /commands/monitor and /metrics alike: the one source of the values.
//
// Only what this server measures is here, under ZooKeeper's names; the
// others (throttling, the response cache, commit-processor queues, ...) are
// left out rather than printed as zeros. As in ZooKeeper, whose ServerMetrics
// is one registry for every mode, a standalone server prints the ensemble's
// counters too (at 0). The lists below are in the order
// ZooKeeper 3.8.0's mntr printed them (DefaultMetricsProvider's hash order,
// impl/admin/testdata/zookeeper-3.8.0/mntr.txt), so that mntr keeps
// ZooKeeper's order.
//
// Recording is a property increment or a DurationSummary.add: the request
// path allocates nothing for it.

import { DurationSummary } from './duration-summary.ts';

/** The counters, in ZooKeeper's mntr order, with where each is counted. */
export const counterNames = [
  'proposal_count', // a leader's proposals (Leader.propose)
  'watch_bytes', // bytes of watch events sent to clients (NIOServerCnxn.process)
  'insecure_admin_count', // plaintext connections to an AdminServer with admin.portUnification (UnifiedConnectionFactory)
  'connection_rejected', // connections refused over maxClientCnxns (NIOServerCnxnFactory)
  'looking_count', // times this member started looking for a leader (QuorumPeer.run)
  'learner_proposal_received_count', // PROPOSALs a follower received (Follower.processPacket)
  'bytes_received_count', // bytes of client packets read (ServerCnxn.packetReceived)
  'learner_commit_received_count', // COMMITs (and INFORMs) a learner received
  'connection_request_count', // ConnectRequests processed (ZooKeeperServer.processConnectRequest)
  'response_bytes', // bytes of replies sent (FinalRequestProcessor)
  'diff_count', // learners a leader synced with DIFF (LearnerHandler)
  'snap_count', // learners a leader synced with SNAP
  'commit_count', // txns a leader committed (Leader.commit)
  'request_commit_queued', // committed txns handed to the commit stage of a leader or learner (CommitProcessor.commit)
] as const;
export type CounterName = (typeof counterNames)[number];

/** The summaries, in ZooKeeper's mntr order, with their detail level (ServerMetrics) and unit. */
export const summaryNames = [
  'fsynctime', // ms to append and fsync (impl/database)
  'snapshottime', // ms to write a snapshot
  'startup_txns_loaded', // txns replayed from the log at start (ZKDatabase.loadDataBase)
  'dbinittime', // ms to load the database at start
  'election_time', // ms from LOOKING to a role (Leader.lead, Follower.followLeader)
  'sync_processor_batch_size', // txns per group commit (SyncRequestProcessor.flush)
  'updatelatency', // ms from a write's arrival to its reply (ServerStats.updateLatency)
  'readlatency', // ms from a read's (or ping's) arrival to its reply
  // The Zab latencies, in wall-clock ms since the leader prepared the txn (its TxnHeader time; Request.logLatency):
  'quorum_ack_latency', // at the leader, when a quorum has acked a proposal (Leader.tryToCommit)
  'commit_propagation_latency', // at a learner, when it applies a committed txn (FollowerZooKeeperServer.commit, Observer's INFORM)
  'proposal_latency', // at a follower, when a proposal arrives (Follower.processPacket)
] as const;
export type SummaryName = (typeof summaryNames)[number];

/** ZooKeeper's DetailLevel per summary: ADVANCED ones print percentiles and export three quantiles. */
const advanced: ReadonlySet<SummaryName> = new Set<SummaryName>(['updatelatency', 'readlatency', 'quorum_ack_latency', 'commit_propagation_latency', 'proposal_latency']);

/** ZooKeeper's counter sets (a counter per key): QuotaMetricsUtils.QUOTA_EXCEEDED_ERROR_PER_NAMESPACE. */
export const counterSetNames = ['quota_exceeded_error_per_namespace'] as const;
export type CounterSetName = (typeof counterSetNames)[number];

export class ServerMetrics {
  /** Plain fields, one per counter: `metrics.counters.response_bytes += n` on the hot path. */
  readonly counters: Record<CounterName, number> = {
    proposal_count: 0,
    watch_bytes: 0,
    insecure_admin_count: 0,
    connection_rejected: 0,
    looking_count: 0,
    learner_proposal_received_count: 0,
    bytes_received_count: 0,
    learner_commit_received_count: 0,
    connection_request_count: 0,
    response_bytes: 0,
    diff_count: 0,
    snap_count: 0,
    commit_count: 0,
    request_commit_queued: 0,
  };
  /** Per key, in the order each key first counted: a new key is the only allocation. */
  readonly counterSets: Record<CounterSetName, Map<string, number>> = { quota_exceeded_error_per_namespace: new Map() };
  readonly summaries: Record<SummaryName, DurationSummary>;

  constructor() {
    const summaries = {} as Record<SummaryName, DurationSummary>;
    for (const name of summaryNames) summaries[name] = new DurationSummary(advanced.has(name) ? 'advanced' : 'basic');
    this.summaries = summaries;
  }

  /** ZooKeeperServer.updateQuotaExceededMetrics: a request failed a hard quota limit under /<namespace>. */
  quotaExceeded(namespace: string): void {
    if (namespace === '') return; // PathUtils.getTopNamespace: none
    const set = this.counterSets.quota_exceeded_error_per_namespace;
    set.set(namespace, (set.get(namespace) ?? 0) + 1);
  }

  /** The database's own timings become this server's fsynctime and snapshottime (impl/database records them). */
  adoptDatabaseTimings(timings: { readonly fsyncTimeMs: DurationSummary; readonly snapshotTimeMs: DurationSummary }): void {
    this.summaries.fsynctime = timings.fsyncTimeMs;
    this.summaries.snapshottime = timings.snapshotTimeMs;
  }
}
