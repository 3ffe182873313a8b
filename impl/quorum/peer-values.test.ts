// The value ranges of a peer's notification and LearnerInfo (peer-values.ts):
// what members and observers really send passes, out-of-range values are
// refused with the field named, and an election port drops such a
// notification (logged, counted) instead of handing it to the election.

import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { JuteWriter } from '../protocol/jute.ts';
import { freePorts } from '../testing/ports.ts';
import { QuorumCnxManager } from './cnx-manager.ts';
import { checkLearnerInfo, checkNotification } from './peer-values.ts';
import { electionFrame, encodeInitialMessage, encodeNotification, makeZxid, PROTOCOL_VERSION_V1, type NotificationMessage } from './wire.ts';

const longMin = -(2n ** 63n);
const vote: NotificationMessage = { state: 'LOOKING', leader: 3n, zxid: makeZxid(2n, 7n), electionEpoch: 4n, peerEpoch: 2n, version: 2, config: 'version=0' };

describe('peer values', () => {
  it("accepts members' and observers' notifications, and a fresh server's (zxid -1)", () => {
    expect(checkNotification(vote).ok).toBe(true);
    expect(checkNotification({ ...vote, state: 'OBSERVING', leader: longMin, zxid: longMin, peerEpoch: longMin }).ok).toBe(true);
    expect(checkNotification({ ...vote, zxid: -1n, peerEpoch: -1n, electionEpoch: 0n }).ok).toBe(true);
  });

  it('refuses out-of-range notification values, naming the field', () => {
    const refused = (n: NotificationMessage) => {
      const checked = checkNotification(n);
      return checked.ok ? 'accepted' : checked.error;
    };
    expect(refused({ ...vote, leader: -2n })).toContain('leader');
    expect(refused({ ...vote, leader: 2n ** 60n })).toContain('leader');
    expect(refused({ ...vote, zxid: -5n })).toContain('zxid');
    expect(refused({ ...vote, electionEpoch: -1n })).toContain('electionEpoch');
    expect(refused({ ...vote, peerEpoch: 2n ** 32n })).toContain('peerEpoch');
  });

  it('reads the server id of a LearnerInfo, and refuses a missing, negative or huge one', () => {
    expect(checkLearnerInfo({ serverid: 4n, protocolVersion: 0x10000, configVersion: 0n })).toEqual({ ok: true, value: 4 });
    expect(checkLearnerInfo({ serverid: 4n, protocolVersion: undefined, configVersion: undefined })).toEqual({ ok: true, value: 4 });
    for (const serverid of [undefined, -1n, 2n ** 60n]) expect(checkLearnerInfo({ serverid, protocolVersion: undefined, configVersion: undefined }).ok).toBe(false);
    expect(checkLearnerInfo({ serverid: 4n, protocolVersion: 0x10000, configVersion: -3n }).ok).toBe(false);
  });
});

const host = '127.0.0.1';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

describe('the election port with out-of-range notifications', () => {
  it('drops and logs them, keeps the connection, and delivers the good ones around them', async () => {
    const [p1, p2] = await freePorts(2);
    const received: NotificationMessage[] = [];
    const events: string[] = [];
    const m1 = new QuorumCnxManager({
      myid: 1,
      servers: [{ sid: 1, host, electionPort: p1! }, { sid: 2, host, electionPort: p2! }],
      cnxTimeoutMs: 1000,
      onNotification: (_from, n) => received.push(n),
      log: (_level, event) => events.push(event),
    });
    closers.push(() => m1.close());
    await m1.start();
    const socket = net.connect({ host, port: p1! });
    closers.push(() => void socket.destroy());
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    // Server 2 (larger sid: 1 keeps the connection) sends a good vote, one for an epoch past 2^32, one with a negative round, then a good one.
    const raw = (n: NotificationMessage) => new JuteWriter(64).writeInt(0).writeLong(n.leader).writeLong(n.zxid).writeLong(n.electionEpoch).writeLong(n.peerEpoch).writeInt(2).writeString('version=0').toBytes();
    socket.write(encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 2n, electionAddresses: [`${host}:${p2}`] }));
    socket.write(electionFrame(encodeNotification(vote)));
    socket.write(electionFrame(raw({ ...vote, peerEpoch: 2n ** 40n })));
    socket.write(electionFrame(raw({ ...vote, electionEpoch: -9n })));
    socket.write(electionFrame(encodeNotification({ ...vote, electionEpoch: 5n })));
    const deadline = Date.now() + 5000;
    while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(received).toEqual([vote, { ...vote, electionEpoch: 5n }]);
    expect(m1.stats.notificationsMalformed).toBe(2);
    expect(events.filter((e) => e === 'malformed-notification')).toHaveLength(2);
    expect(socket.destroyed).toBe(false);
  });
});
