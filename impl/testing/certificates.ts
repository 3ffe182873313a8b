// Certificates for the TLS tests, made with openssl and keytool in a temp
// directory, as docs/operations.md tells an operator to make them: one CA; a
// server certificate for 127.0.0.1 and localhost (so that clients verifying the
// host name accept it); client certificates with given subjects; and each
// credential as PEM (key + chain in one file), PKCS12 (openssl's) and a Java
// trust store (keytool's PKCS12). A second CA signs an "untrusted" client. File
// names are fixed; keys are fresh each run (openssl takes no seed), which no
// assertion depends on.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const storePassword = 'test-pass';

export type Credential = {
  /** Private key then certificate, PEM (ZooKeeper's PEM key store); the key is encrypted with storePassword when `encrypted`. */
  readonly pem: string;
  /** The same as PKCS12, password storePassword. */
  readonly p12: string;
  /** The certificate alone, PEM. */
  readonly cert: string;
  /** The key alone, PEM, unencrypted (for node:tls clients). */
  readonly key: string;
};

export type TestCertificates = {
  readonly dir: string;
  /** The CA certificate, PEM (a PEM trust store). */
  readonly caPem: string;
  /** The CA as a Java trust store (keytool, PKCS12, password storePassword). */
  readonly caTrustStore: string;
  readonly server: Credential;
  /** Client credentials by name, signed by the CA. */
  readonly clients: Readonly<Record<string, Credential>>;
  /** A client signed by another CA: never trusted. */
  readonly stranger: Credential;
  remove(): void;
};

const openssl = (dir: string, args: readonly string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

/** Makes the CA, the server's and the named clients' credentials (subjects in openssl's /K=V form). */
export function makeCertificates(clientSubjects: Readonly<Record<string, string>>, options: { readonly encryptPemKeys?: boolean } = {}): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'zk-tls-'));
  const ca = (name: string) => {
    openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-subj', `/O=zkspec tests/CN=${name}`]);
  };
  ca('ca');
  ca('other-ca');
  const caTrustStore = join(dir, 'ca-truststore.p12');
  execFileSync('keytool', ['-importcert', '-noprompt', '-alias', 'ca', '-file', join(dir, 'ca.pem'), '-keystore', caTrustStore, '-storetype', 'PKCS12', '-storepass', storePassword], { stdio: 'pipe' });

  const issue = (name: string, subject: string, signer: string, extensions: string): Credential => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject]);
    openssl(dir, ['x509', '-req', '-in', `${name}.csr`, '-CA', `${signer}.pem`, '-CAkey', `${signer}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`]);
    // The PEM key store: key (encrypted with the store password when asked, as ZooKeeper's PEM loader reads it) then the chain.
    const keyForStore = options.encryptPemKeys === true
      ? openssl(dir, ['pkcs8', '-topk8', '-in', `${name}.key`, '-v2', 'aes-256-cbc', '-passout', `pass:${storePassword}`]).toString()
      : openssl(dir, ['pkcs8', '-topk8', '-nocrypt', '-in', `${name}.key`]).toString();
    const chain = openssl(dir, ['x509', '-in', `${name}.crt`]).toString() + openssl(dir, ['x509', '-in', `${signer}.pem`]).toString();
    writeFileSync(join(dir, `${name}.pem`), keyForStore + chain);
    openssl(dir, ['pkcs12', '-export', '-in', `${name}.crt`, '-inkey', `${name}.key`, '-certfile', `${signer}.pem`, '-name', name, '-out', `${name}.p12`, '-passout', `pass:${storePassword}`]);
    return { pem: join(dir, `${name}.pem`), p12: join(dir, `${name}.p12`), cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`) };
  };
  const server = issue('server', '/O=zkspec tests/CN=localhost', 'ca', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth,clientAuth\n');
  const clients: Record<string, Credential> = {};
  for (const [name, subject] of Object.entries(clientSubjects)) clients[name] = issue(name, subject, 'ca', 'extendedKeyUsage=clientAuth\n');
  const stranger = issue('stranger', '/O=zkspec tests/CN=stranger', 'other-ca', 'extendedKeyUsage=clientAuth\n');
  return { dir, caPem: join(dir, 'ca.pem'), caTrustStore, server, clients, stranger, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The zoo.cfg lines of a client port with TLS, as the tests give both servers:
 * Netty's connection factory (ZooKeeper's TLS needs it), x509 authentication,
 * the key store as openssl's PKCS12 and the trust store as keytool's. With
 * `securePort`, the secure port on 127.0.0.1 first; without, none (an
 * ensemble's members each get their own).
 */
export function clientTlsLines(certs: TestCertificates, securePort?: number): string[] {
  return [
    ...(securePort === undefined ? [] : [`secureClientPort=${securePort}`, 'secureClientPortAddress=127.0.0.1']),
    'serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory',
    'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider',
    `ssl.keyStore.location=${certs.server.p12}`,
    `ssl.keyStore.password=${storePassword}`,
    `ssl.trustStore.location=${certs.caTrustStore}`,
    `ssl.trustStore.password=${storePassword}`,
  ];
}
