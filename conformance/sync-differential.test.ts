// impl/quorum/peer's sync choice against spec/zab's syncFollower on random
// histories and learner positions (a differential test, as etcd-io/raft's of
// its fast commit-index code): the same mode, zxid and proposals, except where
// spec/zab reads old proposals from the txn log (its case 4a, a DIFF below the
// committedLog) and the core sends SNAP (impl/quorum/peer/README.md: no txnlog
// sync). It lives in conformance because it reads both sides; impl never
// imports spec.

import { describe, expect, it } from 'vitest';
import { restartFromDisk } from '../spec/zab/step.ts';
import { syncFollower as specSyncFollower } from '../spec/zab/sync.ts';
import type { Txn, ZabMessage, ZabNode } from '../spec/zab/types.ts';
import { zxid as specZxid } from '../spec/zab/types.ts';
import { startLeading, syncFollower } from '../impl/quorum/peer/leader.ts';
import { indexOfZxid, makeZxid } from '../impl/quorum/peer/history.ts';
import { seededRandom } from '../lib/random.ts';
import type { LeaderPeer, PeerMessage, PeerTxn } from '../impl/quorum/peer/types.ts';

const toBig = (z: { epoch: number; counter: number }) => makeZxid(z.epoch, BigInt(z.counter));

/** A message reduced to what both reducers share: type and zxid. */
function shape(message: ZabMessage | PeerMessage): string {
  switch (message.type) {
    case 'DIFF':
    case 'TRUNC':
    case 'SNAP':
    case 'COMMIT':
      return `${message.type} ${typeof message.zxid === 'bigint' ? message.zxid : toBig(message.zxid)}`;
    case 'PROPOSAL':
      return `PROPOSAL ${typeof message.txn.zxid === 'bigint' ? message.txn.zxid : toBig(message.txn.zxid)}`;
    case 'NEWLEADER':
      return `NEWLEADER ${message.epoch}`;
    default:
      return message.type;
  }
}

describe('chooseSync / syncFollower against spec/zab', () => {
  it('agrees on 2,000 random leader histories and learner zxids (seeded)', () => {
    const seed = 20261122;
    const random = seededRandom(seed);
    const int = (n: number) => Math.floor(random() * n);
    let compared = 0;
    let txnLogCases = 0;
    for (let run = 0; run < 2_000; run++) {
      // A leader history over epochs 1..3 with 0..3 txns each; the learner is a voter (sid 1) or an observer (sid 3).
      const history: Txn[] = [];
      for (let epoch = 1; epoch <= 3; epoch++) {
        const count = int(4);
        for (let c = 1; c <= count; c++) history.push({ zxid: specZxid(epoch, c), value: history.length + 1 });
      }
      const lastCommitted = int(history.length + 1);
      const window = 1 + int(4);
      const lastSnapshot = Math.max(0, lastCommitted - window);
      // The learner's last zxid: one of ours, zero, one between ours (another branch), or past ours.
      const candidates = [...history.map((t) => t.zxid), specZxid(0, 0), specZxid(1 + int(3), 1 + int(5)), specZxid(4, 1)];
      const peerLast = candidates[int(candidates.length)]!;
      const sid = random() < 0.7 ? 1 : 3;

      const specNode: ZabNode = {
        ...restartFromDisk(0, { voters: 3, servers: 4, fle: false, mutant: undefined }, { log: history, acceptedEpoch: 4, currentEpoch: 4, lastSnapshot }),
        state: 'LEADING',
        zabState: 'BROADCAST',
        lastCommitted,
        lastSnapshot,
        learners: 0b1011,
        acks: history.map(() => 0),
      };
      const peerHistory: PeerTxn[] = history.map((t) => ({ zxid: toBig(t.zxid), data: new Uint8Array([t.value]) }));
      const leader: LeaderPeer = {
        ...startLeading(0, { voters: 3, committedLogCountMax: window }, { acceptedEpoch: 4, currentEpoch: 4, log: peerHistory, snapshotCount: lastCommitted }),
        phase: 'BROADCAST',
        learners: 0b1011,
      };
      const specMessages = specSyncFollower(specNode, sid, peerLast).effects.map((e) => (e.type === 'send' ? shape(e.message) : e.type));
      const ours = syncFollower(leader, sid, toBig(peerLast)).effects.map((e) => (e.type === 'send' ? shape(e.message) : e.type));
      const specTxnLogDiff =
        specMessages[0]!.startsWith('DIFF') && lastSnapshot < lastCommitted && toBig(peerLast) < peerHistory[lastSnapshot]!.zxid && indexOfZxid(peerHistory, toBig(peerLast)) > 0;
      if (specTxnLogDiff) {
        txnLogCases++;
        expect(ours[0], `seed ${seed} run ${run}`).toMatch(/^SNAP /);
        continue;
      }
      expect(ours, `seed ${seed} run ${run}: peer 0x${toBig(peerLast).toString(16)}, committed ${lastCommitted}/${history.length}, window ${window}`).toEqual(specMessages);
      compared++;
    }
    // Most cases compare message for message; the txn-log DIFFs are the documented difference.
    // Pinned for this seed: a change in either reducer's choice shows up here.
    expect({ compared, txnLogCases }).toEqual({ compared: 1_795, txnLogCases: 205 });
  });
});
