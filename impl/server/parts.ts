// The parts of the pipeline that its stages (the handshake, the dispatcher,
// the role) all work with, built once by ServerCore and handed to each stage
// as one record instead of a long constructor list. The parts below them
// (queues, release order, group commit, replies) take only what they use.

import type { DataTree } from '../tree/data-tree.ts';
import type { Connections } from './connections.ts';
import type { Logger } from './options.ts';
import type { OutputQueues } from './output-queues.ts';
import type { ReadProcessor } from './read-processor.ts';
import type { ReleaseOrder } from './release-order.ts';
import type { Replies } from './replies.ts';
import type { SessionTracker } from './session-tracker.ts';

export type PipelineParts = {
  readonly tree: DataTree;
  readonly tracker: SessionTracker;
  readonly connections: Connections;
  readonly queues: OutputQueues;
  readonly order: ReleaseOrder;
  readonly replies: Replies;
  readonly reads: ReadProcessor;
  readonly log: Logger;
  /** Wall clock in ms: txn times (ctime, mtime) and what is compared with them (TTLs, container ages). */
  readonly now: () => number;
  /** Monotonic clock in ms (ServerCoreOptions.elapsedNow): session expiry, latencies; never compared with the wall clock. */
  readonly elapsed: () => number;
  /** When the pipeline was built, wall clock (ms): session ids start from it. */
  readonly startedAtMs: number;
  /** When the pipeline was built, monotonic clock (ms): recovered sessions are tracked from here. */
  readonly startedElapsedMs: number;
};
