// The TCP front of the server, standalone or ensemble member (ZooKeeper's NIOServerCnxnFactory and
// NIOServerCnxn): accepts connections on node:net, splits each byte stream with
// a FrameDecoder, hands frames to the sans-IO ServerCore, writes what it sends,
// and drives its clock. A bad stream (oversized or negative length, malformed
// handshake) closes that one connection and is logged; it never stops the server.
//
// Four-letter words: as in NIOServerCnxn.checkFourLetterWord, a connection whose
// first four bytes spell a known command is not a client; the admin part answers
// it through `fourLetterWord` and the connection is closed after the answer.
// `stmk` is followed by the 8-byte trace mask (a big-endian long), read here
// and passed on as the word's argument.

import { createServer, type Server, type Socket } from 'node:net';
import type { Server as TlsServer } from 'node:tls';
import type { Id } from '../protocol/records.ts';
import { juteMaxBufferDefault } from '../protocol/constants.ts';
import { FrameDecoder } from '../protocol/frame-decoder.ts';
import { ServerCore, type ConnectionSink, type Logger, type ServerCoreOptions } from './core.ts';
import { RecvThrottle, type PauseReason, type Throttled } from './recv-throttle.ts';
import { listenSecure, PortUnification, type ClientTls } from './secure-listener.ts';

/** The commands ZooKeeper 3.8 recognises (FourLetterCommands). */
export const fourLetterWords = new Set([
  'conf', 'cons', 'crst', 'dirs', 'dump', 'envi', 'gtmk', 'hash', 'isro', 'mntr',
  'ruok', 'srst', 'srvr', 'stat', 'stmk', 'wchc', 'wchp', 'wchs',
]);

export type StartServerOptions = ServerCoreOptions & {
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default 2181; 0 picks a free port. */
  readonly port?: number;
  /** false: no plaintext listener (zoo.cfg sets secureClientPort and no clientPort). Default true. */
  readonly plaintext?: boolean;
  /** secureClientPort: a TLS listener feeding the same pipeline (NettyServerCnxnFactory with its SslHandler). */
  readonly secure?: { readonly host: string; readonly port: number; readonly tls: ClientTls };
  /** client.portUnification: the plaintext port accepts TLS too (its first byte tells). */
  readonly portUnification?: ClientTls;
  /** maxClientCnxns: connections per client address (0 = no limit; ZooKeeper's default is 60). */
  readonly maxClientCnxns?: number;
  /** maxCnxns (zookeeper.maxCnxns): client connections in all (0 = no limit, ZooKeeper's default). */
  readonly maxCnxns?: number;
  /**
   * nio.sessionlessCnxnTimeout (zookeeper.nio.sessionlessCnxnTimeout, default
   * 10,000 ms): a connection that has not sent its ConnectRequest this long
   * after it was accepted is closed (NIOServerCnxnFactory's cnxnExpiryQueue).
   */
  readonly sessionlessCnxnTimeoutMs?: number;
  /** jute.maxbuffer: the largest frame accepted. */
  readonly frameBytesMax?: number;
  /**
   * globalOutstandingLimit (ZooKeeper's default 1000): while more requests than
   * this are received and unanswered, the server stops reading from clients.
   */
  readonly globalOutstandingLimit?: number;
  /**
   * Bytes queued to one client before it is deemed not reading and
   * disconnected: the hard limit of the slow-reader policy (recv-throttle.ts),
   * reached only by what the server pushes unasked (watch events). Default
   * 64 MiB, or the reply backlog plus four of the largest replies if more.
   */
  readonly writeBufferBytesMax?: number;
  /**
   * The request pipeline to start with, instead of a new one from these
   * options. An ensemble member passes a stopped core while it is not serving
   * and swaps in each role's core with `replaceCore`.
   */
  readonly core?: ServerCore;
  /** Answers a four-letter word (`argument`: stmk's trace mask); undefined closes the connection without a reply. */
  readonly fourLetterWord?: (word: string, server: ZooKeeperServer, argument?: bigint) => string | undefined | Promise<string | undefined>;
};

export type ZooKeeperServer = {
  readonly host: string;
  /** The plaintext client port; the secure one when there is no plaintext listener. */
  readonly port: number;
  /** The secure client port, when there is one. */
  readonly securePort: number | undefined;
  readonly core: ServerCore;
  /** ZooTrace's text trace level, which gtmk prints and stmk sets (306: requests, packets, sessions and warnings). */
  readonly traceMask: { value: bigint };
  /**
   * Puts another pipeline behind the port (an ensemble member changing role):
   * the old one is stopped, which closes its connections (their clients
   * reconnect, as ZooKeeper's do when a server changes role); new connections
   * go to the new one.
   */
  replaceCore(core: ServerCore): void;
  /** Stops accepting, closes every connection, stops the clock. */
  close(): Promise<void>;
};

const defaultLogger: Logger = (level, message) => {
  if (level === 'warn' || level === 'error') process.stderr.write(`[zk ${level}] ${message}\n`);
};

/** Listens on the client port and serves the pipeline there (ZooKeeperServerMain.runFromConfig's cnxnFactory.startup). */
export async function startServer(options: StartServerOptions = {}): Promise<ZooKeeperServer> {
  const factory = new NIOServerCnxnFactory(options);
  await factory.start();
  return factory;
}

/**
 * The client port (NIOServerCnxnFactory): accepts connections for the current
 * pipeline within the limits, drives the pipeline's clock, answers
 * four-letter words, and shuts all of it down.
 */
class NIOServerCnxnFactory implements ZooKeeperServer {
  readonly log: Logger;
  readonly frameBytesMax: number;
  readonly writeBufferBytesMax: number;
  readonly globalOutstandingLimit: number;
  readonly sessionlessCnxnTimeoutMs: number;
  private readonly maxCnxns: number;
  /** Every socket accepted and not yet closed, clients and four-letter words alike: `close` ends them (destroyed a second later if the peer does not close). */
  private readonly sockets = new Set<Socket>();
  private readonly cnxnsPerAddress: CnxnsPerAddress;
  readonly throttle: RecvThrottle;
  readonly host: string;
  private currentCore: ServerCore;
  private readonly netServer: Server;
  private listeningPort = 0;
  private tlsServer: TlsServer | undefined;
  private readonly unification: PortUnification | undefined;
  private tickTimer: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;
  /** ZooTrace's default mask: CLIENT_REQUEST | SERVER_PACKET | SESSION | WARNING. */
  readonly traceMask = { value: 306n };

  constructor(private readonly options: StartServerOptions) {
    this.log = options.log ?? defaultLogger;
    this.currentCore = options.core ?? new ServerCore({ ...options, log: this.log });
    this.frameBytesMax = options.frameBytesMax ?? juteMaxBufferDefault;
    this.cnxnsPerAddress = new CnxnsPerAddress(options.maxClientCnxns ?? 60);
    // Above what a client's own requests can leave queued (the backlog at which it stops being read, plus the
    // replies of requests already taken), so a client that reads slowly is paused, never cut off.
    this.writeBufferBytesMax = options.writeBufferBytesMax ?? Math.max(64 * 1024 * 1024, this.currentCore.replyBacklogBytesMax + 4 * this.frameBytesMax);
    this.globalOutstandingLimit = options.globalOutstandingLimit ?? 1000;
    this.sessionlessCnxnTimeoutMs = options.sessionlessCnxnTimeoutMs ?? 10_000;
    this.maxCnxns = options.maxCnxns ?? 0;
    // The paused sockets resume once the pipeline that serves now is back under the limit.
    this.throttle = new RecvThrottle(this.globalOutstandingLimit, () => this.currentCore.outstandingRequests);
    this.unification = options.portUnification === undefined ? undefined : new PortUnification(options.portUnification, this.log);
    this.netServer = createServer({ noDelay: true }, (socket) => {
      if (this.unification === undefined) this.accept(socket);
      else this.unification.detect(socket, (plain) => this.accept(plain), this.acceptSecure);
    });
    this.host = options.host ?? '127.0.0.1';
  }

  get core(): ServerCore {
    return this.currentCore;
  }

  get port(): number {
    return this.options.plaintext === false ? (this.securePort ?? 0) : this.listeningPort;
  }

  get securePort(): number | undefined {
    const address = this.tlsServer?.address();
    return typeof address === 'object' && address !== null ? address.port : undefined;
  }

  /** A TLS connection whose handshake and certificate check passed: a client like any other, with its certificate's ids. */
  private readonly acceptSecure = (socket: Socket, authIds: readonly Id[]): void => this.accept(socket, authIds);

  /** Binds the client ports (a bind error rejects), then starts the clock. */
  async start(): Promise<void> {
    const { options } = this;
    if (options.secure !== undefined) this.tlsServer = await listenSecure(options.secure.tls, options.secure.host, options.secure.port, this.acceptSecure, this.log);
    if (options.plaintext !== false) {
      try {
        await this.listenPlaintext();
      } catch (error) {
        this.tlsServer?.close();
        throw error;
      }
    }
    this.startTicking();
  }

  private async listenPlaintext(): Promise<void> {
    const { netServer, options } = this;
    await new Promise<void>((resolve, reject) => {
      netServer.once('error', reject);
      netServer.listen(options.port ?? 2181, this.host, () => {
        netServer.off('error', reject);
        resolve();
      });
    });
    netServer.on('error', (error) => this.log('error', 'server-socket-error', { error: error.message }));
    const address = netServer.address();
    this.listeningPort = typeof address === 'object' && address !== null ? address.port : (options.port ?? 2181);
  }

  /**
   * The session tracker's clock: ZooKeeper wakes at each bucket's expiry time;
   * ticking at half the tickTime keeps expiry within a tick of its bucket.
   */
  private startTicking(): void {
    this.tickTimer = setInterval(() => this.currentCore.tick(), Math.max(10, Math.floor(this.currentCore.tickTimeMs / 2)));
    this.tickTimer.unref();
  }

  /** A new socket: refused over maxClientCnxns, turned away while not serving, else a client of the current pipeline. */
  private accept(socket: Socket, authIds: readonly Id[] = []): void {
    // A connection stays with the pipeline it was accepted by.
    const core = this.currentCore;
    const remoteAddress = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const remotePort = socket.remotePort ?? 0;
    if (this.maxCnxns > 0 && this.sockets.size >= this.maxCnxns) {
      // NIOServerCnxnFactory.doAccept's limitTotalNumberOfCnxns.
      this.log('warn', 'too-many-connections', { remoteAddress, maxCnxns: this.maxCnxns });
      core.metrics.counters.connection_rejected++;
      socket.destroy();
      return;
    }
    if (this.cnxnsPerAddress.isFull(remoteAddress)) {
      this.log('warn', 'too-many-connections', { remoteAddress, maxClientCnxns: this.cnxnsPerAddress.max });
      core.metrics.counters.connection_rejected++;
      socket.destroy();
      return;
    }
    if (core.isStopped) {
      // Not serving (an ensemble member between roles): four-letter words are
      // still answered (srvr says so); a client is turned away and tries another server.
      this.acceptWhileNotServing(socket);
      return;
    }
    this.cnxnsPerAddress.add(remoteAddress);
    this.sockets.add(socket);
    socket.setNoDelay(true);
    NIOServerCnxn.open(this, core, socket, remoteAddress, remotePort, authIds);
  }

  /** A socket accepted while not serving: its first four bytes get a four-letter word's answer, or the socket is destroyed. */
  private acceptWhileNotServing(socket: Socket): void {
    this.sockets.add(socket);
    let head: Uint8Array = new Uint8Array(0);
    const timer = setTimeout(() => socket.destroy(), 1000);
    timer.unref();
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      if (answered) return;
      const opening = firstFourBytes(head, chunk);
      if (opening.word === undefined) {
        head = opening.bytes;
        return;
      }
      answered = true;
      clearTimeout(timer);
      const word = opening.word;
      if (fourLetterWords.has(word)) void this.answerFourLetterWord(word, socket, opening.bytes.subarray(4));
      else {
        this.log('debug', 'connection-refused', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: 'not serving' });
        socket.destroy();
      }
    });
    socket.on('error', () => this.sockets.delete(socket));
    socket.on('close', () => this.sockets.delete(socket));
  }

  /**
   * Writes the admin part's answer to `word` and ends the connection
   * (NIOServerCnxn.checkFourLetterWord's CommandThread). `rest`: what the
   * client sent after the word; stmk's 8-byte mask may also come later.
   */
  async answerFourLetterWord(word: string, socket: Socket, rest: Uint8Array): Promise<void> {
    try {
      let argument: bigint | undefined;
      // Without its 8 bytes stmk is still refused off the whitelist; on it, the connection closes unanswered.
      if (word === 'stmk') argument = await readTraceMask(socket, rest);
      const answer = this.options.fourLetterWord === undefined ? undefined : await this.options.fourLetterWord(word, this, argument);
      if (answer !== undefined) socket.end(answer);
      else socket.end();
    } catch (error) {
      this.log('warn', 'four-letter-word-failed', { word, error: error instanceof Error ? error.message : String(error) });
      socket.destroy();
    }
  }

  /** NIOServerCnxnFactory.removeCnxn: forgets a client's socket; false if it was already forgotten. */
  removeCnxn(cnxn: Throttled, socket: Socket, remoteAddress: string): boolean {
    if (!this.sockets.delete(socket)) return false;
    this.throttle.forget(cnxn);
    this.cnxnsPerAddress.remove(remoteAddress);
    return true;
  }

  replaceCore(next: ServerCore): void {
    if (next === this.currentCore) return;
    const previous = this.currentCore;
    this.currentCore = next;
    previous.stop();
    clearInterval(this.tickTimer);
    this.startTicking();
    if (this.closing !== undefined) next.stop();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      clearInterval(this.tickTimer);
      this.throttle.stop();
      this.currentCore.stop();
      // end, not destroy: replies already written still leave before the FIN (a
      // SIGTERM's shutdown drops none of them); a peer that never reads is cut off
      // after a second, as a connection the pipeline closes.
      for (const socket of this.sockets) {
        socket.end();
        setTimeout(() => socket.destroy(), 1000).unref();
      }
      this.tlsServer?.close();
      if (this.options.plaintext === false) resolve();
      else this.netServer.close(() => resolve());
    });
    return this.closing;
  }
}

/**
 * One client's socket (NIOServerCnxn): the pipeline's sink for that
 * connection, the reader that splits its bytes into frames (or answers a
 * four-letter word), and its end.
 */
class NIOServerCnxn implements ConnectionSink, Throttled {
  private readonly connectionId: number;
  private readonly decoder: FrameDecoder;
  /** Why this connection is not being read (recv-throttle.ts); undefined while it is. */
  private pausedFor: PauseReason | undefined;
  private recheckQueued = false;
  /** Closes the connection if its ConnectRequest has not come by nio.sessionlessCnxnTimeout; cleared by its first frame. */
  private sessionlessTimer: ReturnType<typeof setTimeout> | undefined;
  /** The bytes so far while the first four may still spell a four-letter word; undefined once they did not. */
  private head: Uint8Array | undefined = new Uint8Array(0);
  private closed = false;
  private corked = false;

  /** Registers the accepted socket with the pipeline and starts reading it. */
  static open(factory: NIOServerCnxnFactory, core: ServerCore, socket: Socket, remoteAddress: string, remotePort: number, authIds: readonly Id[]): NIOServerCnxn {
    const cnxn = new NIOServerCnxn(factory, core, socket, remoteAddress, remotePort);
    // ServerCnxn.addAuthInfo: the ids a TLS certificate gave, before the first request.
    for (const id of authIds) core.addAuthInfo(cnxn.connectionId, id);
    cnxn.sessionlessTimer = setTimeout(cnxn.expireSessionless, factory.sessionlessCnxnTimeoutMs);
    cnxn.sessionlessTimer.unref();
    socket.on('data', (chunk: Buffer) => cnxn.doIO(chunk));
    socket.on('error', (error) => {
      factory.log('debug', 'connection-socket-error', { connectionId: cnxn.connectionId, error: error.message });
      cnxn.finish();
    });
    socket.on('close', () => cnxn.finish());
    return cnxn;
  }

  private constructor(
    private readonly factory: NIOServerCnxnFactory,
    private readonly core: ServerCore,
    private readonly socket: Socket,
    private readonly remoteAddress: string,
    private readonly remotePort: number,
  ) {
    this.connectionId = core.openConnection(this, remoteAddress, remotePort);
    this.decoder = new FrameDecoder(factory.frameBytesMax);
  }

  /** The sink's send: the pipeline's bytes for this client, closed on a client that stops reading them. */
  send(bytes: Uint8Array): void {
    if (this.closed) return;
    const { socket } = this;
    // Replies to the frames of one chunk leave in one write: cork until
    // the current turn of the event loop ends.
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(this.uncork);
    }
    socket.write(bytes);
    // What this connection waited for (its ConnectResponse, its queued replies) may have just left.
    if (this.pausedFor === 'pipeline' && !this.recheckQueued) {
      this.recheckQueued = true;
      process.nextTick(this.recheck);
    }
    // The slow-reader policy's hard limit (recv-throttle.ts): its requests are
    // no longer read past replyBacklogBytesMax, but watch events still come,
    // and they must not make us buffer without bound.
    if (socket.writableLength > this.factory.writeBufferBytesMax) {
      this.factory.log('warn', 'client-not-reading', { connectionId: this.connectionId, remoteAddress: this.remoteAddress, remotePort: this.remotePort, queuedBytes: socket.writableLength, message: 'closing a connection whose client does not read' });
      this.core.closeConnection(this.connectionId, 'client not reading');
      socket.destroy();
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** The sink's close: the pipeline ends the connection; what was written still leaves. */
  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.factory.log('debug', 'connection-closed-by-server', { connectionId: this.connectionId, reason });
    this.socket.end();
    // A peer that never reads must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 1000).unref();
  }

  /** A chunk from the client: its frames go to the pipeline, unless its first four bytes are a four-letter word. */
  private doIO(chunk: Buffer): void {
    if (this.closed) return;
    if (this.pausedFor !== undefined) {
      // Read before the pause took effect: kept, handed out on resuming.
      this.decoder.hold(chunk);
      return;
    }
    const head = this.head;
    const bytes = head === undefined ? chunk : this.checkFourLetterWord(head, chunk);
    if (bytes !== undefined) this.readPayload(bytes);
  }

  /**
   * Until the first four bytes are in, they may be a four-letter word: holds
   * them (undefined), answers the word (undefined, and the connection is no
   * longer a client), or returns the bytes to read as frames.
   */
  private checkFourLetterWord(head: Uint8Array, chunk: Uint8Array): Uint8Array | undefined {
    const opening = firstFourBytes(head, chunk);
    if (opening.word === undefined) {
      this.head = opening.bytes;
      return undefined;
    }
    this.head = undefined;
    if (fourLetterWords.has(opening.word)) {
      this.closed = true;
      this.core.connectionClosed(this.connectionId);
      void this.factory.answerFourLetterWord(opening.word, this.socket, opening.bytes.subarray(4));
      return undefined;
    }
    return opening.bytes;
  }

  /** Hands each whole frame to the pipeline until it must stop taking them; a framing error closes the connection. */
  private readPayload(bytes: Uint8Array): void {
    const error = this.decoder.push(bytes, this.onFrame);
    if (error !== undefined) {
      const detail = error.kind === 'too-large' ? `length ${error.length} is greater than jute.maxbuffer=${error.frameBytesMax}` : `negative length ${error.length}`;
      this.factory.log('warn', 'bad-frame', { connectionId: this.connectionId, remoteAddress: this.remoteAddress, remotePort: this.remotePort, kind: error.kind, length: error.length, juteMaxBuffer: error.kind === 'too-large' ? error.frameBytesMax : undefined });
      this.core.closeConnection(this.connectionId, `frame error: ${detail}`);
    }
  }

  /** One frame to the pipeline; false stops the decoder there (the rest stays in it) and pauses the socket. */
  private readonly onFrame = (payload: Uint8Array): boolean => {
    if (this.sessionlessTimer !== undefined) {
      clearTimeout(this.sessionlessTimer);
      this.sessionlessTimer = undefined;
    }
    const reason = this.whyNotReading(this.core.receiveFrame(this.connectionId, payload));
    if (reason === undefined) return true;
    this.disableRecv(reason);
    return false;
  };

  /** Why the next frame must wait: the pipeline's reasons (`pipelineOk` false), then the socket's, then the server's. */
  private whyNotReading(pipelineOk: boolean): PauseReason | undefined {
    if (!pipelineOk) return 'pipeline';
    if (this.socket.writableLength > this.core.replyBacklogBytesMax) return 'socket';
    if (this.factory.throttle.overLimit) return 'global';
    return undefined;
  }

  /** ServerCnxn.disableRecv: stops reading until the reason's wake-up (recv-throttle.ts) finds it gone. */
  private disableRecv(reason: PauseReason): void {
    if (this.closed) return;
    if (this.pausedFor === undefined) this.socket.pause();
    this.pausedFor = reason;
    if (reason === 'socket') this.socket.off('drain', this.recheck).once('drain', this.recheck);
    else if (reason === 'global') this.factory.throttle.disableRecv(this);
  }

  /** ServerCnxn.enableRecv once nothing holds it back: the frames already in are handed out first, then the socket is read again. */
  readonly recheck = (): void => {
    this.recheckQueued = false;
    if (this.closed || this.pausedFor === undefined) return;
    const reason = this.whyNotReading(this.core.mayReceive(this.connectionId));
    if (reason !== undefined) {
      this.disableRecv(reason);
      return;
    }
    this.pausedFor = undefined;
    this.readPayload(new Uint8Array(0));
    if (this.pausedFor === undefined && !this.closed) this.socket.resume();
  };

  /**
   * No ConnectRequest within nio.sessionlessCnxnTimeout of the accept: the
   * connection is closed, as ZooKeeper's ConnectionExpirerThread does, so that
   * silent connections cannot hold maxClientCnxns' places. Unlike ZooKeeper,
   * bytes that do not complete the ConnectRequest do not extend it (a
   * ConnectRequest trickled slower than that is closed too).
   */
  private readonly expireSessionless = (): void => {
    this.sessionlessTimer = undefined;
    if (this.closed) return;
    this.factory.log('info', 'sessionless-connection-expired', { connectionId: this.connectionId, remoteAddress: this.remoteAddress, remotePort: this.remotePort, sessionlessCnxnTimeoutMs: this.factory.sessionlessCnxnTimeoutMs });
    this.core.closeConnection(this.connectionId, 'no ConnectRequest within nio.sessionlessCnxnTimeout');
  };

  /** The socket is gone (closed or failed): the factory and the pipeline forget the connection, once. */
  private finish(): void {
    clearTimeout(this.sessionlessTimer);
    if (!this.factory.removeCnxn(this, this.socket, this.remoteAddress)) return;
    this.closed = true;
    this.core.connectionClosed(this.connectionId);
  }
}

/** maxClientCnxns: the open client connections per address (NIOServerCnxnFactory's ipMap); 0 is no limit. */
class CnxnsPerAddress {
  private readonly counts = new Map<string, number>();

  constructor(readonly max: number) {}

  /** Whether another connection from `address` would exceed the limit. */
  isFull(address: string): boolean {
    return this.max > 0 && (this.counts.get(address) ?? 0) >= this.max;
  }

  add(address: string): void {
    this.counts.set(address, (this.counts.get(address) ?? 0) + 1);
  }

  remove(address: string): void {
    const n = (this.counts.get(address) ?? 1) - 1;
    if (n <= 0) this.counts.delete(address);
    else this.counts.set(address, n);
  }
}

/**
 * stmk's argument: the 8 bytes after the word as a big-endian long, from what
 * came with it and what arrives within a second; undefined if they do not
 * (ZooKeeper reads once and fails the connection on fewer).
 */
function readTraceMask(socket: Socket, rest: Uint8Array): Promise<bigint | undefined> {
  const toMask = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, 8).readBigInt64BE(0);
  if (rest.byteLength >= 8) return Promise.resolve(toMask(rest));
  return new Promise((resolve) => {
    let bytes = Buffer.from(rest);
    const done = (mask: bigint | undefined) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      resolve(mask);
    };
    const onData = (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      if (bytes.byteLength >= 8) done(toMask(bytes));
    };
    const onClose = () => done(undefined);
    const timer = setTimeout(() => done(undefined), 1000);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/**
 * A connection's bytes so far, and the four-letter word its first four
 * bytes spell once they are all in (it may be a command, not a client).
 */
function firstFourBytes(head: Uint8Array, chunk: Uint8Array): { readonly bytes: Uint8Array; readonly word: string | undefined } {
  const bytes = new Uint8Array(head.byteLength + chunk.byteLength);
  bytes.set(head, 0);
  bytes.set(chunk, head.byteLength);
  return { bytes, word: bytes.byteLength < 4 ? undefined : Buffer.from(bytes.subarray(0, 4)).toString('latin1') };
}
