// What the server owning the sessions and the tree's writes (standalone or
// leader) does on each tick: expire the sessions whose time has come
// (SessionTrackerImpl's expirer, ExpiryQueue.poll) and, every
// containerCheckIntervalMs, delete empty containers and expired TTL nodes
// (ContainerManager). Both go through the write path as txns. A learner does
// neither: the leader owns the sessions and reaps the containers.
//
// ContainerManager deletes at most znode.container.maxPerMinute a minute: it
// sleeps 60000 / maxPerMinute ms between two deletes of one check, and the next
// check starts when the last one is done. Here the candidates of a check wait
// in a queue and each tick submits those whose turn has come.

import { OpCode } from '../protocol/constants.ts';
import type { ServerCoreOptions } from './options.ts';
import type { PipelineParts } from './parts.ts';
import type { Writes } from './writes.ts';

/** znode.container.checkIntervalMs (default 60 s), maxPerMinute (default 10000) and maxNeverUsedIntervalMs. */
type ContainerSettings = Pick<ServerCoreOptions, 'containerCheckIntervalMs' | 'containerMaxNeverUsedIntervalMs' | 'containerMaxPerMinute'>;

export class Ticks {
  private lastContainerCheckMs: number;
  /** The candidates of the current check not yet submitted, and when the next may be. */
  private reapQueue: string[] = [];
  private reapNext = 0;
  private nextReapAtMs = 0;

  constructor(
    private readonly parts: PipelineParts,
    private readonly writes: Writes,
    private readonly containers: ContainerSettings,
  ) {
    this.lastContainerCheckMs = parts.startedElapsedMs;
  }

  tick(): void {
    // Sessions and the sweeper's pace on the monotonic clock; only a znode's age (checkContainers) on the wall clock, as its mtime is.
    const elapsedMs = this.parts.elapsed();
    this.expireSessions(elapsedMs);
    const intervalMs = this.containers.containerCheckIntervalMs ?? 60_000;
    if (this.reapNext >= this.reapQueue.length && elapsedMs - this.lastContainerCheckMs >= intervalMs) {
      this.lastContainerCheckMs = elapsedMs;
      this.checkContainers(elapsedMs);
    }
    this.reapDue(elapsedMs);
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

  /** ContainerManager.checkContainers: the candidates, deleted from now on at the allowed rate. */
  private checkContainers(elapsedMs: number): void {
    const maxNeverUsed = BigInt(this.containers.containerMaxNeverUsedIntervalMs ?? 0);
    // ContainerManager compares Time.currentWallTime() with the znodes' mtime: a TTL is wall-clock time.
    this.reapQueue = this.parts.tree.reapCandidates(BigInt(this.parts.now()), maxNeverUsed);
    this.reapNext = 0;
    this.nextReapAtMs = elapsedMs;
  }

  private reapDue(elapsedMs: number): void {
    const minIntervalMs = 60_000 / (this.containers.containerMaxPerMinute ?? 10_000);
    while (this.reapNext < this.reapQueue.length && this.nextReapAtMs <= elapsedMs) {
      const path = this.reapQueue[this.reapNext++]!;
      this.nextReapAtMs += minIntervalMs;
      this.parts.log('info', 'container-delete-attempt', { path, message: 'attempting to delete a candidate container' });
      // ContainerManager submits deleteContainer as the server (session 0); a
      // container that gained a child meanwhile fails prep with NotEmpty.
      this.writes.submit(0n, 0, { type: OpCode.deleteContainer, request: { path } });
    }
  }
}
