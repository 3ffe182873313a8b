// Scenarios of the ZAB server reducer (step.ts) as data: every testdata/*.txt
// is a story of events and the effects and states they produce, run by
// lib/testing/datadriven.ts (REWRITE=1 writes the outputs back; see its header).
//
// The harness around the reducer is deliberately thin, in the manner of
// etcd-io/raft's interaction env: servers made from a disk image, FIFO
// channels between them, and each server's queue of writes not yet on disk
// (the SyncRequestProcessor's, released by `fsync`). It is not the checker's
// world (world.ts): what a world does on its own when a connection breaks
// (RemoveLearner, LeaderShutdown) is a command here, so that a scenario shows
// every event a server handles. One of world.ts's rules is kept because the
// reducer's effects assume it: a server that goes back to LOOKING flushes its
// queued writes and drops the messages queued behind them. Unlike world.ts,
// which steps a leader's ACK to itself in place, the harness puts it in a
// channel like any other message, so that a scenario shows it being delivered.
//
// Commands (server ids are numbers; txns are written epoch.counter:value), besides
// deliver, fsync, stabilize, disconnect and status (lib/testing/interaction.ts):
//   cluster voters=3 [observers=0] [mutant=NAME]   every server LOOKING over an empty disk
//   disk <id>... [accepted=E] [current=E] [log=(1.1:1,...)] [snapshot=N]   restart from this disk
//   elect <leader> [learners=(..)]   the oracle decides; each learner connects (FOLLOWERINFO/OBSERVERINFO)
//   request <leader> value=V         ClientRequest
//   disconnect <learner> <leader>    the channels between them empty; LeaderLost, then LearnerLost
//   crash <id> | restart <id> | timeout <id>

import { describe, it } from 'vitest';
import { scenarios, type TestCase } from '../../lib/testing/datadriven.ts';
import { bareField, Channels, field, formatList, formatSet, parseTxnNotation, ReducerHarness, type Field, type HarnessProtocol } from '../../lib/testing/interaction.ts';
import { lastProcessedZxid } from './election.ts';
import { restartFromDisk, step, type DiskImage } from './step.ts';
import { zxid, type ServerConfig, type Txn, type ZabEffect, type ZabEvent, type ZabMessage, type ZabNode, type Zxid } from './types.ts';

/** A write or a message in a server's SyncRequestProcessor queue. */
type Queued =
  | { readonly type: 'log'; readonly txns: readonly Txn[] }
  | { readonly type: 'currentEpoch'; readonly epoch: number }
  | { readonly type: 'send'; readonly to: number; readonly message: ZabMessage };

const EMPTY_DISK: DiskImage = { log: [], acceptedEpoch: 0, currentEpoch: 0, lastSnapshot: 0 };

const formatZxid = (z: Zxid) => `${z.epoch}.${z.counter}`;
const formatTxn = (t: Txn) => `${formatZxid(t.zxid)}:${t.value}`;
const formatTxns = (txns: readonly Txn[]) => formatList(txns, formatTxn);

function formatValue(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if ('epoch' in value && 'counter' in value) return formatZxid(value as Zxid);
  if ('zxid' in value && 'value' in value) return formatTxn(value as Txn);
  return undefined;
}

/** The fields of a server's line: its role and phase, then what says something in that role. */
function serverFields(node: ZabNode): Field[] {
  const fields = [
    bareField('state', node.state),
    { ...bareField('phase', node.zabState), shown: node.state !== 'LOOKING' },
    field('accepted', node.acceptedEpoch),
    field('current', node.currentEpoch),
    field('log', formatTxns(node.history)),
    field('committed', node.lastCommitted, node.lastCommitted > 0),
    field('snapshot', node.lastSnapshot, node.lastSnapshot > 0),
  ];
  if (node.state === 'LEADING') {
    const discovery = node.zabState === 'DISCOVERY';
    const open = node.acks.slice(node.lastCommitted);
    fields.push(
      field('learners', formatSet(node.learners)),
      field('connecting', formatSet(node.connecting), discovery),
      field('tempMaxEpoch', node.tempMaxEpoch, discovery),
      field('electing', formatSet(node.electing), discovery),
      field('toSync', formatList(node.toSync, (s) => `${s.sid}@${formatZxid(s.peerLastZxid)}`), node.toSync.length > 0),
      field('ackld', formatSet(node.ackldRecv), !discovery),
      field('forwarding', formatSet(node.forwarding), node.forwarding !== 0),
      field('acks', formatList(open, formatSet), open.length > 0),
    );
  } else if (node.state !== 'LOOKING') {
    fields.push(
      field('leader', node.leader, node.leader !== -1),
      field('sync', node.syncMode, node.syncMode !== 'NONE'),
      field('newLeader', node.newLeaderReceived, node.newLeaderReceived),
      field('packetsNotCommitted', formatTxns(node.packetsNotCommitted), node.packetsNotCommitted.length > 0),
      field('syncCommitted', node.syncCommitted, node.zabState === 'SYNCHRONIZATION' && node.syncCommitted > 0),
    );
  }
  return fields;
}

const ZAB: HarnessProtocol<ZabNode, ZabEvent, ZabEffect, ZabMessage> = {
  step,
  receive: (from, message) => ({ type: 'Receive', from, message }),
  fields: serverFields,
  formatValue,
};

class ZabHarness extends ReducerHarness<ZabNode, ZabEvent, ZabEffect, ZabMessage> {
  private config: ServerConfig = { voters: 3, servers: 3, fle: false, mutant: undefined };
  private disks: DiskImage[] = [];
  private queues: Queued[][] = [];

  constructor() {
    super(ZAB);
  }

  protected cluster(tc: TestCase): void {
    const voters = tc.int('voters');
    const servers = voters + tc.int('observers', 0);
    this.config = { voters, servers, fle: false, mutant: tc.has('mutant') ? tc.string('mutant') : undefined };
    this.channels = new Channels(servers);
    this.disks = new Array<DiskImage>(servers).fill(EMPTY_DISK);
    this.queues = [];
    this.nodes = [];
    for (let id = 0; id < servers; id++) this.restart(id);
  }

  protected setDisk(tc: TestCase, id: number): void {
    const log = tc.strings('log', []).map((text) => {
      const { epoch, counter, value } = parseTxnNotation(tc, text);
      return { zxid: zxid(epoch, counter), value };
    });
    this.disks[id] = { log, acceptedEpoch: tc.int('accepted', 0), currentEpoch: tc.int('current', 0), lastSnapshot: tc.int('snapshot', 0) };
    this.restart(id);
  }

  protected elect(tc: TestCase, leader: number): void {
    const node = this.node(leader);
    const vote = { leader, zxid: lastProcessedZxid(node), epoch: node.currentEpoch };
    const others = this.nodes.flatMap((n, id) => (id !== leader && n?.state === 'LOOKING' ? [id] : []));
    const learners = tc.ints('learners', others);
    for (const id of [leader, ...learners]) this.apply(id, { type: 'ElectionDecided', vote });
    for (const id of learners) this.apply(id, { type: 'ConnectToLeader' });
  }

  /** `restart <id>`: memory rebuilt from disk (NodeStart); `timeout <id>`: back to LOOKING (ZabTimeout). */
  protected override ownCommand(tc: TestCase): boolean {
    if (tc.command === 'restart') for (const id of this.ids(tc)) this.restart(id);
    else if (tc.command === 'timeout') for (const id of this.ids(tc)) this.apply(id, { type: 'StartLooking' });
    else return false;
    return true;
  }

  protected clientRequest(value: number): ZabEvent {
    return { type: 'ClientRequest', value };
  }

  /** `disconnect <learner> <leader>`: FollowerShutdown, then RemoveLearner. */
  protected connectionLost(learner: number, leader: number): void {
    this.apply(learner, { type: 'LeaderLost' });
    this.apply(leader, { type: 'LearnerLost', sid: learner });
  }

  protected override carryOut(id: number, effect: ZabEffect): void {
    const queue = this.queues[id]!;
    const disk = this.disks[id]!;
    switch (effect.type) {
      case 'send':
        return this.send(id, effect.to, effect.message);
      case 'sendAfterSync':
        if (queue.length === 0) this.send(id, effect.to, effect.message);
        else queue.push({ type: 'send', to: effect.to, message: effect.message });
        return;
      case 'sendNotification':
        throw new Error('this harness runs the oracle election only');
      case 'logTxns':
        if (effect.txns.length > 0) queue.push({ type: 'log', txns: effect.txns });
        return;
      case 'flush':
        return this.writeQueue(id);
      case 'truncateLog':
        this.disks[id] = { ...disk, log: disk.log.slice(0, effect.length), lastSnapshot: Math.min(disk.lastSnapshot, effect.length) };
        return;
      case 'writeSnapshot':
        this.disks[id] = { ...disk, log: effect.txns, lastSnapshot: effect.txns.length };
        return;
      case 'writeAcceptedEpoch':
        this.disks[id] = { ...disk, acceptedEpoch: effect.epoch };
        return;
      case 'writeCurrentEpoch':
        if (effect.queued && queue.length > 0) queue.push({ type: 'currentEpoch', epoch: effect.epoch });
        else this.disks[id] = { ...disk, currentEpoch: effect.epoch };
        return;
    }
  }

  protected override afterStep(id: number, before: ZabNode, after: ZabNode): void {
    if (before.state === 'LOOKING' || after.state !== 'LOOKING') return;
    // The request processors shut down: the SyncRequestProcessor flushes its writes; the messages behind them have no connection.
    this.queues[id] = this.queues[id]!.filter((q) => q.type !== 'send');
    this.writeQueue(id);
  }

  /** DiskSync: the queue reaches the disk in order; each message leaves once what precedes it is written. */
  private writeQueue(id: number): void {
    const queue = this.queues[id]!;
    this.queues[id] = [];
    for (const q of queue) {
      const disk = this.disks[id]!;
      if (q.type === 'log') this.disks[id] = { ...disk, log: [...disk.log, ...q.txns] };
      else if (q.type === 'currentEpoch') this.disks[id] = { ...disk, currentEpoch: q.epoch };
      else this.send(id, q.to, q.message);
    }
  }

  protected hasQueued(id: number): boolean {
    return this.queues[id]!.length > 0;
  }

  protected fsync(id: number): void {
    this.out.line(`s${id} fsync`);
    if (this.queues[id]!.length === 0) this.out.line('nothing queued', 1);
    for (const q of this.queues[id]!) this.out.line(this.format(q), 1);
    this.writeQueue(id);
  }

  private describeDisk(id: number): string {
    const disk = this.disks[id]!;
    return `disk accepted=${disk.acceptedEpoch} current=${disk.currentEpoch} log=${formatTxns(disk.log)} snapshot=${disk.lastSnapshot}`;
  }

  protected describeStorage(id: number): string[] {
    const queue = this.queues[id]!;
    return [this.describeDisk(id), ...(queue.length > 0 ? [`queue ${formatList(queue, (q) => this.format(q))}`] : [])];
  }

  protected crashed(id: number): void {
    this.queues[id] = [];
    this.out.line(`s${id} crashed; ${this.describeDisk(id)}`);
  }

  private restart(id: number): void {
    this.nodes[id] = restartFromDisk(id, this.config, this.disks[id]!);
    this.queues[id] = [];
    this.out.line(this.describe(id));
  }
}

describe('spec/zab scenarios (testdata/*.txt)', () => {
  for (const scenario of scenarios(new URL('./testdata', import.meta.url), () => new ZabHarness().handle)) it(scenario.name, scenario.run);
});
