// A packet link holds every Zab packet until told: the leader sees nothing
// until `deliver`, a SNAP travels with its snapshot, session traffic passes
// at once, a dropped packet never arrives, a duplicated one arrives twice,
// and a broken or blocked link is a closed connection at both ends. The
// learner dials before the leader listens, as the harness's `follow` may.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketType, type QuorumPacket } from '../../quorum/wire.ts';
import { freePorts } from '../../testing/ports.ts';
import { QuorumConnection, type QuorumItem } from '../quorum-connection.ts';
import { PacketLink } from './packet-link.ts';

const packet = (type: number, zxid: bigint): QuorumPacket => ({ type, zxid, data: undefined, authinfo: undefined });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `ok` holds. */
async function until(ok: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!ok()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

interface End {
  readonly connection: QuorumConnection;
  readonly items: QuorumItem[];
  closed: boolean;
}

function end(socket: Socket): End {
  const e: End = { connection: new QuorumConnection(socket, () => {}), items: [], closed: false };
  e.connection.attach({ onItem: (item) => e.items.push(item), onClose: () => (e.closed = true) });
  return e;
}

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A link whose learner has dialed; the leader starts listening only after the dial. */
async function linked(): Promise<{ link: PacketLink; learner: End; leader: () => End | undefined }> {
  const [linkPort, leaderPort] = await freePorts(2);
  const link = await PacketLink.start('s1->s0', linkPort!, leaderPort!);
  cleanups.push(() => link.close());
  const learner = end(connect({ host: '127.0.0.1', port: linkPort! }));
  cleanups.push(() => learner.connection.close('test over'));
  await sleep(50); // the link is dialing a leader that does not listen yet
  let leader: End | undefined;
  const server: Server = createServer((socket) => (leader = end(socket)));
  await new Promise<void>((resolve) => server.listen(leaderPort!, '127.0.0.1', () => resolve()));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  cleanups.push(() => leader?.connection.close('test over'));
  await until(() => leader !== undefined, 'the link to reach the leader');
  return { link, learner, leader: () => leader };
}

describe('PacketLink', () => {
  it('holds FOLLOWERINFO until deliver; session traffic (PING) passes at once; a SNAP arrives with its snapshot', async () => {
    const { link, learner, leader } = await linked();
    learner.connection.send(packet(PacketType.FOLLOWERINFO, 0n));
    learner.connection.send(packet(PacketType.PING, 7n));
    await until(() => link.queue('up').length === 1 && leader()!.items.length === 1, 'FOLLOWERINFO queued, PING through');
    expect(leader()!.items.map((i) => i.packet.type)).toEqual([PacketType.PING]);
    expect(link.deliver('up')?.packet.type).toBe(PacketType.FOLLOWERINFO);
    await until(() => leader()!.items.length === 2, 'FOLLOWERINFO delivered');
    expect(link.queue('up')).toEqual([]);

    leader()!.connection.sendSnapshot(packet(PacketType.SNAP, 0x1_0000_0002n), new Uint8Array([9, 8, 7]));
    await until(() => link.queue('down').length === 1, 'SNAP queued');
    expect(learner.items).toEqual([]);
    link.deliver('down');
    await until(() => learner.items.length === 1, 'SNAP delivered');
    const snap = learner.items[0]!;
    expect(snap).toMatchObject({ kind: 'snapshot', packet: { type: PacketType.SNAP, zxid: 0x1_0000_0002n } });
    expect(snap.kind === 'snapshot' ? [...snap.blob] : []).toEqual([9, 8, 7]);
  });

  it('a dropped packet never arrives, a duplicated one arrives twice', async () => {
    const { link, learner, leader } = await linked();
    leader()!.connection.send(packet(PacketType.PROPOSAL, 1n));
    leader()!.connection.send(packet(PacketType.COMMIT, 1n));
    await until(() => link.queue('down').length === 2, 'two packets queued');
    expect(link.drop('down')?.packet.type).toBe(PacketType.PROPOSAL);
    link.duplicate('down');
    link.deliver('down');
    await until(() => learner.items.length === 2, 'COMMIT twice');
    expect(learner.items.map((i) => i.packet.type)).toEqual([PacketType.COMMIT, PacketType.COMMIT]);
  });

  it('breaking the link closes both ends and empties its queues; a blocked link refuses the next dial', async () => {
    const { link, learner, leader } = await linked();
    leader()!.connection.send(packet(PacketType.LEADERINFO, 0n));
    await until(() => link.queue('down').length === 1, 'LEADERINFO queued');
    link.block();
    await until(() => learner.closed && leader()!.closed, 'both ends closed');
    expect(link.queue('down')).toEqual([]);
    expect(link.isConnected).toBe(false);
    const again = end(connect({ host: '127.0.0.1', port: link.port }));
    await until(() => again.closed, 'the blocked link to close a new dial');
    expect(link.connections).toBe(1);
  });
});
