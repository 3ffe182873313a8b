// Histories with one planted anomaly of each kind the checker exists to find,
// each beside its nearest valid twin (the same history with the anomaly
// removed, or the staleness ZooKeeper does allow), so that a checker that
// reports everything fails as surely as one that reports nothing.

import { describe, expect, it } from 'vitest';
import { checkHistory, formatVerdict, type Verdict } from './checker.ts';
import { parseHistory, type OpResult } from './history.ts';
import { HistoryRecorder, type CallInput } from './recorder.ts';

/** [session, invoked, completed (undefined: never), call, result]: one operation with explicit times. */
type Row = [session: number, invoked: number, completed: number | undefined, call: CallInput, result: OpResult | 'info'];

const ok = (fields: Omit<OpResult, 'code'> = {}): OpResult => ({ code: 'OK', ...fields });

function run(rows: readonly Row[], initial: Record<string, { data: string; version: number }> = { '/k': { data: 'v0', version: 0 } }): { verdict: Verdict; text: string } {
  let now = 0;
  const recorder = new HistoryRecorder(() => now, initial);
  const events: { time: number; order: number; act: () => void }[] = [];
  const ids = new Map<number, number>();
  rows.forEach(([session, invoked, completed, call, result], row) => {
    events.push({ time: invoked, order: 0, act: () => ids.set(row, recorder.invoke(session, call)) });
    if (completed !== undefined) events.push({ time: completed, order: 1, act: () => recorder.complete(ids.get(row)!, result) });
  });
  events.sort((a, b) => a.time - b.time || a.order - b.order);
  for (const event of events) {
    now = event.time;
    event.act();
  }
  const parsed = parseHistory(JSON.parse(JSON.stringify(recorder.toJSON())));
  if (!parsed.ok) throw new Error(parsed.error);
  const verdict = checkHistory(parsed.history);
  return { verdict, text: formatVerdict(verdict, parsed.history).join('\n') };
}

function expectAnomaly(rows: readonly Row[], mentions: RegExp, initial?: Record<string, { data: string; version: number }>): void {
  const { verdict, text } = run(rows, initial);
  expect(verdict.verdict, text).toBe('anomaly');
  expect(text).toMatch(mentions);
}

function expectValid(rows: readonly Row[], initial?: Record<string, { data: string; version: number }>): void {
  const { verdict, text } = run(rows, initial);
  expect(verdict.verdict, text).toBe('linearizable');
}

const setK = (data: string, version = -1): CallInput => ({ op: 'setData', args: { path: '/k', data, version } });
const getK: CallInput = { op: 'getData', args: { path: '/k' } };

describe('planted anomalies are reported, their valid twins are not', () => {
  it('a stale read beyond sequential consistency: a session reads older than its own write', () => {
    const rows: Row[] = [
      [1, 0, 1, setK('v1'), ok({ version: 1 })],
      [1, 2, 3, getK, ok({ data: 'v0', version: 0 })],
    ];
    expectAnomaly(rows, /getData \/k by session 1 returned OK version 0 .*after session 1 had seen \/k at version 1/);
    // Another session may read the old value: its reads may be stale with respect to others' writes.
    expectValid([rows[0]!, [2, 2, 3, getK, ok({ data: 'v0', version: 0 })]]);
  });

  it('a stale read beyond sequential consistency: a session reads older than what it read before', () => {
    const rows: Row[] = [
      [1, 0, 1, setK('v1'), ok({ version: 1 })],
      [2, 2, 3, getK, ok({ data: 'v1', version: 1 })],
      [2, 4, 5, getK, ok({ data: 'v0', version: 0 })],
    ];
    expectAnomaly(rows, /session 2 returned OK version 0 .* after session 2 had seen \/k at version 1/);
    expectValid([rows[0]!, rows[2]!, rows[1]!].map(([s, , , call, result], i): Row => [s, 2 + 2 * i, 3 + 2 * i, call, result]));
  });

  it('a read after sync that misses a write completed before the sync', () => {
    const write: Row = [1, 0, 1, setK('v1'), ok({ version: 1 })];
    const stale: Row = [2, 4, 5, getK, ok({ data: 'v0', version: 0 })];
    expectAnomaly([write, [2, 2, 3, { op: 'sync', args: { path: '/k' } }, ok()], stale], /completed before op #1 sync \/k by session 2 was invoked/);
    // Without the sync the same read is allowed; with a sync that started before the write completed, too.
    expectValid([write, stale]);
    expectValid([[1, 0, 3, setK('v1'), ok({ version: 1 })], [2, 2, 4, { op: 'sync', args: { path: '/k' } }, ok()], [2, 5, 6, getK, ok({ data: 'v0', version: 0 })]]);
  });

  it('a lost write: an acknowledged setData that a later conditional write does not see', () => {
    const rows: Row[] = [
      [1, 0, 1, setK('v1'), ok({ version: 1 })],
      [2, 2, 3, setK('v2', 0), ok({ version: 1 })],
    ];
    expectAnomaly(rows, /setData \/k data="v2" version=0 by session 2 → OK, new version 1 cannot take effect: ZooKeeper answers BadVersion/);
    expectValid([rows[0]!, [2, 2, 3, setK('v2', 0), { code: 'BadVersion' }]]);
    // Concurrent, the conditional write may go first.
    expectValid([[1, 0, 3, setK('v1'), ok({ version: 2 })], [2, 1, 2, setK('v2', 0), ok({ version: 1 })]]);
  });

  it('a lost write seen by its own session', () => {
    expectAnomaly(
      [
        [1, 0, 1, { op: 'create', args: { path: '/a', data: 'x' } }, ok({ path: '/a' })],
        [1, 2, 3, { op: 'exists', args: { path: '/a' } }, { code: 'NoNode' }],
      ],
      /exists \/a by session 1 returned NoNode after session 1 had seen \/a at version 0/,
      {},
    );
  });

  it('a write that takes effect twice', () => {
    const rows: Row[] = [
      [1, 0, 1, setK('v1'), ok({ version: 1 })],
      [2, 2, 3, getK, ok({ data: 'v1', version: 2 })],
    ];
    expectAnomaly(rows, /returned OK version 2 \(data "v1"\), which \/k never held/);
    expectValid([rows[0]!, [2, 2, 3, getK, ok({ data: 'v1', version: 1 })]]);
  });

  it('a duplicate and a decreasing sequence number', () => {
    const create = (n: number): CallInput => ({ op: 'create', args: { path: `/q/n-`, data: `c${n}`, sequential: true } });
    const name = (n: number) => `/q/n-${String(n).padStart(10, '0')}`;
    expectAnomaly(
      [
        [1, 0, 1, create(1), ok({ path: name(5) })],
        [2, 2, 3, create(2), ok({ path: name(5) })],
      ],
      /sequence number 5 under \/q is not above 5/,
      {},
    );
    expectAnomaly(
      [
        [1, 0, 1, create(1), ok({ path: name(5) })],
        [2, 2, 3, create(2), ok({ path: name(3) })],
      ],
      /sequence number 3 under \/q is not above 5/,
      {},
    );
    // Concurrent creates may be numbered in either order; gaps are allowed (the parent's cversion counts deletes too).
    expectValid(
      [
        [1, 0, 3, create(1), ok({ path: name(5) })],
        [2, 1, 2, create(2), ok({ path: name(3) })],
        [3, 4, 5, create(3), ok({ path: name(9) })],
      ],
      {},
    );
  });

  it('a read of an aborted multi', () => {
    const multi: CallInput = {
      op: 'multi',
      args: {
        ops: [
          { op: 'setData', args: { path: '/k', data: 'm', version: -1 } },
          { op: 'check', args: { path: '/j', version: 5 } },
        ],
      },
    };
    const initial = { '/k': { data: 'v0', version: 0 }, '/j': { data: 'j', version: 0 } };
    expectAnomaly(
      [
        [1, 0, 1, multi, { code: 'BadVersion', index: 1 }],
        [2, 2, 3, getK, ok({ data: 'm', version: 1 })],
      ],
      /getData \/k by session 2 returned OK version 1 \(data "m"\), which \/k never held/,
      initial,
    );
    // The multi's two keys are one part; the same read after a multi that committed is fine.
    const committed: CallInput = { op: 'multi', args: { ops: [{ op: 'setData', args: { path: '/k', data: 'm', version: -1 } }, { op: 'check', args: { path: '/j', version: 0 } }] } };
    expectValid(
      [
        [1, 0, 1, committed, ok({ results: [{ version: 1 }, {}] })],
        [2, 2, 3, getK, ok({ data: 'm', version: 1 })],
      ],
      initial,
    );
    // A multi reported as committed whose check should have failed.
    expectAnomaly([[1, 0, 1, multi, ok({ results: [{ version: 1 }, {}] })]], /ZooKeeper answers BadVersion at sub-operation 1/, initial);
  });

  it('a compare-and-set that succeeded on a wrong version', () => {
    expectAnomaly(
      [
        [1, 0, 1, setK('v1'), ok({ version: 1 })],
        [1, 2, 3, setK('v2', 0), ok({ version: 2 })],
      ],
      /setData \/k data="v2" version=0 by session 1 → OK, new version 2 cannot take effect: ZooKeeper answers BadVersion here \(\/k is version 1/,
    );
    expectValid([
      [1, 0, 1, setK('v1'), ok({ version: 1 })],
      [1, 2, 3, setK('v2', 1), ok({ version: 2 })],
    ]);
  });

  it('create, delete and their errors follow the tree', () => {
    const initial = { '/p': { data: '', version: 0 } };
    const rows: Row[] = [
      [1, 0, 1, { op: 'create', args: { path: '/p', data: '' } }, { code: 'NodeExists' }],
      [1, 2, 3, { op: 'create', args: { path: '/p/c', data: 'c' } }, ok({ path: '/p/c' })],
      [1, 4, 5, { op: 'delete', args: { path: '/p' } }, { code: 'NotEmpty' }],
      [1, 6, 7, { op: 'delete', args: { path: '/p/c', version: 3 } }, { code: 'BadVersion' }],
      [1, 8, 9, { op: 'delete', args: { path: '/p/c' } }, ok()],
      [1, 10, 11, { op: 'delete', args: { path: '/p' } }, ok()],
      [1, 12, 13, { op: 'create', args: { path: '/p/d', data: 'd' } }, { code: 'NoNode' }],
    ];
    expectValid(rows, initial);
    expectAnomaly([...rows.slice(0, 5), [1, 10, 11, { op: 'delete', args: { path: '/p' } }, { code: 'NotEmpty' }]], /delete \/p by session 1 → NotEmpty cannot take effect: ZooKeeper answers OK/, initial);
    expectAnomaly([...rows.slice(0, 6), [1, 12, 13, { op: 'create', args: { path: '/p/d', data: 'd' } }, ok({ path: '/p/d' })]], /ZooKeeper answers NoNode/, initial);
  });

  it('indeterminate writes may take effect later or never, but once seen they stay', () => {
    const lost: Row = [1, 0, undefined, setK('v1'), 'info'];
    expectValid([lost, [2, 5, 6, getK, ok({ data: 'v0', version: 0 })]]);
    expectValid([lost, [2, 5, 6, getK, ok({ data: 'v1', version: 1 })]]);
    expectValid([[1, 0, 1, setK('v1'), 'info'], [2, 5, 6, getK, ok({ data: 'v1', version: 1 })], [3, 7, 8, getK, ok({ data: 'v0', version: 0 })]]);
    expectAnomaly(
      [lost, [2, 5, 6, getK, ok({ data: 'v1', version: 1 })], [2, 7, 8, getK, ok({ data: 'v0', version: 0 })]],
      /session 2 returned OK version 0 .* after session 2 had seen \/k at version 1/,
    );
    // An indeterminate write cannot take effect before its invocation.
    expectAnomaly([[2, 0, 1, setK('x', 0), ok({ version: 1 })], [2, 2, 3, getK, ok({ data: 'v1', version: 2 })], [1, 4, undefined, setK('v1'), 'info']], /never held/);
  });

  it('an indeterminate sequential create may have made a name another session reads', () => {
    const name = '/q/n-0000000004';
    expectValid(
      [
        [1, 0, undefined, { op: 'create', args: { path: '/q/n-', data: 'x', sequential: true } }, 'info'],
        [2, 3, 4, { op: 'getData', args: { path: name } }, ok({ data: 'x', version: 0 })],
        [3, 5, 6, { op: 'create', args: { path: '/q/n-', data: 'y', sequential: true } }, ok({ path: '/q/n-0000000006' })],
      ],
      {},
    );
    expectAnomaly(
      [
        [1, 0, undefined, { op: 'create', args: { path: '/q/n-', data: 'x', sequential: true } }, 'info'],
        [2, 3, 4, { op: 'getData', args: { path: name } }, ok({ data: 'x', version: 0 })],
        [2, 5, 6, { op: 'create', args: { path: '/q/n-', data: 'y', sequential: true } }, ok({ path: '/q/n-0000000002' })],
      ],
      /sequence number 2 under \/q is not above 4/,
      {},
    );
  });

  it('a read is bounded by the writes completed before its session connected', () => {
    const recorder = new HistoryRecorder(() => time, { '/k': { data: 'v0', version: 0 } });
    let time = 0;
    const write = recorder.invoke(1, setK('v1'));
    time = 1;
    recorder.complete(write, ok({ version: 1 }));
    time = 2;
    recorder.connected(2);
    time = 3;
    const read = recorder.invoke(2, getK);
    time = 4;
    recorder.complete(read, ok({ data: 'v0', version: 0 }));
    const parsed = parseHistory(JSON.parse(JSON.stringify(recorder.toJSON())));
    if (!parsed.ok) throw new Error(parsed.error);
    const verdict = checkHistory(parsed.history);
    expect(verdict.verdict).toBe('anomaly');
    expect(verdict.anomalies[0]!.explanation).toMatch(/completed before session 2 connected/);
    expect(verdict.anomalies[0]!.operations).toEqual([1, 0]);
  });

  it('rejects a malformed history with the first problem', () => {
    expect(parseHistory({ format: 'zkspec-history/1', events: [{ type: 'invoke', id: 0, session: 1, time: 0, op: 'getData', args: { path: 'k' } }] })).toMatchObject({ ok: false, error: /events\.0\.args\.path/ });
    expect(parseHistory({ format: 'zkspec-history/1', events: [{ type: 'complete', id: 0, time: 0, result: 'info' }] })).toMatchObject({ ok: false, error: /completes before it is invoked/ });
    const okGetWithoutData = { format: 'zkspec-history/1', events: [{ type: 'invoke', id: 0, session: 1, time: 0, op: 'getData', args: { path: '/k' } }, { type: 'complete', id: 0, time: 1, result: { code: 'OK' } }] };
    expect(parseHistory(okGetWithoutData)).toMatchObject({ ok: false, error: /needs data and version/ });
  });
});

// Lost replies are where the search prunes most (indeterminate.ts: lazy placement, version slots, pinning by a
// read, a sequential name's window), so each pruning gets an anomaly it must still find and a valid twin it must
// not prune away.
describe('planted anomalies with indeterminate operations, beside their valid twins', () => {
  const q = (n: number) => `/q/n-${String(n).padStart(10, '0')}`;
  const seq = (data: string): CallInput => ({ op: 'create', args: { path: '/q/n-', data, sequential: true } });

  it('a value only a lost write made, read before that write was invoked', () => {
    expectAnomaly([[2, 0, 1, getK, ok({ data: 'x', version: 1 })], [1, 2, undefined, setK('x'), 'info']], /never held/);
    expectValid([[1, 0, undefined, setK('x'), 'info'], [2, 1, 2, getK, ok({ data: 'x', version: 1 })]]);
  });

  it('a lost write in a version an acknowledged write returned', () => {
    const rows: Row[] = [
      [1, 0, undefined, setK('y'), 'info'],
      [2, 1, 2, setK('v1'), ok({ version: 1 })],
    ];
    expectAnomaly([...rows, [3, 3, 4, getK, ok({ data: 'y', version: 1 })]], /setData \/k data="v1" by session 2 → OK, new version 1 cannot take effect: ZooKeeper answers OK, new version 2 here \(\/k is version 1 \(data "y"\)\)/);
    expectValid([...rows, [3, 3, 4, getK, ok({ data: 'y', version: 2 })]]);
  });

  it('two lost writes, the second conditional on the first, seen only through the second', () => {
    const first: Row = [1, 0, undefined, setK('a'), 'info'];
    expectValid([first, [2, 1, undefined, setK('b', 1), 'info'], [3, 5, 6, getK, ok({ data: 'b', version: 2 })]]);
    expectAnomaly([first, [2, 1, undefined, setK('b', 5), 'info'], [3, 5, 6, getK, ok({ data: 'b', version: 2 })]], /setData \/k data="b" version=5 by session 2 → OK, new version 2 cannot take effect: ZooKeeper answers BadVersion/);
  });

  it('two lost writes of the same data, one more version than they can make', () => {
    const lost: Row[] = [
      [1, 0, undefined, setK('a'), 'info'],
      [2, 0, undefined, setK('a'), 'info'],
    ];
    expectValid([...lost, [3, 1, 2, getK, ok({ data: 'a', version: 1 })], [3, 3, 4, getK, ok({ data: 'a', version: 2 })]]);
    expectAnomaly([...lost, [3, 1, 2, getK, ok({ data: 'a', version: 1 })], [3, 3, 4, getK, ok({ data: 'a', version: 3 })]], /never held/);
  });

  it('a lost sequential create whose name is below a number handed out before it was invoked', () => {
    const acknowledged: Row = [1, 0, 1, seq('a'), ok({ path: q(7) })];
    const read: Row = [3, 4, 5, { op: 'getData', args: { path: q(5) } }, ok({ data: 'x', version: 0 })];
    expectAnomaly([acknowledged, [2, 2, undefined, seq('x'), 'info'], read], /never held|not above/, {});
    expectValid([[2, 0, undefined, seq('x'), 'info'], [1, 1, 2, seq('a'), ok({ path: q(7) })], read], {});
  });

  it('a lost delete: a session sees the node gone, then back with no create', () => {
    const rows: Row[] = [
      [2, 0, 1, { op: 'create', args: { path: '/c', data: 'c' } }, ok({ path: '/c' })],
      [1, 2, undefined, { op: 'delete', args: { path: '/c' } }, 'info'],
    ];
    const gone: Row = [2, 3, 4, { op: 'exists', args: { path: '/c' } }, { code: 'NoNode' }];
    const there: Row = [2, 5, 6, { op: 'exists', args: { path: '/c' } }, ok({ version: 0 })];
    expectAnomaly([...rows, gone, there], /exists \/c by session 2 returned OK version 0 .*after session 2 had seen \/c at no node/, {});
    expectValid([...rows, [2, 3, 4, ...there.slice(3)] as Row, [2, 5, 6, ...gone.slice(3)] as Row], {});
  });

  it('a lost multi whose check must have failed, seen to have committed', () => {
    const multi: CallInput = { op: 'multi', args: { ops: [{ op: 'setData', args: { path: '/k', data: 'm', version: -1 } }, { op: 'check', args: { path: '/j', version: 0 } }] } };
    const initial = { '/k': { data: 'v0', version: 0 }, '/j': { data: 'j', version: 0 } };
    const bumpJ: CallInput = { op: 'setData', args: { path: '/j', data: 'j1', version: -1 } };
    const read: Row = [3, 5, 6, getK, ok({ data: 'm', version: 1 })];
    expectAnomaly([[1, 0, 1, bumpJ, ok({ version: 1 })], [2, 2, undefined, multi, 'info'], read], /multi \[setData \/k data="m"; check \/j version=0\] by session 2 → OK .* cannot take effect: ZooKeeper answers BadVersion at sub-operation 1/, initial);
    expectValid([[2, 0, undefined, multi, 'info'], [1, 1, 3, bumpJ, ok({ version: 1 })], read], initial);
  });
});

// The replies' zxids (history.ts: the header's, and the Stat's czxid/mzxid): determinate writes take effect in zxid
// order, a read's mzxid names the write whose value it read, and an indeterminate write that a read's mzxid names
// took that zxid, inside the window real time leaves it (zxid-window.ts). Each rule with an anomaly it must find and a
// valid twin it must not reject.
describe('planted anomalies in the zxids, beside their valid twins', () => {
  const initial = { '/k': { data: 'v0', version: 0, mzxid: 1 } };

  it("a read whose Stat names one write's zxid but returns another's value", () => {
    const writes: Row[] = [
      [1, 0, 1, setK('v1'), ok({ version: 1, zxid: 5, mzxid: 5 })],
      [1, 2, 3, setK('v2'), ok({ version: 2, zxid: 6, mzxid: 6 })],
    ];
    expectAnomaly([...writes, [2, 4, 5, getK, ok({ data: 'v1', version: 1, mzxid: 6 })]], /returned OK version 1 \(data "v1"\) mzxid 0x6, which \/k never held/, initial);
    expectValid([...writes, [2, 4, 5, getK, ok({ data: 'v1', version: 1, mzxid: 5 })]], initial);
    // The initial value's mzxid, where the history gives it.
    expectAnomaly([...writes, [2, 4, 5, getK, ok({ data: 'v0', version: 0, mzxid: 2 })]], /never held/, initial);
    expectValid([...writes, [2, 4, 5, getK, ok({ data: 'v0', version: 0, mzxid: 1 })]], initial);
  });

  it('writes whose zxids contradict real time', () => {
    expectAnomaly(
      [
        [1, 0, 1, { op: 'setData', args: { path: '/j', data: 'j1', version: -1 } }, ok({ version: 1, zxid: 9 })],
        [2, 2, 3, setK('v1'), ok({ version: 1, zxid: 7 })],
      ],
      /op #1 setData \/k data="v1" by session 2 → OK, new version 1: zxid 0x7 is below 0x9 of a write that completed before it was invoked \(op #0 setData \/j/,
      { ...initial, '/j': { data: 'j', version: 0 } },
    );
    // Concurrent, the one with the smaller zxid went first: the versions agree.
    expectValid(
      [
        [1, 0, 3, setK('a'), ok({ version: 2, zxid: 9 })],
        [2, 1, 2, setK('b'), ok({ version: 1, zxid: 7 })],
      ],
      initial,
    );
    expectAnomaly(
      [
        [1, 0, 3, setK('a'), ok({ version: 1, zxid: 9 })],
        [2, 1, 2, setK('b'), ok({ version: 2, zxid: 7 })],
      ],
      /cannot take effect/,
      initial,
    );
  });

  it('a lost write that a read shows took a zxid: it stands there in the zxid order', () => {
    const rows: Row[] = [
      [1, 0, 1, setK('a'), ok({ version: 1, zxid: 10, mzxid: 10 })],
      [2, 0, undefined, setK('x'), 'info'],
      [1, 2, 3, setK('b'), ok({ version: 3, zxid: 14, mzxid: 14 })],
    ];
    expectValid([...rows, [3, 4, 5, getK, ok({ data: 'x', version: 2, mzxid: 12 })]], initial);
    // With zxid 16 the lost write came after the one that made version 3, so it cannot have made version 2.
    expectAnomaly([...rows, [3, 4, 5, getK, ok({ data: 'x', version: 2, mzxid: 16 })]], /cannot take effect|never held/, initial);
  });

  it('a lost create seen only through exists, pinned by the Stat', () => {
    const lost: Row = [1, 0, undefined, { op: 'create', args: { path: '/c', data: 'c' } }, 'info'];
    const exists = (mzxid: number): Row => [2, 3, 4, { op: 'exists', args: { path: '/c' } }, ok({ version: 0, czxid: mzxid, mzxid })];
    expectValid([lost, [3, 1, 2, setK('v1'), ok({ version: 1, zxid: 5 })], exists(6)], initial);
    // A write with zxid 8 completed before the create was invoked: the create's zxid is above 8, not 6.
    expectAnomaly([[3, 0, 1, setK('v1'), ok({ version: 1, zxid: 8 })], [1, 2, undefined, { op: 'create', args: { path: '/c', data: 'c' } }, 'info'], [2, 3, 4, ...exists(6).slice(3)] as Row], /never held/, initial);
  });

  it('two lost writes of the same data told apart by their zxids', () => {
    const lost: Row[] = [
      [1, 0, undefined, setK('a'), 'info'],
      [2, 0, undefined, setK('a'), 'info'],
    ];
    expectValid([...lost, [3, 1, 2, getK, ok({ data: 'a', version: 1, mzxid: 5 })], [3, 3, 4, getK, ok({ data: 'a', version: 2, mzxid: 7 })]], initial);
    // One zxid, one write: version 1 made with zxid 5 cannot also have been made with zxid 7.
    expectAnomaly([...lost, [3, 1, 2, getK, ok({ data: 'a', version: 1, mzxid: 5 })], [4, 3, 4, getK, ok({ data: 'a', version: 1, mzxid: 7 })]], /never held/, initial);
  });
});
