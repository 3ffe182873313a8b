// SASL DIGEST-MD5 on our three-member ensemble's client ports, with zkCli.sh
// and a JAAS Client section. A session authenticates with the member it is
// connected to (ZooKeeperServer.processSasl runs there); its `sasl` id then
// travels with each write that member forwards (the QuorumPacket REQUEST's
// authinfo), so the leader's ACL checks see it, as digest ids do; reads are
// checked on the member itself. The JAAS file is named by the zoo.cfg key
// java.security.auth.login.config (impl/standalone/sasl.test.ts covers
// SERVER_JVMFLAGS and the comparison with Apache ZooKeeper).

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runZkCli, zkCli } from '../testing/zkcli.ts';
import { Ensemble, testsRunAgainst } from './cluster.ts';

describe.runIf(testsRunAgainst('ours') && existsSync(zkCli))('SASL on our ensemble, with zkCli.sh', () => {
  let root = '';
  let ensemble: Ensemble | undefined;
  let leader = 0;
  const bob = () => ({ CLIENT_JVMFLAGS: `-Djava.security.auth.login.config=${join(root, 'client.jaas')}` });
  const server = (id: number) => `127.0.0.1:${ensemble!.member(id).clientPort}`;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'zk-ensemble-sasl-'));
    writeFileSync(join(root, 'jaas.conf'), 'Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required user_bob="secret";\n};\n');
    writeFileSync(join(root, 'client.jaas'), 'Client {\n  org.apache.zookeeper.server.auth.DigestLoginModule required username="bob" password="secret";\n};\n');
    ensemble = await Ensemble.start({
      kind: 'ours',
      size: 3,
      tickTimeMs: 200,
      extraConfig: ['authProvider.1=org.apache.zookeeper.server.auth.SASLAuthenticationProvider', `java.security.auth.login.config=${join(root, 'jaas.conf')}`],
    });
    await ensemble.waitUntilServing(ensemble.ids, 30_000);
    leader = await ensemble.leader(20_000);
  }, 60_000);

  afterAll(async () => {
    await ensemble?.stopAll();
    if (root !== '') rmSync(root, { recursive: true, force: true });
  });

  it('bob, authenticated on a follower, writes under a sasl:bob ACL; the leader checks his forwarded id; anonymous clients are refused everywhere', async () => {
    const [follower, other] = ensemble!.ids.filter((id) => id !== leader) as [number, number];
    const bobs = await runZkCli(server(follower), ['create /e x sasl:bob:cdrwa', 'create /e/child c', 'set /e y', 'get /e', 'whoami'], 30_000, bob());
    expect(bobs).toContain('WatchedEvent state:SaslAuthenticated type:None path:null');
    expect(bobs).toContain('Created /e\n');
    // Creating a child needs CREATE on /e: checked by the leader with the id the follower forwarded.
    expect(bobs).toContain('Created /e/child\n');
    expect(bobs).toMatch(/^y$/m);
    expect(bobs).toContain('sasl: bob\n');
    expect(bobs).not.toContain('Insufficient permission');

    for (const id of [leader, other]) {
      const anonymous = await runZkCli(server(id), ['sync /e', 'get /e', 'set /e z', 'create /e/intruder i'], 30_000);
      expect(anonymous.match(/Insufficient permission : \/e/g), `member ${id}:\n${anonymous}`).toHaveLength(3);
    }
    const again = await runZkCli(server(other), ['sync /e', 'get /e', 'ls /e'], 30_000, bob());
    expect(again).toMatch(/^y$/m);
    expect(again).toContain('[child]\n');
  }, 120_000);
});
