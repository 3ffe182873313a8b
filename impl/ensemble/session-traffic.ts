// The quorum-port packets that carry client sessions rather than Zab state
// (Learner.request, Learner.ping, LearnerHandler's REQUEST and PING cases):
//
// - REQUEST (learner -> leader, zxid -1): long sessionId, int cxid, int type,
//   then the request's bytes as the client sent them; authinfo carries the
//   connection's auth ids, so the leader preps with the client's identity.
// - PING (leader -> learner: zxid = last proposed, no data; learner ->
//   leader: the learner's session touches, (long sessionId, int timeout)*).
// - SYNC (leader -> learner, zxid 0): a forwarded sync() may complete: every
//   proposal made before it has been committed.

import type { Id } from '../protocol/records.ts';
import { PacketType, type QuorumPacket } from '../quorum/wire.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import { sessionPasswdBytes } from '../tree/txn.ts';

export interface ForwardedRequestWire {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  readonly body: Uint8Array;
  readonly authIds: readonly Id[];
}

export function requestPacket(request: ForwardedRequestWire): QuorumPacket {
  const data = new Uint8Array(16 + request.body.byteLength);
  const view = new DataView(data.buffer);
  view.setBigInt64(0, request.sessionId);
  view.setInt32(8, request.cxid);
  view.setInt32(12, request.type);
  data.set(request.body, 16);
  return { type: PacketType.REQUEST, zxid: -1n, data, authinfo: request.authIds.length === 0 ? undefined : request.authIds };
}

export function decodeRequestPacket(packet: QuorumPacket): Result<ForwardedRequestWire, string> {
  const data = packet.data;
  if (data === undefined || data.byteLength < 16) return err(`REQUEST with ${data?.byteLength ?? 'no'} bytes of data (at least 16)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return ok({ sessionId: view.getBigInt64(0), cxid: view.getInt32(8), type: view.getInt32(12), body: data.subarray(16), authIds: packet.authinfo ?? [] });
}

export interface SessionTouch {
  readonly sessionId: bigint;
  readonly timeoutMs: number;
}

export function pingPacket(zxid: bigint, touches: readonly SessionTouch[] | undefined): QuorumPacket {
  if (touches === undefined) return { type: PacketType.PING, zxid, data: undefined, authinfo: undefined };
  const data = new Uint8Array(12 * touches.length);
  const view = new DataView(data.buffer);
  touches.forEach((t, i) => {
    view.setBigInt64(12 * i, t.sessionId);
    view.setInt32(12 * i + 8, t.timeoutMs);
  });
  return { type: PacketType.PING, zxid, data, authinfo: undefined };
}

export function decodePingTouches(packet: QuorumPacket): Result<SessionTouch[], string> {
  const data = packet.data;
  if (data === undefined) return ok([]);
  if (data.byteLength % 12 !== 0) return err(`PING with ${data.byteLength} bytes of session touches (a multiple of 12)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const touches: SessionTouch[] = [];
  for (let offset = 0; offset < data.byteLength; offset += 12) touches.push({ sessionId: view.getBigInt64(offset), timeoutMs: view.getInt32(offset + 8) });
  return ok(touches);
}

export const syncPacket: QuorumPacket = { type: PacketType.SYNC, zxid: 0n, data: undefined, authinfo: undefined };

/**
 * REVALIDATE (Learner.validateSession, LearnerHandler's REVALIDATE case): a
 * client reconnects to a learner with an existing session; the learner asks
 * the leader, which owns session liveness, with (long sessionId, int timeout,
 * then our 16-byte password) and gets back (long sessionId, boolean valid).
 */
export function revalidateRequestPacket(sessionId: bigint, timeoutMs: number, passwd: Uint8Array): QuorumPacket {
  const data = new Uint8Array(12 + passwd.byteLength);
  const view = new DataView(data.buffer);
  view.setBigInt64(0, sessionId);
  view.setInt32(8, timeoutMs);
  data.set(passwd, 12);
  return { type: PacketType.REVALIDATE, zxid: -1n, data, authinfo: undefined };
}

/**
 * ZooKeeper's 12 bytes, or ours: the 16-byte password the client brought
 * after them, which the leader checks against its tree (a learner's tree may
 * not know a session another member has just created; impl/server/session-password.ts).
 * ZooKeeper's LearnerHandler reads the first 12 and ignores the rest.
 */
export function decodeRevalidateRequest(packet: QuorumPacket): Result<SessionTouch & { readonly passwd: Uint8Array | undefined }, string> {
  const data = packet.data;
  if (data === undefined || (data.byteLength !== 12 && data.byteLength !== 12 + sessionPasswdBytes)) {
    return err(`REVALIDATE request with ${data?.byteLength ?? 'no'} bytes (12, or ${12 + sessionPasswdBytes} with a password)`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const passwd = data.byteLength === 12 ? undefined : data.slice(12);
  return ok({ sessionId: view.getBigInt64(0), timeoutMs: view.getInt32(8), passwd });
}

export function revalidateReplyPacket(sessionId: bigint, valid: boolean): QuorumPacket {
  const data = new Uint8Array(9);
  const view = new DataView(data.buffer);
  view.setBigInt64(0, sessionId);
  data[8] = valid ? 1 : 0;
  return { type: PacketType.REVALIDATE, zxid: -1n, data, authinfo: undefined };
}

export function decodeRevalidateReply(packet: QuorumPacket): Result<{ sessionId: bigint; valid: boolean }, string> {
  const data = packet.data;
  if (data === undefined || data.byteLength !== 9) return err(`REVALIDATE reply with ${data?.byteLength ?? 'no'} bytes (9)`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return ok({ sessionId: view.getBigInt64(0), valid: data[8] !== 0 });
}
