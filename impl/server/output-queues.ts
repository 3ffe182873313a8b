// The per-connection output FIFOs: what a connection is to be sent (replies,
// watch events, the ConnectResponse, a close), in the order the pipeline
// produced it. An output leaves when the persist batch it waits for is durable
// (release-order.ts) and everything ahead of it has left; an output with
// nothing to wait for, on a connection with nothing waiting, leaves at once
// without being queued. ZooKeeper keeps this order per session with
// CommitProcessor's queues and one sender per connection (NIOServerCnxn).

import type { Connection, Output } from './connection.ts';
import type { ReleaseOrder } from './release-order.ts';

/** A FIFO compacts once its consumed prefix passes this many entries and is most of it (instead of queue.shift()). */
const consumedOutputsMax = 1024;

export class OutputQueues {
  /** Connections whose FIFO holds outputs that could not leave yet. */
  private readonly waiting = new Set<Connection>();
  private stopped = false;

  constructor(private readonly order: ReleaseOrder) {}

  /** Sends at once if nothing is ahead of it and its batch is durable; queues it otherwise. */
  enqueue(connection: Connection, batch: number, deliver: () => void): void {
    if (this.stopped || connection.state === 'closed') return;
    if (connection.outputsHead === connection.outputs.length && batch <= this.order.durableBatch) {
      deliver();
      return;
    }
    this.push(connection, { batch, deliver });
  }

  /** Appends to the connection's FIFO without trying to deliver. */
  push(connection: Connection, output: Output): void {
    if (this.stopped || connection.state === 'closed') return;
    connection.outputs.push(output);
    this.waiting.add(connection);
  }

  /** Whether the connection has outputs that have not left yet. */
  hasWaiting(connection: Connection): boolean {
    return connection.outputsHead < connection.outputs.length;
  }

  /** A batch became durable: every connection's FIFO moves on as far as it can. */
  releaseAll(): void {
    for (const connection of this.waiting) this.release(connection);
  }

  /** Delivers the connection's outputs from the head up to the first that must still wait. */
  release(connection: Connection): void {
    let head = connection.outputsHead;
    while (head < connection.outputs.length) {
      const output = connection.outputs[head]!;
      if (output.batch > this.order.durableBatch || output.deliver === undefined) break;
      connection.outputsHead = ++head;
      output.deliver();
      // A delivery may close the connection, which empties its FIFO.
      head = connection.outputsHead;
    }
    if (connection.outputsHead === connection.outputs.length) {
      connection.outputs = [];
      connection.outputsHead = 0;
      this.waiting.delete(connection);
    } else if (connection.outputsHead > consumedOutputsMax && connection.outputsHead * 2 > connection.outputs.length) {
      connection.outputs = connection.outputs.slice(connection.outputsHead);
      connection.outputsHead = 0;
    }
  }

  /** The connection is gone: what it still had waiting can no longer be sent. */
  forget(connection: Connection): void {
    connection.outputs = [];
    connection.outputsHead = 0;
    this.waiting.delete(connection);
  }

  /** The server stops: every waiting output is dropped and nothing more is queued. */
  stop(): void {
    this.stopped = true;
    for (const connection of this.waiting) {
      connection.outputs = [];
      connection.outputsHead = 0;
    }
    this.waiting.clear();
  }

  /** True when no output waits. */
  get isEmpty(): boolean {
    return this.waiting.size === 0;
  }
}
