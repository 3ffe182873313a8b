// The request pipeline's own CPU per request, in one process: no sockets, no
// disk, no second process competing for the cores.
//
//   npx tsx impl/bench/pipeline.ts [--workload create|setData|getData|mix] [--requests 200000] [--rounds 7]
//
// A ServerCore (impl/server/core.ts) with the standalone write path, whose
// persist encodes every txn as the standalone server's does before its log
// write (standalone.ts persistTo) and resolves in the next turn, as a fast
// disk would; 8 sessions attached through in-memory sinks that only count
// reply bytes; requests fed as the frames a client sends, 64 outstanding
// (each sink's replies release that many more). It prints, per round, the
// main thread's CPU time per request (process.cpuUsage: user + system of the
// whole process, which here is the event loop plus the collector's helper
// threads) and the best round.
//
// Why next to cpu-per-request.ts: that one measures the real server through
// its sockets, which is the figure that counts, but on this 2-core machine it
// moves with whatever else runs (the load generator shares the cores, and the
// batch sizes and so the per-batch costs move with the throughput). This one
// isolates the code the #14 changes touch, and a before/after pair of it is
// two runs of one command on two trees (`--tree` is not needed: run it from
// each checkout).

import { OpCode } from '../protocol/constants.ts';
import { JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { ServerCore } from '../server/core.ts';
import { loggedTxn } from '../standalone/standalone.ts';
import { fileURLToPath } from 'node:url';

const USAGE = 'usage: npx tsx impl/bench/pipeline.ts [--workload create|setData|getData|mix] [--requests N] [--rounds N]';
const sessions = 8;
const outstandingPerSession = 8;
const data100 = new Uint8Array(100).fill(0x61);
const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const poolSize = 1000;
const poolPath = (i: number) => `/bench/pool/p${String(i).padStart(4, '0')}`;

type Options = { readonly workload: string; readonly requests: number; readonly rounds: number };

function parseArgs(argv: readonly string[]): Options | string {
  let workload = 'create';
  let requests = 200_000;
  let rounds = 7;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) return `${flag} needs a value`;
    if (flag === '--workload' && ['create', 'setData', 'getData', 'mix'].includes(value)) workload = value;
    else if (flag === '--requests') requests = Number(value);
    else if (flag === '--rounds') rounds = Number(value);
    else return `unknown argument ${JSON.stringify(flag)} ${JSON.stringify(value)}`;
  }
  if (!Number.isInteger(requests) || requests < 1000) return '--requests must be an integer >= 1000';
  if (!Number.isInteger(rounds) || rounds < 1) return '--rounds must be a positive integer';
  return { workload, requests, rounds };
}

/** A request frame's payload: RequestHeader then the record, in a Buffer as a socket's chunks are. */
function frameOf<T>(xid: number, type: number, codec: R.Codec<T>, body: T): Uint8Array {
  const w = new JuteWriter();
  R.RequestHeader.write(w, { xid, type });
  codec.write(w, body);
  return Buffer.from(w.toBytes());
}

/** The i-th request of session s in round `round`. */
function requestOf(workload: string, round: number, s: number, i: number): Uint8Array {
  const pooled = poolPath((s * 7919 + i * 31) % poolSize);
  const write = workload === 'setData' || (workload === 'mix' && i % 10 === 9);
  switch (workload) {
    case 'create':
      return frameOf(i + 1, OpCode.create, R.CreateRequest, { path: `/bench/r${round}-s${s}-${i}`, data: data100, acl, flags: 0 });
    default:
      return write
        ? frameOf(i + 1, OpCode.setData, R.SetDataRequest, { path: pooled, data: data100, version: -1 })
        : frameOf(i + 1, OpCode.getData, R.GetDataRequest, { path: pooled, watch: false });
  }
}

/** Sends `perSession` requests on each session, 64 outstanding, and resolves when every reply came back. */
function drive(core: ServerCore, ids: readonly number[], frames: readonly (readonly Uint8Array[])[], replied: number[], waiting: (() => void)[]): Promise<void> {
  return new Promise((resolve) => {
    let sessionsDone = 0;
    ids.forEach((id, s) => {
      let next = 0;
      const perSession = frames[s]!.length;
      // A read is answered inside receiveFrame, so a reply that sent the next
      // request at once would recurse; the loop below sends instead.
      let due = 0;
      let sending = false;
      const send = () => {
        due++;
        if (sending) return;
        sending = true;
        for (; due > 0; due--) if (next < perSession) core.receiveFrame(id, frames[s]![next++]!);
        sending = false;
      };
      waiting[s] = () => {
        if (replied[s]! === perSession) {
          if (++sessionsDone === ids.length) resolve();
          return;
        }
        send();
      };
      for (let k = 0; k < outstandingPerSession; k++) send();
    });
  });
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n${USAGE}\n`);
    return 2;
  }
  // Persist as the standalone server's: every txn encoded, durable a turn later.
  let persisted = 0;
  const core = new ServerCore({
    persist: async (txns) => {
      for (const txn of txns) persisted += loggedTxn(txn).data.byteLength;
      await new Promise((done) => setImmediate(done));
    },
    tickTimeMs: 60_000,
  });
  const replied = new Array<number>(sessions).fill(0);
  const waiting: (() => void)[] = new Array(sessions).fill(() => {});
  let handshaken = 0;
  const ids = Array.from({ length: sessions }, (_, s) =>
    core.openConnection(
      {
        send: () => {
          if (handshaken <= s) {
            handshaken++;
            return;
          }
          replied[s]!++;
          waiting[s]!();
        },
        close: (reason) => {
          throw new Error(`session ${s} closed: ${reason}`);
        },
      },
      '127.0.0.1',
      40_000 + s,
    ),
  );
  const connect = { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false };
  for (const id of ids) {
    const w = new JuteWriter();
    R.ConnectRequest.write(w, connect);
    core.receiveFrame(id, w.toBytes());
  }
  await new Promise((done) => setImmediate(done));
  // The parents and the pool (setData/getData/mix), as workloads.ts's createPool.
  const setup = ['/bench', '/bench/pool', ...Array.from({ length: poolSize }, (_, i) => poolPath(i))];
  const setupFrames = setup.map((path, i) => frameOf(i + 1, OpCode.create, R.CreateRequest, { path, data: i < 2 ? new Uint8Array(0) : data100, acl, flags: 0 }));
  replied.fill(0);
  await drive(core, [ids[0]!], [setupFrames], replied, waiting);

  const perSession = Math.ceil(options.requests / sessions);
  const perRequestUs: number[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const frames = Array.from({ length: sessions }, (_, s) => Array.from({ length: perSession }, (_, i) => requestOf(options.workload, round, s, i)));
    replied.fill(0);
    const before = process.cpuUsage();
    await drive(core, ids, frames, replied, waiting);
    const used = process.cpuUsage(before);
    const us = (used.user + used.system) / (perSession * sessions);
    perRequestUs.push(us);
    process.stdout.write(`round ${round + 1}: ${us.toFixed(2)} µs CPU per request\n`);
  }
  const best = Math.min(...perRequestUs);
  const sorted = [...perRequestUs].sort((a, b) => a - b);
  process.stdout.write(
    `${options.workload}, ${sessions} sessions x ${outstandingPerSession} outstanding, ${perSession * sessions} requests per round, ` +
      `${core.tree.nodeCount} znodes at the end, ${persisted} txn bytes encoded: best ${best.toFixed(2)} µs, median ${sorted[Math.floor(sorted.length / 2)]!.toFixed(2)} µs CPU per request\n`,
  );
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
