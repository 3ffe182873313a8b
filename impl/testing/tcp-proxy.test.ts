// The partition proxy against a loopback echo server: it forwards bytes both
// ways, block() cuts live connections and refuses or stalls new ones, heal()
// lets them through again, and the Partitioner blocks exactly the links of the
// isolated node.

import { afterEach, describe, expect, it } from 'vitest';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Partitioner, TcpProxy } from './tcp-proxy.ts';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An echo server on 127.0.0.1 that prefixes nothing: what it reads, it writes back. */
async function echoServer(): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
    socket.pipe(socket);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
  closers.push(
    () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  );
  return { port: (server.address() as AddressInfo).port, connections: () => connections };
}

async function startProxy(targetPort: number): Promise<TcpProxy> {
  const proxy = await TcpProxy.start({ targetPort });
  closers.push(() => proxy.close());
  return proxy;
}

type Outcome = { kind: 'echo'; text: string } | { kind: 'closed'; text: string } | { kind: 'silent'; text: string };

/** Connects to `port`, sends `text`, and reports what came back within `waitMs`. */
function exchange(port: number, text: string, waitMs = 300): Promise<Outcome> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(text));
    let received = '';
    const timer = setTimeout(() => {
      socket.destroy();
      resolve({ kind: received === text ? 'echo' : 'silent', text: received });
    }, waitMs);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString();
      if (received === text) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ kind: 'echo', text: received });
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ kind: received === text ? 'echo' : 'closed', text: received });
    });
  });
}

describe('the loopback TCP proxy', () => {
  it('forwards both ways, counts bytes, and cuts a live connection on block()', async () => {
    const echo = await echoServer();
    const proxy = await startProxy(echo.port);
    expect(proxy.port).not.toBe(echo.port);
    expect(await exchange(proxy.port, 'hello through the proxy')).toEqual({ kind: 'echo', text: 'hello through the proxy' });
    expect(proxy.stats()).toMatchObject({ forwarded: 1, refused: 0, bytesToTarget: 23, bytesFromTarget: 23 });

    // A long-lived connection: it echoes, then block() closes it under the client.
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    const firstEcho = new Promise<string>((resolve) => socket.once('data', (c: Buffer) => resolve(c.toString())));
    socket.write('ping');
    expect(await firstEcho).toBe('ping');
    expect(proxy.stats().active).toBe(1);
    proxy.block();
    await closed;
    expect(proxy.stats()).toMatchObject({ active: 0, cut: 1 });
  });

  it("refuses new connections while blocked in 'refuse' mode and forwards again after heal()", async () => {
    const echo = await echoServer();
    const proxy = await startProxy(echo.port);
    proxy.block('refuse');
    expect(proxy.blocked).toBe(true);
    expect((await exchange(proxy.port, 'lost')).kind).toBe('closed');
    expect((await exchange(proxy.port, 'lost again')).kind).toBe('closed');
    expect(echo.connections()).toBe(0);
    expect(proxy.stats().refused).toBe(2);
    proxy.heal();
    expect(await exchange(proxy.port, 'back')).toEqual({ kind: 'echo', text: 'back' });
    expect(echo.connections()).toBe(1);
  });

  it("holds new connections silent in 'stall' mode, and resets them on heal() so their ends reconnect", async () => {
    const echo = await echoServer();
    const proxy = await startProxy(echo.port);
    proxy.block('stall');
    const stalledSocket = connect({ host: '127.0.0.1', port: proxy.port });
    stalledSocket.on('error', () => {});
    const stalledClosed = new Promise<void>((resolve) => stalledSocket.on('close', () => resolve()));
    expect(await exchange(proxy.port, 'into the void', 300)).toEqual({ kind: 'silent', text: '' });
    expect(echo.connections()).toBe(0);
    proxy.heal();
    await stalledClosed;
    expect(await exchange(proxy.port, 'out again')).toEqual({ kind: 'echo', text: 'out again' });
  });

  it("silences a live connection in 'stall' mode without closing it, and resets it on heal()", async () => {
    const echo = await echoServer();
    const proxy = await startProxy(echo.port);
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    let closed = false;
    const closedPromise = new Promise<void>((resolve) =>
      socket.on('close', () => {
        closed = true;
        resolve();
      }),
    );
    socket.write('before');
    while (received !== 'before') await new Promise((r) => setTimeout(r, 10));
    proxy.block('stall');
    socket.write('during');
    await new Promise((r) => setTimeout(r, 300));
    expect(received).toBe('before');
    expect(closed).toBe(false);
    expect(proxy.stats()).toMatchObject({ active: 0, cut: 1, bytesToTarget: 6 });
    proxy.heal();
    await closedPromise;
    expect(received).toBe('before');
  });

  it('rewrites the head of a connection once it has enough bytes, then forwards the rest untouched', async () => {
    const echo = await echoServer();
    const proxy = await TcpProxy.start({ targetPort: echo.port, rewriteHead: (head) => (head.byteLength < 5 ? 'more' : Buffer.concat([Buffer.from('HELLO'), head.subarray(5)])) });
    closers.push(() => proxy.close());
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => {});
    let received = '';
    socket.on('data', (c: Buffer) => (received += c.toString()));
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    socket.write('he');
    await new Promise((r) => setTimeout(r, 50));
    expect(received).toBe('');
    socket.write('llo world');
    await new Promise((r) => setTimeout(r, 50));
    socket.write(' hello');
    while (received.length < 'HELLO world hello'.length) await new Promise((r) => setTimeout(r, 10));
    expect(received).toBe('HELLO world hello');
    socket.destroy();
  });

  it('resets the client when the target is down', async () => {
    const echo = await echoServer();
    const proxy = await startProxy(echo.port);
    await closers.shift()!(); // the echo server goes away
    expect((await exchange(proxy.port, 'anyone?')).kind).toBe('closed');
  });

  it('stops cleanly with connections open: close() resolves and the port refuses', async () => {
    const echo = await echoServer();
    const proxy = await TcpProxy.start({ targetPort: echo.port });
    const socket = connect({ host: '127.0.0.1', port: proxy.port });
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    await new Promise<void>((resolve) => socket.on('connect', () => resolve()));
    await proxy.close();
    await closed;
    const refused = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.1', port: proxy.port });
      s.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      s.on('connect', () => {
        s.destroy();
        resolve('connected');
      });
    });
    expect(refused).toBe('ECONNREFUSED');
  });
});

describe('the partitioner over a three-node mesh of proxies', () => {
  it('isolates one node (both directions of each of its links) and heals it, leaving the other links alone', async () => {
    const echo = await echoServer();
    const partitioner = new Partitioner();
    closers.push(() => partitioner.closeAll());
    const proxies = new Map<string, TcpProxy>();
    for (const from of [1, 2, 3]) {
      for (const to of [1, 2, 3]) {
        if (from === to) continue;
        const proxy = await TcpProxy.start({ targetPort: echo.port });
        proxies.set(`${from}->${to}`, proxy);
        partitioner.add(from, to, proxy);
      }
    }
    partitioner.isolate(1);
    const reachable = async () => {
      const result: string[] = [];
      for (const [name, proxy] of proxies) if ((await exchange(proxy.port, name)).kind === 'echo') result.push(name);
      return result.sort();
    };
    expect(await reachable()).toEqual(['2->3', '3->2']);
    expect(partitioner.stats(1).refused).toBe(4);
    partitioner.isolate(2);
    expect(await reachable()).toEqual([]);
    // Healing 1 while 2 is still isolated reconnects 1 and 3 only.
    partitioner.heal(1);
    expect(await reachable()).toEqual(['1->3', '3->1']);
    partitioner.healAll();
    expect(await reachable()).toEqual(['1->2', '1->3', '2->1', '2->3', '3->1', '3->2']);
    expect(partitioner.between(2, 3)).toEqual([proxies.get('2->3')]);
  });
});

describe('a one-way cut', () => {
  /** A server on 127.0.0.1 that records what it reads and lets the test write to its latest connection. */
  async function recordingServer(): Promise<{ port: number; received: () => string; send: (text: string) => void }> {
    let received = '';
    let latest: Socket | undefined;
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      latest = socket;
      sockets.add(socket);
      socket.on('error', () => {});
      socket.on('close', () => sockets.delete(socket));
      socket.on('data', (c: Buffer) => {
        received += c.toString();
      });
    });
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, () => resolve()));
    closers.push(
      () =>
        new Promise((resolve) => {
          for (const s of sockets) s.destroy();
          server.close(() => resolve());
        }),
    );
    return { port: (server.address() as AddressInfo).port, received: () => received, send: (text) => latest?.write(text) };
  }
  const settle = () => new Promise((r) => setTimeout(r, 150));

  for (const when of ['on a live connection', 'on a connection opened after the cut'] as const) {
    it(`drops only the bytes going the cut way ${when}, keeps the connection, and resets it on heal()`, async () => {
      const server = await recordingServer();
      const proxy = await startProxy(server.port);
      if (when === 'on a connection opened after the cut') proxy.dropOneWay('toTarget');
      const client = connect({ host: '127.0.0.1', port: proxy.port });
      client.on('error', () => {});
      let heard = '';
      client.on('data', (c: Buffer) => {
        heard += c.toString();
      });
      const closed = new Promise<void>((resolve) => client.on('close', () => resolve()));
      await new Promise<void>((resolve) => client.on('connect', () => resolve()));
      await settle();
      if (when === 'on a live connection') proxy.dropOneWay('toTarget');
      expect(proxy.droppingOneWay).toBe('toTarget');
      client.write('lost on the way');
      server.send('still heard');
      await settle();
      expect(server.received()).toBe('');
      expect(heard).toBe('still heard');
      expect(client.destroyed).toBe(false);
      proxy.heal();
      await closed;
      expect(proxy.droppingOneWay).toBeUndefined();
    });
  }

  it("drops the target's replies with 'fromTarget' and lets the client's bytes through", async () => {
    const server = await recordingServer();
    const proxy = await startProxy(server.port);
    const client = connect({ host: '127.0.0.1', port: proxy.port });
    client.on('error', () => {});
    let heard = '';
    client.on('data', (c: Buffer) => {
      heard += c.toString();
    });
    await new Promise<void>((resolve) => client.on('connect', () => resolve()));
    await settle();
    proxy.dropOneWay('fromTarget');
    client.write('arrives');
    server.send('never heard');
    await settle();
    expect(server.received()).toBe('arrives');
    expect(heard).toBe('');
    client.destroy();
  });
});
