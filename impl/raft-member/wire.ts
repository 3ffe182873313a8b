// What Raft members say to each other on the quorum port: length-prefixed
// frames (impl/protocol's FrameDecoder and `frame`, the client port's
// framing) holding one JSON object each, validated with zod on receipt. A
// connection opens with a Hello naming the dialling member, so the receiver
// knows whose messages follow; then every frame is one impl/raft Message.
//
// JSON rather than a binary layout: the messages are few and small next to a
// data-tree txn, and a readable frame is worth more than the bytes while this
// engine is young. Byte strings (entries' data, snapshots) are base64.
// Validation is the trust boundary: a frame that does not parse, names
// another sender than the Hello, or is addressed to someone else is refused,
// and the transport closes that connection (transport.ts).

import { z } from 'zod';
import { err, ok, type Result } from '../../lib/result.ts';
import { frame } from '../protocol/frame-decoder.ts';
import type { Entry, Message, Snapshot } from '../raft/types.ts';

/** The largest frame accepted: an InstallSnapshot carries the whole data tree. */
export const peerFrameBytesMax = 256 * 1024 * 1024;

const count = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const id = z.number().int().min(0).max(2 ** 31 - 1);
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'base64');
const bytes = base64.transform((text) => new Uint8Array(Buffer.from(text, 'base64')));

const entry = z.object({ index: count.min(1), term: count, data: bytes });
const snapshot = z.object({ index: count, term: count, data: bytes });
const envelope = { term: count, from: id, to: id };

const messageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('RequestVote'), ...envelope, lastLogIndex: count, lastLogTerm: count, preVote: z.boolean() }),
  z.object({ type: z.literal('RequestVoteResponse'), ...envelope, granted: z.boolean(), preVote: z.boolean() }),
  z.object({ type: z.literal('AppendEntries'), ...envelope, prevLogIndex: count, prevLogTerm: count, entries: z.array(entry), commit: count }),
  z.object({ type: z.literal('AppendEntriesResponse'), ...envelope, success: z.boolean(), matchIndex: count, rejectedIndex: count, lastIndex: count }),
  z.object({ type: z.literal('Heartbeat'), ...envelope, commit: count, context: count }),
  z.object({ type: z.literal('HeartbeatResponse'), ...envelope, context: count }),
  z.object({ type: z.literal('InstallSnapshot'), ...envelope, snapshot }),
]);

const frameSchema = z.discriminatedUnion('kind', [z.object({ kind: z.literal('hello'), from: id, to: id }), z.object({ kind: z.literal('message'), message: messageSchema })]);

export type PeerFrame = { readonly kind: 'hello'; readonly from: number; readonly to: number } | { readonly kind: 'message'; readonly message: Message };

const toBase64 = (data: Uint8Array) => Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('base64');
const entryJson = (e: Entry) => ({ index: e.index, term: e.term, data: toBase64(e.data) });
const snapshotJson = (s: Snapshot) => ({ index: s.index, term: s.term, data: toBase64(s.data) });

function messageJson(m: Message): unknown {
  switch (m.type) {
    case 'AppendEntries':
      return { ...m, entries: m.entries.map(entryJson) };
    case 'InstallSnapshot':
      return { ...m, snapshot: snapshotJson(m.snapshot) };
    case 'RequestVote':
    case 'RequestVoteResponse':
    case 'AppendEntriesResponse':
    case 'Heartbeat':
    case 'HeartbeatResponse':
      return m;
    default:
      return m satisfies never;
  }
}

/** One frame on the wire: the length prefix, then the JSON. */
export function encodePeerFrame(peerFrame: PeerFrame): Uint8Array {
  const json = peerFrame.kind === 'hello' ? peerFrame : { kind: 'message', message: messageJson(peerFrame.message) };
  return frame(new TextEncoder().encode(JSON.stringify(json)));
}

/** A frame's payload (without its length prefix) read back, or why it is refused. */
export function decodePeerFrame(payload: Uint8Array): Result<PeerFrame, string> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch (thrown) {
    return err(`not JSON: ${(thrown as Error).message}`);
  }
  const parsed = frameSchema.safeParse(json);
  if (!parsed.success) return err(parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; '));
  const value = parsed.data;
  if (value.kind === 'message' && value.message.type === 'AppendEntries') {
    const m = value.message;
    if (!m.entries.every((e, k) => e.index === m.prevLogIndex + 1 + k)) return err(`AppendEntries entries do not follow prevLogIndex ${m.prevLogIndex} one by one`);
  }
  return ok(value as PeerFrame);
}
