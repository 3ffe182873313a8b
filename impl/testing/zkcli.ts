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
