// SASL DIGEST-MD5 end to end: zkCli.sh with a JAAS Client section
// (CLIENT_JVMFLAGS="-Djava.security.auth.login.config=client.jaas", as
// ZooKeeper's docs set it up) against our standalone server and against
// Apache ZooKeeper 3.8, both configured the same way: zoo.cfg's
// authProvider.1=...SASLAuthenticationProvider and the JAAS Server section
// named by -Djava.security.auth.login.config in SERVER_JVMFLAGS (for
// ZooKeeper: on java's command line, where zkServer.sh puts SERVER_JVMFLAGS).
// Each case runs the same zkCli.sh session against both and requires the
// same output, besides the outcome it states. Four servers start once (two
// JVMs): one pair without and one with sessionRequireClientSASLAuth=true.
//
// Debian's C client (cli_mt) is built without Cyrus SASL (no -u/-s options,
// no libsasl2), so it cannot authenticate with SASL; it is not run here.
// impl/ensemble/c-client-secure.test.ts runs one built with Cyrus SASL when given its path.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { runZkCli, zkCli, zkCliOutcome } from '../testing/zkcli.ts';
import { killChildren, startChild } from './test-support.ts';

const saslProvider = 'authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider';
const serverJaas = 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n    user_bob="secret";\n};\n';
const clientJaas = (password: string) => `Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n    username="bob"\n    password="${password}";\n};\n`;

type Running = { readonly name: string; readonly port: number };

describe.runIf(haveApacheZooKeeper() && existsSync(zkCli))('SASL DIGEST-MD5 with zkCli.sh: our server and Apache ZooKeeper 3.8 configured the same way', () => {
  let root = '';
  const apache: ApacheStandalone[] = [];
  let plain: Running[] = [];
  let required: Running[] = [];
  const client = (password: string) => ({ CLIENT_JVMFLAGS: `-Djava.security.auth.login.config=${join(root, `client-${password}.jaas`)}` });

  /** The same zkCli.sh session against each server at once; their outcomes, in the servers' order. */
  const both = async (servers: readonly Running[], commands: readonly string[], env: Record<string, string> = {}) => {
    const outputs = await Promise.all(servers.map((s) => runZkCli(`127.0.0.1:${s.port}`, commands, 60_000, env)));
    return outputs.map(zkCliOutcome);
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'zk-sasl-'));
    writeFileSync(join(root, 'jaas.conf'), serverJaas);
    writeFileSync(join(root, 'client-secret.jaas'), clientJaas('secret'));
    writeFileSync(join(root, 'client-wrong.jaas'), clientJaas('wrong'));
    const jvmFlags = [`-Djava.security.auth.login.config=${join(root, 'jaas.conf')}`];
    const oursConfig = (name: string, lines: readonly string[]) => {
      const path = join(root, `${name}.cfg`);
      writeLoopbackZooCfg(path, [`dataDir=${join(root, name)}`, 'clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'tickTime=2000', ...lines]);
      return path;
    };
    const [ourPlain, ourRequired, apachePlain, apacheRequired] = await Promise.all([
      startChild(oursConfig('ours-plain', [saslProvider]), 30_000, { SERVER_JVMFLAGS: jvmFlags.join(' ') }),
      startChild(oursConfig('ours-required', [saslProvider, 'sessionRequireClientSASLAuth=true']), 30_000, { SERVER_JVMFLAGS: jvmFlags.join(' ') }),
      // ZooKeeperServerMain as zkServer.sh starts it, SERVER_JVMFLAGS on java's command line.
      startApacheStandalone({ zooCfg: [saslProvider], serverJvmFlags: jvmFlags, timeoutMs: 60_000 }),
      startApacheStandalone({ zooCfg: [saslProvider, 'sessionRequireClientSASLAuth=true'], serverJvmFlags: jvmFlags, timeoutMs: 60_000 }),
    ]);
    apache.push(apachePlain, apacheRequired);
    plain = [{ name: 'apache', port: apachePlain.port }, { name: 'ours', port: ourPlain.port }];
    required = [{ name: 'apache', port: apacheRequired.port }, { name: 'ours', port: ourRequired.port }];
  }, 120_000);

  afterAll(async () => {
    killChildren();
    await Promise.all(apache.map((a) => a.stop()));
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('a good password authenticates, and a sasl:bob:cdrwa ACL admits bob and refuses an anonymous client', async () => {
    const [apacheBob, oursBob] = await both(plain, ['create /s x sasl:bob:cdrwa', 'getAcl /s', 'get /s', 'set /s y', 'get /s', 'whoami'], client('secret'));
    expect(apacheBob).toEqual(['Created /s', "'sasl,'bob", ': cdrwa', 'x', 'y', 'Auth scheme: User', 'sasl: bob', 'ip: 127.0.0.1', 'event SyncConnected', 'event SaslAuthenticated'].sort());
    expect(oursBob).toEqual(apacheBob);
    const [apacheAnonymous, oursAnonymous] = await both(plain, ['get /s', 'set /s z', 'ls /']);
    expect(apacheAnonymous).toEqual(['Insufficient permission : /s', 'Insufficient permission : /s', '[s, zookeeper]', 'event SyncConnected'].sort());
    expect(oursAnonymous).toEqual(apacheAnonymous);
  }, 120_000);

  it('a wrong password fails authentication: AuthFailed, and the session is not served', async () => {
    const [apacheWrong, oursWrong] = await both(plain, ['get /s'], client('wrong'));
    expect(apacheWrong).toContain('event AuthFailed');
    expect(apacheWrong).toContain('KeeperErrorCode = AuthFailed for /s');
    expect(oursWrong).toEqual(apacheWrong);
  }, 120_000);

  it('answers the same bytes: the challenge\'s form, a bad response\'s AuthFailed with a null token and a close, SessionClosedRequireSaslAuth with no body', async () => {
    const exchange = async (port: number) => {
      const client = await RawClient.open(port);
      await client.handshake();
      const challenge = await client.request(OpCode.sasl, R.GetSASLRequest, { token: new Uint8Array(0) });
      const bad = await client.request(OpCode.sasl, R.GetSASLRequest, { token: Buffer.from('username="bob",response=0') });
      await client.closed;
      const anonymous = await RawClient.open(port === plain[0]!.port ? required[0]!.port : required[1]!.port);
      await anonymous.handshake();
      const refused = await anonymous.exists('/');
      await anonymous.closed;
      // The nonce is random: its length and alphabet are what can be compared.
      const challengeText = Buffer.from(challenge.body.subarray(4)).toString('utf8').replace(/nonce="[A-Za-z0-9+/]{40}"/, 'nonce="<40 base64>"');
      return { challenge: [challenge.header, challengeText], bad: [bad.header, [...bad.body]], refused: [refused.header, refused.body.byteLength] };
    };
    const [theirs, ours] = [await exchange(plain[0]!.port), await exchange(plain[1]!.port)];
    expect(theirs.challenge[1]).toBe('realm="zk-sasl-md5",nonce="<40 base64>",charset=utf-8,algorithm=md5-sess');
    expect(theirs.bad).toEqual([{ xid: 2, zxid: 0n, err: -115 }, [0xff, 0xff, 0xff, 0xff]]);
    expect(ours).toEqual(theirs);
  }, 60_000);

  it('with sessionRequireClientSASLAuth an unauthenticated client\'s request is refused; bob is served', async () => {
    const [apacheAnonymous, oursAnonymous] = await both(required, ['ls /']);
    expect(apacheAnonymous).toEqual(['KeeperErrorCode = Session closed because client failed to authenticate for /', 'event SyncConnected'].sort());
    expect(oursAnonymous).toEqual(apacheAnonymous);
    const [apacheBob, oursBob] = await both(required, ['ls /'], client('secret'));
    expect(apacheBob).toEqual(['[zookeeper]', 'event SyncConnected', 'event SaslAuthenticated'].sort());
    expect(oursBob).toEqual(apacheBob);
  }, 120_000);
});

describe('a server with SASL configured that cannot authenticate as asked does not start (exit 2, naming the problem)', () => {
  it.each([
    ['the SASL provider and no JAAS file', [saslProvider], {}, 'no JAAS file is given'],
    ['a JAAS file that is not there', [saslProvider], { SERVER_JVMFLAGS: '-Djava.security.auth.login.config=/nonexistent/jaas.conf' }, 'cannot read the JAAS file /nonexistent/jaas.conf'],
    ['a Kerberos login module', [saslProvider, 'java.security.auth.login.config=KRB'], {}, 'Krb5LoginModule: Kerberos (GSSAPI) is not implemented'],
    ['sessionRequireClientSASLAuth without the SASL provider', ['sessionRequireClientSASLAuth=true'], {}, 'Authentication scheme sasl is not available'],
  ])('%s', async (_what, lines, env, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-sasl-refused-'));
    try {
      const krb = join(dir, 'krb.conf');
      writeFileSync(krb, 'Server {\n  com.sun.security.auth.module.Krb5LoginModule required useKeyTab=true keyTab="/etc/zk.keytab" principal="zookeeper/host@EXAMPLE.COM";\n};\n');
      const config = join(dir, 'zoo.cfg');
      writeLoopbackZooCfg(config, [`dataDir=${join(dir, 'data')}`, 'clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', ...lines.map((l) => l.replace('KRB', krb))]);
      const started = startChild(config, 30_000, env);
      await expect(started).rejects.toThrow(/server exited \(2\) before serving/);
      await expect(started).rejects.toThrow(message);
    } finally {
      killChildren();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
