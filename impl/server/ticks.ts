// What the server owning the sessions and the tree's writes (standalone or
// leader) does on each tick: expire the sessions whose time has come
// (SessionTrackerImpl's expirer, ExpiryQueue.poll) and, every
// containerCheckIntervalMs, delete empty containers and expired TTL nodes
// (ContainerManager). Both go through the write path as txns. A learner does
// neither: the leader owns the sessions and reaps the containers.

import { OpCode } from '../protocol/constants.ts';
import type { ServerCoreOptions } from './options.ts';
import type { PipelineParts } from './parts.ts';
import type { Writes } from './writes.ts';

/** znode.container.checkIntervalMs (default 60 s) and maxNeverUsedIntervalMs. */
type ContainerSettings = Pick<ServerCoreOptions, 'containerCheckIntervalMs' | 'containerMaxNeverUsedIntervalMs'>;

export class Ticks {
  private lastContainerCheckMs: number;

  constructor(
    private readonly parts: PipelineParts,
    private readonly writes: Writes,
    private readonly containers: ContainerSettings,
  ) {
    this.lastContainerCheckMs = parts.startedAtMs;
  }

  tick(): void {
    const nowMs = this.parts.now();
    this.expireSessions(nowMs);
    const intervalMs = this.containers.containerCheckIntervalMs ?? 60_000;
    if (nowMs - this.lastContainerCheckMs >= intervalMs) {
      this.lastContainerCheckMs = nowMs;
      this.reapContainers(nowMs);
    }
  }

  /** An expired session is closed by a closeSession txn; its connection, if any, closes once that is durable. */
  private expireSessions(nowMs: number): void {
    for (const session of this.parts.tracker.expire(nowMs)) {
      this.parts.log('info', 'session-expired', { sessionId: session.sessionId, timeoutMs: session.timeoutMs, message: 'expiring session, timeout exceeded' });
      const { batch } = this.writes.submit(session.sessionId, 0, { type: OpCode.closeSession });
      const connection = this.parts.connections.ofSession(session.sessionId);
      if (connection !== undefined) this.parts.queues.enqueue(connection, batch, () => this.parts.connections.close(connection.id, 'session expired'));
    }
  }

  private reapContainers(nowMs: number): void {
    const maxNeverUsed = BigInt(this.containers.containerMaxNeverUsedIntervalMs ?? 0);
    for (const path of this.parts.tree.reapCandidates(BigInt(nowMs), maxNeverUsed)) {
      // ContainerManager submits deleteContainer as the server (session 0); a
      // container that gained a child meanwhile fails prep with NotEmpty.
      this.writes.submit(0n, 0, { type: OpCode.deleteContainer, request: { path } });
    }
  }
}
