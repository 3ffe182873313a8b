// The ensemble stories run against Apache ZooKeeper too, to show that what
// they demand is fair. The reference is Debian 12's ZooKeeper 3.8.0, and it
// can lose acknowledged writes: the seeded nemesis story caught it (CI, and
// 1 run in 5 here with the default seed). The members' logs show the failure
// ZOOKEEPER-4643 describes: a follower handles NEWLEADER by writing the new
// currentEpoch before the proposals of the DIFF it was sent are in its txn
// log (3.8.0 logs them only on UPTODATE). When its run ends between the two
// (ZOOKEEPER-4643 kills it there; in the story its leader's quorum went away),
// it rebuilds from disk and votes with the new epoch and the old zxid. Fast
// Leader Election compares epochs first, so it can win, and a leader that
// lacks committed txns TRUNCs the followers that have them.
//
// So a safety violation in a ZooKeeper run is excused only when ZooKeeper's
// own log proves it happened: a member voted for itself with an epoch it
// adopted while being synchronised and a zxid below what that DIFF sent it.
// Any other violation still fails the story, and ours is never excused
// (impl/ensemble's learner writes currentEpoch only after the synchronised
// proposals are durable, which conformance's ZOOKEEPER-4643 bug flag shows).

import { existsSync, readFileSync } from 'node:fs';
import type { Ensemble } from './cluster.ts';
import { hex } from '../../lib/hex.ts';

/** One member forgetting history it had been sent and had adopted the epoch of: the evidence, with the log lines that show it. */
export type ForgottenHistory = {
  readonly member: number;
  /** The leader's last zxid when it sent the DIFF ("Getting a diff from the leader"). */
  readonly sentUpTo: bigint;
  /** The member's currentEpoch before that synchronisation (its last vote before it). */
  readonly epochBefore: number;
  /** Its next vote for itself: an epoch adopted at NEWLEADER, a zxid below `sentUpTo`. */
  readonly votedEpoch: number;
  readonly votedZxid: bigint;
  readonly lines: readonly string[];
};

const parseHex = (s: string) => BigInt(`0x${s}`);
const diffLine = /Getting a diff from the leader 0x([0-9a-f]+)/;
const otherSync = /Truncating log to get in sync with the leader|Getting a snapshot from leader/;
const newElection = /New election\. My id = (\d+), proposed zxid=0x([0-9a-f]+)/;
const notification = /Notification: .*n\.sid:(\d+), .*n\.leader:(\d+), .*n\.peerEpoch:0x([0-9a-f]+), n\.zxid:0x([0-9a-f]+)/;

/** Reads one ZooKeeper member's server.log (every run of the member appended to it) for forgotten synchronised history. */
export function forgottenHistories(log: string, member: number): ForgottenHistory[] {
  const found: ForgottenHistory[] = [];
  let epochBefore: number | undefined; // the epoch of the member's last vote for itself
  let sync: { sentUpTo: bigint; epochBefore: number; line: string } | undefined;
  let election: { zxid: bigint; line: string } | undefined;
  for (const line of log.split('\n')) {
    const diff = diffLine.exec(line);
    if (diff !== null) {
      sync = epochBefore === undefined ? undefined : { sentUpTo: parseHex(diff[1]!), epochBefore, line };
      continue;
    }
    if (otherSync.test(line)) {
      sync = undefined; // TRUNC or SNAP: what the member should hold afterwards is not in the log
      continue;
    }
    const started = newElection.exec(line);
    if (started !== null && Number(started[1]) === member) {
      election = { zxid: parseHex(started[2]!), line };
      continue;
    }
    const vote = notification.exec(line);
    if (vote === null || Number(vote[1]) !== member || Number(vote[2]) !== member || election === undefined) continue;
    const votedEpoch = Number(parseHex(vote[3]!));
    const votedZxid = parseHex(vote[4]!);
    if (votedZxid !== election.zxid) continue;
    if (sync !== undefined && votedZxid < sync.sentUpTo && votedEpoch > sync.epochBefore) {
      found.push({ member, sentUpTo: sync.sentUpTo, epochBefore: sync.epochBefore, votedEpoch, votedZxid, lines: [sync.line, election.line, line] });
    }
    epochBefore = votedEpoch;
    sync = undefined;
    election = undefined;
  }
  return found;
}

/** Every member's forgotten history in a ZooKeeper ensemble's logs, described for a failure message or a note. */
export function referenceDataLossEvidence(ensemble: Ensemble): string[] {
  if (ensemble.options.kind !== 'zookeeper') return [];
  return ensemble.ids.flatMap((id) => {
    const path = ensemble.member(id).logPath;
    if (!existsSync(path)) return [];
    return forgottenHistories(readFileSync(path, 'utf8'), id).map(
      (f) =>
        `member ${id} was sent history up to ${hex(f.sentUpTo)} in a DIFF, adopted epoch ${f.votedEpoch} (it had ${f.epochBefore}), ` +
        `then voted with zxid ${hex(f.votedZxid)}: ZOOKEEPER-4643\n  ${f.lines.map((l) => l.trim()).join('\n  ')}`,
    );
  });
}

/**
 * The violations a story must fail on: all of them for ours; for ZooKeeper,
 * none when its log shows a member forgetting synchronised history (the
 * story then prints the evidence), else all of them.
 */
export function unexcusedViolations(ensemble: Ensemble, violations: readonly string[]): { readonly unexcused: readonly string[]; readonly note?: string } {
  if (violations.length === 0 || ensemble.options.kind !== 'zookeeper') return { unexcused: violations };
  const evidence = referenceDataLossEvidence(ensemble);
  if (evidence.length === 0) return { unexcused: violations };
  const note =
    `Apache ZooKeeper 3.8.0 lost acknowledged writes (${violations.length} violations, first: ${violations[0]}); its logs show why:\n` +
    `${evidence.join('\n')}\nThe story's demands stand for ours; ZooKeeper's run is judged on the rest.`;
  return { unexcused: [], note };
}
