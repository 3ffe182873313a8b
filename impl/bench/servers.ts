// The two servers under test, each a child process on 127.0.0.1 with its own
// temp dataDir and fsync on, killed by PID when done: ours
// (`node dist/server.js zoo.cfg`, the build) and Apache ZooKeeper 3.8 from
// Debian's package (ZooKeeperServerMain, the class zkServer.sh runs for a
// standalone configuration, with zkServer.sh's default heap of 1000 MB).
// Both logs go to files in the dataDir, not to the generator's terminal.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApacheZooKeeper } from '../testing/apache-launcher.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { builtServer, serverEnvironment } from '../testing/built-server.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';

export type ServerKind = 'ours' | 'zookeeper';

export type RunningServer = {
  readonly kind: ServerKind;
  readonly pid: number;
  readonly port: number;
  readonly dir: string;
  /** VmRSS of the server process, in bytes. */
  rssBytes(): number;
  /** SIGKILL by PID, then remove the dataDir. */
  stop(): Promise<void>;
  /** SIGKILL by PID and start the same kind again on the same dataDir and port: what a restart costs (the cost curve's recovery row). */
  restart(): Promise<RunningServer>;
};

export type ServerOptions = {
  /** ZooKeeper's -Xmx (default 1000, zkServer.sh's); the cost curve's million znodes need more. */
  readonly heapMb?: number;
  /** Reuse this dataDir and port (a restart) instead of new ones. */
  readonly reuse?: { readonly dir: string; readonly port: number };
};


/**
 * Waits until `srvr` reports a mode. Not `ruok`: ZooKeeper answers imok as soon
 * as it listens, before its ZooKeeperServer runs, and closes sessions opened in
 * between; srvr says "not currently serving" until then.
 */
async function waitUntilServing(port: number, child: ChildProcess, deadlineMs: number, logPath: string): Promise<void> {
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`server exited (${child.exitCode ?? child.signalCode}); log:\n${readFileSync(logPath, 'utf8').slice(-4000)}`);
    const answer = await new Promise<string>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port }, () => socket.write('srvr'));
      let text = '';
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('error', () => resolve(''));
      socket.on('close', () => resolve(text));
      socket.setTimeout(1000, () => socket.destroy());
    });
    if (answer.includes('\nMode: ')) return;
    if (Date.now() > deadlineMs) throw new Error(`no srvr answer with a mode from 127.0.0.1:${port}; log:\n${readFileSync(logPath, 'utf8').slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

function vmRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
  if (match === null) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

export async function startServerUnderTest(kind: ServerKind, options: ServerOptions = {}): Promise<RunningServer> {
  const dir = options.reuse?.dir ?? mkdtempSync(join(tmpdir(), `zk-bench-${kind}-`));
  // Reserved below the ephemeral range: the server (a JVM for ZooKeeper) binds it only once it is up.
  const port = options.reuse?.port ?? ((await reservePorts(1)) as [number])[0];
  const configPath = join(dir, 'zoo.cfg');
  const common = [
    `dataDir=${join(dir, 'data')}`,
    `clientPort=${port}`,
    'clientPortAddress=127.0.0.1',
    'tickTime=2000',
    'maxClientCnxns=0',
    '4lw.commands.whitelist=ruok,srvr,mntr',
    'forceSync=yes',
    'admin.enableServer=false',
  ];
  writeLoopbackZooCfg(configPath, common);
  const logPath = join(dir, 'server.log');
  const logFd = openSync(logPath, 'a');
  const child =
    kind === 'ours'
      ? spawn(process.execPath, [builtServer(), configPath], { stdio: ['ignore', logFd, logFd], env: serverEnvironment({ ZKSPEC_LOG_LEVEL: 'warn' }) })
      : spawnApacheZooKeeper({
          main: 'standalone',
          configPath,
          cwd: dir,
          heapMb: options.heapMb ?? 1000,
          stdio: ['ignore', logFd, logFd],
          // ZooKeeper's log4j.properties in /etc/zookeeper/conf reads zookeeper.root.logger; keep it at INFO on the console (our file).
          env: { ...process.env },
        });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  try {
    await waitUntilServing(port, child, Date.now() + 300_000, logPath);
  } catch (error) {
    process.kill(pid, 'SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    await exited;
  };
  return {
    kind,
    pid,
    port,
    dir,
    rssBytes: () => vmRssBytes(pid),
    stop: async () => {
      await kill();
      releasePorts([port]);
      rmSync(dir, { recursive: true, force: true });
    },
    restart: async () => {
      await kill();
      return startServerUnderTest(kind, { ...options, reuse: { dir, port } });
    },
  };
}
