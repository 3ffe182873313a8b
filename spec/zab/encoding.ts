// Canonical encoding of the ZAB world (fingerprints), with server ids
// permuted for symmetry (spec/common/symmetry.ts), and the servers' symmetry
// signature. The order: every server (spec/common/host.ts: memory, disk,
// fsync queue), the non-empty quorum and election channels
// (spec/common/fifo.ts), the partitions, the fault counters, the ghost.
//
// The encoder is on the checker's hottest path (once per permutation per
// generated state), so it is written as module-level functions that take the
// sink and the permutation as arguments: no closure is created per call (under
// tsx, esbuild's keepNames turns every closure into a defineProperty call),
// no string is built and nothing is allocated. Every word written costs two
// hash rounds, so small fields share a word: the enumerations and flags of a
// node in one, its server-id sets (at most 5 servers, zabBounds) in another,
// and counters two to a word (pack16). Each packing is injective, so two
// states get equal encodings exactly when they are equal (up to symmetry).

import { assert, assertNever } from '../../lib/assert.ts';
import type { Permutation, StateSink } from '../../model-check/model.ts';
import * as hosts from '../common/host.ts';
import * as pairs from '../common/partitions.ts';
import * as symmetry from '../common/symmetry.ts';
import type { ElectionVote, Notification, ServerState, Txn, Vote, ZabMessage, ZabNode, Zxid } from './types.ts';
import type { Links } from '../common/fifo.ts';
import type { Ghost } from './ghost.ts';
import type { Disk, PendingWrite, ZabCluster } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { encodeHost } = hosts;
const { encodePartitions } = pairs;
const { mapId, mapMaskPartial, oldId } = symmetry;

// The enumerations' codes as comparisons rather than lookups in a Record: a keyed load whose key
// varies over several strings goes through v8's megamorphic stub cache, several times per node.
function serverStateCode(s: ServerState): number {
  return s === 'LOOKING' ? 0 : s === 'FOLLOWING' ? 1 : s === 'LEADING' ? 2 : 3;
}

function zabStateCode(s: ZabNode['zabState']): number {
  return s === 'ELECTION' ? 0 : s === 'DISCOVERY' ? 1 : s === 'SYNCHRONIZATION' ? 2 : 3;
}

function syncModeCode(s: ZabNode['syncMode']): number {
  return s === 'NONE' ? 0 : s === 'DIFF' ? 1 : s === 'TRUNC' ? 2 : 3;
}

/**
 * Two non-negative counters below 2^16 (epochs, counters, log indices, fault
 * counts) in one word. Any run the checker can finish stays far below that;
 * a larger value stops the run rather than let two states share an encoding.
 */
function pack16(a: number, b: number): number {
  if (a < 0 || b < 0 || a > 0xffff || b > 0xffff) assert(false, `ZAB encoding: ${a} or ${b} is outside 0..65535`);
  return (a << 16) | b;
}

function encodeZxid(sink: StateSink, z: Zxid): void {
  sink.int(pack16(z.epoch, z.counter));
}

function encodeTxn(sink: StateSink, t: Txn): void {
  sink.int(pack16(t.zxid.epoch, t.zxid.counter));
  sink.int(t.value);
}

function encodeTxns(sink: StateSink, ts: readonly Txn[]): void {
  sink.int(ts.length);
  for (let i = 0; i < ts.length; i++) encodeTxn(sink, ts[i]!);
}

function encodeVote(sink: StateSink, perm: Permutation, v: Vote): void {
  sink.int(pack16(mapId(perm, v.leader), v.epoch));
  encodeZxid(sink, v.zxid);
}

function encodeMessage(m: ZabMessage, sink: StateSink): void {
  // Each type's code (0..13, in the order of ZabMessage's union), then its fields.
  switch (m.type) {
    case 'FOLLOWERINFO':
      sink.int(0);
      sink.int(m.acceptedEpoch);
      break;
    case 'OBSERVERINFO':
      sink.int(1);
      sink.int(m.acceptedEpoch);
      break;
    case 'LEADERINFO':
      sink.int(2);
      sink.int(m.epoch);
      break;
    case 'ACKEPOCH':
      sink.int(3);
      // currentEpoch is -1 when the learner had accepted this epoch already, hence its own word.
      sink.int(m.currentEpoch);
      encodeZxid(sink, m.lastZxid);
      break;
    case 'DIFF':
      sink.int(4);
      encodeZxid(sink, m.zxid);
      break;
    case 'TRUNC':
      sink.int(5);
      encodeZxid(sink, m.zxid);
      break;
    case 'SNAP':
      sink.int(6);
      encodeZxid(sink, m.zxid);
      encodeTxns(sink, m.snapshot);
      break;
    case 'PROPOSAL':
      sink.int(7);
      encodeTxn(sink, m.txn);
      break;
    case 'COMMIT':
      sink.int(8);
      encodeZxid(sink, m.zxid);
      break;
    case 'INFORM':
      sink.int(9);
      encodeTxn(sink, m.txn);
      break;
    case 'NEWLEADER':
      sink.int(10);
      sink.int(m.epoch);
      break;
    case 'ACKLD':
      sink.int(11);
      sink.int(m.epoch);
      break;
    case 'UPTODATE':
      sink.int(12);
      break;
    case 'ACK':
      sink.int(13);
      encodeZxid(sink, m.zxid);
      break;
    default:
      assertNever(m, 'ZAB message');
  }
}

function encodeElectionVotes(sink: StateSink, perm: Permutation, n: number, vs: readonly (ElectionVote | null)[]): void {
  for (let id = 0; id < n; id++) {
    const v = vs[oldId(perm, id)];
    if (v === null || v === undefined) sink.bool(false);
    else {
      sink.bool(true);
      encodeVote(sink, perm, v.vote);
      sink.int(pack16(v.round, serverStateCode(v.state)));
    }
  }
}

function encodeNode(x: ZabNode, sink: StateSink, perm: Permutation): void {
  const n = x.config.servers;
  const map = perm.map;
  // Small by their types: role, phase, sync mode and the two flags.
  sink.int(
    serverStateCode(x.state) |
      (zabStateCode(x.zabState) << 2) |
      (syncModeCode(x.syncMode) << 4) |
      (x.newLeaderReceived ? 1 << 6 : 0) |
      (x.waitNotmsg ? 1 << 7 : 0),
  );
  // The server-id sets, 5 bits each (at most 5 servers), and the leader (-1 for none, so + 1).
  sink.int(
    mapMaskPartial(map, x.learners) |
      (mapMaskPartial(map, x.connecting) << 5) |
      (mapMaskPartial(map, x.electing) << 10) |
      (mapMaskPartial(map, x.ackldRecv) << 15) |
      (mapMaskPartial(map, x.forwarding) << 20) |
      ((mapId(perm, x.leader) + 1) << 25),
  );
  sink.int(pack16(x.acceptedEpoch, x.currentEpoch));
  sink.int(pack16(x.lastCommitted, x.lastSnapshot));
  sink.int(pack16(x.tempMaxEpoch, x.syncCommitted));
  encodeTxns(sink, x.history);
  if (x.config.fle) {
    sink.int(x.logicalClock);
    encodeElectionVotes(sink, perm, n, x.receiveVotes);
    encodeElectionVotes(sink, perm, n, x.outOfElection);
  }
  encodeVote(sink, perm, x.vote);
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
  sink.int(x.acks.length);
  for (let k = 0; k < x.acks.length; k++) sink.int(mapMaskPartial(map, x.acks[k]!));
  encodeTxns(sink, x.packetsNotCommitted);
}

function encodeDisk(disk: Disk, sink: StateSink): void {
  encodeTxns(sink, disk.log);
  sink.int(pack16(disk.acceptedEpoch, disk.currentEpoch));
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
      encodeMessage(w.message, sink);
      break;
    default:
      assertNever(w, 'pending write');
  }
}

function encodeNotification(note: Notification, sink: StateSink, perm: Permutation): void {
  encodeVote(sink, perm, note.vote);
  sink.int(pack16(note.round, serverStateCode(note.state)));
}

/**
 * Which queues of `links` hold messages, as a bitmask over the permuted pairs (bit newFrom * n + newTo;
 * at most 5 servers, so 25 bits). Most queues are empty; the encoder writes this mask and then only
 * the queues it names.
 */
function nonEmptyQueues<M>(links: Links<M>, perm: Permutation, n: number): number {
  let mask = 0;
  for (let from = 0; from < n; from++) {
    const oldFrom = oldId(perm, from);
    for (let to = 0; to < n; to++) if (links[oldFrom * n + oldId(perm, to)]!.length > 0) mask |= 1 << (from * n + to);
  }
  return mask;
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
  // The quorum channels, then the election channels: which are non-empty, then each of those in (permuted) pair order.
  const messages = nonEmptyQueues(c.channels, perm, n);
  sink.int(messages);
  for (let pair = 0; messages >>> pair !== 0; pair++) {
    if ((messages & (1 << pair)) === 0) continue;
    const queue = c.channels[oldId(perm, Math.floor(pair / n)) * n + oldId(perm, pair % n)]!;
    sink.int(queue.length);
    for (let k = 0; k < queue.length; k++) encodeMessage(queue[k]!, sink);
  }
  const notifications = nonEmptyQueues(c.notifications, perm, n);
  sink.int(notifications);
  for (let pair = 0; notifications >>> pair !== 0; pair++) {
    if ((notifications & (1 << pair)) === 0) continue;
    const queue = c.notifications[oldId(perm, Math.floor(pair / n)) * n + oldId(perm, pair % n)]!;
    sink.int(queue.length);
    for (let k = 0; k < queue.length; k++) encodeNotification(queue[k]!, sink, perm);
  }
  encodePartitions(sink, perm, n, c.partitions);
  // Failed fsyncs share the crashes' word, above their bits: 0 in every preset without them, so those encode as before.
  sink.int(pack16(c.crashes | (c.fsyncFailures << 8), c.timeouts));
  sink.int(pack16(c.partitionsStarted, c.losses));
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
  h = h * 4 + serverStateCode(x.state);
  h = h * 4 + zabStateCode(x.zabState);
  h = h * 8 + x.acceptedEpoch;
  h = h * 8 + x.currentEpoch;
  h = h * 8 + x.history.length;
  h = h * 8 + x.lastCommitted;
  h = h * 4 + syncModeCode(x.syncMode);
  h = (h * 8 + x.packetsNotCommitted.length) % 0x7fffffff;
  return h + 1;
}
