// Where Debian's Apache ZooKeeper 3.8 lives (`apt-get install zookeeper
// zookeeper-bin`), in one place for the tests, the harnesses and the
// benchmarks that run it beside ours: the server's jar and the JVM, the
// logging jars its Class-Path leaves out, and the client tools.
// apache-zookeeper-present.test.ts fails CI when any of them is missing.

import { existsSync } from 'node:fs';

export const zookeeperJar = '/usr/share/java/zookeeper.jar';
export const java = '/usr/bin/java';
/** An SLF4J binding and log4j for ZooKeeper's log (Debian's zookeeper.jar lists neither in its Class-Path). */
export const log4jJars: readonly string[] = ['/usr/share/java/log4j-1.2.jar', '/usr/share/java/slf4j-log4j12.jar'];
/** The servlet API the AdminServer's Jetty needs (Debian's zookeeper.jar lists Jetty in its Class-Path, not javax.servlet). */
export const servletApiJar = '/usr/share/java/servlet-api.jar';
export const zkCli = '/usr/share/zookeeper/bin/zkCli.sh';
/**
 * The Netty jars TLS needs beside the ones zookeeper.jar's Class-Path lists: Debian's
 * netty-handler.jar (SslHandler) names no Class-Path of its own, so without these a
 * TLS connection fails with a NoClassDefFoundError (ZooKeeper's server closes it,
 * zkCli.sh reports ConnectionLoss). Operators add them to the classpath
 * (docs/operations.md, "TLS").
 */
export const nettyTlsJars: readonly string[] = ['/usr/share/java/netty-codec.jar', '/usr/share/java/netty-resolver.jar', '/usr/share/java/netty-transport-native-unix-common.jar'];
export const cliMt = '/usr/lib/zookeeper/bin/cli_mt';

/** Whether a ZooKeeper server can be started here (the jar and the JVM). */
export function haveApacheZooKeeper(): boolean {
  return existsSync(zookeeperJar) && existsSync(java);
}

/** What an operator is told when it cannot: the paths looked for. */
export const apacheZooKeeperMissing = `Apache ZooKeeper not found (${zookeeperJar}, ${java})`;
