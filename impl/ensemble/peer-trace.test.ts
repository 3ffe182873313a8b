// A member's trace reaches its file before anything of the member's leaves
// the process: a quorum connection flushes it just before its bytes go out, so
// a member SIGKILLed afterwards has recorded every step behind a message the
// others received (issue #7). Off, the trace writes nothing.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PacketType } from '../quorum/wire.ts';
import { PeerTrace, writesDisk } from './peer-trace.ts';
import { QuorumConnection } from './quorum-connection.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function traceDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zkspec-peer-trace-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const linesIn = (path: string) => readFileSync(path, 'utf8').split('\n').filter((l) => l !== '');

describe('PeerTrace', () => {
  it('buffers lines and writes them at flush, synchronously; with no directory it writes nothing', () => {
    const dir = traceDir();
    const trace = new PeerTrace(7, dir);
    trace.line('start', { detail: 'acceptedEpoch 0 currentEpoch 0 lastLoggedZxid 0x0' });
    trace.line('elected', { detail: 'LEADING leader 7' });
    expect(linesIn(join(dir, 'member-7.jsonl'))).toEqual([]);
    trace.flush();
    const lines = linesIn(join(dir, 'member-7.jsonl')).map((l) => JSON.parse(l) as { kind: string; sid: number });
    expect(lines.map((l) => `${l.sid}:${l.kind}`)).toEqual(['7:start', '7:elected']);
    // An empty buffer costs no write.
    trace.flush();
    expect(trace.writes).toBe(1);

    const off = new PeerTrace(8, '');
    expect(off.enabled).toBe(false);
    off.line('start');
    off.flush();
    expect(off.writes).toBe(0);
  });

  it('flushes before the disk changes: the effects that write it, and only those', () => {
    expect(writesDisk({ type: 'appendTxns', txns: [] })).toBe(true);
    expect(writesDisk({ type: 'persistCurrentEpoch', epoch: 2 })).toBe(true);
    expect(writesDisk({ type: 'truncateLog', zxid: 0n })).toBe(true);
    expect(writesDisk({ type: 'goLooking', reason: 'test' })).toBe(false);
  });
});

describe('a quorum connection with a trace', () => {
  it("has written the trace's lines before the peer receives the packets sent after them", async () => {
    const sockets: Socket[] = [];
    const server: Server = createServer((s) => sockets.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
    await new Promise((r) => client.once('connect', r));
    while (sockets.length === 0) await new Promise((r) => setTimeout(r, 5));
    cleanups.push(() => {
      for (const s of [client, ...sockets]) s.destroy();
      server.close();
    });
    const dir = traceDir();
    const path = join(dir, 'member-1.jsonl');
    const trace = new PeerTrace(1, dir);
    const connection = new QuorumConnection(client, () => {}, undefined, () => trace.flush());
    // What the file held when each chunk reached the other end.
    const linesAtArrival: number[] = [];
    sockets[0]!.on('data', () => linesAtArrival.push(linesIn(path).length));

    trace.line('start');
    trace.line('elected', { detail: 'LEADING leader 1' });
    connection.send({ type: PacketType.PING, zxid: 1n, data: undefined, authinfo: undefined });
    connection.send({ type: PacketType.PING, zxid: 2n, data: undefined, authinfo: undefined });
    // Nothing left yet (the packets are corked until the end of this turn), and the lines are still buffered.
    expect(linesIn(path)).toEqual([]);
    for (let i = 0; i < 200 && linesAtArrival.length === 0; i++) await new Promise((r) => setTimeout(r, 5));
    expect(linesAtArrival[0]).toBe(2);
    // One write for both packets' turn, long before the 50 ms timer.
    expect(trace.writes).toBe(1);
  });
});
