// Request latency while the server snapshots a large tree: what a snapshot
// serialised on the event loop costs the clients (#14).
//
//   npx tsx impl/bench/snapshot-stall.ts --nodes 200000 --workload create|getData [--seconds 6] [--snap-count 4000] [--tree DIR]
//
// Starts one standalone server of ours, DIR's build (tree-server.ts; default: this checkout), on
// 127.0.0.1 with its own temp dataDir (forceSync=no, so the disk is not what
// is measured), fills /big with --nodes znodes of 100 bytes (multis of 1,000
// creates), then drives it with main.ts's generator (8 sessions x 8
// outstanding) for a 2 s warm-up and --seconds. The schedule snapshots every
// snapCount/2..snapCount txns: the create workload's own writes come due;
// under getData a ninth session keeps one setData outstanding so that
// snapshots still come due. Prints the rate, p50, p99 and the slowest
// request, and how many snapshots were written in the measured window
// (snapshot files appearing in the dataDir). Run it on two checkouts, one
// after the other (--tree), for a before/after pair; docs/benchmarks.md
// records one.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ErrorCode, OpCode } from '../protocol/constants.ts';
import { JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { runLoad } from './load.ts';
import { createPoolWhenServing, startTreeServer } from './tree-server.ts';
import { basicWorkloads, payload100, poolPath, type NamedWorkload } from './workloads.ts';

const USAGE = 'usage: npx tsx impl/bench/snapshot-stall.ts --nodes N --workload create|getData [--seconds 6] [--snap-count 4000] [--tree DIR]';
const thisTree = fileURLToPath(new URL('../..', import.meta.url));
const workloadsByName: Readonly<Record<string, NamedWorkload>> = { create: basicWorkloads[0]!, getData: basicWorkloads[2]! };
const open = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];

interface Options {
  readonly nodes: number;
  readonly workload: NamedWorkload;
  readonly seconds: number;
  readonly snapCount: number;
  readonly tree: string;
}

function parseArgs(argv: readonly string[]): Options | string {
  let nodes: number | undefined;
  let workload: NamedWorkload | undefined;
  let seconds = 6;
  let snapCount = 4000;
  let tree = thisTree;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) return `${flag} needs a value`;
    if (flag === '--nodes') nodes = Number(value);
    else if (flag === '--workload') workload = workloadsByName[value];
    else if (flag === '--seconds') seconds = Number(value);
    else if (flag === '--snap-count') snapCount = Number(value);
    else if (flag === '--tree') tree = resolve(value);
    else return `unknown argument ${JSON.stringify(flag)} ${JSON.stringify(value)}`;
  }
  if (nodes === undefined || !Number.isInteger(nodes) || nodes < 0 || nodes > 5_000_000) return '--nodes must be an integer in [0, 5000000]';
  if (workload === undefined) return '--workload must be create or getData';
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) return '--seconds must be a number in (0, 600]';
  if (!Number.isInteger(snapCount) || snapCount < 2) return '--snap-count must be an integer >= 2';
  return { nodes, workload, seconds, snapCount, tree };
}

/** /big/n0.. in multis of 1,000 creates, 4 outstanding. */
async function fill(port: number, nodes: number): Promise<void> {
  const session = await WireSession.open(port);
  const send = (type: number, body: Uint8Array) =>
    new Promise<void>((done, fail) => session.send(type, body, (err) => (err === 0 || err === ErrorCode.NODEEXISTS ? done() : fail(new Error(`fill: error ${err}`)))));
  await send(OpCode.create, requests.create('/big', new Uint8Array(0)));
  let next = 0;
  const worker = async () => {
    while (next < nodes) {
      const first = next;
      next = Math.min(nodes, next + 1000);
      const ops: R.MultiOp[] = [];
      for (let i = first; i < next; i++) ops.push({ type: OpCode.create, request: { path: `/big/n${i}`, data: payload100, acl: open, flags: 0 } });
      const w = new JuteWriter(128 * 1024);
      R.MultiRequest.write(w, ops);
      await send(OpCode.multi, w.toBytes());
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  await session.close();
}

/** One setData outstanding at a time until `stop` (under getData, so that snapshots come due). */
function trickleWrites(port: number): { stop(): Promise<void> } {
  let stopped = false;
  const running = (async () => {
    const session = await WireSession.open(port);
    let seq = 0;
    while (!stopped) await new Promise<void>((done) => session.send(OpCode.setData, requests.setData(poolPath(seq++ % 1000), payload100), () => done()));
    await session.close();
  })();
  return {
    stop: async () => {
      stopped = true;
      await running;
    },
  };
}

const snapshotFiles = (dataDir: string): number => {
  try {
    return readdirSync(join(dataDir, 'version-2')).filter((name) => name.startsWith('snapshot.') && !name.endsWith('.tmp')).length;
  } catch {
    return 0;
  }
};

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n${USAGE}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'zk-snapshot-stall-'));
  const dataDir = join(dir, 'data');
  const [port] = (await reservePorts(1)) as [number];
  const config = join(dir, 'zoo.cfg');
  writeLoopbackZooCfg(config, [`dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'maxClientCnxns=0', 'admin.enableServer=false', 'forceSync=no', `snapCount=${options.snapCount}`]);
  const server = startTreeServer(options.tree, config, ['--max-old-space-size=8192']);
  const pid = server.pid!;
  try {
    await createPoolWhenServing(port);
    await fill(port, options.nodes);
    const shape = { sessions: 8, outstandingPerSession: 8 };
    const trickle = options.workload.name.startsWith('getData') ? trickleWrites(port) : undefined;
    await runLoad(port, options.workload.make('warmup'), { ...shape, durationMs: 2000 });
    const snapshotsBefore = snapshotFiles(dataDir);
    const result = await runLoad(port, options.workload.make('cell'), { ...shape, durationMs: options.seconds * 1000 });
    const snapshots = snapshotFiles(dataDir) - snapshotsBefore;
    await trickle?.stop();
    process.stdout.write(
      `${options.workload.name}, ${options.nodes} znodes, snapCount ${options.snapCount}, 64 outstanding, ${options.tree}: ` +
        `${Math.round(result.opsPerSecond)} ops/s, p50 ${result.p50Ms.toFixed(1)} ms, p99 ${result.p99Ms.toFixed(1)} ms, max ${result.maxMs.toFixed(0)} ms, ` +
        `${snapshots} snapshots in the ${options.seconds} s window, ${result.errors} errors\n`,
    );
    return result.errors > 0 ? 1 : 0;
  } finally {
    process.kill(pid, 'SIGKILL');
    releasePorts([port]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
