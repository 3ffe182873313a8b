// compact() drops the committed past a running peer no longer needs. The
// claim to check: a compacted peer answers every event exactly as the
// uncompacted one does (same effects), and its sync choices agree for every
// learner the committedLog still covers; older learners get a SNAP.

import { describe, expect, it } from 'vitest';
import { compact } from './compact.ts';
import { chooseSync, startLeading } from './leader.ts';
import { startFollowing } from './learner.ts';
import { makeZxid } from './history.ts';
import { step } from './step.ts';
import type { LeaderPeer, LearnerPeer, Peer, PeerConfig, PeerEffect, PeerEvent, PeerTxn } from './types.ts';

const config: PeerConfig = { voters: 3, committedLogCountMax: 3 };
const txn = (epoch: number, counter: number): PeerTxn => ({ zxid: makeZxid(epoch, BigInt(counter)), data: new Uint8Array([counter]) });

function run(peer: Peer, events: readonly PeerEvent[], compacting: boolean): { peer: Peer; effects: PeerEffect[] } {
  let state = peer;
  const effects: PeerEffect[] = [];
  for (const event of events) {
    const t = step(state, event);
    state = compacting ? compact(t.state) : t.state;
    effects.push(...t.effects);
  }
  return { peer: state, effects };
}

const recv = (from: number, message: Extract<PeerEvent, { type: 'Receive' }>['message']): PeerEvent => ({ type: 'Receive', from, message });

/** A leader of epoch 2 with follower 1 in broadcast, then `writes` client writes each synced and acked. */
function leaderEvents(writes: number): PeerEvent[] {
  const events: PeerEvent[] = [recv(1, { type: 'FOLLOWERINFO', acceptedEpoch: 1 }), recv(1, { type: 'ACKEPOCH', currentEpoch: 1, lastZxid: makeZxid(1, 2n) }), recv(1, { type: 'ACKLD', epoch: 2 })];
  for (let i = 1; i <= writes; i++) {
    events.push({ type: 'ClientRequest', data: new Uint8Array([i]) });
    // Acks and fsyncs arrive out of step with the writes, as they do on a loaded server.
    if (i % 3 === 0) {
      for (let j = i - 2; j <= i; j++) {
        events.push({ type: 'LogSynced', zxid: makeZxid(2, BigInt(j)) });
        events.push(recv(1, { type: 'ACK', zxid: makeZxid(2, BigInt(j)) }));
      }
    }
  }
  // A stale, duplicated ACK of a txn compacted away long ago.
  events.push(recv(1, { type: 'ACK', zxid: makeZxid(2, 1n) }));
  return events;
}

describe('compact', () => {
  it('a leader that compacts sends, logs and delivers exactly what one that does not compact does', () => {
    const start = startLeading(0, config, { acceptedEpoch: 1, currentEpoch: 1, log: [txn(1, 1), txn(1, 2)], snapshotCount: 2 });
    const events = leaderEvents(42);
    const plain = run(start, events, false);
    const compacted = run(start, events, true);
    expect(compacted.effects).toEqual(plain.effects);
    const p = plain.peer as LeaderPeer;
    const c = compacted.peer as LeaderPeer;
    // 44 txns, all committed: the compacted leader keeps between 3 and 6 of them.
    expect(p.history).toHaveLength(44);
    expect(c.history.length).toBeGreaterThanOrEqual(3);
    expect(c.history.length).toBeLessThan(7);
    expect(c.history).toEqual(p.history.slice(-c.history.length));
    expect(c.lastCommitted).toBe(c.history.length);
    // Learners inside the committedLog get the same DIFF; one behind it gets a SNAP from both.
    for (const counter of [40, 41, 42]) {
      const zxid = makeZxid(2, BigInt(counter));
      expect(chooseSync(c, zxid).mode).toBe(chooseSync(p, zxid).mode);
      expect(chooseSync(c, zxid).zxid).toBe(chooseSync(p, zxid).zxid);
    }
    expect(chooseSync(c, makeZxid(2, 5n)).mode).toBe('SNAP');
    expect(chooseSync(p, makeZxid(2, 5n)).mode).toBe('SNAP');
  });

  it('a follower that compacts logs, acks and delivers exactly what one that does not compact does', () => {
    const start = startFollowing(1, config, { acceptedEpoch: 1, currentEpoch: 1, log: [txn(1, 1)], snapshotCount: 1 }, 0);
    const events: PeerEvent[] = [
      { type: 'ConnectToLeader' },
      recv(0, { type: 'LEADERINFO', epoch: 2 }),
      recv(0, { type: 'DIFF', zxid: makeZxid(1, 1n) }),
      recv(0, { type: 'NEWLEADER', epoch: 2 }),
      recv(0, { type: 'UPTODATE' }),
    ];
    for (let i = 1; i <= 30; i++) {
      events.push(recv(0, { type: 'PROPOSAL', txn: txn(2, i) }));
      events.push({ type: 'LogSynced', zxid: makeZxid(2, BigInt(i)) });
      if (i % 2 === 0) events.push(recv(0, { type: 'COMMIT', zxid: makeZxid(2, BigInt(i)) }));
    }
    events.push(recv(0, { type: 'COMMIT', zxid: makeZxid(2, 3n) }), recv(0, { type: 'PROPOSAL', txn: txn(2, 4) }));
    const plain = run(start, events, false);
    const compacted = run(start, events, true);
    expect(compacted.effects).toEqual(plain.effects);
    const c = compacted.peer as LearnerPeer;
    expect(c.history.length).toBeLessThan(8);
    expect(c.history.at(-1)!.zxid).toBe(makeZxid(2, 30n));
  });
});
