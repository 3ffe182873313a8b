// Known-bug mutants: each flag re-introduces one bug that ZooKeeper shipped
// (or that a reading of the Zab paper invites), so that the checker can show
// it finds it. A server runs at most one mutant (ServerConfig.mutant); the
// handlers test the flag where the fixed code differs (grep for the name).
//
// Each declares its hunt (MutantHunt): breadth-first from the real initial
// state (empty disks, every server LOOKING; no `initialLogs`), at a preset
// shared with the other mutants, until the mission property a user would
// care about fails: CommittedNeverLost (a committed proposal missing from a
// later established leader). The auxiliary invariants (LearnerHistoryPrefix,
// CommittedDurable) usually fail first and are reported too. `deep` is the
// bounds of three epochs with two transactions, a timeout and a crash
// (spec.ts): DIFF with proposals needs two transactions (an empty learner
// gets SNAP), and losing a proposal committed in epoch 2 needs a leader of
// epoch 3. Figures: docs/zab.md.

import type { MutantDefinition, MutantHunt } from '../../model-check/model.ts';

export const ZOOKEEPER_3911 = 'ZOOKEEPER-3911';
export const ZOOKEEPER_4643 = 'ZOOKEEPER-4643';
export const ZOOKEEPER_4646 = 'ZOOKEEPER-4646';
export const ZOOKEEPER_2845 = 'ZOOKEEPER-2845';
export const ZAB_PAPER_NEWLEADER_GAP = 'zab-paper-newleader-gap';

const LOST_AT_DEEP: MutantHunt = { preset: 'deep', options: [], violates: 'CommittedNeverLost' };
const LOST_AT_CI: MutantHunt = { preset: 'ci', options: [], violates: 'CommittedNeverLost' };

export const mutants: readonly MutantDefinition[] = [
  {
    name: ZOOKEEPER_3911,
    description:
      'A follower synchronised by DIFF acks NEWLEADER while the proposals it received during synchronisation are still only in memory (they are logged at UPTODATE); a crash of a quorum then loses proposals the new leader counts as committed.',
    hunt: LOST_AT_DEEP,
  },
  {
    name: ZOOKEEPER_4643,
    description:
      'At NEWLEADER a follower writes currentEpoch before the synchronised proposals reach its disk; crashing in between it restarts with the new epoch and a shorter log, wins the next election, and truncates committed proposals elsewhere.',
    hunt: LOST_AT_DEEP,
  },
  {
    name: ZOOKEEPER_4646,
    description:
      'At NEWLEADER a follower queues the synchronised proposals for asynchronous logging and acks at once; a crash before the write reaches disk loses proposals the leader counts as committed.',
    hunt: LOST_AT_DEEP,
  },
  {
    name: ZOOKEEPER_2845,
    description:
      'A server keeps its in-memory database across an election and reports its last committed zxid instead of its last logged one; the new leader sends DIFF instead of TRUNC, the uncommitted tail stays in its log and is later served.',
    hunt: LOST_AT_CI,
  },
  {
    name: ZAB_PAPER_NEWLEADER_GAP,
    description:
      'The leader starts forwarding PROPOSAL and COMMIT to a learner only once it acks NEWLEADER, so a learner that joins while the leader broadcasts misses the proposals made in between and later receives a COMMIT for a zxid it never logged.',
    hunt: LOST_AT_DEEP,
  },
];
