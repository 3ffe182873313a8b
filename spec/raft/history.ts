// raft.tla's history variables (`elections`, `allLogs`) and our ghost
// variables (every entry committed, every leader elected, every entry
// removed, every read): how a step adds to them (actions.ts applyStep). Only
// the invariants read them; a server never does.

import { assert } from '../../lib/assert.ts';
import type { Log, RaftNode } from './types.ts';
import * as world from './world.ts';
import type { Election, Ghost, RaftCluster, RaftModelOptions } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { logsEqual } = world;

/** raft.tla's Next conjunct `allLogs' = allLogs \cup {log[i] : i \in Server}` (from the unprimed logs). */
export function withAllLogs(before: RaftCluster, after: RaftCluster, options: RaftModelOptions): RaftCluster {
  if (!options.history) return after;
  let allLogs = after.history.allLogs;
  for (const node of before.nodes) {
    if (!allLogs.some((l) => logsEqual(l, node.log))) allLogs = [...allLogs, node.log];
  }
  if (allLogs === after.history.allLogs) return after;
  return { ...after, history: { ...after.history, allLogs } };
}

/** BecomeLeader's history: `elections' = elections \cup {[eterm, eleader, elog, evotes, evoterLog]}`. */
export function withElection(elections: readonly Election[], candidate: RaftNode): readonly Election[] {
  const election: Election = {
    eterm: candidate.currentTerm,
    eleader: candidate.id,
    elog: candidate.log,
    evotes: candidate.votesGranted,
    evoterLog: candidate.voterLog,
  };
  if (elections.some((e) => electionsEqual(e, election))) return elections;
  return [...elections, election];
}

export function withCommitted(ghost: Ghost, leader: RaftNode, fromIndex: number): Ghost {
  let committed = ghost.committed;
  for (let index = fromIndex + 1; index <= leader.commitIndex; index++) {
    const term = leader.log[index - 1]!.term;
    if (!committed.some((c) => c.index === index && c.term === term)) {
      committed = [...committed, { index, term, committedInTerm: leader.currentTerm }];
    }
  }
  return committed === ghost.committed ? ghost : { ...ghost, committed };
}

export function answered(ghost: Ghost, leader: number, term: number, seq: number, entries: Log): Ghost {
  const k = ghost.reads.findIndex((r) => r.leader === leader && r.term === term && r.seq === seq && r.answer === undefined);
  assert(k >= 0, () => `answer for unknown read ${seq} of s${leader} in term ${term}`);
  const reads = ghost.reads.slice();
  reads[k] = { ...reads[k]!, answer: entries };
  return { ...ghost, reads };
}

function electionsEqual(a: Election, b: Election): boolean {
  return (
    a.eterm === b.eterm &&
    a.eleader === b.eleader &&
    a.evotes === b.evotes &&
    logsEqual(a.elog, b.elog) &&
    voterLogsEqual(a.evoterLog, b.evoterLog)
  );
}

function voterLogsEqual(a: readonly (Log | undefined)[], b: readonly (Log | undefined)[]): boolean {
  const length = Math.max(a.length, b.length);
  for (let k = 0; k < length; k++) {
    // Past an array's end is no log recorded (NO_VOTER_LOGS is empty): no out-of-bounds loads.
    const x = k < a.length ? a[k] : undefined;
    const y = k < b.length ? b[k] : undefined;
    if (x === undefined || y === undefined ? x !== y : !logsEqual(x, y)) return false;
  }
  return true;
}
