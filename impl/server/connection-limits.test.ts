// Connections that never become clients: a TCP connection that sends no
// ConnectRequest is closed after nio.sessionlessCnxnTimeout (ZooKeeper 3.8's
// NIOServerCnxnFactory: 10 s by default, ~12 s observed because its expiry
// queue rounds up to 10 s buckets), so that a few silent connections cannot
// hold an address's maxClientCnxns places for ever; maxCnxns bounds them all.
// The timeout is shortened here to keep the tests short.

import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { frame } from '../protocol/frame-decoder.ts';
import { encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from './raw-client.ts';
import { startServer, type StartServerOptions, type ZooKeeperServer } from './server.ts';

const servers: ZooKeeperServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function start(options: StartServerOptions): Promise<{ server: ZooKeeperServer; logs: string[] }> {
  const logs: string[] = [];
  const server = await startServer({ port: 0, tickTimeMs: 100, log: (_level, event) => logs.push(event), ...options });
  servers.push(server);
  return { server, logs };
}

/** A TCP connection that sends nothing; resolves `closedAfterMs` when the server closes it. */
async function silentConnection(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect({ host: '127.0.0.1', port });
  sockets.push(socket);
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  const openedAt = Date.now();
  return { socket, closed: new Promise((resolve) => socket.once('close', () => resolve(Date.now() - openedAt))) };
}

const connectRequest = frame(encodeRecord({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false }, R.ConnectRequest.write));

describe('connections without a session', () => {
  it('closes a connection that sends no ConnectRequest after nio.sessionlessCnxnTimeout, and logs why', async () => {
    const { server, logs } = await start({ sessionlessCnxnTimeoutMs: 300 });
    const silent = await silentConnection(server.port);
    const afterMs = await Promise.race([silent.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 3000))]);
    expect(afterMs, 'the silent connection was never closed').toBeGreaterThanOrEqual(250);
    expect(afterMs).toBeLessThan(1500);
    expect(logs).toContain('sessionless-connection-expired');
  }, 10_000);

  it('closes a ConnectRequest trickled slower than the timeout, and keeps a client that connected in time', async () => {
    const { server } = await start({ sessionlessCnxnTimeoutMs: 300 });
    const client = await RawClient.open(server.port);
    expect((await client.handshake()).timeOut).toBeGreaterThan(0);
    const slow = await silentConnection(server.port);
    // One byte every 100 ms: the whole ConnectRequest would take 5 s.
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < connectRequest.byteLength) slow.socket.write(connectRequest.subarray(sent, ++sent));
    }, 100);
    const afterMs = await Promise.race([slow.closed, new Promise<number>((resolve) => setTimeout(() => resolve(-1), 3000))]);
    clearInterval(trickle);
    expect(afterMs, 'the trickling connection was never closed').toBeGreaterThanOrEqual(250);
    expect(afterMs).toBeLessThan(1500);
    // Past the timeout, the client with a session is still served.
    expect((await client.exists('/')).header.err).toBe(0);
    client.close();
  }, 10_000);

  it('gives an address its maxClientCnxns places back once its silent connections expire', async () => {
    const { server } = await start({ sessionlessCnxnTimeoutMs: 300, maxClientCnxns: 3 });
    const silent = await Promise.all([1, 2, 3].map(() => silentConnection(server.port)));
    // The address is full: a fourth connection is closed at once.
    const refused = await RawClient.open(server.port);
    await refused.closed;
    await Promise.all(silent.map((s) => s.closed));
    // The server forgets a socket once its own side has closed too, a moment after the client saw the close.
    const deadline = Date.now() + 2000;
    for (;;) {
      const client = await RawClient.open(server.port);
      const timeOut = await client.handshake().then((r) => r.timeOut, () => -1);
      client.close();
      if (timeOut > 0) break;
      expect(Date.now(), 'the address was still full 2 s after its silent connections were closed').toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }, 10_000);

  it('refuses a connection over maxCnxns, from any address, and takes one again once a place is free', async () => {
    const { server, logs } = await start({ maxCnxns: 2, maxClientCnxns: 0 });
    const a = await RawClient.open(server.port);
    const b = await RawClient.open(server.port);
    await Promise.all([a.handshake(), b.handshake()]);
    const c = await RawClient.open(server.port);
    await c.closed;
    expect(logs).toContain('too-many-connections');
    a.close();
    await a.closed;
    await until(() => server.core.stats().connections.length === 1);
    const d = await RawClient.open(server.port);
    expect((await d.handshake()).timeOut).toBeGreaterThan(0);
    b.close();
    d.close();
  }, 10_000);
});

/** Polls `condition` every 5 ms, failing after `timeoutMs`. */
async function until(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
