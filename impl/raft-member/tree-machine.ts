// The data tree as the state machine of the Raft log: each entry's data is
// one txn in the server's own encoding (impl/tree/txn.ts, zookeeper.jute's
// TxnHeader and record, as the ZAB path logs and proposes them), applied with
// `DataTree.applyTxn`, the one place the tree changes, so znodes, sessions,
// ephemerals and watches behave as they do under ZAB. Snapshots are
// impl/tree's `serializeTree`.
//
// The zxid is the entry's position, not the proposer's guess: (term << 32) |
// index, ZAB's (epoch, counter) shape. It strictly increases along the log
// (a later index never has a smaller term), every member computes the same one,
// and a txn prepped by a leader that then lost its leadership cannot claim a
// zxid another leader's entry holds.
//
// An entry whose data does not decode is skipped with an error line: every
// member skips it alike, so the trees stay equal; it can only come from a
// proposer's bug, since entries are checksummed on disk and validated on the
// wire. A snapshot that does not decode stops the member (`restore` says why).

import { assert } from '../../lib/assert.ts';
import { DataTree, type ApplyOutcome } from '../tree/data-tree.ts';
import { deserializeTree, serializeTree } from '../tree/snapshot.ts';
import { decodeTxn, type Txn } from '../tree/txn.ts';
import type { Entry, Snapshot } from '../raft/types.ts';
import type { StateMachine } from './driver.ts';
import type { MemberLog } from './transport.ts';

/** The zxid of the txn at a log position. */
export function zxidOf(term: number, index: number): bigint {
  assert(index < 2 ** 32 && term < 2 ** 31, () => `zxid of term ${term} index ${index} does not fit ZAB's 32 + 32 bits`);
  return (BigInt(term) << 32n) | BigInt(index);
}

export interface AppliedTxn {
  readonly entry: Entry;
  readonly txn: Txn;
  readonly outcome: ApplyOutcome;
}

export class TreeMachine implements StateMachine {
  tree = new DataTree();

  constructor(
    private readonly log: MemberLog,
    /** Each txn applied, with the result its client's reply and the watch events come from. */
    private readonly onApplied?: (applied: AppliedTxn) => void,
  ) {}

  restore(snapshot: Snapshot | undefined): string | undefined {
    if (snapshot === undefined) {
      this.tree = new DataTree();
      return undefined;
    }
    const decoded = deserializeTree(snapshot.data);
    if (!decoded.ok) return `the snapshot at index ${snapshot.index} does not decode as a data tree: ${decoded.error}`;
    this.tree = decoded.value;
    return undefined;
  }

  apply(entry: Entry): void {
    if (entry.data.length === 0) return; // a new leader's no-op
    const decoded = decodeTxn(entry.data);
    if (!decoded.ok) {
      this.log('error', 'raft-entry-skipped', { index: entry.index, term: entry.term, reason: decoded.error });
      return;
    }
    const txn = { ...decoded.value, zxid: zxidOf(entry.term, entry.index) };
    const outcome = this.tree.applyTxn(txn);
    this.onApplied?.({ entry, txn, outcome });
  }

  snapshot(): Uint8Array {
    return serializeTree(this.tree);
  }
}
