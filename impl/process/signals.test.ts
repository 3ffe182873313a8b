// The server process as a supervisor sees it, started the way an operator
// types it, `npm start -- zoo.cfg` (which builds, then execs node on
// dist/server.js): the PID in the `serving` line and in the PID file is the
// process that handles SIGTERM, npm's direct child (no shell or tsx between
// them), and SIGTERM to that PID or to npm's own (what `docker stop` or a
// PID-file supervisor sends) closes the client connections, stops the server
// with exit 0 and removes the PID file, leaving no process behind (checked in
// /proc). Every wait is bounded and every process is SIGKILLed by PID after
// its test.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../server/raw-client.ts';
import { dataDirWithConfig, type DataDir, type LogLine } from '../standalone/test-support.ts';
import { repoRoot } from '../testing/built-server.ts';
import { pidFileName } from './pid-file.ts';

/** Whether /proc still lists `pid` as a process that has not exited (a zombie has exited). */
function inProc(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const parentOf = (pid: number) => Number(/^PPid:\s+(\d+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);

type NpmStart = { readonly npm: ChildProcess; readonly logs: LogLine[]; readonly exited: Promise<number | string>; output(): string };

const started: number[] = [];
const dirs: DataDir[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone, as it should be
    }
  }
  for (const dir of dirs.splice(0)) dir.remove();
});

/** `npm start -- zoo.cfg` in the repository, its server's JSON log lines collected from npm's stderr. */
function npmStart(configPath: string): NpmStart {
  // No update check: it would reach for the network, which a test does not depend on.
  const npm = spawn('npm', ['start', '--', configPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_update_notifier: 'false' } });
  started.push(npm.pid!);
  const logs: LogLine[] = [];
  let text = '';
  let partial = '';
  npm.stdout!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  npm.stderr!.on('data', (chunk: Buffer) => {
    text += chunk.toString();
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('{')) continue; // npm's and the build's lines
      logs.push(JSON.parse(line) as LogLine);
    }
  });
  const exited = new Promise<number | string>((resolve) => npm.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return { npm, logs, exited, output: () => text };
}

async function until<T>(what: string, timeoutMs: number, value: () => T | undefined, output: () => string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = value();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Starts the server through npm, checks its PID everywhere it is told, and opens a session that creates a znode. */
async function startServing(): Promise<{ run: NpmStart; pid: number; pidFile: string; client: RawClient }> {
  const dir = dataDirWithConfig([], 'zk-signals-');
  dirs.push(dir);
  const run = npmStart(dir.configPath);
  // The build before it takes a second or a few on a busy machine.
  const serving = await until('the serving line', 60_000, () => run.logs.find((l) => l.event === 'serving'), run.output);
  const pid = serving['pid'] as number;
  started.push(pid);
  expect(serving['message']).toContain(`pid ${pid}`);
  const pidFile = join(dir.path, 'data', pidFileName);
  expect(readFileSync(pidFile, 'utf8')).toBe(String(pid));
  // npm's script execs node: the server is npm's child, no shell in between to swallow a signal.
  expect(parentOf(pid)).toBe(run.npm.pid);
  const client = await RawClient.open(serving['port'] as number);
  await client.handshake();
  expect((await client.create('/before-sigterm')).header.err).toBe(0);
  return { run, pid, pidFile, client };
}

/** After SIGTERM: exit 0 through npm, the session's connection ended by the server, no process and no PID file left. */
async function expectCleanStop({ run, pid, pidFile, client }: Awaited<ReturnType<typeof startServing>>): Promise<void> {
  let ended = false;
  client.socket.on('end', () => (ended = true));
  const code = await Promise.race([run.exited, new Promise((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
  expect(code, run.output()).toBe(0);
  await client.closed;
  expect(ended).toBe(true); // a FIN from the server, not a reset
  const events = run.logs.map((l) => l.event);
  expect(events).toContain('stopping');
  expect(events.at(-1)).toBe('stopped');
  expect(inProc(pid)).toBe(false);
  expect(inProc(run.npm.pid!)).toBe(false);
  expect(existsSync(pidFile)).toBe(false);
}

describe('npm start -- zoo.cfg, stopped as a supervisor stops it', () => {
  it('SIGTERM to the PID the server printed and wrote: connections closed, exit 0, no process and no PID file left', async () => {
    const serving = await startServing();
    process.kill(Number(readFileSync(serving.pidFile, 'utf8')), 'SIGTERM');
    await expectCleanStop(serving);
  }, 90_000);

  it("SIGTERM to npm's PID reaches the server (npm forwards it, node is exec'd): the same clean stop", async () => {
    const serving = await startServing();
    process.kill(serving.run.npm.pid!, 'SIGTERM');
    await expectCleanStop(serving);
  }, 90_000);
});
