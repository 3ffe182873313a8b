// The election-port connection manager (ZooKeeper's QuorumCnxManager) over
// node:net: one TCP connection per pair of servers, carrying notifications
// both ways.
//
// The rules it keeps, and why:
// - Only the larger sid keeps a connection it initiated. Both sides of a pair
//   may dial at once; without a rule they would keep two connections or tear
//   down each other's. ZooKeeper's rule: a connection that arrives from a
//   smaller sid is closed and answered by dialling back
//   (handleConnection), and a server that dials a larger sid sends its
//   initial message and hangs up (startConnection, "lost the challenge").
// - A per-peer send queue that keeps only the newest messages
//   (SEND_CAPACITY = 1 in ZooKeeper, as a CircularBlockingQueue): an
//   election notification supersedes the previous one, so a backlog for a
//   dead peer is useless. The last message sent is sent again on every new
//   connection when nothing newer is queued (lastMessageSent), because the
//   connection that carried it may have died before the peer read it.
// - Reconnection. ZooKeeper reconnects when it next has something to send
//   (toSend → connectOne) and on a notification timeout (connectAll). We do
//   the same and, while a peer has messages queued and no connection, retry
//   on a timer whose delay doubles from reconnectBackoffMsMin up to
//   cnxTimeoutMs, which also bounds each connection attempt
//   (sock.connect(addr, cnxTO)).
// - Bounded reads: an accepted connection must send its initial message
//   within cnxTimeoutMs, the initial message and every frame are bounded
//   (wire.ts), and a malformed stream closes the connection.
//
// - SASL (quorum.auth.enableSasl, quorum-auth.ts): with an authenticator, a
//   connection we dial authenticates after our initial message, and one we
//   accept is authenticated after its initial message, both before the
//   smaller-sid rule (startConnection, handleConnection). Without one, the
//   bytes are exactly as before.
//
// Loopback is whatever the configured hosts say; tests use 127.0.0.1 only.

import type net from 'node:net';
import { assert } from '../../lib/assert.ts';
import type { QuorumAuthenticator } from './quorum-auth.ts';
import { HandshakeLimits } from './handshake-limits.ts';
import { checkNotification } from './peer-values.ts';
import { plainQuorumSockets, type QuorumSockets } from './quorum-sockets.ts';
import {
  decodeNotification,
  electionFrame,
  ElectionStreamDecoder,
  encodeInitialMessage,
  parseInitialMessage,
  PROTOCOL_VERSION_V1,
  type InitialMessage,
  type NotificationMessage,
} from './wire.ts';

export interface ElectionAddress {
  readonly sid: number;
  readonly host: string;
  readonly electionPort: number;
}

export interface CnxManagerOptions {
  readonly myid: number;
  /** Every server of the ensemble, this one included (its entry is where we listen). */
  readonly servers: readonly ElectionAddress[];
  /** zoo.cfg cnxTimeout: the bound on one connection attempt and on the reconnect back-off. */
  readonly cnxTimeoutMs: number;
  readonly reconnectBackoffMsMin?: number;
  /** Messages kept per peer while it is unreachable (ZooKeeper: 1). */
  readonly sendQueueCapacity?: number;
  readonly onNotification: (from: number, notification: NotificationMessage) => void;
  readonly log?: ElectionLog;
  /** TCP (the default) or TLS (sslQuorum). */
  readonly sockets?: QuorumSockets;
  /** SASL between members (quorum.auth.enableSasl); none: no authentication, nothing changes on the wire. */
  readonly auth?: QuorumAuthenticator;
  /** Accepted connections that may be waiting for their initial message at once (quorum.cnxn.threads.size; default 20). */
  readonly handshakingMax?: number;
}

/** One structured line, in the shape of observability/logger.ts's logger (spelled out so this leaf imports nothing of the server). */
export type ElectionLog = (level: 'debug' | 'info' | 'warn' | 'error', event: string, fields?: Readonly<Record<string, string | number | bigint | undefined>>) => void;

export interface CnxManagerStats {
  /** Connections we dialled and hung up on because the peer's sid is larger. */
  challengesLost: number;
  /** Connections accepted from a smaller sid and closed (we dialled back). */
  droppedFromSmallerSid: number;
  connectionsEstablished: number;
  framesSent: number;
  framesReceived: number;
  /** Frames that were not a notification (dropped, as WorkerReceiver does). */
  notificationsMalformed: number;
  /** Connections closed because their byte stream broke (bad initial message or frame length). */
  streamsBroken: number;
  connectAttemptsFailed: number;
  /** Connections closed because the SASL exchange failed or was required and missing (either direction). */
  authFailures: number;
}

interface Connection {
  readonly sid: number;
  readonly socket: net.Socket;
  /** We dialled it (true) or accepted it (false). */
  readonly initiated: boolean;
}

export class QuorumCnxManager {
  readonly stats: CnxManagerStats = {
    challengesLost: 0,
    droppedFromSmallerSid: 0,
    connectionsEstablished: 0,
    framesSent: 0,
    framesReceived: 0,
    notificationsMalformed: 0,
    streamsBroken: 0,
    connectAttemptsFailed: 0,
    authFailures: 0,
  };
  private readonly self: ElectionAddress;
  private readonly view = new Map<number, ElectionAddress>();
  private readonly connections = new Map<number, Connection>();
  private readonly queues = new Map<number, Uint8Array[]>();
  private readonly lastMessageSent = new Map<number, Uint8Array>();
  private readonly connecting = new Set<number>();
  private readonly backoffMs = new Map<number, number>();
  private readonly retryTimers = new Map<number, NodeJS.Timeout>();
  /** Every socket we hold, connected or not, so close() can destroy them all. */
  private readonly sockets = new Set<net.Socket>();
  /** Accepted connections that have not sent their initial message: a deadline (cnxTimeout) and a cap. */
  readonly handshakes: HandshakeLimits;
  private server: net.Server | undefined;
  private closed = false;
  private readonly reconnectBackoffMsMin: number;
  private readonly sendQueueCapacity: number;

  constructor(readonly options: CnxManagerOptions) {
    for (const server of options.servers) this.view.set(server.sid, server);
    const self = this.view.get(options.myid);
    assert(self !== undefined, () => `server ${options.myid} is not in the ensemble ${[...this.view.keys()].join(',')}`);
    this.self = self;
    this.reconnectBackoffMsMin = options.reconnectBackoffMsMin ?? 50;
    this.sendQueueCapacity = options.sendQueueCapacity ?? 1;
    assert(this.sendQueueCapacity >= 1, 'sendQueueCapacity must be at least 1');
    assert(options.cnxTimeoutMs >= this.reconnectBackoffMsMin, () => `cnxTimeoutMs ${options.cnxTimeoutMs} below the minimum back-off ${this.reconnectBackoffMsMin}`);
    this.handshakes = new HandshakeLimits({
      port: 'election',
      handshakeMs: options.cnxTimeoutMs,
      handshakingMax: options.handshakingMax ?? 20,
      log: (level, event, fields) => this.log(level, event, fields),
    });
  }

  /** Listens on our election address (Listener). Resolves once bound; rejects if the port cannot be bound. */
  start(): Promise<void> {
    assert(this.server === undefined, 'start() called twice');
    const server = (this.options.sockets ?? plainQuorumSockets).createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.self.host, port: this.self.electionPort }, () => {
        server.off('error', reject);
        server.on('error', (error) => this.log('error', 'election-listener-error', { error: error.message }));
        resolve();
      });
    });
  }

  /**
   * toSend: queue `payload` (a notification's bytes) for `to` and send it as
   * soon as there is a connection. Sending to ourselves loops back.
   */
  send(to: number, payload: Uint8Array): void {
    if (this.closed) return;
    if (to === this.options.myid) {
      queueMicrotask(() => {
        if (this.closed) return;
        const own = decodeNotification(payload);
        assert(own.ok, () => `our own notification does not decode: ${own.ok ? '' : own.error}`);
        this.options.onNotification(to, own.value);
      });
      return;
    }
    assert(this.view.has(to), () => `send to unknown server ${to}`);
    let queue = this.queues.get(to);
    if (queue === undefined) {
      queue = [];
      this.queues.set(to, queue);
    }
    queue.push(payload);
    // CircularBlockingQueue: the oldest message gives way. The bound is what keeps a dead peer from costing memory.
    while (queue.length > this.sendQueueCapacity) queue.shift();
    const connection = this.connections.get(to);
    if (connection !== undefined) this.flush(connection);
    else this.connectOne(to);
  }

  /** connectAll: try every peer we have something for. */
  connectAll(): void {
    for (const sid of this.queues.keys()) this.connectOne(sid);
  }

  isConnected(sid: number): boolean {
    return this.connections.has(sid);
  }

  /** Who opened the live connection to `sid`: 'us', 'peer', or undefined when there is none. */
  connectionOpener(sid: number): 'us' | 'peer' | undefined {
    const connection = this.connections.get(sid);
    return connection === undefined ? undefined : connection.initiated ? 'us' : 'peer';
  }

  /** halt(): stop listening, drop every connection and timer. Resolves when the listening socket is closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.retryTimers.values()) clearTimeout(timer);
    this.retryTimers.clear();
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
    this.handshakes.closeAll();
    this.connections.clear();
    const server = this.server;
    if (server?.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---- connecting ---------------------------------------------------------------

  /** connectOne: dial `sid` unless connected or already dialling. */
  private connectOne(sid: number): void {
    if (this.closed || this.connections.has(sid) || this.connecting.has(sid)) return;
    const address = this.view.get(sid);
    if (address === undefined) return;
    const timer = this.retryTimers.get(sid);
    if (timer !== undefined) {
      clearTimeout(timer);
      this.retryTimers.delete(sid);
    }
    this.connecting.add(sid);
    const socket = (this.options.sockets ?? plainQuorumSockets).connect(address.host, address.electionPort, () => connected());
    this.sockets.add(socket);
    let settled = false;
    const fail = (why: string) => {
      if (settled) return;
      settled = true;
      this.connecting.delete(sid);
      this.stats.connectAttemptsFailed++;
      this.log('debug', 'cannot-open-channel', { sid, host: address.host, electionPort: address.electionPort, reason: why });
      socket.destroy();
      this.sockets.delete(socket);
      this.scheduleRetry(sid);
    };
    socket.setTimeout(this.options.cnxTimeoutMs, () => fail(`no connection within cnxTimeout ${this.options.cnxTimeoutMs} ms`));
    socket.once('error', (error) => fail(error.message));
    const connected = () => {
      if (settled) return;
      settled = true;
      socket.setTimeout(0);
      this.connecting.delete(sid);
      if (this.closed) {
        socket.destroy();
        return;
      }
      const initial: InitialMessage = {
        protocolVersion: PROTOCOL_VERSION_V1,
        sid: BigInt(this.options.myid),
        electionAddresses: [formatAddress(this.self.host, this.self.electionPort)],
      };
      if (this.options.auth !== undefined) {
        socket.on('error', () => {});
        socket.write(encodeInitialMessage(initial));
        this.connecting.add(sid);
        void this.options.auth.learner(socket).then(
          (outcome) => {
            // SaslQuorumAuthLearner.checkAuthStatus logs the same at INFO.
            if (outcome.ok && outcome.value === 'authenticated') this.log('info', 'quorum-authenticated', { sid, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort });
            this.dialled(sid, socket, outcome.ok ? undefined : outcome.error);
          },
          (error: unknown) => this.dialled(sid, socket, `authentication error: ${String(error)}`),
        );
        return;
      }
      if (sid > this.options.myid) {
        // We lost the challenge: say who we are and hang up; the peer dials back.
        this.stats.challengesLost++;
        socket.on('error', () => {});
        socket.end(encodeInitialMessage(initial));
        socket.once('close', () => this.sockets.delete(socket));
        // If the peer does not dial back (it may be busy starting), try again later.
        this.scheduleRetry(sid);
        return;
      }
      socket.write(encodeInitialMessage(initial));
      this.establish(sid, socket, true, new ElectionStreamDecoder(false));
    };
  }

  /** startConnection after the SASL exchange: keep the connection if we win the challenge, hang up if not; `failure` closes it. */
  private dialled(sid: number, socket: net.Socket, failure: string | undefined): void {
    this.connecting.delete(sid);
    if (this.closed || socket.destroyed || failure !== undefined) {
      if (failure !== undefined) {
        this.stats.authFailures++;
        this.log('warn', 'quorum-auth-failed', { sid, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: failure });
      }
      socket.destroy();
      this.sockets.delete(socket);
      this.scheduleRetry(sid);
      return;
    }
    if (sid > this.options.myid) {
      this.stats.challengesLost++;
      socket.end();
      socket.once('close', () => this.sockets.delete(socket));
      this.scheduleRetry(sid);
      return;
    }
    this.establish(sid, socket, true, new ElectionStreamDecoder(false));
  }

  /** Try `sid` again after the back-off, if it still has messages waiting and no connection. */
  private scheduleRetry(sid: number): void {
    if (this.closed || this.retryTimers.has(sid)) return;
    const delayMs = this.backoffMs.get(sid) ?? this.reconnectBackoffMsMin;
    this.backoffMs.set(sid, Math.min(delayMs * 2, this.options.cnxTimeoutMs));
    const timer = setTimeout(() => {
      this.retryTimers.delete(sid);
      if ((this.queues.get(sid)?.length ?? 0) > 0 && !this.connections.has(sid)) this.connectOne(sid);
    }, delayMs);
    this.retryTimers.set(sid, timer);
  }

  // ---- accepting ----------------------------------------------------------------

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    // The initial message within cnxTimeout of the accept (however slowly its bytes come), and only so many
    // connections waiting for theirs (handshake-limits.ts).
    if (!this.handshakes.begin(socket)) return;
    this.sockets.add(socket);
    socket.setNoDelay(true);
    const decoder = new ElectionStreamDecoder(true);
    let initial: InitialMessage | undefined;
    socket.on('error', () => {});
    socket.once('close', () => this.sockets.delete(socket));
    if (this.options.auth !== undefined) {
      this.acceptAuthenticated(socket, this.options.auth);
      return;
    }
    const onData = (chunk: Buffer) => {
      const buffered: Uint8Array[] = [];
      const error = decoder.push(chunk, (item) => {
        if (item.kind === 'initial-message') initial = item.message;
        else buffered.push(item.payload.slice());
      });
      if (initial !== undefined) {
        socket.off('data', onData);
        this.handshakes.done(socket);
        // Frames that arrived before a break still count, as RecvWorker would have read them first.
        this.handleConnection(socket, initial, decoder, buffered);
      }
      if (error !== undefined) {
        this.stats.streamsBroken++;
        this.log('warn', 'election-connection-closed', { remoteAddress: socket.remoteAddress, reason: error.kind });
        socket.destroy();
      }
    };
    socket.on('data', onData);
  }

  /**
   * With SASL: the initial message alone (the bytes after it belong to the
   * exchange), then the exchange, then handleConnection on what follows.
   */
  private acceptAuthenticated(socket: net.Socket, auth: QuorumAuthenticator): void {
    let pending = new Uint8Array(0);
    const onData = (chunk: Buffer) => {
      pending = pending.byteLength === 0 ? chunk.slice() : Buffer.concat([pending, chunk]);
      const parsed = parseInitialMessage(pending);
      // The initial message is bounded (20 + 2048 bytes), so `pending` is too.
      if (parsed.kind === 'incomplete') return;
      socket.off('data', onData);
      socket.pause();
      if (parsed.kind === 'invalid') {
        this.stats.streamsBroken++;
        this.log('warn', 'election-connection-closed', { remoteAddress: socket.remoteAddress, reason: parsed.reason });
        socket.destroy();
        return;
      }
      // The SASL exchange has its own bound and cap (quorum-auth.ts).
      this.handshakes.done(socket);
      const initial = parsed.message;
      if (!this.knownPeer(socket, initial)) return;
      void auth.server(socket, pending.subarray(parsed.bytesConsumed)).then((outcome) => {
        const peer = { sid: initial.sid, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort };
        if (outcome.kind === 'refused') {
          this.stats.authFailures++;
          this.log('warn', 'quorum-auth-refused', { ...peer, reason: outcome.reason });
          socket.destroy();
          return;
        }
        if (outcome.kind === 'tolerated') this.log('warn', 'quorum-auth-tolerated', { ...peer, reason: outcome.reason });
        else this.log('info', 'quorum-learner-authenticated', { ...peer, authorizationId: outcome.authorizationId });
        if (this.closed) return;
        this.handleConnection(socket, initial, new ElectionStreamDecoder(false), []);
      }, (error: unknown) => {
        this.log('warn', 'quorum-auth-error', { sid: initial.sid, remoteAddress: socket.remoteAddress, reason: String(error) });
        socket.destroy();
      });
    };
    socket.on('data', onData);
  }

  /** A connection from a sid not in our view, or claiming ours, is closed. */
  private knownPeer(socket: net.Socket, initial: InitialMessage): boolean {
    const sid = Number(initial.sid);
    if (!Number.isSafeInteger(sid) || !this.view.has(sid)) {
      this.log('warn', 'election-connection-closed', { remoteAddress: socket.remoteAddress, sid: initial.sid, reason: 'unknown server' });
      socket.destroy();
      return false;
    }
    if (sid === this.options.myid) {
      // ZOOKEEPER-2164: a configuration error or a bug; never talk to ourselves over TCP.
      this.log('warn', 'election-connection-closed', { remoteAddress: socket.remoteAddress, sid, reason: 'claims our own id' });
      socket.destroy();
      return false;
    }
    return true;
  }

  /** handleConnection: apply the smaller-sid rule to a connection that has introduced itself. */
  private handleConnection(socket: net.Socket, initial: InitialMessage, decoder: ElectionStreamDecoder, framesAlready: Uint8Array[]): void {
    if (!this.knownPeer(socket, initial)) return;
    const sid = Number(initial.sid);
    if (sid < this.options.myid) {
      // We win the challenge: drop theirs, dial back.
      this.stats.droppedFromSmallerSid++;
      socket.destroy();
      const existing = this.connections.get(sid);
      if (existing !== undefined) this.finish(existing);
      this.connectOne(sid);
      return;
    }
    // A peer that closed during a tolerated exchange left nothing to keep.
    if (socket.destroyed) return;
    const connection = this.establish(sid, socket, false, decoder);
    for (const payload of framesAlready) this.receive(connection, payload);
  }

  // ---- a live connection (SendWorker + RecvWorker) ---------------------------------

  private establish(sid: number, socket: net.Socket, initiated: boolean, decoder: ElectionStreamDecoder): Connection {
    const existing = this.connections.get(sid);
    if (existing !== undefined) this.finish(existing);
    const connection: Connection = { sid, socket, initiated };
    this.connections.set(sid, connection);
    this.stats.connectionsEstablished++;
    this.backoffMs.delete(sid);
    socket.on('error', (error) => this.log('debug', 'election-connection-broken', { sid, error: error.message }));
    socket.once('close', () => {
      this.sockets.delete(socket);
      if (this.connections.get(sid) === connection) {
        this.connections.delete(sid);
        if ((this.queues.get(sid)?.length ?? 0) > 0) this.scheduleRetry(sid);
      }
    });
    socket.on('data', (chunk: Buffer) => {
      const error = decoder.push(chunk, (item) => {
        if (item.kind === 'frame') this.receive(connection, item.payload);
      });
      if (error !== undefined) {
        this.stats.streamsBroken++;
        this.log('warn', 'election-connection-broken', { sid, error: error.kind });
        this.finish(connection);
      }
    });
    // SendWorker.run: resend the last message if nothing newer waits, then drain the queue.
    const queue = this.queues.get(sid);
    const last = this.lastMessageSent.get(sid);
    if ((queue === undefined || queue.length === 0) && last !== undefined) this.write(connection, last);
    this.flush(connection);
    // After a SASL exchange the socket was handed over paused, with the bytes read past it pushed back.
    socket.resume();
    return connection;
  }

  private flush(connection: Connection): void {
    const queue = this.queues.get(connection.sid);
    if (queue === undefined) return;
    while (queue.length > 0) {
      const payload = queue.shift()!;
      this.lastMessageSent.set(connection.sid, payload);
      this.write(connection, payload);
    }
  }

  private write(connection: Connection, payload: Uint8Array): void {
    this.stats.framesSent++;
    connection.socket.write(electionFrame(payload));
  }

  private finish(connection: Connection): void {
    if (this.connections.get(connection.sid) === connection) this.connections.delete(connection.sid);
    connection.socket.destroy();
  }

  private receive(connection: Connection, payload: Uint8Array): void {
    if (this.connections.get(connection.sid) !== connection) return;
    this.stats.framesReceived++;
    if (this.closed) return;
    // Read, then its values checked (peer-values.ts). As ZooKeeper's WorkerReceiver, a notification that cannot
    // be used is skipped and the connection kept (its framing is intact; a broken frame closes it above).
    const decoded = decodeNotification(payload);
    const checked = decoded.ok ? checkNotification(decoded.value) : decoded;
    if (!checked.ok) {
      this.stats.notificationsMalformed++;
      this.log('warn', 'malformed-notification', { sid: connection.sid, remoteAddress: connection.socket.remoteAddress, error: checked.error });
      return;
    }
    this.options.onNotification(connection.sid, checked.value);
  }

  private log(level: Parameters<ElectionLog>[0], event: string, fields: Parameters<ElectionLog>[2]): void {
    this.options.log?.(level, event, { myid: this.options.myid, ...fields });
  }
}

/** NetUtils.formatInetAddr: IPv6 in brackets. */
function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}
