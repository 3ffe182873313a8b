// What the four-letter words read: a plain-data picture of the server at one
// moment, built by the server (the lead's integration maps its ServerCore,
// DataTree, SessionTracker and Storage onto it). Admin never reaches into the
// server's objects, so formats are testable from fixtures and the server can
// change its internals freely.
//
// Field by field, the ZooKeeper 3.8 source each one stands for is named, so
// the mapping stays honest: if the server cannot produce a value truthfully,
// the optional fields are left out and the lines that would print them are
// omitted (ZooKeeper omits file-descriptor counts on non-Unix systems too).

import type { ServerMetrics } from '../observability/server-metrics.ts';
import type { GaugeSetReading } from './quota-metrics.ts';

/** One client connection (ServerCnxn). */
export type ConnectionForAdmin = {
  /** Peer address as Java prints InetSocketAddress: `127.0.0.1`, IPv6 in full form. */
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** Selector interest ops: 1 (OP_READ) for a normal client, 0 for a four-letter-word connection. */
  readonly interestOps: number;
  /** Requests received and not yet answered (ServerCnxn.getOutstandingRequests). */
  readonly outstandingRequests: number;
  readonly packetsReceived: number;
  readonly packetsSent: number;
  /** When the idle connection would be expired (NIOServerCnxnFactory's cnxnExpiryQueue), wall-clock ms. */
  readonly expiresAtMs: number;
  /** 0 until the session handshake completes. */
  readonly sessionId: bigint;
  /** Present once a session is established (cons prints these only then). */
  readonly session:
    | {
        /** Short name of the last request type: GETD, SETD, CREA, PING, SESS, ... (Request.op2String); NA after a reset. */
        readonly lastOperation: string;
        /** When the connection was established, wall-clock ms since the epoch. */
        readonly establishedAtMs: number;
        readonly sessionTimeoutMs: number;
        /** -1 when no request carried a cxid yet. */
        readonly lastCxid: number;
        /** -1n before the first reply. */
        readonly lastZxid: bigint;
        /** ZooKeeper prints a monotonic clock reading here (Time.currentElapsedTime), ms. */
        readonly lastResponseAtMs: number;
        readonly lastLatencyMs: number;
        readonly latencyMinMs: number;
        /** Integer: ServerCnxn.getAvgLatency is a long. */
        readonly latencyAvgMs: number;
        readonly latencyMaxMs: number;
      }
    | undefined;
};

export type ServerMode = 'standalone' | 'leader' | 'follower' | 'observer' | 'read-only';

/** count/sum/min/max of a duration, for mntr's zk_{avg,min,max,cnt,sum}_<name> lines. */
export type SummaryForAdmin = { readonly count: number; readonly sum: number; readonly min: number; readonly max: number };

export type ServerSnapshotForAdmin = {
  /** False while starting or shutting down: most words then answer ZK_NOT_SERVING. */
  readonly isServing: boolean;
  /** Full version string, e.g. from `fullVersion()`: `3.8.4-zkspec, built on 2026-01-01 00:00 UTC`. */
  readonly version: string;
  readonly mode: ServerMode;
  /** ServerStats.getLastProcessedZxid. */
  readonly lastProcessedZxid: bigint;
  /** Server-wide request latency (ServerStats.requestLatency): min and max are integers, avg a double. */
  readonly latency: { readonly minMs: number; readonly avgMs: number; readonly maxMs: number };
  readonly packetsReceived: number;
  readonly packetsSent: number;
  readonly outstandingRequests: number;
  /** DataTree.getNodeCount (ZooKeeper 3.8 counts 5 on a fresh server). */
  readonly nodeCount: number;
  /**
   * Leader only: BufferStats of proposal sizes in bytes (Leader.propose records the
   * serialised request of each proposal), -1 until the first proposal.
   */
  readonly proposalSizes?: { readonly last: number; readonly min: number; readonly max: number };
  /** An ensemble member's mntr gauges (see QuorumGaugesForAdmin); absent when standalone. */
  readonly quorumGauges?: QuorumGaugesForAdmin;
  readonly connections: readonly ConnectionForAdmin[];
  /**
   * Data watches (getData and exists), one entry per (session, path), in the
   * order to print them. wchs/wchc/wchp show only these, as ZooKeeper's
   * DataTree.dumpWatches reads only `dataWatches`.
   */
  readonly dataWatches: readonly { readonly sessionId: bigint; readonly path: string }[];
  /** Data plus child watches (mntr's zk_watch_count). */
  readonly watchCount: number;
  /** Live sessions and when each expires (SessionTrackerImpl's expiry queue), wall-clock ms. */
  readonly sessions: readonly { readonly sessionId: bigint; readonly expiresAtMs: number }[];
  /** Ephemeral znodes by owner session (DataTree.ephemerals). */
  readonly ephemerals: readonly { readonly sessionId: bigint; readonly paths: readonly string[] }[];
  /** DataTree.approximateDataSize: the sum of path lengths and data lengths. */
  readonly approximateDataSizeBytes: number;
  readonly uptimeMs: number;
  readonly authFailedCount: number;
  readonly clientResponseBytes?: { readonly last: number; readonly min: number; readonly max: number };
  readonly fileDescriptors?: { readonly open: number; readonly max: number };
  readonly fsyncTimeMs?: SummaryForAdmin;
  readonly snapshotTimeMs?: SummaryForAdmin;
  /**
   * The server's counters and summaries (ServerMetrics), read live: mntr's lines after the gauges.
   * Without it (fixtures), mntr prints fsyncTimeMs and snapshotTimeMs alone.
   */
  readonly metrics?: ServerMetrics;
  /** The quota gauge sets (quota-metrics.ts), read from the tree with the snapshot; absent in fixtures. */
  readonly quotaGauges?: readonly GaugeSetReading[];
  /** What `conf` prints (ZooKeeperServer.dumpConf). */
  readonly config: {
    readonly clientPort: number;
    /** The snapshot directory, absolute, including `version-2` as ZooKeeper prints it. */
    readonly dataDir: string;
    readonly dataDirSizeBytes: number;
    readonly dataLogDir: string;
    readonly dataLogSizeBytes: number;
    readonly tickTimeMs: number;
    readonly maxClientCnxns: number;
    readonly minSessionTimeoutMs: number;
    readonly maxSessionTimeoutMs: number;
    /** 0 for a standalone server. */
    readonly serverId: number;
    /** An ensemble member's peer settings (QuorumZooKeeperServer.dumpConf); absent when standalone. */
    readonly quorum?: {
      readonly initLimitTicks: number;
      readonly syncLimitTicks: number;
      readonly quorumPort: number;
      readonly electionPort: number;
      readonly peerType: 'participant' | 'observer';
      /** The `server.N` members, in id order; a client address only when it came from a `;` part. */
      readonly members: readonly {
        readonly id: number;
        readonly host: string;
        readonly quorumPort: number;
        readonly electionPort: number;
        readonly peerType: 'participant' | 'observer';
        readonly clientAddress?: string | undefined;
        readonly clientPort?: number | undefined;
      }[];
      /** The dynamic configuration version (QuorumVerifier.getVersion); 0 for a static file. */
      readonly configVersion: bigint;
    };
  };
  /** `envi` lines, in order (see environment.ts for a Node-based list). */
  readonly environment: readonly (readonly [string, string])[];
};

/**
 * QuorumPeer's state as getDetailedPeerState prints it (3.8.0): the server
 * state, then ` - <zab state>` unless ELECTION, then ` - <sync mode>` unless
 * NONE, all lower case: `leading - broadcast`, `following - synchronization - diff`.
 */
export type PeerStateForAdmin = {
  readonly serverState: 'looking' | 'following' | 'leading' | 'observing';
  readonly zabState: 'election' | 'discovery' | 'synchronization' | 'broadcast';
  readonly syncMode: 'none' | 'diff' | 'snap' | 'trunc';
};

/**
 * What an ensemble member adds to mntr: QuorumZooKeeperServer's peer_state
 * (dumpMonitorValues) and quorum_size gauge, ObserverZooKeeperServer's
 * observer_master_id, and LeaderZooKeeperServer's leader gauges.
 */
export type QuorumGaugesForAdmin = {
  readonly peerState: PeerStateForAdmin;
  /** QuorumPeer.getQuorumSize: the voting members in the configuration (observers excluded). */
  readonly quorumSize: number;
  /** Observer only: Observer.getLearnerMasterId, the server it syncs from (here always the leader), -1 when none. */
  readonly observerMasterId?: number;
  /** Leader only (LeaderZooKeeperServer.registerMetrics; its gauges print nothing without a Leader). */
  readonly leader?: LeaderGaugesForAdmin;
};

/** LeaderZooKeeperServer's gauges but the proposal sizes (ServerSnapshotForAdmin.proposalSizes, which stat prints too). */
export type LeaderGaugesForAdmin = {
  /** Leader.getLearners: every learner connection, from its accept on (LearnerHandler.run adds itself before reading FOLLOWERINFO). */
  readonly learners: number;
  /** Leader.getForwardingFollowers: participants the leader has synced (startForwarding, before their ACK of NEWLEADER) and not lost. */
  readonly syncedFollowers: number;
  /** Leader.getNonVotingFollowers: forwarding followers outside the voting view (only during a reconfiguration). */
  readonly syncedNonVotingFollowers: number;
  /** Leader.getObservingLearners: observers synced the same way. */
  readonly syncedObservers: number;
  /** Leader.getNumPendingSyncs: the zxids that learners' forwarded syncs wait on (pendingSyncs is keyed by zxid). */
  readonly pendingSyncs: number;
  /** Leader.getUptime: since the leader started serving (leaderStartTime, set after a quorum acked NEWLEADER), 0 before. */
  readonly leaderUptimeMs: number;
};

/** Resets the server offers to `srst` and `crst`; without them those words get no answer. */
export type AdminActions = {
  readonly resetServerStats?: () => void;
  readonly resetConnectionStats?: () => void;
  /** observer_connection_stat_reset: a leader's per-observer counts. */
  readonly resetObserverConnectionStats?: () => void;
};
