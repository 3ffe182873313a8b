// The election port under connections that never finish their handshake
// (issue 15), with raw sockets against a QuorumCnxManager on 127.0.0.1: one
// that sends nothing, one that trickles its initial message a byte at a time
// (an idle timer would never fire: each byte resets it), and more of them than
// quorum.cnxn.threads.size at once. Each is closed and logged, and a real
// peer still gets through. The quorum port's side is in
// impl/ensemble/peer-port-input.test.ts (it needs a leader).

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePorts } from '../testing/ports.ts';
import { QuorumCnxManager } from './cnx-manager.ts';
import { encodeInitialMessage, encodeNotification, PROTOCOL_VERSION_V1, type NotificationMessage } from './wire.ts';

const host = '127.0.0.1';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

const cnxTimeoutMs = 400;
const handshakingMax = 4;

async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A raw connection that records when the server closed it. */
async function rawSocket(port: number): Promise<{ socket: net.Socket; closedAfterMs: () => number | undefined }> {
  const socket = net.connect({ host, port });
  closers.push(() => void socket.destroy());
  const openedAt = Date.now();
  let closedAt: number | undefined;
  socket.on('error', () => {});
  socket.once('close', () => (closedAt = Date.now()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, closedAfterMs: () => (closedAt === undefined ? undefined : closedAt - openedAt) };
}

async function member(myid: number, ports: number[], events: string[], received: NotificationMessage[] = []): Promise<QuorumCnxManager> {
  const servers = ports.map((p, i) => ({ sid: i + 1, host, electionPort: p }));
  const m = new QuorumCnxManager({ myid, servers, cnxTimeoutMs, handshakingMax, onNotification: (_from, n) => received.push(n), log: (_level, event) => events.push(event) });
  closers.push(() => m.close());
  await m.start();
  return m;
}

describe('the election port bounds connections that have not introduced themselves', () => {
  it('closes a silent connection and a trickling one at cnxTimeout after the accept, and logs why', async () => {
    const ports = await freePorts(2);
    const events: string[] = [];
    const m1 = await member(1, ports, events);
    const silent = await rawSocket(ports[0]!);
    const trickling = await rawSocket(ports[0]!);
    // A valid initial message from server 2, one byte every cnxTimeout/4: complete only after about 25 cnxTimeouts.
    const bytes = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [`${host}:${ports[1]}`] });
    let sent = 0;
    const drip = setInterval(() => {
      if (sent < bytes.byteLength && !trickling.socket.destroyed) trickling.socket.write(bytes.subarray(sent, ++sent));
    }, cnxTimeoutMs / 4);
    closers.push(() => clearInterval(drip));
    await waitFor('both closed', () => silent.closedAfterMs() !== undefined && trickling.closedAfterMs() !== undefined, 4 * cnxTimeoutMs);
    for (const c of [silent, trickling]) {
      expect(c.closedAfterMs()).toBeGreaterThanOrEqual(cnxTimeoutMs - 50);
      expect(c.closedAfterMs()).toBeLessThan(cnxTimeoutMs + 600);
    }
    expect(sent).toBeLessThan(bytes.byteLength);
    expect(events.filter((e) => e === 'peer-handshake-timeout')).toHaveLength(2);
    expect(m1.handshakes.timedOut).toBe(2);
    expect(m1.handshakes.count).toBe(0);
  });

  it('closes connections past quorum.cnxn.threads.size at once, logs it once, and still lets a real peer in', async () => {
    const ports = await freePorts(2);
    const events: string[] = [];
    const at1: NotificationMessage[] = [];
    const m1 = await member(1, ports, events, at1);
    const idle: Awaited<ReturnType<typeof rawSocket>>[] = [];
    for (let k = 0; k < handshakingMax + 6; k++) idle.push(await rawSocket(ports[0]!));
    await waitFor('the connections past the cap to be closed', () => idle.filter((c) => c.closedAfterMs() !== undefined).length >= 6, 2000);
    const closedEarly = idle.filter((c) => c.closedAfterMs() !== undefined);
    expect(closedEarly).toHaveLength(6);
    for (const c of closedEarly) expect(c.closedAfterMs()).toBeLessThan(cnxTimeoutMs / 2);
    expect(m1.handshakes.refused).toBe(6);
    expect(events.filter((e) => e === 'peer-handshakes-full')).toHaveLength(1);
    // Once the idle ones have timed out, server 2 connects and its notification arrives.
    await waitFor('the idle connections to time out', () => m1.handshakes.count === 0, 4 * cnxTimeoutMs);
    const m2 = await member(2, ports, []);
    const vote: NotificationMessage = { state: 'LOOKING', leader: 2n, zxid: 5n, electionEpoch: 1n, peerEpoch: 0n, version: 2, config: 'version=0' };
    m2.send(1, encodeNotification(vote));
    await waitFor('the real peer to be heard', () => at1.length > 0, 3000);
    expect(at1[0]).toEqual(vote);
  });
});
