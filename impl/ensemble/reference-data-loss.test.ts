// The evidence that excuses a ZooKeeper run's violations must be exactly the
// ZOOKEEPER-4643 pattern: a self-vote with an epoch adopted during a DIFF
// synchronisation and a zxid below what that DIFF sent. The first log is the
// one the nemesis story left when ZooKeeper 3.8.0 lost 50+ acknowledged
// creates (member 2's lines, trimmed); the others are the near misses that
// must not count.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Ensemble } from './cluster.ts';
import { forgottenHistories, unexcusedViolations } from './reference-data-loss.ts';

const vote = (sid: number, leader: number, epoch: number, zxid: string) =>
  `INFO  [WorkerReceiver[myid=${sid}]:FastLeaderElection$Messenger$WorkerReceiver@391] - Notification: my state:LOOKING; n.sid:${sid}, n.state:LOOKING, n.leader:${leader}, n.round:0x5, n.peerEpoch:0x${epoch.toString(16)}, n.zxid:0x${zxid}, message format version:0x2, n.config version:0x0`;
const election = (sid: number, zxid: string) => `INFO  [QuorumPeer[myid=${sid}]:FastLeaderElection@946] - New election. My id = ${sid}, proposed zxid=0x${zxid}`;
const diff = (zxid: string) => `INFO  [QuorumPeer[myid=2]:Learner@565] - Getting a diff from the leader 0x${zxid}`;
const trunc = (zxid: string) => `WARN  [QuorumPeer[myid=2]:Learner@599] - Truncating log to get in sync with the leader 0x${zxid}`;

describe('forgottenHistories (ZooKeeper server.log)', () => {
  it('finds the member that adopted epoch 3 at NEWLEADER and then voted without the DIFF it was sent', () => {
    const log = [
      election(2, '1000005fa'),
      vote(2, 2, 1, '1000005fa'),
      vote(2, 3, 2, '2000009f2'), // another member's vote: ignored
      diff('2000009f2'),
      'WARN  [QuorumPeer[myid=2]:Follower@128] - Exception when following the leader',
      election(2, '1000005fa'),
      vote(2, 2, 3, '1000005fa'),
    ].join('\n');
    const found = forgottenHistories(log, 2);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ member: 2, sentUpTo: 0x2000009f2n, epochBefore: 1, votedEpoch: 3, votedZxid: 0x1000005fan });
    expect(found[0]!.lines).toHaveLength(3);
    // Another member's reading of the same log finds nothing.
    expect(forgottenHistories(log, 1)).toEqual([]);
  });

  it('does not count a member that lost the DIFF before NEWLEADER (its epoch did not move), one that kept it, or one TRUNCed since', () => {
    const crashedBeforeNewLeader = [election(2, '1000005fa'), vote(2, 2, 1, '1000005fa'), diff('2000009f2'), '=== restarted ===', election(2, '1000005fa'), vote(2, 2, 1, '1000005fa')];
    const keptIt = [election(2, '1000005fa'), vote(2, 2, 1, '1000005fa'), diff('2000009f2'), election(2, '3000000a0'), vote(2, 2, 3, '3000000a0')];
    const truncatedSince = [election(2, '1000005fa'), vote(2, 2, 1, '1000005fa'), diff('2000009f2'), trunc('1000005fa'), election(2, '1000005fa'), vote(2, 2, 3, '1000005fa')];
    const noEarlierVote = [diff('2000009f2'), election(2, '1000005fa'), vote(2, 2, 3, '1000005fa')];
    for (const lines of [crashedBeforeNewLeader, keptIt, truncatedSince, noEarlierVote]) expect(forgottenHistories(lines.join('\n'), 2)).toEqual([]);
  });
});

describe('unexcusedViolations', () => {
  // Just what it reads of an Ensemble: its kind, its ids and where each member's log is.
  const ensembleWithLogs = (kind: 'ours' | 'zookeeper', logs: Record<number, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'reference-data-loss-'));
    for (const [id, text] of Object.entries(logs)) writeFileSync(join(dir, `server-${id}.log`), text);
    const e = { options: { kind }, ids: Object.keys(logs).map(Number), member: (id: number) => ({ logPath: join(dir, `server-${id}.log`) }) };
    return { e: e as unknown as Ensemble, done: () => rmSync(dir, { recursive: true, force: true }) };
  };
  const lossLog = [election(2, '1000005fa'), vote(2, 2, 1, '1000005fa'), diff('2000009f2'), election(2, '1000005fa'), vote(2, 2, 3, '1000005fa')].join('\n');
  const cleanLog = [election(1, '0'), vote(1, 1, 0, '0')].join('\n');
  const violations = ['member 1: acknowledged create /nemesis/c/w1-39 is missing (error -101)'];

  it("excuses a ZooKeeper run's violations only with the evidence in its logs, and prints it", () => {
    const withEvidence = ensembleWithLogs('zookeeper', { 1: cleanLog, 2: lossLog });
    const excused = unexcusedViolations(withEvidence.e, violations);
    withEvidence.done();
    expect(excused.unexcused).toEqual([]);
    expect(excused.note).toContain('member 2 was sent history up to 0x2000009f2 in a DIFF, adopted epoch 3 (it had 1), then voted with zxid 0x1000005fa: ZOOKEEPER-4643');
    expect(excused.note).toContain(violations[0]);

    const without = ensembleWithLogs('zookeeper', { 1: cleanLog, 2: cleanLog });
    expect(unexcusedViolations(without.e, violations)).toEqual({ unexcused: violations });
    without.done();
  });

  it('never excuses ours, whatever its logs say', () => {
    const ours = ensembleWithLogs('ours', { 1: cleanLog, 2: lossLog });
    expect(unexcusedViolations(ours.e, violations)).toEqual({ unexcused: violations });
    ours.done();
  });
});
