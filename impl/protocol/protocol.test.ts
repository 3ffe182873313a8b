// The jute codec and the frame decoder. Every record fixture round-trips; the
// stream of all fixtures is split at every byte offset and in small fixed chunks
// (pg-protocol style); oversized, negative and truncated inputs are error values.
// A differential check decodes bytes produced by node-zookeeper-client's own jute
// implementation, an encoder we did not write.

import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { OpCode, juteMaxBufferDefault } from './constants.ts';
import { FrameDecoder, frame } from './frame-decoder.ts';
import { decodeRecord, encodeRecord, JuteWriter } from './jute.ts';
import * as R from './records.ts';

const stat: R.Stat = {
  czxid: 0x100000001n,
  mzxid: 0x100000002n,
  ctime: 1_700_000_000_123n,
  mtime: 1_700_000_000_456n,
  version: 3,
  cversion: -1,
  aversion: 2,
  ephemeralOwner: -(1n << 63n),
  dataLength: 5,
  numChildren: 0,
  pzxid: 0x7fffffffffffffffn,
};
const acl: R.ACL[] = [
  { perms: 31, id: { scheme: 'world', id: 'anyone' } },
  { perms: 1, id: { scheme: 'digest', id: 'bob:Ec8UuB3Dk1xzMV5ngSLaDJjHGpY=' } },
];
const bytes = (s: string) => new TextEncoder().encode(s);

type Fixture = { name: string; codec: R.Codec<unknown>; value: unknown };
const fixtures: Fixture[] = [
  { name: 'Id', codec: R.Id, value: { scheme: 'ip', id: '127.0.0.1' } },
  { name: 'ACL', codec: R.ACL, value: acl[1] },
  { name: 'Stat', codec: R.Stat, value: stat },
  { name: 'StatPersisted', codec: R.StatPersisted, value: { ...stat, dataLength: undefined, numChildren: undefined } },
  { name: 'ClientInfo', codec: R.ClientInfo, value: { authScheme: 'digest', user: 'bob' } },
  {
    name: 'ConnectRequest',
    codec: R.ConnectRequest,
    value: { protocolVersion: 0, lastZxidSeen: 7n, timeOut: 30000, sessionId: 0x0100018b2c3d4e5fn, passwd: new Uint8Array(16).fill(9), readOnly: false },
  },
  {
    name: 'ConnectRequest without readOnly (pre-3.4 client)',
    codec: R.ConnectRequest,
    value: { protocolVersion: 0, lastZxidSeen: 0n, timeOut: 4000, sessionId: 0n, passwd: new Uint8Array(0), readOnly: undefined },
  },
  {
    name: 'ConnectResponse',
    codec: R.ConnectResponse,
    value: { protocolVersion: 0, timeOut: 4000, sessionId: -2n, passwd: new Uint8Array([1, 2, 3]), readOnly: true },
  },
  { name: 'SetWatches', codec: R.SetWatches, value: { relativeZxid: 9n, dataWatches: ['/a'], existWatches: [], childWatches: ['/', '/b'] } },
  {
    name: 'SetWatches2',
    codec: R.SetWatches2,
    value: { relativeZxid: 9n, dataWatches: [], existWatches: ['/x'], childWatches: [], persistentWatches: ['/p'], persistentRecursiveWatches: ['/r', '/s'] },
  },
  { name: 'RequestHeader', codec: R.RequestHeader, value: { xid: -8, type: OpCode.setWatches } },
  { name: 'MultiHeader', codec: R.MultiHeader, value: { type: -1, done: true, err: -1 } },
  { name: 'AuthPacket', codec: R.AuthPacket, value: { type: 0, scheme: 'digest', auth: bytes('bob:secret') } },
  { name: 'ReplyHeader', codec: R.ReplyHeader, value: { xid: 12, zxid: 0x200000005n, err: -101 } },
  { name: 'GetDataRequest', codec: R.GetDataRequest, value: { path: '/a/b', watch: true } },
  { name: 'SetDataRequest', codec: R.SetDataRequest, value: { path: '/a', data: bytes('héllo'), version: -1 } },
  { name: 'ReconfigRequest', codec: R.ReconfigRequest, value: { joiningServers: 'server.4=h:1:2', leavingServers: '', newMembers: '', curConfigId: -1n } },
  { name: 'SetDataResponse', codec: R.SetDataResponse, value: { stat } },
  { name: 'GetSASLRequest', codec: R.GetSASLRequest, value: { token: bytes('t') } },
  { name: 'CreateRequest', codec: R.CreateRequest, value: { path: '/seq-', data: bytes('x'), acl, flags: 3 } },
  { name: 'CreateTTLRequest', codec: R.CreateTTLRequest, value: { path: '/ttl', data: new Uint8Array(0), acl, flags: 5, ttl: 1000n } },
  { name: 'DeleteRequest', codec: R.DeleteRequest, value: { path: '/a', version: 4 } },
  { name: 'GetChildrenRequest', codec: R.GetChildrenRequest, value: { path: '/', watch: false } },
  { name: 'GetAllChildrenNumberRequest', codec: R.GetAllChildrenNumberRequest, value: { path: '/' } },
  { name: 'GetChildren2Request', codec: R.GetChildren2Request, value: { path: '/z', watch: true } },
  { name: 'CheckVersionRequest', codec: R.CheckVersionRequest, value: { path: '/c', version: 0 } },
  { name: 'SyncRequest', codec: R.SyncRequest, value: { path: '/' } },
  { name: 'SyncResponse', codec: R.SyncResponse, value: { path: '/' } },
  { name: 'GetACLRequest', codec: R.GetACLRequest, value: { path: '/acl' } },
  { name: 'SetACLRequest', codec: R.SetACLRequest, value: { path: '/acl', acl, version: 1 } },
  { name: 'SetACLResponse', codec: R.SetACLResponse, value: { stat } },
  { name: 'AddWatchRequest', codec: R.AddWatchRequest, value: { path: '/w', mode: 1 } },
  { name: 'WatcherEvent', codec: R.WatcherEvent, value: { type: 4, state: 3, path: '/w' } },
  { name: 'ErrorResponse', codec: R.ErrorResponse, value: { err: -110 } },
  { name: 'CreateResponse', codec: R.CreateResponse, value: { path: '/seq-0000000003' } },
  { name: 'Create2Response', codec: R.Create2Response, value: { path: '/n', stat } },
  { name: 'ExistsRequest', codec: R.ExistsRequest, value: { path: '/n', watch: true } },
  { name: 'ExistsResponse', codec: R.ExistsResponse, value: { stat } },
  { name: 'GetDataResponse', codec: R.GetDataResponse, value: { data: new Uint8Array([0, 255, 7]), stat } },
  { name: 'GetChildrenResponse', codec: R.GetChildrenResponse, value: { children: ['a', 'b', 'ü'] } },
  { name: 'GetAllChildrenNumberResponse', codec: R.GetAllChildrenNumberResponse, value: { totalNumber: 42 } },
  { name: 'GetChildren2Response', codec: R.GetChildren2Response, value: { children: [], stat } },
  { name: 'GetACLResponse', codec: R.GetACLResponse, value: { acl, stat } },
  { name: 'CheckWatchesRequest', codec: R.CheckWatchesRequest, value: { path: '/w', type: 3 } },
  { name: 'RemoveWatchesRequest', codec: R.RemoveWatchesRequest, value: { path: '/w', type: 1 } },
  { name: 'GetEphemeralsRequest', codec: R.GetEphemeralsRequest, value: { prefixPath: '/e' } },
  { name: 'GetEphemeralsResponse', codec: R.GetEphemeralsResponse, value: { ephemerals: ['/e/1', '/e/2'] } },
  { name: 'WhoAmIResponse', codec: R.WhoAmIResponse, value: { clientInfo: [{ authScheme: 'ip', user: '127.0.0.1' }] } },
  {
    name: 'MultiRequest',
    codec: R.MultiRequest,
    value: [
      { type: OpCode.create, request: { path: '/m', data: bytes('1'), acl, flags: 0 } },
      { type: OpCode.createTTL, request: { path: '/t', data: bytes(''), acl, flags: 5, ttl: 10n } },
      { type: OpCode.setData, request: { path: '/m', data: bytes('2'), version: 0 } },
      { type: OpCode.check, request: { path: '/m', version: 1 } },
      { type: OpCode.delete, request: { path: '/m', version: -1 } },
      { type: OpCode.getData, request: { path: '/m', watch: false } },
      { type: OpCode.getChildren, request: { path: '/', watch: false } },
    ],
  },
  {
    name: 'MultiResponse',
    codec: R.MultiResponse,
    value: [
      { type: OpCode.create, path: '/m' },
      { type: OpCode.create2, path: '/t', stat },
      { type: OpCode.setData, stat },
      { type: OpCode.check },
      { type: OpCode.delete },
      { type: OpCode.getData, data: bytes('d'), stat },
      { type: OpCode.getChildren, children: ['m'] },
      { type: OpCode.error, err: -2 },
    ],
  },
];

// StatPersisted has no dataLength/numChildren: drop the undefined keys.
for (const f of fixtures) {
  if (f.name === 'StatPersisted') {
    const { dataLength: _d, numChildren: _n, ...rest } = f.value as Record<string, unknown>;
    f.value = rest;
  }
}

describe('jute records', () => {
  it.each(fixtures.map((f) => [f.name, f] as const))('%s round-trips', (_name, f) => {
    const encoded = encodeRecord(f.value, f.codec.write);
    const decoded = decodeRecord(encoded, f.codec.read);
    expect(decoded).toEqual({ ok: true, value: f.value });
    // Re-encoding the decoded value gives the same bytes: the encoding is canonical.
    if (decoded.ok) expect(encodeRecord(decoded.value, f.codec.write)).toEqual(encoded);
  });

  it.each(fixtures.map((f) => [f.name, f] as const))('%s: every proper prefix is a decode error, never a throw', (_name, f) => {
    const encoded = encodeRecord(f.value, f.codec.write);
    for (let cut = 0; cut < encoded.byteLength; cut++) {
      const decoded = decodeRecord(encoded.subarray(0, cut), f.codec.read);
      // A ConnectRequest/Response cut exactly before its readOnly byte is a valid old-client record.
      if (decoded.ok) {
        expect(f.name.startsWith('Connect')).toBe(true);
        expect(cut).toBe(encoded.byteLength - 1);
      }
    }
  });

  it('pins the bytes of a ReplyHeader: xid 5, zxid 0x100000002, err NONODE', () => {
    const encoded = encodeRecord({ xid: 5, zxid: 0x100000002n, err: -101 }, R.ReplyHeader.write);
    expect(Buffer.from(encoded).toString('hex')).toBe('00000005' + '0000000100000002' + 'ffffff9b');
  });

  it('reads a null ustring (length -1) as empty and a null vector as []', () => {
    const w = new JuteWriter().writeString(undefined).writeVector(undefined, () => {});
    expect(decodeRecord(w.toBytes(), (r) => [r.readString(), r.readVector((rr) => rr.readInt())])).toEqual({ ok: true, value: ['', []] });
  });

  it('rejects a vector whose count exceeds the bytes left instead of looping', () => {
    const w = new JuteWriter().writeInt(0x7fffffff);
    const decoded = decodeRecord(w.toBytes(), R.GetChildrenResponse.read);
    expect(decoded.ok).toBe(false);
  });

  it('rejects an unknown op type inside a multi', () => {
    const w = new JuteWriter();
    R.MultiHeader.write(w, { type: OpCode.sync, done: false, err: -1 });
    w.writeString('/');
    expect(decodeRecord(w.toBytes(), R.MultiRequest.read)).toEqual({ ok: false, error: 'multi: invalid op type 9' });
  });
});

describe('JuteWriter strings and the reused writer', () => {
  // Strings are written byte by byte while they are ASCII and through TextEncoder
  // from the first character that is not; both must give TextEncoder's bytes.
  const strings = ['', '/a', '/zookeeper/quota', 'é', '/caf\u00e9/x', '/emoji-\u{1F600}-tail', '/\u0080', 'a'.repeat(1000), `${'b'.repeat(300)}\u00ff`];
  for (const value of strings) {
    it(`writes ${JSON.stringify(value.length > 20 ? `${value.slice(0, 12)}…(${value.length})` : value)} as a length and its UTF-8 bytes`, () => {
      const utf8 = new TextEncoder().encode(value);
      const bytes = encodeRecord(value, (w, v) => void w.writeInt(7).writeString(v).writeInt(9));
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(view.getInt32(4)).toBe(utf8.byteLength);
      expect([...bytes.subarray(8, 8 + utf8.byteLength)]).toEqual([...utf8]);
      expect(view.getInt32(8 + utf8.byteLength)).toBe(9);
      expect(decodeRecord(bytes, (r) => [r.readInt(), r.readString(), r.readInt()])).toEqual({ ok: true, value: [7, value, 9] });
    });
  }

  it('gives a nested encodeRecord its own writer, and a record encoded after a throw is whole', () => {
    const outer = encodeRecord('outer', (w, v) => {
      w.writeString(v);
      w.writeBuffer(encodeRecord('inner', (ww, vv) => void ww.writeString(vv)));
      w.writeString('after');
    });
    expect(decodeRecord(outer, (r) => [r.readString(), decodeRecord(r.readBuffer(), (rr) => rr.readString()), r.readString()])).toEqual({
      ok: true,
      value: ['outer', { ok: true, value: 'inner' }, 'after'],
    });
    expect(() => encodeRecord(0, (w) => {
      w.writeString('half');
      throw new Error('boom');
    })).toThrow('boom');
    expect(decodeRecord(encodeRecord('x', (w, v) => void w.writeString(v)), (r) => r.readString())).toEqual({ ok: true, value: 'x' });
  });

  it('returns bytes that a later encodeRecord does not overwrite, in the array allocate gives', () => {
    const first = encodeRecord('first', (w, v) => void w.writeString(v));
    const pooled = encodeRecord('second', (w, v) => void w.writeString(v), (n) => Buffer.allocUnsafe(n));
    expect(Buffer.isBuffer(pooled)).toBe(true);
    expect(decodeRecord(first, (r) => r.readString())).toEqual({ ok: true, value: 'first' });
    expect(decodeRecord(pooled, (r) => r.readString())).toEqual({ ok: true, value: 'second' });
  });
});

describe('differential: bytes from node-zookeeper-client decode to the same values', () => {
  const require = createRequire(import.meta.url);
  const jute = require('node-zookeeper-client/lib/jute/index.js');
  const long8 = (n: bigint) => {
    const b = Buffer.alloc(8);
    b.writeBigInt64BE(n);
    return b;
  };
  const serialize = (record: { byteLength(): number; serialize(b: Buffer, o: number): number }) => {
    const b = Buffer.alloc(record.byteLength());
    record.serialize(b, 0);
    return new Uint8Array(b);
  };

  it('ConnectRequest (this client predates the readOnly byte)', () => {
    const theirs = new jute.protocol.ConnectRequest(0, long8(0x12n), 30000, long8(0x0123456789abcdefn), Buffer.alloc(16, 7));
    const decoded = decodeRecord(serialize(theirs), R.ConnectRequest.read);
    expect(decoded).toEqual({
      ok: true,
      value: { protocolVersion: 0, lastZxidSeen: 0x12n, timeOut: 30000, sessionId: 0x0123456789abcdefn, passwd: new Uint8Array(16).fill(7), readOnly: undefined },
    });
  });

  it('CreateRequest with a digest ACL', () => {
    const theirAcl = [new jute.data.ACL(31, new jute.data.Id('digest', 'u:p'))];
    const theirs = new jute.protocol.CreateRequest('/node', Buffer.from('data'), theirAcl, 3);
    expect(decodeRecord(serialize(theirs), R.CreateRequest.read)).toEqual({
      ok: true,
      value: { path: '/node', data: bytes('data'), acl: [{ perms: 31, id: { scheme: 'digest', id: 'u:p' } }], flags: 3 },
    });
  });

  it('Stat', () => {
    const theirs = new jute.data.Stat(long8(1n), long8(2n), long8(3n), long8(4n), 5, 6, 7, long8(-8n), 9, 10, long8(11n));
    expect(decodeRecord(serialize(theirs), R.Stat.read)).toEqual({
      ok: true,
      value: { czxid: 1n, mzxid: 2n, ctime: 3n, mtime: 4n, version: 5, cversion: 6, aversion: 7, ephemeralOwner: -8n, dataLength: 9, numChildren: 10, pzxid: 11n },
    });
  });

  it('our GetDataResponse decodes with their reader', () => {
    const ours = encodeRecord({ data: bytes('abc'), stat }, R.GetDataResponse.write);
    const theirs = new jute.protocol.GetDataResponse();
    theirs.deserialize(Buffer.from(ours), 0);
    expect(Buffer.from(theirs.data).toString()).toBe('abc');
    expect(theirs.stat.version).toBe(3);
    expect(Buffer.from(theirs.stat.ephemeralOwner).readBigInt64BE()).toBe(-(1n << 63n));
  });
});

describe('FrameDecoder', () => {
  const payloads = fixtures.map((f) => encodeRecord(f.value, f.codec.write));
  const stream = Buffer.concat(payloads.map((p) => frame(p)));

  function collect(decoder: FrameDecoder, chunks: Uint8Array[]): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (const chunk of chunks) {
      const error = decoder.push(chunk, (f) => frames.push(f.slice()));
      expect(error).toBeUndefined();
    }
    return frames;
  }

  it(`yields every fixture when the ${stream.byteLength}-byte stream is split at every offset`, () => {
    for (let cut = 0; cut <= stream.byteLength; cut++) {
      const decoder = new FrameDecoder();
      const frames = collect(decoder, [stream.subarray(0, cut), stream.subarray(cut)]);
      expect(frames.length, `cut at ${cut}`).toBe(payloads.length);
      frames.forEach((f, i) => expect(Buffer.from(f).equals(Buffer.from(payloads[i]!)), `cut ${cut} frame ${i}`).toBe(true));
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it.each([1, 2, 3, 5, 7, 64])('yields every fixture when fed in %i-byte chunks', (size) => {
    const chunks: Uint8Array[] = [];
    for (let i = 0; i < stream.byteLength; i += size) chunks.push(stream.subarray(i, i + size));
    const frames = collect(new FrameDecoder(), chunks);
    expect(frames.map((f) => Buffer.from(f).toString('hex'))).toEqual(payloads.map((p) => Buffer.from(p).toString('hex')));
  });

  it('holds a truncated frame until the rest arrives', () => {
    const decoder = new FrameDecoder();
    const framed = frame(payloads[2]!);
    expect(collect(decoder, [framed.subarray(0, framed.byteLength - 1)])).toEqual([]);
    expect(decoder.bufferedBytes).toBe(framed.byteLength - 1);
    expect(collect(decoder, [framed.subarray(framed.byteLength - 1)])).toHaveLength(1);
  });

  it('accepts a frame of exactly jute.maxbuffer and a zero-length frame', () => {
    const decoder = new FrameDecoder(16);
    const frames = collect(decoder, [frame(new Uint8Array(16)), frame(new Uint8Array(0))]);
    expect(frames.map((f) => f.byteLength)).toEqual([16, 0]);
  });

  it('returns too-large for a length above jute.maxbuffer (0xfffff) and stays broken', () => {
    const decoder = new FrameDecoder();
    const header = new Uint8Array(4);
    new DataView(header.buffer).setInt32(0, juteMaxBufferDefault + 1);
    const seen: Uint8Array[] = [];
    expect(decoder.push(header, (f) => seen.push(f))).toEqual({ kind: 'too-large', length: 0x100000, frameBytesMax: 0xfffff });
    expect(decoder.push(frame(new Uint8Array(1)), (f) => seen.push(f))).toEqual({ kind: 'too-large', length: 0x100000, frameBytesMax: 0xfffff });
    expect(seen).toEqual([]);
  });

  it('reassembles a 1 MB frame trickled in 100-byte pieces in CPU linear in its size, into a reused buffer', () => {
    // Copying all that is buffered on every chunk made this quadratic: about
    // 5 GB copied, seconds of CPU, for one frame a client may trickle in.
    const payload = new Uint8Array(1_000_000);
    for (let i = 0; i < payload.byteLength; i++) payload[i] = (i * 7) & 0xff;
    const framed = frame(payload);
    const decoder = new FrameDecoder();
    const piece = new Uint8Array(100); // one buffer, overwritten for each piece, as a socket may reuse its memory
    const seen: Uint8Array[] = [];
    const before = process.cpuUsage();
    for (let offset = 0; offset < framed.byteLength; offset += piece.byteLength) {
      const part = framed.subarray(offset, offset + piece.byteLength);
      piece.set(part);
      expect(decoder.push(piece.subarray(0, part.byteLength), (f) => seen.push(f.slice()))).toBeUndefined();
      if (offset + piece.byteLength < framed.byteLength) expect(decoder.bufferedBytes).toBe(offset + part.byteLength);
    }
    const cpu = process.cpuUsage(before);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    expect(seen).toHaveLength(1);
    expect(Buffer.from(seen[0]!).equals(Buffer.from(payload))).toBe(true);
    expect(decoder.bufferedBytes).toBe(0);
    // Measured on a loaded 2-core machine: linear about 30 ms; quadratic 2,500 ms alone, 18 s in this test.
    expect(cpuMs, `CPU for 10,000 pushes of one 1 MB frame: ${cpuMs.toFixed(0)} ms`).toBeLessThan(400);
  });

  it('returns negative-length for a length with the sign bit set, after delivering the frames before it', () => {
    const decoder = new FrameDecoder();
    const bad = Buffer.from('ffffffff', 'hex');
    const seen: Uint8Array[] = [];
    const error = decoder.push(Buffer.concat([frame(new Uint8Array([1])), bad]), (f) => seen.push(Uint8Array.from(f)));
    expect(error).toEqual({ kind: 'negative-length', length: -1 });
    expect(seen).toEqual([new Uint8Array([1])]);
  });
});
