// The cost curve's tables (curve.ts): ours and ZooKeeper side by side, each
// ratio ours ÷ ZooKeeper, and the conditions of the run.

import type { CurveOptions } from './curve-options.ts';
import type { LoadResult } from './load.ts';
import { fmt, ms } from './main.ts';
import type { ServerKind } from './servers.ts';

export type TreeRow = { readonly kind: ServerKind; readonly znodes: number; readonly createsPerSecond: number; readonly rssBytes: number; readonly getData: LoadResult; readonly setData: LoadResult };
export type SessionRow = { readonly kind: ServerKind; readonly sessions: number; readonly idleConnected: number; readonly rssBytes: number; readonly getData: LoadResult; readonly setData: LoadResult };

export type CurveResults = {
  readonly tree: TreeRow[];
  readonly restart: { readonly kind: ServerKind; readonly znodes: number; readonly ms: number }[];
  readonly sessions: SessionRow[];
  readonly watches: { readonly kind: ServerKind; readonly watches: number; readonly fired: number; readonly firstMs: number; readonly medianMs: number; readonly lastMs: number }[];
  readonly big: { readonly kind: ServerKind; readonly setData: LoadResult; readonly getData: LoadResult }[];
};

type Conditions = { readonly startedAt: Date; readonly loadBefore: readonly number[]; readonly loadAfter: readonly number[]; readonly machine: { cpu: string; cores: number; memoryGiB: number; node: string; java: string } };

const ratio = (a: number | undefined, b: number | undefined) => (a === undefined || b === undefined || b === 0 ? '-' : (a / b).toFixed(2));
const cell = (r: LoadResult | undefined) => (r === undefined ? '- | -' : `${fmt(r.opsPerSecond)} | ${ms(r.p99Ms)}`);
const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

/** One ops table: a row per step of `steps`, getData and setData of each server, the ratios. */
function opsTable<R extends { readonly kind: ServerKind; readonly getData: LoadResult; readonly setData: LoadResult }>(title: string, steps: readonly number[], find: (kind: ServerKind, step: number) => R | undefined): string {
  const lines = [
    `| ${title} | ours getData ops/s | p99 ms | ZooKeeper getData ops/s | p99 ms | getData ours ÷ ZK | ours setData ops/s | p99 ms | ZooKeeper setData ops/s | p99 ms | setData ours ÷ ZK |`,
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const step of steps) {
    const o = find('ours', step);
    const z = find('zookeeper', step);
    lines.push(`| ${fmt(step)} | ${cell(o?.getData)} | ${cell(z?.getData)} | ${ratio(o?.getData.opsPerSecond, z?.getData.opsPerSecond)} | ${cell(o?.setData)} | ${cell(z?.setData)} | ${ratio(o?.setData.opsPerSecond, z?.setData.opsPerSecond)} |`);
  }
  return lines.join('\n');
}

export function curveSection(o: CurveOptions, r: CurveResults, c: Conditions): string {
  const m = c.machine;
  const load = (l: readonly number[]) => l.map((x) => x.toFixed(2)).join(' / ');
  const command = `npm run bench -- curve --sizes ${o.sizes.join(',')} --sessions ${o.sessions.join(',')} --seconds ${o.seconds} --heap-mb ${o.heapMb}${o.only === undefined ? '' : ` --only ${o.only}`}${o.record ? ' --record' : ''}`;
  const treeFind = (kind: ServerKind, znodes: number) => r.tree.find((t) => t.kind === kind && t.znodes === znodes);
  const sessionFind = (kind: ServerKind, sessions: number) => r.sessions.find((s) => s.kind === kind && s.sessions === sessions);
  const memory = [
    '| znodes | ours RSS MiB | ZooKeeper RSS MiB | ours creates/s while growing | ZooKeeper creates/s |',
    '|---:|---:|---:|---:|---:|',
    ...o.sizes.map((n) => {
      const ours = treeFind('ours', n);
      const zk = treeFind('zookeeper', n);
      return `| ${fmt(n)} | ${ours === undefined ? '-' : mib(ours.rssBytes)} | ${zk === undefined ? '-' : mib(zk.rssBytes)} | ${ours === undefined ? '-' : fmt(ours.createsPerSecond)} | ${zk === undefined ? '-' : fmt(zk.createsPerSecond)} |`;
    }),
  ].join('\n');
  const restart = r.restart.map((x) => `${x.kind === 'ours' ? 'ours' : 'ZooKeeper'} ${fmt(x.ms)} ms`).join(', ');
  const watchRows = [
    '| server | sessions watching | watches set | events delivered | first ms | median ms | last ms |',
    '|---|---:|---:|---:|---:|---:|---:|',
    ...r.watches.map((w) => `| ${w.kind === 'ours' ? 'ours' : 'ZooKeeper'} | ${fmt(w.fired)} | ${fmt(w.watches)} | ${fmt(w.fired)} | ${fmt(w.firstMs, 1)} | ${fmt(w.medianMs, 1)} | ${fmt(w.lastMs, 1)} |`),
  ].join('\n');
  const big = (kind: ServerKind) => r.big.find((b) => b.kind === kind);
  const bigRows = [
    '| operation | ours ops/s | p99 ms | ZooKeeper ops/s | p99 ms | ours ÷ ZooKeeper |',
    '|---|---:|---:|---:|---:|---:|',
    ...(['setData', 'getData'] as const).map((op) => `| ${op} 1 MB | ${cell(big('ours')?.[op])} | ${cell(big('zookeeper')?.[op])} | ${ratio(big('ours')?.[op].opsPerSecond, big('zookeeper')?.[op].opsPerSecond)} |`),
  ].join('\n');
  const dropped = r.sessions.filter((s) => s.idleConnected !== s.sessions - 8).map((s) => `${s.kind}: ${s.idleConnected} of ${s.sessions - 8} idle sessions still connected at ${fmt(s.sessions)}`);
  return [
    '## Server: the cost curve (#14)',
    '',
    `Command: \`${command}\` (impl/bench/curve.ts), ${c.startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}; ${m.java}. Load average (1/5/15 min) before: ${load(c.loadBefore)}; after: ${load(c.loadAfter)}. ` +
      'Both servers are standalone child processes on 127.0.0.1 with fsync on and their own temp dataDir, each on a fresh server per part; every part runs on ours and then on ZooKeeper. ' +
      `ZooKeeper 3.8 (Debian) with -Xmx${o.heapMb}m; ours \`node dist/server.js\`. The load: 8 sessions x 8 outstanding for ${o.seconds} s per cell, getData and setData of 100 bytes spread over the whole tree.`,
    '',
    'As the tree grows (znodes of 100 bytes under /t):',
    '',
    opsTable('znodes', o.sizes, treeFind),
    '',
    memory,
    '',
    `Restart with ${fmt(o.sizes.at(-1)!)} znodes, from SIGKILL to the first getData answered (snapshot and log as each server left them): ${restart}.`,
    '',
    'As connected sessions grow (idle sessions pinging every 10 s with a 30 s timeout, plus the 8 of the load; a tree of 10,000 znodes):',
    '',
    opsTable('sessions', o.sessions, sessionFind),
    ...(dropped.length > 0 ? ['', `Dropped: ${dropped.join('; ')}.`] : []),
    '',
    `Watches: with ${fmt(o.sessions.at(-1)!)} sessions connected, each sets ten exists watches (one on /hot, nine on znodes of its own), then one setData of /hot fires one watch in every session; times from that setData's send:`,
    '',
    watchRows,
    '',
    '1 MB znodes (8 znodes of 1,000,000 bytes, 8 sessions with one request outstanding each):',
    '',
    bigRows,
    '',
  ].join('\n');
}
