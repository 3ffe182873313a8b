// TLS in front of the client port: ZooKeeper's NettyServerCnxnFactory with its
// SslHandler (secureClientPort) and its DualModeSslHandler (client.portUnification:
// TLS and plaintext on one port, told apart by the first byte). A TLS connection,
// once its handshake is done and its certificate checked, is a Duplex like a TCP
// one and goes to the same accept as the plaintext port: the pipeline does not
// know the difference, except for the ids the certificate gave (x509).
//
// A client that speaks plaintext to the TLS port, or fails the handshake, is
// logged and closed; the server goes on.

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { createServer, createSecureContext, TLSSocket, type Server, type TlsOptions } from 'node:tls';
import type { Result } from '../../lib/result.ts';
import type { Id } from '../protocol/records.ts';
import type { Logger } from './options.ts';

export type ClientTls = {
  /** node:tls server options: certificate, key, trust, versions, ciphers, requestCert/rejectUnauthorized. */
  readonly options: TlsOptions;
  /** The ids a connection's certificate gives it, or why it is closed (the x509 provider). */
  readonly authenticate: (socket: TLSSocket) => Result<readonly Id[], string>;
  /** ssl.handshakeDetectionTimeoutMillis: how long port unification waits for the first byte. */
  readonly handshakeDetectionTimeoutMs: number;
};

export type AcceptSecure = (socket: Socket, authIds: readonly Id[]) => void;

/** The first byte of a TLS record carrying a handshake (SslHandler.isEncrypted looks at the record type). */
const tlsHandshakeRecord = 0x16;

/** Listens with TLS on host:port; each connection that completes its handshake and passes `authenticate` goes to `accept`. */
export async function listenSecure(tls: ClientTls, host: string, port: number, accept: AcceptSecure, log: Logger): Promise<Server> {
  const server = createServer(tls.options, (socket) => secureConnection(socket, tls, accept, log));
  server.on('tlsClientError', (error, socket) => {
    log('warn', 'tls-handshake-failed', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, error: error.message });
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log('error', 'secure-server-socket-error', { error: error.message }));
  return server;
}

function secureConnection(socket: TLSSocket, tls: ClientTls, accept: AcceptSecure, log: Logger): void {
  const ids = tls.authenticate(socket);
  if (!ids.ok) {
    // NettyServerCnxnFactory.CertificateVerifier: "Authentication failed for session", and the channel is closed.
    log('warn', 'tls-connection-refused', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: ids.error });
    socket.destroy();
    return;
  }
  oneRecordPerWrite(socket);
  accept(socket, ids.value);
}

/**
 * Each write leaves as TLS records of its own, never merged with the next write's
 * bytes: node gathers the writes queued behind a pending one (and a corked socket's)
 * into one writev, which TLS seals as one record. ZooKeeper's C client (3.8's
 * zookeeper.c) reads one reply per readable event and never asks OpenSSL what it
 * holds already (SSL_pending): replies sealed in one record behind the first stay
 * unread until more bytes reach the socket (a ping, seconds later). Netty's
 * writeAndFlush per reply gives it one record per reply; so do we, at the cost of
 * a record's overhead per reply. Without a writev, node's Writable writes the
 * queued chunks one by one (net.Socket's _writev is its prototype's, shadowed here).
 */
function oneRecordPerWrite(socket: TLSSocket): void {
  Object.defineProperty(socket, '_writev', { value: undefined, writable: true, configurable: true });
}

/**
 * client.portUnification: waits for the first byte of a connection on the
 * plaintext port. A TLS handshake record is served as on the secure port; any
 * other byte (a client, a four-letter word) goes to `plain` with the byte put back.
 * No byte within the detection timeout: plaintext (a client waits for nothing
 * before its ConnectRequest, so this only meets idle sockets).
 */
export class PortUnification {
  private readonly secureContext;

  constructor(
    private readonly tls: ClientTls,
    private readonly log: Logger,
  ) {
    this.secureContext = createSecureContext(tls.options);
  }

  detect(socket: Socket, plain: (socket: Socket) => void, secure: AcceptSecure): void {
    const timer = setTimeout(() => {
      stopWaiting();
      plain(socket);
    }, this.tls.handshakeDetectionTimeoutMs);
    timer.unref();
    // A socket that ends or fails before its first byte is nobody's: it is dropped here.
    const onGone = () => {
      stopWaiting();
      socket.destroy();
    };
    const stopWaiting = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('error', onGone);
      socket.off('close', onGone);
    };
    const onData = (chunk: Buffer) => {
      stopWaiting();
      socket.pause();
      if (chunk[0] !== tlsHandshakeRecord) {
        socket.unshift(chunk);
        plain(socket);
        socket.resume();
        return;
      }
      this.upgrade(socket, chunk, secure);
    };
    socket.on('data', onData);
    socket.on('error', onGone);
    socket.on('close', onGone);
  }

  /** TLS over the socket, starting with the bytes already read (a TLSSocket over a socket reads its handle, so they are replayed through a Duplex). */
  private upgrade(socket: Socket, first: Buffer, secure: AcceptSecure): void {
    const replay = new Duplex({
      read: () => socket.resume(),
      write: (chunk, _encoding, callback) => socket.write(chunk, callback),
      final: (callback) => {
        socket.end();
        callback();
      },
      destroy: (error, callback) => {
        socket.destroy();
        callback(error);
      },
    });
    replay.push(first);
    socket.on('data', (chunk: Buffer) => {
      if (!replay.push(chunk)) socket.pause();
    });
    socket.on('end', () => replay.push(null));
    socket.on('error', (error) => replay.destroy(error));
    socket.on('close', () => replay.destroy());
    const { options } = this.tls;
    const tlsSocket = new TLSSocket(replay, {
      isServer: true,
      secureContext: this.secureContext,
      requestCert: options.requestCert ?? false,
      rejectUnauthorized: options.rejectUnauthorized ?? false,
    });
    const handshakeTimer = setTimeout(() => tlsSocket.destroy(new Error('handshake timed out')), 10_000);
    handshakeTimer.unref();
    tlsSocket.on('error', (error) => {
      clearTimeout(handshakeTimer);
      this.log('warn', 'tls-handshake-failed', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, error: error.message });
      tlsSocket.destroy();
    });
    tlsSocket.once('secure', () => {
      clearTimeout(handshakeTimer);
      // A TLSSocket over a Duplex has no address of its own; the pipeline reads the TCP socket's.
      Object.defineProperty(tlsSocket, 'remoteAddress', { value: socket.remoteAddress });
      Object.defineProperty(tlsSocket, 'remotePort', { value: socket.remotePort });
      settleAuthorization(tlsSocket, options.requestCert === true);
      if (options.rejectUnauthorized === true && !tlsSocket.authorized) {
        this.log('warn', 'tls-connection-refused', { remoteAddress: socket.remoteAddress, remotePort: socket.remotePort, reason: String(tlsSocket.authorizationError) });
        tlsSocket.destroy();
        return;
      }
      tlsSocket.removeAllListeners('error');
      secureConnection(tlsSocket, this.tls, secure, this.log);
    });
  }
}

/**
 * `authorized` and `authorizationError` of a TLSSocket made by hand: node sets them
 * only for the sockets a tls.Server accepts (its onServerSocketSecure), from the
 * handle's verifyError(); this does the same. A node without that method leaves
 * the socket unauthorized: fail closed.
 */
function settleAuthorization(socket: TLSSocket, requestCert: boolean): void {
  if (!requestCert) return;
  type VerifyError = { readonly code?: string; readonly message: string };
  const handle = (socket as unknown as { _handle?: { verifyError?: () => VerifyError | null } })._handle;
  const verifyError: VerifyError | null = typeof handle?.verifyError === 'function' ? handle.verifyError() : { message: 'cannot verify the peer certificate' };
  socket.authorized = verifyError === null;
  if (verifyError !== null) socket.authorizationError = new Error(verifyError.code ?? verifyError.message);
}
