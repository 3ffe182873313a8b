import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeIntData,
  decodeLearnerInfo,
  decodeNotification,
  decodeQuorumPacket,
  electionFrame,
  ElectionStreamDecoder,
  encodeInitialMessage,
  encodeIntData,
  encodeLearnerInfo,
  encodeNotification,
  encodeQuorumPacket,
  epochOf,
  counterOf,
  makeZxid,
  PacketType,
  packetTypeName,
  parseInitialMessage,
  PROTOCOL_VERSION_V1,
  PROTOCOL_VERSION_V2,
  QuorumPacketDecoder,
  type ElectionStreamItem,
  type InitialMessage,
  type NotificationMessage,
  type QuorumPacket,
} from './wire.ts';

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const fromHex = (text: string) => new Uint8Array(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));
const longMin = -(2n ** 63n);

describe('election port: the initial message (QuorumCnxManager.InitialMessage)', () => {
  it('V1 is long -65536, long sid, int length, "host:port", with no length prefix in front', () => {
    const bytes = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 3n, electionAddresses: ['127.0.0.1:3888'] });
    expect(hex(bytes)).toBe('ffffffffffff0000' + '0000000000000003' + '0000000e' + hex(new TextEncoder().encode('127.0.0.1:3888')));
    expect(parseInitialMessage(bytes)).toEqual({
      kind: 'complete',
      message: { protocolVersion: -65536n, sid: 3n, electionAddresses: ['127.0.0.1:3888'] },
      bytesConsumed: 34,
    });
  });

  it('V2 carries several addresses separated by |, IPv6 in brackets', () => {
    const message: InitialMessage = { protocolVersion: PROTOCOL_VERSION_V2, sid: 12n, electionAddresses: ['10.0.0.1:3888', '[::1]:3889'] };
    const parsed = parseInitialMessage(encodeInitialMessage(message));
    expect(parsed).toMatchObject({ kind: 'complete', message });
  });

  it('a non-negative first long is the pre-3.5 form: the sid and nothing else', () => {
    const parsed = parseInitialMessage(concat(encodeInitialMessage({ protocolVersion: undefined, sid: 7n, electionAddresses: [] }), fromHex('00000004')));
    expect(parsed).toEqual({ kind: 'complete', message: { protocolVersion: undefined, sid: 7n, electionAddresses: [] }, bytesConsumed: 8 });
  });

  it('is incomplete at every proper prefix', () => {
    const bytes = encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 1n, electionAddresses: ['h:1'] });
    for (let end = 0; end < bytes.byteLength; end++) expect(parseInitialMessage(bytes.subarray(0, end)).kind).toBe('incomplete');
  });

  it.each([
    ['an unknown protocol version', 'fffffffffffeffff' + '0000000000000001' + '00000003' + '683a31'],
    ['an address length of 0', 'ffffffffffff0000' + '0000000000000001' + '00000000'],
    ['an address length of 2049 (maxBuffer is 2048)', 'ffffffffffff0000' + '0000000000000001' + '00000801'],
    ['an address without a port', 'ffffffffffff0000' + '0000000000000001' + '00000001' + '68'],
  ])('rejects %s', (_what, text) => {
    expect(parseInitialMessage(fromHex(text)).kind).toBe('invalid');
  });
});

const current: NotificationMessage = {
  state: 'LOOKING',
  leader: 3n,
  zxid: makeZxid(2n, 17n),
  electionEpoch: 5n,
  peerEpoch: 2n,
  version: 2,
  config: 'server.1=127.0.0.1:2888:3888:participant\nversion=0',
};

describe('election port: notifications (FastLeaderElection.buildMsg / WorkerReceiver)', () => {
  it('the current form is 44 bytes plus the config: state, leader, zxid, electionEpoch, peerEpoch, version 2, config', () => {
    const bytes = encodeNotification(current);
    expect(bytes.byteLength).toBe(44 + current.config!.length);
    expect(hex(bytes.subarray(0, 44))).toBe(
      '00000000' + '0000000000000003' + '0000000200000011' + '0000000000000005' + '0000000000000002' + '00000002' + '00000032',
    );
    expect(decodeNotification(bytes)).toEqual({ ok: true, value: current });
  });

  it('each server state travels as its ordinal', () => {
    for (const [state, ordinal] of [['LOOKING', 0], ['FOLLOWING', 1], ['LEADING', 2], ['OBSERVING', 3]] as const) {
      const bytes = encodeNotification({ ...current, state });
      expect(new DataView(bytes.buffer).getInt32(0)).toBe(ordinal);
      expect(decodeNotification(bytes)).toMatchObject({ ok: true, value: { state } });
    }
  });

  it("an observer's vote of Long.MIN_VALUE survives the trip", () => {
    const observer = { ...current, leader: longMin, zxid: longMin, peerEpoch: longMin, config: '' };
    expect(decodeNotification(encodeNotification(observer))).toEqual({ ok: true, value: observer });
  });

  it('the 28-byte form (before ZOOKEEPER-107) takes peerEpoch from the zxid', () => {
    const bytes = encodeNotification(current).subarray(0, 28);
    expect(decodeNotification(bytes)).toEqual({ ok: true, value: { ...current, peerEpoch: 2n, version: 0, config: undefined } });
  });

  it('the 40-byte form reads peerEpoch but not the version that follows it', () => {
    const bytes = encodeNotification({ ...current, version: 1, peerEpoch: 9n });
    expect(bytes.byteLength).toBe(40);
    expect(decodeNotification(bytes)).toEqual({ ok: true, value: { ...current, peerEpoch: 9n, version: 0, config: undefined } });
  });

  it.each([
    ['27 bytes', (b: Uint8Array) => b.subarray(0, 27)],
    ['36 bytes (peerEpoch, then a version cut off)', (b: Uint8Array) => b.subarray(0, 36)],
    ['an unknown state ordinal', (b: Uint8Array) => (new DataView(b.buffer).setInt32(0, 4), b)],
    ['a configLength beyond the message', (b: Uint8Array) => (new DataView(b.buffer).setInt32(40, 1000), b)],
    ['a negative configLength', (b: Uint8Array) => (new DataView(b.buffer).setInt32(40, -1), b)],
  ])('rejects %s', (_what, damage) => {
    expect(decodeNotification(damage(encodeNotification(current))).ok).toBe(false);
  });

  it('round-trips any current-form notification (fast-check; the seed is printed on failure)', () => {
    const long = fc.bigInt({ min: longMin, max: 2n ** 63n - 1n });
    fc.assert(
      fc.property(
        fc.record({
          state: fc.constantFrom('LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING' as const),
          leader: long,
          zxid: long,
          electionEpoch: long,
          peerEpoch: long,
          version: fc.integer({ min: 2, max: 100 }),
          config: fc.string({ maxLength: 80 }),
        }),
        (n) => {
          expect(decodeNotification(encodeNotification(n))).toEqual({ ok: true, value: n });
        },
      ),
      { seed: 0x5eed, numRuns: 500 },
    );
  });
});

describe('election port: the connection stream (initial message, then length-prefixed frames)', () => {
  const initial: InitialMessage = { protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: ['127.0.0.1:3890'] };
  const notifications = [current, { ...current, state: 'FOLLOWING' as const, config: '' }, { ...current, leader: 1n, electionEpoch: 6n }];
  const stream = concat(encodeInitialMessage(initial), ...notifications.map((n) => electionFrame(encodeNotification(n))));

  const collect = (decoder: ElectionStreamDecoder, chunks: Uint8Array[]) => {
    const items: ElectionStreamItem[] = [];
    for (const chunk of chunks) {
      const error = decoder.push(chunk, (item) => items.push(item.kind === 'frame' ? { kind: 'frame', payload: item.payload.slice() } : item));
      expect(error).toBeUndefined();
    }
    return items;
  };
  const expected: ElectionStreamItem[] = [
    { kind: 'initial-message', message: initial },
    ...notifications.map((n) => ({ kind: 'frame' as const, payload: encodeNotification(n) })),
  ];

  it('yields the same items however the stream is split in two', () => {
    for (let offset = 0; offset <= stream.byteLength; offset++) {
      const items = collect(new ElectionStreamDecoder(true), [stream.slice(0, offset), stream.slice(offset)]);
      expect(items, `split at ${offset}`).toEqual(expected);
    }
  });

  it('yields the same items from one-byte and seven-byte chunks', () => {
    for (const size of [1, 7]) {
      const chunks: Uint8Array[] = [];
      for (let i = 0; i < stream.byteLength; i += size) chunks.push(stream.slice(i, i + size));
      expect(collect(new ElectionStreamDecoder(true), chunks)).toEqual(expected);
    }
  });

  it('on a connection we initiated there is no initial message to wait for', () => {
    const frames = stream.subarray(encodeInitialMessage(initial).byteLength);
    expect(collect(new ElectionStreamDecoder(false), [frames])).toEqual(expected.slice(1));
  });

  it('a zero-length frame breaks the stream, and it stays broken', () => {
    const decoder = new ElectionStreamDecoder(false);
    expect(decoder.push(fromHex('00000000'), () => {})).toEqual({ kind: 'bad-frame-length', length: 0 });
    expect(decoder.push(electionFrame(encodeNotification(current)), () => expect.unreachable())).toEqual({ kind: 'bad-frame-length', length: 0 });
  });

  it('a frame above PACKETMAXSIZE (512 KiB) breaks the stream before its bytes arrive', () => {
    const decoder = new ElectionStreamDecoder(false);
    expect(decoder.push(fromHex('00080001'), () => {})).toEqual({ kind: 'bad-frame-length', length: 512 * 1024 + 1 });
  });

  it('a bad initial message breaks the stream', () => {
    const decoder = new ElectionStreamDecoder(true);
    expect(decoder.push(fromHex('fffffffffffeffff 0000000000000001 00000003 683a31'), () => {})?.kind).toBe('invalid-initial-message');
  });
});

describe('quorum port: QuorumPacket (zookeeper.jute), written back to back with no length prefix', () => {
  const learnerInfo = encodeLearnerInfo({ serverid: 2n, protocolVersion: 0x10000, configVersion: 0x100000000n });
  const followerInfo: QuorumPacket = { type: PacketType.FOLLOWERINFO, zxid: makeZxid(3n, 0n), data: learnerInfo, authinfo: undefined };

  it('FOLLOWERINFO: int type, long zxid (acceptedEpoch << 32), buffer LearnerInfo, vector -1 for a null authinfo', () => {
    expect(hex(encodeQuorumPacket(followerInfo))).toBe(
      '0000000b' + '0000000300000000' + '00000014' + '0000000000000002' + '00010000' + '0000000100000000' + 'ffffffff',
    );
  });

  it('keeps null apart from empty for data and authinfo, so packets re-encode to the same bytes', () => {
    const variants: QuorumPacket[] = [
      { type: PacketType.UPTODATE, zxid: 0n, data: undefined, authinfo: undefined },
      { type: PacketType.PING, zxid: 5n, data: new Uint8Array(0), authinfo: [] },
      { type: PacketType.REQUEST, zxid: 0n, data: fromHex('0102'), authinfo: [{ scheme: 'digest', id: 'u:p' }, { scheme: 'ip', id: '' }] },
    ];
    for (const packet of variants) {
      const bytes = encodeQuorumPacket(packet);
      expect(decodeQuorumPacket(bytes)).toEqual({ ok: true, value: packet });
      const decoded = decodeQuorumPacket(bytes);
      expect(decoded.ok && hex(encodeQuorumPacket(decoded.value))).toBe(hex(bytes));
    }
  });

  it('names every packet type as Leader.java does', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19].map(packetTypeName)).toEqual([
      'REQUEST', 'PROPOSAL', 'ACK', 'COMMIT', 'PING', 'REVALIDATE', 'SYNC', 'INFORM', 'COMMITANDACTIVATE', 'NEWLEADER',
      'FOLLOWERINFO', 'UPTODATE', 'DIFF', 'TRUNC', 'SNAP', 'OBSERVERINFO', 'LEADERINFO', 'ACKEPOCH', 'INFORMANDACTIVATE',
    ]);
    expect(packetTypeName(42)).toBe('UNKNOWN(42)');
  });

  const discovery: QuorumPacket[] = [
    followerInfo,
    { type: PacketType.LEADERINFO, zxid: makeZxid(4n, 0n), data: encodeIntData(0x10000), authinfo: undefined },
    { type: PacketType.ACKEPOCH, zxid: makeZxid(3n, 9n), data: encodeIntData(-1), authinfo: undefined },
    { type: PacketType.DIFF, zxid: makeZxid(3n, 9n), data: undefined, authinfo: undefined },
    { type: PacketType.PROPOSAL, zxid: makeZxid(4n, 1n), data: new Uint8Array(300).fill(7), authinfo: [{ scheme: 'sasl', id: 'zk' }] },
    { type: PacketType.NEWLEADER, zxid: makeZxid(4n, 0n), data: new TextEncoder().encode('version=0'), authinfo: undefined },
    { type: PacketType.UPTODATE, zxid: -1n, data: undefined, authinfo: undefined },
  ];
  const stream = concat(...discovery.map(encodeQuorumPacket));

  const decodeAll = (chunks: Uint8Array[], decoder = new QuorumPacketDecoder()) => {
    const packets: QuorumPacket[] = [];
    for (const chunk of chunks) expect(decoder.push(chunk, (p) => packets.push(p))).toBeUndefined();
    expect(decoder.bufferedBytes).toBe(0);
    return packets;
  };

  it('the stream decoder yields the same packets however the stream is split in two', () => {
    for (let offset = 0; offset <= stream.byteLength; offset++) {
      expect(decodeAll([stream.slice(0, offset), stream.slice(offset)]), `split at ${offset}`).toEqual(discovery);
    }
  });

  it('the stream decoder yields the same packets from one-byte chunks, and from chunks reused by the caller', () => {
    const one: Uint8Array[] = [];
    for (let i = 0; i < stream.byteLength; i++) one.push(stream.slice(i, i + 1));
    expect(decodeAll(one)).toEqual(discovery);
    // A socket may hand us the same buffer again; the decoder must have copied what it keeps.
    const decoder = new QuorumPacketDecoder();
    const scratch = new Uint8Array(5);
    const packets: QuorumPacket[] = [];
    for (let i = 0; i < stream.byteLength; i += 5) {
      const piece = stream.subarray(i, i + 5);
      scratch.set(piece);
      decoder.push(scratch.subarray(0, piece.byteLength), (p) => packets.push(p));
      scratch.fill(0xee);
    }
    expect(packets).toEqual(discovery);
  });

  it.each([
    ['a data length of -2', '00000002 0000000000000000 fffffffe'],
    ['a data length above jute.maxbuffer', '00000002 0000000000000000 00100000'],
    ['an authinfo count of -2', '00000002 0000000000000000 ffffffff fffffffe'],
    ['an authinfo count of 65', '00000002 0000000000000000 ffffffff 00000041'],
  ])('the stream decoder rejects %s without waiting for more bytes, and stays broken', (_what, text) => {
    const decoder = new QuorumPacketDecoder();
    const error = decoder.push(fromHex(text), () => expect.unreachable());
    expect(error).toBeTypeOf('string');
    expect(decoder.push(encodeQuorumPacket(followerInfo), () => expect.unreachable())).toBe(error);
  });

  it('a packet larger than packetBytesMax is refused even when each field is within jute.maxbuffer', () => {
    const decoder = new QuorumPacketDecoder({ fieldBytesMax: 100, packetBytesMax: 120, authinfoCountMax: 4 });
    const packet: QuorumPacket = { type: 2, zxid: 0n, data: new Uint8Array(90), authinfo: [{ scheme: 'x'.repeat(60), id: '' }] };
    expect(decoder.push(encodeQuorumPacket(packet), () => expect.unreachable())).toMatch(/larger than 120/);
  });

  it('decodeQuorumPacket refuses trailing and missing bytes', () => {
    const bytes = encodeQuorumPacket(followerInfo);
    expect(decodeQuorumPacket(concat(bytes, fromHex('00'))).ok).toBe(false);
    expect(decodeQuorumPacket(bytes.subarray(0, bytes.byteLength - 1)).ok).toBe(false);
  });

  it('round-trips any packet through the stream decoder (fast-check; the seed is printed on failure)', () => {
    const packet = fc.record({
      type: fc.integer({ min: -5, max: 25 }),
      zxid: fc.bigInt({ min: longMin, max: 2n ** 63n - 1n }),
      data: fc.option(fc.uint8Array({ maxLength: 64 }), { nil: undefined }),
      authinfo: fc.option(fc.array(fc.record({ scheme: fc.string({ maxLength: 8 }), id: fc.string({ maxLength: 8 }) }), { maxLength: 3 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(packet, { maxLength: 6 }), fc.integer({ min: 1, max: 40 }), (packets, chunkSize) => {
        const bytes = concat(...packets.map(encodeQuorumPacket));
        const chunks: Uint8Array[] = [];
        for (let i = 0; i < bytes.byteLength; i += chunkSize) chunks.push(bytes.slice(i, i + chunkSize));
        expect(decodeAll(chunks)).toEqual(packets);
      }),
      { seed: 0x9a11, numRuns: 300 },
    );
  });
});

describe('quorum port: the payloads of the discovery packets', () => {
  it('LearnerInfo is long serverid, int protocolVersion, long configVersion', () => {
    const info = { serverid: 5n, protocolVersion: 0x10000, configVersion: 7n };
    expect(decodeLearnerInfo(encodeLearnerInfo(info))).toEqual(info);
  });

  it('LearnerHandler reads as much LearnerInfo as an older learner sent', () => {
    const full = encodeLearnerInfo({ serverid: 5n, protocolVersion: 0x10000, configVersion: 7n });
    expect(decodeLearnerInfo(full.subarray(0, 8))).toEqual({ serverid: 5n, protocolVersion: undefined, configVersion: undefined });
    expect(decodeLearnerInfo(full.subarray(0, 12))).toEqual({ serverid: 5n, protocolVersion: 0x10000, configVersion: undefined });
    expect(decodeLearnerInfo(undefined)).toEqual({ serverid: undefined, protocolVersion: undefined, configVersion: undefined });
  });

  it('LEADERINFO and ACKEPOCH carry one big-endian int; ACKEPOCH -1 means "already accepted this epoch"', () => {
    expect(hex(encodeIntData(0x10000))).toBe('00010000');
    expect(decodeIntData(encodeIntData(-1))).toEqual({ ok: true, value: -1 });
    expect(decodeIntData(fromHex('0001')).ok).toBe(false);
    expect(decodeIntData(undefined).ok).toBe(false);
  });

  it('a zxid is the epoch in the high 32 bits and the counter in the low 32', () => {
    expect(makeZxid(3n, 9n)).toBe(0x300000009n);
    expect(epochOf(0x300000009n)).toBe(3n);
    expect(counterOf(0x300000009n)).toBe(9n);
    expect(makeZxid(0x80000000n, 0n)).toBe(-(2n ** 63n)); // Java's long wraps; so do we
    expect(epochOf(-1n)).toBe(-1n);
  });
});
