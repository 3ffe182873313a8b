// Whether a TLS handshake with a loopback port completes, for tests of the
// ports that require a client certificate (sslQuorum's election and quorum
// ports, a secureClientPort with ssl.clientAuth=need): node:tls verifying the
// server with the test CA, presenting a certificate or none.

import { readFileSync } from 'node:fs';
import { connect as connectTls } from 'node:tls';
import type { Credential } from './certificates.ts';

/**
 * 'accepted' when the handshake completes and the server has not closed the
 * connection 200 ms later; 'refused' otherwise. TLS 1.2 (ZooKeeper 3.8's
 * default): a refused client certificate fails the handshake itself.
 */
export function tlsHandshake(port: number, caPem: string, credential: Credential | undefined): Promise<'accepted' | 'refused'> {
  return new Promise((resolve) => {
    const socket = connectTls({
      host: '127.0.0.1',
      port,
      ca: readFileSync(caPem),
      ...(credential === undefined ? {} : { cert: readFileSync(credential.cert), key: readFileSync(credential.key) }),
    });
    let settled = false;
    const settle = (outcome: 'accepted' | 'refused') => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve(outcome);
    };
    socket.once('secureConnect', () => setTimeout(() => settle(socket.destroyed ? 'refused' : 'accepted'), 200));
    socket.once('error', () => settle('refused'));
    socket.once('close', () => settle('refused'));
  });
}
