// Raft's liveness, as the paper promises it: "Raft will be able to elect and
// maintain a steady leader as long as the system satisfies the timing
// requirement" (§5.6), and a leader's entries are committed once it has
// replicated them on a majority (§5.3). As TLA+ properties under weak fairness
// of the servers' own steps (model.ts declares which), checked only with the
// `liveness` bound, which records the state graph (model-check/liveness.ts):
//
// - LeaderEventuallyElected: <> some server is leader.
// - LeaderEntriesCommitted: (a leader holds an entry of its own term above its
//   commitIndex) ~> (no leader does): every entry a leader appended in its
//   term is eventually committed, or that leader is gone.
//
// "Once faults stop": the preset that checks them has no DropMessage,
// DuplicateMessage or Restart. With drops the checker finds the election
// livelock (a RequestVote lost, again and again): weak fairness cannot force
// delivery of a message that keeps being dropped.

import type { PropertyDeclaration } from '../common/properties.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';

/** Some leader holds an entry of its own term that it has not committed. */
export function leaderHasUncommittedEntry(cluster: RaftCluster): boolean {
  for (const node of cluster.nodes) {
    if (node.state !== 'Leader') continue;
    const log = node.log;
    if (log.length > node.commitIndex && log[log.length - 1]!.term === node.currentTerm) return true;
  }
  return false;
}

const livenessOn = (options: RaftModelOptions) => options.liveness === true;

export const RAFT_LIVENESS: readonly PropertyDeclaration<RaftCluster, RaftModelOptions>[] = [
  {
    name: 'LeaderEventuallyElected',
    kind: 'eventually',
    description: 'A leader is eventually elected, once faults stop and the servers take the steps they can (Raft, §5.2 and §5.6).',
    holds: (c: RaftCluster) => c.nodes.some((node) => node.state === 'Leader'),
    when: livenessOn,
    paper: [
      {
        source: 'Raft, extended version, §5.6',
        paraphrase: 'Raft elects and keeps a steady leader as long as the timing requirement holds (broadcastTime ≪ electionTimeout ≪ MTBF).',
      },
    ],
  },
  {
    name: 'LeaderEntriesCommitted',
    kind: 'leadsTo',
    description: 'An entry a leader appended in its term is eventually committed, or that leader is gone (Raft, §5.3).',
    premise: leaderHasUncommittedEntry,
    holds: (c: RaftCluster) => !leaderHasUncommittedEntry(c),
    when: livenessOn,
    paper: [{ source: 'Raft, extended version, §5.3', paraphrase: 'an entry is committed once the leader that created it has replicated it on a majority of the servers.' }],
  },
];
