import { describe, expect, it } from 'vitest';
import type { StateSink } from '../../model-check/model.ts';
import { crashed, encodeHost, enqueueWrite, withNode, withoutPending, type Host } from './host.ts';

type H = Host<string, readonly string[], string>;

describe('a host: memory, disk and fsync queue', () => {
  it('a crash loses memory and the queue and keeps the disk; a restart starts from the disk', () => {
    const up: H = enqueueWrite({ node: 'memory', disk: ['x'], pending: [] }, 'y');
    expect(up.pending).toEqual(['y']);
    const down = crashed(up);
    expect(down).toEqual({ node: null, disk: ['x'], pending: [] });
    expect(withNode(down, `rebuilt from ${down.disk.join()}`).node).toBe('rebuilt from x');
    expect(withoutPending(up)).toEqual({ node: 'memory', disk: ['x'], pending: [] });
  });

  it('encodes whether it is up, its memory, its disk, then its queue', () => {
    const out: (string | number | boolean)[] = [];
    const sink: StateSink = { int: (v) => void out.push(v), bool: (b) => void out.push(b), str: (s) => void out.push(s), unordered: () => {} };
    const write = (s: string, k: StateSink) => k.str(s);
    const host: H = { node: 'm', disk: ['d'], pending: ['w1', 'w2'] };
    encodeHost(sink, { map: [0], inverse: [0] }, host, write, (d, k) => d.forEach((s) => k.str(s)), write);
    expect(out).toEqual([true, 'm', 'd', 2, 'w1', 'w2']);
    out.length = 0;
    encodeHost(sink, { map: [0], inverse: [0] }, crashed(host), write, (d, k) => d.forEach((s) => k.str(s)), write);
    expect(out).toEqual([false, 'd', 0]);
  });
});
