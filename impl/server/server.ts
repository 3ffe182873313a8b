// The TCP front of the standalone server (ZooKeeper's NIOServerCnxnFactory and
// NIOServerCnxn): accepts connections on node:net, splits each byte stream with
// a FrameDecoder, hands frames to the sans-IO ServerCore, writes what it sends,
// and drives its clock. A bad stream (oversized or negative length, malformed
// handshake) closes that one connection and is logged; it never stops the server.
//
// Four-letter words: as in NIOServerCnxn.checkFourLetterWord, a connection whose
// first four bytes spell a known command is not a client; the admin part answers
// it through `fourLetterWord` and the connection is closed after the answer.

import { createServer, type Server, type Socket } from 'node:net';
import { juteMaxBufferDefault } from '../protocol/constants.ts';
import { FrameDecoder } from '../protocol/frame-decoder.ts';
import { ServerCore, type Logger, type ServerCoreOptions } from './core.ts';

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
  /** maxClientCnxns: connections per client address (0 = no limit; ZooKeeper's default is 60). */
  readonly maxClientCnxns?: number;
  /** jute.maxbuffer: the largest frame accepted. */
  readonly frameBytesMax?: number;
  /**
   * globalOutstandingLimit (ZooKeeper's default 1000): while more requests than
   * this are received and unanswered, the server stops reading from clients.
   */
  readonly globalOutstandingLimit?: number;
  /** Bytes queued to one client before it is deemed not reading and disconnected (default 64 MiB). */
  readonly writeBufferBytesMax?: number;
  /**
   * The request pipeline to start with, instead of a new one from these
   * options. An ensemble member passes a stopped core while it is not serving
   * and swaps in each role's core with `replaceCore`.
   */
  readonly core?: ServerCore;
  /** Answers a four-letter word; undefined closes the connection without a reply. */
  readonly fourLetterWord?: (word: string, server: ZooKeeperServer) => string | undefined | Promise<string | undefined>;
};

export type ZooKeeperServer = {
  readonly host: string;
  readonly port: number;
  readonly core: ServerCore;
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

export async function startServer(options: StartServerOptions = {}): Promise<ZooKeeperServer> {
  const log = options.log ?? defaultLogger;
  let core = options.core ?? new ServerCore({ ...options, log });
  const frameBytesMax = options.frameBytesMax ?? juteMaxBufferDefault;
  const maxClientCnxns = options.maxClientCnxns ?? 60;
  const writeBufferBytesMax = options.writeBufferBytesMax ?? 64 * 1024 * 1024;
  const connectionsPerAddress = new Map<string, number>();
  const sockets = new Set<Socket>();

  // Throttling (ZooKeeperServer.shouldThrottle, ServerCnxn.disableRecv): a
  // socket whose data pushed the outstanding count over the limit is paused;
  // all paused sockets resume once the count is back under it. The count falls
  // as persist batches complete, so a 1 ms poll runs only while some are paused.
  const globalOutstandingLimit = options.globalOutstandingLimit ?? 1000;
  const throttled = new Set<Socket>();
  let throttleTimer: ReturnType<typeof setTimeout> | undefined;
  const checkThrottled = () => {
    throttleTimer = undefined;
    if (core.outstandingRequests > globalOutstandingLimit) {
      throttleTimer = setTimeout(checkThrottled, 1);
      return;
    }
    for (const socket of throttled) socket.resume();
    throttled.clear();
  };
  const throttle = (socket: Socket) => {
    socket.pause();
    throttled.add(socket);
    throttleTimer ??= setTimeout(checkThrottled, 1);
  };
  let server: ZooKeeperServer;
  const currentCore = () => core;

  const netServer: Server = createServer({ noDelay: true }, (socket) => {
    // A connection stays with the pipeline it was accepted by.
    const core = currentCore();
    const remoteAddress = (socket.remoteAddress ?? 'unknown').replace(/^::ffff:/, '');
    const remotePort = socket.remotePort ?? 0;
    const count = connectionsPerAddress.get(remoteAddress) ?? 0;
    if (maxClientCnxns > 0 && count >= maxClientCnxns) {
      log('warn', `too many connections from ${remoteAddress} - max is ${maxClientCnxns}`);
      socket.destroy();
      return;
    }
    if (core.isStopped) {
      // Not serving (an ensemble member between roles): four-letter words are
      // still answered (srvr says so); a client is turned away and tries another server.
      notServing(socket);
      return;
    }
    connectionsPerAddress.set(remoteAddress, count + 1);
    sockets.add(socket);
    socket.setNoDelay(true);

    let closed = false;
    let corked = false;
    const connectionId = core.openConnection(
      {
        send: (bytes) => {
          if (closed) return;
          // Replies to the frames of one chunk leave in one write: cork until
          // the current turn of the event loop ends.
          if (!corked) {
            corked = true;
            socket.cork();
            process.nextTick(() => {
              corked = false;
              socket.uncork();
            });
          }
          socket.write(bytes);
          // A client that stops reading must not make us buffer without bound.
          if (socket.writableLength > writeBufferBytesMax) {
            log('warn', `connection ${connectionId} from ${remoteAddress}:${remotePort} is not reading (${socket.writableLength} bytes queued); closing it`);
            core.closeConnection(connectionId, 'client not reading');
            socket.destroy();
          }
        },
        close: (reason) => {
          if (closed) return;
          closed = true;
          log('debug', `connection ${connectionId} closed by server: ${reason}`);
          socket.end();
          // A peer that never reads must not keep the socket forever.
          setTimeout(() => socket.destroy(), 1000).unref();
        },
      },
      remoteAddress,
      remotePort,
    );

    const decoder = new FrameDecoder(frameBytesMax);
    let head: Uint8Array | undefined = new Uint8Array(0);
    const onFrame = (payload: Uint8Array) => core.receiveFrame(connectionId, payload);

    socket.on('data', (chunk: Buffer) => {
      if (closed) return;
      let bytes: Uint8Array = chunk;
      if (head !== undefined) {
        // Until the first four bytes are in, they may be a four-letter word.
        const opening = firstFourBytes(head, bytes);
        if (opening.word === undefined) {
          head = opening.bytes;
          return;
        }
        head = undefined;
        const { word, bytes: joined } = opening;
        if (fourLetterWords.has(word)) {
          closed = true;
          core.connectionClosed(connectionId);
          void answerFourLetterWord(word, socket);
          return;
        }
        bytes = joined;
      }
      const error = decoder.push(bytes, onFrame);
      if (error !== undefined) {
        const detail = error.kind === 'too-large' ? `length ${error.length} is greater than jute.maxbuffer=${error.frameBytesMax}` : `negative length ${error.length}`;
        log('warn', `connection ${connectionId} from ${remoteAddress}:${remotePort}: malformed or too large frame (${detail})`);
        core.closeConnection(connectionId, `frame error: ${detail}`);
        return;
      }
      if (core.outstandingRequests > globalOutstandingLimit && !closed) throttle(socket);
    });
    const finish = () => {
      if (!sockets.delete(socket)) return;
      closed = true;
      throttled.delete(socket);
      const n = (connectionsPerAddress.get(remoteAddress) ?? 1) - 1;
      if (n <= 0) connectionsPerAddress.delete(remoteAddress);
      else connectionsPerAddress.set(remoteAddress, n);
      core.connectionClosed(connectionId);
    };
    socket.on('error', (error) => {
      log('debug', `connection ${connectionId} socket error: ${error.message}`);
      finish();
    });
    socket.on('close', finish);
  });

  function notServing(socket: Socket): void {
    sockets.add(socket);
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
      if (fourLetterWords.has(word)) void answerFourLetterWord(word, socket);
      else {
        log('debug', `connection from ${socket.remoteAddress}:${socket.remotePort} refused: not serving`);
        socket.destroy();
      }
    });
    socket.on('error', () => sockets.delete(socket));
    socket.on('close', () => sockets.delete(socket));
  }

  async function answerFourLetterWord(word: string, socket: Socket): Promise<void> {
    try {
      const answer = options.fourLetterWord === undefined ? undefined : await options.fourLetterWord(word, server);
      if (answer !== undefined) socket.end(answer);
      else socket.end();
    } catch (error) {
      log('warn', `four-letter word ${word} failed: ${error instanceof Error ? error.message : String(error)}`);
      socket.destroy();
    }
  }

  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    netServer.once('error', reject);
    netServer.listen(options.port ?? 2181, host, () => {
      netServer.off('error', reject);
      resolve();
    });
  });
  netServer.on('error', (error) => log('error', `server socket error: ${error.message}`));
  const address = netServer.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 2181);

  // The session tracker's clock: ZooKeeper wakes at each bucket's expiry time;
  // ticking at half the tickTime keeps expiry within a tick of its bucket.
  let timer = setInterval(() => core.tick(), Math.max(10, Math.floor(core.tickTimeMs / 2)));
  timer.unref();

  let closing: Promise<void> | undefined;
  server = {
    host,
    port,
    get core() {
      return core;
    },
    replaceCore(next: ServerCore) {
      if (next === core) return;
      const previous = core;
      core = next;
      previous.stop();
      clearInterval(timer);
      timer = setInterval(() => core.tick(), Math.max(10, Math.floor(core.tickTimeMs / 2)));
      timer.unref();
      if (closing !== undefined) next.stop();
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        if (throttleTimer !== undefined) clearTimeout(throttleTimer);
        core.stop();
        for (const socket of sockets) socket.destroy();
        netServer.close(() => resolve());
      });
      return closing;
    },
  };
  return server;
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
