import { describe, expect, it } from 'vitest';
import type { StateSink } from '../../model-check/model.ts';
import { clearPair, dequeue, emptyLinks, encodeQueue, enqueue, queuesWithin, type MutableLinks } from './fifo.ts';

describe('FIFO links between ordered pairs', () => {
  it('deliver in the order sent, per pair, and empty both directions when a connection closes', () => {
    const state = emptyLinks<string>(2);
    const links: MutableLinks<string> = state.slice();
    enqueue(links, 0 * 2 + 1, 'a');
    enqueue(links, 0 * 2 + 1, 'b');
    enqueue(links, 1 * 2 + 0, 'c');
    expect(state.every((q) => q.length === 0)).toBe(true); // the state is never changed in place
    expect(queuesWithin(links, 1)).toBe(false);
    expect(dequeue(links, 1)).toBe('a');
    expect(links[1]).toEqual(['b']);
    clearPair(links, 2, 1, 0);
    expect(links).toEqual([[], [], [], []]);
    expect(() => dequeue(links, 1)).toThrow(/empty link/);
  });

  it('encode a queue as its length and its items in order', () => {
    const ints: number[] = [];
    const sink: StateSink = { int: (v) => void ints.push(v), bool: () => {}, str: () => {}, unordered: () => {} };
    encodeQueue(sink, { map: [0], inverse: [0] }, [7, 8], (m, s) => s.int(m));
    expect(ints).toEqual([2, 7, 8]);
  });
});
