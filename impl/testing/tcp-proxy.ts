// A loopback TCP forwarder with a partition switch, for ensemble tests: each
// proxy listens on 127.0.0.1 (a port the kernel picks unless one is given) and
// forwards every accepted connection to 127.0.0.1:targetPort. `block()`
// either resets every connection, forwarded or new, until `heal()` ('refuse':
// a host that is down, as the ends see it once they next read or write), or
// keeps them all open and drops whatever either end sends ('stall': a black
// hole, only the ends' read timeouts notice). Only loopback: it never listens
// on or connects to anything else.
//
// `dropOneWay(direction)` is the one-way cut: connections stay up and the
// other direction keeps flowing, while the bytes one end sends are read and
// dropped (a node that hears its peer but is not heard); `heal()` resets
// the connections it cut that way, whose byte streams lost data.
//
// `Partitioner` groups the proxies of an ensemble by the ordered pair of nodes
// each carries (from -> to), so a test can isolate one node from all others
// and heal it again.

import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { assert } from '../../lib/assert.ts';

export type BlockMode = 'refuse' | 'stall';
/** Which bytes a one-way cut drops: the client's to the target, or the target's replies. */
export type Direction = 'toTarget' | 'fromTarget';

export type ProxyStats = {
  /** Connections accepted and forwarded. */
  readonly forwarded: number;
  /** Connections accepted while blocked (reset or stalled). */
  readonly refused: number;
  /** Forwarded connections open now. */
  readonly active: number;
  /** Forwarded connections cut by `block()`. */
  readonly cut: number;
  readonly bytesToTarget: number;
  readonly bytesFromTarget: number;
};

export type TcpProxyOptions = {
  readonly targetPort: number;
  /** 0 (the default): the kernel picks. */
  readonly listenPort?: number;
  /** For error messages and `Partitioner` listings. */
  readonly name?: string;
  /**
   * Rewrites the first bytes a client sends before they reach the target:
   * called with everything received so far until it returns the bytes to
   * forward instead, or 'more' to wait for more. Protocol-specific (see
   * impl/ensemble/cluster.ts); after 64 KiB the bytes go through unchanged.
   */
  readonly rewriteHead?: (head: Buffer) => Buffer | 'more';
};

const loopback = '127.0.0.1';

/** Destroys a socket with a TCP reset when it is connected, else plainly. */
function reset(socket: Socket): void {
  if (socket.destroyed) return;
  if (typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
  else socket.destroy();
}

export class TcpProxy {
  private blockedMode: BlockMode | undefined;
  private readonly pairs = new Set<readonly [Socket, Socket]>();
  private readonly stalled = new Set<Socket>();
  private oneWay: Direction | undefined;
  /** Forwarded pairs with one direction cut by `dropOneWay`: reset by `heal()`. */
  private readonly halfCut = new Set<readonly [Socket, Socket]>();
  private counts = { forwarded: 0, refused: 0, cut: 0, bytesToTarget: 0, bytesFromTarget: 0 };
  private closing = false;

  private constructor(
    private readonly server: Server,
    readonly port: number,
    readonly targetPort: number,
    readonly name: string,
    private readonly rewriteHead: TcpProxyOptions['rewriteHead'],
  ) {}

  static start(options: TcpProxyOptions): Promise<TcpProxy> {
    const server = createServer({ pauseOnConnect: true });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: loopback, port: options.listenPort ?? 0 }, () => {
        server.off('error', reject);
        const port = (server.address() as AddressInfo).port;
        const proxy = new TcpProxy(server, port, options.targetPort, options.name ?? `${loopback}:${port}->${options.targetPort}`, options.rewriteHead);
        server.on('connection', (socket) => proxy.accept(socket));
        // A listening socket error after start (EMFILE): keep the proxy up; the connection attempt fails for its client.
        server.on('error', () => {});
        resolve(proxy);
      });
    });
  }

  get blocked(): boolean {
    return this.blockedMode !== undefined;
  }

  stats(): ProxyStats {
    return { ...this.counts, active: this.pairs.size };
  }

  /**
   * 'refuse': resets every forwarded connection and new ones until `heal()`.
   * 'stall': forwarded connections stay open but carry nothing more (each
   * side's bytes are read and dropped), and new ones are accepted and treated
   * the same; only timeouts at the ends can notice. `heal()` resets them.
   */
  block(mode: BlockMode = 'refuse'): void {
    this.blockedMode = mode;
    for (const [client, target] of this.pairs) {
      this.counts.cut++;
      if (mode === 'refuse') {
        reset(client);
        reset(target);
        continue;
      }
      client.unpipe(target);
      target.unpipe(client);
      for (const socket of [client, target]) {
        this.stalled.add(socket);
        socket.on('close', () => this.stalled.delete(socket));
        socket.resume(); // read and drop
      }
    }
    this.pairs.clear();
  }

  /**
   * Drops the bytes going one way, on every forwarded connection and on new
   * ones, until `heal()`; the other way keeps flowing. A proxy blocked by
   * `block()` is healed first.
   */
  dropOneWay(direction: Direction): void {
    if (this.blockedMode !== undefined || this.oneWay !== undefined) this.heal();
    this.oneWay = direction;
    for (const pair of this.pairs) this.cutOneWay(pair);
  }

  get droppingOneWay(): Direction | undefined {
    return this.oneWay;
  }

  private cutOneWay(pair: readonly [Socket, Socket]): void {
    if (this.oneWay === undefined || this.halfCut.has(pair)) return;
    const [client, target] = pair;
    const [source, sink] = this.oneWay === 'toTarget' ? [client, target] : [target, client];
    source.unpipe(sink);
    source.resume(); // read and drop
    this.halfCut.add(pair);
    this.counts.cut++;
  }

  /** Forwards new connections again; stalled and one-way-cut ones are reset so their ends reconnect. */
  heal(): void {
    this.blockedMode = undefined;
    this.oneWay = undefined;
    for (const [client, target] of this.halfCut) {
      reset(client);
      reset(target);
    }
    this.halfCut.clear();
    for (const socket of this.stalled) reset(socket);
    this.stalled.clear();
  }

  /** Stops listening and destroys every connection; resolves once the listener is closed. */
  close(): Promise<void> {
    this.closing = true;
    this.block('refuse');
    this.heal();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    client.on('error', () => {});
    if (this.closing || this.blockedMode === 'refuse') {
      this.counts.refused++;
      reset(client);
      return;
    }
    if (this.blockedMode === 'stall') {
      this.counts.refused++;
      this.stalled.add(client);
      client.on('close', () => this.stalled.delete(client));
      client.resume(); // read and drop
      return;
    }
    this.counts.forwarded++;
    const target = connect({ host: loopback, port: this.targetPort });
    target.setNoDelay(true);
    client.setNoDelay(true);
    const pair = [client, target] as const;
    this.pairs.add(pair);
    target.on('error', () => {});
    const drop = () => {
      this.halfCut.delete(pair);
      if (!this.pairs.delete(pair)) return;
      // One end went away: the other sees it the same way (reset, so no half-open states linger).
      reset(client);
      reset(target);
    };
    client.on('close', drop);
    target.on('close', drop);
    target.on('connect', () => {
      // Counted only while forwarded: a stalled pair's bytes are dropped.
      client.on('data', (chunk: Buffer) => {
        if (this.pairs.has(pair)) this.counts.bytesToTarget += chunk.byteLength;
      });
      target.on('data', (chunk: Buffer) => {
        if (this.pairs.has(pair)) this.counts.bytesFromTarget += chunk.byteLength;
      });
      target.pipe(client);
      if (this.rewriteHead === undefined) {
        client.pipe(target);
        client.resume();
        this.cutOneWay(pair);
        return;
      }
      const rewrite = this.rewriteHead;
      let head = Buffer.alloc(0);
      const onHead = (chunk: Buffer) => {
        head = Buffer.concat([head, chunk]);
        const rewritten = head.byteLength > 64 * 1024 ? head : rewrite(head);
        if (rewritten === 'more') return;
        client.off('data', onHead);
        if (!this.pairs.has(pair)) return; // blocked meanwhile: the bytes are dropped like any others
        if (this.halfCut.has(pair) && this.oneWay === 'toTarget') return; // cut one way meanwhile: dropped too
        target.write(rewritten);
        client.pipe(target);
      };
      client.on('data', onHead);
      client.resume();
      this.cutOneWay(pair);
    });
  }
}

/** The proxies of an ensemble, each carrying connections from node `from` to node `to`. */
export class Partitioner {
  private readonly links: { readonly from: number; readonly to: number; readonly proxy: TcpProxy }[] = [];
  private readonly isolated = new Set<number>();

  add(from: number, to: number, proxy: TcpProxy): void {
    assert(from !== to, 'a link joins two different nodes');
    this.links.push({ from, to, proxy });
    if (this.isolated.has(from) || this.isolated.has(to)) proxy.block();
  }

  /** The proxies carrying traffic from `from` to `to`. */
  between(from: number, to: number): readonly TcpProxy[] {
    return this.links.filter((l) => l.from === from && l.to === to).map((l) => l.proxy);
  }

  /** Cuts `node` off from every other node, both directions. */
  isolate(node: number, mode: BlockMode = 'refuse'): void {
    this.isolated.add(node);
    for (const link of this.links) if (link.from === node || link.to === node) link.proxy.block(mode);
  }

  /** Reconnects `node`, except to nodes that are still isolated. */
  heal(node: number): void {
    this.isolated.delete(node);
    for (const link of this.links) {
      if (link.from !== node && link.to !== node) continue;
      const other = link.from === node ? link.to : link.from;
      if (!this.isolated.has(other)) link.proxy.heal();
    }
  }

  healAll(): void {
    this.isolated.clear();
    for (const link of this.links) link.proxy.heal();
  }

  isIsolated(node: number): boolean {
    return this.isolated.has(node);
  }

  /** Totals over every link of `node`, both directions. */
  stats(node: number): ProxyStats {
    const total = { forwarded: 0, refused: 0, active: 0, cut: 0, bytesToTarget: 0, bytesFromTarget: 0 };
    for (const link of this.links) {
      if (link.from !== node && link.to !== node) continue;
      const s = link.proxy.stats();
      for (const key of Object.keys(total) as (keyof ProxyStats)[]) total[key] += s[key];
    }
    return total;
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.links.map((l) => l.proxy.close()));
    this.links.length = 0;
  }
}
