// What a connection to a member's peer ports (the quorum port, the election
// port) may cost before it has said who it is: a deadline to introduce itself
// and a cap on how many may be doing so at once. ZooKeeper bounds the first by
// a read timeout (LearnerCnxAcceptor: soTimeout initLimit * tickTime until the
// learner is synced; QuorumCnxManager: socketTimeout while it reads the
// initial message) and the second by its thread pools only with SASL
// (quorum.cnxn.threads.size). Without them a connection that never sends a
// byte stays open for ever, and enough of them lock the port out (issue 15).
//
// The deadline is absolute, from the accept, not an idle timer: a peer that
// trickles one byte now and then must not keep a handshake going for hours
// (the initial message alone may be 2 KB). Past the cap a new connection is
// closed at once; those refusals are logged at most once a second, with how
// many there were, so that a flood of connections cannot flood the log.

import type { Socket } from 'node:net';

export type HandshakeLog = (level: 'info' | 'warn', event: string, fields: Readonly<Record<string, string | number | undefined>>) => void;

export interface HandshakeLimitsOptions {
  /** Which port, for the log lines. */
  readonly port: 'quorum' | 'election';
  /** Time from the accept to the end of the handshake (the first FOLLOWERINFO, the initial message). */
  readonly handshakeMs: number;
  /** Connections handshaking at once; the next one is closed (quorum.cnxn.threads.size). */
  readonly handshakingMax: number;
  readonly log: HandshakeLog;
}

/** Refusal lines at most this often. */
const refusalLogIntervalMs = 1000;

export class HandshakeLimits {
  private readonly handshaking = new Map<Socket, NodeJS.Timeout>();
  /** Connections closed for being past the cap, and for missing the deadline (tests and mntr read them). */
  refused = 0;
  timedOut = 0;
  private refusedUnlogged = 0;
  private lastRefusalLogAtMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: HandshakeLimitsOptions) {}

  /** Connections that have not finished their handshake. */
  get count(): number {
    return this.handshaking.size;
  }

  /**
   * A connection was accepted. Returns false, with the socket destroyed and the
   * refusal counted, when the cap is reached; otherwise its deadline starts:
   * when it passes before `done`, `expire` is called with the reason (it must
   * close the connection; by default the socket is destroyed).
   */
  begin(socket: Socket, expire: (reason: string) => void = () => socket.destroy()): boolean {
    const { handshakeMs, handshakingMax, port } = this.options;
    if (this.handshaking.size >= handshakingMax) {
      this.refused++;
      this.logRefusal(socket);
      socket.destroy();
      return false;
    }
    const timer = setTimeout(() => {
      if (!this.handshaking.has(socket)) return;
      this.handshaking.delete(socket);
      this.timedOut++;
      const reason = `no handshake within ${handshakeMs} ms`;
      this.options.log('warn', 'peer-handshake-timeout', { port, remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, bytesRead: socket.bytesRead, handshakeMs });
      expire(reason);
      socket.destroy();
    }, handshakeMs);
    this.handshaking.set(socket, timer);
    socket.once('close', () => this.done(socket));
    return true;
  }

  /** The peer has introduced itself (or the connection is gone): its deadline no longer applies. */
  done(socket: Socket): void {
    const timer = this.handshaking.get(socket);
    if (timer === undefined) return;
    clearTimeout(timer);
    this.handshaking.delete(socket);
  }

  /** Closes every connection still handshaking (the port is closing). */
  closeAll(): void {
    for (const [socket, timer] of this.handshaking) {
      clearTimeout(timer);
      socket.destroy();
    }
    this.handshaking.clear();
  }

  private logRefusal(socket: Socket): void {
    this.refusedUnlogged++;
    const now = performance.now();
    if (now - this.lastRefusalLogAtMs < refusalLogIntervalMs) return;
    this.lastRefusalLogAtMs = now;
    const { port, handshakingMax } = this.options;
    this.options.log('warn', 'peer-handshakes-full', {
      port,
      remoteAddress: socket.remoteAddress,
      refused: this.refusedUnlogged,
      handshakingMax,
      message: 'too many connections have not finished their handshake (quorum.cnxn.threads.size); closing the new ones',
    });
    this.refusedUnlogged = 0;
  }
}
