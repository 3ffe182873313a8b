// One observer's connection as the leader's `observers` command lists it
// (LearnerHandler.getLearnerHandlerInfo in ZooKeeper 3.8.0), from the
// leader's QuorumConnection to that observer.
//
// queued_packets and queued_packets_size are LearnerHandler's sender queue,
// between the leader's thread and the one writing the socket. Here packets
// go to the socket as they are sent, in the same thread, so no packet is
// queued when a command runs: queued_packets is 0 and queued_packets_size the
// bytes node has not yet handed to the kernel (the socket's writableLength).

import type { ObserverForAdmin } from '../admin/admin-commands.ts';
import type { QuorumConnection } from './quorum-connection.ts';

export function observerInfo(sid: number, connection: QuorumConnection): ObserverForAdmin {
  const { socket } = connection;
  const host = socket.remoteAddress ?? '';
  return {
    // Socket.getRemoteSocketAddress().toString(): "/127.0.0.1:54321" (IPv6 unbracketed, as InetSocketAddress prints it).
    remoteSocketAddress: `/${host}:${socket.remotePort ?? 0}`,
    sid,
    establishedAtMs: connection.establishedAtMs,
    queuedPackets: 0,
    queuedPacketsSize: socket.writableLength,
    packetsReceived: connection.packetsReceived,
    packetsSent: connection.packetsSent,
    requests: connection.requestsReceived,
    lastZxid: connection.lastZxidSent,
  };
}
