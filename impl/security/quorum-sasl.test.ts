// SASL between members, below the ensemble: the QuorumAuthPacket exchange on
// loopback sockets between two of our connection managers (the right password,
// a wrong one, a peer that does not authenticate, a peer sending garbage), and
// our election with two Apache ZooKeeper 3.8 servers configured with the same
// quorum.auth keys and JAAS file, so the handshake runs against ZooKeeper's own
// SaslQuorumAuthServer and SaslQuorumAuthLearner in both directions.

import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { quorumLoginsFromJaas, type QuorumLogins } from '../auth/quorum-login.ts';
import { quorumAuthOff, type QuorumAuthSettings } from '../config/quorum-auth-keys.ts';
import { parseZooCfg } from '../config/zoo-cfg.ts';
import { QuorumCnxManager } from '../quorum/cnx-manager.ts';
import { ElectionRunner, type ElectionOutcome } from '../quorum/election-runner.ts';
import { encodeQuorumAuthPacket, parseQuorumAuthPacket, QuorumAuthStatus, quorumAuthMagicNumber } from '../quorum/quorum-auth.ts';
import { electionFrame, encodeInitialMessage, encodeNotification, PROTOCOL_VERSION_V1 } from '../quorum/wire.ts';
import { spawnApacheZooKeeper } from '../testing/apache-launcher.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { quorumAuthenticator } from './quorum-sasl.ts';

const host = '127.0.0.1';
const jaasText = (password: string) =>
  `QuorumServer {\n org.apache.zookeeper.server.auth.DigestLoginModule required user_test="secret";\n};\nQuorumLearner {\n org.apache.zookeeper.server.auth.DigestLoginModule required username="test" password="${password}";\n};\n`;
const logins = (password: string): QuorumLogins => {
  const read = quorumLoginsFromJaas(jaasText(password), 'jaas.conf', 'QuorumServer', 'QuorumLearner');
  if (!read.ok) throw new Error(read.error);
  return read.value;
};
const required: QuorumAuthSettings = { ...quorumAuthOff, enableSasl: true, learnerRequireSasl: true, serverRequireSasl: true };

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function waitFor(what: string, condition: () => boolean, timeoutMs: number, describeState: () => string = () => ''): Promise<void> {
  const startMs = Date.now();
  while (!condition()) {
    if (Date.now() - startMs > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${describeState()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const vote = encodeNotification({ state: 'LOOKING', leader: 1n, zxid: 0n, electionEpoch: 1n, peerEpoch: 0n, version: 2, config: '' });

/** Two connection managers on loopback, sids 1 and 2, each with its own settings and JAAS passwords. */
async function pair(settings: [QuorumAuthSettings, QuorumAuthSettings], passwords: [string, string]) {
  const ports = await reservePorts(2);
  cleanups.push(() => releasePorts(ports));
  const servers = [1, 2].map((sid, i) => ({ sid, host, electionPort: ports[i]! }));
  const received: [number, number][] = [];
  const lines: string[] = [];
  const managers = [0, 1].map((i) => {
    const auth = quorumAuthenticator(settings[i]!, logins(passwords[i]!), 1000);
    const manager = new QuorumCnxManager({
      myid: i + 1,
      servers,
      cnxTimeoutMs: 1000,
      onNotification: (from) => received.push([i + 1, from]),
      log: (level, event, fields) => lines.push(`${level} ${event} ${JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`),
      ...(auth === undefined ? {} : { auth }),
    });
    cleanups.push(() => manager.close());
    return manager;
  });
  for (const m of managers) await m.start();
  return { managers, received, lines, ports };
}

describe('the election connection with quorum SASL, two of our managers', () => {
  it('authenticates and carries notifications both ways with the right password', async () => {
    const { managers, received, lines } = await pair([required, required], ['secret', 'secret']);
    managers[0]!.send(2, vote);
    managers[1]!.send(1, vote);
    await waitFor('a notification each way', () => received.some(([at]) => at === 1) && received.some(([at]) => at === 2), 5000, () => lines.join('\n'));
    // Only the larger sid keeps a connection it opened.
    expect(managers[1]!.connectionOpener(1)).toBe('us');
    expect(managers.map((m) => m.stats.authFailures)).toEqual([0, 0]);
    expect(lines.some((l) => l.includes('quorum-learner-authenticated') && l.includes('"authorizationId":"test"'))).toBe(true);
  });

  it('refuses the member whose password is wrong, and says so on both sides', async () => {
    // Server 2 (the larger: it keeps what it dials) has the wrong QuorumLearner password.
    const { managers, received, lines } = await pair([required, required], ['secret', 'wrong']);
    managers[0]!.send(2, vote);
    managers[1]!.send(1, vote);
    await waitFor('refusals', () => managers[0]!.stats.authFailures >= 2 && managers[1]!.stats.authFailures >= 2, 5000, () => lines.join('\n'));
    expect(received.filter(([at, from]) => at !== from)).toEqual([]);
    expect(managers[0]!.isConnected(2)).toBe(false);
    expect(lines.join('\n')).toMatch(/warn quorum-auth-refused .*Mismatched response/);
    expect(lines.join('\n')).toMatch(/warn quorum-auth-failed .*"sid":1.*the server answered ERROR/);
  });

  it('serverRequireSasl=false lets through a member that does not authenticate; learnerRequireSasl=false sends nothing', async () => {
    const tolerant: QuorumAuthSettings = { ...required, serverRequireSasl: false };
    const silent: QuorumAuthSettings = { ...required, learnerRequireSasl: false, serverRequireSasl: false };
    const { managers, received, lines } = await pair([tolerant, silent], ['secret', 'secret']);
    managers[1]!.send(1, vote);
    await waitFor('a notification from 2', () => received.some(([at, from]) => at === 1 && from === 2), 5000, () => lines.join('\n'));
    expect(lines.join('\n')).toMatch(/warn quorum-auth-tolerated .*"sid":"2".*Learner not trying to authenticate/);
    expect(managers.map((m) => m.stats.authFailures)).toEqual([0, 0]);
  });

  it('with enableSasl=false there is no authenticator; with learnerRequireSasl=false the dialler sends what it sends without SASL', async () => {
    expect(quorumAuthenticator(quorumAuthOff, logins('secret'), 1000)).toBeUndefined();
    const ports = await reservePorts(2);
    cleanups.push(() => releasePorts(ports));
    // A raw listener as server 1 records what server 2 (larger: it keeps the connection) sends.
    let bytes = Buffer.alloc(0);
    const raw = net.createServer((socket) => socket.on('data', (chunk: Buffer) => (bytes = Buffer.concat([bytes, chunk]))));
    await new Promise<void>((resolve) => raw.listen(ports[0], host, resolve));
    cleanups.push(() => new Promise<void>((resolve) => raw.close(() => resolve())));
    const servers = [1, 2].map((sid, i) => ({ sid, host, electionPort: ports[i]! }));
    const silent = quorumAuthenticator({ ...required, learnerRequireSasl: false, serverRequireSasl: false }, logins('secret'), 1000)!;
    const manager = new QuorumCnxManager({ myid: 2, servers, cnxTimeoutMs: 1000, onNotification: () => {}, auth: silent });
    cleanups.push(() => manager.close());
    manager.send(1, vote);
    const initial = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [`${host}:${ports[1]}`] });
    const expected = Buffer.concat([initial, Buffer.from(electionFrame(vote))]);
    await waitFor('the notification', () => bytes.byteLength >= expected.byteLength, 3000);
    expect(bytes.toString('hex')).toBe(expected.toString('hex'));
  });

  it('closes a peer that sends garbage instead of an auth packet, or a malformed one, and keeps serving (seed printed)', async () => {
    const seed = Number(process.env['ZKSPEC_SEED'] ?? Date.now() % 100_000);
    console.log(`quorum-sasl garbage seed ${seed}`);
    let state = seed;
    const random = () => ((state = (Math.imul(state, 1103515245) + 12345) >>> 0), state / 2 ** 32);
    const { managers, ports, lines } = await pair([required, required], ['secret', 'secret']);
    const initial = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [`${host}:${ports[1]}`] });
    const magic = Buffer.alloc(8);
    magic.writeBigInt64BE(quorumAuthMagicNumber);
    const inputs: Uint8Array[] = [
      Buffer.from('not an auth packet at all'),
      Buffer.concat([magic, Buffer.from([0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff])]), // a 2 GB token
      Buffer.concat([magic, Buffer.from([0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff])]), // a null token
      encodeQuorumAuthPacket(QuorumAuthStatus.IN_PROGRESS, Buffer.from('realm="x"')), // a DIGEST-MD5 exchange must start empty
      ...Array.from({ length: 20 }, () => Buffer.concat([magic, Buffer.from(Array.from({ length: Math.floor(random() * 64) }, () => Math.floor(random() * 256)))])),
    ];
    for (const input of inputs) {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = net.connect({ host, port: ports[0]! }, () => socket.write(Buffer.concat([initial, input])));
        socket.on('data', (reply: Buffer) => {
          // What it answers before closing is an auth packet (the challenge or ERROR), nothing else.
          expect(parseQuorumAuthPacket(reply).kind).not.toBe('invalid');
        });
        socket.on('error', () => {});
        socket.on('close', () => resolve(true));
        setTimeout(() => {
          socket.destroy();
          resolve(false);
        }, 3000);
      });
      expect(closed, Buffer.from(input).toString('hex')).toBe(true);
    }
    // Still up: the honest peer gets through.
    managers[1]!.send(1, vote);
    await waitFor('the honest peer', () => managers[0]!.isConnected(2), 5000, () => lines.join('\n'));
  }, 90_000);
});

describe('quorum.cnxn.threads.size', () => {
  it('bounds the exchanges in progress: one more is closed at once, unanswered', async () => {
    const { managers, ports, lines } = await pair([{ ...required, cnxnThreadsSize: 1 }, required], ['secret', 'secret']);
    // The bound is at least 20 from zoo.cfg; 1 here, set directly, to see it work.
    const initial = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [`${host}:${ports[1]}`] });
    const open = (bytes: Uint8Array) => {
      const socket = net.connect({ host, port: ports[0]! }, () => socket.write(bytes));
      const replies: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => replies.push(chunk));
      socket.on('error', () => {});
      const closedAtMs = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
      cleanups.push(() => void socket.destroy());
      return { replies, closedAtMs };
    };
    const first = encodeQuorumAuthPacket(QuorumAuthStatus.IN_PROGRESS, new Uint8Array(0));
    // Holds the one exchange: its first packet, then nothing (the challenge is sent; the response never comes).
    const holder = open(Buffer.concat([initial, first]));
    await waitFor('the challenge to the first', () => holder.replies.length > 0, 2000, () => lines.join('\n'));
    const startMs = Date.now();
    const second = open(Buffer.concat([initial, first]));
    expect((await second.closedAtMs) - startMs).toBeLessThan(500);
    expect(second.replies).toEqual([]);
    expect(lines.join('\n')).toMatch(/quorum-auth-refused .*authentications in progress already \(quorum.cnxn.threads.size\)/);
    // The first ends at the 1 s bound; then an honest peer gets through.
    await holder.closedAtMs;
    managers[1]!.send(1, vote);
    await waitFor('the honest peer', () => managers[0]!.isConnected(2), 5000, () => lines.join('\n'));
  });
});

describe('the quorum.auth keys', () => {
  const parse = (lines: string) => parseZooCfg(`dataDir=/d\n${lines}\n`);
  it('are read with ZooKeeper defaults and its checks', () => {
    const on = parse('quorum.auth.enableSasl=true\nquorum.auth.learnerRequireSasl=TRUE\nquorum.auth.serverRequireSasl=true\nquorum.auth.server.saslLoginContext=QS\nquorum.cnxn.threads.size=40');
    expect(on.ok && on.value.config.quorumAuth).toEqual({ enableSasl: true, learnerRequireSasl: true, serverRequireSasl: true, learnerLoginContext: 'QuorumLearner', serverLoginContext: 'QS', cnxnThreadsSize: 40 });
    // QuorumPeer.setQuorumCnxnThreadsSize keeps 20 for anything smaller.
    const small = parse('quorum.cnxn.threads.size=3');
    expect(small.ok && small.value.config.quorumAuth.cnxnThreadsSize).toBe(20);
    const messages = (text: string) => {
      const r = parse(text);
      return r.ok ? [] : r.error.map((e) => e.message);
    };
    expect(messages('quorum.auth.serverRequireSasl=true\nquorum.auth.learnerRequireSasl=true')).toEqual([
      'quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.serverRequireSasl',
      'quorum.auth.enableSasl is disabled, so cannot enable quorum.auth.learnerRequireSasl',
    ]);
    expect(messages('quorum.auth.enableSasl=true\nquorum.auth.serverRequireSasl=true')).toEqual(['quorum.auth.learnerRequireSasl is disabled, so cannot enable quorum.auth.serverRequireSasl']);
    expect(messages('quorum.auth.enableSasl=yes')).toEqual(['line 2: invalid quorum.auth.enableSasl="yes": expected \'true\' or \'false\'']);
    expect(messages('quorum.cnxn.threads.size=-1')).toEqual(['line 2: invalid quorum.cnxn.threads.size="-1": expected a positive integer']);
    expect(messages('quorum.auth.enableSASL=true')[0]).toMatch(/^line 2: quorum\.auth\.enableSASL: not a quorum\.auth key ZooKeeper 3\.8 reads/);
    const principal = parse('quorum.auth.kerberos.servicePrincipal=zkquorum/_HOST');
    expect(principal.ok && principal.value.warnings[0]).toMatch(/only DIGEST-MD5 is implemented between members/);
  });

  it('need both JAAS sections, with DigestLoginModule; Kerberos is refused', () => {
    expect(quorumLoginsFromJaas(jaasText('p'), 'j', 'QuorumServer', 'QuorumLearner')).toMatchObject({ ok: true, value: { learner: { userName: 'test', password: 'p' } } });
    const refusal = (text: string) => {
      const r = quorumLoginsFromJaas(text, 'j', 'QuorumServer', 'QuorumLearner');
      return r.ok ? 'accepted' : r.error;
    };
    expect(refusal('QuorumServer { org.apache.zookeeper.server.auth.DigestLoginModule required user_test="s"; };')).toMatch(/section 'QuorumLearner' could not be found/);
    expect(refusal(jaasText('p').replace('QuorumServer', 'Other'))).toMatch(/section 'QuorumServer' could not be found/);
    expect(refusal(jaasText('p').replace(/QuorumLearner \{[^}]*\}/, 'QuorumLearner { com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true principal="zkquorum/h@R"; }'))).toMatch(/Kerberos \(GSSAPI\) between members is not implemented/);
    expect(refusal(jaasText('p').replace('username="test" ', ''))).toMatch(/needs username="..." and password="..."/);
  });
});

// ---- against Apache ZooKeeper 3.8 -------------------------------------------------


type ZooKeeperProcess = { readonly sid: number; readonly child: ChildProcess; output: string };

function startZooKeeper(sid: number, members: readonly { sid: number; quorumPort: number; electionPort: number; clientPort: number }[], jaasPath: string): ZooKeeperProcess {
  const dir = mkdtempSync(join(tmpdir(), `zk-quorum-sasl-${sid}-`));
  const me = members.find((m) => m.sid === sid)!;
  writeFileSync(join(dir, 'myid'), `${sid}\n`);
  writeLoopbackZooCfg(join(dir, 'zoo.cfg'), [
    'tickTime=200',
    'initLimit=10',
    'syncLimit=5',
    `dataDir=${dir}`,
    `clientPort=${me.clientPort}`,
    `clientPortAddress=${host}`,
    'admin.enableServer=false',
    'quorum.auth.enableSasl=true',
    'quorum.auth.learnerRequireSasl=true',
    'quorum.auth.serverRequireSasl=true',
    ...members.map((m) => `server.${m.sid}=${host}:${m.quorumPort}:${m.electionPort}`),
  ]);
  writeFileSync(join(dir, 'log4j.properties'), 'log4j.rootLogger=INFO, C\nlog4j.appender.C=org.apache.log4j.ConsoleAppender\nlog4j.appender.C.layout=org.apache.log4j.PatternLayout\nlog4j.appender.C.layout.ConversionPattern=%-5p %c{1} - %m%n\n');
  const child = spawnApacheZooKeeper({
    main: 'quorum',
    configPath: join(dir, 'zoo.cfg'),
    cwd: dir,
    heapMb: 128,
    serverJvmFlags: [`-Djava.security.auth.login.config=${jaasPath}`],
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

/** Our election as server `ourSid` with our QuorumLearner password, and ZooKeeper as the other two with the right one. */
async function mixedEnsemble(ourSid: number, ourPassword: string) {
  const root = mkdtempSync(join(tmpdir(), 'zk-quorum-sasl-jaas-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  writeFileSync(join(root, 'jaas.conf'), jaasText('secret'));
  const ports = await reservePorts(9);
  cleanups.push(() => releasePorts(ports));
  const members = [1, 2, 3].map((sid, i) => ({ sid, host, quorumPort: ports[3 * i]!, electionPort: ports[3 * i + 1]!, clientPort: ports[3 * i + 2]!, peerType: 'participant' as const }));
  const outcomes: ElectionOutcome[] = [];
  const lines: string[] = [];
  const runner = new ElectionRunner({
    myid: ourSid,
    members,
    cnxTimeoutMs: 2000,
    onElected: (o) => outcomes.push(o),
    auth: quorumAuthenticator(required, logins(ourPassword), 2000)!,
    log: (level, event, fields) => lines.push(`${level} ${event} ${JSON.stringify(fields, (_k, v) => (typeof v === 'bigint' ? String(v) : v))}`),
  });
  cleanups.push(() => runner.close());
  await runner.listen();
  const zookeepers = members.filter((m) => m.sid !== ourSid).map((m) => startZooKeeper(m.sid, members, join(root, 'jaas.conf')));
  runner.startElection({ lastLoggedZxid: 0n, currentEpoch: 0n });
  const state = () => zookeepers.map((zk) => `--- ZooKeeper ${zk.sid} ---\n${zk.output.slice(-3000)}`).join('\n') + `\nours:\n${lines.slice(-20).join('\n')}`;
  return { runner, outcomes, zookeepers, lines, state };
}

describe.runIf(haveApacheZooKeeper())('quorum SASL in an election with two Apache ZooKeeper 3.8 servers', () => {
  it('as server 2 we authenticate to ZooKeeper and ZooKeeper to us, and the three decide together', async () => {
    const { runner, outcomes, zookeepers, lines, state } = await mixedEnsemble(2, 'secret');
    await waitFor('our decision', () => outcomes.length >= 1, 30_000, state);
    // Who leads depends on which JVM is up first (1 and 2 are a quorum); that all three talk is the point.
    expect([2n, 3n]).toContain(outcomes[0]!.leader);
    // Our learner passed ZooKeeper's SaslQuorumAuthServer: server 1 is smaller, so we dial it, authenticate and keep the connection.
    await waitFor('ZooKeeper to log our authentication', () => zookeepers.some((zk) => zk.output.includes('Successfully authenticated learner: authenticationID=test')), 10_000, state);
    // ZooKeeper's SaslQuorumAuthLearner passed ours: server 3 dials us and keeps the connection; server 1 dials us, authenticates, and is dialled back.
    await waitFor('both to have connected to us', () => runner.cnx.isConnected(1) && runner.cnx.isConnected(3), 10_000, state);
    expect(lines.join('\n')).toMatch(/info quorum-learner-authenticated .*"sid":"3".*"authorizationId":"test"/);
    expect(runner.cnx.stats.authFailures).toBe(0);
    for (const zk of zookeepers) expect(zk.output, `ZooKeeper ${zk.sid}`).not.toMatch(/Failed to authenticate using SASL/);
  }, 60_000);

  it('as server 3 with a wrong QuorumLearner password we are refused; ZooKeeper elects without us and says why', async () => {
    const { runner, outcomes, zookeepers, lines, state } = await mixedEnsemble(3, 'wrong');
    await waitFor('ZooKeeper to elect without us', () => zookeepers.some((zk) => zk.output.includes('Peer state changed: leading')), 30_000, state);
    await waitFor('ZooKeeper to log the refusal', () => zookeepers.some((zk) => /Failed to authenticate using SASL/.test(zk.output)), 10_000, state);
    expect(outcomes).toEqual([]);
    expect(runner.cnx.isConnected(1) || runner.cnx.isConnected(2)).toBe(false);
    expect(runner.cnx.stats.authFailures).toBeGreaterThan(0);
    expect(lines.join('\n')).toMatch(/warn quorum-auth-failed .*the server answered ERROR/);
  }, 60_000);
});
