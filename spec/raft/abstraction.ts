// The Raft model's abstraction for guided simulation (model-check/guided.ts):
// a coarse summary of a cluster that says how far a run has got and ignores
// the bookkeeping that every run churns through. Per server: its term, its
// role (with a candidate's votes granted so far), the terms of its log's
// entries and its commit index; the servers' summaries sorted, so that the
// summary does not depend on server ids (the cells of a symmetric cluster
// are its orbits, as the fingerprints are). Left out: votedFor, nextIndex,
// matchIndex, the values of entries, the messages in flight and the ghosts.
// Two states with the same summary are one cell of the walks' coverage, so
// the walks spread over elections, terms and logs rather than over message
// orderings. Not shaped around one bug: it is the progress a Raft run makes.

import type { RaftNode } from './types.ts';
import type { RaftCluster } from './world.ts';

function popcount(mask: number): number {
  let count = 0;
  for (let m = mask; m !== 0; m &= m - 1) count++;
  return count;
}

function summary(node: RaftNode): string {
  const role = node.state === 'Candidate' ? `C${popcount(node.votesGranted)}` : node.state === 'Leader' ? 'L' : 'F';
  let terms = '';
  for (const entry of node.log) terms += `${entry.term},`;
  return `${node.currentTerm}${role}[${terms}]${node.commitIndex}`;
}

export function raftAbstraction(cluster: RaftCluster): string {
  const parts = cluster.nodes.map(summary);
  parts.sort();
  return parts.join(' ');
}
