// The disk-backed frontier and seen set against plain in-memory references.

import { closeSync, mkdtempSync, openSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../lib/random.ts';
import { DiskFingerprintSet } from './disk-fingerprint-set.ts';
import { DiskStateQueue } from './disk-state-queue.ts';
import { codecOf } from './state-codec.ts';
import { countersModel } from './toys.ts';

const directories: string[] = [];
function scratch(): string {
  const directory = mkdtempSync(join(tmpdir(), 'zkspec-disk-'));
  directories.push(directory);
  return directory;
}
afterEach(() => {
  for (const directory of directories.splice(0)) rmSync(directory, { recursive: true, force: true });
});

describe('DiskStateQueue', () => {
  for (const codecName of ['model', 'v8'] as const) {
    it(`gives states back in FIFO order across spilled segments (${codecName} codec)`, () => {
      const directory = scratch();
      const codec = codecOf(countersModel(2, 1000, codecName === 'model'));
      expect(codec.kind).toBe(codecName);
      const queue = new DiskStateQueue(codec, { directory, segmentStates: 7, shouldSpill: () => true });
      const out: number[] = [];
      let next = 0;
      // Interleave: push 3, pop 2, so the queue grows through many segments and drains.
      for (let round = 0; round < 300; round++) {
        for (let i = 0; i < 3; i++) queue.enqueue([next++, 7]);
        for (let i = 0; i < 2; i++) out.push(queue.dequeue()[0]!);
      }
      expect(queue.spilledStates).toBeGreaterThan(0);
      expect(readdirSync(directory).length).toBeGreaterThan(0);
      while (queue.size > 0) out.push(queue.dequeue()[0]!);
      expect(out).toEqual(Array.from({ length: 900 }, (_, i) => i));
      expect(readdirSync(directory)).toEqual([]);
      expect(queue.diskBytes).toBe(0);
    });
  }

  it('keeps segments in memory while shouldSpill says no, and writes them to disk when it says yes', () => {
    const directory = scratch();
    let spill = false;
    const queue = new DiskStateQueue(codecOf(countersModel(1, 10, true)), { directory, segmentStates: 4, shouldSpill: () => spill });
    for (let i = 0; i < 12; i++) queue.enqueue([i]);
    expect(queue.spilledStates).toBe(0);
    spill = true;
    for (let i = 12; i < 24; i++) queue.enqueue([i]);
    expect(queue.spilledStates).toBe(12);
    const out: number[] = [];
    while (queue.size > 0) out.push(queue.dequeue()[0]!);
    expect(out).toEqual(Array.from({ length: 24 }, (_, i) => i));
  });

  it('writes its states into one segment file that a new queue adopts, partly read, then written again', () => {
    const directory = scratch();
    const codec = codecOf(countersModel(1, 10, true));
    const queue = new DiskStateQueue(codec, { directory, segmentStates: 5, shouldSpill: () => true });
    for (let i = 0; i < 23; i++) queue.enqueue([i]);
    queue.dequeue();
    queue.dequeue();
    const first = join(directory, 'frontier-1.seg');
    let fd = openSync(first, 'w');
    const bytes = queue.writeTo(fd);
    closeSync(fd);
    queue.close();
    const adopted = new DiskStateQueue(codec, { segmentStates: 4, shouldSpill: () => false });
    adopted.adoptFile(first, 21, bytes);
    expect(adopted.dequeue()).toEqual([2]);
    adopted.enqueue([23]);
    const second = join(directory, 'frontier-2.seg');
    fd = openSync(second, 'w');
    adopted.writeTo(fd);
    closeSync(fd);
    const again = new DiskStateQueue(codec, { segmentStates: 4, shouldSpill: () => false });
    again.adoptFile(second, adopted.size, 0);
    const out: number[] = [];
    while (again.size > 0) out.push(again.dequeue()[0]!);
    expect(out).toEqual(Array.from({ length: 21 }, (_, i) => i + 3));
  });
});

describe('DiskFingerprintSet', () => {
  it('answers as an in-memory set across many flushes to its sorted file (seed 11)', () => {
    const seed = 11;
    const random = new Random(seed);
    const set = new DiskFingerprintSet(scratch(), 1); // the smallest table: 1,024 slots, a flush every 614 entries
    const reference = new Map<string, number>();
    const drawn: [number, number][] = [[0, 0], [0, 1], [0xffffffff, 0xffffffff]];
    for (let i = 0; i < 20_000; i++) {
      // Half new, half a repeat of an earlier one (which may be on disk by now).
      const pair: [number, number] =
        i % 2 === 0 || drawn.length === 0 ? [random.nextUint32() & 0xff, random.nextUint32()] : drawn[random.nextUint32() % drawn.length]!;
      drawn.push(pair);
      const [hi, lo] = pair;
      const key = hi === 0 && lo === 0 ? '0:1' : `${hi}:${lo}`;
      const expected = reference.has(key) ? -1 : reference.size;
      if (expected >= 0) reference.set(key, expected);
      expect(set.add(hi, lo), `add #${i} (${hi}, ${lo}), seed ${seed}`).toBe(expected);
    }
    expect(set.size).toBe(reference.size);
    expect(set.flushes).toBeGreaterThan(5);
    expect(set.diskReads).toBeGreaterThan(0);
    set.close();
  });
});
