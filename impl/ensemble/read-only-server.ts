// Read-only mode (readonlymode.enabled): an ensemble member that has been
// looking for a leader for a while serves read-only clients from the tree it
// last had, as ZooKeeper's QuorumPeer.run starts a ReadOnlyZooKeeperServer in
// its LOOKING case.
//
// - The grace period is max(2 s, tickTime) from the moment the member starts
//   looking (ZooKeeper's roZkMgr thread sleeps that long "before we decide
//   we're partitioned"); if the member is still looking then, the read-only
//   pipeline goes behind the client port.
// - The pipeline is impl/server's read-only role (read-only-path.ts): sessions
//   only for clients that set the readOnly flag, local to this member and never
//   persisted; reads served; writes and sync answered NotReadOnly.
// - The tree is rebuilt from the disk up to the last zxid the member knew
//   committed (the end of its last serving run, `lastCommittedZxid`), so a
//   proposal it logged but never saw committed is not shown. A member that has
//   not served since it started reads the snapshot and its whole log, as
//   ZooKeeper's loadDataBase does after a restart.
// - When the election ends (lookForLeader returns) the read-only pipeline is
//   taken away, which closes every read-only connection; ZooKeeper closes all
//   connections then too (ReadOnlyZooKeeperServer.shutdown ->
//   closeAllConnections). Clients reconnect, and find a read-write server once
//   the new role run serves.

import { hex } from '../../lib/hex.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import type { StructuredLogger } from '../observability/logger.ts';
import { ServerCore, type ServerCoreOptions } from '../server/core.ts';
import type { ReplicaStore } from './replica-store.ts';

/** ZooKeeper's lower bound of the grace period (QuorumPeer.run: sleep(Math.max(2000, tickTime))). */
export const readOnlyGraceMinMs = 2000;

export type ReadOnlyServerHost = {
  readonly config: ZooKeeperConfig;
  readonly coreOptions: ServerCoreOptions;
  readonly store: ReplicaStore;
  readonly log: StructuredLogger;
  /** The last zxid the member knew committed (the end of its last serving run); undefined if it has not served since it started. */
  readonly lastCommittedZxid: () => bigint | undefined;
  /** Puts the read-only pipeline behind the client port, or (undefined) takes it away. */
  readonly serve: (core: ServerCore | undefined) => void;
};

export class ReadOnlyServer {
  private timer: NodeJS.Timeout | undefined;
  private core: ServerCore | undefined;

  constructor(private readonly host: ReadOnlyServerHost) {}

  get graceMs(): number {
    return Math.max(readOnlyGraceMinMs, this.host.config.tickTimeMs);
  }

  /** The member started looking: with readonlymode.enabled, serve read-only once the grace period has passed. */
  looking(): void {
    if (!this.host.config.readOnlyModeEnabled) return;
    this.cancel();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, this.graceMs);
  }

  /** The election is over, or the member stops: the read-only pipeline (and every connection to it) goes. */
  stop(reason: string): void {
    this.cancel();
    const core = this.core;
    if (core === undefined) return;
    this.core = undefined;
    this.host.log('info', 'read-only-stopped', { reason, sessions: core.sessions().length });
    this.host.serve(undefined);
  }

  private cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private start(): void {
    const { store, log } = this.host;
    const upTo = this.host.lastCommittedZxid();
    let built = store.buildTree(upTo);
    // The disk moved on since that run (a SNAP installed by a run that never served): all of it, as after a restart.
    if (!built.ok && upTo !== undefined) built = store.buildTree();
    if (!built.ok) {
      log('error', 'read-only-not-started', { reason: `cannot rebuild the data tree: ${built.error}` });
      return;
    }
    const tree = built.value;
    this.core = new ServerCore({ ...this.host.coreOptions, tree, replication: { role: 'read-only' } });
    log('info', 'read-only-serving', { lastZxid: hex(tree.lastProcessedZxid), graceMs: this.graceMs, message: 'Read-only server started' });
    this.host.serve(this.core);
  }
}
