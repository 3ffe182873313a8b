import { describe, expect, it } from 'vitest';
import { ballot, nodeId } from '../common/types.ts';
import { destOf, pack, permuteMessage, unpack, withDest, withoutDest } from './packing.ts';
import type { Message } from './types.ts';

/** Every message of Paxos.tla's Message set for 3 acceptors, 3 ballots, 2 values. */
function allMessages(): Message[] {
  const out: Message[] = [];
  for (let b = 0; b < 3; b++) {
    out.push({ type: '1a', bal: ballot(b) });
    for (let v = 0; v < 2; v++) out.push({ type: '2a', bal: ballot(b), val: v });
    for (let a = 0; a < 3; a++) {
      for (let v = 0; v < 2; v++) out.push({ type: '2b', acc: nodeId(a), bal: ballot(b), val: v });
      out.push({ type: '1b', acc: nodeId(a), bal: ballot(b), mbal: ballot(-1), mval: -1 });
      for (let mb = 0; mb < b; mb++) {
        for (let v = 0; v < 2; v++) out.push({ type: '1b', acc: nodeId(a), bal: ballot(b), mbal: ballot(mb), mval: v });
      }
    }
  }
  return out;
}

describe('packed messages', () => {
  it('round-trip every message of the 3-acceptor, 3-ballot, 2-value universe, with and without an address', () => {
    const messages = allMessages();
    const packed = new Set<number>();
    for (const m of messages) {
      expect(unpack(pack(m))).toEqual(m);
      for (let dest = 0; dest < 3; dest++) {
        const addressed = pack(m, dest);
        expect(destOf(addressed)).toBe(dest);
        expect(withoutDest(addressed)).toBe(pack(m));
        expect(withDest(pack(m), dest)).toBe(addressed);
        packed.add(addressed);
      }
    }
    expect(packed.size).toBe(messages.length * 3); // injective
  });

  it('rename the sender of a 1b/2b always, and the address of a 1a/2a only in a bag', () => {
    const swap12 = [1, 0, 2];
    const vote = pack({ type: '2b', acc: nodeId(0), bal: ballot(1), val: 1 }, 2);
    expect(unpack(permuteMessage(vote, swap12, true))).toMatchObject({ acc: 1 });
    expect(destOf(permuteMessage(vote, swap12, true))).toBe(2); // a 2b's address is a learner
    const request = pack({ type: '2a', bal: ballot(1), val: 0 }, 1);
    expect(destOf(permuteMessage(request, swap12, true))).toBe(0);
    expect(permuteMessage(request, swap12, false)).toBe(request);
  });
});
