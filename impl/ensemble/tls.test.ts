// TLS between members (sslQuorum, ssl.quorum.*): three of our members whose election
// and quorum ports speak TLS with mutual authentication elect a leader and replicate
// a write; those ports refuse a peer without a trusted certificate, and accept one
// with it. Each member also has a secureClientPort, which zkCli.sh (configured for
// TLS as ZooKeeper's docs say) uses to write through one member and read through
// another, with the x509 id of its certificate. Certificates are made in the test (impl/testing/certificates.ts); every
// member uses the server certificate, which names 127.0.0.1, so hostname verification
// (on by default) passes on both sides.

import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { makeCertificates, storePassword, type TestCertificates } from '../testing/certificates.ts';
import { tlsHandshake } from '../testing/tls-probe.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { runZkCli, zkCli, zkCliTlsFlags } from '../testing/zkcli.ts';
import { Ensemble } from './cluster.ts';

function call(session: WireSession, type: number, body: Uint8Array): Promise<{ err: number; body: Uint8Array }> {
  return new Promise((resolve) => session.send(type, body, (err, reply) => resolve({ err, body: reply.slice() })));
}

describe('sslQuorum: a three-member ensemble of ours over TLS', () => {
  let certs: TestCertificates;
  let ensemble: Ensemble | undefined;
  let securePorts: number[] = [];

  beforeAll(async () => {
    certs = makeCertificates({ alice: '/CN=alice' });
    securePorts = await reservePorts(3);
  }, 60_000);

  afterAll(async () => {
    await ensemble?.stopAll();
    releasePorts(securePorts);
    certs?.remove();
  });

  it('elects a leader and replicates a write; its quorum ports refuse a peer without a trusted certificate; zkCli.sh writes and reads over the secure client ports', async () => {
    ensemble = await Ensemble.start({
      kind: 'ours',
      size: 3,
      tickTimeMs: 200,
      extraConfig: [
        'sslQuorum=true',
        `ssl.quorum.keyStore.location=${certs.server.pem}`,
        `ssl.quorum.trustStore.location=${certs.caTrustStore}`,
        `ssl.quorum.trustStore.password=${storePassword}`,
        'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider',
        `ssl.keyStore.location=${certs.server.p12}`,
        `ssl.keyStore.password=${storePassword}`,
        `ssl.trustStore.location=${certs.caPem}`,
      ],
      memberConfig: (id) => [`secureClientPort=${securePorts[id - 1]}`, 'secureClientPortAddress=127.0.0.1'],
    });
    await ensemble.waitUntilServing(ensemble.ids, 30_000);
    const leader = await ensemble.leader(20_000);

    const writer = await WireSession.open(ensemble.member(leader).clientPort);
    expect((await call(writer, OpCode.create, requests.create('/over-tls', Buffer.from('replicated')))).err).toBe(0);
    await writer.close();
    for (const id of ensemble.ids) {
      const reader = await WireSession.open(ensemble.member(id).clientPort);
      // sync, then read: the member has applied everything the leader committed before it.
      await call(reader, OpCode.sync, encodeRecord({ path: '/' }, R.SyncRequest.write));
      const reply = await call(reader, OpCode.getData, requests.getData('/over-tls'));
      const decoded = decodeRecord(reply.body, R.GetDataResponse.read, true);
      expect(reply.err, `member ${id}`).toBe(0);
      expect(decoded.ok && Buffer.from(decoded.value.data ?? []).toString(), `member ${id}`).toBe('replicated');
      await reader.close();
    }

    const member = ensemble.member(leader);
    expect(await tlsHandshake(member.electionPort, certs.caPem, undefined)).toBe('refused');
    expect(await tlsHandshake(member.quorumPort, certs.caPem, undefined)).toBe('refused');
    expect(await tlsHandshake(member.electionPort, certs.caPem, certs.server)).toBe('accepted');

    if (!existsSync(zkCli)) return;
    // CLIENT_JVMFLAGS as an operator sets them for TLS (zkCliTlsFlags).
    const flags = zkCliTlsFlags(certs, 'alice');
    const follower = ensemble.ids.find((id) => id !== leader)!;
    const written = await runZkCli(`127.0.0.1:${securePorts[follower - 1]}`, ['create /zkcli-over-tls v x509:CN=alice:cdrwa', 'whoami'], 45_000, { CLIENT_JVMFLAGS: flags });
    expect(written).toContain('Created /zkcli-over-tls');
    expect(written).toContain('x509: CN=alice');
    const read = await runZkCli(`127.0.0.1:${securePorts[leader - 1]}`, ['sync /zkcli-over-tls', 'get /zkcli-over-tls', 'getAcl /zkcli-over-tls'], 45_000, { CLIENT_JVMFLAGS: flags });
    expect(read).toMatch(/^v$/m);
    expect(read).toContain("'x509,'CN=alice");
  }, 120_000);
});
