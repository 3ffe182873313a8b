// Runs a read (reads.ts) against the tree and puts its reply in the
// connection's FIFO behind what it depends on (release-order.ts): the glue
// between the pure read and the queues, the same for every role.

import type * as R from '../protocol/records.ts';
import type { DataTree } from '../tree/data-tree.ts';
import type { Connection } from './connection.ts';
import type { OutputQueues } from './output-queues.ts';
import { readRequest, type ReadReply } from './reads.ts';
import type { ReleaseOrder } from './release-order.ts';
import type { Replies } from './replies.ts';

export class ReadProcessor {
  constructor(
    private readonly tree: DataTree,
    private readonly order: ReleaseOrder,
    private readonly queues: OutputQueues,
    private readonly replies: Replies,
    /** jute.maxbuffer: the longest reply frame a client is sent (reply-size.ts). */
    private readonly replyBytesMax: number,
    /** Rate-limited: a client retrying the same read must not flood the log. */
    private readonly warn: (event: string, fields: Readonly<Record<string, string | number>>) => void,
  ) {}

  private read(connection: Connection, header: R.RequestHeader, body: Uint8Array): ReadReply {
    const read = readRequest(this.tree, connection, header.type, body, this.replyBytesMax);
    if (read.refusedFrameBytes !== undefined) {
      const sessionId = `0x${(connection.sessionId ?? 0n).toString(16)}`;
      this.warn('reply-too-large', { connectionId: connection.id, sessionId, type: header.type, replyBytes: read.refusedFrameBytes, juteMaxBuffer: this.replyBytesMax, answered: 'MarshallingError' });
    }
    return read;
  }

  /** Runs the read now; its reply (and the events setWatches fired) leave once the batch it depends on is durable. */
  run(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const read = this.read(connection, header, body);
    const batch = this.order.readBatch(read.dependsOn);
    const zxid = this.tree.lastProcessedZxid;
    // Counted while it waits in the FIFO: a reply delivered at once is added and taken off again.
    const bytes = read.response?.byteLength ?? 0;
    this.queues.enqueue(connection, batch, () => {
      connection.queuedReplyBytes -= bytes;
      this.replies.read(connection, header, read, startedAtMs, this.order.visibleZxid(zxid));
    });
    connection.queuedReplyBytes += bytes;
  }

  /** Runs the read now and answers at once: a learner's read that has reached the head of its FIFO. */
  runAndReply(connection: Connection, header: R.RequestHeader, body: Uint8Array, startedAtMs: number): void {
    const read = this.read(connection, header, body);
    this.replies.read(connection, header, read, startedAtMs, this.order.visibleZxid(this.tree.lastProcessedZxid));
  }
}
