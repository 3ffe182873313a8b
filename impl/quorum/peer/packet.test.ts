// Every core message survives the wire: message -> QuorumPacket -> bytes ->
// QuorumPacket -> message; a few packets are pinned byte for byte.

import { describe, expect, it } from 'vitest';
import { decodeQuorumPacket, encodeQuorumPacket, PacketType } from '../wire.ts';
import { fromQuorumPacket, toQuorumPacket, type PacketContext } from './packet.ts';
import type { PeerMessage } from './types.ts';

const context: PacketContext = { sid: 2, configVersion: 0n, quorumVerifier: new TextEncoder().encode('version=0') };
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const txn = { zxid: 0x3_0000_0007n, data: new Uint8Array([1, 2, 3]) };
const snapshot = [{ zxid: 0x1_0000_0001n, data: new Uint8Array([9]) }];

const messages: PeerMessage[] = [
  { type: 'FOLLOWERINFO', acceptedEpoch: 4 },
  { type: 'OBSERVERINFO', acceptedEpoch: 4 },
  { type: 'LEADERINFO', epoch: 5 },
  { type: 'ACKEPOCH', currentEpoch: 4, lastZxid: 0x4_0000_0009n },
  { type: 'ACKEPOCH', currentEpoch: -1, lastZxid: 0x4_0000_0009n },
  { type: 'DIFF', zxid: 0x4_0000_0009n },
  { type: 'TRUNC', zxid: 0x4_0000_0002n },
  { type: 'SNAP', zxid: 0x1_0000_0001n, snapshot },
  { type: 'PROPOSAL', txn },
  { type: 'COMMIT', zxid: txn.zxid },
  { type: 'INFORM', txn },
  { type: 'NEWLEADER', epoch: 5 },
  { type: 'ACKLD', epoch: 5 },
  { type: 'UPTODATE' },
  { type: 'ACK', zxid: txn.zxid },
];

describe('core messages as QuorumPackets', () => {
  it.each(messages.map((m) => [m.type, m] as const))('%s round-trips through the wire', (_, message) => {
    const bytes = encodeQuorumPacket(toQuorumPacket(message, context));
    const decoded = decodeQuorumPacket(bytes);
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(fromQuorumPacket(decoded.value, message.type === 'SNAP' ? snapshot : [])).toEqual({ ok: true, value: message });
  });

  it('LEADERINFO is type 17, zxid newEpoch << 32, data the protocol version 0x10000, authinfo null', () => {
    expect(hex(encodeQuorumPacket(toQuorumPacket({ type: 'LEADERINFO', epoch: 5 }, context)))).toBe('00000011' + '0000000500000000' + '00000004' + '00010000' + 'ffffffff');
  });

  it('FOLLOWERINFO carries acceptedEpoch << 32 and LearnerInfo {sid, 0x10000, configVersion}', () => {
    const p = toQuorumPacket({ type: 'FOLLOWERINFO', acceptedEpoch: 4 }, context);
    expect(p.type).toBe(PacketType.FOLLOWERINFO);
    expect(p.zxid).toBe(0x4_0000_0000n);
    expect(hex(p.data!)).toBe('0000000000000002' + '00010000' + '0000000000000000');
  });

  it('the ACK of NEWLEADER is an ACK with zxid newEpoch << 32; an ACK of a proposal is not mistaken for it', () => {
    expect(toQuorumPacket({ type: 'ACKLD', epoch: 5 }, context)).toEqual({ type: PacketType.ACK, zxid: 0x5_0000_0000n, data: undefined, authinfo: undefined });
    expect(fromQuorumPacket({ type: PacketType.ACK, zxid: 0x5_0000_0001n, data: undefined, authinfo: undefined })).toEqual({ ok: true, value: { type: 'ACK', zxid: 0x5_0000_0001n } });
  });

  it('session traffic and malformed discovery packets are errors, not messages', () => {
    expect(fromQuorumPacket({ type: PacketType.PING, zxid: 0n, data: undefined, authinfo: undefined }).ok).toBe(false);
    expect(fromQuorumPacket({ type: PacketType.LEADERINFO, zxid: 0x5_0000_0001n, data: new Uint8Array([0, 1, 0, 0]), authinfo: undefined }).ok).toBe(false);
    expect(fromQuorumPacket({ type: PacketType.ACKEPOCH, zxid: 0n, data: undefined, authinfo: undefined }).ok).toBe(false);
    expect(fromQuorumPacket({ type: PacketType.PROPOSAL, zxid: 1n, data: undefined, authinfo: undefined }).ok).toBe(false);
  });
});
