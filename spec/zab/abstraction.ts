// The ZAB model's abstraction for guided simulation (model-check/guided.ts): a
// coarse summary of a cluster that says how far a run has got and ignores the
// bookkeeping every run churns through. Per server: down or its role and Zab
// phase, its accepted and current epochs, the epochs of the zxids in its
// in-memory history, how much of it is committed, and how much of its log is
// on disk (the known bugs live in the gap between memory and disk); the
// servers' summaries sorted, so that the summary does not depend on server
// ids (the cells of a symmetric cluster are its orbits, as the fingerprints
// are). Then how many proposals were ever committed, so that a run that lost
// one is a cell of its own. Left out: votes, rounds, the leader's learner and
// ack sets, packetsNotCommitted, messages in flight and the other ghosts. Two
// states with the same summary are one cell of the walks' coverage, so the
// walks spread over elections, epochs, logs and disks rather than over message
// orderings. Not shaped around one bug: it is the progress a Zab run makes,
// as spec/raft/abstraction.ts is Raft's.

import type { ZabNode } from './types.ts';
import type { Server, ZabCluster } from './world.ts';

const ROLE: Readonly<Record<ZabNode['state'], string>> = { LOOKING: 'K', FOLLOWING: 'F', LEADING: 'L', OBSERVING: 'O' };
const PHASE: Readonly<Record<ZabNode['zabState'], string>> = { ELECTION: 'e', DISCOVERY: 'd', SYNCHRONIZATION: 's', BROADCAST: 'b' };

function epochs(txns: readonly { readonly zxid: { readonly epoch: number } }[]): string {
  let out = '';
  for (const txn of txns) out += txn.zxid.epoch;
  return out;
}

function summary(server: Server): string {
  const disk = server.disk;
  const onDisk = `${disk.acceptedEpoch}.${disk.currentEpoch}:${epochs(disk.log)}`;
  const node = server.node;
  if (node === null) return `X ${onDisk}`;
  return `${ROLE[node.state]}${PHASE[node.zabState]}${node.acceptedEpoch}.${node.currentEpoch}[${epochs(node.history)}]${node.lastCommitted} ${onDisk}`;
}

export function zabAbstraction(cluster: ZabCluster): string {
  const parts = cluster.servers.map(summary);
  parts.sort();
  return `${parts.join(' | ')} #${cluster.ghost.committed.length} ${cluster.requests}${cluster.crashes}${cluster.timeouts}${cluster.partitionsStarted}${cluster.losses}`;
}
