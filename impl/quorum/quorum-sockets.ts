// How a member opens its election and quorum connections: plain TCP, or TLS with
// mutual authentication when zoo.cfg sets sslQuorum (ZooKeeper's QuorumX509Util,
// used by QuorumCnxManager and the Leader/Learner sockets). The connection
// managers take one of these and never know which: a socket handed to them is
// ready to carry their bytes (connected, or connected, handshaken and its peer's
// certificate checked).

import net from 'node:net';
import type { QuorumAuthenticator } from './quorum-auth.ts';

export type QuorumSockets = {
  /** A listener whose handler gets each connection once it is usable. */
  createServer(onConnection: (socket: net.Socket) => void): net.Server;
  /** Dials host:port; `onConnected` once the socket is usable; failures are the socket's 'error'. */
  connect(host: string, port: number, onConnected: () => void): net.Socket;
};

/** Plain TCP with Nagle off, as the members always used. */
export const plainQuorumSockets: QuorumSockets = {
  createServer: (onConnection) => net.createServer({ noDelay: true }, onConnection),
  connect: (host, port, onConnected) => {
    const socket = net.connect({ host, port, noDelay: true });
    socket.once('connect', onConnected);
    return socket;
  },
};

/** One line about a peer's authentication, in the shape of cnx-manager.ts's ElectionLog. */
export type QuorumAuthLog = (level: 'info' | 'warn', event: string, fields: Readonly<Record<string, string | number | undefined>>) => void;

/**
 * The quorum port's connections with SASL (quorum.auth.enableSasl): a learner
 * authenticates right after connecting, before its first packet
 * (Learner.connectToLeader); the leader authenticates each learner before it
 * reads anything else (LearnerHandler). A connection is handed on only once
 * that is done: a refused learner is closed here and its dial fails with the
 * reason (the socket's 'error'), which the learner run treats as any failed
 * connection attempt.
 */
export function authenticatedQuorumSockets(inner: QuorumSockets, authenticator: QuorumAuthenticator, log: QuorumAuthLog): QuorumSockets {
  return {
    createServer: (onConnection) =>
      inner.createServer((socket) => {
        socket.pause();
        // Until the run's connection takes the socket over, its errors are this code's: the outcome below says what happened.
        socket.on('error', () => {});
        const peer = { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, port: 'quorum' };
        void authenticator.server(socket, new Uint8Array(0)).then((outcome) => {
          if (outcome.kind === 'refused') {
            log('warn', 'quorum-learner-auth-refused', { ...peer, reason: outcome.reason });
            socket.destroy();
            return;
          }
          if (outcome.kind === 'tolerated') log('warn', 'quorum-learner-auth-tolerated', { ...peer, reason: outcome.reason });
          else log('info', 'quorum-learner-authenticated', { ...peer, authorizationId: outcome.authorizationId });
          if (socket.destroyed) return;
          onConnection(socket);
          socket.resume();
        }, (error: unknown) => refuseOnBug(socket, log, error));
      }),
    connect: (host, port, onConnected) => {
      const socket: net.Socket = inner.connect(host, port, () => {
        void authenticator.learner(socket).then((outcome) => {
          if (socket.destroyed) return;
          if (!outcome.ok) {
            log('warn', 'quorum-auth-failed', { host, port, reason: outcome.error });
            socket.destroy(new Error(`SASL authentication to ${host}:${port} failed: ${outcome.error}`));
            return;
          }
          if (outcome.value === 'authenticated') log('info', 'quorum-authenticated', { host, port });
          onConnected();
          socket.resume();
        }, (error: unknown) => refuseOnBug(socket, log, error));
      });
      return socket;
    },
  };
}

/** An exchange that threw is our bug, not the peer's: that connection closes, the member goes on, and the log says so. */
function refuseOnBug(socket: net.Socket, log: QuorumAuthLog, error: unknown): void {
  log('warn', 'quorum-auth-error', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  socket.destroy();
}
