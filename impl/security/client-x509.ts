// The client port's TLS (ZooKeeper's ClientX509Util, the SslHandler that
// NettyServerCnxnFactory puts in front of each connection, and its
// CertificateVerifier with X509AuthenticationProvider): zoo.cfg's `ssl.*` settings
// as node:tls server options, and the ids a connection's certificate gives it.
//
// - ssl.clientAuth: need (the default) asks for a certificate and refuses a
//   handshake without a trusted one; want asks, lets a client without one in, and
//   refuses an untrusted one (Java's trust manager fails the handshake either way);
//   none does not ask.
// - ssl.hostnameVerification has no effect on the server side of the client port:
//   ClientX509Util.shouldVerifyClientHostname() is false, so ZooKeeper checks only
//   the chain of a client's certificate, never its name. Clients check the server's.
// - ssl.protocol / ssl.enabledProtocols become minVersion/maxVersion; ssl.ciphersuites
//   are mapped to OpenSSL's names (cipher-suites.ts), ZooKeeper's defaults when unset.
// - A trusted certificate gives the connection `x509:<subject DN>` (X500Principal.getName(),
//   x509-name.ts), and `super:<DN>` too when the DN is X509AuthenticationProvider.superUser.
//   As in ZooKeeper, the x509 provider must be configured
//   (`authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider`):
//   without it a connection that presents a certificate is closed ("X509 Auth provider
//   not found: x509").

import { createSecureContext, type TLSSocket, type TlsOptions } from 'node:tls';
import { err, ok, type Result } from '../../lib/result.ts';
import type { ClientTlsConfig, X509Settings } from '../config/tls-config.ts';
import type { ZooKeeperConfig } from '../config/zoo-cfg.ts';
import type { StartServerOptions } from '../server/server.ts';
import type { Id } from '../protocol/records.ts';
import type { ClientTls } from '../server/secure-listener.ts';
import { openSslCipherList } from './cipher-suites.ts';
import { loadKeyStore, loadTrustStore, type StoreError } from './key-stores.ts';
import { subjectName } from './x509-name.ts';


/** node:tls server options from X509Util's settings (reads the stores); an error names the key to fix. */
export function serverTlsOptions(x509: X509Settings, keyStoreKey = 'ssl.keyStore'): Result<TlsOptions, StoreError> {
  if (x509.keyStore === undefined) return err({ key: `${keyStoreKey}.location`, message: `TLS needs the server's certificate and key: set ${keyStoreKey}.location` });
  const keyMaterial = loadKeyStore(x509.keyStore);
  if (!keyMaterial.ok) return keyMaterial;
  const ca = x509.trustStore === undefined ? undefined : loadTrustStore(x509.trustStore);
  if (ca !== undefined && !ca.ok) return ca;
  const ciphers = openSslCipherList(x509.cipherSuites);
  if (!ciphers.ok) return ciphers;
  const versions = [...x509.enabledProtocols].sort();
  const material = keyMaterial.value;
  const options: TlsOptions = {
    ...(material.kind === 'pem'
      ? { key: material.key, cert: material.cert, ...(material.passphrase === undefined ? {} : { passphrase: material.passphrase }) }
      : { pfx: material.pfx, passphrase: material.passphrase }),
    ...(ca === undefined ? {} : { ca: ca.value }),
    minVersion: versions[0]!,
    maxVersion: versions[versions.length - 1]!,
    ciphers: ciphers.value,
    requestCert: x509.clientAuth !== 'none',
    rejectUnauthorized: x509.clientAuth === 'need',
    // A peer that stalls the handshake does not hold the socket for node's default 120 s.
    handshakeTimeout: 10_000,
  };
  try {
    // Surfaces a wrong password or a key that does not match its certificate now, not at the first client.
    createSecureContext(options);
  } catch (error) {
    return err({ key: `${x509.keyStore.key}.location`, message: `cannot use ${x509.keyStore.location}: ${error instanceof Error ? error.message : String(error)} (wrong ${x509.keyStore.key}.password?)` });
  }
  return ok(options);
}

/** The client port's TLS from zoo.cfg, or undefined when neither secureClientPort nor client.portUnification asks for it. */
export function clientPortTls(config: ClientTlsConfig): Result<ClientTls | undefined, StoreError> {
  if (config.secureClientPort === undefined && !config.portUnification) return ok(undefined);
  const options = serverTlsOptions(config.x509);
  if (!options.ok) return options;
  return ok({
    options: options.value,
    handshakeDetectionTimeoutMs: config.x509.handshakeDetectionTimeoutMs,
    authenticate: (socket) => x509Ids(socket, config),
  });
}

/** NettyServerCnxnFactory.CertificateVerifier + X509AuthenticationProvider.handleAuthentication. */
export function x509Ids(socket: TLSSocket, config: ClientTlsConfig): Result<readonly Id[], string> {
  if (config.x509.clientAuth === 'none') return ok([]);
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) {
    // need: node:tls has already refused the handshake; want: a client without a certificate is let in.
    return config.x509.clientAuth === 'need' ? err('no client certificate') : ok([]);
  }
  if (!socket.authorized) return err(`client certificate not trusted: ${String(socket.authorizationError)}`);
  if (!config.x509AuthProvider) {
    return err('X509 Auth provider not found: x509 (set authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider in zoo.cfg)');
  }
  let dn: string;
  try {
    dn = subjectName(certificate.raw);
  } catch (error) {
    return err(`cannot read the client certificate's subject: ${error instanceof Error ? error.message : String(error)}`);
  }
  const ids: Id[] = [];
  if (config.x509SuperUser !== undefined && dn === config.x509SuperUser) ids.push({ scheme: 'super', id: dn });
  ids.push({ scheme: 'x509', id: dn });
  return ok(ids);
}

/** The client port's listeners from zoo.cfg, for startServer: plaintext or not, secureClientPort, port unification. Err names the key to fix. */
export function clientListeners(config: ZooKeeperConfig): Result<Pick<StartServerOptions, 'plaintext' | 'secure' | 'portUnification'>, string> {
  const tls = clientPortTls(config.clientTls);
  if (!tls.ok) return err(`${tls.error.key}: ${tls.error.message}`);
  const { secureClientPort, secureClientPortAddress, portUnification } = config.clientTls;
  return ok({
    plaintext: config.clientPortEnabled,
    ...(tls.value !== undefined && secureClientPort !== undefined ? { secure: { host: secureClientPortAddress, port: secureClientPort, tls: tls.value } } : {}),
    ...(tls.value !== undefined && portUnification ? { portUnification: tls.value } : {}),
  });
}
