import { describe, expect, it } from 'vitest';
import { bagWith, bagWithout, type Bag } from './bag.ts';

const same = (a: { id: number }, b: { id: number }) => a.id === b.id;

describe('a bag of message records [Message -> count]', () => {
  it('counts copies of equal records, and the last copy leaves the domain', () => {
    const once = bagWith<{ id: number }>([], { id: 1 }, same, false);
    const twice = bagWith(once, { id: 1 }, same, false);
    expect(twice).toEqual([{ message: { id: 1 }, count: 2 }]);
    expect(bagWithout(bagWithout(twice, { id: 1 }, same, false), { id: 1 }, same, false)).toEqual([]);
    expect(bagWithout(twice, { id: 2 }, same, false)).toBe(twice);
  });

  it('keepDomain: a delivered message stays with count 0 and is never added again', () => {
    const sent: Bag<{ id: number }> = bagWith([], { id: 1 }, same, true);
    const delivered = bagWithout(sent, { id: 1 }, same, true);
    expect(delivered).toEqual([{ message: { id: 1 }, count: 0 }]);
    expect(bagWith(delivered, { id: 1 }, same, true)).toBe(delivered);
  });
});
