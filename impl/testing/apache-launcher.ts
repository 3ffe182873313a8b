// The one way tests, harnesses and benchmarks start an Apache ZooKeeper 3.8
// JVM (Debian's package, paths in apache-zookeeper.ts): ZooKeeperServerMain
// for a standalone server or QuorumPeerMain for an ensemble member, as
// zkServer.sh starts them, with the jars a feature needs beside those
// zookeeper.jar's Class-Path lists (Netty's for TLS, the servlet API for the
// AdminServer, log4j for a log), SERVER_JVMFLAGS on java's command line
// (where zkServer.sh puts them: a JAAS file, say), and a bounded wait for
// `srvr` to report a Mode (ZooKeeper answers ruok, and even accepts
// connections, before it serves sessions).

import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { connect } from 'node:net';
import { java, log4jJars, nettyTlsJars, servletApiJar, zookeeperJar } from './apache-zookeeper.ts';

/** The jars a feature needs beside zookeeper.jar. */
export type ApacheJars = {
  /** Netty's codec, resolver and native-unix jars: TLS (secureClientPort, sslQuorum) fails without them (zooCfgUsesTls). */
  readonly tls?: boolean;
  /** The servlet API: the AdminServer's Jetty fails without it. */
  readonly adminServer?: boolean;
  /** log4j and its SLF4J binding: without them ZooKeeper logs nothing. */
  readonly log4j?: boolean;
};

export type ApacheLaunch = ApacheJars & {
  /** ZooKeeperServerMain or QuorumPeerMain (zoo.cfg lists servers). */
  readonly main: 'standalone' | 'quorum';
  readonly configPath: string;
  /** The process's working directory. */
  readonly cwd: string;
  /** -Xmx in MB; 256 by default. */
  readonly heapMb?: number;
  /** SERVER_JVMFLAGS as an operator sets them for zkServer.sh: system properties (-Djava.security.auth.login.config=..., say). */
  readonly serverJvmFlags?: readonly string[];
  /** A log4j.properties for ZooKeeper's log (implies log4j), its log directory beside it. */
  readonly log4jConfig?: { readonly path: string; readonly logDir: string };
  readonly stdio: StdioOptions;
  readonly env?: NodeJS.ProcessEnv;
};

const mainClasses = { standalone: 'org.apache.zookeeper.server.ZooKeeperServerMain', quorum: 'org.apache.zookeeper.server.quorum.QuorumPeerMain' } as const;

/** Debian's configuration directory (its log4j.properties) first, then zookeeper.jar and the jars asked for. */
export function apacheClasspath(jars: ApacheJars): string {
  return ['/etc/zookeeper/conf', zookeeperJar, ...(jars.log4j === true ? log4jJars : []), ...(jars.tls === true ? nettyTlsJars : []), ...(jars.adminServer === true ? [servletApiJar] : [])].join(':');
}

/** Whether zoo.cfg `lines` serve TLS on a client port or between members, for which ZooKeeper needs Netty's jars. */
export function zooCfgUsesTls(lines: readonly string[]): boolean {
  return lines.some((line) => /^\s*(secureClientPort\s*=|sslQuorum\s*=\s*true)/.test(line));
}

/** Spawns the JVM; the caller tracks its PID (processes.ts) and kills it. */
export function spawnApacheZooKeeper(launch: ApacheLaunch): ChildProcess {
  const log = launch.log4jConfig;
  const args = [
    `-Xmx${launch.heapMb ?? 256}m`,
    ...(launch.serverJvmFlags ?? []),
    '-cp',
    apacheClasspath({ ...launch, log4j: launch.log4j === true || log !== undefined }),
    ...(log === undefined ? [] : [`-Dlog4j.configuration=file:${log.path}`, `-Dzookeeper.log.dir=${log.logDir}`]),
    mainClasses[launch.main],
    launch.configPath,
  ];
  return spawn(java, args, { cwd: launch.cwd, stdio: launch.stdio, env: launch.env ?? { ...process.env } });
}

/** Sends a four-letter word and returns the whole answer ('' when the connection fails); bounded by `timeoutMs`. */
export function fourLetterWord(port: number, word: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(word));
    let text = '';
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('data', (c: Buffer) => (text += c.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(text);
    });
  });
}

/**
 * Resolves once `srvr` on `port` has a Mode line; rejects when `child` exits
 * first or `timeoutMs` passes, with `describe()` (its log) in the message.
 */
export async function waitForMode(port: number, child: ChildProcess, timeoutMs: number, describe: () => string): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const srvr = await fourLetterWord(port, 'srvr', 1000);
    const mode = /\nMode: (\w+)/.exec(srvr);
    if (mode !== null) return mode[1]!;
    if (Date.now() > deadline || child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Apache ZooKeeper on ${port} was not serving (srvr without a Mode) within ${timeoutMs} ms; its log:\n${describe()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
