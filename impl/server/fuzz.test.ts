// Robustness: random frames and mutated valid requests thrown at a running
// server must at worst close the offending connection; the server keeps serving
// other sessions. Seeded fast-check; the seed is in every failure message.

import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { frame } from '../protocol/frame-decoder.ts';
import { encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from './raw-client.ts';
import { startServer, type ZooKeeperServer } from './server.ts';

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (s: string) => new TextEncoder().encode(s);

/** Valid request payloads (header + body) of many types; mutations start from these. */
function validRequests(): Uint8Array[] {
  const request = <T>(type: number, codec: R.Codec<T> | undefined, body?: T) => {
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid: 7, type });
    if (codec !== undefined && body !== undefined) codec.write(w, body);
    return w.toBytes();
  };
  return [
    request(OpCode.create, R.CreateRequest, { path: '/f', data: bytes('x'), acl, flags: 0 }),
    request(OpCode.create2, R.CreateRequest, { path: '/f/s-', data: bytes(''), acl, flags: 3 }),
    request(OpCode.createTTL, R.CreateTTLRequest, { path: '/t', data: bytes(''), acl, flags: 5, ttl: 10n }),
    request(OpCode.setData, R.SetDataRequest, { path: '/f', data: bytes('y'), version: -1 }),
    request(OpCode.delete, R.DeleteRequest, { path: '/f', version: -1 }),
    request(OpCode.getData, R.GetDataRequest, { path: '/f', watch: true }),
    request(OpCode.getChildren2, R.GetChildren2Request, { path: '/', watch: true }),
    request(OpCode.exists, R.ExistsRequest, { path: '/nope', watch: true }),
    request(OpCode.setACL, R.SetACLRequest, { path: '/f', acl: [{ perms: 1, id: { scheme: 'ip', id: '10.0.0.0/8' } }], version: -1 }),
    request(OpCode.getACL, R.GetACLRequest, { path: '/zookeeper/config' }),
    request(OpCode.multi, R.MultiRequest, [
      { type: OpCode.create, request: { path: '/m', data: bytes(''), acl, flags: 1 } },
      { type: OpCode.check, request: { path: '/m', version: 0 } },
    ]),
    request(OpCode.multiRead, R.MultiRequest, [{ type: OpCode.getData, request: { path: '/', watch: false } }]),
    request(OpCode.setWatches2, R.SetWatches2, { relativeZxid: 0n, dataWatches: ['/f'], existWatches: [], childWatches: ['/'], persistentWatches: ['/p'], persistentRecursiveWatches: ['/'] }),
    request(OpCode.addWatch, R.AddWatchRequest, { path: '/', mode: 1 }),
    request(OpCode.removeWatches, R.RemoveWatchesRequest, { path: '/', type: 3 }),
    request(OpCode.auth, R.AuthPacket, { type: 0, scheme: 'digest', auth: bytes('u:p') }),
    request(OpCode.sync, R.SyncRequest, { path: '/' }),
    request(OpCode.ping, undefined),
    request(OpCode.whoAmI, undefined),
  ];
}

describe('fuzzing a running server', () => {
  let server: ZooKeeperServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, tickTimeMs: 100, extendedTypesEnabled: true, frameBytesMax: 4096, log: () => {} });
  });
  afterAll(() => server.close());

  const seed = 5150;
  const handshake = frame(
    encodeRecord({ protocolVersion: 0, lastZxidSeen: 0n, timeOut: 2000, sessionId: 0n, passwd: new Uint8Array(16), readOnly: false }, R.ConnectRequest.write),
  );
  const valid = validRequests();

  const mutation = fc.oneof(
    // Arbitrary bytes, framed or not.
    fc.record({ kind: fc.constant('random' as const), raw: fc.uint8Array({ maxLength: 64 }), framed: fc.boolean() }),
    // A valid request with some bytes flipped, cut short or extended.
    fc.record({
      kind: fc.constant('mutated' as const),
      index: fc.nat(valid.length - 1),
      flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
      cut: fc.option(fc.nat(), { nil: undefined }),
      extra: fc.uint8Array({ maxLength: 8 }),
    }),
    // A valid header with a random opcode and random body.
    fc.record({ kind: fc.constant('opcode' as const), type: fc.integer({ min: -20, max: 120 }), body: fc.uint8Array({ maxLength: 32 }) }),
  );

  it(`survives random and mutated frames and still serves a new session (seed ${seed})`, async () => {
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(mutation, { minLength: 1, maxLength: 6 }), async (withHandshake, mutations) => {
        const client = await RawClient.open(server.port);
        if (withHandshake) client.write(handshake);
        for (const m of mutations) {
          let payload: Uint8Array;
          if (m.kind === 'random') {
            client.write(m.framed ? frame(m.raw) : m.raw);
            continue;
          } else if (m.kind === 'mutated') {
            const base = valid[m.index]!.slice();
            for (const [at, xor] of m.flips) base[at % base.length]! ^= xor;
            const cut = m.cut === undefined ? base : base.subarray(0, m.cut % (base.length + 1));
            payload = new Uint8Array([...cut, ...m.extra]);
          } else {
            const w = new JuteWriter();
            R.RequestHeader.write(w, { xid: 1, type: m.type });
            w.writeRaw(m.body);
            payload = w.toBytes();
          }
          client.write(frame(payload));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
        client.close();
        // The server still serves a fresh session end to end.
        const probe = await RawClient.open(server.port);
        const connected = await probe.handshake({ timeOut: 2000 });
        expect(connected.timeOut).toBe(2000);
        const reply = await probe.exists('/');
        expect(reply.header.err).toBe(0);
        probe.close();
      }),
      { seed, numRuns: 150, endOnFailure: true, reporter: (d) => { if (d.failed) throw new Error(`seed ${seed}: ${fc.defaultReportMessage(d)}`); } },
    );
    expect(server.core.isStopped).toBe(false);
    // The frames reached the request pipeline, not just the socket.
    expect(server.core.stats().packetsReceived).toBeGreaterThan(300);
  }, 60_000);
});
