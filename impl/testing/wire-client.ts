// A raw ZooKeeper session for the load generator (impl/bench) and the ensemble's
// safety stories: one session over one TCP connection,
// speaking the wire protocol through impl/protocol's codec. Requests are
// pipelined (sent without waiting for earlier replies); a ZooKeeper server
// answers each session's requests in order (ZooKeeper Programmer's Guide,
// "Ordering"), so replies are matched to requests by position in a FIFO, and
// the xid is checked. Callbacks rather than promises, and a FIFO with a head
// index rather than Array.shift, keep the generator's cost per request small
// so that it measures the server, not itself.

import { connect, type Socket } from 'node:net';
import { connect as connectTls, type ConnectionOptions } from 'node:tls';
import { OpCode } from '../protocol/constants.ts';
import { FrameDecoder, frame } from '../protocol/frame-decoder.ts';
import { decodeRecord, encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';

/** `zxid`: the reply header's (undefined when no reply came: a lost connection). */
export type ReplyCallback = (err: number, body: Uint8Array, zxid?: bigint) => void;

/** KeeperException.Code.CONNECTIONLOSS. */
export const connectionLoss = -4;

type Pending = { readonly xid: number; readonly onReply: ReplyCallback };

export class WireSession {
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private pending: Pending[] = [];
  private head = 0;
  private nextXid = 1;
  private handshakeDone: ((response: R.ConnectResponse) => void) | undefined;
  private failure: ((error: Error) => void) | undefined;
  sessionId = 0n;
  closed = false;
  /** Watch notifications (xid -1): the WatcherEvent record after the ReplyHeader. */
  onNotification: ((event: Uint8Array) => void) | undefined;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      // Requests sent from reply callbacks leave in one write per chunk.
      socket.cork();
      const error = this.decoder.push(chunk, (payload) => this.onFrame(payload));
      socket.uncork();
      if (error !== undefined) this.fail(new Error(`framing error from server: ${error.kind}`));
    });
    socket.on('error', (error) => this.fail(error));
    socket.on('close', () => this.fail(new Error('connection closed by the server')));
  }

  /** Connects and establishes a session (ConnectRequest with the readOnly byte, as 3.8 clients send). */
  static open(port: number, sessionTimeoutMs = 30_000, host = '127.0.0.1'): Promise<WireSession> {
    return WireSession.handshake((onConnected) => connect({ host, port }, onConnected), sessionTimeoutMs);
  }

  /** The same over TLS (secureClientPort): `options` carries the host, port, certificates and checks of node:tls.connect. */
  static openTls(options: ConnectionOptions, sessionTimeoutMs = 30_000): Promise<WireSession> {
    return WireSession.handshake((onConnected) => connectTls(options, onConnected), sessionTimeoutMs);
  }

  private static handshake(dial: (onConnected: () => void) => Socket, sessionTimeoutMs: number): Promise<WireSession> {
    return new Promise((resolve, reject) => {
      const socket = dial(() => {
        const session = new WireSession(socket);
        session.failure = reject;
        session.handshakeDone = (response) => {
          session.sessionId = response.sessionId;
          session.failure = undefined;
          if (response.timeOut <= 0) reject(new Error('session refused'));
          else resolve(session);
        };
        const request: R.ConnectRequest = { protocolVersion: 0, lastZxidSeen: 0n, timeOut: sessionTimeoutMs, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false };
        socket.write(frame(encodeRecord(request, R.ConnectRequest.write)));
      });
      socket.once('error', reject);
      // A TLS server that refuses the client's certificate may close after the client's handshake finished (TLS 1.3).
      socket.once('close', () => reject(new Error('connection closed by the server')));
    });
  }

  /** Requests sent and not yet answered. */
  get outstanding(): number {
    return this.pending.length - this.head;
  }

  /** Sends one request: `body` is the encoded request record (without the header). */
  send(type: number, body: Uint8Array, onReply: ReplyCallback): void {
    if (this.closed) {
      // CONNECTIONLOSS, as a client library reports it; asynchronously, like a real reply.
      queueMicrotask(() => onReply(connectionLoss, new Uint8Array(0)));
      return;
    }
    const xid = this.nextXid++;
    const payload = new Uint8Array(8 + body.byteLength + 4);
    const view = new DataView(payload.buffer);
    view.setInt32(0, 8 + body.byteLength);
    view.setInt32(4, xid);
    view.setInt32(8, type);
    payload.set(body, 12);
    this.pending.push({ xid, onReply });
    this.socket.write(payload);
  }

  /** Sends closeSession and closes the connection once it is answered (or after 2 s). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, 2000);
      this.failure = () => resolve();
      this.send(OpCode.closeSession, new Uint8Array(0), () => {
        clearTimeout(timer);
        this.closed = true;
        this.socket.destroy();
        resolve();
      });
    });
  }

  /** A ping (xid -2, as clients send one every third of the session timeout when idle); its answer is not matched to requests. */
  ping(): void {
    if (this.closed) return;
    const payload = new Uint8Array(12);
    const view = new DataView(payload.buffer);
    view.setInt32(0, 8);
    view.setInt32(4, -2);
    view.setInt32(8, OpCode.ping);
    this.socket.write(payload);
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onFrame(payload: Uint8Array): void {
    if (this.handshakeDone !== undefined) {
      const done = this.handshakeDone;
      this.handshakeDone = undefined;
      const response = decodeRecord(payload, R.ConnectResponse.read, true);
      if (!response.ok) {
        this.fail(new Error(`bad ConnectResponse: ${response.error}`));
        return;
      }
      done(response.value);
      return;
    }
    const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
    const xid = view.getInt32(0);
    const err = view.getInt32(12);
    if (xid === -1) this.onNotification?.(payload.subarray(16));
    if (xid < 0) return; // notifications (-1) and pings (-2): not requests of ours
    const next = this.pending[this.head];
    if (next === undefined || next.xid !== xid) {
      this.fail(new Error(`reply xid ${xid} does not match the oldest request ${next?.xid}`));
      return;
    }
    this.head++;
    if (this.head > 4096 && this.head * 2 > this.pending.length) {
      this.pending = this.pending.slice(this.head);
      this.head = 0;
    }
    next.onReply(err, payload.subarray(16), view.getBigInt64(4));
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.failure?.(error);
    this.failure = undefined;
    this.socket.destroy();
    const unanswered = this.pending.slice(this.head);
    this.pending = [];
    this.head = 0;
    for (const p of unanswered) p.onReply(connectionLoss, new Uint8Array(0));
  }
}

const openAcl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

/** Encoded request bodies for the benchmark's operations. */
export const requests = {
  create(path: string, data: Uint8Array, acl: readonly R.ACL[] = openAcl): Uint8Array {
    const w = new JuteWriter(64 + path.length + data.byteLength + 64 * acl.length);
    R.CreateRequest.write(w, { path, data, acl: [...acl], flags: 0 });
    return w.toBytes();
  },
  setData(path: string, data: Uint8Array): Uint8Array {
    const w = new JuteWriter(32 + path.length + data.byteLength);
    R.SetDataRequest.write(w, { path, data, version: -1 });
    return w.toBytes();
  },
  getData(path: string, watch = false): Uint8Array {
    const w = new JuteWriter(16 + path.length);
    R.GetDataRequest.write(w, { path, watch });
    return w.toBytes();
  },
  exists(path: string, watch: boolean): Uint8Array {
    const w = new JuteWriter(16 + path.length);
    R.ExistsRequest.write(w, { path, watch });
    return w.toBytes();
  },
};
