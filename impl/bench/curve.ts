// The cost curve, side by side with Apache ZooKeeper 3.8 standalone:
//
//   npm run bench -- curve [--sizes 10000,100000,1000000] [--sessions 8,1000,10000]
//                          [--seconds N] [--heap-mb MB] [--only ours|zookeeper] [--record]
//
// How ops/s and p99 (getData and setData of 100 bytes, 8 sessions x 8
// outstanding, spread over the whole tree) move as the tree grows, as idle
// sessions that ping grow, and what comes with size: bytes per znode, the
// restart from a SIGKILL to the first read with the largest tree, the time to
// deliver one change's watch events to every session (each of which holds ten
// watches), and 1 MB znodes. Every cell runs on ours and then on ZooKeeper,
// each on a fresh server (curve-cells.ts); ZooKeeper gets --heap-mb of heap
// (default 4096: zkServer.sh's 1000 MB does not hold a million znodes).
// --record writes the `## Server: the cost curve (#14)` section of
// docs/benchmarks.md. The default run takes about 15 minutes.

import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { apacheZooKeeperMissing, haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { bigZnodes, growTree, IdleSessions, loadShape, restartToFirstRead, treeWorkloads, warmUp, watchDelivery, type WatchDelivery } from './curve-cells.ts';
import { curveSection, type CurveResults, type SessionRow, type TreeRow } from './curve-report.ts';
import { runLoad } from './load.ts';
import { machine, recordSection } from './main.ts';
import { startServerUnderTest, type ServerKind } from './servers.ts';
import { parseCurveArgs, usage, type CurveOptions } from './curve-options.ts';

async function treeCurve(kind: ServerKind, o: CurveOptions): Promise<{ rows: TreeRow[]; restartMs: number }> {
  let server = await startServerUnderTest(kind, { heapMb: o.heapMb });
  const rows: TreeRow[] = [];
  try {
    let size = 0;
    for (const target of o.sizes) {
      const createsPerSecond = await growTree(server.port, size, target);
      if (size === 0) await warmUp(server.port, target, Math.min(2, o.seconds));
      size = target;
      await new Promise((r) => setTimeout(r, 1000));
      const [getData, setData] = [await runLoad(server.port, treeWorkloads(size)[0]!, loadShape(o.seconds)), await runLoad(server.port, treeWorkloads(size)[1]!, loadShape(o.seconds))];
      rows.push({ kind, znodes: size, createsPerSecond, rssBytes: server.rssBytes(), getData: getData!, setData: setData! });
      process.stderr.write(`${kind}: ${size} znodes, getData ${Math.round(getData!.opsPerSecond)}/s, setData ${Math.round(setData!.opsPerSecond)}/s\n`);
    }
    const restarted = await restartToFirstRead(server, size);
    server = restarted.server;
    process.stderr.write(`${kind}: restart to first read with ${size} znodes: ${Math.round(restarted.firstReadMs)} ms\n`);
    return { rows, restartMs: restarted.firstReadMs };
  } finally {
    await server.stop();
  }
}

async function sessionCurve(kind: ServerKind, o: CurveOptions): Promise<{ rows: SessionRow[]; watches: WatchDelivery }> {
  const server = await startServerUnderTest(kind, { heapMb: o.heapMb });
  const idle = new IdleSessions();
  const rows: SessionRow[] = [];
  try {
    await growTree(server.port, 0, 10_000);
    await warmUp(server.port, 10_000, Math.min(2, o.seconds));
    for (const total of o.sessions) {
      await idle.growTo(server.port, total - 8);
      const [getData, setData] = [await runLoad(server.port, treeWorkloads(10_000)[0]!, loadShape(o.seconds)), await runLoad(server.port, treeWorkloads(10_000)[1]!, loadShape(o.seconds))];
      rows.push({ kind, sessions: total, idleConnected: idle.connected(), rssBytes: server.rssBytes(), getData: getData!, setData: setData! });
      process.stderr.write(`${kind}: ${total} sessions, getData ${Math.round(getData!.opsPerSecond)}/s, setData ${Math.round(setData!.opsPerSecond)}/s\n`);
    }
    const watches = await watchDelivery(server.port, idle, 10);
    process.stderr.write(`${kind}: ${watches.fired} watch events delivered, the last after ${Math.round(watches.lastMs)} ms\n`);
    return { rows, watches };
  } finally {
    await idle.close();
    await server.stop();
  }
}

async function bigCurve(kind: ServerKind, o: CurveOptions): Promise<CurveResults['big'][number]> {
  const server = await startServerUnderTest(kind, { heapMb: o.heapMb });
  try {
    return { kind, ...(await bigZnodes(server.port, o.seconds)) };
  } finally {
    await server.stop();
  }
}

async function main(): Promise<number> {
  const parsed = parseCurveArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n${usage}\n`);
    return 2;
  }
  const o = parsed;
  const haveZooKeeper = haveApacheZooKeeper();
  if (!haveZooKeeper && o.only !== 'ours') process.stderr.write(`${apacheZooKeeperMissing}: measuring ours only\n`);
  const kinds = (['ours', 'zookeeper'] as const).filter((k) => (o.only === undefined || o.only === k) && (k === 'ours' || haveZooKeeper));
  const results: CurveResults = { tree: [], restart: [], sessions: [], watches: [], big: [] };
  const startedAt = new Date();
  const loadBefore = loadavg();
  for (const kind of kinds) {
    const tree = await treeCurve(kind, o);
    results.tree.push(...tree.rows);
    results.restart.push({ kind, znodes: o.sizes.at(-1)!, ms: tree.restartMs });
  }
  for (const kind of kinds) {
    const s = await sessionCurve(kind, o);
    results.sessions.push(...s.rows);
    results.watches.push({ kind, ...s.watches });
  }
  for (const kind of kinds) results.big.push(await bigCurve(kind, o));
  const section = curveSection(o, results, { startedAt, loadBefore, loadAfter: loadavg(), machine: machine() });
  process.stdout.write(`\n${section}\n`);
  if (o.record) recordSection('## Server: the cost curve (#14)', section);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
