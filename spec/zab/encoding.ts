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
import * as pairs from '../common/partitions.ts';
import * as symmetry from '../common/symmetry.ts';
import type { ElectionVote, Notification, ServerState, Txn, Vote, ZabMessage, ZabNode, Zxid } from './types.ts';
import type { Links } from '../common/fifo.ts';
import type { Ghost } from './ghost.ts';
import type { PendingWrite, Server, ZabCluster } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { isPartitioned } = pairs;
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

/**
 * Four small non-negative numbers (epochs, zxid counters, lengths, indices, fault counts) below 2^8
 * in one word; as with pack16, a larger value stops the run instead of sharing an encoding.
 */
function pack8(a: number, b: number, c: number, d: number): number {
  if ((a | b | c | d) < 0 || a > 0xff || b > 0xff || c > 0xff || d > 0xff) assert(false, `ZAB encoding: ${a}, ${b}, ${c} or ${d} is outside 0..255`);
  return (a << 24) | (b << 16) | (c << 8) | d;
}

/** A zxid as 16 bits: epoch and counter, each below 2^8. */
function zxid16(z: Zxid): number {
  const epoch = z.epoch;
  const counter = z.counter;
  if (epoch < 0 || counter < 0 || epoch > 0xff || counter > 0xff) assert(false, `ZAB encoding: zxid (${epoch}, ${counter}) is outside 0..255`);
  return (epoch << 8) | counter;
}

/** A transaction in one word: its zxid (16 bits) and its value (below 2^16). */
function txnWord(t: Txn): number {
  const value = t.value;
  if (value < 0 || value > 0xffff) assert(false, `ZAB encoding: value ${value} is outside 0..65535`);
  return (zxid16(t.zxid) << 16) | value;
}

/** The transactions of a list whose length was written before (in a header word). */
function encodeTxnWords(sink: StateSink, ts: readonly Txn[]): void {
  for (let i = 0; i < ts.length; i++) sink.int(txnWord(ts[i]!));
}

/** A vote in one word: its (permuted) leader, epoch and zxid. */
function voteWord(perm: Permutation, v: Vote): number {
  const leader = mapId(perm, v.leader);
  if (v.epoch < 0 || v.epoch > 0xff || leader < 0 || leader > 0x7f) assert(false, `ZAB encoding: vote (${leader}, ${v.epoch}) is outside 0..127, 0..255`);
  return (leader << 24) | (v.epoch << 16) | zxid16(v.zxid);
}

/** A message: its type's code (0..13, in the order of ZabMessage's union) in the low 4 bits of its first word, its fields above. */
function encodeMessage(m: ZabMessage, sink: StateSink): void {
  switch (m.type) {
    case 'FOLLOWERINFO':
      sink.int(0 | (pack16(0, m.acceptedEpoch) << 4));
      break;
    case 'OBSERVERINFO':
      sink.int(1 | (pack16(0, m.acceptedEpoch) << 4));
      break;
    case 'LEADERINFO':
      sink.int(2 | (pack16(0, m.epoch) << 4));
      break;
    case 'ACKEPOCH':
      // currentEpoch is -1 when the learner had accepted this epoch already, hence + 1.
      sink.int(3 | (pack8(0, 0, 0, m.currentEpoch + 1) << 4) | (zxid16(m.lastZxid) << 12));
      break;
    case 'DIFF':
      sink.int(4 | (zxid16(m.zxid) << 4));
      break;
    case 'TRUNC':
      sink.int(5 | (zxid16(m.zxid) << 4));
      break;
    case 'SNAP':
      sink.int(6 | (zxid16(m.zxid) << 4) | (pack8(0, 0, 0, m.snapshot.length) << 20));
      encodeTxnWords(sink, m.snapshot);
      break;
    case 'PROPOSAL':
      sink.int(7);
      sink.int(txnWord(m.txn));
      break;
    case 'COMMIT':
      sink.int(8 | (zxid16(m.zxid) << 4));
      break;
    case 'INFORM':
      sink.int(9);
      sink.int(txnWord(m.txn));
      break;
    case 'NEWLEADER':
      sink.int(10 | (pack16(0, m.epoch) << 4));
      break;
    case 'ACKLD':
      sink.int(11 | (pack16(0, m.epoch) << 4));
      break;
    case 'UPTODATE':
      sink.int(12);
      break;
    case 'ACK':
      sink.int(13 | (zxid16(m.zxid) << 4));
      break;
    default:
      assertNever(m, 'ZAB message');
  }
}

/** Which (permuted) servers have an entry in recvset or outofelection, as a bitmask (at most 5 servers). */
function presentVotes(perm: Permutation, n: number, vs: readonly (ElectionVote | null)[]): number {
  let mask = 0;
  for (let id = 0; id < n; id++) {
    const v = vs[oldId(perm, id)];
    if (v !== null && v !== undefined) mask |= 1 << id;
  }
  return mask;
}

/** The entries presentVotes names, in (permuted) id order: the vote, then the round and the state. */
function encodeElectionVotes(sink: StateSink, perm: Permutation, n: number, vs: readonly (ElectionVote | null)[]): void {
  for (let id = 0; id < n; id++) {
    const v = vs[oldId(perm, id)];
    if (v === null || v === undefined) continue;
    sink.int(voteWord(perm, v.vote));
    sink.int(pack16(v.round, serverStateCode(v.state)));
  }
}

/**
 * A node in 5 words plus its lists: the enumerations, flags and list lengths; the server-id sets and
 * the leader; the epochs and log indices; the vote; then the history, the FLE votes, toSync, the ack
 * sets (six to a word) and packetsNotCommitted.
 */
function encodeNode(x: ZabNode, sink: StateSink, perm: Permutation): void {
  const n = x.config.servers;
  const map = perm.map;
  const history = x.history;
  const acks = x.acks;
  const toSync = x.toSync;
  const packets = x.packetsNotCommitted;
  // Role, phase, sync mode and the two flags (8 bits), then three list lengths.
  const codes =
    serverStateCode(x.state) |
    (zabStateCode(x.zabState) << 2) |
    (syncModeCode(x.syncMode) << 4) |
    (x.newLeaderReceived ? 1 << 6 : 0) |
    (x.waitNotmsg ? 1 << 7 : 0);
  sink.int(pack8(codes, history.length, acks.length, packets.length));
  // The server-id sets, 5 bits each (at most 5 servers), the leader (-1 for none, so + 1) and toSync's size (at most 5).
  sink.int(
    mapMaskPartial(map, x.learners) |
      (mapMaskPartial(map, x.connecting) << 5) |
      (mapMaskPartial(map, x.electing) << 10) |
      (mapMaskPartial(map, x.ackldRecv) << 15) |
      (mapMaskPartial(map, x.forwarding) << 20) |
      ((mapId(perm, x.leader) + 1) << 25) |
      (toSync.length << 28),
  );
  sink.int(pack8(x.acceptedEpoch, x.currentEpoch, x.lastCommitted, x.lastSnapshot));
  sink.int(pack8(x.tempMaxEpoch, x.syncCommitted, 0, 0));
  sink.int(voteWord(perm, x.vote));
  encodeTxnWords(sink, history);
  if (x.config.fle) {
    // Which entries recvset and outofelection hold (5 bits each), and the round, in one word.
    sink.int(presentVotes(perm, n, x.receiveVotes) | (presentVotes(perm, n, x.outOfElection) << 5) | (pack16(0, x.logicalClock) << 10));
    encodeElectionVotes(sink, perm, n, x.receiveVotes);
    encodeElectionVotes(sink, perm, n, x.outOfElection);
  }
  // toSync is a set keyed by sid: written per (permuted) sid, so no sorting and no bag is needed.
  for (let id = 0; id < n && toSync.length > 0; id++) {
    const sid = oldId(perm, id);
    for (let k = 0; k < toSync.length; k++) {
      const entry = toSync[k]!;
      if (entry.sid === sid) sink.int((id << 16) | zxid16(entry.peerLastZxid));
    }
  }
  for (let k = 0; k < acks.length; k += 6) {
    let word = 0;
    for (let j = k; j < acks.length && j < k + 6; j++) word |= mapMaskPartial(map, acks[j]!) << (5 * (j - k));
    sink.int(word);
  }
  encodeTxnWords(sink, packets);
}

function encodePendingWrite(w: PendingWrite, sink: StateSink, perm: Permutation): void {
  switch (w.kind) {
    case 'log':
      sink.int(0 | (pack16(0, w.txns.length) << 2));
      encodeTxnWords(sink, w.txns);
      break;
    case 'currentEpoch':
      sink.int(1 | (pack16(0, w.epoch) << 2));
      break;
    case 'send':
      sink.int(2 | (pack8(0, 0, 0, mapId(perm, w.to)) << 2));
      encodeMessage(w.message, sink);
      break;
    default:
      assertNever(w, 'pending write');
  }
}

/**
 * A server (spec/common/host.ts's Host): whether it is up, the length of its fsync queue and its
 * disk's log length and snapshot in one word, the disk's epochs, the disk's log, then its memory
 * (if up) and its queued writes.
 */
function encodeServer(sink: StateSink, perm: Permutation, server: Server): void {
  const disk = server.disk;
  const node = server.node;
  const pending = server.pending;
  sink.int(pack8(node === null ? 0 : 1, pending.length, disk.log.length, disk.lastSnapshot));
  sink.int(pack16(disk.acceptedEpoch, disk.currentEpoch));
  encodeTxnWords(sink, disk.log);
  if (node !== null) encodeNode(node, sink, perm);
  for (let k = 0; k < pending.length; k++) encodePendingWrite(pending[k]!, sink, perm);
}

function encodeNotification(note: Notification, sink: StateSink, perm: Permutation): void {
  sink.int(voteWord(perm, note.vote));
  sink.int(pack16(note.round, serverStateCode(note.state)));
}

/**
 * Which queues of `links` hold messages, as a bitmask over the permuted pairs (bit newFrom * n + newTo;
 * at most 5 servers, so 25 bits). Most queues are empty; the encoder writes this mask and then only
 * the queues it names. The mask over the old pairs comes first, so that no permuting is done when
 * every queue is empty (always so for the election port under the oracle).
 */
function nonEmptyQueues<M>(links: Links<M>, perm: Permutation, n: number): number {
  let old = 0;
  for (let pair = 0; pair < links.length; pair++) if (links[pair]!.length > 0) old |= 1 << pair;
  if (old === 0) return 0;
  const map = perm.map;
  let mask = 0;
  for (let pair = 0; old >>> pair !== 0; pair++) {
    if ((old & (1 << pair)) === 0) continue;
    const from = (pair / n) | 0;
    mask |= 1 << (mapIdIn(map, from) * n + mapIdIn(map, pair - from * n));
  }
  return mask;
}

/** mapId over the map alone (ids past the permuted servers, ZAB's observers, keep theirs). */
function mapIdIn(map: readonly number[], id: number): number {
  return id < map.length ? map[id]! : id;
}

/** The partitioned pairs as a bitmask over the permuted pairs (bit newLo * n + newHi), as spec/common/partitions.ts stores them. */
function partitionsWord(perm: Permutation, n: number, partitions: number): number {
  if (partitions === 0) return 0;
  let out = 0;
  for (let a = 0; a < n; a++) for (let b = a + 1; b < n; b++) if (isPartitioned(partitions, n, oldId(perm, a), oldId(perm, b))) out |= 1 << (a * n + b);
  return out;
}

/**
 * The ghost sets of transactions are kept sorted by zxid and value (ghost.ts), so they are written
 * in order; the epoch leaders mention server ids, whose order a permutation changes, so they are
 * written per epoch with the (permuted) leaders of that epoch as a bitmask. The lengths share a word.
 */
function encodeGhost(sink: StateSink, perm: Permutation, ghost: Ghost): void {
  const proposed = ghost.proposed;
  const leaders = ghost.epochLeaders;
  sink.int(pack8(proposed.length, ghost.committed.length, ghost.discarded.length, ghost.lostCommitted.length));
  sink.int(leaders.length);
  for (let k = 0; k < proposed.length; k++) {
    const p = proposed[k]!;
    sink.int(txnWord(p.txn));
    sink.int(mapId(perm, p.source));
  }
  encodeTxnWords(sink, ghost.committed);
  for (let k = 0; k < leaders.length; ) {
    const epoch = leaders[k]!.epoch;
    let mask = 0;
    for (; k < leaders.length && leaders[k]!.epoch === epoch; k++) mask |= 1 << mapId(perm, leaders[k]!.leader);
    sink.int(pack16(epoch, mask));
  }
  encodeTxnWords(sink, ghost.discarded);
  encodeTxnWords(sink, ghost.lostCommitted);
}

export function encodeCluster(c: ZabCluster, sink: StateSink, perm: Permutation): void {
  const n = c.servers.length;
  for (let id = 0; id < n; id++) encodeServer(sink, perm, c.servers[oldId(perm, id)]!);
  // The quorum channels, then the election channels: which are non-empty, then each of those in (permuted) pair order.
  const messages = nonEmptyQueues(c.channels, perm, n);
  sink.int(messages);
  for (let pair = 0; messages >>> pair !== 0; pair++) {
    if ((messages & (1 << pair)) === 0) continue;
    const from = (pair / n) | 0;
    const queue = c.channels[oldId(perm, from) * n + oldId(perm, pair - from * n)]!;
    sink.int(queue.length);
    for (let k = 0; k < queue.length; k++) encodeMessage(queue[k]!, sink);
  }
  const notifications = nonEmptyQueues(c.notifications, perm, n);
  sink.int(notifications);
  for (let pair = 0; notifications >>> pair !== 0; pair++) {
    if ((notifications & (1 << pair)) === 0) continue;
    const from = (pair / n) | 0;
    const queue = c.notifications[oldId(perm, from) * n + oldId(perm, pair - from * n)]!;
    sink.int(queue.length);
    for (let k = 0; k < queue.length; k++) encodeNotification(queue[k]!, sink, perm);
  }
  sink.int(partitionsWord(perm, n, c.partitions));
  sink.int(pack8(c.crashes, c.timeouts, c.partitionsStarted, c.losses));
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
