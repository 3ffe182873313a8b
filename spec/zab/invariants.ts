// Zab's properties as predicates over the cluster. Names and sentences come
// from the Zab paper (Junqueira, Reed, Serafini, DSN 2011, §III-B) and from
// ZkV3_7_0.tla's invariants (Leadership, PrefixConsistency, Integrity,
// Agreement, TotalOrder, LocalPrimaryOrder, GlobalPrimaryOrder,
// PrimaryIntegrity); three more say in plain words what recovery must keep.
// "Delivered" means the committed prefix of a running server's history
// (history[0..lastCommitted)); servers that are down deliver nothing.
// Every `always` is paired with `sometimes` properties that show the
// interesting states are reached.

import { always, cited, sometimes, type PropertyDeclaration } from '../common/properties.ts';
import * as quorums from '../../lib/quorum.ts';
import type { ZabBounds, ZabCluster } from './world.ts';
import * as histories from './history.ts';
import type { Txn, ZabNode } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { hasQuorum } = quorums;
const { txnEquals } = histories;

// The checker evaluates every property on every distinct state, so the predicates loop over indices
// and allocate nothing: "delivered by x" is read as the first x.lastCommitted entries of x.history.

/** Server k's memory, or null while it is down. */
function nodeAt(c: ZabCluster, k: number): ZabNode | null {
  return c.servers[k]!.node;
}

function indexIn(txns: readonly Txn[], length: number, txn: Txn): number {
  for (let k = 0; k < length; k++) if (txnEquals(txns[k]!, txn)) return k;
  return -1;
}

const contains = (txns: readonly Txn[], txn: Txn) => indexIn(txns, txns.length, txn) >= 0;
/** Whether x delivers txn. */
const delivers = (x: ZabNode, txn: Txn) => indexIn(x.history, x.lastCommitted, txn) >= 0;
const isEstablishedLeader = (x: ZabNode) => x.state === 'LEADING' && (x.zabState === 'SYNCHRONIZATION' || x.zabState === 'BROADCAST');

/** "There is at most one established leader for a given epoch." (ZkV3_7_0.tla: Leadership1 and Leadership2) */
export function leadership(c: ZabCluster): boolean {
  const epochs = c.ghost.epochLeaders;
  for (let i = 0; i < epochs.length; i++) {
    for (let j = i + 1; j < epochs.length; j++) {
      if (epochs[i]!.epoch === epochs[j]!.epoch && epochs[i]!.leader !== epochs[j]!.leader) return false;
    }
  }
  const n = c.servers.length;
  for (let i = 0; i < n; i++) {
    const a = nodeAt(c, i);
    if (a === null || !isEstablishedLeader(a)) continue;
    for (let j = i + 1; j < n; j++) {
      const b = nodeAt(c, j);
      if (b !== null && isEstablishedLeader(b) && a.acceptedEpoch === b.acceptedEpoch) return false;
    }
  }
  return true;
}

/** "The prefix that has been committed in the history of any process is the same." (PrefixConsistency) */
export function prefixConsistency(c: ZabCluster): boolean {
  const n = c.servers.length;
  for (let i = 0; i < n; i++) {
    const a = nodeAt(c, i);
    if (a === null) continue;
    for (let j = i + 1; j < n; j++) {
      const b = nodeAt(c, j);
      if (b === null) continue;
      const smaller = Math.min(a.lastCommitted, b.lastCommitted);
      for (let k = 0; k < smaller; k++) if (!txnEquals(a.history[k]!, b.history[k]!)) return false;
    }
  }
  return true;
}

/** "If some process delivers a transaction, then some primary has broadcast it." (Integrity) */
export function integrity(c: ZabCluster): boolean {
  const proposed = c.ghost.proposed;
  for (let i = 0; i < c.servers.length; i++) {
    const x = nodeAt(c, i);
    if (x === null) continue;
    for (let k = 0; k < x.lastCommitted; k++) {
      const txn = x.history[k]!;
      let broadcast = false;
      for (let p = 0; p < proposed.length && !broadcast; p++) broadcast = txnEquals(proposed[p]!.txn, txn);
      if (!broadcast) return false;
    }
  }
  return true;
}

/** "If some process f delivers a and some process f' delivers b, then f' delivers a or f delivers b." (Agreement) */
export function agreement(c: ZabCluster): boolean {
  const n = c.servers.length;
  for (let i = 0; i < n; i++) {
    const f = nodeAt(c, i);
    if (f === null || f.state === 'LEADING') continue;
    for (let j = 0; j < n; j++) {
      const g = nodeAt(c, j);
      if (g === null || g.state === 'LEADING' || j === i) continue;
      // Some a delivered by f but not by g, and some b delivered by g but not by f, break Agreement.
      let fOnly = false;
      for (let k = 0; k < f.lastCommitted && !fOnly; k++) fOnly = !delivers(g, f.history[k]!);
      if (!fOnly) continue;
      for (let k = 0; k < g.lastCommitted; k++) if (!delivers(f, g.history[k]!)) return false;
    }
  }
  return true;
}

/** "If some process delivers a before b, then any process that delivers b must also deliver a and deliver a before b." (TotalOrder) */
export function totalOrder(c: ZabCluster): boolean {
  const n = c.servers.length;
  for (let i = 0; i < n; i++) {
    const f = nodeAt(c, i);
    if (f === null) continue;
    for (let j = 0; j < n; j++) {
      const g = nodeAt(c, j);
      if (g === null) continue;
      for (let a = 0; a < f.lastCommitted; a++) {
        for (let b = a + 1; b < f.lastCommitted; b++) {
          const bAt = indexIn(g.history, g.lastCommitted, f.history[b]!);
          if (bAt < 0) continue;
          const aAt = indexIn(g.history, g.lastCommitted, f.history[a]!);
          if (aAt < 0 || aAt > bAt) return false;
        }
      }
    }
  }
  return true;
}

/** "If a primary broadcasts a before it broadcasts b, then a process that delivers b must also deliver a before b." (LocalPrimaryOrder) */
export function localPrimaryOrder(c: ZabCluster): boolean {
  const proposed = c.ghost.proposed;
  for (let k = 0; k < c.servers.length; k++) {
    const x = nodeAt(c, k);
    if (x === null) continue;
    for (let i = 0; i < proposed.length; i++) {
      for (let j = i + 1; j < proposed.length; j++) {
        const a = proposed[i]!;
        const b = proposed[j]!;
        if (a.source !== b.source || a.txn.zxid.epoch !== b.txn.zxid.epoch) continue;
        const bAt = indexIn(x.history, x.lastCommitted, b.txn);
        if (bAt < 0) continue;
        const aAt = indexIn(x.history, x.lastCommitted, a.txn);
        if (aAt < 0 || aAt > bAt) return false;
      }
    }
  }
  return true;
}

/** "If a process delivers a of epoch e and b of epoch e' > e, it delivers a before b." (GlobalPrimaryOrder) */
export function globalPrimaryOrder(c: ZabCluster): boolean {
  for (let i = 0; i < c.servers.length; i++) {
    const x = nodeAt(c, i);
    if (x === null) continue;
    for (let k = 1; k < x.lastCommitted; k++) if (x.history[k - 1]!.zxid.epoch > x.history[k]!.zxid.epoch) return false;
  }
  return true;
}

/**
 * "If primary p broadcasts a and some process delivers b of an epoch older
 * than p's, then p delivers b before it broadcasts a." (PrimaryIntegrity, for
 * an established leader and a learner it serves, both in BROADCAST)
 */
export function primaryIntegrity(c: ZabCluster): boolean {
  const n = c.servers.length;
  for (let i = 0; i < n; i++) {
    const p = nodeAt(c, i);
    if (p === null || p.state !== 'LEADING' || p.zabState !== 'BROADCAST') continue;
    for (let j = 0; j < n; j++) {
      const f = nodeAt(c, j);
      if (f === null || f.leader !== p.id || f.zabState !== 'BROADCAST') continue;
      for (let k = 0; k < f.lastCommitted; k++) {
        const b = f.history[k]!;
        if (b.zxid.epoch < p.currentEpoch && !delivers(p, b)) return false;
      }
    }
  }
  return true;
}

/**
 * Committed proposals are never lost: every proposal ever committed is in the
 * history of every later established leader, and no server truncates a
 * committed proposal from its log.
 */
export function committedNeverLost(c: ZabCluster): boolean {
  if (c.ghost.lostCommitted.length > 0) return false;
  const committed = c.ghost.committed;
  for (let i = 0; i < c.servers.length; i++) {
    const leader = nodeAt(c, i);
    if (leader === null || !isEstablishedLeader(leader)) continue;
    for (let k = 0; k < committed.length; k++) {
      const txn = committed[k]!;
      if (txn.zxid.epoch < leader.acceptedEpoch && !contains(leader.history, txn)) return false;
    }
  }
  return true;
}

/**
 * Committed proposals are durable: each is on the disk of a quorum of voters
 * (down or up: disks survive crashes). A leader counts an ack only once the
 * learner's write has reached its disk, so a quorum crash cannot lose a
 * committed proposal. ZOOKEEPER-3911 and -4646 break exactly this.
 */
export function committedDurable(c: ZabCluster): boolean {
  const committed = c.ghost.committed;
  const voters = c.config.voters;
  for (let k = 0; k < committed.length; k++) {
    let holders = 0;
    for (let id = 0; id < voters; id++) if (contains(c.servers[id]!.disk.log, committed[k]!)) holders++;
    if (!hasQuorum(holders, voters)) return false;
  }
  return true;
}

/**
 * Discarded proposals never reappear: a proposal discarded by recovery is
 * never committed or delivered later, nor in the history of a later
 * established leader (whose history would commit it).
 */
export function discardedNeverReappear(c: ZabCluster): boolean {
  const discarded = c.ghost.discarded;
  for (let k = 0; k < discarded.length; k++) {
    const txn = discarded[k]!;
    if (contains(c.ghost.committed, txn)) return false;
    for (let i = 0; i < c.servers.length; i++) {
      const x = nodeAt(c, i);
      if (x === null) continue;
      if (delivers(x, txn)) return false;
      if (isEstablishedLeader(x) && txn.zxid.epoch < x.acceptedEpoch && contains(x.history, txn)) return false;
    }
  }
  return true;
}

/**
 * A learner that has accepted NEWLEADER from its leader (same epoch, both up)
 * holds a prefix of that leader's history: synchronisation made its log the
 * leader's, and afterwards it only appends what the leader forwards, in order.
 * Not one of the paper's properties: it is the local step they rest on, and it
 * fails as soon as a synchronisation goes wrong instead of once a later commit
 * exposes it (ZOOKEEPER-2845 at depth 6 instead of 12, the paper gap at 18
 * instead of 27; docs/zab.md).
 */
export function learnerHistoryPrefix(c: ZabCluster): boolean {
  for (let i = 0; i < c.servers.length; i++) {
    const f = nodeAt(c, i);
    if (f === null || f.leader < 0 || !f.newLeaderReceived) continue;
    const l = nodeAt(c, f.leader);
    if (l === null || l.state !== 'LEADING' || l.acceptedEpoch !== f.acceptedEpoch) continue;
    if (f.history.length > l.history.length) return false;
    for (let k = 0; k < f.history.length; k++) if (!txnEquals(f.history[k]!, l.history[k]!)) return false;
  }
  return true;
}

function someNode(c: ZabCluster, test: (x: ZabNode) => boolean): boolean {
  for (let i = 0; i < c.servers.length; i++) {
    const x = nodeAt(c, i);
    if (x !== null && test(x)) return true;
  }
  return false;
}

const isEstablished = (x: ZabNode) => x.state === 'LEADING' && x.zabState === 'BROADCAST';
const syncedByDiff = (x: ZabNode) => x.syncMode === 'DIFF';
const syncedByTrunc = (x: ZabNode) => x.syncMode === 'TRUNC';
const syncedBySnap = (x: ZabNode) => x.syncMode === 'SNAP';
// A DIFF that carries proposals: the learner queues them (packetsNotCommitted) until NEWLEADER, the
// window in which ZOOKEEPER-3911 and -4646 lose them.
const syncedByDiffWithProposals = (x: ZabNode) => x.syncMode === 'DIFF' && x.packetsNotCommitted.length > 0;
const observerDelivers = (x: ZabNode) => x.state === 'OBSERVING' && x.lastCommitted > 0;

const proposalCommitted = (c: ZabCluster) => c.ghost.committed.length > 0;
// A proposal needs a client request, or a run that starts with logs.
const transactions = (b: ZabBounds) => b.maxTransactions > 0 || b.initialLogs > 0;
// With two voters every quorum is both, and a leader is only established with a log at least as long
// as its follower's (the oracle) and loses its quorum when the follower leaves: no learner ever holds
// a proposal its leader lacks, so TRUNC is unreachable (the checker confirms it at ci-observer).
const truncReachable = (b: ZabBounds) => transactions(b) && b.servers >= 3;
// Not reached with two voters and an observer (ci-observer, exhaustively: 189,730 states), so it is
// asked of three voters only, as SyncByTRUNC is.
const diffWithProposalsReachable = (b: ZabBounds) => transactions(b) && b.servers >= 3;
const observersLearn = (b: ZabBounds) => transactions(b) && b.observers > 0;
const paper = 'Zab, DSN 2011, §III-B';

// Where each property comes from (docs/invariants.md prints them). ZkV3_7_0.tla's comments are quoted as
// the file words them; the Zab paper's properties are paraphrased (its sentences name transactions
// <v, z> and primaries rho_e, which these descriptions write as a, b and p).
const TLA = 'ZkV3_7_0.tla (apache/zookeeper, zookeeper-specifications/system-spec/zk-3.7), the comment on';
const DSN = 'Zab: High-performance broadcast for primary-backup systems (Junqueira, Reed, Serafini, DSN 2011), §III-B';
const zabPaper = (tlaName: string, tlaQuote: string, paraphrase: string) =>
  [
    { source: DSN, paraphrase },
    { source: `${TLA} ${tlaName}`, quote: tlaQuote },
  ] as const;

/**
 * The properties, in the order the checker reports them: every `always`, and
 * the `sometimes` that the bounds make reachable at all (a proposal needs a
 * client request; an observer needs to exist; without any transaction every
 * log is empty and every learner is synchronised by DIFF).
 */
export const ZAB_PROPERTIES: readonly PropertyDeclaration<ZabCluster, ZabBounds>[] = [
  cited(always('Leadership', 'There is at most one established leader for a given epoch (ZkV3_7_0.tla, Leadership1 and Leadership2).', leadership), {
    source: `${TLA} Leadership1`,
    quote: 'There is most one established leader for a certain epoch.',
  }),
  cited(
    always('PrefixConsistency', 'The prefix that has been committed in the history of any process is the same (ZkV3_7_0.tla, PrefixConsistency).', prefixConsistency),
    { source: `${TLA} PrefixConsistency`, quote: 'PrefixConsistency: The prefix that have been committed in history in any process is the same.' },
  ),
  cited(
    always('Integrity', `If some process delivers a transaction, then some primary has broadcast it (${paper}).`, integrity),
    ...zabPaper(
      'Integrity',
      'Integrity: If some follower delivers one transaction, then some primary has broadcast it.',
      'if some process delivers a transaction, then some process has broadcast it.',
    ),
  ),
  cited(
    always('Agreement', `If some follower f delivers a and some follower f' delivers b, then f' delivers a or f delivers b (${paper}).`, agreement),
    ...zabPaper(
      'Agreement',
      "Agreement: If some follower f delivers transaction a and some follower f' delivers transaction b, then f' delivers a or f delivers b.",
      'if one process delivers a and another delivers b, then either the first delivers b or the second delivers a.',
    ),
  ),
  cited(
    always(
      'TotalOrder',
      `If some process delivers a before b, then any process that delivers b must also deliver a and deliver a before b (${paper}).`,
      totalOrder,
    ),
    ...zabPaper(
      'TotalOrder',
      'Total order: If some follower delivers a before b, then any process that delivers b must also deliver a and deliver a before b.',
      'if some process delivers a before b, then any process that delivers b also delivers a, and a before b.',
    ),
  ),
  cited(
    always(
      'LocalPrimaryOrder',
      `If a primary broadcasts a before it broadcasts b, then a process that delivers b must also deliver a before b (${paper}).`,
      localPrimaryOrder,
    ),
    ...zabPaper(
      'LocalPrimaryOrder',
      'Local primary order: If a primary broadcasts a before it broadcasts b, then a follower that delivers b must also deliver a before b.',
      'if a primary broadcasts a before b, then a process that delivers b also delivers a, before b.',
    ),
  ),
  cited(
    always('GlobalPrimaryOrder', `A process that delivers a of epoch e and b of epoch e' > e delivers a before b (${paper}).`, globalPrimaryOrder),
    ...zabPaper(
      'GlobalPrimaryOrder',
      "Global primary order: A follower f delivers both a with epoch e and b with epoch e', and e < e', then f must deliver a before b.",
      'if a process delivers a, broadcast by one primary, and b, broadcast by a later primary, it delivers a before b.',
    ),
  ),
  cited(
    always(
      'PrimaryIntegrity',
      `If primary p broadcasts a and some process delivers b of an older epoch, then p delivers b before it broadcasts a (${paper}).`,
      primaryIntegrity,
    ),
    ...zabPaper(
      'PrimaryIntegrity',
      'Primary integrity: If primary p broadcasts a and some follower f delivers b such that b has epoch smaller than epoch of p, then p must deliver b before it broadcasts a.',
      'if a primary broadcasts a and some process delivers b, broadcast by an earlier primary, then the primary delivers b before it broadcasts a.',
    ),
  ),
  always(
    'CommittedNeverLost',
    'Every proposal ever committed is in the history of every later established leader, and no server truncates a committed proposal of an older epoch.',
    committedNeverLost,
  ),
  always('CommittedDurable', 'Every committed proposal is on the disk of a quorum of voters (so no quorum crash can lose it).', committedDurable),
  always(
    'LearnerHistoryPrefix',
    "A learner that accepted NEWLEADER from its leader (same epoch, both up) holds a prefix of that leader's history.",
    learnerHistoryPrefix,
  ),
  always(
    'DiscardedNeverReappear',
    "A proposal left out of an established leader's initial history is never committed, delivered, or in a later established leader's history.",
    discardedNeverReappear,
  ),
  sometimes('LeaderEstablished', 'A leader is established (a quorum acked NEWLEADER).', (c: ZabCluster) => someNode(c, isEstablished)),
  sometimes('ProposalCommitted', 'A client proposal is committed.', proposalCommitted, transactions),
  sometimes('SyncByDIFF', 'A follower is synchronised by DIFF.', (c: ZabCluster) => someNode(c, syncedByDiff)),
  sometimes('SyncByDIFFWithProposals', 'A follower synchronised by DIFF receives proposals to log before NEWLEADER.', (c: ZabCluster) => someNode(c, syncedByDiffWithProposals), diffWithProposalsReachable),
  sometimes('SyncByTRUNC', 'A follower is synchronised by TRUNC.', (c: ZabCluster) => someNode(c, syncedByTrunc), truncReachable),
  sometimes('SyncBySNAP', 'A follower is synchronised by SNAP.', (c: ZabCluster) => someNode(c, syncedBySnap), transactions),
  sometimes('ObserverLearnsCommit', 'An observer delivers a committed proposal.', (c: ZabCluster) => someNode(c, observerDelivers), observersLearn),
];
