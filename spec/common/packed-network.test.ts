import { describe, expect, it } from 'vitest';
import { bagAdd, bagAddSorted, bagRemove, contains, setAdd } from './packed-network.ts';

describe('sorted-array set and bag', () => {
  it('a set ignores a second insertion and returns the same array', () => {
    const s = setAdd(setAdd([], 7), 3);
    expect(s).toEqual([3, 7]);
    expect(setAdd(s, 7)).toBe(s);
    expect(contains(s, 3) && !contains(s, 5)).toBe(true);
  });

  it('a bag counts copies and removes one at a time', () => {
    const b = bagAdd(bagAdd(bagAdd([], 5), 2), 5);
    expect(b).toEqual([2, 5, 5]);
    expect(bagRemove(b, 5)).toEqual([2, 5]);
    expect(() => bagRemove([2], 5)).toThrow(/not in the network/);
  });

  it('a broadcast adds its copies at once, as one bagAdd per copy would', () => {
    const b = [2, 5, 5, 9];
    const copies = [1, 5, 6, 12];
    expect(bagAddSorted(b, copies, 4)).toEqual(copies.reduce((bag: readonly number[], c) => bagAdd(bag, c), b));
    expect(bagAddSorted(b, copies, 2)).toEqual([1, 2, 5, 5, 5, 9]);
    expect(bagAddSorted(b, copies, 0)).toBe(b);
  });
});
