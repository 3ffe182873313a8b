// Splits a TCP byte stream into ZooKeeper frames: a 4-byte big-endian length,
// then that many bytes (NIOServerCnxn.readLength / readPayload). Sans-IO in the
// pg-protocol style: chunks of any size go in, whole frames come out, partial
// frames are kept until the rest arrives.
//
// A length below zero or above jute.maxbuffer is what NIOServerCnxn rejects with
// "Len error" and a closed connection; here it is an error value, after which the
// decoder is poisoned (the stream has lost its framing and nothing after it can
// be trusted).

import { juteMaxBufferDefault } from './constants.ts';

export type FrameError =
  | { readonly kind: 'negative-length'; readonly length: number }
  | { readonly kind: 'too-large'; readonly length: number; readonly frameBytesMax: number };

export class FrameDecoder {
  /**
   * Copies of the chunks of a frame still incomplete, in order. They are kept
   * apart and joined once, when the frame is complete: joining on every chunk
   * made a frame trickled in small pieces cost CPU quadratic in its size.
   */
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  /** The bytes the first pending frame needs, its length prefix included, once its prefix is in. */
  private pendingNeeds: number | undefined;
  private failure: FrameError | undefined;

  constructor(readonly frameBytesMax: number = juteMaxBufferDefault) {}

  /** Bytes received but not yet returned as a frame. */
  get bufferedBytes(): number {
    return this.pendingBytes;
  }

  /** The error that stopped this decoder, if any. */
  get error(): FrameError | undefined {
    return this.failure;
  }

  /** Keeps a chunk for the next push without handing out any frame (the reader is paused). */
  hold(chunk: Uint8Array): void {
    if (this.failure !== undefined || chunk.byteLength === 0) return;
    this.pending.push(chunk.slice());
    this.pendingBytes += chunk.byteLength;
    this.pendingNeeds = undefined;
  }

  /**
   * Feeds one chunk. Calls onFrame for every complete frame (the payload without
   * its length prefix, a view valid until the next push) and returns the framing
   * error if the stream broke; once broken, further pushes return the same error.
   * onFrame returning false (exactly) stops there: the frames after it stay buffered until
   * the next push (an empty chunk hands them out), which is how a connection
   * stops taking requests mid-chunk (ServerCnxn.disableRecv).
   */
  push(chunk: Uint8Array, onFrame: (frame: Uint8Array) => unknown): FrameError | undefined {
    if (this.failure !== undefined) return this.failure;
    let bytes = chunk;
    if (this.pendingBytes > 0) {
      if (chunk.byteLength > 0) {
        // Copy: the caller may reuse the chunk's memory after push returns.
        this.pending.push(chunk.slice());
        this.pendingBytes += chunk.byteLength;
      }
      if (this.pendingNeeds !== undefined && this.pendingBytes < this.pendingNeeds) return undefined;
      bytes = joinChunks(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
    }
    this.pendingNeeds = undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let offset = 0;
    while (bytes.byteLength - offset >= 4) {
      const length = view.getInt32(offset);
      if (length < 0) {
        this.failure = { kind: 'negative-length', length };
        break;
      }
      if (length > this.frameBytesMax) {
        this.failure = { kind: 'too-large', length, frameBytesMax: this.frameBytesMax };
        break;
      }
      if (bytes.byteLength - offset - 4 < length) {
        this.pendingNeeds = 4 + length;
        break;
      }
      const more = onFrame(bytes.subarray(offset + 4, offset + 4 + length));
      offset += 4 + length;
      if (more === false) break;
    }
    if (this.failure !== undefined) {
      this.pendingNeeds = undefined;
      return this.failure;
    }
    if (offset < bytes.byteLength) {
      // Copy the tail: the caller may reuse the chunk's memory after push returns.
      this.pending = [bytes.slice(offset)];
      this.pendingBytes = bytes.byteLength - offset;
    }
    return undefined;
  }
}

/** The chunks, in order, in one array of `total` bytes. */
function joinChunks(chunks: readonly Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const joined = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.byteLength;
  }
  return joined;
}

/** Prefixes a payload with its 4-byte big-endian length. */
export function frame(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + payload.byteLength);
  new DataView(out.buffer).setInt32(0, payload.byteLength);
  out.set(payload, 4);
  return out;
}
