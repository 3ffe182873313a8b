import { describe, expect, it } from 'vitest';
import type { Message } from '../raft/types.ts';
import { decodePeerFrame, encodePeerFrame } from './wire.ts';

const payloadOf = (bytes: Uint8Array) => bytes.subarray(4);
const text = (json: unknown) => new TextEncoder().encode(JSON.stringify(json));

describe('the members wire format', () => {
  const data = Uint8Array.of(0, 1, 2, 250, 255);
  const messages: Message[] = [
    { type: 'RequestVote', term: 3, from: 1, to: 2, lastLogIndex: 9, lastLogTerm: 2, preVote: true },
    { type: 'RequestVoteResponse', term: 3, from: 2, to: 1, granted: false, preVote: false },
    { type: 'AppendEntries', term: 3, from: 1, to: 2, prevLogIndex: 4, prevLogTerm: 2, entries: [{ index: 5, term: 3, data }, { index: 6, term: 3, data: new Uint8Array(0) }], commit: 4 },
    { type: 'AppendEntriesResponse', term: 3, from: 2, to: 1, success: false, matchIndex: 0, rejectedIndex: 4, lastIndex: 3 },
    { type: 'Heartbeat', term: 3, from: 1, to: 3, commit: 6, context: 17 },
    { type: 'HeartbeatResponse', term: 3, from: 3, to: 1, context: 17 },
    { type: 'InstallSnapshot', term: 3, from: 1, to: 3, snapshot: { index: 6, term: 3, data } },
  ];

  for (const message of messages) {
    it(`${message.type} goes through a frame unchanged`, () => {
      const bytes = encodePeerFrame({ kind: 'message', message });
      expect(new DataView(bytes.buffer).getInt32(0)).toBe(bytes.length - 4);
      const decoded = decodePeerFrame(payloadOf(bytes));
      expect(decoded).toEqual({ ok: true, value: { kind: 'message', message } });
    });
  }

  it('refuses what does not validate, saying where', () => {
    const refusals: [unknown, RegExp][] = [
      [{ kind: 'message', message: { type: 'Heartbeat', term: -1, from: 1, to: 2, commit: 0, context: 0 } }, /message\.term/],
      [{ kind: 'message', message: { type: 'Vote', term: 1, from: 1, to: 2 } }, /message\.type/],
      [{ kind: 'message', message: { type: 'AppendEntries', term: 1, from: 1, to: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 1, term: 1, data: '%%' }], commit: 0 } }, /base64/],
      [{ kind: 'message', message: { type: 'AppendEntries', term: 1, from: 1, to: 2, prevLogIndex: 0, prevLogTerm: 0, entries: [{ index: 2, term: 1, data: '' }], commit: 0 } }, /do not follow prevLogIndex 0/],
      [{ kind: 'hello', from: 1.5, to: 2 }, /from/],
      [{ kind: 'goodbye' }, /kind/],
    ];
    for (const [json, reason] of refusals) {
      const decoded = decodePeerFrame(text(json));
      expect(decoded.ok, JSON.stringify(json)).toBe(false);
      if (!decoded.ok) expect(decoded.error).toMatch(reason);
    }
    const notUtf8 = decodePeerFrame(Uint8Array.of(0x7b, 0xff, 0x7d));
    expect(notUtf8.ok).toBe(false);
  });
});
