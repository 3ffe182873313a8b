// The one recorder of zkspec-history/1 (recorder.ts): what it writes to a file parses as the checker's format,
// with the operations counted by outcome as `npm run jepsen` reports them.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseHistory } from './history.ts';
import { HistoryRecorder } from './recorder.ts';

describe('HistoryRecorder', () => {
  it('writes a file the checker parses, and counts operations by outcome', () => {
    let now = 0;
    const recorder = new HistoryRecorder(() => now++, { '/k': { data: '', version: 0 } });
    recorder.connected('0x1');
    const write = recorder.invoke('0x1', { op: 'setData', args: { path: '/k', data: 'a' } });
    const read = recorder.invoke('0x1', { op: 'getData', args: { path: '/k' } });
    const lost = recorder.invoke('0x1', { op: 'create', args: { path: '/c', data: 'c' } });
    recorder.invoke('0x1', { op: 'exists', args: { path: '/c' } }); // never completed: indeterminate
    recorder.complete(write, { code: 'OK', version: 1 });
    recorder.complete(read, { code: 'NoNode' });
    recorder.complete(lost, 'info');
    expect(recorder.operationCounts()).toEqual({ ok: 1, failed: 1, indeterminate: 2 });
    const dir = mkdtempSync(join(tmpdir(), 'recorder-'));
    try {
      recorder.write(join(dir, 'history.json'));
      const parsed = parseHistory(JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8')));
      if (!parsed.ok) throw new Error(parsed.error);
      expect(parsed.history.operations.map((op) => [op.id, op.call.op, op.result?.code ?? 'indeterminate'])).toEqual([
        [0, 'setData', 'OK'],
        [1, 'getData', 'NoNode'],
        [2, 'create', 'indeterminate'],
        [3, 'exists', 'indeterminate'],
      ]);
      expect(parsed.history.connectedAt.get('0x1')).toBe(0);
      expect(JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'))).toEqual(JSON.parse(JSON.stringify(recorder.toJSON())));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
