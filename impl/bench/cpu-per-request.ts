// Server CPU per request: what the request pipeline itself costs, apart from the disk.
//
//   npx tsx impl/bench/cpu-per-request.ts --workload create|setData|getData|mix [--seconds 4] [--fsync no|yes] [--tree DIR] [--cpu-prof DIR]
//
// Starts one standalone server of ours, DIR's build (dist/server.js, built
// first when a source is newer: default DIR is this checkout), on
// 127.0.0.1 with its own temp dataDir, drives it with main.ts's generator (8
// sessions x 8 outstanding) for a 2 s warm-up and then --seconds, and prints
// the rate and the server's user+system CPU time per request, read from
// /proc/<pid>/stat around the measured cell. With fsync off (the default) the
// throughput of `npm run bench -- server` is bounded by the disk, which hides
// a change in the pipeline's cost; CPU per request does not. --tree runs the
// same measurement on another checkout, so that a before/after pair is two
// runs of this one command (docs/benchmarks.md records one). --cpu-prof
// writes the server's V8 CPU profile (node --cpu-prof) into that directory,
// for the profile tables in docs/benchmarks.md.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { runLoad } from './load.ts';
import { createPoolWhenServing, startTreeServer } from './tree-server.ts';
import { basicWorkloads, mixWorkload, type NamedWorkload } from './workloads.ts';

const USAGE = 'usage: npx tsx impl/bench/cpu-per-request.ts --workload create|setData|getData|mix [--seconds 4] [--fsync no|yes] [--tree DIR] [--cpu-prof DIR]';
const thisTree = fileURLToPath(new URL('../..', import.meta.url));
const workloadsByName: Readonly<Record<string, NamedWorkload>> = {
  create: basicWorkloads[0]!,
  setData: basicWorkloads[1]!,
  getData: basicWorkloads[2]!,
  mix: mixWorkload,
};
/** Linux's USER_HZ: /proc/<pid>/stat counts CPU time in hundredths of a second. */
const ticksPerSecond = 100;

interface Options {
  readonly workload: NamedWorkload;
  readonly seconds: number;
  readonly fsync: boolean;
  readonly tree: string;
  readonly cpuProfileDir: string | undefined;
}

function parseArgs(argv: readonly string[]): Options | string {
  let workload: NamedWorkload | undefined;
  let seconds = 4;
  let fsync = false;
  let tree = thisTree;
  let cpuProfileDir: string | undefined;
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) return `${flag} needs a value`;
    if (flag === '--workload') workload = workloadsByName[value] ?? undefined;
    else if (flag === '--seconds') seconds = Number(value);
    else if (flag === '--fsync' && (value === 'yes' || value === 'no')) fsync = value === 'yes';
    else if (flag === '--tree') tree = resolve(value);
    else if (flag === '--cpu-prof') cpuProfileDir = resolve(value);
    else return `unknown argument ${JSON.stringify(flag)} ${JSON.stringify(value)}`;
  }
  if (workload === undefined) return '--workload must be one of create, setData, getData, mix';
  if (!Number.isFinite(seconds) || seconds <= 0 || seconds > 600) return '--seconds must be a number in (0, 600]';
  return { workload, seconds, fsync, tree, cpuProfileDir };
}

/** User plus system CPU time of a process, in ticks (fields 14 and 15 of /proc/<pid>/stat). */
function cpuTicks(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n${USAGE}\n`);
    return 2;
  }
  const dir = mkdtempSync(join(tmpdir(), 'zk-cpu-per-request-'));
  const [port] = (await reservePorts(1)) as [number];
  const config = join(dir, 'zoo.cfg');
  writeLoopbackZooCfg(config, [`dataDir=${join(dir, 'data')}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'maxClientCnxns=0', 'admin.enableServer=false', `forceSync=${options.fsync ? 'yes' : 'no'}`]);
  const profile = options.cpuProfileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir];
  const server = startTreeServer(options.tree, config, profile);
  const pid = server.pid!;
  try {
    await createPoolWhenServing(port);
    const shape = { sessions: 8, outstandingPerSession: 8 };
    await runLoad(port, options.workload.make('warmup'), { ...shape, durationMs: 2000 });
    const before = cpuTicks(pid);
    const result = await runLoad(port, options.workload.make('cell'), { ...shape, durationMs: options.seconds * 1000 });
    const cpuSeconds = (cpuTicks(pid) - before) / ticksPerSecond;
    const requests = result.opsPerSecond * options.seconds;
    process.stdout.write(
      `${options.workload.name}, 64 outstanding, fsync ${options.fsync ? 'on' : 'off'}, ${options.tree}: ` +
        `${Math.round(result.opsPerSecond)} ops/s, server CPU ${((cpuSeconds * 1e6) / requests).toFixed(1)} µs per request, ${result.errors} errors\n`,
    );
    return result.errors > 0 ? 1 : 0;
  } finally {
    // SIGTERM when profiling: node writes the profile only on a clean exit.
    if (options.cpuProfileDir === undefined) process.kill(pid, 'SIGKILL');
    else {
      const exited = new Promise((done) => server.once('exit', done));
      process.kill(pid, 'SIGTERM');
      await exited;
    }
    releasePorts([port]);
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  process.exitCode = await main();
}
