// One Apache ZooKeeper 3.8 server in standalone mode (ZooKeeperServerMain,
// through apache-launcher.ts) for tests that compare it with ours on the same
// steps: a fresh dataDir with a zoo.cfg holding the given lines, a reserved
// loopback port, SERVER_JVMFLAGS for the settings ZooKeeper reads only from
// system properties (the JAAS file, znode.container.checkIntervalMs), the jars
// a feature needs (Netty's for TLS whenever the lines have a secureClientPort,
// the AdminServer's), its log in the dataDir, and its PID SIGKILLed when the
// test ends or this process exits.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnApacheZooKeeper, waitForMode, zooCfgUsesTls, type ApacheJars } from './apache-launcher.ts';
import { writeLoopbackZooCfg } from './loopback-zoo-cfg.ts';
import { releasePorts, reservePorts } from './ports.ts';
import { ChildPids } from './processes.ts';

export type ApacheStandalone = {
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** ZooKeeper's log so far (its stdout and stderr). */
  log(): string;
  /** SIGKILLs it, frees its port and removes its dataDir. */
  stop(): Promise<void>;
};

export type ApacheStandaloneOptions = ApacheJars & {
  /** Lines added after tickTime, dataDir, the client port on 127.0.0.1, admin.enableServer=false and the four-letter words (a later line wins). */
  readonly zooCfg?: readonly string[];
  /** SERVER_JVMFLAGS, on java's command line before the class as zkServer.sh puts them. */
  readonly serverJvmFlags?: readonly string[];
  readonly heapMb?: number;
  readonly timeoutMs?: number;
};

const pids = new ChildPids();

/** Starts it and resolves once `srvr` shows it serving (within `timeoutMs`, 30 s by default). */
export async function startApacheStandalone(options: ApacheStandaloneOptions = {}): Promise<ApacheStandalone> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const dataDir = mkdtempSync(join(tmpdir(), 'zk-apache-'));
  const [port] = (await reservePorts(1)) as [number];
  const configPath = join(dataDir, 'zoo.cfg');
  const logPath = join(dataDir, 'zookeeper.log');
  const lines = ['tickTime=2000', `dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', '4lw.commands.whitelist=*', ...(options.zooCfg ?? [])];
  writeLoopbackZooCfg(configPath, lines);
  const logFd = openSync(logPath, 'w');
  const tls = options.tls ?? zooCfgUsesTls(lines);
  const child = spawnApacheZooKeeper({ ...options, tls, main: 'standalone', configPath, cwd: dataDir, stdio: ['ignore', logFd, logFd] });
  closeSync(logFd);
  const pid = child.pid!;
  pids.track(pid);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const log = () => readFileSync(logPath, 'utf8');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    await exited;
    pids.forget(pid);
    releasePorts([port]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await waitForMode(port, child, timeoutMs, log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { port, pid, dataDir, log, stop };
}
