// A harness-owned proxy for one ordered pair's quorum-port link (learner
// `from` dials leader `to`), which parses both directions into packets
// (quorum-connection.ts: jute QuorumPackets back to back, a SNAP followed by
// the snapshot and BenWasHere) and forwards a Zab message only on command:
// deliver the head, duplicate it, drop it, or hold it. Closing the link's
// connection is a broken connection (spec/zab: LeaderLost / LearnerLost),
// and what was queued is gone, as TCP loses what was in flight; a blocked
// link (a partition) closes every connection it is offered.
//
// Packets outside Zab's messages (PING, REQUEST, REVALIDATE, SYNC: session
// traffic) are forwarded at once; with the timers of test-control mode none
// are sent during a replay.
//
// One connection at a time: a learner that dials again replaces the old one
// (the leader sees the old one close, as LearnerHandler does).

import { createServer, connect, type Server, type Socket } from 'node:net';
import { PacketType } from '../../quorum/wire.ts';
import { QuorumConnection, type QuorumItem } from '../quorum-connection.ts';

/** Which way a packet goes: `up` from the learner to the leader, `down` back. */
export type Direction = 'up' | 'down';

const sessionTraffic = new Set<number>([PacketType.PING, PacketType.REQUEST, PacketType.REVALIDATE, PacketType.SYNC]);

interface Pair {
  readonly learner: QuorumConnection;
  /** Undefined until the leader's port accepts (it may not listen yet when the learner dials). */
  leader: QuorumConnection | undefined;
  readonly up: QuorumItem[];
  readonly down: QuorumItem[];
  /** Delivered up before the leader's side was connected: sent once it is. */
  readonly early: QuorumItem[];
  closed: boolean;
}

/** How long the link keeps dialing a leader that does not listen yet before it gives the learner up. */
const leaderDialMs = 3000;

export class PacketLink {
  private pair: Pair | undefined;
  private blocked = false;
  /** Connections accepted over the link's life, for tests and reports. */
  connections = 0;

  private constructor(
    readonly name: string,
    private readonly server: Server,
    readonly port: number,
    private readonly targetPort: number,
  ) {}

  static start(name: string, listenPort: number, targetPort: number): Promise<PacketLink> {
    const server = createServer({ noDelay: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(listenPort, '127.0.0.1', () => {
        const link = new PacketLink(name, server, listenPort, targetPort);
        server.on('connection', (socket) => link.accept(socket));
        resolve(link);
      });
    });
  }

  private accept(socket: Socket): void {
    if (this.blocked) {
      socket.destroy();
      return;
    }
    this.connections++;
    this.breakConnection();
    const learner = new QuorumConnection(socket, () => {});
    const pair: Pair = { learner, leader: undefined, up: [], down: [], early: [], closed: false };
    this.pair = pair;
    const close = () => {
      if (pair.closed) return;
      pair.closed = true;
      pair.up.length = 0;
      pair.down.length = 0;
      learner.close('link closed');
      pair.leader?.close('link closed');
      if (this.pair === pair) this.pair = undefined;
    };
    learner.attach({ onItem: (item) => this.arrive(pair, 'up', item), onClose: close });
    // The learner may dial before the leader's run listens (the harness starts both at once): keep dialing, bounded.
    const deadline = performance.now() + leaderDialMs;
    const dial = () => {
      const target = connect({ host: '127.0.0.1', port: this.targetPort });
      target.once('connect', () => {
        if (pair.closed) {
          target.destroy();
          return;
        }
        const leader = new QuorumConnection(target, () => {});
        pair.leader = leader;
        leader.attach({ onItem: (item) => this.arrive(pair, 'down', item), onClose: close });
        for (const item of pair.early.splice(0)) forward(leader, item);
      });
      target.once('error', () => {
        if (pair.leader !== undefined || pair.closed) return;
        target.destroy();
        if (performance.now() < deadline) setTimeout(dial, 20);
        else close();
      });
    };
    dial();
  }

  private arrive(pair: Pair, direction: Direction, item: QuorumItem): void {
    if (pair.closed) return;
    if (item.kind === 'packet' && sessionTraffic.has(item.packet.type)) {
      this.send(pair, direction, item);
      return;
    }
    pair[direction].push(item);
  }

  /** The packets waiting in one direction, oldest first. */
  queue(direction: Direction): readonly QuorumItem[] {
    return this.pair?.[direction] ?? [];
  }

  get isConnected(): boolean {
    return this.pair !== undefined;
  }

  /** Forwards the head of a direction's queue; returns it, or undefined when the queue is empty. */
  deliver(direction: Direction): QuorumItem | undefined {
    const pair = this.pair;
    const item = pair?.[direction].shift();
    if (pair === undefined || item === undefined) return undefined;
    this.send(pair, direction, item);
    return item;
  }

  private send(pair: Pair, direction: Direction, item: QuorumItem): void {
    if (direction === 'down') forward(pair.learner, item);
    else if (pair.leader === undefined) pair.early.push(item);
    else forward(pair.leader, item);
  }

  /** Forwards a copy of the head of a direction's queue and keeps it queued (a duplicated message). */
  duplicate(direction: Direction): QuorumItem | undefined {
    const pair = this.pair;
    const item = pair?.[direction][0];
    if (pair === undefined || item === undefined) return undefined;
    this.send(pair, direction, item);
    return item;
  }

  /** Drops the head of a direction's queue (a lost message). */
  drop(direction: Direction): QuorumItem | undefined {
    return this.pair?.[direction].shift();
  }

  /** Closes the current connection, if any: both ends see it break. */
  breakConnection(): void {
    const pair = this.pair;
    if (pair === undefined) return;
    pair.learner.close('link broken by the harness');
  }

  /** A partition: the connection breaks and new ones are refused until `unblock`. */
  block(): void {
    this.blocked = true;
    this.breakConnection();
  }

  unblock(): void {
    this.blocked = false;
  }

  close(): Promise<void> {
    this.blocked = true;
    this.breakConnection();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function forward(to: QuorumConnection, item: QuorumItem): void {
  if (item.kind === 'snapshot') to.sendSnapshot(item.packet, item.blob);
  else to.send(item.packet);
}
