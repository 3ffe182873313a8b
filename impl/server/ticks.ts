// What the server owning the sessions and the tree's writes (standalone or
// leader) does on each tick: expire the sessions whose time has come
// (SessionTrackerImpl's expirer, ExpiryQueue.poll) and, every
// containerCheckIntervalMs, delete empty containers and expired TTL nodes
// (ContainerManager). Both go through the write path as txns. A learner does
// neither: the leader owns the sessions and reaps the containers.

import { OpCode } from '../protocol/constants.ts';
import type { DataTree } from '../tree/data-tree.ts';
import { sessionIdHex } from '../../lib/hex.ts';
import type { Connections } from './connections.ts';
import type { Logger, ServerCoreOptions } from './options.ts';
import type { OutputQueues } from './output-queues.ts';
import type { SessionTracker } from './session-tracker.ts';
import type { Writes } from './writes.ts';

/** znode.container.checkIntervalMs (default 60 s) and maxNeverUsedIntervalMs. */
export type ContainerSettings = Pick<ServerCoreOptions, 'containerCheckIntervalMs' | 'containerMaxNeverUsedIntervalMs'>;

export class Ticks {
  private lastContainerCheckMs: number;

  constructor(
    private readonly tree: DataTree,
    private readonly tracker: SessionTracker,
    private readonly writes: Writes,
    private readonly connections: Connections,
    private readonly queues: OutputQueues,
    private readonly containers: ContainerSettings,
    private readonly log: Logger,
    private readonly now: () => number,
    startedAtMs: number,
  ) {
    this.lastContainerCheckMs = startedAtMs;
  }

  tick(): void {
    const nowMs = this.now();
    this.expireSessions(nowMs);
    const intervalMs = this.containers.containerCheckIntervalMs ?? 60_000;
    if (nowMs - this.lastContainerCheckMs >= intervalMs) {
      this.lastContainerCheckMs = nowMs;
      this.reapContainers(nowMs);
    }
  }

  /** An expired session is closed by a closeSession txn; its connection, if any, closes once that is durable. */
  private expireSessions(nowMs: number): void {
    for (const session of this.tracker.expire(nowMs)) {
      this.log('info', `expiring session ${sessionIdHex(session.sessionId)}, timeout of ${session.timeoutMs}ms exceeded`);
      const { batch } = this.writes.submit(session.sessionId, 0, { type: OpCode.closeSession });
      const connection = this.connections.ofSession(session.sessionId);
      if (connection !== undefined) this.queues.enqueue(connection, batch, () => this.connections.close(connection.id, 'session expired'));
    }
  }

  private reapContainers(nowMs: number): void {
    const maxNeverUsed = BigInt(this.containers.containerMaxNeverUsedIntervalMs ?? 0);
    for (const path of this.tree.reapCandidates(BigInt(nowMs), maxNeverUsed)) {
      // ContainerManager submits deleteContainer as the server (session 0); a
      // container that gained a child meanwhile fails prep with NotEmpty.
      this.writes.submit(0n, 0, { type: OpCode.deleteContainer, request: { path } });
    }
  }
}
