// A server that can crash, over a disk with an fsync queue: its memory (null
// while it is down), what its disk holds, and the writes its fsync queue still
// holds (ZooKeeper's SyncRequestProcessor; a message the server may send only
// once those writes are durable waits in the queue behind them). Memory runs
// ahead of the disk by the queue: an fsync (the spec's DiskSync action)
// carries the queued writes out in order; a crash loses memory and the queue
// and keeps the disk; a restart rebuilds memory from the disk alone. This is
// where lost-write bugs live (ZOOKEEPER-3911, -4643, -4646 in spec/zab).
//
// What a write does to the disk, and how memory is rebuilt, are the spec's;
// the kit fixes the shape and the crash rule. A protocol whose persistent
// state survives in the node itself (raft.tla's Restart keeps currentTerm,
// votedFor and log) needs none of this.

import type { Permutation, StateSink } from '../../model-check/model.ts';

export interface Host<N, D, W> {
  /** Memory; null while the server is down. */
  readonly node: N | null;
  readonly disk: D;
  /** Writes (and messages queued behind them) not yet durable, oldest first. */
  readonly pending: readonly W[];
}

const NO_PENDING: readonly never[] = [];

export function withNode<N, D, W>(host: Host<N, D, W>, node: N | null): Host<N, D, W> {
  return { node, disk: host.disk, pending: host.pending };
}

export function withDisk<N, D, W>(host: Host<N, D, W>, disk: D): Host<N, D, W> {
  return { node: host.node, disk, pending: host.pending };
}

export function withPending<N, D, W>(host: Host<N, D, W>, pending: readonly W[]): Host<N, D, W> {
  return { node: host.node, disk: host.disk, pending };
}

/** One more write at the back of the fsync queue. */
export function enqueueWrite<N, D, W>(host: Host<N, D, W>, write: W): Host<N, D, W> {
  return { node: host.node, disk: host.disk, pending: [...host.pending, write] };
}

/** The host with its queue taken for an fsync (the caller carries the writes out, in order). */
export function withoutPending<N, D, W>(host: Host<N, D, W>): Host<N, D, W> {
  return { node: host.node, disk: host.disk, pending: NO_PENDING };
}

/** NodeCrash: memory and the fsync queue are lost; the disk stays. */
export function crashed<N, D, W>(host: Host<N, D, W>): Host<N, D, W> {
  return { node: null, disk: host.disk, pending: NO_PENDING };
}

/**
 * Writes a host: whether it is up and its memory, then its disk, then its
 * queue (length, each write). Pass module-level encoders: this runs once per
 * server per permutation per generated state (model-check/model.ts).
 */
export function encodeHost<N, D, W>(
  sink: StateSink,
  perm: Permutation,
  host: Host<N, D, W>,
  encodeNode: (node: N, sink: StateSink, perm: Permutation) => void,
  encodeDisk: (disk: D, sink: StateSink) => void,
  encodeWrite: (write: W, sink: StateSink, perm: Permutation) => void,
): void {
  if (host.node === null) sink.bool(false);
  else {
    sink.bool(true);
    encodeNode(host.node, sink, perm);
  }
  encodeDisk(host.disk, sink);
  const pending = host.pending;
  sink.int(pending.length);
  for (let k = 0; k < pending.length; k++) encodeWrite(pending[k]!, sink, perm);
}
