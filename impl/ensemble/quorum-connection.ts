// One quorum-port TCP connection (Learner.sock / LearnerHandler.sock): a
// stream of jute QuorumPackets with no length prefix, except that a SNAP
// packet is followed by the snapshot itself and then the string `BenWasHere`
// (LearnerHandler.syncFollower writes serializeSnapshot, then the signature;
// Learner.syncWithLeader reads them and refuses the stream without the
// signature). Our snapshot is impl/tree's serialisation, sent as one jute
// buffer (int length, bytes), so the reader knows where it ends without
// parsing it.
//
// The reader is incremental and bounded like wire.ts's QuorumPacketDecoder;
// a stream that breaks its framing is closed, which the runners treat as the
// peer being gone (LearnerLost / LeaderLost). It never throws at the peer's
// bytes.

import type { Socket } from 'node:net';
import { assert } from '../../lib/assert.ts';
import { JuteWriter } from '../protocol/jute.ts';
import { juteExtraBytes } from '../tree/close-session-bytes.ts';
import { encodeQuorumPacket, PacketType, parseQuorumPacket, quorumPacketLimitsDefault, type QuorumPacket, type QuorumPacketLimits } from '../quorum/wire.ts';

/** LearnerHandler's snapshot signature. */
export const snapshotSignature = 'BenWasHere';
/** A snapshot larger than this breaks the stream (Node's Buffer limit is not a protocol limit; this is a sanity bound). */
export const snapshotBytesMax = 1024 * 1024 * 1024;

/**
 * What a quorum-port peer may make us buffer. A txn is larger than the client
 * request it came from (TxnHeader vs RequestHeader, the REQUEST prefix; a
 * multi's per-op headers; a closeSession's list of ephemerals, which no
 * request carries), so fields get jute.maxbuffer.extrasize on top of
 * jute.maxbuffer, as BinaryInputArchive.checkLength allows. Since ZooKeeper
 * 3.5.7 the extra defaults to jute.maxbuffer itself, not 1024: with 1024, a
 * closeSession of 1.2 MB of ephemeral paths, which Apache ZooKeeper 3.8
 * commits, broke every learner's stream here and was lost
 * (impl/ensemble/close-session-size.test.ts). What keeps a closeSession under
 * this bound is impl/tree/close-session-bytes.ts.
 */
export function quorumLimits(juteMaxBufferBytes: number): QuorumPacketLimits {
  const fieldBytesMax = juteMaxBufferBytes + juteExtraBytes(juteMaxBufferBytes);
  return { fieldBytesMax, packetBytesMax: fieldBytesMax + 1024, authinfoCountMax: quorumPacketLimitsDefault.authinfoCountMax };
}

export type QuorumItem =
  | { readonly kind: 'packet'; readonly packet: QuorumPacket }
  /** A SNAP packet with the snapshot that followed it. */
  | { readonly kind: 'snapshot'; readonly packet: QuorumPacket; readonly blob: Uint8Array };

export interface QuorumConnectionHandlers {
  readonly onItem: (item: QuorumItem) => void;
  /** Once, when the socket ends, errors or the stream breaks. */
  readonly onClose: (reason: string) => void;
}

const textEncoder = new TextEncoder();

export class QuorumConnection {
  private pending: Uint8Array = new Uint8Array(0);
  /** Chunks received after `pending` while it and they are still short of `needed` bytes. */
  private waiting: Uint8Array[] = [];
  private waitingBytes = 0;
  private needed = 16;
  /** A SNAP packet whose snapshot is still arriving. */
  private snap: QuorumPacket | undefined;
  private closed = false;
  private handlers: QuorumConnectionHandlers | undefined;
  private readonly early: QuorumItem[] = [];
  /** performance.now() of the last byte received: the liveness checks read it. */
  lastReceivedAtMs = performance.now();
  packetsSent = 0;
  packetsReceived = 0;
  /** LearnerHandler's stats for the observers command: when it connected (Date.now()), REQUESTs received, the last zxid sent (-1 before). */
  readonly establishedAtMs = Date.now();
  requestsReceived = 0;
  lastZxidSent = -1n;

  constructor(
    readonly socket: Socket,
    /** Told why the stream broke (the runs log it as `quorum-stream-broken`). */
    private readonly log: (fields: { readonly remoteAddress: string | undefined; readonly remotePort: number | undefined; readonly reason: string }) => void,
    private readonly limits: QuorumPacketLimits = quorumPacketLimitsDefault,
    /**
     * Called synchronously just before this connection's bytes leave the
     * process (at the uncork below): the member's trace is flushed there, so
     * that a member SIGKILLed later has recorded every step behind a message
     * another member received (peer-trace.ts).
     */
    private readonly beforeOutput?: () => void,
  ) {
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('error', (error) => this.close(`socket error: ${error.message}`));
    socket.on('close', () => this.close('connection closed by peer'));
  }

  /** Starts delivering; items that arrived before are delivered first. */
  attach(handlers: QuorumConnectionHandlers): void {
    this.handlers = handlers;
    for (const item of this.early.splice(0)) if (!this.closed) handlers.onItem(item);
    if (this.closed) handlers.onClose(this.closeReason);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  send(packet: QuorumPacket): void {
    if (this.closed) return;
    if (this.held !== undefined) {
      this.held.push(packet);
      return;
    }
    this.packetsSent++;
    // LearnerHandler.sendPackets: "the zxid of the last request, if it is a valid zxid".
    if (packet.zxid > 0n) this.lastZxidSent = packet.zxid;
    this.cork();
    this.socket.write(encodeQuorumPacket(packet));
  }

  private corked = false;

  /**
   * Packets sent in one turn of the event loop leave in one write (a PROPOSAL
   * per txn of a batch, an ACK per fsynced txn): a system call per packet
   * was the leader's largest cost. ZooKeeper's LearnerHandler gets the same
   * from a BufferedOutputStream flushed when its queue runs empty.
   */
  private cork(): void {
    if (this.corked) return;
    this.corked = true;
    this.socket.cork();
    process.nextTick(() => {
      this.corked = false;
      this.beforeOutput?.();
      this.socket.uncork();
    });
  }

  /** SNAP, then the snapshot as a jute buffer, then the signature. */
  sendSnapshot(packet: QuorumPacket, blob: Uint8Array): void {
    if (this.closed) return;
    this.send(packet);
    this.cork();
    const writer = new JuteWriter(blob.byteLength + 32);
    writer.writeBuffer(blob).writeString(snapshotSignature);
    this.socket.write(writer.toBytes());
  }

  /**
   * Packets sent while a snapshot is being serialised (sendSnapshotWhenReady): they follow it on the
   * stream, in the order they were sent, once its bytes are written.
   */
  private held: QuorumPacket[] | undefined;

  /**
   * SNAP with a snapshot still being serialised (across turns of the event loop, so that the leader
   * keeps pinging its other learners meanwhile): the SNAP packet and every packet sent after it wait
   * until `blob` resolves, then leave in order. A blob that resolves to an error closes the connection.
   */
  sendSnapshotWhenReady(packet: QuorumPacket, blob: Promise<{ ok: true; value: Uint8Array } | { ok: false; error: string }>): void {
    if (this.closed) return;
    // The core sends one SNAP per synchronisation, and a learner synchronises once per connection.
    assert(this.held === undefined, 'a second snapshot on one quorum connection');
    this.held = [];
    void blob.then((bytes) => {
      const held = this.held ?? [];
      this.held = undefined;
      if (this.closed) return;
      if (!bytes.ok) {
        this.close(`cannot send the snapshot: ${bytes.error}`);
        return;
      }
      this.sendSnapshot(packet, bytes.value);
      for (const next of held) this.send(next);
    });
  }

  /** LearnerHandler.resetObserverConnectionStats (observer_connection_stat_reset). */
  resetStats(): void {
    this.packetsReceived = 0;
    this.packetsSent = 0;
    this.requestsReceived = 0;
    this.lastZxidSent = -1n;
  }

  private closeReason = '';

  close(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.socket.destroy();
    this.handlers?.onClose(reason);
  }

  private emit(item: QuorumItem): void {
    this.packetsReceived++;
    if (this.handlers === undefined) this.early.push(item);
    else this.handlers.onItem(item);
  }

  private receive(chunk: Uint8Array): void {
    if (this.closed) return;
    this.lastReceivedAtMs = performance.now();
    // Until what is buffered reaches what the parser needs, chunks are only collected: joining them on
    // every chunk copied a large snapshot over and over (quadratic in its size, seconds for 14 MB).
    if (this.pending.byteLength + this.waitingBytes + chunk.byteLength < this.needed) {
      // Copied: the socket may reuse the chunk's memory.
      this.waiting.push(chunk.slice());
      this.waitingBytes += chunk.byteLength;
      return;
    }
    let bytes = this.pending.byteLength === 0 && this.waiting.length === 0 ? chunk : concat([this.pending, ...this.waiting, chunk]);
    this.waiting = [];
    this.waitingBytes = 0;
    while (!this.closed && bytes.byteLength >= this.needed) {
      if (this.snap !== undefined) {
        const parsed = parseSnapshot(bytes);
        if (parsed.kind === 'invalid') return this.broken(parsed.reason);
        if (parsed.kind === 'incomplete') {
          this.needed = parsed.bytesNeeded;
          break;
        }
        const packet = this.snap;
        this.snap = undefined;
        this.needed = 16;
        bytes = bytes.subarray(parsed.bytesConsumed);
        this.emit({ kind: 'snapshot', packet, blob: parsed.blob });
        continue;
      }
      const parsed = parseQuorumPacket(bytes, this.limits);
      if (parsed.kind === 'invalid') return this.broken(parsed.reason);
      if (parsed.kind === 'incomplete') {
        this.needed = parsed.bytesNeeded;
        break;
      }
      bytes = bytes.subarray(parsed.bytesConsumed);
      this.needed = 16;
      if (parsed.packet.type === PacketType.SNAP) {
        this.snap = parsed.packet;
        this.needed = 4;
        continue;
      }
      this.emit({ kind: 'packet', packet: parsed.packet });
    }
    // Copy: the socket may reuse the chunk's memory.
    this.pending = bytes.byteLength === 0 ? new Uint8Array(0) : bytes.slice();
  }

  private broken(reason: string): void {
    this.log({ remoteAddress: this.socket.remoteAddress, remotePort: this.socket.remotePort, reason });
    this.pending = new Uint8Array(0);
    this.waiting = [];
    this.waitingBytes = 0;
    this.close(`stream broken: ${reason}`);
  }
}

type SnapshotParse =
  | { readonly kind: 'incomplete'; readonly bytesNeeded: number }
  | { readonly kind: 'invalid'; readonly reason: string }
  | { readonly kind: 'complete'; readonly blob: Uint8Array; readonly bytesConsumed: number };

const signatureBytes = textEncoder.encode(snapshotSignature);

function parseSnapshot(bytes: Uint8Array): SnapshotParse {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.byteLength < 4) return { kind: 'incomplete', bytesNeeded: 4 };
  const length = view.getInt32(0);
  if (length < 0 || length > snapshotBytesMax) return { kind: 'invalid', reason: `snapshot length ${length}` };
  const end = 4 + length;
  if (bytes.byteLength < end + 4) return { kind: 'incomplete', bytesNeeded: end + 4 };
  const signatureLength = view.getInt32(end);
  if (signatureLength !== signatureBytes.byteLength) return { kind: 'invalid', reason: `snapshot signature length ${signatureLength}` };
  const total = end + 4 + signatureLength;
  if (bytes.byteLength < total) return { kind: 'incomplete', bytesNeeded: total };
  for (let i = 0; i < signatureLength; i++) {
    if (bytes[end + 4 + i] !== signatureBytes[i]) return { kind: 'invalid', reason: 'missing signature after snapshot' };
  }
  return { kind: 'complete', blob: bytes.slice(4, end), bytesConsumed: total };
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
