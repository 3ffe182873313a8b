import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { QuorumCnxManager, type ElectionAddress } from './cnx-manager.ts';
import { ElectionRunner, quorumVerifierText, type ElectionOutcome, type EnsembleMember } from './election-runner.ts';
import { electionFrame, encodeInitialMessage, encodeNotification, makeZxid, PROTOCOL_VERSION_V1, type NotificationMessage } from './wire.ts';
import { freePorts } from '../testing/ports.ts';

// Everything here listens on 127.0.0.1 only, and every manager, runner and
// socket a test opens is closed in afterEach, pass or fail.
const host = '127.0.0.1';
const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (closers.length > 0) await closers.pop()!();
});

/** Polls `condition` every 5 ms; fails with `what` after `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean, timeoutMs: number): Promise<number> {
  const startMs = Date.now();
  while (!condition()) {
    if (Date.now() - startMs > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Date.now() - startMs;
}

const notification = (leader: number, round: number): NotificationMessage => ({
  state: 'LOOKING',
  leader: BigInt(leader),
  zxid: makeZxid(1n, BigInt(leader)),
  electionEpoch: BigInt(round),
  peerEpoch: 1n,
  version: 2,
  config: 'version=0',
});

function manager(myid: number, servers: ElectionAddress[], received: [number, NotificationMessage][], log?: string[]): QuorumCnxManager {
  const m = new QuorumCnxManager({
    myid,
    servers,
    cnxTimeoutMs: 1000,
    onNotification: (from, n) => received.push([from, n]),
    ...(log === undefined ? {} : { log: (_level, event) => log.push(event) }),
  });
  closers.push(() => m.close());
  return m;
}

describe('QuorumCnxManager on 127.0.0.1', () => {
  it('keeps one connection per pair, the one the larger sid opened', async () => {
    const [p1, p2] = await freePorts(2);
    const servers = [{ sid: 1, host, electionPort: p1! }, { sid: 2, host, electionPort: p2! }];
    const at1: [number, NotificationMessage][] = [];
    const at2: [number, NotificationMessage][] = [];
    const m1 = manager(1, servers, at1);
    const m2 = manager(2, servers, at2);
    await Promise.all([m1.start(), m2.start()]);

    m1.send(2, encodeNotification(notification(1, 1))); // 1 dials 2, loses the challenge, 2 dials back
    await waitFor('2 to receive from 1', () => at2.length === 1, 5000);
    expect(at2).toEqual([[1, notification(1, 1)]]);
    // Once each, unless 1's retry timer (50 ms) fires before 2 has dialled back, as it may on a loaded machine.
    expect(m1.stats.challengesLost).toBeGreaterThanOrEqual(1);
    expect(m2.stats.droppedFromSmallerSid).toBeGreaterThanOrEqual(1);
    expect(m1.connectionOpener(2)).toBe('peer');
    expect(m2.connectionOpener(1)).toBe('us');

    m2.send(1, encodeNotification(notification(2, 1)));
    await waitFor('1 to receive from 2', () => at1.length === 1, 5000);
    expect(at1).toEqual([[2, notification(2, 1)]]);
    expect(m1.connectionOpener(2)).toBe('peer');
  });

  it('keeps only the newest message for a peer that is down, and delivers it once the peer is up', async () => {
    const [p1, p2] = await freePorts(2);
    const servers = [{ sid: 1, host, electionPort: p1! }, { sid: 2, host, electionPort: p2! }];
    const at2: [number, NotificationMessage][] = [];
    const m2sends = manager(2, servers, []);
    await m2sends.start();
    for (const round of [1, 2, 3]) m2sends.send(1, encodeNotification(notification(2, round)));
    await waitFor('a failed connection attempt', () => m2sends.stats.connectAttemptsFailed >= 1, 5000);

    const m1 = manager(1, servers, at2);
    await m1.start();
    await waitFor('the queued notification', () => at2.length >= 1, 5000); // retried within the back-off (<= cnxTimeout)
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(at2).toEqual([[2, notification(2, 3)]]);
  });

  it('retries an unreachable peer with a back-off that doubles up to cnxTimeout, and reaches it within cnxTimeout once it is up', async () => {
    const [p1, p2] = await freePorts(2);
    const servers = [{ sid: 1, host, electionPort: p1! }, { sid: 2, host, electionPort: p2! }];
    const m2 = new QuorumCnxManager({ myid: 2, servers, cnxTimeoutMs: 200, reconnectBackoffMsMin: 50, onNotification: () => {} });
    closers.push(() => m2.close());
    await m2.start();
    m2.send(1, encodeNotification(notification(2, 1)));
    await new Promise((resolve) => setTimeout(resolve, 2000));
    // Attempts at about 0, 50, 150, 350, 550, ..., 1950 ms (11) because the delay stops growing at 200 ms;
    // without the bound they would be at 0, 50, 150, 350, 750, 1550 (6) and the next at 3150.
    const attempts = m2.stats.connectAttemptsFailed;
    expect(attempts).toBeGreaterThanOrEqual(8);
    expect(attempts).toBeLessThanOrEqual(12);
    const at1: [number, NotificationMessage][] = [];
    const m1 = manager(1, servers, at1);
    await m1.start();
    const reachedMs = await waitFor('the peer to be reached', () => at1.length === 1, 5000);
    expect(reachedMs).toBeLessThan(200 + 300); // one back-off period at most, plus scheduling slack
  });

  it('closes a connection whose stream breaks, delivering nothing after the break', async () => {
    const [p1, p2, p3] = await freePorts(3);
    const servers = [{ sid: 1, host, electionPort: p1! }, { sid: 2, host, electionPort: p2! }, { sid: 3, host, electionPort: p3! }];
    const received: [number, NotificationMessage][] = [];
    const m2 = manager(2, servers, received);
    await m2.start();
    // Server 3 (larger sid, so 2 keeps the connection) introduces itself, sends one good frame, then a zero-length one.
    const socket = net.connect({ host, port: p2! });
    closers.push(() => void socket.destroy());
    const closedPromise = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(encodeInitialMessage({ protocolVersion: PROTOCOL_VERSION_V1, sid: 3n, electionAddresses: [`${host}:${p3}`] }));
    socket.write(electionFrame(encodeNotification(notification(3, 1))));
    socket.write(new Uint8Array([0, 0, 0, 0]));
    socket.write(electionFrame(encodeNotification(notification(3, 2))));
    await closedPromise;
    expect(received).toEqual([[3, notification(3, 1)]]);
    expect(m2.stats.streamsBroken).toBe(1);
  });

  it('drops a frame that is not a notification and keeps the connection', async () => {
    const [p1, p2] = await freePorts(2);
    const servers = [{ sid: 1, host, electionPort: p1! }, { sid: 2, host, electionPort: p2! }];
    const at1: [number, NotificationMessage][] = [];
    const m1 = manager(1, servers, at1);
    const m2 = manager(2, servers, []);
    await Promise.all([m1.start(), m2.start()]);
    m2.send(1, encodeNotification(notification(2, 4)));
    await waitFor('a connection', () => at1.length === 1, 5000);
    // Connected, so nothing waits in the one-message queue and both frames go out.
    m2.send(1, new Uint8Array(27)); // WorkerReceiver ignores anything under 28 bytes
    m2.send(1, encodeNotification(notification(2, 5)));
    await waitFor('the next good notification', () => at1.length === 2, 5000);
    expect(m1.stats.notificationsMalformed).toBe(1);
    expect(at1).toEqual([[2, notification(2, 4)], [2, notification(2, 5)]]);
    expect(m1.stats.connectionsEstablished).toBe(1);
  });
});

describe('Fast Leader Election between three servers on 127.0.0.1', () => {
  async function ensemble() {
    const ports = await freePorts(6);
    const members: EnsembleMember[] = [1, 2, 3].map((sid, i) => ({ sid, host, quorumPort: ports[2 * i]!, electionPort: ports[2 * i + 1]!, peerType: 'participant' }));
    // Server 2 has the highest zxid, so it must lead whatever the order of messages.
    const inputs = new Map([1, 2, 3].map((sid) => [sid, { currentEpoch: 1n, lastLoggedZxid: makeZxid(1n, sid === 2 ? 10n : 5n) }]));
    const outcomes = new Map<number, ElectionOutcome[]>();
    const runners = new Map<number, ElectionRunner>();
    const launch = async (sid: number) => {
      outcomes.set(sid, []);
      const runner = new ElectionRunner({ myid: sid, members, cnxTimeoutMs: 1000, onElected: (o) => outcomes.get(sid)!.push(o) });
      closers.push(() => runner.close());
      runners.set(sid, runner);
      await runner.listen();
      return runner;
    };
    return { members, inputs, outcomes, runners, launch };
  }

  it('elects the server with the highest zxid within a bounded time, and a restarted server rejoins it', async () => {
    const { inputs, outcomes, runners, launch } = await ensemble();
    for (const sid of [1, 2, 3]) await launch(sid);
    const startMs = Date.now();
    for (const sid of [1, 2, 3]) runners.get(sid)!.startElection(inputs.get(sid)!);
    const electedMs = await waitFor('three decisions', () => [1, 2, 3].every((sid) => outcomes.get(sid)!.length === 1), 5000);
    expect(Date.now() - startMs).toBeLessThan(5000);
    for (const sid of [1, 2, 3]) {
      expect(outcomes.get(sid)![0], `server ${sid}`).toMatchObject({ leader: 2n, zxid: makeZxid(1n, 10n), epoch: 1n, state: sid === 2 ? 'LEADING' : 'FOLLOWING' });
    }
    expect(electedMs).toBeGreaterThanOrEqual(200); // finalizeWait is part of every decision

    // Kill (close) server 3, a follower with a larger sid than the leader, and start it again on the same port.
    for (const restarted of [3, 1]) {
      await runners.get(restarted)!.close();
      const again = await launch(restarted);
      again.startElection(inputs.get(restarted)!);
      await waitFor(`server ${restarted} to rejoin`, () => outcomes.get(restarted)!.length === 1, 5000);
      expect(outcomes.get(restarted)![0], `server ${restarted}`).toMatchObject({ leader: 2n, state: 'FOLLOWING' });
      expect(outcomes.get(2)!.length).toBe(1); // the leader was never disturbed
    }
  });

  it('sends the ensemble as QuorumMaj.toString does', () => {
    const members: EnsembleMember[] = [
      { sid: 2, host: '::1', quorumPort: 2889, electionPort: 3889, peerType: 'participant' },
      { sid: 1, host: '127.0.0.1', quorumPort: 2888, electionPort: 3888, peerType: 'observer' },
    ];
    expect(quorumVerifierText(members)).toBe('server.1=127.0.0.1:2888:3888:observer\nserver.2=[::1]:2889:3889:participant\nversion=0');
  });
});
