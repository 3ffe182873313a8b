// Our election against Apache ZooKeeper's: an ensemble of three where one
// member is our ElectionRunner and two are real ZooKeeper 3.8 servers
// (QuorumPeerMain from the Debian package), all on 127.0.0.1. It checks the
// wire formats where it matters: ZooKeeper must accept our initial message,
// decode our notifications (its log prints what it decoded), and we must
// decode its own, with the outcome both sides agree on.
//
// Runs only where java and /usr/share/java/zookeeper.jar exist. Every process
// is SIGKILLed and every data directory removed after each test.

import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ElectionRunner, type ElectionOutcome, type EnsembleMember } from './election-runner.ts';
import { spawnApacheZooKeeper } from '../testing/apache-launcher.ts';
import { java, log4jJars, zookeeperJar } from '../testing/apache-zookeeper.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';

const classpath = [zookeeperJar, ...log4jJars];
const javaFound = existsSync(java) && classpath.every((jar) => existsSync(jar));
const host = '127.0.0.1';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function waitFor(what: string, condition: () => boolean, timeoutMs: number, describeState: () => string): Promise<void> {
  const startMs = Date.now();
  while (!condition()) {
    if (Date.now() - startMs > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

interface ZooKeeperProcess {
  readonly sid: number;
  readonly child: ChildProcess;
  output: string;
}

/** Starts QuorumPeerMain for `sid` with a fresh data directory; killed (SIGKILL) and cleaned up after the test. */
function startZooKeeper(sid: number, members: readonly (EnsembleMember & { clientPort: number })[]): ZooKeeperProcess {
  const dir = mkdtempSync(join(tmpdir(), `zk-interop-${sid}-`));
  const me = members.find((m) => m.sid === sid)!;
  writeFileSync(join(dir, 'myid'), `${sid}\n`);
  writeLoopbackZooCfg(
    join(dir, 'zoo.cfg'),
    [
      'tickTime=200',
      'initLimit=10',
      'syncLimit=5',
      `dataDir=${dir}`,
      `clientPort=${me.clientPort}`,
      `clientPortAddress=${host}`,
      'admin.enableServer=false',
      ...members.map((m) => `server.${m.sid}=${host}:${m.quorumPort}:${m.electionPort}`),
    ],
  );
  writeFileSync(
    join(dir, 'log4j.properties'),
    'log4j.rootLogger=INFO, C\nlog4j.appender.C=org.apache.log4j.ConsoleAppender\nlog4j.appender.C.layout=org.apache.log4j.PatternLayout\nlog4j.appender.C.layout.ConversionPattern=%-5p %c{1} - %m%n\n',
  );
  const child = spawnApacheZooKeeper({
    main: 'quorum',
    configPath: join(dir, 'zoo.cfg'),
    cwd: dir,
    heapMb: 128,
    log4jConfig: { path: join(dir, 'log4j.properties'), logDir: dir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const zk: ZooKeeperProcess = { sid, child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (zk.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (zk.output += chunk.toString()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });
  return zk;
}

async function ensemble(ourSid: number) {
  // Reserved below the ephemeral range: the ZooKeeper JVMs bind theirs a second or two from now.
  const ports = await reservePorts(9);
  cleanups.push(() => releasePorts(ports));
  const members = [1, 2, 3].map((sid, i) => ({ sid, host, quorumPort: ports[3 * i]!, electionPort: ports[3 * i + 1]!, clientPort: ports[3 * i + 2]!, peerType: 'participant' as const }));
  const outcomes: ElectionOutcome[] = [];
  const runner = new ElectionRunner({ myid: ourSid, members, cnxTimeoutMs: 2000, onElected: (o) => outcomes.push(o) });
  cleanups.push(() => runner.close());
  await runner.listen();
  const zookeepers = members.filter((m) => m.sid !== ourSid).map((m) => startZooKeeper(m.sid, members));
  // A fresh ZooKeeper server votes with zxid 0 and currentEpoch 0; so do we.
  runner.startElection({ lastLoggedZxid: 0n, currentEpoch: 0n });
  const state = () => zookeepers.map((zk) => `--- ZooKeeper ${zk.sid} ---\n${zk.output.slice(-3000)}`).join('\n') + `\nours: ${JSON.stringify(outcomes, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`;
  return { runner, outcomes, zookeepers, state };
}

/** What ZooKeeper's WorkerReceiver logged about notifications from `sid` (FastLeaderElection "Notification: ..." lines). */
const notificationsFrom = (zk: ZooKeeperProcess, sid: number) => zk.output.split('\n').filter((line) => line.includes(`Notification:`) && line.includes(`n.sid:${sid},`));

describe.runIf(javaFound)('Fast Leader Election with two Apache ZooKeeper 3.8 servers', () => {
  it('as server 1 we follow the leader ZooKeeper elects, and ZooKeeper decodes our notifications', async () => {
    const { outcomes, zookeepers, state } = await ensemble(1);
    await waitFor('our decision', () => outcomes.length >= 1, 30_000, state);
    const outcome = outcomes[0]!;
    expect(outcome.state).toBe('FOLLOWING');
    expect([2n, 3n]).toContain(outcome.leader);
    const leader = zookeepers.find((zk) => BigInt(zk.sid) === outcome.leader)!;
    const other = zookeepers.find((zk) => zk !== leader)!;
    await waitFor('ZooKeeper to settle', () => leader.output.includes('Peer state changed: leading - broadcast') && other.output.includes('Peer state changed: following - broadcast'), 30_000, state);
    // ZooKeeper read our vote: version 2, config version 0, from sid 1.
    const ours = [...notificationsFrom(leader, 1), ...notificationsFrom(other, 1)];
    expect(ours.length, state()).toBeGreaterThan(0);
    for (const line of ours) expect(line).toMatch(/message format version:0x2, n\.config version:0x0/);
    expect(outcome.zxid).toBe(0n);
    expect(outcome.epoch).toBe(0n);
  }, 60_000);

  it('as server 3 we win on the server id and ZooKeeper follows us', async () => {
    const { outcomes, zookeepers, state } = await ensemble(3);
    await waitFor('our decision', () => outcomes.length >= 1, 30_000, state);
    expect(outcomes[0]).toMatchObject({ leader: 3n, state: 'LEADING' });
    // Both ZooKeeper servers decide to follow us (they then fail to reach a quorum port we do not serve yet).
    await waitFor('ZooKeeper to follow server 3', () => zookeepers.every((zk) => zk.output.includes('Peer state changed: following')), 30_000, state);
    for (const zk of zookeepers) expect(notificationsFrom(zk, 3).some((line) => line.includes('n.leader:3'))).toBe(true);
  }, 60_000);
});
