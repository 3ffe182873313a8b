// The AdminServer's TLS (ZooKeeper 3.8.0's JettyAdminServer with admin.forceHttps
// or admin.portUnification): the certificate and key come from the members'
// stores, ssl.quorum.keyStore.* (a QuorumX509Util reads the
// zookeeper.ssl.quorum.* system properties zoo.cfg's ssl.quorum.* keys become),
// and ssl.quorum.trustStore.* is loaded beside it. Nothing else of
// ssl.quorum.* applies: JettyAdminServer hands Jetty's SslContextFactory.Server
// the two stores and their passwords only, so the protocols and cipher suites
// are the TLS library's defaults (here node:tls's: TLSv1.2 and TLSv1.3), and no
// client certificate is asked for (Jetty neither needs nor wants one by default),
// so the trust store has no effect on who may connect.
//
// Differences from 3.8.0, on purpose: its JettyAdminServer refuses to start
// without a trust store (X509Util.loadTrustStore of an empty path) though it
// never uses it; here it is optional, and read when set so that a bad one is
// reported. A store that cannot be read is an error naming the key, where
// ZooKeeper logs "Failed to load authentication certificates for admin server"
// and runs without its AdminServer.

import { createSecureContext, type TlsOptions } from 'node:tls';
import { err, ok, type Result } from '../../lib/result.ts';
import type { X509Settings } from '../config/tls-config.ts';
import { loadKeyStore, loadTrustStore, type StoreError } from './key-stores.ts';

/** node:tls server options for the AdminServer from ssl.quorum.*'s stores; an error names the key to fix. */
export function adminTlsOptions(quorumX509: X509Settings): Result<TlsOptions, StoreError> {
  const { keyStore, trustStore } = quorumX509;
  if (keyStore === undefined) return err({ key: 'ssl.quorum.keyStore.location', message: 'HTTPS on the AdminServer needs its certificate and key: set ssl.quorum.keyStore.location' });
  const material = loadKeyStore(keyStore);
  if (!material.ok) return material;
  if (trustStore !== undefined) {
    const trusted = loadTrustStore(trustStore);
    if (!trusted.ok) return trusted;
  }
  const m = material.value;
  const options: TlsOptions = {
    ...(m.kind === 'pem' ? { key: m.key, cert: m.cert, ...(m.passphrase === undefined ? {} : { passphrase: m.passphrase }) } : { pfx: m.pfx, passphrase: m.passphrase }),
    minVersion: 'TLSv1.2',
    requestCert: false,
    // A peer that stalls the handshake does not hold the socket for node's default 120 s.
    handshakeTimeout: 10_000,
  };
  try {
    // A wrong password or a key that does not match its certificate, now rather than at the first request.
    createSecureContext(options);
  } catch (error) {
    return err({ key: `${keyStore.key}.location`, message: `cannot use ${keyStore.location}: ${error instanceof Error ? error.message : String(error)} (wrong ${keyStore.key}.password?)` });
  }
  return ok(options);
}
