// Raft's safety properties (Ongaro and Ousterhout 2014, Figure 3), one pure
// predicate per property, the paper's sentence above each, plus two of our
// own: committed entries stay on a quorum, and ReadIndex reads see every write
// committed before they began. Each `always` is paired with a `sometimes` (a
// leader is elected, an entry is committed, a conflicting entry is
// overwritten) so that a check cannot pass because nothing happens.
//
// Each predicate returns undefined when it holds and a sentence naming the
// servers, indexes and terms involved when it does not. Properties over time
// (ElectionSafety, LeaderCompleteness, StateMachineSafety) read the ghost
// variables that history.ts keeps: every leader elected, every entry committed.

import { majority } from '../../lib/quorum.ts';
import { always, cited, sometimes, type PropertyDeclaration } from '../common/properties.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';
import { formatLog } from './format.ts';

/** Why a property does not hold in a state (undefined: it holds). */
export type Violation = string | undefined;

// "Election Safety: at most one leader can be elected in a given term. §5.2" (Figure 3)
export function electionSafety(cluster: RaftCluster): Violation {
  const leaders = cluster.ghost.leaders;
  for (let a = 0; a < leaders.length; a++) {
    for (let b = a + 1; b < leaders.length; b++) {
      const x = leaders[a]!;
      const y = leaders[b]!;
      if (x.term === y.term && x.leader !== y.leader) return `s${x.leader} and s${y.leader} were both elected in term ${x.term}`;
    }
  }
  return undefined;
}

// "Leader Append-Only: a leader never overwrites or deletes entries in its log;
// it only appends new entries. §5.3" (Figure 3)
// As a state predicate: a leader's log is the log it was elected with followed
// only by entries of its own term.
export function leaderAppendOnly(cluster: RaftCluster): Violation {
  for (const node of cluster.nodes) {
    if (node.state !== 'Leader') continue;
    const elected = cluster.ghost.leaders.find((l) => l.term === node.currentTerm && l.leader === node.id);
    if (elected === undefined) return `s${node.id} leads term ${node.currentTerm} without having been elected`;
    const atElection = elected.log;
    if (node.log.length < atElection.length) return `leader s${node.id} shrank its log from ${atElection.length} to ${node.log.length} entries`;
    for (let k = 0; k < node.log.length; k++) {
      const entry = node.log[k]!;
      if (k < atElection.length ? entry !== atElection[k] : entry.term !== node.currentTerm) {
        return `leader s${node.id} of term ${node.currentTerm} changed entry ${k + 1} of its log`;
      }
    }
  }
  return undefined;
}

// "Log Matching: if two logs contain an entry with the same index and term,
// then the logs are identical in all entries up through the given index. §5.3" (Figure 3)
export function logMatching(cluster: RaftCluster): Violation {
  const nodes = cluster.nodes;
  for (let a = 0; a < nodes.length; a++) {
    for (let b = a + 1; b < nodes.length; b++) {
      const x = nodes[a]!.log;
      const y = nodes[b]!.log;
      for (let index = Math.min(x.length, y.length); index >= 1; index--) {
        if (x[index - 1]!.term !== y[index - 1]!.term) continue;
        // Same index and term here: everything up to here must be identical.
        for (let k = 0; k < index; k++) {
          if (x[k] !== y[k]) return `s${a} and s${b} agree on entry ${index} (term ${x[index - 1]!.term}) but differ at entry ${k + 1}`;
        }
        break;
      }
    }
  }
  return undefined;
}

// "Leader Completeness: if a log entry is committed in a given term, then that
// entry will be present in the logs of the leaders for all higher-numbered
// terms. §5.4" (Figure 3)
export function leaderCompleteness(cluster: RaftCluster): Violation {
  for (const node of cluster.nodes) {
    if (node.state !== 'Leader') continue;
    for (const c of cluster.ghost.committed) {
      if (node.currentTerm > c.committedInTerm && node.log[c.index - 1]?.term !== c.term) {
        return `leader s${node.id} of term ${node.currentTerm} lacks entry ${c.index} (term ${c.term}) committed in term ${c.committedInTerm}`;
      }
    }
  }
  return undefined;
}

// "State Machine Safety: if a server has applied a log entry at a given index
// to its state machine, no other server will ever apply a different log entry
// for the same index. §5.4.3" (Figure 3)
// A server may apply its log up to its commitIndex; leaders apply what they
// commit, which the ghost remembers after the leader has restarted.
export function stateMachineSafety(cluster: RaftCluster): Violation {
  const committed = cluster.ghost.committed;
  for (let a = 0; a < committed.length; a++) {
    for (let b = a + 1; b < committed.length; b++) {
      const x = committed[a]!;
      const y = committed[b]!;
      if (x.index === y.index) return `entry ${x.index} was committed with term ${x.term} and with term ${y.term}`;
    }
  }
  for (const node of cluster.nodes) {
    for (let index = 1; index <= node.commitIndex; index++) {
      const entry = node.log[index - 1];
      if (entry === undefined) return `s${node.id} has commitIndex ${node.commitIndex} beyond its log of ${node.log.length}`;
      const c = committed.find((x) => x.index === index);
      if (c !== undefined && c.term !== entry.term) {
        return `s${node.id} applies entry ${index} of term ${entry.term}, but the entry committed there has term ${c.term}`;
      }
    }
  }
  return undefined;
}

// "A log entry is committed once the leader that created the entry has
// replicated it on a majority of the servers" (§5.3), and it must stay on a
// majority: every later election's quorum meets that majority, which is how
// §5.4.3's argument for Leader Completeness goes.
export function committedEntriesOnQuorum(cluster: RaftCluster): Violation {
  const n = cluster.nodes.length;
  for (const c of cluster.ghost.committed) {
    let holders = 0;
    for (const node of cluster.nodes) if (node.log[c.index - 1]?.term === c.term) holders++;
    if (holders < majority(n)) return `committed entry ${c.index} (term ${c.term}) is held by ${holders} of ${n} servers`;
  }
  return undefined;
}

// "Linearizable reads must not return stale data" (§8): a read answers with
// every write committed before the read began (ReadIndex, dissertation §6.4).
export function readsSeeCommittedWrites(cluster: RaftCluster): Violation {
  for (const read of cluster.ghost.reads) {
    if (read.answer === undefined) continue;
    for (const c of read.mustInclude) {
      if (read.answer[c.index - 1]?.term !== c.term) {
        return `read ${read.seq} of s${read.leader} (term ${read.term}) answered ${formatLog(read.answer)} without entry ${c.index} (term ${c.term}), committed before it began`;
      }
    }
  }
  return undefined;
}

/** A property's predicate from a check that explains its violations. */
const holds =
  (check: (cluster: RaftCluster) => Violation) =>
  (cluster: RaftCluster): boolean =>
    check(cluster) === undefined;

const readsOn = (options: Pick<RaftModelOptions, 'reads'>) => options.reads > 0;

function conflictOverwritten(c: RaftCluster): boolean {
  return c.ghost.removed.some((r) => {
    const entry = c.nodes[r.server]!.log[r.index - 1];
    return entry !== undefined && entry.term !== r.term;
  });
}

// Where each property comes from (docs/invariants.md prints them): Figure 3's
// sentences are quoted as the extended paper words them; the others are
// paraphrases of the sections named.
const FIGURE_3 = 'Raft, extended version (Ongaro and Ousterhout), Figure 3';

/** The properties, in the order the checker reports them; the read ones only with reads on. */
export const RAFT_PROPERTIES: readonly PropertyDeclaration<RaftCluster, Pick<RaftModelOptions, 'reads'>>[] = [
  cited(always('ElectionSafety', 'At most one leader can be elected in a given term (Raft, Figure 3, §5.2).', holds(electionSafety)), {
    source: `${FIGURE_3}, Election Safety (§5.2)`,
    quote: 'at most one leader can be elected in a given term.',
  }),
  cited(
    always(
      'LeaderAppendOnly',
      'A leader never overwrites or deletes entries in its log; it only appends new entries (Raft, Figure 3, §5.3).',
      holds(leaderAppendOnly),
    ),
    { source: `${FIGURE_3}, Leader Append-Only (§5.3)`, quote: 'a leader never overwrites or deletes entries in its log; it only appends new entries.' },
  ),
  cited(
    always(
      'LogMatching',
      'If two logs contain an entry with the same index and term, then the logs are identical in all entries up through the given index (Raft, Figure 3, §5.3).',
      holds(logMatching),
    ),
    {
      source: `${FIGURE_3}, Log Matching (§5.3)`,
      quote: 'if two logs contain an entry with the same index and term, then the logs are identical in all entries up through the given index.',
    },
  ),
  cited(
    always(
      'LeaderCompleteness',
      'If a log entry is committed in a given term, then that entry will be present in the logs of the leaders for all higher-numbered terms (Raft, Figure 3, §5.4).',
      holds(leaderCompleteness),
    ),
    {
      source: `${FIGURE_3}, Leader Completeness (§5.4)`,
      quote: 'if a log entry is committed in a given term, then that entry will be present in the logs of the leaders for all higher-numbered terms.',
    },
  ),
  cited(
    always(
      'StateMachineSafety',
      'If a server has applied a log entry at a given index to its state machine, no other server will ever apply a different log entry for the same index (Raft, Figure 3, §5.4.3).',
      holds(stateMachineSafety),
    ),
    {
      source: `${FIGURE_3}, State Machine Safety (§5.4.3)`,
      quote: 'if a server has applied a log entry at a given index to its state machine, no other server will ever apply a different log entry for the same index.',
    },
  ),
  cited(always('CommittedEntriesOnQuorum', 'A committed entry is never lost from a quorum (Raft, §5.3 and §5.4.3).', holds(committedEntriesOnQuorum)), {
    source: 'Raft, extended version, §5.3 and §5.4.3',
    paraphrase: 'an entry is committed once the leader that created it has replicated it on a majority of the servers, and the safety argument rests on it staying there.',
  }),
  cited(
    always(
      'ReadsSeeCommittedWrites',
      'A read never misses a write committed before the read began (Raft, §8; ReadIndex, dissertation §6.4).',
      holds(readsSeeCommittedWrites),
      readsOn,
    ),
    {
      source: 'Raft, extended version, §8; Ongaro\'s dissertation, §6.4 (ReadIndex)',
      paraphrase: 'a read-only request must not return stale data: the leader answers it only after learning the latest committed entries and confirming it has not been deposed.',
    },
  ),
  sometimes('LeaderElected', 'A leader is elected.', (c: RaftCluster) => c.nodes.some((node) => node.state === 'Leader')),
  sometimes('EntryCommitted', 'An entry is committed.', (c: RaftCluster) => c.ghost.committed.length > 0),
  sometimes('ConflictOverwritten', "A follower's conflicting entry is overwritten by the leader's.", conflictOverwritten),
  sometimes('ReadAnswered', 'A read is answered.', (c: RaftCluster) => c.ghost.reads.some((r) => r.answer !== undefined), readsOn),
];
