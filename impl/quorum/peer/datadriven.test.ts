// Scenarios of the Zab peer core (step.ts) as data: every testdata/*.txt is a
// story of events and the effects and states they produce, run by
// lib/testing/datadriven.ts (REWRITE=1 writes the outputs back; see its header).
//
// The harness is thin (lib/testing/interaction.ts ReducerHarness): servers with
// a PeerDisk, FIFO channels, and a queue of appended txns per server that
// `fsync` writes before it steps the server with `LogSynced` (the storage's
// group commit). It is not the simulation's world (simulation.ts): a broken
// connection, a crash and an election are commands here. One rule of a world
// is kept because the core's effects assume it: a server that goes back to
// LOOKING ends its run, and its queued txns reach the disk (the
// SyncRequestProcessor flushes on shutdown). A role starts from the disk only
// (startLeading, startFollowing), as a new run of the core does.
//
// Commands (server ids are numbers; txns are written epoch.counter:value, the
// value being the txn's one byte of data), besides deliver, fsync, stabilize,
// disconnect and status (lib/testing/interaction.ts):
//   cluster voters=3 [observers=0] [committedLog=3] [bugs=(ZOOKEEPER-4646,...)]   empty disks, no role
//   disk <id>... [accepted=E] [current=E] [log=(1.1:1,...)] [snapshot=N]   the server's disk (it must not run a role)
//   elect <leader> [learners=(..)]   roles from disk: startLeading, startFollowing; each learner connects
//   request <leader> value=V         ClientRequest with one byte of data
//   disconnect <learner> <leader>    the channels between them empty; LeaderLost, then LearnerLost
//   crash <id>                       memory and queue lost; the server has no role until the next elect

import { describe, it } from 'vitest';
import { scenarios, type TestCase } from '../../../lib/testing/datadriven.ts';
import { bareField, Channels, field, formatList, formatSet, parseTxnNotation, ReducerHarness, type Field, type HarnessProtocol } from '../../../lib/testing/interaction.ts';
import { counterOfZxid, epochOfZxid, lastZxid, makeZxid } from './history.ts';
import { startLeading } from './leader.ts';
import { startFollowing } from './learner.ts';
import { step } from './step.ts';
import { PEER_BUGS, type Peer, type PeerBug, type PeerConfig, type PeerDisk, type PeerEffect, type PeerEvent, type PeerMessage, type PeerTxn } from './types.ts';

const EMPTY_DISK: PeerDisk = { acceptedEpoch: 0, currentEpoch: 0, log: [], snapshotCount: 0 };

const formatZxid = (zxid: bigint) => `${epochOfZxid(zxid)}.${counterOfZxid(zxid)}`;
const formatData = (data: Uint8Array) => (data.length === 1 ? String(data[0]) : `0x${Buffer.from(data).toString('hex')}`);
const formatTxn = (txn: PeerTxn) => `${formatZxid(txn.zxid)}:${formatData(txn.data)}`;
const formatTxns = (txns: readonly PeerTxn[]) => formatList(txns, formatTxn);

function formatValue(value: unknown): string | undefined {
  if (typeof value === 'bigint') return formatZxid(value);
  if (value instanceof Uint8Array) return formatData(value);
  if (value !== null && typeof value === 'object' && 'zxid' in value && 'data' in value) return formatTxn(value as PeerTxn);
  return undefined;
}

/** The fields of a peer's line: role and phase, then what says something in that role. */
function peerFields(peer: Peer): Field[] {
  const last = lastZxid(peer.history);
  const fields = [
    bareField('role', peer.role),
    { ...bareField('phase', peer.role === 'LOOKING' ? '' : peer.phase), shown: peer.role !== 'LOOKING' },
    field('accepted', peer.acceptedEpoch),
    field('current', peer.currentEpoch),
    field('log', formatTxns(peer.history)),
    field('committed', peer.lastCommitted, peer.lastCommitted > 0),
    field('synced', formatZxid(peer.syncedZxid), peer.syncedZxid !== last),
  ];
  if (peer.role === 'LEADING') {
    const discovery = peer.phase === 'DISCOVERY';
    const open = peer.acks.slice(peer.lastCommitted);
    fields.push(
      field('learners', formatSet(peer.learners)),
      field('connecting', formatSet(peer.connecting), discovery),
      field('tempMaxEpoch', peer.tempMaxEpoch, discovery),
      field('electing', formatSet(peer.electing), discovery),
      field('toSync', formatList(peer.toSync, (s) => `${s.sid}@${formatZxid(s.peerLastZxid)}`), peer.toSync.length > 0),
      field('ackld', formatSet(peer.ackld), !discovery),
      field('forwarding', formatSet(peer.forwarding), peer.forwarding !== 0),
      field('acks', formatList(open, formatSet), open.length > 0),
    );
  } else if (peer.role !== 'LOOKING') {
    const waiting = peer.newLeaderAckAfter;
    fields.push(
      field('leader', peer.leader),
      field('connected', peer.connected, peer.connected),
      field('sync', peer.syncMode, peer.syncMode !== 'NONE'),
      field('pendingSnapshot', peer.pendingSnapshot === undefined ? '-' : formatZxid(peer.pendingSnapshot.zxid), peer.pendingSnapshot !== undefined),
      field('newLeader', peer.newLeaderReceived, peer.newLeaderReceived),
      field('packetsNotCommitted', formatTxns(peer.packetsNotCommitted), peer.packetsNotCommitted.length > 0),
      field('syncCommitted', peer.syncCommitted, peer.phase === 'SYNCHRONIZATION' && peer.syncCommitted > 0),
      field('newLeaderAckAfter', waiting === undefined ? '-' : formatZxid(waiting.zxid), waiting !== undefined),
      field('acksAfterSync', formatList(peer.acksAfterSync, formatZxid), peer.acksAfterSync.length > 0),
    );
  }
  return fields;
}

const PEER: HarnessProtocol<Peer, PeerEvent, PeerEffect, PeerMessage> = {
  step,
  receive: (from, message) => ({ type: 'Receive', from, message }),
  fields: peerFields,
  formatValue,
};

class PeerHarness extends ReducerHarness<Peer, PeerEvent, PeerEffect, PeerMessage> {
  private config: PeerConfig = { voters: 3, committedLogCountMax: 3 };
  private disks: PeerDisk[] = [];
  /** Txns appended but not yet durable, per server. */
  private queues: PeerTxn[][] = [];

  constructor() {
    super(PEER);
  }

  protected cluster(tc: TestCase): void {
    const voters = tc.int('voters');
    const servers = voters + tc.int('observers', 0);
    const bugs = tc.strings('bugs', []).map((name) => {
      if (!PEER_BUGS.includes(name as PeerBug)) throw tc.error(`unknown bug ${name}`);
      return name as PeerBug;
    });
    this.config = { voters, committedLogCountMax: tc.int('committedLog', 3), ...(bugs.length > 0 ? { bugs: new Set(bugs) } : {}) };
    this.channels = new Channels(servers);
    this.disks = new Array<PeerDisk>(servers).fill(EMPTY_DISK);
    this.queues = this.disks.map(() => []);
    this.nodes = this.disks.map(() => null);
  }

  protected setDisk(tc: TestCase, id: number): void {
    if (this.nodes[id] !== null) throw tc.error(`s${id} runs a role; crash it first`);
    const log = tc.strings('log', []).map((text): PeerTxn => {
      const { epoch, counter, value } = parseTxnNotation(tc, text);
      return { zxid: makeZxid(epoch, BigInt(counter)), data: new Uint8Array([value]) };
    });
    this.disks[id] = { acceptedEpoch: tc.int('accepted', 0), currentEpoch: tc.int('current', 0), log, snapshotCount: tc.int('snapshot', 0) };
    this.out.line(this.describeDisk(id));
  }

  /** A new run of the core: the roles start from disk, and each learner connects to its leader. */
  protected elect(tc: TestCase, leader: number): void {
    const others = this.nodes.flatMap((peer, id) => (id !== leader && (peer === null || peer.role === 'LOOKING') ? [id] : []));
    const learners = tc.ints('learners', others);
    for (const id of [leader, ...learners]) {
      if (this.nodes[id] !== null && this.nodes[id]!.role !== 'LOOKING') throw tc.error(`s${id} runs a role already`);
      this.queues[id] = [];
      this.nodes[id] = id === leader ? startLeading(id, this.config, this.disks[id]!) : startFollowing(id, this.config, this.disks[id]!, leader);
      this.out.line(this.describe(id));
    }
    for (const id of learners) this.apply(id, { type: 'ConnectToLeader' });
  }

  protected clientRequest(value: number): PeerEvent {
    return { type: 'ClientRequest', data: new Uint8Array([value]) };
  }

  /** `disconnect <learner> <leader>`: FollowerShutdown, then RemoveLearner. */
  protected connectionLost(learner: number, leader: number): void {
    this.apply(learner, { type: 'LeaderLost' });
    this.apply(leader, { type: 'LearnerLost', sid: learner });
  }

  protected override carryOut(id: number, effect: PeerEffect): void {
    const disk = this.disks[id]!;
    switch (effect.type) {
      case 'persistAcceptedEpoch':
        this.disks[id] = { ...disk, acceptedEpoch: effect.epoch };
        return;
      case 'persistCurrentEpoch':
        this.disks[id] = { ...disk, currentEpoch: effect.epoch };
        return;
      case 'appendTxns':
        this.queues[id]!.push(...effect.txns);
        return;
      case 'truncateLog': {
        const log = disk.log.filter((txn) => txn.zxid <= effect.zxid);
        this.disks[id] = { ...disk, log, snapshotCount: Math.min(disk.snapshotCount, log.length) };
        return;
      }
      case 'installSnapshot':
        this.disks[id] = { ...disk, log: effect.txns, snapshotCount: effect.txns.length };
        return;
      case 'send':
        return this.send(id, effect.to, effect.message);
      case 'deliver':
      case 'goLooking':
        return;
    }
  }

  protected override afterStep(id: number, before: Peer, after: Peer): void {
    if (before.role === 'LOOKING' || after.role !== 'LOOKING') return;
    this.writeQueue(id);
  }

  private writeQueue(id: number): readonly PeerTxn[] {
    const queued = this.queues[id]!;
    this.queues[id] = [];
    const disk = this.disks[id]!;
    if (queued.length > 0) this.disks[id] = { ...disk, log: [...disk.log, ...queued] };
    return queued;
  }

  protected hasQueued(id: number): boolean {
    return this.queues[id]!.length > 0;
  }

  /** The storage's group commit: the queued txns reach the disk, then the core hears LogSynced. */
  protected fsync(id: number): void {
    const written = this.writeQueue(id);
    if (written.length === 0) {
      this.out.line(`s${id} fsync: nothing queued`);
      return;
    }
    this.out.line(`s${id} fsync ${formatTxns(written)}`);
    if (this.nodes[id]?.role !== 'LOOKING') this.apply(id, { type: 'LogSynced', zxid: lastZxid(written) });
  }

  private describeDisk(id: number): string {
    const disk = this.disks[id]!;
    return `s${id} disk accepted=${disk.acceptedEpoch} current=${disk.currentEpoch} log=${formatTxns(disk.log)} snapshot=${disk.snapshotCount}`;
  }

  protected describeStorage(id: number): string[] {
    const queue = this.queues[id]!;
    return [this.describeDisk(id).slice(`s${id} `.length), ...(queue.length > 0 ? [`queue ${formatTxns(queue)}`] : [])];
  }

  protected crashed(id: number): void {
    this.queues[id] = [];
    this.out.line(`s${id} crashed; ${this.describeDisk(id).slice(`s${id} `.length)}`);
  }
}

describe('impl/quorum/peer scenarios (testdata/*.txt)', () => {
  for (const scenario of scenarios(new URL('./testdata', import.meta.url), () => new PeerHarness().handle)) it(scenario.name, scenario.run);
});
