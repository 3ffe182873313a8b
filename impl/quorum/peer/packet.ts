// The peer core's messages as ZooKeeper's QuorumPackets (wire.ts; Leader.java
// packet types, the constructors in Learner.java, LearnerHandler.java and
// Leader.java). authinfo is always null, as ZooKeeper sends it. The ACK of
// NEWLEADER is an ACK whose zxid is `newEpoch << 32` (counter 0): a proposal's
// zxid never has counter 0, so the two ACKs are told apart by the zxid alone.
// SNAP's snapshot does not travel in the packet: it follows on the stream
// (the raw snapshot and `BenWasHere`), so the caller passes it to decode.

import { err, ok, type Result } from '../../../lib/result.ts';
import {
  decodeIntData,
  decodeLearnerInfo,
  encodeIntData,
  encodeLearnerInfo,
  learnerProtocolVersion,
  PacketType,
  packetTypeName,
  type QuorumPacket,
} from '../wire.ts';
import { counterOfZxid, epochOfZxid, makeZxid } from './history.ts';
import type { PeerMessage, PeerTxn } from './types.ts';
import { hex } from '../../../lib/hex.ts';

/** What the sender adds that the core does not model. */
export interface PacketContext {
  /** Our myid, sent in LearnerInfo. */
  readonly sid: number;
  /** LearnerInfo.configVersion (0 without dynamic reconfiguration). */
  readonly configVersion: bigint;
  /** NEWLEADER's data: the leader's quorum verifier text (QuorumMaj.toString()). */
  readonly quorumVerifier: Uint8Array | undefined;
}

const packet = (type: number, zxid: bigint, data?: Uint8Array): QuorumPacket => ({ type, zxid, data, authinfo: undefined });
const epochZxid = (epoch: number) => makeZxid(epoch, 0n);

export function toQuorumPacket(message: PeerMessage, context: PacketContext): QuorumPacket {
  switch (message.type) {
    case 'FOLLOWERINFO':
    case 'OBSERVERINFO': {
      const info = encodeLearnerInfo({ serverid: BigInt(context.sid), protocolVersion: learnerProtocolVersion, configVersion: context.configVersion });
      return packet(PacketType[message.type], epochZxid(message.acceptedEpoch), info);
    }
    case 'LEADERINFO':
      return packet(PacketType.LEADERINFO, epochZxid(message.epoch), encodeIntData(learnerProtocolVersion));
    case 'ACKEPOCH':
      return packet(PacketType.ACKEPOCH, message.lastZxid, encodeIntData(message.currentEpoch));
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
      return packet(PacketType[message.type], message.zxid);
    case 'PROPOSAL':
    case 'INFORM':
      return packet(PacketType[message.type], message.txn.zxid, message.txn.data);
    case 'COMMIT':
    case 'ACK':
      return packet(PacketType[message.type], message.zxid);
    case 'NEWLEADER':
      return packet(PacketType.NEWLEADER, epochZxid(message.epoch), context.quorumVerifier);
    case 'ACKLD':
      return packet(PacketType.ACK, epochZxid(message.epoch));
    case 'UPTODATE':
      return packet(PacketType.UPTODATE, -1n);
    default:
      return message satisfies never;
  }
}

function epochOfPacket(p: QuorumPacket): Result<number, string> {
  if (counterOfZxid(p.zxid) !== 0n || p.zxid < 0n) return err(`${packetTypeName(p.type)} zxid ${hex(p.zxid)} is not epoch << 32`);
  return ok(epochOfZxid(p.zxid));
}

function txnOf(p: QuorumPacket): Result<PeerTxn, string> {
  if (p.data === undefined) return err(`${packetTypeName(p.type)} ${hex(p.zxid)} carries no txn`);
  return ok({ zxid: p.zxid, data: p.data });
}

/**
 * A received packet as the core's message. PING, REVALIDATE, SYNC, REQUEST
 * and the reconfiguration packets are session or reconfiguration traffic the
 * core does not handle: they come back as errors naming the type.
 */
export function fromQuorumPacket(p: QuorumPacket, snapshot: readonly PeerTxn[] = []): Result<PeerMessage, string> {
  switch (p.type) {
    case PacketType.FOLLOWERINFO:
    case PacketType.OBSERVERINFO: {
      const epoch = epochOfPacket(p);
      if (!epoch.ok) return epoch;
      const info = decodeLearnerInfo(p.data);
      if (info.serverid === undefined) return err('LearnerInfo without a server id');
      return ok({ type: p.type === PacketType.FOLLOWERINFO ? 'FOLLOWERINFO' : 'OBSERVERINFO', acceptedEpoch: epoch.value });
    }
    case PacketType.LEADERINFO: {
      const epoch = epochOfPacket(p);
      if (!epoch.ok) return epoch;
      const version = decodeIntData(p.data);
      if (!version.ok) return version;
      // Learner.registerWithLeader accepts only the 3.4+ protocol (0x10000).
      if (version.value < learnerProtocolVersion) return err(`LEADERINFO protocol version 0x${version.value.toString(16)} too old`);
      return ok({ type: 'LEADERINFO', epoch: epoch.value });
    }
    case PacketType.ACKEPOCH: {
      const currentEpoch = decodeIntData(p.data);
      if (!currentEpoch.ok) return currentEpoch;
      return ok({ type: 'ACKEPOCH', currentEpoch: currentEpoch.value, lastZxid: p.zxid });
    }
    case PacketType.DIFF:
      return ok({ type: 'DIFF', zxid: p.zxid });
    case PacketType.TRUNC:
      return ok({ type: 'TRUNC', zxid: p.zxid });
    case PacketType.SNAP:
      return ok({ type: 'SNAP', zxid: p.zxid, snapshot });
    case PacketType.PROPOSAL:
    case PacketType.INFORM: {
      const txn = txnOf(p);
      if (!txn.ok) return txn;
      return ok({ type: p.type === PacketType.PROPOSAL ? 'PROPOSAL' : 'INFORM', txn: txn.value });
    }
    case PacketType.COMMIT:
      return ok({ type: 'COMMIT', zxid: p.zxid });
    case PacketType.NEWLEADER: {
      const epoch = epochOfPacket(p);
      return epoch.ok ? ok({ type: 'NEWLEADER', epoch: epoch.value }) : epoch;
    }
    case PacketType.ACK:
      return counterOfZxid(p.zxid) === 0n && p.zxid >= 0n ? ok({ type: 'ACKLD', epoch: epochOfZxid(p.zxid) }) : ok({ type: 'ACK', zxid: p.zxid });
    case PacketType.UPTODATE:
      return ok({ type: 'UPTODATE' });
    default:
      return err(`${packetTypeName(p.type)} is not a Zab phase packet`);
  }
}
