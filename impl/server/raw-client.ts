// A minimal ZooKeeper client over our own codec, for tests that need to do what
// real clients do not: go silent to let a session expire, reconnect with a chosen
// password, send malformed or unknown frames. Replies are matched by arrival
// order, as ZooKeeper sends them.

import { connect, type Socket } from 'node:net';
import { OpCode, Xid } from '../protocol/constants.ts';
import { FrameDecoder, frame } from '../protocol/frame-decoder.ts';
import { decodeRecord, encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';

export type Reply = { header: R.ReplyHeader; body: Uint8Array };

export type Received = { kind: 'reply'; header: R.ReplyHeader; body: Uint8Array } | { kind: 'event'; zxid: bigint; event: R.WatcherEvent };

export class RawClient {
  readonly events: R.WatcherEvent[] = [];
  /** Every reply and event in arrival order. */
  readonly received: Received[] = [];
  private readonly waiting: ((reply: Reply) => void)[] = [];
  private readonly eventWaiters: (() => void)[] = [];
  private connectWaiter: ((response: R.ConnectResponse) => void) | undefined;
  private readonly decoder = new FrameDecoder(64 * 1024 * 1024);
  private xid = 1;
  closed: Promise<void>;
  isClosed = false;
  session: { sessionId: bigint; passwd: Uint8Array; timeOut: number } | undefined;

  static readonly closedErr = 1;

  private constructor(readonly socket: Socket) {
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        this.isClosed = true;
        // Requests still waiting get a sentinel reply (err 1 is no ZooKeeper code): the server closed on them.
        for (const waiter of this.waiting.splice(0)) waiter({ header: { xid: 0, zxid: -1n, err: RawClient.closedErr }, body: new Uint8Array(0) });
        resolve();
      }),
    );
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      this.decoder.push(chunk, (payload) => {
        const copy = payload.slice();
        if (this.connectWaiter !== undefined) {
          const waiter = this.connectWaiter;
          this.connectWaiter = undefined;
          const response = decodeRecord(copy, R.ConnectResponse.read);
          if (!response.ok) throw new Error(response.error);
          waiter(response.value);
          return;
        }
        const header = decodeRecord(copy.subarray(0, 16), R.ReplyHeader.read);
        if (!header.ok) throw new Error(header.error);
        const body = copy.subarray(16);
        if (header.value.xid === Xid.notification) {
          const event = decodeRecord(body, R.WatcherEvent.read);
          if (!event.ok) throw new Error(event.error);
          this.events.push(event.value);
          this.received.push({ kind: 'event', zxid: header.value.zxid, event: event.value });
          for (const w of this.eventWaiters.splice(0)) w();
          return;
        }
        this.received.push({ kind: 'reply', header: header.value, body });
        this.waiting.shift()?.({ header: header.value, body });
      });
    });
  }

  static open(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Sends a ConnectRequest (with the readOnly byte, as 3.8 clients do) and waits for the response. */
  handshake(options: { timeOut?: number; sessionId?: bigint; passwd?: Uint8Array; lastZxidSeen?: bigint; readOnly?: boolean } = {}): Promise<R.ConnectResponse> {
    const request: R.ConnectRequest = {
      protocolVersion: 0,
      lastZxidSeen: options.lastZxidSeen ?? 0n,
      timeOut: options.timeOut ?? 30000,
      sessionId: options.sessionId ?? 0n,
      passwd: options.passwd ?? new Uint8Array(16),
      readOnly: options.readOnly ?? false,
    };
    return new Promise((resolve, reject) => {
      void this.closed.then(() => {
        if (this.connectWaiter !== undefined) reject(new Error('connection closed during the handshake'));
      });
      this.connectWaiter = (response) => {
        if (response.timeOut > 0) this.session = { sessionId: response.sessionId, passwd: response.passwd, timeOut: response.timeOut };
        resolve(response);
      };
      this.socket.write(frame(encodeRecord(request, R.ConnectRequest.write)));
    });
  }

  /** Sends one request and resolves with its reply. */
  request<T>(type: number, codec: R.Codec<T> | undefined, body: T | undefined, xid = this.xid++): Promise<Reply> {
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid, type });
    if (codec !== undefined && body !== undefined) codec.write(w, body);
    return this.sendRaw(w.toBytes());
  }

  /** Sends an arbitrary payload (framed) and expects one reply. */
  sendRaw(payload: Uint8Array): Promise<Reply> {
    return new Promise((resolve) => {
      if (this.isClosed) {
        resolve({ header: { xid: 0, zxid: -1n, err: RawClient.closedErr }, body: new Uint8Array(0) });
        return;
      }
      this.waiting.push(resolve);
      this.socket.write(frame(payload));
    });
  }

  write(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  create(path: string, data = '', flags = 0): Promise<Reply> {
    return this.request(OpCode.create, R.CreateRequest, {
      path,
      data: new TextEncoder().encode(data),
      acl: [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }],
      flags,
    });
  }

  exists(path: string, watch = false): Promise<Reply> {
    return this.request(OpCode.exists, R.ExistsRequest, { path, watch });
  }

  nextEvent(timeoutMs = 5000): Promise<R.WatcherEvent> {
    const seen = this.events.length;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no watch event')), timeoutMs);
      const check = () => {
        if (this.events.length > seen) {
          clearTimeout(timer);
          resolve(this.events[seen]!);
        } else this.eventWaiters.push(check);
      };
      check();
    });
  }

  close(): void {
    this.socket.destroy();
  }
}
