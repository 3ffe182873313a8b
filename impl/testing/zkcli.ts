// Apache ZooKeeper's own command-line client (Debian's zookeeper package) as
// the compatibility tests drive it: commands on stdin, output collected,
// the process SIGKILLed by PID if it outlives its time.

import { spawn } from 'node:child_process';
import { nettyTlsJars, zkCli, zookeeperJar } from './apache-zookeeper.ts';
import { storePassword, type TestCertificates } from './certificates.ts';

export { zkCli };

/**
 * Runs zkCli.sh against `server` (host:port) with `commands` on stdin; resolves with stdout+stderr.
 * `env` adds variables, as an operator sets them: CLIENT_JVMFLAGS for a JAAS client section
 * (sasl.test.ts) or for TLS (`zkCliTlsFlags`). `readOnly` passes `-r`: the session may be served by a
 * member in read-only mode (ConnectRequest.readOnly).
 */
export function runZkCli(server: string, commands: readonly string[], timeoutMs = 45_000, env: Readonly<Record<string, string>> = {}, options: { readonly readOnly?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(zkCli, [...(options.readOnly === true ? ['-r'] : []), '-server', server], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ZOO_LOG4J_PROP: 'ERROR,CONSOLE', ...env } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`zkCli.sh did not finish within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
    child.stdin.end(`${commands.join('\n')}\nquit\n`);
  });
}

/**
 * CLIENT_JVMFLAGS for zkCli.sh over TLS as ZooKeeper's docs set them, with client
 * `name`'s PKCS12 key store and the CA's trust store; `-cp` adds the Netty jars
 * Debian's classpath lacks (zkEnv.sh's fixed classpath is replaced by the later `-cp`).
 */
export function zkCliTlsFlags(certs: TestCertificates, name: string): string {
  const client = certs.clients[name];
  if (client === undefined) throw new Error(`no client certificate named ${name}`);
  return [
    `-cp /etc/zookeeper/conf:${zookeeperJar}:${nettyTlsJars.join(':')}`,
    '-Dzookeeper.client.secure=true',
    '-Dzookeeper.clientCnxnSocket=org.apache.zookeeper.ClientCnxnSocketNetty',
    `-Dzookeeper.ssl.keyStore.location=${client.p12}`,
    `-Dzookeeper.ssl.keyStore.password=${storePassword}`,
    `-Dzookeeper.ssl.trustStore.location=${certs.caTrustStore}`,
    `-Dzookeeper.ssl.trustStore.password=${storePassword}`,
  ].join(' ');
}

/**
 * What a zkCli.sh session printed, without the lines that differ from run to
 * run or say nothing (logging, banners). Two events are dropped too, each a
 * race inside zkCli.sh: `Disconnected`, which the client reports after a
 * server answers and closes the connection only if its reading thread sees
 * the close before `quit` closes the client (by hand: against our standalone server
 * in 1 of 2 runs, against ZooKeeper, whose selector thread closes a little later,
 * in 0 of 2), and `Closed`, which the JVM sometimes exits before printing
 * (seen once against Apache ZooKeeper in three runs of
 * impl/standalone/sasl.test.ts).
 */
export function zkCliOutcome(output: string): string[] {
  const lines = output
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line) => line !== '' && !/^(SLF4J|Connecting to|Welcome to ZooKeeper|JLine support|WATCHER::|WatchedEvent state:(Disconnected|Closed) )/.test(line));
  // zkCli.sh prints events from its event thread and results from its main thread, some on
  // stdout and some on stderr ("Created /s"), which arrive here interleaved as it happens: the
  // lines are compared as a sorted list, each event once (after a server closes the connection
  // the client may reconnect and report SyncConnected again before `quit`, against either server).
  const events = new Set(lines.filter((l) => l.startsWith('WatchedEvent ')).map((l) => l.replace(/^WatchedEvent state:(\w+) type:None path:null$/, 'event $1')));
  return [...lines.filter((l) => !l.startsWith('WatchedEvent ')), ...events].sort();
}
