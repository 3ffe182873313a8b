// One Apache ZooKeeper 3.8 server in standalone mode (ZooKeeperServerMain)
// for tests that compare it with ours on the same steps: a fresh dataDir with
// a zoo.cfg holding the given lines, a reserved loopback port, JVM system
// properties for the settings ZooKeeper reads only from there
// (znode.container.checkIntervalMs), its log in the dataDir, and its PID
// SIGKILLed when the test ends or this process exits. The Netty jars TLS needs
// are on its classpath, so a secureClientPort in the lines works.

import { spawn } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { java, nettyTlsJars, zookeeperJar } from './apache-zookeeper.ts';
import { releasePorts, reservePorts } from './ports.ts';
import { ChildPids } from './processes.ts';

export type ApacheStandalone = {
  readonly port: number;
  readonly pid: number;
  readonly dataDir: string;
  /** SIGKILLs it, frees its port and removes its dataDir. */
  stop(): Promise<void>;
};

const pids = new ChildPids();

/** Starts it and resolves once `srvr` shows it serving (within `timeoutMs`); `zooCfg` lines are added to tickTime, dataDir and the client port. */
export async function startApacheStandalone(zooCfg: readonly string[], systemProperties: readonly string[] = [], timeoutMs = 30_000): Promise<ApacheStandalone> {
  const dataDir = mkdtempSync(join(tmpdir(), 'zk-apache-'));
  const [port] = (await reservePorts(1)) as [number];
  const configPath = join(dataDir, 'zoo.cfg');
  const lines = ['tickTime=2000', `dataDir=${dataDir}`, `clientPort=${port}`, 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', '4lw.commands.whitelist=*', ...zooCfg];
  writeFileSync(configPath, `${lines.join('\n')}\n`);
  const logFd = openSync(join(dataDir, 'zookeeper.log'), 'w');
  const child = spawn(java, ['-Xmx256m', ...systemProperties, '-cp', ['/etc/zookeeper/conf', zookeeperJar, ...nettyTlsJars].join(':'), 'org.apache.zookeeper.server.ZooKeeperServerMain', configPath], {
    stdio: ['ignore', logFd, logFd],
    cwd: dataDir,
  });
  closeSync(logFd);
  const pid = child.pid!;
  pids.track(pid);
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, 'SIGKILL');
    await exited;
    pids.forget(pid);
    releasePorts([port]);
    rmSync(dataDir, { recursive: true, force: true });
  };
  const deadline = Date.now() + timeoutMs;
  // srvr with a Mode line, not ruok: ZooKeeper answers ruok before it serves sessions.
  while (!(await fourLetterWord(port, 'srvr')).includes('\nMode: ')) {
    if (Date.now() > deadline || child.exitCode !== null) {
      const log = readFileSync(join(dataDir, 'zookeeper.log'), 'utf8');
      await stop();
      throw new Error(`Apache ZooKeeper on ${port} was not serving (srvr without a Mode) within ${timeoutMs} ms; its log:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return { port, pid, dataDir, stop };
}

function fourLetterWord(port: number, word: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(word));
    let answer = '';
    const timer = setTimeout(() => socket.destroy(), 1000);
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
  });
}
