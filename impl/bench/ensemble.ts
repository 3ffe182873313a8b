// Side-by-side benchmark of a 3-node ensemble of ours and a 3-node Apache
// ZooKeeper 3.8 ensemble:
//
//   npm run bench -- ensemble [--seconds N] [--only ours|zookeeper] [--no-cross-checks] [--record]
//
// Each ensemble is three child processes on 127.0.0.1 (impl/ensemble/cluster.ts,
// members talking to each other directly, no partition proxies), fsync on
// (forceSync=yes), tickTime 2000, each member with its own temp directory,
// all killed by PID at the end. ZooKeeper runs QuorumPeerMain with -Xmx1000m
// (zkServer.sh's default) and no log binding, as the standalone benchmark
// runs it; ours logs at warn. This process is the load generator: the same
// closed loop as the standalone benchmark (load.ts: a reply releases the
// next request; latency from write to reply, process.hrtime.bigint) over the
// same wire client (impl/testing/wire-client.ts), with the sessions spread round-robin
// over the three members, so two thirds of the writes are forwarded by a
// follower to the leader, as in a real deployment. Workloads: create of
// 100-byte znodes, setData and getData of 100-byte znodes (a pool of 1,000),
// each at 64 outstanding (8 sessions x 8, on members 1,2,3,1,2,3,1,2) and at 1
// outstanding (one session on a follower). Both ensembles are started
// together and warmed up, then each cell runs on ours and then on ZooKeeper.
//
// Two cross-checks follow (--no-cross-checks skips them): ZooKeeper's C load
// generator (load_gen) against each ensemble, and this generator against a
// server that does nothing, for the generator's own ceiling.
//
// Beside throughput and latency, each cell reports the CPU the generator
// used (process.cpuUsage, % of one core) and the CPU the three members used
// together (/proc/<pid>/stat, % of one core; the machine's whole budget is
// nproc x 100 %): a generator near 100 % is the ceiling, not the servers.
//
// --record writes the `## Server: 3-node ensemble` section of
// docs/benchmarks.md (after the standalone section; other sections are
// kept). The default run takes about two and a half minutes.

import { execFileSync, spawn } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { Ensemble, type ServerKind } from '../ensemble/cluster.ts';
import { apacheZooKeeperMissing, haveApacheZooKeeper, java } from '../testing/apache-zookeeper.ts';
import { runLoad, type LoadResult, type Workload } from './load.ts';
import { basicWorkloads, createPool, poolSize } from './workloads.ts';

type Options = { seconds: number; record: boolean; only: ServerKind | undefined; crossChecks: boolean };

function parseArgs(argv: readonly string[]): Options | string {
  const args = argv[0] === 'ensemble' ? argv.slice(1) : [...argv];
  const options: Options = { seconds: 4, record: false, only: undefined, crossChecks: true };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--record') options.record = true;
    else if (arg === '--no-cross-checks') options.crossChecks = false;
    else if (arg === '--seconds') {
      const value = Number(args[++i]);
      if (!Number.isFinite(value) || value <= 0) return `--seconds needs a positive number, got ${JSON.stringify(args[i])}`;
      options.seconds = value;
    } else if (arg === '--only') {
      const value = args[++i];
      if (value !== 'ours' && value !== 'zookeeper') return `--only is ours or zookeeper, got ${JSON.stringify(value)}`;
      options.only = value;
    } else return `unknown argument ${JSON.stringify(arg)}`;
  }
  if (options.record && options.only !== undefined) return '--record needs both ensembles (no --only)';
  return options;
}

const workloads = basicWorkloads;

type Shape = { readonly outstanding: number; readonly sessions: number };
const shapes: readonly Shape[] = [
  { outstanding: 64, sessions: 8 },
  { outstanding: 1, sessions: 1 },
];

type Cell = LoadResult & { readonly generatorCpuPercent: number; readonly serversCpuPercent: number };

const clockTicksPerSecond = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond;
}

/** runLoad over the members (session s on ports[s mod n]), with the generator's and the members' CPU over the measured window. */
async function runSpreadLoad(ports: readonly number[], workload: Workload, shape: Shape & { readonly durationMs: number }, pids: readonly number[]): Promise<Cell> {
  let cpuBefore = process.cpuUsage();
  let cpu = cpuBefore;
  let serversBefore = 0;
  let serversAfter = 0;
  const result = await runLoad(ports, workload, { sessions: shape.sessions, outstandingPerSession: shape.outstanding / shape.sessions, durationMs: shape.durationMs }, {
    started: () => {
      cpuBefore = process.cpuUsage();
      serversBefore = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    },
    ended: () => {
      cpu = process.cpuUsage(cpuBefore);
      serversAfter = pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
    },
  });
  return {
    ...result,
    generatorCpuPercent: ((cpu.user + cpu.system) / 1000 / result.elapsedMs) * 100,
    serversCpuPercent: ((serversAfter - serversBefore) * 1000 * 100) / result.elapsedMs,
  };
}



const loadGen = '/usr/lib/zookeeper/bin/load_gen';

type LoadGenRates = { readonly cycles: number; readonly createPerSecond: number; readonly setDataPerSecond: number; readonly getDataPerSecond: number; readonly deletePerSecond: number; readonly errors: number };

/**
 * ZooKeeper's own C load generator (zookeeper-client-c's load_gen, Debian's
 * zookeeper-bin): one session, on the first server of the connect string,
 * that issues `children` asynchronous creates, then as many setData, getData
 * and deletes, each phase waiting for all its replies, in a loop; it logs the
 * start of each phase. Rates are the median over complete cycles after the
 * first (warm-up; kept when it is the only one) of children / phase
 * duration. Its outstanding count is
 * unbounded (up to `children`), so it is a cross-check of the servers'
 * ceiling with a C client, not the same shape as the rows above.
 */
async function runLoadGen(connectString: string, children: number, durationMs: number): Promise<LoadGenRates> {
  const child = spawn(loadGen, [connectString, `/loadgen-${Date.now()}`, String(children)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  await Promise.race([exited, new Promise((r) => setTimeout(r, durationMs))]);
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  await exited;
  return parseLoadGenLog(output, children);
}

/** The phase rates of a load_gen log (see runLoadGen). */
export function parseLoadGenLog(output: string, children: number): LoadGenRates {
  const marks: { phase: 'create' | 'setData' | 'getData' | 'delete'; ms: number }[] = [];
  for (const line of output.split('\n')) {
    const m = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3}):.*ZOO_INFO@main@\d+: (Creating children|Starting the (write|read|delete) cycle)/.exec(line);
    if (m === null) continue;
    const ms = Date.parse(`${m[1]!.replace(' ', 'T')}Z`) + Number(m[2]);
    marks.push({ phase: m[4] === 'write' ? 'setData' : m[4] === 'read' ? 'getData' : m[4] === 'delete' ? 'delete' : 'create', ms });
  }
  const durations: Record<string, number[]> = { create: [], setData: [], getData: [], delete: [] };
  // A phase counts once the next phase has started; the first cycle is a warm-up, skipped when later ones completed.
  const first = marks.length >= 9 ? 4 : 0;
  for (let i = first; i + 1 < marks.length; i++) durations[marks[i]!.phase]!.push(marks[i + 1]!.ms - marks[i]!.ms);
  const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    return sorted.length === 0 ? Number.NaN : sorted[Math.floor(sorted.length / 2)]!;
  };
  const rate = (phase: string) => children / (median(durations[phase]!) / 1000);
  return {
    cycles: durations['delete']!.length,
    createPerSecond: rate('create'),
    setDataPerSecond: rate('setData'),
    getDataPerSecond: rate('getData'),
    deletePerSecond: rate('delete'),
    errors: (output.match(/ZOO_ERROR/g) ?? []).length,
  };
}

/**
 * A server that does nothing: a child process answering the handshake and
 * then every request at once with a canned getData reply (100 bytes and a
 * Stat). Driving it shows what the generator itself can issue and decode.
 */
const nullServerSource = `
const net = require('node:net');
const stat = Buffer.alloc(68);
const body = Buffer.concat([Buffer.from([0, 0, 0, 100]), Buffer.alloc(100, 0x61), stat]);
const server = net.createServer((socket) => {
  socket.setNoDelay(true);
  let pending = Buffer.alloc(0);
  let handshaken = false;
  socket.on('error', () => {});
  socket.on('data', (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    const out = [];
    while (pending.length >= 4) {
      const length = pending.readInt32BE(0);
      if (pending.length < 4 + length) break;
      const frame = pending.subarray(4, 4 + length);
      pending = pending.subarray(4 + length);
      if (!handshaken) {
        handshaken = true;
        const reply = Buffer.alloc(4 + 4 + 4 + 8 + 4 + 16 + 1);
        reply.writeInt32BE(reply.length - 4, 0);
        reply.writeInt32BE(30000, 8);
        reply.writeBigInt64BE(1n, 12);
        reply.writeInt32BE(16, 20);
        out.push(reply);
        continue;
      }
      const xid = frame.readInt32BE(0);
      const type = frame.readInt32BE(4);
      const header = Buffer.alloc(4 + 16);
      const payload = type === -11 ? Buffer.alloc(0) : body;
      header.writeInt32BE(16 + payload.length, 0);
      header.writeInt32BE(xid, 4);
      out.push(header, payload);
    }
    if (out.length > 0) socket.write(Buffer.concat(out));
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

type Ceiling = Cell & { readonly workload: string; readonly nullServerCpuPercent: number };

/** This generator's create and getData loops at 64 outstanding against the null server. */
async function generatorCeiling(durationMs: number): Promise<Ceiling[]> {
  const child = spawn(process.execPath, ['-e', nullServerSource], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      child.stdout.once('data', (c: Buffer) => resolve(Number(c.toString().trim())));
      child.once('exit', (code) => reject(new Error(`the null server exited (${code})`)));
    });
    const results: Ceiling[] = [];
    for (const w of [workloads[0]!, workloads[2]!]) {
      await runSpreadLoad([port], w.make('warmup'), { outstanding: 64, sessions: 8, durationMs: Math.min(2000, durationMs) }, [child.pid!]);
      const cell = await runSpreadLoad([port], w.make('ceiling'), { outstanding: 64, sessions: 8, durationMs }, [child.pid!]);
      results.push({ ...cell, workload: w.name, nullServerCpuPercent: cell.serversCpuPercent });
    }
    return results;
  } finally {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
  }
}

type Side = { readonly kind: ServerKind; readonly ensemble: Ensemble; readonly ports: number[]; readonly followerPort: number; readonly pids: number[]; readonly leader: number };

async function startSide(kind: ServerKind): Promise<Side> {
  const ensemble = await Ensemble.start({ kind, size: 3, tickTimeMs: 2000, initLimitTicks: 10, syncLimitTicks: 5, proxies: false, forceSync: true, javaHeapMb: 1000, zookeeperLog: false, logLevel: 'warn' });
  try {
    await ensemble.waitUntilServing(ensemble.ids, 60_000);
    const leader = await ensemble.leader(60_000);
    const follower = ensemble.ids.find((id) => id !== leader)!;
    const ports = ensemble.ids.map((id) => ensemble.member(id).clientPort);
    await createPool(ensemble.member(leader).clientPort);
    return { kind, ensemble, ports, followerPort: ensemble.member(follower).clientPort, pids: ensemble.ids.map((id) => ensemble.pid(id)!), leader };
  } catch (error) {
    await ensemble.stopAll();
    throw error;
  }
}

/** Median and 90th percentile of 4 KiB write + fsync in the temp directory the members use: the floor under every write's latency. */
function fsyncProbe(count = 100): { p50Ms: number; p90Ms: number } {
  const dir = mkdtempSync(join(os.tmpdir(), 'zk-bench-fsync-'));
  const fd = openSync(join(dir, 'probe'), 'w');
  const block = new Uint8Array(4096).fill(1);
  const times: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const start = process.hrtime.bigint();
      writeSync(fd, block);
      fsyncSync(fd);
      times.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
  times.sort((a, b) => a - b);
  return { p50Ms: times[Math.floor(count / 2)]!, p90Ms: times[Math.floor(count * 0.9)]! };
}

function javaVersion(): string {
  try {
    return execFileSync('/bin/sh', ['-c', `${java} -version 2>&1`], { encoding: 'utf8' }).split('\n')[0] ?? 'unknown';
  } catch {
    return 'not installed';
  }
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => (n < 1 ? n.toFixed(3) : n < 10 ? n.toFixed(2) : n.toFixed(1));
const loadavg = () => os.loadavg().map((l) => l.toFixed(2)).join(' / ');

type Row = { workload: string; outstanding: number; ours: Cell | undefined; theirs: Cell | undefined };

function table(rows: readonly Row[]): string {
  const lines = [
    '| workload | outstanding | ours ops/s | ours p50 ms | ours p99 ms | ZooKeeper ops/s | ZooKeeper p50 ms | ZooKeeper p99 ms | ops/s ours ÷ ZooKeeper | generator CPU % (ours / ZK run) | members CPU % (ours / ZK) |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const cells = (c: Cell | undefined) => (c === undefined ? '- | - | - |' : `${fmt(c.opsPerSecond)} | ${ms(c.p50Ms)} | ${ms(c.p99Ms)} |`);
  for (const r of rows) {
    const ratio = r.ours !== undefined && r.theirs !== undefined ? (r.ours.opsPerSecond / r.theirs.opsPerSecond).toFixed(2) : '-';
    const pct = (c: Cell | undefined, key: 'generatorCpuPercent' | 'serversCpuPercent') => (c === undefined ? '-' : fmt(c[key]));
    lines.push(
      `| ${r.workload} | ${r.outstanding} | ${cells(r.ours)} ${cells(r.theirs)} ${ratio} | ${pct(r.ours, 'generatorCpuPercent')} / ${pct(r.theirs, 'generatorCpuPercent')} | ${pct(r.ours, 'serversCpuPercent')} / ${pct(r.theirs, 'serversCpuPercent')} |`,
    );
  }
  return lines.join('\n');
}

/** Replaces the section at `heading` (up to the next `## `), or inserts it before the first `## ` section after `after`, or appends it. */
export function placeSection(document: string, heading: string, section: string, after: string): string {
  const lines = document.split('\n');
  const body = (section.endsWith('\n') ? section : `${section}\n`).split('\n');
  const nextHeading = (from: number) => {
    for (let i = from; i < lines.length; i++) if (lines[i]!.startsWith('## ')) return i;
    return lines.length;
  };
  const start = lines.findIndex((l) => l.trim() === heading);
  if (start >= 0) {
    const end = nextHeading(start + 1);
    return [...lines.slice(0, start), ...body, ...lines.slice(end)].join('\n');
  }
  const anchor = lines.findIndex((l) => l.trim() === after);
  if (anchor >= 0) {
    const at = nextHeading(anchor + 1);
    return [...lines.slice(0, at), ...body, ...lines.slice(at)].join('\n');
  }
  return `${document.replace(/\n*$/, '\n\n')}${body.join('\n')}`;
}

/** What one run measured: the table's rows, the load generator's cross-checks, and the errors seen. */
interface Measured {
  readonly rows: Row[];
  readonly errors: string[];
  readonly loadGenRows: { kind: ServerKind; rates: LoadGenRates }[];
}

const loadGenChildren = 3000;

/** Starts each ensemble, warms it up, runs every workload at every shape on each in turn (cell by cell), then the load_gen cross-checks. */
async function measure(kinds: readonly ServerKind[], options: Options, durationMs: number): Promise<Measured> {
  const warmupMs = Math.min(2000, durationMs);
  const measured: Measured = { rows: [], errors: [], loadGenRows: [] };
  const sides: Side[] = [];
  try {
    for (const kind of kinds) {
      sides.push(await startSide(kind));
      process.stderr.write(`${kind}: 3 members serving, leader is member ${sides.at(-1)!.leader}\n`);
    }
    for (const side of sides) {
      for (const w of [workloads[0]!, workloads[2]!]) await runSpreadLoad(side.ports, w.make('warmup'), { outstanding: 64, sessions: 8, durationMs: warmupMs }, side.pids);
    }
    for (const w of workloads) {
      for (const shape of shapes) {
        const row: Row = { workload: w.name, outstanding: shape.outstanding, ours: undefined, theirs: undefined };
        for (const side of sides) {
          const ports = shape.sessions === 1 ? [side.followerPort] : side.ports;
          const cell = await runSpreadLoad(ports, w.make(`o${shape.outstanding}`), { ...shape, durationMs }, side.pids);
          if (cell.errors > 0) measured.errors.push(`${side.kind}, ${w.name} at ${shape.outstanding}: ${cell.errors} errors (first: ${cell.firstError})`);
          if (side.kind === 'ours') row.ours = cell;
          else row.theirs = cell;
        }
        measured.rows.push(row);
        process.stderr.write(`${table([row]).split('\n')[2]}\n`);
      }
    }
    if (options.crossChecks && existsSync(loadGen)) {
      for (const side of sides) {
        // The follower first: load_gen connects to the first server of its list.
        const order = [side.ensemble.ids.find((id) => side.ensemble.member(id).clientPort === side.followerPort)!, ...side.ensemble.ids.filter((id) => side.ensemble.member(id).clientPort !== side.followerPort)];
        const rates = await runLoadGen(side.ensemble.connectString(order), loadGenChildren, Math.max(20_000, 5 * durationMs));
        measured.loadGenRows.push({ kind: side.kind, rates });
        process.stderr.write(`load_gen on ${side.kind}: ${JSON.stringify(rates)}\n`);
      }
    }
  } finally {
    for (const side of sides) await side.ensemble.stopAll();
  }
  return measured;
}

/** The machine and the run around the figures: load and fsync latency before and after, cores, memory. */
interface RunConditions {
  readonly startedAt: Date;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly fsyncBefore: ReturnType<typeof fsyncProbe>;
  readonly fsyncAfter: ReturnType<typeof fsyncProbe>;
}

/** docs/benchmarks.md's "Server: 3-node ensemble" section: how it was run, on what, the table and the cross-checks. */
function reportSection(options: Options, run: RunConditions, measured: Measured, ceiling: Awaited<ReturnType<typeof generatorCeiling>> | undefined): string {
  const { rows, errors, loadGenRows } = measured;
  const { startedAt, loadBefore, loadAfter, fsyncBefore, fsyncAfter } = run;
  const cpu = os.cpus()[0]?.model ?? 'unknown';
  const cores = os.cpus().length;
  const memoryGiB = Math.round((os.totalmem() / 2 ** 30) * 10) / 10;
  const command = `npm run bench -- ensemble${options.seconds !== 4 ? ` --seconds ${options.seconds}` : ''}${options.only !== undefined ? ` --only ${options.only}` : ''}${options.record ? ' --record' : ''}`;
  return [
    '## Server: 3-node ensemble',
    '',
    `Command: \`${command}\` (impl/bench/ensemble.ts), ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `Machine: ${cpu}, ${cores} cores (nproc ${os.availableParallelism()}), ${memoryGiB} GiB; Node ${process.version}; ${javaVersion()}. ` +
      `Load average (1/5/15 min) before: ${loadBefore}; after: ${loadAfter}. ` +
      `A 4 KiB write + fsync in the members' temp directory took ${ms(fsyncBefore.p50Ms)} ms (p50; p90 ${ms(fsyncBefore.p90Ms)}) before and ${ms(fsyncAfter.p50Ms)} ms (p90 ${ms(fsyncAfter.p90Ms)}) after; ` +
      'every write waits for at least one such fsync on the leader and one on a follower. ' +
      `All six members (three of ours, three of ZooKeeper) and the generator share these ${cores} cores; the idle ensemble costs little while the other is measured. ` +
      'The machine may be shared with other work, so absolute numbers are noisy; each cell ran on ours and then on ZooKeeper, so drifts in load hit both.',
    '',
    'Setup: each ensemble is three child processes on 127.0.0.1 (impl/ensemble/cluster.ts, members connected directly), fsync on (forceSync=yes), tickTime 2000, ' +
      'each member with its own temp directory; ZooKeeper 3.8 from Debian (QuorumPeerMain, -Xmx1000m), ours via `node dist/server.js` (the build). ' +
      'One generator (the closed loop of impl/bench/load.ts over impl/testing/wire-client.ts) drives both: "64" is 8 sessions with 8 outstanding each, ' +
      'placed round-robin on members 1, 2, 3, 1, 2, 3, 1, 2 (writes through a follower are forwarded to the leader); "1" is one session on a follower. ' +
      `${options.seconds} s per cell after a 2 s warm-up per ensemble; setData/getData use a pool of ${poolSize} znodes of 100 bytes. ` +
      `Generator CPU is this process's user+system time over the cell (% of one core; it is single-threaded, so about 100 % means the generator is the ceiling); ` +
      `members CPU is the three members' utime+stime together (% of one core; the machine has ${cores * 100} %).`,
    '',
    table(rows),
    ...(errors.length > 0 ? ['', `Errors: ${errors.join('; ')}.`] : []),
    ...(loadGenRows.length > 0
      ? [
          '',
          `Cross-check with ZooKeeper's C load generator (\`${loadGen} <follower first,...> /path ${loadGenChildren}\`): one session on a follower issuing ${fmt(loadGenChildren)} asynchronous ` +
            `creates, then setData, getData and deletes of them, each phase waiting for all its replies (so up to ${fmt(loadGenChildren)} outstanding, not 64); ` +
            'rates are the median over the complete cycles after the first (or over all, when only one completed).',
          '',
          '| ensemble | cycles | create/s | setData/s | getData/s | delete/s | errors |',
          '|---|---:|---:|---:|---:|---:|---:|',
          ...loadGenRows.map(
            ({ kind, rates: r }) =>
              `| ${kind === 'ours' ? 'ours' : 'ZooKeeper'} | ${r.cycles} | ${fmt(r.createPerSecond)} | ${fmt(r.setDataPerSecond)} | ${fmt(r.getDataPerSecond)} | ${fmt(r.deletePerSecond)} | ${r.errors} |`,
          ),
        ]
      : []),
    ...(ceiling !== undefined
      ? [
          '',
          "The generator's own ceiling: the same 64-outstanding loops (8 sessions x 8) against a server that does nothing " +
            `(a child process answering every request at once with a canned 100-byte reply, ${options.seconds} s each after a warm-up): ` +
            ceiling
              .map((c) => `${c.workload} ${fmt(c.opsPerSecond)} ops/s (p50 ${ms(c.p50Ms)} ms) with the generator at ${fmt(c.generatorCpuPercent)} % of a core and the null server at ${fmt(c.nullServerCpuPercent)} %`)
              .join('; ') +
            '. Rows well below that, with the generator far from 100 %, measure the ensembles, not the generator.',
        ]
      : []),
    '',
  ].join('\n');
}

async function main(): Promise<number> {
  const parsed = parseArgs(process.argv.slice(2));
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\nusage: npm run bench -- ensemble [--seconds N] [--only ours|zookeeper] [--no-cross-checks] [--record]\n`);
    return 2;
  }
  const options = parsed;
  const kinds: ServerKind[] = options.only !== undefined ? [options.only] : haveApacheZooKeeper() ? ['ours', 'zookeeper'] : ['ours'];
  if (options.only === 'zookeeper' && !haveApacheZooKeeper()) {
    process.stderr.write(`${apacheZooKeeperMissing}\n`);
    return 2;
  }
  if (options.only === undefined && !kinds.includes('zookeeper')) process.stderr.write('Apache ZooKeeper not found: measuring ours only\n');
  const loadBefore = loadavg();
  const fsyncBefore = fsyncProbe();
  const startedAt = new Date();
  const durationMs = options.seconds * 1000;
  const measured = await measure(kinds, options, durationMs);

  // The generator alone, against a server that does nothing (after the ensembles are gone, so it has the machine).
  const ceiling = options.crossChecks ? await generatorCeiling(durationMs) : undefined;
  for (const c of ceiling ?? []) process.stderr.write(`generator ceiling: ${c.workload} ${fmt(c.opsPerSecond)} ops/s at 64 outstanding, generator CPU ${fmt(c.generatorCpuPercent)} %\n`);

  const section = reportSection(options, { startedAt, loadBefore, loadAfter: loadavg(), fsyncBefore, fsyncAfter: fsyncProbe() }, measured, ceiling);
  process.stdout.write(`\n${section}\n`);

  if (options.record) {
    const path = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
    const existing = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmarks\n';
    writeFileSync(path, placeSection(existing, '## Server: 3-node ensemble', section, '## Server: standalone'));
    process.stderr.write(`recorded in ${path}\n`);
  }
  return measured.errors.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
