// Raft messages between members over TCP, on each member's quorum port
// (`server.N=host:quorumPort:electionPort`; Raft has no separate election
// traffic, so the election port stays unused). One outbound connection per
// peer carries our messages to it; the peer's own outbound connection
// carries its messages to us. Each connection opens with a Hello (wire.ts).
//
// Raft tolerates lost messages (a leader retransmits on its heartbeats and
// the election timer covers the rest), so the transport never blocks the
// driver: a message to a peer that is not connected waits in a short queue
// while a connection is being made and is dropped beyond it, and a peer that
// refused a connection is not dialled again for `redialMs`.
//
// Input from a peer is untrusted: a frame that breaks the framing, does not
// validate, or names another sender or receiver closes that connection with
// a warning; nothing a peer sends can throw in here.

import { createServer, connect, type Server, type Socket } from 'node:net';
import { FrameDecoder } from '../protocol/frame-decoder.ts';
import type { Message } from '../raft/types.ts';
import { decodePeerFrame, encodePeerFrame, peerFrameBytesMax } from './wire.ts';

export type MemberLog = (level: 'info' | 'warn' | 'error', event: string, fields?: Record<string, unknown>) => void;

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

export interface TransportOptions {
  readonly id: number;
  /** Every other voter's quorum address. */
  readonly peers: ReadonlyMap<number, PeerAddress>;
  readonly listen: PeerAddress;
  readonly onMessage: (message: Message) => void;
  readonly log: MemberLog;
  /** Frames kept for a peer while its connection is being made (default 1024). */
  readonly queuedFramesMax?: number;
  readonly redialMs?: number;
  /** An accepted connection that has not said hello within this is closed (default 5000, zoo.cfg's cnxTimeout). */
  readonly helloTimeoutMs?: number;
}

interface Outbound {
  socket: Socket;
  connected: boolean;
  queue: Uint8Array[];
}

export class RaftTransport {
  readonly #outbound = new Map<number, Outbound>();
  readonly #inbound = new Set<Socket>();
  readonly #lastFailureMs = new Map<number, number>();
  #server: Server | undefined;
  #closed = false;

  constructor(private readonly options: TransportOptions) {}

  /** Listens on the quorum port; resolves with the port bound (the one asked for, or the kernel's pick for 0). */
  async start(): Promise<number> {
    const server = createServer((socket) => this.accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: this.options.listen.host, port: this.options.listen.port }, () => resolve());
    });
    server.on('error', (error) => this.options.log('error', 'raft-transport-listen-error', { message: error.message }));
    const address = server.address();
    return typeof address === 'object' && address !== null ? address.port : this.options.listen.port;
  }

  send(message: Message): void {
    if (this.#closed) return;
    const peer = this.options.peers.get(message.to);
    if (peer === undefined) {
      this.options.log('warn', 'raft-send-to-stranger', { to: message.to, type: message.type });
      return;
    }
    const bytes = encodePeerFrame({ kind: 'message', message });
    let out = this.#outbound.get(message.to);
    if (out === undefined) {
      const failedAt = this.#lastFailureMs.get(message.to);
      if (failedAt !== undefined && performance.now() - failedAt < (this.options.redialMs ?? 100)) return;
      out = this.dial(message.to, peer);
    }
    if (out.connected) out.socket.write(bytes);
    else if (out.queue.length < (this.options.queuedFramesMax ?? 1024)) out.queue.push(bytes);
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const out of this.#outbound.values()) out.socket.destroy();
    this.#outbound.clear();
    for (const socket of this.#inbound) socket.destroy();
    this.#inbound.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private dial(to: number, peer: PeerAddress): Outbound {
    const socket = connect({ host: peer.host, port: peer.port });
    socket.setNoDelay(true);
    const out: Outbound = { socket, connected: false, queue: [] };
    this.#outbound.set(to, out);
    socket.on('connect', () => {
      out.connected = true;
      socket.write(encodePeerFrame({ kind: 'hello', from: this.options.id, to }));
      for (const bytes of out.queue) socket.write(bytes);
      out.queue = [];
    });
    // We only write on this connection; whatever the peer sends back is ignored.
    socket.on('data', () => undefined);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      if (!out.connected) this.#lastFailureMs.set(to, performance.now());
      if (this.#outbound.get(to) === out) this.#outbound.delete(to);
    });
    return out;
  }

  private accept(socket: Socket): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    this.#inbound.add(socket);
    socket.setNoDelay(true);
    const decoder = new FrameDecoder(peerFrameBytesMax);
    const remote = `${socket.remoteAddress}:${socket.remotePort}`;
    let from: number | undefined;
    const refuse = (reason: string): false => {
      this.options.log('warn', 'raft-peer-frame-refused', { remote, from, reason });
      socket.destroy();
      return false;
    };
    const helloTimeoutMs = this.options.helloTimeoutMs ?? 5000;
    const helloTimer = setTimeout(() => refuse(`no hello within ${helloTimeoutMs} ms`), helloTimeoutMs);
    socket.on('data', (chunk: Buffer) => {
      const broken = decoder.push(chunk, (payload) => {
        if (socket.destroyed) return false;
        const decoded = decodePeerFrame(payload);
        if (!decoded.ok) return refuse(decoded.error);
        const f = decoded.value;
        if (from === undefined) {
          if (f.kind !== 'hello') return refuse(`the first frame is a ${f.kind}, not a hello`);
          if (f.to !== this.options.id || !this.options.peers.has(f.from)) return refuse(`hello from ${f.from} to ${f.to}: not a peer of member ${this.options.id}`);
          from = f.from;
          clearTimeout(helloTimer);
          return true;
        }
        if (f.kind !== 'message') return refuse('a second hello');
        if (f.message.from !== from || f.message.to !== this.options.id) return refuse(`a ${f.message.type} from ${f.message.from} to ${f.message.to} on ${from}'s connection`);
        this.options.onMessage(f.message);
        return true;
      });
      if (broken !== undefined) refuse(`bad framing: ${broken.kind} (${broken.length} bytes)`);
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(helloTimer);
      this.#inbound.delete(socket);
    });
  }
}
