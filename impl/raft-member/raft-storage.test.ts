import { cpSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Random } from '../../lib/random.ts';
import { EMPTY_STORED, type Stored } from '../raft/node.ts';
import type { Persist } from '../raft/ready.ts';
import { NONE } from '../raft/types.ts';
import { applyPersist } from '../raft/world.ts';
import { type FsLayer, nodeFs } from '../storage/fs-layer.ts';
import { CountingFs, CrashingFs, freshDirs } from '../storage/test-support.ts';
import { RaftStorage, type RaftStorageOptions } from './raft-storage.ts';
import { bytesOf, crashOutcomeProblem, entriesText, randomPersist, storedText } from './storage-test-support.ts';

const newDir = freshDirs('raft-storage-');
// Small segments and preallocation, so that a few entries roll segments and write zeros ahead.
const small: RaftStorageOptions = { segmentBytesMax: 160, preallocateBytes: 128 };

async function open(dir: string, fs: FsLayer = nodeFs, options: Partial<RaftStorageOptions> = small) {
  const opened = await RaftStorage.open(fs, dir, options);
  if (!opened.ok) throw new Error(`open failed: ${opened.error.message}`);
  return opened.value;
}

async function persistAll(dir: string, persists: readonly Persist[], options: Partial<RaftStorageOptions> = small): Promise<Stored> {
  const { storage, stored } = await open(dir, nodeFs, options);
  let model = stored;
  for (const p of persists) {
    const result = await storage.persist(p);
    if (!result.ok) throw new Error(result.error.message);
    model = applyPersist(model, p);
  }
  await storage.close();
  return model;
}

const entry = (index: number, term: number, text = `e${index}`) => ({ index, term, data: bytesOf(text) });

describe('restart returns exactly what was persisted', () => {
  it('an empty directory is term 0, no vote, no snapshot, no entries', async () => {
    const { stored } = await open(newDir());
    expect(stored).toEqual(EMPTY_STORED);
  });

  for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
    it(`seeded persists (hard states, appends, conflicting appends, compactions, installed snapshots), reopened at random: seed ${seed}`, async () => {
      const random = new Random(seed);
      const dir = newDir();
      let opened = await open(dir);
      let model = opened.stored;
      for (let step = 0; step < 60; step++) {
        const persist = randomPersist(random, model, step);
        const result = await opened.storage.persist(persist);
        expect(result.ok, `seed ${seed} step ${step}: ${result.ok ? '' : result.error.message}`).toBe(true);
        model = applyPersist(model, persist);
        if (random.nextInt(4) === 0) {
          await opened.storage.close();
          opened = await open(dir);
          expect(storedText(opened.stored), `reproduce: seed ${seed}, step ${step}`).toEqual(storedText(model));
        }
      }
      await opened.storage.close();
      expect(storedText((await open(dir)).stored), `reproduce: seed ${seed}`).toEqual(storedText(model));
    });
  }

  it('a compaction removes the segments wholly before the one holding the snapshot, and no others', async () => {
    const dir = newDir();
    const entries = Array.from({ length: 30 }, (_, k) => entry(k + 1, 1));
    await persistAll(dir, entries.map((e) => ({ entries: [e] })));
    const segmentsBefore = readdirSync(dir).filter((n) => n.startsWith('log.'));
    expect(segmentsBefore.length).toBeGreaterThan(3);
    const model = await persistAll(dir, [{ snapshot: { snapshot: { index: 20, term: 1, data: bytesOf('at 20') }, replacesLog: false } }]);
    const segmentsAfter = readdirSync(dir).filter((n) => n.startsWith('log.'));
    expect(segmentsAfter.length).toBeLessThan(segmentsBefore.length);
    const firsts = segmentsAfter.map((n) => Number.parseInt(n.slice(4), 16)).sort((a, b) => a - b);
    expect(firsts[0]).toBeLessThanOrEqual(20);
    expect(firsts[1]).toBeGreaterThan(20);
    expect(storedText((await open(dir)).stored)).toEqual(storedText(model));
    expect(entriesText((await open(dir)).stored.entries)[0]).toBe('21:1:e21');
  });
});

describe('a torn tail is cut, damage elsewhere stops the member', () => {
  const five = [1, 2, 3, 4, 5].map((i) => entry(i, 1, `entry-${i}-payload`));

  async function fiveInOneSegment(preallocateBytes: number): Promise<{ dir: string; segment: string; bytes: Buffer; lastStart: number }> {
    const dir = newDir();
    await persistAll(dir, [{ hardState: { term: 1, vote: 2 } }, { entries: five.slice(0, 4) }, { entries: [five[4]!] }], { segmentBytesMax: 1 << 20, preallocateBytes });
    const segment = readdirSync(dir).find((n) => n.startsWith('log.'))!;
    const bytes = readFileSync(join(dir, segment));
    // Header 20 bytes, then per record 16 bytes, the 8-byte term and the data.
    const recordSize = (e: { data: Uint8Array }) => 16 + 8 + e.data.length;
    const lastStart = 20 + five.slice(0, 4).reduce((s, e) => s + recordSize(e), 0);
    return { dir, segment, bytes, lastStart };
  }

  it('cut at every byte of the last record: the first four entries come back, and the log goes on after them', async () => {
    const { dir, segment, bytes, lastStart } = await fiveInOneSegment(0);
    expect(bytes.length).toBe(lastStart + 16 + 8 + five[4]!.data.length);
    for (let cut = lastStart + 1; cut < bytes.length; cut++) {
      const copy = newDir();
      cpSync(dir, copy, { recursive: true });
      writeFileSync(join(copy, segment), bytes.subarray(0, cut));
      const { storage, stored, report } = await open(copy);
      expect(entriesText(stored.entries), `cut at ${cut}`).toEqual(entriesText(five.slice(0, 4)));
      expect(stored.hardState).toEqual({ term: 1, vote: 2 });
      expect(report.tornTail, `cut at ${cut}`).toMatchObject({ name: segment, offset: lastStart, reason: 'torn-record', discardedBytes: cut - lastStart });
      expect((await storage.persist({ entries: [entry(5, 2, 'rewritten')] })).ok).toBe(true);
      await storage.close();
      expect(entriesText((await open(copy)).stored.entries), `cut at ${cut}`).toEqual([...entriesText(five.slice(0, 4)), '5:2:rewritten']);
    }
  });

  it('a write stopped part way into preallocated space (zeros from every byte of the last record on) is a torn tail too', async () => {
    const { dir, segment, bytes, lastStart } = await fiveInOneSegment(4096);
    expect(bytes.length).toBeGreaterThan(lastStart + 4096 / 2); // preallocated zeros follow the records
    for (let cut = lastStart + 1; cut < lastStart + 16 + 8 + five[4]!.data.length; cut++) {
      const copy = newDir();
      cpSync(dir, copy, { recursive: true });
      const torn = Buffer.from(bytes);
      torn.fill(0, cut);
      writeFileSync(join(copy, segment), torn);
      const { stored, report } = await open(copy);
      expect(entriesText(stored.entries), `zeros from ${cut}`).toEqual(entriesText(five.slice(0, 4)));
      // Zeros from inside the length field's high bytes are the preallocated end itself, not a torn record.
      const onlyZerosWritten = bytes.subarray(lastStart, cut).every((b) => b === 0);
      expect(report.tornTail?.offset, `zeros from ${cut}`).toBe(onlyZerosWritten ? undefined : lastStart);
    }
  });

  it('a flipped byte in a middle record is an error naming the file and the offset, never a shorter log', async () => {
    const { dir, segment, bytes, lastStart } = await fiveInOneSegment(0);
    const third = 20 + 2 * (16 + 8 + five[0]!.data.length);
    for (const at of [third + 4 + 1, third + 16 + 3, third + 16 + 8 + 2, lastStart + 16 + 8 + 1]) {
      const damaged = Buffer.from(bytes);
      damaged[at] = damaged[at]! ^ 0x40;
      writeFileSync(join(dir, segment), damaged);
      const opened = await RaftStorage.open(nodeFs, dir, small);
      expect(opened.ok, `flipped byte ${at}`).toBe(false);
      if (!opened.ok) {
        expect(opened.error.kind).toBe('corrupt');
        expect(opened.error.message).toContain(segment);
        expect(opened.error.message).toMatch(/bad-checksum at byte \d+, before the end of the log/);
      }
    }
    // A flipped length field of a middle record is damage too (its record would end past the file).
    writeFileSync(join(dir, segment), bytes);
    expect((await RaftStorage.open(nodeFs, dir, small)).ok).toBe(true);
  });

  it('a torn record in a segment that is not the last is damage, not a tail', async () => {
    const dir = newDir();
    await persistAll(dir, Array.from({ length: 20 }, (_, k) => ({ entries: [entry(k + 1, 1)] })), { ...small, preallocateBytes: 0 });
    const segments = readdirSync(dir)
      .filter((n) => n.startsWith('log.'))
      .sort((a, b) => Number.parseInt(a.slice(4), 16) - Number.parseInt(b.slice(4), 16));
    expect(segments.length).toBeGreaterThan(2);
    const first = join(dir, segments[0]!);
    writeFileSync(first, readFileSync(first).subarray(0, readFileSync(first).length - 3));
    const opened = await RaftStorage.open(nodeFs, dir, small);
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.error.message).toContain(`${segments[0]}: torn-record`);
  });

  it('a damaged hard state is an error: a member that forgot its vote could vote twice', async () => {
    const dir = newDir();
    await persistAll(dir, [{ hardState: { term: 3, vote: 1 } }]);
    const path = join(dir, 'hardstate');
    const bytes = readFileSync(path);
    bytes[9] = bytes[9]! ^ 1;
    writeFileSync(path, bytes);
    const opened = await RaftStorage.open(nodeFs, dir, small);
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.error.message).toMatch(/hardstate: the term and vote cannot be read back \(checksum mismatch\)/);
  });
});

describe('a crash at any file-system call of a persist leaves a state recovery accepts', () => {
  const base: Persist[] = [
    { hardState: { term: 1, vote: 1 } },
    ...Array.from({ length: 10 }, (_, k): Persist => ({ entries: [entry(k + 1, 1)] })),
    { snapshot: { snapshot: { index: 3, term: 1, data: bytesOf('s3') }, replacesLog: false } },
  ];
  const cases: { name: string; persist: Persist }[] = [
    { name: 'a vote and a conflicting append across segments', persist: { hardState: { term: 2, vote: 2 }, entries: [entry(5, 2, 'x5'), entry(6, 2, 'x6'), entry(7, 2, 'x7')] } },
    { name: 'an append after the last entry', persist: { entries: [entry(11, 1), entry(12, 1)] } },
    { name: 'a compaction', persist: { snapshot: { snapshot: { index: 8, term: 1, data: bytesOf('s8') }, replacesLog: false } } },
    {
      name: 'an installed snapshot that replaces the log, with entries after it',
      persist: { hardState: { term: 3, vote: NONE }, snapshot: { snapshot: { index: 7, term: 3, data: bytesOf('i7') }, replacesLog: true }, entries: [entry(8, 3), entry(9, 3)] },
    },
  ];

  for (const { name, persist } of cases) {
    it(name, async () => {
      const dir = newDir();
      const before = await persistAll(dir, base);
      const after = applyPersist(before, persist);
      let crashes = 0;
      for (let at = 0; ; at++) {
        const copy = newDir();
        cpSync(dir, copy, { recursive: true });
        const fs = new CrashingFs();
        const { storage } = await open(copy, fs);
        const opened = fs.calls.length;
        fs.crashAtCall = opened + at;
        const result = await storage.persist(persist);
        const recovered = (await open(copy)).stored;
        if (!fs.hasCrashed) {
          expect(result.ok).toBe(true);
          expect(storedText(recovered)).toEqual(storedText(after));
          break;
        }
        crashes++;
        // Nothing is acknowledged after a crash: the receipt would open the outbox.
        expect(result.ok, `crash at ${fs.calls.at(-1)}`).toBe(false);
        expect(crashOutcomeProblem(before, persist, after, recovered), `crash at call ${at} (${fs.calls.slice(opened).join(', ')})`).toBeUndefined();
      }
      expect(crashes).toBeGreaterThan(3);
    });
  }
});

describe('operating errors are values that stop the storage', () => {
  for (const [what, plan] of [
    ['ENOSPC on the write', { failWrites: { code: 'ENOSPC', at: new Set([0]) } }],
    ['EIO on the fsync', { failSyncs: { code: 'EIO', at: new Set([0]) } }],
  ] as const) {
    it(`${what}: the persist fails with the code, every later one is refused, and a restart has the state before it`, async () => {
      const dir = newDir();
      const before = await persistAll(dir, [{ entries: [entry(1, 1), entry(2, 1)] }]);
      const fs = new CountingFs();
      const { storage } = await open(dir, fs, { segmentBytesMax: 1 << 20, preallocateBytes: 0 });
      fs.writes = 0;
      fs.fileSyncs = 0;
      fs.plan = plan;
      const failed = await storage.persist({ entries: [entry(3, 1)] });
      expect(failed.ok).toBe(false);
      if (!failed.ok) expect(failed.error).toMatchObject({ kind: 'io', code: plan.failWrites?.code ?? plan.failSyncs?.code });
      fs.plan = {};
      const refused = await storage.persist({ hardState: { term: 2, vote: 1 } });
      expect(refused.ok).toBe(false);
      if (!refused.ok) expect(refused.error.kind).toBe('failed');
      await storage.close();
      const recovered = (await open(dir)).stored;
      expect(recovered.hardState).toEqual(before.hardState);
      // The failed append may or may not have reached the disk, but it was never acknowledged.
      expect(entriesText(recovered.entries).slice(0, 2)).toEqual(entriesText(before.entries));
    });
  }
});
