// Helpers for the standalone tests: a temp dataDir with a zoo.cfg, the built
// server as a child process (`node dist/server.js zoo.cfg`, ../testing/built-server.ts) on 127.0.0.1
// with a port the kernel picks (clientPort=0; the `serving` log line says
// which), node-zookeeper-client promisified (../testing/zk-client.ts), and a
// bounded four-letter-word query. Every child is registered so afterEach can SIGKILL it by PID.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtServer, serverEnvironment } from '../testing/built-server.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';

export { zookeeper } from '../testing/zk-client.ts';

export type DataDir = { readonly path: string; readonly configPath: string; remove(): void };

/**
 * A temp directory holding `zoo.cfg` (dataDir = the directory's `data`, clientPort=0) plus `extra` lines.
 * The AdminServer (0.0.0.0:8080 by default) is off unless `extra` sets admin.* keys itself.
 */
export function dataDirWithConfig(extra: readonly string[] = [], prefix = 'zk-standalone-'): DataDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const configPath = join(path, 'zoo.cfg');
  const admin = extra.some((line) => line.startsWith('admin.')) ? [] : ['admin.enableServer=false'];
  writeLoopbackZooCfg(configPath, [`dataDir=${join(path, 'data')}`, 'clientPort=0', 'clientPortAddress=127.0.0.1', ...admin, ...extra]);
  return { path, configPath, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export type LogLine = { readonly level: string; readonly event: string; readonly [field: string]: unknown };

export type ChildServer = {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly port: number;
  /** Every JSON log line so far. */
  readonly logs: LogLine[];
  /** Resolves with the exit code (or the signal's name) when the process ends. */
  readonly exited: Promise<number | string>;
  kill(signal?: NodeJS.Signals): void;
};

const children = new Set<ChildProcess>();

/** SIGKILLs every child started by `startChild` that is still running (for afterEach). */
export function killChildren(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
  children.clear();
}

/**
 * Starts the server on `configPath` and resolves once it logs `serving` (rejects on exit or after `timeoutMs`).
 * `env` adds variables to this process's (SERVER_JVMFLAGS, say).
 */
export function startChild(configPath: string, timeoutMs = 30_000, env: Readonly<Record<string, string>> = {}): Promise<ChildServer> {
  const child = spawn(process.execPath, [builtServer(), configPath], { stdio: ['ignore', 'ignore', 'pipe'], env: serverEnvironment(env) });
  children.add(child);
  const logs: LogLine[] = [];
  let stderr = '';
  let partial = '';
  const exited = new Promise<number | string>((resolve) => child.on('exit', (code, signal) => resolve(code ?? signal ?? 'unknown')));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not log "serving" within ${timeoutMs} ms; stderr:\n${stderr}`));
    }, timeoutMs);
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        let parsed: LogLine;
        try {
          parsed = JSON.parse(line) as LogLine;
        } catch {
          continue; // not ours (a Node warning)
        }
        logs.push(parsed);
        if (parsed.event === 'serving') {
          clearTimeout(timer);
          resolve({
            child,
            pid: child.pid!,
            port: parsed['port'] as number,
            logs,
            exited,
            kill: (signal = 'SIGKILL') => {
              if (child.exitCode === null && child.signalCode === null) process.kill(child.pid!, signal);
            },
          });
        }
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before serving; stderr:\n${stderr}`));
    });
  });
}

export { call, connectClient, type ZkClient } from '../testing/zk-client.ts';

/** Sends a four-letter word on a fresh connection and returns everything the server wrote before closing. */
export function fourLetterWord(port: number, word: string, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(word));
    let answer = '';
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${word} within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}

/** Polls `condition` every `intervalMs` until it holds or `timeoutMs` passes. */
export async function eventually(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string, intervalMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The resident set of process `pid` in bytes (VmRSS of /proc/PID/status): a child server's memory alone. */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}
