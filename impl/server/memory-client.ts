// A client for tests of ServerCore: attached through an in-memory sink, it
// sends wire-protocol frames and decodes what comes back (the connect
// response, replies, watch events, the close), throwing on anything that does
// not decode. core.test.ts and replication.test.ts tell their stories with it.

import { FrameDecoder } from '../protocol/frame-decoder.ts';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import type { ServerCore } from './core.ts';

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array | null) => (b === null ? null : new TextDecoder().decode(b));

export type Seen =
  | { kind: 'connect'; response: R.ConnectResponse }
  | { kind: 'reply'; header: R.ReplyHeader; body: Uint8Array }
  | { kind: 'event'; event: R.WatcherEvent }
  | { kind: 'closed'; reason: string };

/** A client attached to a core through an in-memory sink, speaking the wire protocol. */
export class MemoryClient {
  readonly seen: Seen[] = [];
  readonly id: number;
  private readonly decoder = new FrameDecoder();
  private handshaken = false;
  constructor(readonly core: ServerCore) {
    this.id = core.openConnection(
      {
        send: (data) =>
          this.decoder.push(data, (payload) => {
            if (!this.handshaken) {
              this.handshaken = true;
              const r = decodeRecord(payload, R.ConnectResponse.read);
              if (!r.ok) throw new Error(r.error);
              this.seen.push({ kind: 'connect', response: r.value });
              return;
            }
            const header = decodeRecord(payload.subarray(0, 16), R.ReplyHeader.read);
            if (!header.ok) throw new Error(header.error);
            if (header.value.xid === -1) {
              const event = decodeRecord(payload.subarray(16), R.WatcherEvent.read);
              if (!event.ok) throw new Error(event.error);
              this.seen.push({ kind: 'event', event: event.value });
            } else this.seen.push({ kind: 'reply', header: header.value, body: payload.slice(16) });
          }),
        close: (reason) => this.seen.push({ kind: 'closed', reason }),
      },
      '127.0.0.1',
      5000,
    );
  }
  /** `readOnly`: the ConnectRequest's trailing flag; undefined leaves the byte out, as a pre-3.4 client does. */
  connect(timeOut: number, session?: { sessionId: bigint; passwd: Uint8Array }, lastZxidSeen = 0n, readOnly: boolean | undefined = false): void {
    const request = { protocolVersion: 0, lastZxidSeen, timeOut, sessionId: session?.sessionId ?? 0n, passwd: session?.passwd ?? new Uint8Array(16), readOnly };
    this.core.receiveFrame(this.id, encodeRecord(request, R.ConnectRequest.write));
  }
  send<T>(xid: number, type: number, codec?: R.Codec<T>, body?: T): void {
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid, type });
    if (codec !== undefined && body !== undefined) codec.write(w, body);
    this.core.receiveFrame(this.id, w.toBytes());
  }
  create(xid: number, path: string, data = '', flags = 0): void {
    this.send(xid, OpCode.create, R.CreateRequest, { path, data: bytes(data), acl, flags });
  }
  getData(xid: number, path: string, watch = false): void {
    this.send(xid, OpCode.getData, R.GetDataRequest, { path, watch });
  }
  setData(xid: number, path: string, data: string, version = -1): void {
    this.send(xid, OpCode.setData, R.SetDataRequest, { path, data: bytes(data), version });
  }
  get session(): R.ConnectResponse {
    const connect = this.seen.find((s) => s.kind === 'connect');
    if (connect?.kind !== 'connect') throw new Error('not connected');
    return connect.response;
  }
  get replies(): { header: R.ReplyHeader; body: Uint8Array }[] {
    return this.seen.flatMap((s) => (s.kind === 'reply' ? [s] : []));
  }
  /** [xid, zxid, err] of each reply. */
  get answers(): [number, bigint, number][] {
    return this.replies.map((r) => [r.header.xid, r.header.zxid, r.header.err]);
  }
  /** The data of a getData reply as text; null for a null buffer. */
  dataOf(xid: number): string | null {
    const reply = this.replies.find((r) => r.header.xid === xid);
    if (reply === undefined) throw new Error(`no reply to ${xid}`);
    const decoded = decodeRecord(reply.body, R.GetDataResponse.read);
    if (!decoded.ok) throw new Error(decoded.error);
    return text(decoded.value.data);
  }
  get kinds(): string[] {
    return this.seen.map((s) => s.kind);
  }
}
