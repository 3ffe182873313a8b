// ZooKeeper 3.8's C client shell (cli_mt) over TLS and with SASL DIGEST-MD5,
// against Apache ZooKeeper 3.8 standalone, our standalone server configured the
// same way (the same zoo.cfg TLS lines, certificates, JAAS file), and our
// three-member ensemble (through a follower): the same sessions print the same
// lines on each, once normalized (`normalize`). Each server has a secure client
// port (x509 provider) and a plaintext one with the SASL provider; cli_mt cannot
// do both on one session (its usage: ZOOKEEPER-3482).
//
// Debian's cli_mt is built without OpenSSL and Cyrus SASL: this suite runs with a
// cli_mt that has both, named by ZKSPEC_CLI_MT_SECURE (how it was built:
// docs/operations.md, "The C client over TLS and SASL"), and is skipped, saying
// so, without it (CI, which has only Debian's).
//
// Found with it: replies our server wrote in one turn were sealed in one TLS
// record, and cli_mt left all but the first unread until its connection timed
// out (impl/server/secure-listener.ts, oneRecordPerWrite; tls-records.test.ts in
// impl/security checks the records without cli_mt).

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import type * as R from '../protocol/records.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { clientTlsLines, makeCertificates, type TestCertificates } from '../testing/certificates.ts';
import { cliMtDigestArgs, cliMtTlsArgs, runCliMt, secureCliMt, secureCliMtVariable } from '../testing/cli-mt.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { dataDirWithConfig, killChildren, startChild, type DataDir } from '../standalone/test-support.ts';
import { Ensemble } from './cluster.ts';

const cliMt = secureCliMt();

type Target = { readonly name: string; readonly plain: string; readonly secure: string };

const saslProvider = 'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
const x509Alice: R.ACL[] = [{ perms: 31, id: { scheme: 'x509', id: 'CN=alice' } }];
const saslBob: R.ACL[] = [{ perms: 31, id: { scheme: 'sasl', id: 'bob' } }];

/**
 * cli_mt's output without what differs from run to run: the session id, timings, the
 * nodes' times, the epoch in a zxid (an ensemble's first is 1, a standalone server's
 * 0: the counter is compared), and the library's retry log, whose count depends on
 * timing (its distinct lines, ports masked, are kept at the end).
 */
function normalize(output: string): string[] {
  const lines: string[] = [];
  const log = new Set<string>();
  for (const raw of output.split('\n')) {
    const line = raw.trimEnd();
    const logged = /^\d{4}-\d\d-\d\d [\d:,]+:\d+\(0x[0-9a-f]+\):(ZOO_\w+@.*)$/.exec(line);
    if (logged !== null) log.add(logged[1]!.replace(/@\d+:/g, ':').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>'));
    else if (line === '' || /^time = \d+ msec$/.test(line)) continue;
    else
      lines.push(
        line
          .replace(/^Got a new session id: 0x[0-9a-f]+$/, 'Got a new session id')
          .replace(/^\t(ctime = |mtime=).*$/, '\t$1<time>')
          .replace(/^\t(c|m)zxid=([0-9a-f]+)$/, (_all, which: string, zxid: string) => `\t${which}zxid=${(BigInt(`0x${zxid}`) & 0xffffffffn).toString(16)}`),
      );
  }
  return [...lines, ...[...log].sort()];
}

function call(session: WireSession, type: number, body: Uint8Array): Promise<number> {
  return new Promise((resolve) => session.send(type, body, (err) => resolve(err)));
}

// Without the variable the suite is reported as skipped, saying how to run it.
if (cliMt === undefined) {
  describe('cli_mt over TLS and SASL', () => {
    it.skip(`needs a cli_mt built with OpenSSL and Cyrus SASL: set ${secureCliMtVariable}=/path/to/cli_mt (docs/operations.md, "The C client over TLS and SASL"; Debian's has neither)`, () => {});
  });
}

describe.runIf(cliMt !== undefined && haveApacheZooKeeper())('cli_mt over TLS and SASL: our standalone server and ensemble beside Apache ZooKeeper 3.8', () => {
  let certs: TestCertificates;
  let root = '';
  let ports: number[] = [];
  let ours: DataDir;
  let apache: ApacheStandalone | undefined;
  let ensemble: Ensemble | undefined;
  let targets: Target[] = [];

  beforeAll(async () => {
    certs = makeCertificates({ alice: '/CN=alice', bob: '/CN=bob' });
    root = mkdtempSync(join(tmpdir(), 'zk-cli-mt-'));
    const jaas = join(root, 'jaas.conf');
    writeFileSync(jaas, 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n    user_bob="secret";\n};\n');
    writeFileSync(join(root, 'bob.secret'), 'secret\n');
    writeFileSync(join(root, 'wrong.secret'), 'wrong\n');
    ports = await reservePorts(5);
    const [oursSecure, apacheSecure, ...ensembleSecure] = ports as [number, number, number, number, number];
    ours = dataDirWithConfig([...clientTlsLines(certs, oursSecure), saslProvider], 'zk-cli-mt-ours-');
    const [oursStarted, apacheStarted] = await Promise.all([
      startChild(ours.configPath, 30_000, { SERVER_JVMFLAGS: `-Djava.security.auth.login.config=${jaas}` }),
      startApacheStandalone({ zooCfg: [...clientTlsLines(certs, apacheSecure), saslProvider], serverJvmFlags: [`-Djava.security.auth.login.config=${jaas}`], timeoutMs: 60_000 }),
    ]);
    apache = apacheStarted;
    ensemble = await Ensemble.start({
      kind: 'ours',
      size: 3,
      tickTimeMs: 200,
      // The secure port is each member's own; the JAAS file by zoo.cfg's key (as impl/ensemble/sasl.test.ts).
      extraConfig: [...clientTlsLines(certs), saslProvider, `java.security.auth.login.config=${jaas}`],
      memberConfig: (id) => [`secureClientPort=${ensembleSecure[id - 1]}`, 'secureClientPortAddress=127.0.0.1'],
    });
    await ensemble.waitUntilServing(ensemble.ids, 30_000);
    const leader = await ensemble.leader(20_000);
    const follower = ensemble.ids.find((id) => id !== leader)!;
    targets = [
      { name: 'apache', plain: `127.0.0.1:${apache.port}`, secure: `127.0.0.1:${apacheSecure}` },
      { name: 'ours', plain: `127.0.0.1:${oursStarted.port}`, secure: `127.0.0.1:${oursSecure}` },
      { name: 'ensemble', plain: `127.0.0.1:${ensemble.member(follower).clientPort}`, secure: `127.0.0.1:${ensembleSecure[follower - 1]}` },
    ];
    // The nodes only alice's certificate and bob's password open, created by an anonymous
    // client (an ACL need not admit its creator); on the ensemble through its leader.
    for (const port of [apache.port, oursStarted.port, ensemble.member(leader).clientPort]) {
      const session = await WireSession.open(port);
      expect(await call(session, OpCode.create, requests.create('/x509-only', Buffer.from('for alice'), x509Alice))).toBe(0);
      expect(await call(session, OpCode.create, requests.create('/sasl-only', Buffer.from('for bob'), saslBob))).toBe(0);
      await session.close();
    }
  }, 120_000);

  afterAll(async () => {
    killChildren();
    await apache?.stop();
    await ensemble?.stopAll();
    releasePorts(ports);
    ours?.remove();
    certs?.remove();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  /** The same cli_mt session against every target at once; its normalized output by target. */
  async function onEach(session: (target: Target) => { hosts: string; args: readonly string[]; commands: readonly string[] }): Promise<Record<string, string[]>> {
    const outputs = await Promise.all(targets.map((t) => runCliMt(cliMt!, session(t))));
    return Object.fromEntries(targets.map((t, i) => [t.name, normalize(outputs[i]!)]));
  }

  it('over TLS, alice\'s certificate creates, sets, reads and deletes, and opens the node her x509 id owns', async () => {
    const out = await onEach((t) => ({ hosts: t.secure, args: cliMtTlsArgs(certs, 'alice'), commands: ['sync /', 'create /c-tls', 'set /c-tls data', 'get /c-tls', 'get /x509-only', 'ls /', 'delete /c-tls'] }));
    const apache = out['apache']!;
    expect(apache).toContain('Watcher SESSION_EVENT state = CONNECTED_STATE');
    expect(apache.join('\n')).toContain('/c-tls: rc = 0\n value_len = 4\ndata');
    expect(apache.join('\n')).toContain('/x509-only: rc = 0\n value_len = 9\nfor alice');
    // The watches get and ls left fire before delete's own answer, which comes before `quit`.
    expect(apache.slice(-4)).toEqual(['Watcher DELETED_EVENT state = CONNECTED_STATE for path /c-tls', 'Watcher CHILD_EVENT state = CONNECTED_STATE for path /', '/c-tls: rc = 0', 'Quitting...']);
    expect(out['ours']).toEqual(apache);
    expect(out['ensemble']).toEqual(apache);
  }, 60_000);

  it('over TLS, bob\'s certificate is refused the x509 node (NOAUTH); a certificate from another CA gets no session (ZSSLCONNECTIONERROR)', async () => {
    const bob = await onEach((t) => ({ hosts: t.secure, args: cliMtTlsArgs(certs, 'bob'), commands: ['get /x509-only'] }));
    expect(bob['apache']).toContain('/x509-only: rc = -102');
    expect(bob['ours']).toEqual(bob['apache']);
    expect(bob['ensemble']).toEqual(bob['apache']);
    const stranger = await onEach((t) => ({ hosts: t.secure, args: cliMtTlsArgs(certs, 'stranger'), commands: ['get /x509-only'] }));
    expect(stranger['apache']).toContain('/x509-only: rc = -15');
    expect(stranger['apache']).not.toContain('Watcher SESSION_EVENT state = CONNECTED_STATE');
    expect(stranger['ours']).toEqual(stranger['apache']);
    expect(stranger['ensemble']).toEqual(stranger['apache']);
  }, 60_000);

  it('with SASL DIGEST-MD5, bob\'s password opens the sasl:bob node and creates; a wrong password gets no session; an anonymous client is refused the node', async () => {
    const bob = await onEach((t) => ({ hosts: t.plain, args: cliMtDigestArgs('bob', join(root, 'bob.secret')), commands: ['sync /', 'get /sasl-only', 'create /c-sasl', 'get /c-sasl', 'delete /c-sasl'] }));
    expect(bob['apache']!.join('\n')).toContain('/sasl-only: rc = 0\n value_len = 7\nfor bob');
    expect(bob['apache']).toContain('[/c-sasl]: rc = 0');
    expect(bob['ours']).toEqual(bob['apache']);
    expect(bob['ensemble']).toEqual(bob['apache']);
    const wrong = await onEach((t) => ({ hosts: t.plain, args: cliMtDigestArgs('bob', join(root, 'wrong.secret')), commands: ['get /sasl-only'] }));
    // The failed exchange closes the handle: the command finds it in an invalid state (ZINVALIDSTATE).
    expect(wrong['apache']).toEqual(['Error -9 for /sasl-only', 'Quitting...']);
    expect(wrong['ours']).toEqual(wrong['apache']);
    expect(wrong['ensemble']).toEqual(wrong['apache']);
    const anonymous = await onEach((t) => ({ hosts: t.plain, args: [], commands: ['get /sasl-only'] }));
    expect(anonymous['apache']).toContain('/sasl-only: rc = -102');
    expect(anonymous['ours']).toEqual(anonymous['apache']);
    expect(anonymous['ensemble']).toEqual(anonymous['apache']);
  }, 60_000);
});
