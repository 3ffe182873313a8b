// What the seeded simulation (simulation.ts) checks as its run goes, from the
// effects the world (world.ts) is about to carry out, and once more after the
// final drain. Each failure is a string naming the seed, era and step.
//
// - PrefixConsistency: every txn delivered anywhere is the txn at that index
//   of the one committed sequence, and every leader's deliveries extend it;
// - an ACK leaves a follower only for a proposal on its disk, ACKEPOCH only
//   with acceptedEpoch on disk, the ACK of NEWLEADER only with currentEpoch and
//   the whole synced log on disk, and a learner's currentEpoch reaches the
//   disk only after its synced log (ZOOKEEPER-4643);
// - DIFF goes only to a learner whose log is a prefix of the leader's, TRUNC
//   only to one that has entries past the truncation point and agrees up to
//   it, SNAP only where no DIFF could do; a snapshot agrees with what is
//   committed;
// - at the end (after a drain with no faults) every synced learner's log
//   starts with everything committed, in the same order.

import { hex } from '../../../lib/hex.ts';
import { indexOfZxid, lastZxid } from './history.ts';
import type { Peer, PeerEffect, PeerEvent, PeerMessage, PeerTxn, SyncMode } from './types.ts';
import type { MemoryWorld } from './world.ts';

export const sameTxn = (a: PeerTxn, b: PeerTxn) => a.zxid === b.zxid && a.data.length === b.data.length && a.data.every((x, i) => x === b.data[i]);

/** What the checks read of the simulation around them. */
export interface SimulationContext {
  readonly world: MemoryWorld;
  /** The oracle's leader of the current era. */
  readonly leaderId: number;
  readonly committedLogCountMax: number;
  /** "seed S era E step N", for the failure messages. */
  where(): string;
  /** Whether a learner crashed and restarted within the current era (not at its start). */
  restartedInEra(id: number): boolean;
}

type SyncCounts = Record<Exclude<SyncMode, 'NONE'>, number>;

export class SimulationChecks {
  readonly violations: string[] = [];
  /** The one committed sequence, as the leaders delivered it. */
  readonly committed: PeerTxn[] = [];
  readonly syncModes: SyncCounts = { DIFF: 0, TRUNC: 0, SNAP: 0 };
  readonly restartSyncModes: SyncCounts = { DIFF: 0, TRUNC: 0, SNAP: 0 };
  /** Why learners went back to LOOKING on their own (none expected: a broken connection is the world's doing). */
  readonly learnerLooking: string[] = [];
  /** Why leaders gave up (a learner more recent than the oracle's pick: a new era follows). */
  readonly leaderLooking: string[] = [];

  constructor(private readonly context: SimulationContext) {}

  violate(what: string): void {
    if (this.violations.length < 20) this.violations.push(`${this.context.where()}: ${what}`);
  }

  /** The world's beforeEffect hook. */
  beforeEffect(id: number, peer: Peer, effect: PeerEffect, event: PeerEvent): void {
    switch (effect.type) {
      case 'persistCurrentEpoch':
        this.checkCurrentEpoch(id, peer, effect.epoch);
        return;
      case 'installSnapshot':
        this.checkSnapshot(id, effect.txns);
        return;
      case 'send':
        this.checkSend(id, peer, effect.to, effect.message);
        return;
      case 'deliver':
        this.checkDelivered(id, effect.txn);
        return;
      case 'goLooking':
        if (id === this.context.leaderId) this.leaderLooking.push(`${this.context.where()}: leader ${id}: ${effect.reason}`);
        // A learner whose connection the world broke (LeaderLost) goes back to LOOKING as expected.
        else if (event.type !== 'LeaderLost') this.learnerLooking.push(`${this.context.where()}: server ${id}: ${effect.reason}`);
        return;
      default:
        return;
    }
  }

  private checkDelivered(id: number, txn: PeerTxn): void {
    const index = this.context.world.servers[id]!.applied.count;
    const known = this.committed[index];
    if (known === undefined) {
      if (id === this.context.leaderId && index === this.committed.length) this.committed.push(txn);
      else this.violate(`server ${id} delivered ${hex(txn.zxid)} at index ${index}, beyond the ${this.committed.length} committed`);
    } else if (!sameTxn(known, txn)) {
      this.violate(`server ${id} delivered ${hex(txn.zxid)} at index ${index} where ${hex(known.zxid)} was committed`);
    }
  }

  /** ZOOKEEPER-4643: a learner's new currentEpoch must never be on disk with a log that lacks the synced history. */
  private checkCurrentEpoch(id: number, peer: Peer, epoch: number): void {
    if (peer.role !== 'FOLLOWING' && peer.role !== 'OBSERVING') return;
    const log = this.context.world.servers[id]!.disk.log;
    const missing = peer.history.find((t) => indexOfZxid(log, t.zxid) < 0);
    if (missing !== undefined) this.violate(`server ${id} wrote currentEpoch ${epoch} before ${hex(missing.zxid)} was on its disk`);
  }

  /**
   * Before its NEWLEADER quorum a new leader's whole history counts as committed (syncFollower): the
   * snapshot must agree with what was committed and, past it, with the leader's history.
   */
  private checkSnapshot(id: number, txns: readonly PeerTxn[]): void {
    const leaderHistory = this.context.world.peer(this.context.leaderId)?.history;
    for (let i = 0; i < txns.length; i++) {
      const expected = this.committed[i] ?? leaderHistory?.[i];
      if (expected === undefined || !sameTxn(expected, txns[i]!)) {
        this.violate(`server ${id} installed a snapshot whose entry ${i} (${hex(txns[i]!.zxid)}) is neither committed nor the leader's`);
        return;
      }
    }
  }

  private checkSend(id: number, peer: Peer, to: number, message: PeerMessage): void {
    const disk = this.context.world.servers[id]!.disk;
    const onDisk = (zxid: bigint) => indexOfZxid(disk.log, zxid) >= 0;
    switch (message.type) {
      case 'ACK':
        if (!onDisk(message.zxid)) this.violate(`server ${id} acked ${hex(message.zxid)}, which is not on its disk`);
        return;
      case 'ACKEPOCH':
        if (disk.acceptedEpoch !== peer.acceptedEpoch) this.violate(`server ${id} sent ACKEPOCH with acceptedEpoch ${disk.acceptedEpoch} on disk, ${peer.acceptedEpoch} in memory`);
        return;
      case 'ACKLD': {
        if (disk.currentEpoch !== message.epoch) this.violate(`server ${id} acked NEWLEADER ${message.epoch} with currentEpoch ${disk.currentEpoch} on disk`);
        const missing = peer.history.find((t) => !onDisk(t.zxid));
        if (missing !== undefined) this.violate(`server ${id} acked NEWLEADER before ${hex(missing.zxid)} was on its disk`);
        // Whatever the sync mode, the learner now holds a prefix of the leader's history.
        const leaderHistory = this.context.world.peer(this.context.leaderId)?.history ?? [];
        const differs = peer.history.findIndex((t, i) => leaderHistory[i] === undefined || !sameTxn(t, leaderHistory[i]!));
        if (differs >= 0) this.violate(`server ${id} acked NEWLEADER with a log that leaves the leader's at index ${differs}`);
        return;
      }
      case 'DIFF':
      case 'TRUNC':
      case 'SNAP':
        this.syncModes[message.type]++;
        if (this.context.restartedInEra(to)) this.restartSyncModes[message.type]++;
        this.checkSyncChoice(id, peer, to, message);
        return;
      default:
        return;
    }
  }

  /** The sync message the leader chose for `to` fits the learner's log (see the header). */
  private checkSyncChoice(id: number, leader: Peer, to: number, message: Extract<PeerMessage, { type: 'DIFF' | 'TRUNC' | 'SNAP' }>): void {
    const learner = this.context.world.peer(to);
    if (id !== this.context.leaderId || learner === undefined || learner.role === 'LOOKING' || learner.role === 'LEADING') return;
    const leaderHistory = leader.history;
    if (message.type === 'SNAP') {
      // SNAP only when no DIFF could do: the learner's last zxid is not in the leader's log, or older than its committedLog.
      const learnerLast = lastZxid(learner.history);
      const leaderPeer = this.context.world.peer(this.context.leaderId);
      const committedCount = leaderPeer?.role === 'LEADING' && leaderPeer.phase === 'BROADCAST' ? leaderPeer.lastCommitted : leaderHistory.length;
      const windowStart = Math.max(0, committedCount - this.context.committedLogCountMax);
      const at = indexOfZxid(leaderHistory, learnerLast);
      if (at > windowStart && at <= committedCount) this.violate(`SNAP to server ${to}, whose last zxid ${hex(learnerLast)} is in the committedLog`);
      return;
    }
    const point = indexOfZxid(learner.history, message.zxid);
    if (point < 0) {
      this.violate(`${message.type} ${hex(message.zxid)} to server ${to}, whose log does not hold it`);
      return;
    }
    for (let i = 0; i < point; i++) {
      if (!sameTxn(learner.history[i]!, leaderHistory[i]!)) {
        this.violate(`${message.type} ${hex(message.zxid)} to server ${to}, whose log differs from the leader's at index ${i}`);
        break;
      }
    }
    if (message.type === 'DIFF' && point !== learner.history.length) this.violate(`DIFF ${hex(message.zxid)} to server ${to}, which has entries after it`);
    if (message.type === 'TRUNC' && point === learner.history.length) this.violate(`TRUNC ${hex(message.zxid)} to server ${to}, which has nothing to cut`);
  }

  /** After the final drain: an established leader that committed everything, and every server synced with the committed sequence. */
  afterDrain(): void {
    const { world, leaderId } = this.context;
    const leader = world.peer(leaderId);
    if (leader?.role !== 'LEADING' || leader.phase !== 'BROADCAST') {
      const slot = world.servers[leaderId]!.slot;
      this.violate(`after the drain the leader ${leaderId} is ${leader?.role ?? (slot.status === 'looking' ? 'LOOKING' : 'down')}`);
      return;
    }
    if (leader.lastCommitted !== leader.history.length) this.violate(`after the drain the leader committed ${leader.lastCommitted} of ${leader.history.length}`);
    world.servers.forEach((server, id) => {
      const peer = world.peer(id);
      if (peer === undefined || peer.role === 'LOOKING') return this.violate(`after the drain server ${id} is not running`);
      if (peer.role !== 'LEADING' && peer.phase !== 'BROADCAST') return this.violate(`after the drain server ${id} is in ${peer.phase}`);
      // PrefixConsistency: everything committed is in every synced server's log, in the same order.
      for (let i = 0; i < this.committed.length; i++) {
        const mine = peer.history[i];
        if (mine === undefined || !sameTxn(mine, this.committed[i]!)) return this.violate(`server ${id}'s log differs from the committed sequence at index ${i}`);
      }
      if (server.applied.count !== this.committed.length) this.violate(`server ${id} delivered ${server.applied.count} of ${this.committed.length} committed`);
    });
  }
}
