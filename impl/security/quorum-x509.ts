// TLS between members (sslQuorum, ZooKeeper's QuorumX509Util): the election and
// quorum ports' connections made with node:tls, mutually authenticated. Each
// member shows the certificate of ssl.quorum.keyStore and accepts a peer only if
// its chain leads to ssl.quorum.trustStore (ssl.quorum.clientAuth, need by default,
// applies to the side that accepts).
//
// ssl.quorum.hostnameVerification (true by default), as QuorumX509Util (whose
// shouldVerifyClientHostname() is true) does it: the dialling side checks that the
// peer's certificate names the host of its server.N line; the accepting side checks
// that the dialler's certificate names the address the connection comes from
// (ZooKeeper's ZKTrustManager tries the IP address, then its reverse-DNS name; this
// server checks the IP address only, so a member's certificate should carry its IP
// in subjectAltName when verification is on).

import type net from 'node:net';
import { checkServerIdentity, connect, createServer, type TLSSocket } from 'node:tls';
import { ok, type Result } from '../../lib/result.ts';
import type { QuorumTlsConfig } from '../config/tls-config.ts';
import type { QuorumSockets } from '../quorum/quorum-sockets.ts';
import { serverTlsOptions } from './client-x509.ts';
import type { StoreError } from './key-stores.ts';

/** TLS quorum sockets when sslQuorum is set, undefined for plain TCP; an error names the key to fix. */
export function quorumSockets(config: QuorumTlsConfig, log: (level: 'warn' | 'info', message: string) => void): Result<QuorumSockets | undefined, StoreError> {
  if (!config.sslQuorum) return ok(undefined);
  const built = serverTlsOptions(config.x509, 'ssl.quorum.keyStore');
  if (!built.ok) return built;
  const { requestCert, rejectUnauthorized, handshakeTimeout, key, cert, pfx, passphrase, ca, minVersion, maxVersion, ciphers } = built.value;
  const credentials = { key, cert, pfx, passphrase, ca, minVersion, maxVersion, ciphers };
  const verifyHost = config.x509.hostnameVerification;
  const refuse = (socket: TLSSocket, why: string) => {
    log('warn', `quorum TLS connection from ${socket.remoteAddress}:${socket.remotePort} refused: ${why}`);
    socket.destroy();
  };
  return ok({
    createServer: (onConnection) => {
      const server = createServer({ ...credentials, requestCert, rejectUnauthorized, handshakeTimeout }, (socket) => {
        socket.setNoDelay(true);
        const certificate = socket.getPeerCertificate();
        if (verifyHost && certificate !== null && Object.keys(certificate).length > 0) {
          const mismatch = checkServerIdentity((socket.remoteAddress ?? '').replace(/^::ffff:/, ''), certificate);
          if (mismatch !== undefined) {
            refuse(socket, `hostname verification: ${mismatch.message}`);
            return;
          }
        }
        onConnection(socket);
      });
      server.on('tlsClientError', (error, socket) => {
        log('warn', `quorum TLS handshake with ${socket.remoteAddress}:${socket.remotePort} failed: ${error.message}`);
        socket.destroy();
      });
      return server as net.Server;
    },
    connect: (host, port, onConnected) => {
      const socket = connect({
        ...credentials,
        host,
        port,
        rejectUnauthorized: true,
        // ZooKeeper's hostname verification off: the chain is still checked.
        ...(verifyHost ? {} : { checkServerIdentity: () => undefined }),
      });
      socket.setNoDelay(true);
      socket.once('secureConnect', onConnected);
      return socket;
    },
  });
}
