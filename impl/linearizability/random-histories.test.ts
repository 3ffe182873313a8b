// A few hundred valid histories, made by simulated-history.ts's separate
// model of the data tree (overlapping intervals, stale reads within what
// ZooKeeper allows, lost replies), must all pass; each with one reply
// corrupted must not. Seeded; the seed and the command are in every failure.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkHistory, formatVerdict } from './checker.ts';
import { parseHistory, type HistoryFile } from './history.ts';
import { simulateHistory } from './simulated-history.ts';

const seed = Number(process.env['LINCHECK_SEED'] ?? 20261207);
const reproduce = `LINCHECK_SEED=${seed} npx vitest run --config .ci/vitest.config.ts impl/linearizability/random-histories.test.ts`;

function check(document: unknown) {
  const parsed = parseHistory(document);
  if (!parsed.ok) throw new Error(parsed.error);
  const verdict = checkHistory(parsed.history, { stepsMax: 2_000_000 });
  return { verdict, text: formatVerdict(verdict, parsed.history).join('\n') };
}

const simulation = fc.record({
  operations: fc.integer({ min: 20, max: 160 }),
  clients: fc.integer({ min: 2, max: 6 }),
  registers: fc.integer({ min: 1, max: 4 }),
  seed: fc.integer(),
  lostReplies: fc.constantFrom(0, 0.05, 0.15),
});

describe(`random histories (seed ${seed}; reproduce: ${reproduce})`, () => {
  it('every valid history passes', () => {
    fc.assert(
      fc.property(simulation, (options) => {
        const { verdict, text } = check(simulateHistory(options));
        if (verdict.verdict !== 'linearizable') throw new Error(`simulateHistory(${JSON.stringify(options)}) (${reproduce}):\n${text}`);
      }),
      { seed, numRuns: 300, endOnFailure: true },
    );
  });

  it('a valid history with one read or write reply corrupted is reported', () => {
    let corrupted = 0;
    fc.assert(
      fc.property(simulation, fc.nat(), (options, which) => {
        const document = simulateHistory({ ...options, lostReplies: 0 }) as HistoryFile;
        // A version no write could have given: a read of it, or a write acknowledged with it, has no explanation.
        const candidates = document.events.filter((event) => event.type === 'complete' && event.result !== 'info' && event.result.code === 'OK' && event.result.version !== undefined);
        if (candidates.length === 0) return;
        const target = candidates[which % candidates.length]!;
        if (target.type !== 'complete' || target.result === 'info') return;
        target.result = { ...target.result, version: target.result.version! + 1000 };
        corrupted++;
        const { verdict, text } = check(document);
        if (verdict.verdict !== 'anomaly') throw new Error(`simulateHistory(${JSON.stringify(options)}) with op ${target.id}'s version corrupted (${reproduce}):\n${text}`);
      }),
      { seed, numRuns: 100, endOnFailure: true },
    );
    expect(corrupted).toBeGreaterThan(50);
  });

  it("a valid history with one read's Stat naming another write is reported", () => {
    let corrupted = 0;
    fc.assert(
      fc.property(simulation, fc.nat(), (options, which) => {
        const document = simulateHistory({ ...options, lostReplies: 0 }) as HistoryFile;
        // The mzxid of a value no write of that path made with that zxid: the zxid of a write of another path, or none.
        const reads = document.events.filter((event) => event.type === 'complete' && event.result !== 'info' && event.result.code === 'OK' && event.result.mzxid !== undefined && event.result.czxid !== undefined && event.result.data !== undefined);
        const writes = document.events.flatMap((event) => (event.type === 'complete' && event.result !== 'info' && event.result.zxid !== undefined && event.result.data === undefined && event.result.czxid === undefined ? [event.result.zxid] : []));
        if (reads.length === 0) return;
        const target = reads[which % reads.length]!;
        if (target.type !== 'complete' || target.result === 'info') return;
        const result = target.result;
        const other = writes.find((zxid) => zxid !== result.mzxid && zxid > 0) ?? result.mzxid! + 100_000;
        target.result = { ...result, mzxid: which % 2 === 0 ? other : result.mzxid! + 100_000 };
        corrupted++;
        const { verdict, text } = check(document);
        if (verdict.verdict !== 'anomaly') throw new Error(`simulateHistory(${JSON.stringify(options)}) with op ${target.id}'s mzxid corrupted (${reproduce}):\n${text}`);
      }),
      { seed, numRuns: 100, endOnFailure: true },
    );
    expect(corrupted).toBeGreaterThan(50);
  });

  it('the same histories without zxids and Stats (an older recording) pass too', () => {
    fc.assert(
      fc.property(simulation, (options) => {
        const { verdict, text } = check(simulateHistory({ ...options, zxids: false }));
        if (verdict.verdict !== 'linearizable') throw new Error(`simulateHistory(${JSON.stringify({ ...options, zxids: false })}) (${reproduce}):\n${text}`);
      }),
      { seed, numRuns: 50, endOnFailure: true },
    );
  });
});

// Lost replies at a larger scale, where the search's pruning of indeterminate operations (indeterminate.ts) is
// what keeps it fast: each history must pass, and with one reply corrupted (a read's or a write's version that no
// order of the writes gives, among hundreds of lost replies) must fail. A history per seed, seeds from the one above.
describe(`lost replies at scale (seed ${seed}; reproduce: ${reproduce})`, () => {
  const cases = [0, 1, 2].map((k) => ({ operations: k === 0 ? 2000 : 3000, clients: 20, registers: 40, seed: seed + k, lostReplies: k === 0 ? 0.05 : 0.01 }));

  it.each(cases)('simulateHistory($operations operations, $lostReplies lost, seed $seed) passes, and fails with a reply corrupted', (options) => {
    const document = simulateHistory(options) as HistoryFile;
    const valid = check(document);
    if (valid.verdict.verdict !== 'linearizable') throw new Error(`simulateHistory(${JSON.stringify(options)}) (${reproduce}):\n${valid.text}`);
    expect(valid.verdict.indeterminate).toBeGreaterThan(options.operations * options.lostReplies * 0.5);
    const candidates = document.events.filter((event) => event.type === 'complete' && event.result !== 'info' && event.result.code === 'OK' && event.result.version !== undefined);
    const target = candidates[Math.floor(candidates.length / 2)]!;
    if (target.type !== 'complete' || target.result === 'info') throw new Error('unreachable');
    target.result = { ...target.result, version: target.result.version! + 1 };
    const corrupted = check(document);
    if (corrupted.verdict.verdict !== 'anomaly') throw new Error(`simulateHistory(${JSON.stringify(options)}) with op ${target.id}'s version one higher (${reproduce}):\n${corrupted.text}`);
  });
});
