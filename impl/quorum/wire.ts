// The bytes ensemble members exchange, laid out as Apache ZooKeeper lays them
// out, so that our servers and ZooKeeper's can be compared packet for packet
// (and, later, talk to each other).
//
// Two ports, two framings:
// - The election port (QuorumCnxManager). The side that connects first sends
//   an initial message that is NOT length-prefixed: long protocolVersion
//   (PROTOCOL_VERSION_V1 = -65536 since 3.5, V2 = -65535 with multiAddress),
//   long sid, int n, n bytes of "host:port" ('|'-separated in V2). A
//   non-negative first long is the pre-3.5 form: the sid alone. After it,
//   both directions carry frames: int length (1..PACKETMAXSIZE = 512 KiB,
//   RecvWorker.run) and a notification (FastLeaderElection.buildMsg: int
//   state, long leader, long zxid, long electionEpoch, long peerEpoch, int
//   version = 2, int configLength, config bytes; WorkerReceiver also accepts
//   the 28-byte and 40-byte forms of older servers).
// - The quorum port (Learner / LearnerHandler). Jute QuorumPacket records
//   (zookeeper.jute: int type, long zxid, buffer data, vector<Id> authinfo)
//   written back to back with BinaryOutputArchive.writeRecord, with NO length
//   prefix: a reader knows where a packet ends only by parsing it. The
//   stream decoder below therefore parses incrementally and bounds each
//   field (BinaryInputArchive.checkLength against jute.maxbuffer) and each
//   whole packet, so a peer cannot make us buffer without limit. (After a SNAP
//   packet the leader writes a raw serialized snapshot into this stream; that
//   mode belongs to the sync phase and is not decoded here yet.)
//
// Every decoder is sans-IO: bytes in, values or an error value out. A peer's
// malformed bytes are an operating error (a Result), never an exception.

import { assert } from '../../lib/assert.ts';
import { FrameDecoder } from '../protocol/frame-decoder.ts';
import { JuteReader, JuteWriter } from '../protocol/jute.ts';
import { err, ok, type Result } from '../../lib/result.ts';
import type { Id } from '../protocol/records.ts';
import { juteMaxBufferDefault } from '../protocol/constants.ts';

export type { Result };

// ---- Election port: the initial message ---------------------------------------

/** QuorumCnxManager.PROTOCOL_VERSION_V1: sent in every connection initiation since 3.5.0 (ZOOKEEPER-107). */
export const PROTOCOL_VERSION_V1 = -65536n;
/** QuorumCnxManager.PROTOCOL_VERSION_V2: several '|'-separated addresses (ZOOKEEPER-3188, 3.6.0). */
export const PROTOCOL_VERSION_V2 = -65535n;
/** QuorumCnxManager.maxBuffer: the largest address string an initial message may carry. */
export const initialMessageAddressBytesMax = 2048;
/** QuorumCnxManager.PACKETMAXSIZE: the largest election-port frame. */
export const electionPacketBytesMax = 512 * 1024;

/**
 * What the connecting side says first. `protocolVersion` is undefined for the
 * pre-3.5 form (the first long was the sid and nothing follows).
 */
export interface InitialMessage {
  readonly protocolVersion: bigint | undefined;
  readonly sid: bigint;
  /** "host:port" strings as sent (V2 may carry several). Empty for the pre-3.5 form. */
  readonly electionAddresses: readonly string[];
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: false });

export function encodeInitialMessage(message: InitialMessage): Uint8Array {
  const writer = new JuteWriter(64);
  if (message.protocolVersion === undefined) return writer.writeLong(message.sid).toBytes();
  const addressBytes = textEncoder.encode(message.electionAddresses.join('|'));
  writer.writeLong(message.protocolVersion).writeLong(message.sid).writeInt(addressBytes.byteLength).writeRaw(addressBytes);
  return writer.toBytes();
}

export type InitialMessageParse =
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'complete'; readonly message: InitialMessage; readonly bytesConsumed: number }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Parses the initial message at the start of `bytes` (InitialMessage.parse and
 * QuorumCnxManager.handleConnection). 'incomplete' means: wait for more bytes.
 */
export function parseInitialMessage(bytes: Uint8Array): InitialMessageParse {
  if (bytes.byteLength < 8) return { kind: 'incomplete' };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const first = view.getBigInt64(0);
  if (first >= 0n) return { kind: 'complete', message: { protocolVersion: undefined, sid: first, electionAddresses: [] }, bytesConsumed: 8 };
  if (first !== PROTOCOL_VERSION_V1 && first !== PROTOCOL_VERSION_V2) return { kind: 'invalid', reason: `unrecognized protocol version ${first}` };
  if (bytes.byteLength < 20) return { kind: 'incomplete' };
  const sid = view.getBigInt64(8);
  const length = view.getInt32(16);
  if (length <= 0 || length > initialMessageAddressBytesMax) return { kind: 'invalid', reason: `unreasonable address length ${length}` };
  if (bytes.byteLength < 20 + length) return { kind: 'incomplete' };
  const text = textDecoder.decode(bytes.subarray(20, 20 + length));
  const electionAddresses = text.split('|');
  for (const address of electionAddresses) {
    if (!isHostAndPort(address)) return { kind: 'invalid', reason: `badly formed address ${JSON.stringify(address)}` };
  }
  return { kind: 'complete', message: { protocolVersion: first, sid, electionAddresses }, bytesConsumed: 20 + length };
}

/** ConfigUtils.getHostAndPort accepts `host:port` and `[v6]:port`. */
function isHostAndPort(address: string): boolean {
  const match = /^(?:\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(address);
  return match !== null && Number(match[1]) <= 65535;
}

// ---- Election port: notifications ------------------------------------------------

/** QuorumPeer.ServerState, in ordinal order (the wire carries the ordinal). */
export const serverStates = ['LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING'] as const;
export type ServerState = (typeof serverStates)[number];

/** FastLeaderElection.Notification.CURRENTVERSION. */
export const notificationVersionCurrent = 2;

/**
 * One election-port message (FastLeaderElection.ToSend on the way out,
 * Notification on the way in). `leader`, the epochs and zxid are Java longs;
 * an observer votes with Long.MIN_VALUE for all three (getInitId and friends).
 */
export interface NotificationMessage {
  readonly state: ServerState;
  readonly leader: bigint;
  readonly zxid: bigint;
  /** The sender's logicalclock (the round). */
  readonly electionEpoch: bigint;
  /** The epoch of the proposed leader (its currentEpoch). */
  readonly peerEpoch: bigint;
  /** 0 for the legacy 28- and 40-byte forms, else what the sender wrote. */
  readonly version: number;
  /** The sender's quorum verifier as text (QuorumMaj.toString); present when version > 1. */
  readonly config: string | undefined;
}

/**
 * buildMsg: 44 bytes plus the config text when version > 1 (the current
 * form always carries a config, possibly empty). Version 1 gives the 40-byte
 * form of the older buildMsg, which receivers read as version 0.
 */
export function encodeNotification(n: NotificationMessage): Uint8Array {
  assert(n.version >= 1, () => `notification version ${n.version}: only versions >= 1 have an encoding`);
  const writer = new JuteWriter(64);
  writer.writeInt(serverStates.indexOf(n.state)).writeLong(n.leader).writeLong(n.zxid).writeLong(n.electionEpoch).writeLong(n.peerEpoch);
  writer.writeInt(n.version);
  if (n.version > 1) {
    const config = textEncoder.encode(n.config ?? '');
    writer.writeInt(config.byteLength).writeRaw(config);
  }
  return writer.toBytes();
}

/**
 * WorkerReceiver.run's parse. Accepts the current form and the two legacy
 * sizes exactly as ZooKeeper does: 28 bytes (no peerEpoch: it is derived
 * from the zxid), 40 bytes (peerEpoch, then a version int that is not read);
 * anything else must carry a version, and a version above 1 a config whose
 * length fits in the message. Trailing bytes are ignored, as in ZooKeeper.
 */
export function decodeNotification(payload: Uint8Array): Result<NotificationMessage, string> {
  const size = payload.byteLength;
  if (size < 28) return err(`notification of ${size} bytes (at least 28 expected)`);
  const view = new DataView(payload.buffer, payload.byteOffset, size);
  const stateOrdinal = view.getInt32(0);
  const state = serverStates[stateOrdinal];
  if (state === undefined) return err(`unknown server state ${stateOrdinal}`);
  const leader = view.getBigInt64(4);
  const zxid = view.getBigInt64(12);
  const electionEpoch = view.getBigInt64(20);
  if (size === 28) return ok({ state, leader, zxid, electionEpoch, peerEpoch: epochOf(zxid), version: 0, config: undefined });
  if (size < 36) return err(`notification of ${size} bytes ends inside peerEpoch`);
  const peerEpoch = view.getBigInt64(28);
  if (size === 40) return ok({ state, leader, zxid, electionEpoch, peerEpoch, version: 0, config: undefined });
  if (size < 40) return err(`notification of ${size} bytes ends inside version`);
  const version = view.getInt32(36);
  if (version <= 1) return ok({ state, leader, zxid, electionEpoch, peerEpoch, version, config: undefined });
  if (size < 44) return err(`notification of ${size} bytes ends inside configLength`);
  const configLength = view.getInt32(40);
  if (configLength < 0 || configLength > size - 44) return err(`invalid configLength ${configLength} in a notification of ${size} bytes`);
  const config = textDecoder.decode(payload.subarray(44, 44 + configLength));
  return ok({ state, leader, zxid, electionEpoch, peerEpoch, version, config });
}

/** The events an election-port byte stream yields, in order. */
export type ElectionStreamItem =
  | { readonly kind: 'initial-message'; readonly message: InitialMessage }
  | { readonly kind: 'frame'; readonly payload: Uint8Array };

export type ElectionStreamError =
  | { readonly kind: 'invalid-initial-message'; readonly reason: string }
  | { readonly kind: 'bad-frame-length'; readonly length: number };

/**
 * Splits what arrives on one election-port connection: on an accepted
 * connection the initial message first (`expectInitialMessage`), then
 * length-prefixed frames. A frame length of 0, below 0 or above
 * `frameBytesMax` breaks the connection (RecvWorker: "invalid packet"), after
 * which the decoder stays broken.
 */
export class ElectionStreamDecoder {
  private waitingForInitialMessage: boolean;
  private pending: Uint8Array = new Uint8Array(0);
  private readonly frames: FrameDecoder;
  private failure: ElectionStreamError | undefined;

  constructor(expectInitialMessage: boolean, readonly frameBytesMax: number = electionPacketBytesMax) {
    this.waitingForInitialMessage = expectInitialMessage;
    this.frames = new FrameDecoder(frameBytesMax);
  }

  get error(): ElectionStreamError | undefined {
    return this.failure;
  }

  /** Feeds one chunk; `onItem` sees every complete item (frames are views valid only during the call). */
  push(chunk: Uint8Array, onItem: (item: ElectionStreamItem) => void): ElectionStreamError | undefined {
    if (this.failure !== undefined) return this.failure;
    let rest = chunk;
    if (this.waitingForInitialMessage) {
      const bytes = concat(this.pending, chunk);
      const parsed = parseInitialMessage(bytes);
      if (parsed.kind === 'incomplete') {
        // The initial message is bounded (20 + 2048 bytes), so this buffer is too.
        this.pending = bytes.slice();
        return undefined;
      }
      this.pending = new Uint8Array(0);
      if (parsed.kind === 'invalid') {
        this.failure = { kind: 'invalid-initial-message', reason: parsed.reason };
        return this.failure;
      }
      this.waitingForInitialMessage = false;
      onItem({ kind: 'initial-message', message: parsed.message });
      rest = bytes.subarray(parsed.bytesConsumed);
    }
    const frameError = this.frames.push(rest, (payload) => {
      if (this.failure !== undefined) return;
      if (payload.byteLength === 0) {
        this.failure = { kind: 'bad-frame-length', length: 0 };
        return;
      }
      onItem({ kind: 'frame', payload });
    });
    if (this.failure === undefined && frameError !== undefined) this.failure = { kind: 'bad-frame-length', length: frameError.length };
    return this.failure;
  }
}

/** Prefixes an election-port payload with its length (SendWorker.send). */
export function electionFrame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setInt32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}

// ---- Quorum port: QuorumPacket --------------------------------------------------

/** Leader.java's packet types. */
export const PacketType = {
  REQUEST: 1,
  PROPOSAL: 2,
  ACK: 3,
  COMMIT: 4,
  PING: 5,
  REVALIDATE: 6,
  SYNC: 7,
  INFORM: 8,
  COMMITANDACTIVATE: 9,
  NEWLEADER: 10,
  FOLLOWERINFO: 11,
  UPTODATE: 12,
  DIFF: 13,
  TRUNC: 14,
  SNAP: 15,
  OBSERVERINFO: 16,
  LEADERINFO: 17,
  ACKEPOCH: 18,
  INFORMANDACTIVATE: 19,
} as const;
export type PacketTypeName = keyof typeof PacketType;

const packetTypeNames = new Map<number, PacketTypeName>(Object.entries(PacketType).map(([name, code]) => [code, name as PacketTypeName]));

/** The name of a packet type, or `UNKNOWN(n)` (LearnerHandler.packetToString does the same). */
export function packetTypeName(type: number): string {
  return packetTypeNames.get(type) ?? `UNKNOWN(${type})`;
}

/**
 * zookeeper.jute QuorumPacket. `data` and `authinfo` keep Java's null
 * (undefined here, length/count -1 on the wire) apart from empty, so that a
 * packet re-encodes to the same bytes.
 */
export interface QuorumPacket {
  readonly type: number;
  readonly zxid: bigint;
  readonly data: Uint8Array | undefined;
  readonly authinfo: readonly Id[] | undefined;
}

export function encodeQuorumPacket(packet: QuorumPacket): Uint8Array {
  const writer = new JuteWriter(32 + (packet.data?.byteLength ?? 0));
  writer.writeInt(packet.type).writeLong(packet.zxid).writeBuffer(packet.data);
  writer.writeVector(packet.authinfo, (w, id) => void w.writeString(id.scheme).writeString(id.id));
  return writer.toBytes();
}

/** Bounds on what a quorum-port peer may make us buffer. */
export interface QuorumPacketLimits {
  /** jute.maxbuffer: the largest buffer or string field (BinaryInputArchive.checkLength). */
  readonly fieldBytesMax: number;
  /** The largest whole packet, header and authinfo included. */
  readonly packetBytesMax: number;
  /** The most authinfo entries one packet may carry. */
  readonly authinfoCountMax: number;
}

export const quorumPacketLimitsDefault: QuorumPacketLimits = {
  fieldBytesMax: juteMaxBufferDefault,
  // BinaryInputArchive allows maxBuffer plus zookeeper.jute.maxbuffer.extrasize (default 1024).
  packetBytesMax: juteMaxBufferDefault + 1024,
  authinfoCountMax: 64,
};

type PacketParse =
  | { readonly kind: 'incomplete'; readonly bytesNeeded: number }
  | { readonly kind: 'complete'; readonly packet: QuorumPacket; readonly bytesConsumed: number }
  | { readonly kind: 'invalid'; readonly reason: string };

/**
 * Parses one QuorumPacket at the start of `bytes`. 'incomplete' says how many
 * bytes (from the start) must be buffered before parsing can get further, so
 * that a large packet arriving in small chunks is parsed once, not once per
 * chunk.
 */
export function parseQuorumPacket(bytes: Uint8Array, limits: QuorumPacketLimits = quorumPacketLimitsDefault): PacketParse {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = bytes.byteLength;
  const tooLarge = (end: number) => end > limits.packetBytesMax;
  if (size < 16) return { kind: 'incomplete', bytesNeeded: 16 };
  const type = view.getInt32(0);
  const zxid = view.getBigInt64(4);
  const dataLength = view.getInt32(12);
  let offset = 16;
  let data: Uint8Array | undefined;
  if (dataLength !== -1) {
    if (dataLength < 0 || dataLength > limits.fieldBytesMax) return { kind: 'invalid', reason: `data length ${dataLength} (jute.maxbuffer ${limits.fieldBytesMax})` };
    if (tooLarge(offset + dataLength + 4)) return { kind: 'invalid', reason: `packet larger than ${limits.packetBytesMax} bytes` };
    if (size < offset + dataLength) return { kind: 'incomplete', bytesNeeded: offset + dataLength };
    data = bytes.slice(offset, offset + dataLength);
    offset += dataLength;
  }
  if (size < offset + 4) return { kind: 'incomplete', bytesNeeded: offset + 4 };
  const count = view.getInt32(offset);
  offset += 4;
  let authinfo: Id[] | undefined;
  if (count !== -1) {
    if (count < 0 || count > limits.authinfoCountMax) return { kind: 'invalid', reason: `authinfo count ${count} (at most ${limits.authinfoCountMax})` };
    authinfo = [];
    for (let i = 0; i < count; i++) {
      const strings: string[] = [];
      for (let field = 0; field < 2; field++) {
        if (size < offset + 4) return { kind: 'incomplete', bytesNeeded: offset + 4 };
        const length = view.getInt32(offset);
        offset += 4;
        // Java's readString maps -1 to null; Id's fields are never null in practice, read it as "".
        if (length === -1) {
          strings.push('');
          continue;
        }
        if (length < 0 || length > limits.fieldBytesMax) return { kind: 'invalid', reason: `authinfo string length ${length}` };
        if (tooLarge(offset + length)) return { kind: 'invalid', reason: `packet larger than ${limits.packetBytesMax} bytes` };
        if (size < offset + length) return { kind: 'incomplete', bytesNeeded: offset + length };
        strings.push(textDecoder.decode(bytes.subarray(offset, offset + length)));
        offset += length;
      }
      authinfo.push({ scheme: strings[0]!, id: strings[1]! });
    }
  }
  return { kind: 'complete', packet: { type, zxid, data, authinfo }, bytesConsumed: offset };
}

/** Decodes exactly one packet spanning all of `bytes`. */
export function decodeQuorumPacket(bytes: Uint8Array, limits: QuorumPacketLimits = quorumPacketLimitsDefault): Result<QuorumPacket, string> {
  const parsed = parseQuorumPacket(bytes, limits);
  switch (parsed.kind) {
    case 'incomplete':
      return err(`truncated packet: ${bytes.byteLength} bytes of at least ${parsed.bytesNeeded}`);
    case 'invalid':
      return err(parsed.reason);
    case 'complete':
      if (parsed.bytesConsumed !== bytes.byteLength) return err(`${bytes.byteLength - parsed.bytesConsumed} trailing bytes after packet`);
      return ok(parsed.packet);
  }
}

/**
 * Splits a quorum-port byte stream into QuorumPackets (BinaryInputArchive
 * readRecord in a loop). Once a packet is invalid the stream has lost its
 * framing; the decoder stays broken and the caller closes the connection.
 */
export class QuorumPacketDecoder {
  private pending: Uint8Array = new Uint8Array(0);
  private bytesNeeded = 16;
  private failure: string | undefined;

  constructor(readonly limits: QuorumPacketLimits = quorumPacketLimitsDefault) {}

  get bufferedBytes(): number {
    return this.pending.byteLength;
  }

  get error(): string | undefined {
    return this.failure;
  }

  push(chunk: Uint8Array, onPacket: (packet: QuorumPacket) => void): string | undefined {
    if (this.failure !== undefined) return this.failure;
    let bytes = concat(this.pending, chunk);
    while (bytes.byteLength >= this.bytesNeeded) {
      const parsed = parseQuorumPacket(bytes, this.limits);
      if (parsed.kind === 'invalid') {
        this.failure = parsed.reason;
        this.pending = new Uint8Array(0);
        return this.failure;
      }
      if (parsed.kind === 'incomplete') {
        this.bytesNeeded = parsed.bytesNeeded;
        break;
      }
      onPacket(parsed.packet);
      bytes = bytes.subarray(parsed.bytesConsumed);
      this.bytesNeeded = 16;
    }
    // Copy: the caller may reuse the chunk's memory once push returns.
    this.pending = bytes.slice();
    return undefined;
  }
}

// ---- Quorum port: payloads of the discovery packets -------------------------------

/** The LearnerInfo protocolVersion a 3.4+ learner sends, and the LEADERINFO payload (Learner.registerWithLeader). */
export const learnerProtocolVersion = 0x10000;

/** zookeeper.jute LearnerInfo: the data of FOLLOWERINFO and OBSERVERINFO. */
export interface LearnerInfo {
  readonly serverid: bigint;
  readonly protocolVersion: number;
  readonly configVersion: bigint;
}

export function encodeLearnerInfo(info: LearnerInfo): Uint8Array {
  return new JuteWriter(20).writeLong(info.serverid).writeInt(info.protocolVersion).writeLong(info.configVersion).toBytes();
}

/**
 * LearnerHandler.run reads LearnerInfo leniently: the sid if there are 8
 * bytes, the protocol version if 12, the config version if 20; older
 * learners sent less. Missing fields are undefined here.
 */
export interface LearnerInfoRead {
  readonly serverid: bigint | undefined;
  readonly protocolVersion: number | undefined;
  readonly configVersion: bigint | undefined;
}

export function decodeLearnerInfo(data: Uint8Array | undefined): LearnerInfoRead {
  if (data === undefined) return { serverid: undefined, protocolVersion: undefined, configVersion: undefined };
  const reader = new JuteReader(data);
  const serverid = data.byteLength >= 8 ? reader.readLong() : undefined;
  const protocolVersion = data.byteLength >= 12 ? reader.readInt() : undefined;
  const configVersion = data.byteLength >= 20 ? reader.readLong() : undefined;
  return { serverid, protocolVersion, configVersion };
}

/** The 4-byte big-endian int that LEADERINFO (protocol version) and ACKEPOCH (currentEpoch, or -1) carry as data. */
export function encodeIntData(value: number): Uint8Array {
  return new JuteWriter(4).writeInt(value).toBytes();
}

export function decodeIntData(data: Uint8Array | undefined): Result<number, string> {
  if (data === undefined || data.byteLength < 4) return err(`expected a 4-byte int, got ${data?.byteLength ?? 'no'} bytes`);
  return ok(new DataView(data.buffer, data.byteOffset, data.byteLength).getInt32(0));
}

// ---- Zxids ---------------------------------------------------------------------

/** ZxidUtils.makeZxid: the epoch in the high 32 bits, the counter in the low 32. */
export function makeZxid(epoch: bigint, counter: bigint): bigint {
  return BigInt.asIntN(64, (epoch << 32n) | (counter & 0xffffffffn));
}

/** ZxidUtils.getEpochFromZxid (an arithmetic shift, as Java's `>> 32L`). */
export function epochOf(zxid: bigint): bigint {
  return zxid >> 32n;
}

/** ZxidUtils.getCounterFromZxid. */
export function counterOf(zxid: bigint): bigint {
  return zxid & 0xffffffffn;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (a.byteLength === 0) return b;
  if (b.byteLength === 0) return a;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a, 0);
  out.set(b, a.byteLength);
  return out;
}
