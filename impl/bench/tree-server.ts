// One standalone server of ours from a checkout's build, for the benchmarks
// that compare two checkouts by running one command on each (cpu-per-request.ts,
// snapshot-stall.ts): the checkout's bundle is rebuilt first when a source is
// newer (deploy/build.mjs --if-changed), then started on a zoo.cfg the caller
// wrote, with the log at warn so that logging is not what is measured.

import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createPool } from './workloads.ts';

/** Starts DIR's dist/server.js on `config`; `nodeFlags` go before the script (--cpu-prof, --max-old-space-size). */
export function startTreeServer(tree: string, config: string, nodeFlags: readonly string[] = []): ChildProcess {
  execFileSync(process.execPath, [join(tree, 'deploy/build.mjs'), '--if-changed'], { stdio: 'inherit' });
  return spawn(process.execPath, [...nodeFlags, join(tree, 'dist/server.js'), config], {
    cwd: tree,
    stdio: 'ignore',
    env: { ...process.env, ZKSPEC_LOG_LEVEL: 'warn' },
  });
}

/** Creates the benchmark's pool (workloads.ts) once the server answers; a server not up within 30 s is an error. */
export async function createPoolWhenServing(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await createPool(port);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((done) => setTimeout(done, 200));
    }
  }
}
