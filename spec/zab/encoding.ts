// Canonical encoding of the ZAB world (fingerprints), with server ids
// permuted for symmetry (spec/common/symmetry.ts), and the servers' symmetry
// signature. The order: every server (spec/common/host.ts: memory, disk,
// fsync queue), every pair's quorum and election channels
// (spec/common/fifo.ts), the partitions, the fault counters, the ghost.
//
// The encoder is on the checker's hottest path (once per permutation per
// generated state), so it is written as module-level functions that take the
// sink and the permutation as arguments: no closure is created per call (under
// tsx, esbuild's keepNames turns every closure into a defineProperty call),
// no string is built and nothing is allocated.

import type { Permutation, StateSink } from '../../model-check/model.ts';
import * as fifo from '../common/fifo.ts';
import * as hosts from '../common/host.ts';
import * as pairs from '../common/partitions.ts';
import * as symmetry from '../common/symmetry.ts';
import type { ElectionVote, Notification, ServerState, Txn, Vote, ZabMessage, ZabNode, Zxid } from './types.ts';
import type { Ghost } from './ghost.ts';
import type { Disk, PendingWrite, ZabCluster } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { encodeQueue } = fifo;
const { encodeHost } = hosts;
const { encodePartitions } = pairs;
const { mapId, mapMaskPartial, oldId } = symmetry;

const SERVER_STATE_CODES: Record<ServerState, number> = { LOOKING: 0, FOLLOWING: 1, LEADING: 2, OBSERVING: 3 };
const ZAB_STATE_CODES: Record<ZabNode['zabState'], number> = { ELECTION: 0, DISCOVERY: 1, SYNCHRONIZATION: 2, BROADCAST: 3 };
const SYNC_MODE_CODES: Record<ZabNode['syncMode'], number> = { NONE: 0, DIFF: 1, TRUNC: 2, SNAP: 3 };
const MESSAGE_CODES: Record<ZabMessage['type'], number> = {
  FOLLOWERINFO: 0,
  OBSERVERINFO: 1,
  LEADERINFO: 2,
  ACKEPOCH: 3,
  DIFF: 4,
  TRUNC: 5,
  SNAP: 6,
  PROPOSAL: 7,
  COMMIT: 8,
  INFORM: 9,
  NEWLEADER: 10,
  ACKLD: 11,
  UPTODATE: 12,
  ACK: 13,
};

function encodeZxid(sink: StateSink, z: Zxid): void {
  sink.int(z.epoch);
  sink.int(z.counter);
}

function encodeTxn(sink: StateSink, t: Txn): void {
  sink.int(t.zxid.epoch);
  sink.int(t.zxid.counter);
  sink.int(t.value);
}

function encodeTxns(sink: StateSink, ts: readonly Txn[]): void {
  sink.int(ts.length);
  for (let i = 0; i < ts.length; i++) encodeTxn(sink, ts[i]!);
}

function encodeVote(sink: StateSink, perm: Permutation, v: Vote): void {
  sink.int(mapId(perm, v.leader));
  sink.int(v.zxid.epoch);
  sink.int(v.zxid.counter);
  sink.int(v.epoch);
}

function encodeMessage(m: ZabMessage, sink: StateSink, _perm: Permutation): void {
  sink.int(MESSAGE_CODES[m.type]);
  switch (m.type) {
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO':
      sink.int(m.acceptedEpoch);
      break;
    case 'LEADERINFO':
    case 'NEWLEADER':
    case 'ACKLD':
      sink.int(m.epoch);
      break;
    case 'ACKEPOCH':
      sink.int(m.currentEpoch);
      encodeZxid(sink, m.lastZxid);
      break;
    case 'DIFF':
    case 'TRUNC':
    case 'COMMIT':
    case 'ACK':
      encodeZxid(sink, m.zxid);
      break;
    case 'SNAP':
      encodeZxid(sink, m.zxid);
      encodeTxns(sink, m.snapshot);
      break;
    case 'PROPOSAL':
    case 'INFORM':
      encodeTxn(sink, m.txn);
      break;
    case 'UPTODATE':
      break;
  }
}

function encodeElectionVotes(sink: StateSink, perm: Permutation, n: number, vs: readonly (ElectionVote | null)[]): void {
  for (let id = 0; id < n; id++) {
    const v = vs[oldId(perm, id)];
    if (v === null || v === undefined) sink.bool(false);
    else {
      sink.bool(true);
      encodeVote(sink, perm, v.vote);
      sink.int(v.round);
      sink.int(SERVER_STATE_CODES[v.state]);
    }
  }
}

function encodeNode(x: ZabNode, sink: StateSink, perm: Permutation): void {
  const n = x.config.servers;
  sink.int(SERVER_STATE_CODES[x.state]);
  sink.int(ZAB_STATE_CODES[x.zabState]);
  sink.int(x.acceptedEpoch);
  sink.int(x.currentEpoch);
  encodeTxns(sink, x.history);
  sink.int(x.lastCommitted);
  sink.int(x.lastSnapshot);
  if (x.config.fle) {
    sink.int(x.logicalClock);
    encodeElectionVotes(sink, perm, n, x.receiveVotes);
    encodeElectionVotes(sink, perm, n, x.outOfElection);
    sink.bool(x.waitNotmsg);
  }
  encodeVote(sink, perm, x.vote);
  sink.int(mapMaskPartial(perm.map, x.learners));
  sink.int(mapMaskPartial(perm.map, x.connecting));
  sink.int(x.tempMaxEpoch);
  sink.int(mapMaskPartial(perm.map, x.electing));
  // toSync is a set keyed by sid: written per (permuted) sid, so no sorting and no bag is needed.
  sink.int(x.toSync.length);
  for (let id = 0; id < n && x.toSync.length > 0; id++) {
    const sid = oldId(perm, id);
    for (let k = 0; k < x.toSync.length; k++) {
      const entry = x.toSync[k]!;
      if (entry.sid !== sid) continue;
      sink.int(id);
      encodeZxid(sink, entry.peerLastZxid);
    }
  }
  sink.int(mapMaskPartial(perm.map, x.ackldRecv));
  sink.int(mapMaskPartial(perm.map, x.forwarding));
  sink.int(x.acks.length);
  for (let k = 0; k < x.acks.length; k++) sink.int(mapMaskPartial(perm.map, x.acks[k]!));
  sink.int(mapId(perm, x.leader));
  sink.int(SYNC_MODE_CODES[x.syncMode]);
  sink.bool(x.newLeaderReceived);
  encodeTxns(sink, x.packetsNotCommitted);
  sink.int(x.syncCommitted);
}

function encodeDisk(disk: Disk, sink: StateSink): void {
  encodeTxns(sink, disk.log);
  sink.int(disk.acceptedEpoch);
  sink.int(disk.currentEpoch);
  sink.int(disk.lastSnapshot);
}

function encodePendingWrite(w: PendingWrite, sink: StateSink, perm: Permutation): void {
  switch (w.kind) {
    case 'log':
      sink.int(0);
      encodeTxns(sink, w.txns);
      break;
    case 'currentEpoch':
      sink.int(1);
      sink.int(w.epoch);
      break;
    case 'send':
      sink.int(2);
      sink.int(mapId(perm, w.to));
      encodeMessage(w.message, sink, perm);
      break;
  }
}

function encodeNotification(note: Notification, sink: StateSink, perm: Permutation): void {
  encodeVote(sink, perm, note.vote);
  sink.int(note.round);
  sink.int(SERVER_STATE_CODES[note.state]);
}

/**
 * The ghost sets of transactions are kept sorted by zxid and value (ghost.ts), so they are written
 * in order; the epoch leaders mention server ids, whose order a permutation changes, so they are
 * written per epoch with the (permuted) leaders of that epoch as a bitmask.
 */
function encodeGhost(sink: StateSink, perm: Permutation, ghost: Ghost): void {
  sink.int(ghost.proposed.length);
  for (let k = 0; k < ghost.proposed.length; k++) {
    const p = ghost.proposed[k]!;
    encodeTxn(sink, p.txn);
    sink.int(mapId(perm, p.source));
  }
  encodeTxns(sink, ghost.committed);
  const leaders = ghost.epochLeaders;
  sink.int(leaders.length);
  for (let k = 0; k < leaders.length; ) {
    const epoch = leaders[k]!.epoch;
    let mask = 0;
    for (; k < leaders.length && leaders[k]!.epoch === epoch; k++) mask |= 1 << mapId(perm, leaders[k]!.leader);
    sink.int(epoch);
    sink.int(mask);
  }
  encodeTxns(sink, ghost.discarded);
  encodeTxns(sink, ghost.lostCommitted);
}

export function encodeCluster(c: ZabCluster, sink: StateSink, perm: Permutation): void {
  const n = c.servers.length;
  for (let id = 0; id < n; id++) encodeHost(sink, perm, c.servers[oldId(perm, id)]!, encodeNode, encodeDisk, encodePendingWrite);
  for (let from = 0; from < n; from++) {
    const oldFrom = oldId(perm, from);
    for (let to = 0; to < n; to++) {
      const index = oldFrom * n + oldId(perm, to);
      encodeQueue(sink, perm, c.channels[index]!, encodeMessage);
      encodeQueue(sink, perm, c.notifications[index]!, encodeNotification);
    }
  }
  encodePartitions(sink, perm, n, c.partitions);
  sink.int(c.crashes);
  sink.int(c.timeouts);
  sink.int(c.partitionsStarted);
  sink.int(c.losses);
  sink.int(c.requests);
  // Ghost variables are part of the state: invariants read them, so merging states that differ in them would be unsound.
  encodeGhost(sink, perm, c.ghost);
}

/**
 * The symmetry signature of server `id` (model.ts, Symmetry.signature): a number built from what the
 * server is without naming any server id (role, phase, epochs, log lengths, disk), so that the checker
 * encodes only the permutations that list servers in ascending signature order; usually one.
 */
export function serverSignature(c: ZabCluster, id: number): number {
  const server = c.servers[id]!;
  const disk = server.disk;
  let h = disk.log.length * 8 + disk.acceptedEpoch;
  h = h * 8 + disk.currentEpoch;
  h = h * 8 + server.pending.length;
  const x = server.node;
  if (x === null) return h * 16;
  h = h * 4 + SERVER_STATE_CODES[x.state];
  h = h * 4 + ZAB_STATE_CODES[x.zabState];
  h = h * 8 + x.acceptedEpoch;
  h = h * 8 + x.currentEpoch;
  h = h * 8 + x.history.length;
  h = h * 8 + x.lastCommitted;
  h = h * 4 + SYNC_MODE_CODES[x.syncMode];
  h = (h * 8 + x.packetsNotCommitted.length) % 0x7fffffff;
  return h + 1;
}
