// SASL DIGEST-MD5 between members (quorum.auth.*), on our three-member
// ensemble and on Apache ZooKeeper 3.8's, from the same zoo.cfg keys and the
// same JAAS file, each member's in its own directory (ours reads its path from
// the zoo.cfg key java.security.auth.login.config; ZooKeeper from
// -Djava.security.auth.login.config=jaas.conf, relative to the directory it runs in):
//
//   QuorumServer  { DigestLoginModule required user_test="secret"; };
//   QuorumLearner { DigestLoginModule required username="test" password="secret"; };
//
// - All members require SASL: they elect a leader and serve a write and zkCli.sh.
// - Member 1's QuorumLearner password is wrong while the others require SASL:
//   members 2 and 3 form the quorum and serve; member 1 never does, and the logs
//   say why (ours: quorum-auth-failed on member 1, quorum-auth-refused or
//   quorum-learner-auth-refused on the others; ZooKeeper: "Failed to
//   authenticate using SASL"). Member 1 is the smallest sid on purpose: the
//   larger ones dial it and authenticate to it (its QuorumServer section is
//   right), so it hears the election and must then fail on the leader's quorum
//   port, the connection ZooKeeper's Learner authenticates too.
// - serverRequireSasl=false: member 1 does not authenticate (learnerRequireSasl
//   =false) and is let through by members 2 and 3, which authenticate to it
//   and to each other (on ours only: see the test).

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { runZkCli, zkCli } from '../testing/zkcli.ts';
import { Ensemble, testsRunAgainst } from './cluster.ts';

const jaas = (learnerPassword: string) =>
  'QuorumServer {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  user_test="secret";\n};\n' +
  `QuorumLearner {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n  username="test"\n  password="${learnerPassword}";\n};\n`;

const requireBoth = ['quorum.auth.enableSasl=true', 'quorum.auth.learnerRequireSasl=true', 'quorum.auth.serverRequireSasl=true'];

function call(session: WireSession, type: number, body: Uint8Array): Promise<{ err: number; body: Uint8Array }> {
  return new Promise((resolve) => session.send(type, body, (err, reply) => resolve({ err, body: reply.slice() })));
}

/** ZooKeeper's JVM flag, the same for every member: each runs in its own directory, where its jaas.conf is. */
const zooKeeperJvmFlags = ['-Djava.security.auth.login.config=jaas.conf'];

const kinds = (['ours', 'zookeeper'] as const).filter((kind) => testsRunAgainst(kind));

describe.each(kinds)('quorum SASL on a three-member ensemble (%s)', (kind) => {
  let root = '';
  let ensemble: Ensemble | undefined;
  const log = (id: number) => readFileSync(ensemble!.member(id).logPath, 'utf8');

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), `zk-quorum-sasl-${kind}-`));
  });

  afterAll(async () => {
    await ensemble?.stopAll();
    ensemble = undefined;
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  let runs = 0;
  /** A fresh ensemble; member `id` gets `config(id)` in its zoo.cfg and a jaas.conf whose QuorumLearner password is `password(id)`. */
  async function start(config: (id: number) => string[], password: (id: number) => string = () => 'secret'): Promise<Ensemble> {
    await ensemble?.stopAll();
    const baseDir = join(root, `run-${++runs}`);
    for (const id of [1, 2, 3]) {
      mkdirSync(join(baseDir, `member-${id}`), { recursive: true });
      writeFileSync(join(baseDir, `member-${id}`, 'jaas.conf'), jaas(password(id)));
    }
    const jaasKey = (id: number) => (kind === 'ours' ? [`java.security.auth.login.config=${join(baseDir, `member-${id}`, 'jaas.conf')}`] : []);
    ensemble = await Ensemble.start({
      kind,
      size: 3,
      tickTimeMs: 200,
      baseDir,
      memberConfig: (id) => [...config(id), ...jaasKey(id)],
      ...(kind === 'zookeeper' ? { jvmFlags: zooKeeperJvmFlags } : {}),
    });
    return ensemble;
  }

  it('with SASL required on every member: a leader is elected, a write is replicated, zkCli.sh reads it', async () => {
    const e = await start(() => requireBoth);
    await e.waitUntilServing(e.ids, 30_000);
    const leader = await e.leader(20_000);
    const writer = await WireSession.open(e.member(leader).clientPort);
    expect((await call(writer, OpCode.create, requests.create('/quorum-sasl', Buffer.from('replicated')))).err).toBe(0);
    await writer.close();
    for (const id of e.ids) {
      const reader = await WireSession.open(e.member(id).clientPort);
      await call(reader, OpCode.sync, encodeRecord({ path: '/' }, R.SyncRequest.write));
      const reply = await call(reader, OpCode.getData, requests.getData('/quorum-sasl'));
      const decoded = decodeRecord(reply.body, R.GetDataResponse.read, true);
      expect(decoded.ok && Buffer.from(decoded.value.data ?? []).toString(), `member ${id}`).toBe('replicated');
      await reader.close();
    }
    // Each member authenticated to another or authenticated another, and logged it (ZooKeeper at INFO too).
    const authenticated = kind === 'ours' ? /"event":"quorum-(learner-)?authenticated"/ : /Successfully (authenticated learner: authenticationID=test|completed the authentication using SASL)/;
    for (const id of e.ids) expect(log(id), `member ${id}`).toMatch(authenticated);
    if (existsSync(zkCli)) {
      const follower = e.ids.find((id) => id !== leader)!;
      const out = await runZkCli(`127.0.0.1:${e.member(follower).clientPort}`, ['create /quorum-sasl/zkcli v', 'get /quorum-sasl/zkcli'], 45_000);
      expect(out).toContain('Created /quorum-sasl/zkcli');
      expect(out).toMatch(/^v$/m);
    }
  }, 90_000);

  it('a member whose QuorumLearner password is wrong never joins; the other two serve, and the logs say why', async () => {
    const e = await start(
      () => requireBoth,
      (id) => (id === 1 ? 'not-the-secret' : 'secret'),
    );
    await e.waitUntilServing([2, 3], 30_000);
    const leader = await e.leader(20_000, [2, 3]);
    const writer = await WireSession.open(e.member(leader).clientPort);
    expect((await call(writer, OpCode.create, requests.create('/two-of-three', Buffer.from('x')))).err).toBe(0);
    await writer.close();
    // More than an initLimit (2 s) for member 1 to try and fail.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await e.mode(1)).toBeUndefined();
    if (kind === 'ours') {
      expect(log(1)).toMatch(/"event":"quorum-auth-failed".*Authentication failed: the server answered ERROR/);
      expect(log(2) + log(3)).toMatch(/"event":"quorum-(learner-)?auth-refused".*Mismatched response/);
    } else {
      expect(log(1)).toMatch(/Authentication failed against server addr/);
      expect(log(2) + log(3)).toMatch(/Failed to authenticate using SASL/);
    }
  }, 90_000);

  // On ours only, to keep the suite's time down (it passed on ZooKeeper's too, 19 s, when written;
  // impl/security/quorum-sasl.test.ts runs our handshake against ZooKeeper's directly).
  if (kind === 'ours') {
    it('serverRequireSasl=false lets through a member that does not authenticate', async () => {
      const e = await start((id) => ['quorum.auth.enableSasl=true', `quorum.auth.learnerRequireSasl=${id === 1 ? 'false' : 'true'}`, 'quorum.auth.serverRequireSasl=false']);
      await e.waitUntilServing(e.ids, 30_000);
      await e.leader(20_000);
      // A write through member 1 is committed by a quorum that counts it or not; either way all three serve.
      const writer = await WireSession.open(e.member(1).clientPort);
      expect((await call(writer, OpCode.create, requests.create('/tolerated', Buffer.from('x')))).err).toBe(0);
      await writer.close();
      // Member 1 authenticated the others (they dial it) and was let through by them.
      expect(log(1)).toMatch(/quorum-learner-authenticated/);
      expect(log(2) + log(3)).toMatch(/"event":"quorum-(learner-)?auth-tolerated"/);
    }, 90_000);
  }
});
