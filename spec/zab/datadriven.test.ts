// Scenarios of the ZAB server reducer (step.ts) as data: every testdata/*.txt
// is a story of events and the effects and states they produce, run by
// lib/testing/datadriven.ts (REWRITE=1 writes the outputs back; see its header).
//
// The harness around the reducer is deliberately thin, in the manner of
// etcd-io/raft's interaction env: servers made from a disk image, FIFO
// channels between them, and each server's queue of writes not yet on disk
// (the SyncRequestProcessor's, released by `fsync`). It is not the checker's
// world (cluster.ts): what a world does on its own when a connection breaks
// (RemoveLearner, LeaderShutdown) is a command here, so that a scenario shows
// every event a server handles. Two of cluster.ts's rules are kept because the
// reducer's effects assume them: a server that goes back to LOOKING flushes its
// queued writes and drops the messages queued behind them, and a message a
// leader sends itself (its own ACK) goes through a channel like any other.
//
// Commands (server ids are numbers; txns are written epoch.counter:value):
//   cluster voters=3 [observers=0] [mutant=NAME]   every server LOOKING over an empty disk
//   disk <id>... [accepted=E] [current=E] [log=(1.1:1,...)] [snapshot=N]   restart from this disk
//   elect <leader> [learners=(..)]   the oracle decides; each learner connects (FOLLOWERINFO/OBSERVERINFO)
//   deliver [from=] [to=] [count=]   the messages in flight, channel by channel
//   fsync <id>...                    the queued writes reach the disk; messages queued behind them leave
//   stabilize [quiet]                fsync and deliver until nothing is queued or in flight
//                                    (quiet: print only the servers' lines at the end)
//   request <leader> value=V         ClientRequest
//   disconnect <learner> <leader>    the channels between them empty; LeaderLost, then LearnerLost
//   crash <id> | restart <id> | timeout <id>
//   status [<id>...]                 state, disk and queue of each server, and the messages in flight

import { describe, it } from 'vitest';
import { assert } from '../../lib/assert.ts';
import { runFile, testdataFiles, type TestCase } from '../../lib/testing/datadriven.ts';
import { bareField, Channels, deliverCommand, field, formatChanges, formatFields, formatList, formatRecord, formatSet, Transcript, type Field } from '../../lib/testing/interaction.ts';
import { lastProcessedZxid } from './election.ts';
import { restartFromDisk, step, type DiskImage } from './step.ts';
import { zxid, type ServerConfig, type Txn, type ZabEffect, type ZabEvent, type ZabMessage, type ZabNode, type Zxid } from './types.ts';

/** A write or a message in a server's SyncRequestProcessor queue. */
type Queued =
  | { readonly type: 'log'; readonly txns: readonly Txn[] }
  | { readonly type: 'currentEpoch'; readonly epoch: number }
  | { readonly type: 'send'; readonly to: number; readonly message: ZabMessage };

interface Server {
  node: ZabNode | null;
  disk: DiskImage;
  queue: Queued[];
}

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

const formatMessage = (message: ZabMessage) => formatRecord(message, formatValue);

function formatEffect(effect: ZabEffect | Queued): string {
  if (effect.type === 'send' || effect.type === 'sendAfterSync') return `${effect.type} s${effect.to} ${formatMessage(effect.message)}`;
  return formatRecord(effect, formatValue);
}

function parseTxn(tc: TestCase, text: string): Txn {
  const match = /^(\d+)\.(\d+):(\d+)$/.exec(text);
  if (match === null) throw tc.error(`txn ${text} is not epoch.counter:value`);
  return { zxid: zxid(Number(match[1]), Number(match[2])), value: Number(match[3]) };
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

const describeServer = (node: ZabNode) => `s${node.id} ${formatFields(serverFields(node))}`;

function describeEvent(id: number, event: ZabEvent): string {
  switch (event.type) {
    case 'Receive':
      return `s${event.from}->s${id} ${formatMessage(event.message)}`;
    case 'ElectionDecided':
      return `s${id} ElectionDecided leader=${event.vote.leader}`;
    default:
      return `s${id} ${formatRecord(event, formatValue)}`;
  }
}

class ZabInteraction {
  private config: ServerConfig = { voters: 3, servers: 3, fle: false, mutant: undefined };
  private servers: Server[] = [];
  private channels = new Channels<ZabMessage>(0);
  private out = new Transcript();

  handle(tc: TestCase): string {
    this.out = new Transcript();
    const ids = () => tc.positionals().map(Number);
    switch (tc.command) {
      case 'cluster':
        this.cluster(tc);
        break;
      case 'disk':
        for (const id of ids()) this.setDisk(tc, id);
        break;
      case 'elect':
        this.elect(tc, ids()[0]!);
        break;
      case 'deliver':
        deliverCommand(tc, this.channels, (from, to, message) => this.apply(to, { type: 'Receive', from, message }));
        break;
      case 'fsync':
        for (const id of ids()) this.fsync(id);
        break;
      case 'stabilize':
        this.stabilize(tc.has('quiet'));
        break;
      case 'request':
        for (const id of ids()) this.apply(id, { type: 'ClientRequest', value: tc.int('value') });
        break;
      case 'disconnect': {
        const [learner, leader] = ids() as [number, number];
        this.channels.clear(learner, leader);
        this.apply(learner, { type: 'LeaderLost' });
        this.apply(leader, { type: 'LearnerLost', sid: learner });
        break;
      }
      case 'crash':
        for (const id of ids()) this.crash(id);
        break;
      case 'restart':
        for (const id of ids()) this.restart(id);
        break;
      case 'timeout':
        for (const id of ids()) this.apply(id, { type: 'StartLooking' });
        break;
      case 'status':
        this.status(tc.positionals().length > 0 ? ids() : this.servers.map((_, id) => id));
        break;
      default:
        throw tc.error('unknown command');
    }
    return this.out.toString();
  }

  private cluster(tc: TestCase): void {
    const voters = tc.int('voters');
    const servers = voters + tc.int('observers', 0);
    this.config = { voters, servers, fle: false, mutant: tc.has('mutant') ? tc.string('mutant') : undefined };
    this.channels = new Channels(servers);
    this.servers = [];
    for (let id = 0; id < servers; id++) {
      this.servers.push({ node: restartFromDisk(id, this.config, EMPTY_DISK), disk: EMPTY_DISK, queue: [] });
      this.out.line(describeServer(this.servers[id]!.node!));
    }
  }

  private setDisk(tc: TestCase, id: number): void {
    const log = tc.strings('log', []).map((text) => parseTxn(tc, text));
    const disk: DiskImage = { log, acceptedEpoch: tc.int('accepted', 0), currentEpoch: tc.int('current', 0), lastSnapshot: tc.int('snapshot', 0) };
    this.server(id).disk = disk;
    this.restart(id);
  }

  private elect(tc: TestCase, leader: number): void {
    const node = this.node(leader);
    const vote = { leader, zxid: lastProcessedZxid(node), epoch: node.currentEpoch };
    const others = this.servers.flatMap((s, id) => (id !== leader && s.node?.state === 'LOOKING' ? [id] : []));
    const learners = tc.ints('learners', others);
    for (const id of [leader, ...learners]) this.apply(id, { type: 'ElectionDecided', vote });
    for (const id of learners) this.apply(id, { type: 'ConnectToLeader' });
  }

  /** Steps server `id`, prints the event, its effects and the new state, and carries the effects out. */
  private apply(id: number, event: ZabEvent): void {
    const before = this.servers[id]?.node;
    assert(before !== undefined && before !== null, () => `s${id} is not running`);
    const { state, effects } = step(before, event);
    this.out.line(describeEvent(id, event));
    if (state === before && effects.length === 0) {
      this.out.line('unchanged', 1);
      return;
    }
    for (const effect of effects) this.out.line(formatEffect(effect), 1);
    this.server(id).node = state;
    const changes = formatChanges(serverFields(before), serverFields(state));
    if (changes !== '') this.out.line(`=> s${id} ${changes}`, 1);
    for (const effect of effects) this.carryOut(id, effect);
    if (before.state !== 'LOOKING' && state.state === 'LOOKING') {
      // The request processors shut down: the SyncRequestProcessor flushes its writes; the messages behind them have no connection.
      const server = this.server(id);
      server.queue = server.queue.filter((q) => q.type !== 'send');
      this.writeQueue(id);
    }
  }

  private carryOut(id: number, effect: ZabEffect): void {
    const server = this.server(id);
    const disk = server.disk;
    switch (effect.type) {
      case 'send':
        return this.channels.push(id, effect.to, effect.message);
      case 'sendAfterSync':
        if (server.queue.length === 0) this.channels.push(id, effect.to, effect.message);
        else server.queue.push({ type: 'send', to: effect.to, message: effect.message });
        return;
      case 'sendNotification':
        throw new Error('this harness runs the oracle election only');
      case 'logTxns':
        if (effect.txns.length > 0) server.queue.push({ type: 'log', txns: effect.txns });
        return;
      case 'flush':
        return this.writeQueue(id);
      case 'truncateLog':
        server.disk = { ...disk, log: disk.log.slice(0, effect.length), lastSnapshot: Math.min(disk.lastSnapshot, effect.length) };
        return;
      case 'writeSnapshot':
        server.disk = { ...disk, log: effect.txns, lastSnapshot: effect.txns.length };
        return;
      case 'writeAcceptedEpoch':
        server.disk = { ...disk, acceptedEpoch: effect.epoch };
        return;
      case 'writeCurrentEpoch':
        if (effect.queued && server.queue.length > 0) server.queue.push({ type: 'currentEpoch', epoch: effect.epoch });
        else server.disk = { ...disk, currentEpoch: effect.epoch };
        return;
    }
  }

  /** DiskSync: the queue reaches the disk in order; each message leaves once what precedes it is written. */
  private writeQueue(id: number): void {
    const server = this.server(id);
    const queue = server.queue;
    server.queue = [];
    for (const q of queue) {
      if (q.type === 'log') server.disk = { ...server.disk, log: [...server.disk.log, ...q.txns] };
      else if (q.type === 'currentEpoch') server.disk = { ...server.disk, currentEpoch: q.epoch };
      else this.channels.push(id, q.to, q.message);
    }
  }

  private fsync(id: number): void {
    const queue = this.server(id).queue;
    this.out.line(`s${id} fsync`);
    if (queue.length === 0) this.out.line('nothing queued', 1);
    for (const q of queue) this.out.line(formatEffect(q), 1);
    this.writeQueue(id);
  }

  /** Fsync and deliver until quiet; `quiet` prints only where the servers end up. */
  private stabilize(quiet: boolean): void {
    const out = this.out;
    if (quiet) this.out = new Transcript();
    for (let round = 0; ; round++) {
      assert(round < 1000, 'stabilize: still busy after 1000 rounds');
      const queued = this.servers.flatMap((s, id) => (s.queue.length > 0 ? [id] : []));
      for (const id of queued) this.fsync(id);
      const busy = this.channels.busy();
      for (const { from, to, messages } of busy) {
        for (let n = messages.length; n > 0; n--) this.apply(to, { type: 'Receive', from, message: this.channels.take(from, to)! });
      }
      if (queued.length === 0 && busy.length === 0) break;
    }
    this.out = out;
    if (quiet) for (const server of this.servers) if (server.node !== null) out.line(describeServer(server.node));
  }

  private crash(id: number): void {
    const server = this.server(id);
    server.node = null;
    server.queue = [];
    this.channels.clear(id);
    this.out.line(`s${id} crashed; disk accepted=${server.disk.acceptedEpoch} current=${server.disk.currentEpoch} log=${formatTxns(server.disk.log)}`);
  }

  private restart(id: number): void {
    const server = this.server(id);
    server.node = restartFromDisk(id, this.config, server.disk);
    server.queue = [];
    this.out.line(describeServer(server.node));
  }

  private status(ids: readonly number[]): void {
    for (const id of ids) {
      const server = this.server(id);
      this.out.line(server.node === null ? `s${id} down` : describeServer(server.node));
      const disk = server.disk;
      this.out.line(`disk accepted=${disk.acceptedEpoch} current=${disk.currentEpoch} log=${formatTxns(disk.log)} snapshot=${disk.lastSnapshot}`, 1);
      if (server.queue.length > 0) this.out.line(`queue ${formatList(server.queue, formatEffect)}`, 1);
    }
    for (const { from, to, messages } of this.channels.busy()) this.out.line(`s${from}->s${to} ${formatList(messages, (m) => `(${formatMessage(m)})`)}`);
  }

  private server(id: number): Server {
    const server = this.servers[id];
    assert(server !== undefined, () => `no server ${id}`);
    return server;
  }

  private node(id: number): ZabNode {
    const node = this.server(id).node;
    assert(node !== null, () => `s${id} is down`);
    return node;
  }
}

describe('spec/zab scenarios (testdata/*.txt)', () => {
  for (const file of testdataFiles(new URL('./testdata', import.meta.url))) {
    it(file.slice(file.lastIndexOf('/') + 1), () => {
      const harness = new ZabInteraction();
      runFile(file, (tc) => harness.handle(tc));
    });
  }
});
