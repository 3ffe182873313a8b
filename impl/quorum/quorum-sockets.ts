// How a member opens its election and quorum connections: plain TCP, or TLS with
// mutual authentication when zoo.cfg sets sslQuorum (ZooKeeper's QuorumX509Util,
// used by QuorumCnxManager and the Leader/Learner sockets). The connection
// managers take one of these and never know which: a socket handed to them is
// ready to carry their bytes (connected, or connected, handshaken and its peer's
// certificate checked).

import net from 'node:net';

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
