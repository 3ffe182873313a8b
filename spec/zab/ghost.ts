// The ghost variables of the ZAB world (Ghost, kept by world.ts): what happened, for
// the invariants only (ZkV3_7_0.tla's proposalMsgsLog and epochLeader, and
// three sets of ours). recordGhost runs after every change of a server's
// memory (World.afterChange) and adds what that change means: a leader
// reached synchronisation in its epoch, a leader was established (its initial
// history is committed, older proposals outside it are discarded for good), a
// leader committed more, a committed proposal left a log. The sets are kept
// sorted as they grow, so that encoding.ts writes them without sorting.

import * as histories from './history.ts';
import type { Txn, ZabNode } from './types.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { compareZxid, txnEquals } = histories;

export type MutableGhost = { -readonly [K in keyof Ghost]: Ghost[K][number][] };

/** Ghost variables: what happened, for the invariants only (ZkV3_7_0.tla: proposalMsgsLog, epochLeader). */
export interface Ghost {
  /** Every proposal any leader made, in order, with its leader. */
  readonly proposed: readonly { readonly txn: Txn; readonly source: number }[];
  /** Every proposal a leader committed (by a quorum of ACKs, or as its initial history once established). */
  readonly committed: readonly Txn[];
  /** Leaders that reached synchronisation, per epoch (epochLeader). */
  readonly epochLeaders: readonly { readonly epoch: number; readonly leader: number }[];
  /** Proposals of earlier epochs left out of an established leader's initial history. */
  readonly discarded: readonly Txn[];
  /** Committed proposals some server removed from its log (TRUNC, SNAP). */
  readonly lostCommitted: readonly Txn[];
}

/** What recordGhost needs of the world: its ghost, and leave to change it in place (World is the one). */
export interface GhostKeeper {
  readonly ghost: Ghost;
  mutableGhost(): MutableGhost;
}

export function recordGhost(world: GhostKeeper, id: number, before: ZabNode, after: ZabNode): void {
  if (after.state === 'LEADING' && before.state === 'LEADING') {
    if (before.zabState === 'DISCOVERY' && after.zabState === 'SYNCHRONIZATION') {
      const leaders = world.mutableGhost().epochLeaders;
      let at = leaders.length;
      while (at > 0 && (leaders[at - 1]!.epoch > after.acceptedEpoch || (leaders[at - 1]!.epoch === after.acceptedEpoch && leaders[at - 1]!.leader > id))) at--;
      leaders.splice(at, 0, { epoch: after.acceptedEpoch, leader: id });
    }
    if (before.zabState === 'SYNCHRONIZATION' && after.zabState === 'BROADCAST') {
      // Established: the initial history is committed; older proposals outside it are discarded for good.
      for (let k = 0; k < after.history.length; k++) addTxn(world, 'committed', after.history[k]!);
      const proposed = world.ghost.proposed;
      for (let k = 0; k < proposed.length; k++) {
        const txn = proposed[k]!.txn;
        if (txn.zxid.epoch < after.acceptedEpoch && !containsTxn(after.history, txn)) addTxn(world, 'discarded', txn);
      }
    } else if (after.zabState === 'BROADCAST' && after.lastCommitted > before.lastCommitted) {
      for (let k = before.lastCommitted; k < after.lastCommitted; k++) addTxn(world, 'committed', after.history[k]!);
    }
  }
  // Any entry of an older epoch that left a log (TRUNC, SNAP) must not have been committed. Proposals of
  // the current epoch may be truncated while a learner resynchronises in BROADCAST: the leader queues
  // them again right after the TRUNC (Leader.startForwarding).
  if (before.history === after.history) return;
  let common = 0;
  while (common < before.history.length && common < after.history.length && txnEquals(before.history[common]!, after.history[common]!)) common++;
  for (let k = common; k < before.history.length; k++) {
    const txn = before.history[k]!;
    if (txn.zxid.epoch < after.acceptedEpoch && containsTxn(world.ghost.committed, txn)) addTxn(world, 'lostCommitted', txn);
  }
}

/** Adds txn to a ghost set of transactions, kept sorted by zxid then value. */
function addTxn(world: GhostKeeper, set: 'committed' | 'discarded' | 'lostCommitted', txn: Txn): void {
  if (containsTxn(world.ghost[set], txn)) return;
  const txns = world.mutableGhost()[set];
  let at = txns.length;
  while (at > 0 && compareTxn(txns[at - 1]!, txn) > 0) at--;
  txns.splice(at, 0, txn);
}

function containsTxn(txns: readonly Txn[], txn: Txn): boolean {
  for (let k = 0; k < txns.length; k++) if (txnEquals(txns[k]!, txn)) return true;
  return false;
}

function compareTxn(a: Txn, b: Txn): number {
  return compareZxid(a.zxid, b.zxid) || a.value - b.value;
}
