// What a role run (leader-run.ts, learner-run.ts) gets from the server
// process (quorum-peer.ts): the membership, the disk, the log, and the client
// port, whose request pipeline each run replaces with its own for as long as
// it serves (ZooKeeper starts a LeaderZooKeeperServer, FollowerZooKeeperServer
// or ObserverZooKeeperServer per role and shuts it down when the role ends).

import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import type { ServerCore, ServerCoreOptions } from '../server/core.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import type { ServerMetrics } from '../observability/server-metrics.ts';
import type { Peer } from '../quorum/peer/types.ts';
import type { QuorumSockets } from '../quorum/quorum-sockets.ts';
import type { Membership } from './membership.ts';
import type { PeerTrace } from './peer-trace.ts';
import type { ReplicaStore } from './replica-store.ts';

export type ServingMode = 'leader' | 'follower' | 'observer';

export interface RunContext {
  readonly config: ZooKeeperConfig;
  readonly membership: Membership;
  readonly store: ReplicaStore;
  readonly log: StructuredLogger;
  /** The options every run's ServerCore shares (tickTime, session bounds, auth, the session-id prefix, the metrics). */
  readonly coreOptions: ServerCoreOptions;
  /** The member's counters and summaries (ServerMetrics), which outlive each run: coreOptions.metrics. */
  readonly metrics: ServerMetrics;
  /** Puts a run's core behind the client port; undefined: not serving (clients are turned away). */
  serve(core: ServerCore | undefined, mode: ServingMode | undefined): void;
  /** The member's own record of its steps (off unless ZKSPEC_PEER_TRACE_DIR is set). */
  readonly trace: PeerTrace;
  /** How the quorum port's connections are made: TCP, or TLS with sslQuorum. */
  readonly quorumSockets: QuorumSockets;
  /** Aborted when the process shuts down: the run ends and lets go of its sockets. */
  readonly signal: AbortSignal;
  /** The txn log or an epoch file failed: the process must stop (as ZooKeeper's SyncRequestProcessor does). */
  fatal(reason: string): void;
  /** Test-control mode only (control/control-mode.ts): the run shows its core's current state. */
  readonly control?: RunControl;
}

export interface RunControl {
  /** Called once by each run: `peer` reads the core's state at any time, during the run and after it. */
  attach(peer: () => Peer): void;
}

/** How a role run ended. */
export interface RunEnd {
  readonly reason: string;
}
