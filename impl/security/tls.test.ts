// The client port's TLS in one process: zoo.cfg's TLS lines parsed, the stores read
// (PEM with an encrypted key, PKCS12 from openssl and keytool, a 3DES-encrypted
// PKCS12, a real JKS refused with the keytool command), served by startServer and
// reached by node:tls. Also: ssl.clientAuth=want, X509AuthenticationProvider.superUser,
// client.portUnification (TLS, plaintext and a four-letter word on one port), the
// keys refused by name, and subject DNs printed as Java's X500Principal.getName()
// prints them (checked against Java itself).

import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseZooCfg, type ZooKeeperConfig } from '../config/zoo-cfg.ts';
import { OpCode } from '../protocol/constants.ts';
import { decodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import { haveApacheZooKeeper, java } from '../testing/apache-zookeeper.ts';
import { makeCertificates, storePassword, type Credential, type TestCertificates } from '../testing/certificates.ts';
import { requests, WireSession } from '../testing/wire-client.ts';
import { clientListeners } from './client-x509.ts';
import { loadTrustStore } from './key-stores.ts';
import { subjectName } from './x509-name.ts';

let certs: TestCertificates;
beforeAll(() => {
  certs = makeCertificates({ alice: '/CN=alice', bob: '/O=zkspec tests/CN=bob' }, { encryptPemKeys: true });
}, 60_000);
afterAll(() => certs?.remove());

function config(lines: readonly string[]): ZooKeeperConfig {
  const parsed = parseZooCfg(['dataDir=/unused', 'clientPortAddress=127.0.0.1', ...lines].join('\n'));
  if (!parsed.ok) throw new Error(parsed.error.map((e) => e.message).join('\n'));
  return parsed.value.config;
}

/** startServer with the listeners zoo.cfg's lines ask for (ports picked by the kernel). */
async function serve(lines: readonly string[]): Promise<ZooKeeperServer> {
  const listeners = clientListeners(config(lines));
  if (!listeners.ok) throw new Error(listeners.error);
  const secure = listeners.value.secure === undefined ? {} : { secure: { ...listeners.value.secure, host: '127.0.0.1', port: 0 } };
  return startServer({ host: '127.0.0.1', port: 0, tickTimeMs: 2000, log: () => {}, ...listeners.value, ...secure });
}

const tlsSession = (port: number, credential: Credential | undefined) =>
  WireSession.openTls({ host: '127.0.0.1', port, ca: readFileSync(certs.caPem), ...(credential === undefined ? {} : { cert: readFileSync(credential.cert), key: readFileSync(credential.key) }) });

function call(session: WireSession, type: number, body: Uint8Array): Promise<{ err: number; body: Uint8Array }> {
  return new Promise((resolve) => session.send(type, body, (err, reply) => resolve({ err, body: reply.slice() })));
}

async function whoAmI(session: WireSession): Promise<string[]> {
  const reply = await call(session, OpCode.whoAmI, new Uint8Array(0));
  const decoded = decodeRecord(reply.body, R.WhoAmIResponse.read, true);
  if (!decoded.ok) throw new Error(decoded.error);
  return decoded.value.clientInfo.map((c) => `${c.authScheme}:${c.user}`);
}

const pemStores = () => [`ssl.keyStore.location=${certs.server.pem}`, `ssl.keyStore.password=${storePassword}`, `ssl.trustStore.location=${certs.caPem}`];
const x509Provider = 'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider';

describe('secureClientPort with PEM stores (an encrypted key) and ssl.clientAuth=want', () => {
  let server: ZooKeeperServer;
  beforeAll(async () => {
    server = await serve(['secureClientPort=0', x509Provider, 'ssl.clientAuth=want', 'X509AuthenticationProvider.superUser=CN=bob,O=zkspec tests', ...pemStores()]);
  });
  afterAll(() => server.close());

  it('lets a client without a certificate in, with no x509 id; a certificate gives x509 (and super to the superUser)', async () => {
    const anonymous = await tlsSession(server.securePort!, undefined);
    expect(await whoAmI(anonymous)).toEqual(['ip:127.0.0.1']);
    expect((await call(anonymous, OpCode.create, requests.create('/alice-only', Buffer.from('a'), [{ perms: 31, id: { scheme: 'x509', id: 'CN=alice' } }]))).err).toBe(0);
    expect((await call(anonymous, OpCode.getData, requests.getData('/alice-only'))).err).toBe(-102);
    await anonymous.close();

    const alice = await tlsSession(server.securePort!, certs.clients['alice']);
    expect(await whoAmI(alice)).toEqual(['x509:CN=alice', 'ip:127.0.0.1']);
    expect((await call(alice, OpCode.getData, requests.getData('/alice-only'))).err).toBe(0);
    await alice.close();

    const bob = await tlsSession(server.securePort!, certs.clients['bob']);
    // userName of a super id is empty, as for the superDigest's (acl.ts).
    expect((await whoAmI(bob)).sort()).toEqual(['ip:127.0.0.1', 'super:', 'x509:CN=bob,O=zkspec tests']);
    expect((await call(bob, OpCode.getData, requests.getData('/alice-only'))).err).toBe(0);
    await bob.close();
  });

  it('still refuses a certificate it does not trust (Java\'s trust manager fails the handshake under want too)', async () => {
    await expect(tlsSession(server.securePort!, certs.stranger)).rejects.toThrow();
  });

  it('has no plaintext port when zoo.cfg sets only secureClientPort', () => {
    expect(config(['secureClientPort=2281', 'ssl.keyStore.location=/k.p12']).clientPortEnabled).toBe(false);
    expect(config(['secureClientPort=2281', 'ssl.keyStore.location=/k.p12', 'clientPort=2181']).clientPortEnabled).toBe(true);
    expect(config([]).clientPortEnabled).toBe(true);
  });
});

describe('client.portUnification: TLS and plaintext on the client port', () => {
  let server: ZooKeeperServer;
  beforeAll(async () => {
    server = await serve(['client.portUnification=true', x509Provider, `ssl.keyStore.location=${certs.server.p12}`, `ssl.keyStore.password=${storePassword}`, `ssl.trustStore.location=${certs.caTrustStore}`, `ssl.trustStore.password=${storePassword}`]);
  });
  afterAll(() => server.close());

  it('serves a TLS client (with its x509 id), a plaintext client and a four-letter word on one port', async () => {
    const secure = await tlsSession(server.port, certs.clients['alice']);
    expect(await whoAmI(secure)).toContain('x509:CN=alice');
    await secure.close();
    const plain = await WireSession.open(server.port);
    expect(await whoAmI(plain)).toEqual(['ip:127.0.0.1']);
    await plain.close();
    const answer = await new Promise<string>((resolve, reject) => {
      let text = '';
      const socket = connect({ host: '127.0.0.1', port: server.port }, () => socket.write('ruok'));
      socket.on('data', (c: Buffer) => (text += c.toString()));
      socket.on('close', () => resolve(text));
      socket.on('error', reject);
    });
    // No fourLetterWord handler in this server: the connection is closed without an answer, and not taken for TLS.
    expect(answer).toBe('');
    await expect(tlsSession(server.port, undefined)).rejects.toThrow();
  });
});

describe('key and trust stores', () => {
  it('reads keytool\'s PKCS12 trust store, a 3DES-encrypted one, and the CA of a PEM one alike', () => {
    const ca = new X509Certificate(readFileSync(certs.caPem)).fingerprint256;
    const tripleDes = join(certs.dir, 'ca-3des.p12');
    execFileSync('openssl', ['pkcs12', '-export', '-nokeys', '-in', certs.caPem, '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1', '-out', tripleDes, '-passout', `pass:${storePassword}`]);
    for (const location of [certs.caTrustStore, tripleDes, certs.caPem]) {
      const loaded = loadTrustStore({ location, password: storePassword, passwordPath: undefined, type: undefined, key: 'ssl.trustStore' });
      expect(loaded.ok && loaded.value.map((pem) => new X509Certificate(pem).fingerprint256), location).toEqual([ca]);
    }
    const wrong = loadTrustStore({ location: certs.caTrustStore, password: 'wrong', passwordPath: undefined, type: undefined, key: 'ssl.trustStore' });
    expect(wrong.ok ? '' : wrong.error.message).toMatch(/wrong password/);
  });

  it('reads the password from ssl.keyStore.passwordPath, which wins over ssl.keyStore.password', () => {
    const path = join(certs.dir, 'password.txt');
    writeFileSync(path, `${storePassword}\n`);
    expect(clientListeners(config(['secureClientPort=2281', `ssl.keyStore.location=${certs.server.p12}`, 'ssl.keyStore.password=wrong', `ssl.keyStore.passwordPath=${path}`])).ok).toBe(true);
    const wrong = clientListeners(config(['secureClientPort=2281', `ssl.keyStore.location=${certs.server.p12}`, 'ssl.keyStore.password=wrong']));
    expect(wrong.ok ? '' : wrong.error).toMatch(/^ssl\.keyStore\.location: cannot use .*wrong ssl\.keyStore\.password/);
  });

  it('refuses a JKS key store with the keytool command that converts it, and reads a .jks file that is PKCS12 inside', () => {
    const jks = join(certs.dir, 'server.jks');
    execFileSync('keytool', ['-importkeystore', '-srckeystore', certs.server.p12, '-srcstoretype', 'PKCS12', '-srcstorepass', storePassword, '-destkeystore', jks, '-deststoretype', 'JKS', '-deststorepass', storePassword, '-noprompt'], { stdio: 'pipe' });
    const refused = clientListeners(config(['secureClientPort=2281', `ssl.keyStore.location=${jks}`, `ssl.keyStore.password=${storePassword}`]));
    expect(refused.ok ? '' : refused.error).toBe(
      `ssl.keyStore.location: ${jks} is a JKS store, which this server cannot read (node:tls reads PEM and PKCS12). Convert it: keytool -importkeystore -srckeystore ${jks} -srcstoretype JKS -destkeystore ${join(certs.dir, 'server.p12')} -deststoretype PKCS12 (same password), then set ssl.keyStore.location=${join(certs.dir, 'server.p12')}`,
    );
    const disguised = join(certs.dir, 'pkcs12-named.jks');
    copyFileSync(certs.server.p12, disguised);
    expect(clientListeners(config(['secureClientPort=2281', `ssl.keyStore.location=${disguised}`, `ssl.keyStore.password=${storePassword}`])).ok).toBe(true);
  });

  it('refuses a cipher suite it cannot map and a file type it cannot detect, naming the key', () => {
    const base = ['secureClientPort=2281', `ssl.keyStore.location=${certs.server.p12}`, `ssl.keyStore.password=${storePassword}`];
    const cipher = clientListeners(config([...base, 'ssl.ciphersuites=TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_FANCY_WITH_NOTHING']));
    expect(cipher.ok ? '' : cipher.error).toMatch(/^ssl\.ciphersuites: cipher suites this server cannot map to OpenSSL's names: TLS_FANCY_WITH_NOTHING;/);
    const noExtension = clientListeners(config(['secureClientPort=2281', `ssl.keyStore.location=${certs.dir}/keystore`]));
    expect(noExtension.ok ? '' : noExtension.error).toMatch(/^ssl\.keyStore\.type: unable to auto-detect store file type from file name/);
  });
});

describe('zoo.cfg\'s TLS keys', () => {
  const refusal = (line: string) => {
    const parsed = parseZooCfg(`dataDir=/d\n${line}\n`);
    return parsed.ok ? undefined : parsed.error.map((e) => e.message);
  };
  it.each([
    ['ssl.crl=true', /^line 2: ssl\.crl: certificate revocation checking .* is not implemented/],
    ['ssl.ocsp=true', /^line 2: ssl\.ocsp: certificate revocation checking/],
    ['ssl.context.supplier.class=com.example.Ctx', /^line 2: ssl\.context\.supplier\.class: a Java SSLContext supplier class cannot be loaded/],
    ['ssl.protocol=TLSv1.1', /^line 2: invalid ssl\.protocol="TLSv1\.1": expected TLSv1\.2 or TLSv1\.3/],
    ['ssl.enabledProtocols=TLSv1.2,SSLv3', /^line 2: invalid ssl\.enabledProtocols/],
    ['ssl.clientAuth=maybe', /^line 2: invalid ssl\.clientAuth="maybe": expected none, want or need/],
    ['ssl.authProvider=custom', /^line 2: ssl\.authProvider: only the x509 provider/],
    ['secureClientPort=2281', /^line 2: secureClientPort: TLS needs the server's certificate and key: set ssl\.keyStore\.location/],
    ['ssl.quorum.crl=true', /^line 2: ssl\.quorum\.crl: certificate revocation checking/],
    ['sslQuorum=true\nssl.quorum.keyStore.location=/ks.p12', /^line 2: sslQuorum: TLS between members needs each member's certificate and the CA/],
    ['portUnification=true', /^line 2: portUnification: accepting TLS and plaintext on the quorum ports .* is not implemented/],
    ['ssl.sslProvider=OPENSSL', /^line 2: ssl\.sslProvider: this TLS setting is not implemented/],
  ])('refuses %s by name', (line, message) => {
    expect(refusal(line)?.[0]).toMatch(message);
  });

  it('accepts the "off" values, both spellings of a key, and never shows a password', () => {
    expect(refusal('ssl.crl=false\nzookeeper.ssl.ocsp=false\nssl.hostnameVerification=false\nserverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory')).toBeUndefined();
    const parsed = parseZooCfg('dataDir=/d\nzookeeper.ssl.keyStore.location=/k.p12\nssl.clientAuth=NONE\nssl.protocol=TLSv1.3\nssl.enabledProtocols=TLSv1.3,TLSv1.2\n');
    expect(parsed.ok && parsed.value.config.clientTls.x509).toMatchObject({ keyStore: { location: '/k.p12' }, clientAuth: 'none', protocol: 'TLSv1.3', enabledProtocols: ['TLSv1.3', 'TLSv1.2'] });
    expect(JSON.stringify(parseZooCfg('dataDir=/d\nssl.keyStore.password=hunter2\nssl.keyStore.passwordPath=\n'))).not.toContain('hunter2');
  });

  it('has ZooKeeper 3.8\'s defaults: TLSv1.2 only, clientAuth need, hostnameVerification true, every interface', () => {
    expect(config([]).clientTls).toMatchObject({ secureClientPort: undefined, secureClientPortAddress: '0.0.0.0', portUnification: false, x509AuthProvider: false, x509: { protocol: 'TLSv1.2', enabledProtocols: ['TLSv1.2'], clientAuth: 'need', hostnameVerification: true, handshakeDetectionTimeoutMs: 5000 } });
  });
});

describe.runIf(haveApacheZooKeeper())('subject DNs as Java prints them', () => {
  it('matches X500Principal.getName() for escapes, multi-valued RDNs, non-keyword attributes and UTF-8', () => {
    const subjects = ['/CN=plain', '/C=US/ST=CA/L=Palo Alto/O=Acme, Inc./OU=R&D+OU=Ops/CN=#hash \\+plus', '/DC=org/DC=example/UID=u1/emailAddress=a@b.c/serialNumber=42/CN= padded ', '/CN=Zoë;semi<lt>"q"=eq\\\\back'];
    const files = subjects.map((subject, i) => {
      const path = join(certs.dir, `dn-${i}.crt`);
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(certs.dir, `dn-${i}.key`), '-out', path, '-days', '1', '-utf8', '-multivalue-rdn', '-subj', subject], { stdio: 'pipe' });
      return path;
    });
    const source = join(certs.dir, 'PrintDn.java');
    writeFileSync(source, 'import java.io.FileInputStream; import java.security.cert.*; public class PrintDn { public static void main(String[] a) throws Exception { CertificateFactory f = CertificateFactory.getInstance("X.509"); for (String p : a) System.out.println(((X509Certificate) f.generateCertificate(new FileInputStream(p))).getSubjectX500Principal().getName()); } }\n');
    const javas = execFileSync(java, [source, ...files], { encoding: 'utf8' }).trimEnd().split('\n');
    const ours = files.map((f) => subjectName(new X509Certificate(readFileSync(f)).raw));
    expect(ours).toEqual(javas);
    expect(ours[0]).toBe('CN=plain');
  }, 30_000);
});
