// The Raft model's abstraction for guided simulation (model-check/guided.ts):
// a coarse summary of a cluster that says how far a run has got and ignores
// the bookkeeping that every run churns through. Per server: its term, its
// role (with a candidate's votes granted so far), the terms of its log's
// entries, its commit index and whether it holds a pending read; the
// servers' summaries sorted, so that the summary does not depend on server
// ids (the cells of a symmetric cluster are its orbits, as the fingerprints
// are). Then the network's shape: each message in flight as its type and,
// for AppendEntries, where it points into a log (prevLogIndex and how many
// entries; the acknowledged matchIndex), sorted; and how many reads were
// issued (the `reads` bound is a budget for the whole run). Left out:
// votedFor, nextIndex, matchIndex, the values of entries, message terms and
// senders, and the ghosts. Two states with the same summary are one cell of
// the walks' coverage, so the walks spread over elections, terms, logs, what
// is in flight and reads, rather than over the order of deliveries.
//
// Why the network and the reads are in it: without them a cell's
// representative (the first state met with that summary) decides what may
// follow, and a bug that lives in what is in flight (an old AppendEntries
// delivered after a newer one) or in a read not yet spent could be reached
// only when the first walk into the cell happened to carry it. Not shaped
// around one bug: it is the progress a Raft run makes, network included.

import { assertNever } from '../../lib/assert.ts';
import type { Message, RaftNode } from './types.ts';
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
  return `${node.currentTerm}${role}[${terms}]${node.commitIndex}${node.pendingRead === undefined ? '' : 'r'}`;
}

/** A message's shape: its type and, for AppendEntries, the log positions it names. */
function shape(m: Message): string {
  switch (m.mtype) {
    case 'AppendEntriesRequest':
      return `AE${m.mprevLogIndex}+${m.mentries.length}`;
    case 'AppendEntriesResponse':
      return m.msuccess ? `ae${m.mmatchIndex}` : 'ae-';
    case 'RequestVoteRequest':
      return 'RV';
    case 'RequestVoteResponse':
      return m.mvoteGranted ? 'rv+' : 'rv-';
    case 'HeartbeatRequest':
      return 'HB';
    case 'HeartbeatResponse':
      return 'hb';
    default:
      return assertNever(m, 'Raft message');
  }
}

export function raftAbstraction(cluster: RaftCluster): string {
  const parts = cluster.nodes.map(summary);
  parts.sort();
  const inFlight = cluster.messages.map((item) => shape(item.message));
  inFlight.sort();
  return `${parts.join(' ')} | ${inFlight.join(' ')} | ${cluster.ghost.reads.length}`;
}
