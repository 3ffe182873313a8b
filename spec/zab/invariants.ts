// Zab's properties as predicates over the cluster. Names and sentences come
// from the Zab paper (Junqueira, Reed, Serafini, DSN 2011, §III-B) and from
// ZkV3_7_0.tla's invariants (Leadership, PrefixConsistency, Integrity,
// Agreement, TotalOrder, LocalPrimaryOrder, GlobalPrimaryOrder,
// PrimaryIntegrity); three more say in plain words what recovery must keep.
// "Delivered" means the committed prefix of a running server's history
// (history[0..lastCommitted)); servers that are down deliver nothing.
// Every `always` is paired with `sometimes` properties that show the
// interesting states are reached.

import type { Property } from '../../model-check/model.ts';
import type { ZabCluster } from './cluster.ts';
import { hasQuorum } from '../common/quorum.ts';
import { delivered, txnEquals } from './history.ts';
import type { Txn, ZabNode } from './types.ts';

function running(c: ZabCluster): ZabNode[] {
  const out: ZabNode[] = [];
  for (const server of c.servers) if (server.node !== null) out.push(server.node);
  return out;
}

const contains = (txns: readonly Txn[], txn: Txn) => txns.some((t) => txnEquals(t, txn));
const indexIn = (txns: readonly Txn[], txn: Txn) => txns.findIndex((t) => txnEquals(t, txn));

/** "There is at most one established leader for a given epoch." (ZkV3_7_0.tla: Leadership1 and Leadership2) */
export function leadership(c: ZabCluster): boolean {
  const epochs = c.ghost.epochLeaders;
  for (let i = 0; i < epochs.length; i++) {
    for (let j = i + 1; j < epochs.length; j++) {
      if (epochs[i]!.epoch === epochs[j]!.epoch && epochs[i]!.leader !== epochs[j]!.leader) return false;
    }
  }
  const leaders = running(c).filter((x) => x.state === 'LEADING' && (x.zabState === 'SYNCHRONIZATION' || x.zabState === 'BROADCAST'));
  for (let i = 0; i < leaders.length; i++) {
    for (let j = i + 1; j < leaders.length; j++) if (leaders[i]!.acceptedEpoch === leaders[j]!.acceptedEpoch) return false;
  }
  return true;
}

/** "The prefix that has been committed in the history of any process is the same." (PrefixConsistency) */
export function prefixConsistency(c: ZabCluster): boolean {
  const nodes = running(c);
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      const smaller = Math.min(nodes[i]!.lastCommitted, nodes[j]!.lastCommitted);
      for (let k = 0; k < smaller; k++) if (!txnEquals(nodes[i]!.history[k]!, nodes[j]!.history[k]!)) return false;
    }
  }
  return true;
}

/** "If some process delivers a transaction, then some primary has broadcast it." (Integrity) */
export function integrity(c: ZabCluster): boolean {
  for (const x of running(c)) {
    for (const txn of delivered(x)) if (!c.ghost.proposed.some((p) => txnEquals(p.txn, txn))) return false;
  }
  return true;
}

/** "If some process f delivers a and some process f' delivers b, then f' delivers a or f delivers b." (Agreement) */
export function agreement(c: ZabCluster): boolean {
  const nodes = running(c).filter((x) => x.state !== 'LEADING');
  for (const f of nodes) {
    for (const g of nodes) {
      const df = delivered(f);
      const dg = delivered(g);
      for (const a of df) for (const b of dg) if (!contains(dg, a) && !contains(df, b)) return false;
    }
  }
  return true;
}

/** "If some process delivers a before b, then any process that delivers b must also deliver a and deliver a before b." (TotalOrder) */
export function totalOrder(c: ZabCluster): boolean {
  const nodes = running(c);
  for (const f of nodes) {
    const df = delivered(f);
    for (const g of nodes) {
      const dg = delivered(g);
      for (let i = 0; i < df.length; i++) {
        for (let j = i + 1; j < df.length; j++) {
          const bAt = indexIn(dg, df[j]!);
          if (bAt < 0) continue;
          const aAt = indexIn(dg, df[i]!);
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
  for (const x of running(c)) {
    const d = delivered(x);
    for (let i = 0; i < proposed.length; i++) {
      for (let j = i + 1; j < proposed.length; j++) {
        const a = proposed[i]!;
        const b = proposed[j]!;
        if (a.source !== b.source || a.txn.zxid.epoch !== b.txn.zxid.epoch) continue;
        const bAt = indexIn(d, b.txn);
        if (bAt < 0) continue;
        const aAt = indexIn(d, a.txn);
        if (aAt < 0 || aAt > bAt) return false;
      }
    }
  }
  return true;
}

/** "If a process delivers a of epoch e and b of epoch e' > e, it delivers a before b." (GlobalPrimaryOrder) */
export function globalPrimaryOrder(c: ZabCluster): boolean {
  for (const x of running(c)) {
    const d = delivered(x);
    for (let k = 1; k < d.length; k++) if (d[k - 1]!.zxid.epoch > d[k]!.zxid.epoch) return false;
  }
  return true;
}

/**
 * "If primary p broadcasts a and some process delivers b of an epoch older
 * than p's, then p delivers b before it broadcasts a." (PrimaryIntegrity, for
 * an established leader and a learner it serves, both in BROADCAST)
 */
export function primaryIntegrity(c: ZabCluster): boolean {
  const nodes = running(c);
  for (const p of nodes) {
    if (p.state !== 'LEADING' || p.zabState !== 'BROADCAST') continue;
    const dp = delivered(p);
    for (const f of nodes) {
      if (f.leader !== p.id || f.zabState !== 'BROADCAST') continue;
      for (const b of delivered(f)) if (b.zxid.epoch < p.currentEpoch && !contains(dp, b)) return false;
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
  for (const leader of running(c)) {
    if (leader.state !== 'LEADING' || (leader.zabState !== 'SYNCHRONIZATION' && leader.zabState !== 'BROADCAST')) continue;
    for (const txn of c.ghost.committed) {
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
  const voters = c.servers.length > 0 ? (c.servers.find((s) => s.node !== null)?.node?.config.voters ?? c.servers.length) : 0;
  for (const txn of c.ghost.committed) {
    let holders = 0;
    for (let id = 0; id < voters; id++) if (contains(c.servers[id]!.disk.log, txn)) holders++;
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
  for (const txn of c.ghost.discarded) {
    if (contains(c.ghost.committed, txn)) return false;
    for (const x of running(c)) {
      if (contains(delivered(x), txn)) return false;
      const established = x.state === 'LEADING' && (x.zabState === 'SYNCHRONIZATION' || x.zabState === 'BROADCAST');
      if (established && txn.zxid.epoch < x.acceptedEpoch && contains(x.history, txn)) return false;
    }
  }
  return true;
}

export const properties: readonly Property<ZabCluster>[] = [
  { name: 'Leadership', kind: 'always', description: 'There is at most one established leader for a given epoch.', holds: leadership },
  { name: 'PrefixConsistency', kind: 'always', description: 'The committed prefixes of any two histories agree.', holds: prefixConsistency },
  { name: 'Integrity', kind: 'always', description: 'A delivered transaction was broadcast by some primary.', holds: integrity },
  { name: 'Agreement', kind: 'always', description: 'If f delivers a and f\' delivers b, then f\' delivers a or f delivers b.', holds: agreement },
  { name: 'TotalOrder', kind: 'always', description: 'Whoever delivers a before b and whoever delivers b delivers a before b.', holds: totalOrder },
  { name: 'LocalPrimaryOrder', kind: 'always', description: 'Proposals of one primary are delivered in the order it broadcast them.', holds: localPrimaryOrder },
  { name: 'GlobalPrimaryOrder', kind: 'always', description: 'Transactions of older epochs are delivered before those of newer ones.', holds: globalPrimaryOrder },
  { name: 'PrimaryIntegrity', kind: 'always', description: 'A primary delivers every older-epoch transaction its followers deliver.', holds: primaryIntegrity },
  { name: 'CommittedNeverLost', kind: 'always', description: 'Every committed proposal is in every later established leader, and none is ever truncated.', holds: committedNeverLost },
  { name: 'CommittedDurable', kind: 'always', description: 'Every committed proposal is on the disk of a quorum of voters.', holds: committedDurable },
  { name: 'DiscardedNeverReappear', kind: 'always', description: 'A proposal discarded by recovery is never committed or delivered later.', holds: discardedNeverReappear },
  {
    name: 'LeaderEstablished',
    kind: 'sometimes',
    description: 'A leader is established (a quorum acked NEWLEADER).',
    holds: (c) => running(c).some((x) => x.state === 'LEADING' && x.zabState === 'BROADCAST'),
  },
  { name: 'ProposalCommitted', kind: 'sometimes', description: 'A client proposal is committed.', holds: (c) => c.ghost.committed.length > 0 },
  { name: 'SyncByDIFF', kind: 'sometimes', description: 'A follower is synchronised by DIFF.', holds: (c) => running(c).some((x) => x.syncMode === 'DIFF') },
  { name: 'SyncByTRUNC', kind: 'sometimes', description: 'A follower is synchronised by TRUNC.', holds: (c) => running(c).some((x) => x.syncMode === 'TRUNC') },
  { name: 'SyncBySNAP', kind: 'sometimes', description: 'A follower is synchronised by SNAP.', holds: (c) => running(c).some((x) => x.syncMode === 'SNAP') },
  {
    name: 'ObserverLearnsCommit',
    kind: 'sometimes',
    description: 'An observer delivers a committed proposal.',
    holds: (c) => running(c).some((x) => x.state === 'OBSERVING' && x.lastCommitted > 0),
  },
];
