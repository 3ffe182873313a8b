// Each reply on a TLS connection travels in TLS records of its own. ZooKeeper's C
// client (3.8's zookeeper.c) reads one reply per readable event and never asks
// OpenSSL for the bytes it holds already, so a second reply sealed in the same
// record as the first waits for the next bytes on the socket (found with a cli_mt
// built with OpenSSL: a delete's reply came after the client's next ping;
// impl/ensemble/c-client-secure.test.ts). Here a TLS 1.2 client (whose record
// headers are plaintext) talks through a forwarder that counts the records the
// server sends: a ConnectRequest and four requests in one write, answered in one
// turn of the server's loop, come back as five application-data records.

import { readFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseZooCfg } from '../config/zoo-cfg.ts';
import { OpCode } from '../protocol/constants.ts';
import { frame } from '../protocol/frame-decoder.ts';
import { encodeRecord } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { startServer, type ZooKeeperServer } from '../server/server.ts';
import { makeCertificates, type TestCertificates } from '../testing/certificates.ts';
import { requests } from '../testing/wire-client.ts';
import { clientListeners } from './client-x509.ts';

const applicationData = 23;

/** Forwards 127.0.0.1:<its port> to `target`, counting the application-data records coming back. */
async function recordCounter(target: number): Promise<{ server: Server; port: number; records: () => number }> {
  let records = 0;
  const server = createServer((client: Socket) => {
    const upstream = connect({ host: '127.0.0.1', port: target });
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      pending = Buffer.concat([pending, chunk]);
      // A TLS record: type (1 byte), version (2), length (2), then that many bytes.
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt16BE(3)) {
        if (pending[0] === applicationData) records++;
        pending = pending.subarray(5 + pending.readUInt16BE(3));
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as { port: number }).port, records: () => records };
}

/** How many whole ZooKeeper frames (4-byte length, payload) `bytes` holds. */
function countFrames(bytes: Buffer): number {
  let frames = 0;
  let offset = 0;
  while (bytes.length - offset >= 4 && bytes.length - offset >= 4 + bytes.readInt32BE(offset)) {
    offset += 4 + bytes.readInt32BE(offset);
    frames++;
  }
  return frames;
}

function request(xid: number, type: number, body: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + body.byteLength);
  out.writeInt32BE(8 + body.byteLength, 0);
  out.writeInt32BE(xid, 4);
  out.writeInt32BE(type, 8);
  out.set(body, 12);
  return out;
}

describe('TLS records on the client port', () => {
  let certs: TestCertificates;
  let server: ZooKeeperServer;

  beforeAll(async () => {
    certs = makeCertificates({ alice: '/CN=alice' });
    const parsed = parseZooCfg(['dataDir=/unused', 'clientPortAddress=127.0.0.1', 'secureClientPort=0', 'authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider', `ssl.keyStore.location=${certs.server.pem}`, `ssl.trustStore.location=${certs.caPem}`].join('\n'));
    if (!parsed.ok) throw new Error(parsed.error.map((e) => e.message).join('\n'));
    const listeners = clientListeners(parsed.value.config);
    if (!listeners.ok) throw new Error(listeners.error);
    server = await startServer({ host: '127.0.0.1', port: 0, tickTimeMs: 2000, log: () => {}, ...listeners.value, secure: { ...listeners.value.secure!, host: '127.0.0.1', port: 0 } });
  }, 60_000);

  afterAll(async () => {
    await server?.close();
    certs?.remove();
  });

  it('one record per reply: replies given in one turn are not sealed together (the C client would leave all but the first unread)', async () => {
    const counter = await recordCounter(server.securePort!);
    const alice = certs.clients['alice']!;
    const socket = connectTls({ host: '127.0.0.1', port: counter.port, ca: readFileSync(certs.caPem), cert: readFileSync(alice.cert), key: readFileSync(alice.key), maxVersion: 'TLSv1.2' });
    let received = Buffer.alloc(0);
    const connectRequest: R.ConnectRequest = { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 30_000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false };
    const batch = Buffer.concat([
      frame(encodeRecord(connectRequest, R.ConnectRequest.write)),
      request(1, OpCode.exists, requests.getData('/')),
      request(2, OpCode.getData, requests.getData('/zookeeper')),
      request(3, OpCode.exists, requests.getData('/absent')),
      request(4, OpCode.getChildren, requests.getData('/')),
    ]);
    const frames = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`only ${countFrames(received)} of 5 replies within 10 s`)), 10_000);
      socket.once('secureConnect', () => socket.write(batch));
      socket.on('error', reject);
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        if (countFrames(received) === 5) {
          clearTimeout(timer);
          resolve(5);
        }
      });
    });
    socket.destroy();
    counter.server.close();
    expect(frames).toBe(5);
    expect(counter.records()).toBe(5);
  }, 30_000);
});
