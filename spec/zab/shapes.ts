// One hidden class per kind of record in the ZAB world. The reducers build a
// changed node as `{ ...node, field: value }`; v8 gives such spread copies
// maps of their own (68 distinct maps for ZabNode and 20 for Disk were
// measured on the ci preset), so every read of a node's field in the
// reducers, the encoder, the signature and the invariants went through a
// megamorphic inline cache: about 25 ns a field, most of the encoder's time.
// World (world.ts) stores every node and disk it is given as a copy written
// as one object literal with the fields in the order of their types, so all
// of them share one map and those reads stay monomorphic. The copy is
// shallow: arrays and sub-records keep their identity.

import type { Txn, ZabNode } from './types.ts';

/** world.ts's Disk, spelled out here so that this file does not import world.ts (which imports it). */
interface DiskFields {
  readonly log: readonly Txn[];
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly lastSnapshot: number;
}

/** `x` as a literal with ZabNode's fields in declaration order (the order restartFromDisk writes). */
export function canonicalNode(x: ZabNode): ZabNode {
  return {
    id: x.id,
    config: x.config,
    state: x.state,
    zabState: x.zabState,
    acceptedEpoch: x.acceptedEpoch,
    currentEpoch: x.currentEpoch,
    history: x.history,
    lastCommitted: x.lastCommitted,
    lastSnapshot: x.lastSnapshot,
    logicalClock: x.logicalClock,
    vote: x.vote,
    receiveVotes: x.receiveVotes,
    outOfElection: x.outOfElection,
    waitNotmsg: x.waitNotmsg,
    learners: x.learners,
    connecting: x.connecting,
    tempMaxEpoch: x.tempMaxEpoch,
    electing: x.electing,
    toSync: x.toSync,
    ackldRecv: x.ackldRecv,
    forwarding: x.forwarding,
    acks: x.acks,
    leader: x.leader,
    syncMode: x.syncMode,
    newLeaderReceived: x.newLeaderReceived,
    packetsNotCommitted: x.packetsNotCommitted,
    syncCommitted: x.syncCommitted,
  };
}

/** A disk as a literal with Disk's fields in declaration order. */
export function canonicalDisk(log: readonly Txn[], acceptedEpoch: number, currentEpoch: number, lastSnapshot: number): DiskFields {
  return { log, acceptedEpoch, currentEpoch, lastSnapshot };
}
