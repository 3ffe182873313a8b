// The ensemble harness itself, told as what an operator would see: three
// members elect one leader; killing it (SIGKILL by PID) makes the other two
// elect another; the old one restarts on its own directory and follows;
// cutting the leader off through the proxies makes the other two elect a new
// leader while the isolated one stops serving; healing brings it back as a
// follower; stopping kills every PID and removes the directories. Each member
// sees the others only through proxies (its zoo.cfg lists them, and they
// carry its traffic), so the partition is real. Runs against Apache ZooKeeper 3.8 where installed and
// against ours (ZKSPEC_ENSEMBLE_OURS=0 turns that off; cluster.ts, testsRunAgainst).

import { existsSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from '../testing/processes.ts';
import { Ensemble, rewriteAdvertisedElectionPort, testsRunAgainst, type ServerKind } from './cluster.ts';

const ensembles: Ensemble[] = [];
afterEach(async () => {
  for (const e of ensembles.splice(0)) await e.stopAll();
});

async function start(kind: ServerKind): Promise<Ensemble> {
  const e = await Ensemble.start({ kind, size: 3, tickTimeMs: 200 });
  ensembles.push(e);
  return e;
}

/** QuorumCnxManager's InitialMessage (protocol -65535): version, sid, length-prefixed address, then whatever follows. */
function initialMessage(sid: bigint, address: string, rest = Buffer.alloc(0)): Buffer {
  const head = Buffer.alloc(20);
  head.writeBigInt64BE(-65535n, 0);
  head.writeBigInt64BE(sid, 8);
  head.writeInt32BE(Buffer.byteLength(address), 16);
  return Buffer.concat([head, Buffer.from(address), rest]);
}

describe('the election proxies rewrite the address a member advertises', () => {
  it('replaces the real election port with the reverse proxy port, keeping the bytes that follow', () => {
    const rest = Buffer.from([0, 0, 0, 28, 1, 2, 3]);
    const message = initialMessage(2n, '127.0.0.1:38001', rest);
    expect(rewriteAdvertisedElectionPort(message.subarray(0, 7), 38001, 4711)).toBe('more');
    expect(rewriteAdvertisedElectionPort(message.subarray(0, 25), 38001, 4711)).toBe('more');
    expect(rewriteAdvertisedElectionPort(message, 38001, 4711)).toEqual(initialMessage(2n, '127.0.0.1:4711', rest));
    // Several addresses (multiAddress): each with the real port is rewritten.
    expect(rewriteAdvertisedElectionPort(initialMessage(2n, '127.0.0.1:38001|[::1]:38001'), 38001, 4711)).toEqual(initialMessage(2n, '127.0.0.1:4711|[::1]:4711'));
  });

  it('passes through what it does not recognise: another port, the pre-3.5 format (a bare sid), a nonsense length', () => {
    const other = initialMessage(2n, '127.0.0.1:38002');
    expect(rewriteAdvertisedElectionPort(other, 38001, 4711)).toBe(other);
    const old = Buffer.alloc(8);
    old.writeBigInt64BE(2n);
    expect(rewriteAdvertisedElectionPort(old, 38001, 4711)).toBe(old);
    const bad = initialMessage(2n, 'x');
    bad.writeInt32BE(-5, 16);
    expect(rewriteAdvertisedElectionPort(bad, 38001, 4711)).toBe(bad);
  });
});

for (const kind of ['zookeeper', 'ours'] as const) {
  describe.runIf(testsRunAgainst(kind))(`a three-member ${kind} ensemble under the harness`, () => {
    it('elects one leader, re-elects when it is killed or cut off, takes it back as a follower, and stops every process', async () => {
      const e = await start(kind);
      await e.waitUntilServing(e.ids, 30_000);
      const first = await e.leader(20_000);
      expect(e.ids).toContain(first);
      const modes = await Promise.all(e.ids.map((id) => e.mode(id)));
      expect(modes.filter((m) => m === 'leader')).toHaveLength(1);
      expect(modes.filter((m) => m === 'follower')).toHaveLength(2);

      // Every member talks to the others through the proxies only: its zoo.cfg lists them at proxy ports, and they carried traffic both ways.
      for (const id of e.ids) {
        const traffic = e.peerTraffic(id)!;
        expect(traffic.forwarded, `connections of member ${id}`).toBeGreaterThan(0);
        expect(traffic.bytesToTarget).toBeGreaterThan(0);
        expect(traffic.bytesFromTarget).toBeGreaterThan(0);
      }
      const config1 = readFileSync(e.member(1).configPath, 'utf8');
      expect(config1).toContain(`server.1=127.0.0.1:${e.member(1).quorumPort}:${e.member(1).electionPort}\n`);
      expect(config1).not.toContain(`:${e.member(2).quorumPort}:`);
      expect(config1).not.toContain(`:${e.member(3).electionPort}\n`);

      // SIGKILL the leader: the other two elect one of themselves.
      const firstPid = e.pid(first)!;
      await e.kill(first);
      expect(processAlive(firstPid)).toBe(false);
      const second = await e.leader(20_000);
      expect(second).not.toBe(first);

      // The old leader restarts on the same directory and follows.
      e.restart(first);
      await e.waitUntilServing([first], 30_000);
      expect(await e.leader(20_000)).toBe(second);
      expect(await e.mode(first)).toBe('follower');

      // Cut the leader off: it stops serving, the other two elect a leader.
      e.partition(second);
      const third = await e.leader(20_000);
      expect(third).not.toBe(second);
      const deadline = Date.now() + 10_000;
      while ((await e.mode(second)) !== undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await e.mode(second)).toBeUndefined();

      // Heal: it comes back as a follower of the new leader.
      e.heal(second);
      await e.waitUntilServing([second], 20_000);
      expect(await e.leader(20_000)).toBe(third);
      expect(await e.mode(second)).toBe('follower');

      const pids = e.ids.map((id) => e.pid(id)!);
      await e.stopAll();
      ensembles.length = 0;
      expect(pids.filter(processAlive)).toEqual([]);
      expect(existsSync(e.baseDir)).toBe(false);
    }, 90_000);

    it('runs an observer beside three voters: it serves reads and writes but never leads, and the voters elect without it', async () => {
      const e = await Ensemble.start({ kind, size: 3, observers: 1, tickTimeMs: 200 });
      ensembles.push(e);
      expect(e.member(4).peerType).toBe('observer');
      expect(readFileSync(e.member(4).configPath, 'utf8')).toMatch(/^peerType=observer$/m);
      expect(readFileSync(e.member(1).configPath, 'utf8')).toMatch(/^server\.4=127\.0\.0\.1:\d+:\d+:observer$/m);
      await e.waitUntilServing(e.ids, 30_000);
      const leader = await e.leader(20_000);
      expect(leader).not.toBe(4);
      expect(await e.mode(4)).toBe('observer');
      // Killing the leader leaves two voters of three: still a quorum, and the observer follows the new leader.
      await e.kill(leader);
      const next = await e.leader(20_000);
      expect([1, 2, 3]).toContain(next);
      expect(next).not.toBe(leader);
      await e.waitUntilServing([4], 20_000);
      expect(await e.mode(4)).toBe('observer');
    }, 60_000);
  });
}
