// Side-by-side benchmark of our standalone server and Apache ZooKeeper 3.8:
//
//   npm run bench -- server [--seconds N] [--znodes N] [--record]
//
// Both servers run as child processes on 127.0.0.1 with fsync on
// (forceSync=yes), each with its own temp dataDir, and are killed by PID at
// the end. This process is the load generator (load.ts, impl/testing/wire-client.ts): the
// same code, speaking the wire protocol directly, drives both. Workloads:
// create of 100-byte znodes, setData and getData of 100-byte znodes (a pool of
// 1,000), and a 90/10 getData/setData mix, each with 1 request outstanding (1
// session), with 64 (8 sessions x 8) and with 256 (32 sessions x 8). Both servers are started together
// and warmed up (JIT), then each workload runs on ours and then on
// ZooKeeper, so slow drifts of the machine's load hit both alike. Memory:
// fresh servers, VmRSS before and after creating --znodes znodes of 100 bytes.
//
// --record writes the `## Server: standalone` section of docs/benchmarks.md
// (other sections are kept). The default run takes about four minutes.

import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { apacheZooKeeperMissing, haveApacheZooKeeper, java } from '../testing/apache-zookeeper.ts';
import { runLoad, type LoadResult, type LoadShape } from './load.ts';
import { startServerUnderTest, type RunningServer, type ServerKind } from './servers.ts';
import { basicWorkloads, createMany, createPool, mixWorkload, payload100, poolSize, type NamedWorkload } from './workloads.ts';

type Options = { seconds: number; znodes: number; record: boolean };

function parseArgs(argv: readonly string[]): Options | string {
  const args = argv[0] === 'server' ? argv.slice(1) : [...argv];
  const options: Options = { seconds: 4, znodes: 100_000, record: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--record') options.record = true;
    else if (arg === '--seconds' || arg === '--znodes') {
      const value = Number(args[++i]);
      if (!Number.isFinite(value) || value <= 0) return `${arg} needs a positive number, got ${JSON.stringify(args[i])}`;
      if (arg === '--seconds') options.seconds = value;
      else options.znodes = Math.floor(value);
    } else return `unknown argument ${JSON.stringify(arg)}`;
  }
  return options;
}

const workloads: readonly NamedWorkload[] = [...basicWorkloads, mixWorkload];

const shapes: readonly { readonly outstanding: number; readonly sessions: number }[] = [
  { outstanding: 1, sessions: 1 },
  { outstanding: 64, sessions: 8 },
  { outstanding: 256, sessions: 32 },
];

async function prepare(server: RunningServer): Promise<void> {
  await createPool(server.port);
}

type Row = { workload: string; outstanding: number; ours: LoadResult; theirs: LoadResult | undefined };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function memoryPerZnode(kind: ServerKind, znodes: number): Promise<{ baselineBytes: number; afterBytes: number; bytesPerZnode: number; elapsedMs: number }> {
  const server = await startServerUnderTest(kind);
  try {
    await createMany(server.port, 1, () => '/rss', new Uint8Array(0));
    await sleep(1000);
    const baselineBytes = server.rssBytes();
    const startedMs = performance.now();
    await createMany(server.port, znodes, (i) => `/rss/n${i}`, payload100);
    const elapsedMs = performance.now() - startedMs;
    await sleep(1000);
    const afterBytes = server.rssBytes();
    return { baselineBytes, afterBytes, bytesPerZnode: (afterBytes - baselineBytes) / znodes, elapsedMs };
  } finally {
    await server.stop();
  }
}

export function machine(): { cpu: string; cores: number; memoryGiB: number; node: string; java: string } {
  let javaVersion = 'not installed';
  try {
    javaVersion = execFileSync(java, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).split('\n')[0] ?? '';
  } catch (error) {
    // java -version prints to stderr; execFileSync puts it on the error when the exit code is 0 but stdout is empty.
    const stderr = (error as { stderr?: string }).stderr;
    if (typeof stderr === 'string' && stderr !== '') javaVersion = stderr.split('\n')[0]!;
  }
  if (javaVersion === '' || javaVersion === 'not installed') {
    try {
      const out = execFileSync('/bin/sh', ['-c', '/usr/bin/java -version 2>&1'], { encoding: 'utf8' });
      javaVersion = out.split('\n')[0] ?? javaVersion;
    } catch {
      // keep 'not installed'
    }
  }
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    java: javaVersion,
  };
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
export const ms = (n: number) => (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

function table(rows: readonly Row[]): string {
  const lines = [
    '| workload | outstanding | ours ops/s | ours p50 ms | ours p99 ms | ZooKeeper ops/s | ZooKeeper p50 ms | ZooKeeper p99 ms | ops/s ours ÷ ZooKeeper |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of rows) {
    const t = r.theirs;
    lines.push(
      `| ${r.workload} | ${r.outstanding} | ${fmt(r.ours.opsPerSecond)} | ${ms(r.ours.p50Ms)} | ${ms(r.ours.p99Ms)} | ` +
        (t === undefined ? '- | - | - | - |' : `${fmt(t.opsPerSecond)} | ${ms(t.p50Ms)} | ${ms(t.p99Ms)} | ${(r.ours.opsPerSecond / t.opsPerSecond).toFixed(2)} |`),
    );
  }
  return lines.join('\n');
}

/** The throughput table's rows, and the errors seen while measuring them. */
interface Measured {
  readonly rows: Row[];
  readonly errors: string[];
}

/** Starts ours (and ZooKeeper, when present), warms both up, then runs every workload at every shape on each in turn, cell by cell. */
async function measure(withZooKeeper: boolean, durationMs: number): Promise<Measured> {
  const warmupMs = Math.min(2000, durationMs);
  const rows: Row[] = [];
  const errors: string[] = [];
  const servers: RunningServer[] = [];
  try {
    const ours = await startServerUnderTest('ours');
    servers.push(ours);
    const theirs = withZooKeeper ? await startServerUnderTest('zookeeper') : undefined;
    if (theirs !== undefined) servers.push(theirs);
    for (const server of servers) {
      await prepare(server);
      // Warm-up (JIT on both sides), not measured.
      for (const w of [workloads[0]!, workloads[3]!]) await runLoad(server.port, w.make('warmup'), { sessions: 8, outstandingPerSession: 8, durationMs: warmupMs });
    }
    for (const w of workloads) {
      for (const shape of shapes) {
        const loadShape: LoadShape = { sessions: shape.sessions, outstandingPerSession: shape.outstanding / shape.sessions, durationMs };
        const tag = `o${shape.outstanding}`;
        const oursResult = await runLoad(ours.port, w.make(tag), loadShape);
        const theirsResult = theirs === undefined ? undefined : await runLoad(theirs.port, w.make(tag), loadShape);
        for (const [who, r] of [['ours', oursResult], ['ZooKeeper', theirsResult]] as const) {
          if (r !== undefined && r.errors > 0) errors.push(`${who}, ${w.name} at ${shape.outstanding}: ${r.errors} errors (first: ${r.firstError})`);
        }
        const row: Row = { workload: w.name, outstanding: shape.outstanding, ours: oursResult, theirs: theirsResult };
        rows.push(row);
        process.stderr.write(`${table([row]).split('\n')[2]}\n`);
      }
    }
  } finally {
    for (const server of servers) await server.stop();
  }
  return { rows, errors };

}

type MemoryRow = { kind: string; result: Awaited<ReturnType<typeof memoryPerZnode>> };

/** The run around the figures: when it started and the load average before and after. */
interface RunConditions {
  readonly startedAt: Date;
  readonly loadBefore: string;
  readonly loadAfter: string;
}

/** docs/benchmarks.md's "Server: standalone" section: how it was run, on what, the throughput and memory tables. */
function reportSection(options: Options, run: RunConditions, { rows, errors }: Measured, memory: readonly MemoryRow[]): string {
  const { startedAt, loadBefore, loadAfter } = run;
  const m = machine();
  const mib = (b: number) => (b / 2 ** 20).toFixed(1);
  const memoryTable = [
    '| server | znodes | RSS before MiB | RSS after MiB | bytes per znode | creates/s while filling |',
    '|---|---:|---:|---:|---:|---:|',
    ...memory.map(
      ({ kind, result: r }) =>
        `| ${kind} | ${fmt(options.znodes)} | ${mib(r.baselineBytes)} | ${mib(r.afterBytes)} | ${fmt(r.bytesPerZnode)} | ${fmt(options.znodes / (r.elapsedMs / 1000))} |`,
    ),
  ].join('\n');
  const command = `npm run bench -- server${options.seconds !== 4 ? ` --seconds ${options.seconds}` : ''}${options.znodes !== 100_000 ? ` --znodes ${options.znodes}` : ''}${options.record ? ' --record' : ''}`;
  return [
    '## Server: standalone',
    '',
    `Command: \`${command}\` (impl/bench/main.ts), ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; Node ${m.node}; ${m.java}. ` +
      `Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}. ` +
      'The machine was shared with other work running at the same time, so absolute numbers are noisy; both servers ran interleaved, workload by workload, so drifts in load hit both. ' +
      `The load generator (this process) runs on the same ${m.cores}-core machine as the server under test and competes with it for CPU.`,
    '',
    `Setup: both servers are child processes on 127.0.0.1 with fsync on (forceSync=yes) and their own temp dataDir; ZooKeeper 3.8 from Debian (ZooKeeperServerMain, -Xmx1000m as zkServer.sh), ours via \`node dist/server.js\` (the build). ` +
      `One generator, speaking the wire protocol directly (pipelined requests, latency per request from write to reply with process.hrtime.bigint), drives both: ` +
      `"1" is one session with one request outstanding, "64" is 8 sessions with 8 outstanding each, "256" is 32 sessions with 8 each; ${options.seconds} s per cell after a 2 s warm-up per server; ` +
      `setData/getData use a pool of ${poolSize} znodes of 100 bytes.`,
    '',
    table(rows),
    '',
    `Memory: fresh servers, VmRSS (/proc/<pid>/status) after creating one parent znode, then after creating ${fmt(options.znodes)} children of 100 bytes (8 sessions x 8 outstanding). ` +
      'For ZooKeeper this is the JVM process: the heap grows in steps and holds garbage until a collection, so the figure is what the operating system sees, not the live data size.',
    '',
    memoryTable,
    ...(errors.length > 0 ? ['', `Errors: ${errors.join('; ')}.`] : []),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\nusage: npm run bench -- server [--seconds N] [--znodes N] [--record]\n`);
    return 2;
  }
  const options = parsed;
  const withZooKeeper = haveApacheZooKeeper();
  if (!withZooKeeper) process.stderr.write(`${apacheZooKeeperMissing}: measuring ours only\n`);
  const loadBefore = loadavg();
  const startedAt = new Date();
  const measured = await measure(withZooKeeper, options.seconds * 1000);

  const memory: MemoryRow[] = [];
  memory.push({ kind: 'ours', result: await memoryPerZnode('ours', options.znodes) });
  if (withZooKeeper) memory.push({ kind: 'ZooKeeper', result: await memoryPerZnode('zookeeper', options.znodes) });
  const section = reportSection(options, { startedAt, loadBefore, loadAfter: loadavg() }, measured, memory);
  process.stdout.write(`\n${section}\n`);

  if (options.record) recordSection('## Server: standalone', section);
  return measured.errors.length > 0 ? 1 : 0;
}

/** Writes `section` into docs/benchmarks.md in place of its `heading` section (--record). */
export function recordSection(heading: string, section: string): void {
  const path = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
  const existing = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
  writeFileSync(path, replaceSection(existing, heading, section));
  process.stderr.write(`recorded in ${path}\n`);
}

/** Replaces the section starting at `heading` (up to the next `## ` heading) or appends it. */
export function replaceSection(document: string, heading: string, section: string): string {
  const lines = document.split('\n');
  const start = lines.findIndex((l) => l.trim() === heading);
  const body = section.endsWith('\n') ? section : `${section}\n`;
  if (start < 0) return `${document.replace(/\n*$/, '\n\n')}${body}`;
  let end = lines.length;
  for (let i = start + 1; i < lines.length; i++) {
    if (lines[i]!.startsWith('## ')) {
      end = i;
      break;
    }
  }
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  return `${before}${before === '' ? '' : '\n'}${body}${after === '' ? '' : `\n${after}`}`;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
