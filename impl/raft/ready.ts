// What one step asks the world to do, shaped so that persist-before-send is
// in the type (etcd-io/raft's Ready, whose contract is "write HardState,
// Entries and Snapshot to stable storage, then send Messages"): the messages,
// the committed entries to apply and the answered reads come sealed, and the
// only way to open the seal is a `Durable` receipt for this very Ready, which
// `persisted()` hands out and which a world calls only once the Ready's
// `persist` is on stable storage (after the fsync). A vote or an
// acknowledgement therefore cannot leave before what it promises is on disk,
// unless a world lies in writing `persisted(ready)` before its fsync; the
// simulation and the conformance replay both check the order at run time too.
//
// The world carries out Readys in the order the core produced them: each
// one's persist, then its outbox. A crash between the two loses the outbox
// (nothing was promised) and keeps what reached the disk.

import { assert } from '../../lib/assert.ts';
import type { Entry, HardState, Message, Snapshot } from './types.ts';

/** What must reach stable storage, in this order, before the outbox may be opened. */
export interface Persist {
  /** The new term and vote (Figure 2's persistent state). */
  readonly hardState?: HardState;
  /** A snapshot to store; when `replacesLog` the log becomes that snapshot alone (InstallSnapshot), otherwise the log before it is dropped (Compact). */
  readonly snapshot?: { readonly snapshot: Snapshot; readonly replacesLog: boolean };
  /** Delete every stored entry from entries[0].index on, then write these (a truncating append). */
  readonly entries?: readonly Entry[];
}

/** A read answered (dissertation §6.4): reply to `context` once the state machine has applied `index`. */
export interface ReadState {
  readonly context: number;
  readonly index: number;
}

/** What the world may do only once the Ready's persist is durable. */
export interface Outbox {
  readonly messages: readonly Message[];
  /** A snapshot to load into the state machine before `committed` (InstallSnapshot). */
  readonly applySnapshot?: Snapshot;
  /** Committed entries to apply to the state machine, in index order. */
  readonly committed: readonly Entry[];
  readonly reads: readonly ReadState[];
}

declare const durableBrand: unique symbol;

/** A receipt that a Ready's persist is on stable storage: the key to its outbox. */
export interface Durable {
  readonly [durableBrand]: true;
  readonly ready: number;
}

/** An outbox that opens only with the Durable receipt of its own Ready. */
export class Sealed {
  readonly #outbox: Outbox;
  constructor(
    readonly ready: number,
    outbox: Outbox,
  ) {
    this.#outbox = outbox;
  }

  open(receipt: Durable): Outbox {
    assert(receipt.ready === this.ready, () => `the receipt of Ready ${receipt.ready} opens the outbox of Ready ${this.ready}`);
    return this.#outbox;
  }
}

export interface Ready {
  /** Sequence number of the step that produced it (per node, from 1). */
  readonly id: number;
  /** undefined: nothing to persist; the outbox may be opened at once (persisted(ready) still gives the receipt). */
  readonly persist: Persist | undefined;
  readonly outbox: Sealed;
  /** Proposals and reads refused at once (not the leader, or no leadership yet in this term): nothing was promised, so nothing waits. */
  readonly refused: readonly { readonly what: 'Propose' | 'ReadIndex'; readonly context: number; readonly reason: string }[];
  /** Input ignored because it breaks the protocol (a message from a stranger, a leader deleting committed entries): for the log. */
  readonly warnings: readonly string[];
}

/**
 * The world's statement that `ready.persist` is on stable storage (or that
 * there was nothing to persist): the receipt that opens its outbox.
 */
export function persisted(ready: Ready): Durable {
  return { ready: ready.id } as Durable;
}

/** Whether a Ready asks for nothing at all (no persist, no outbox content, nothing refused). */
export function isEmptyReady(ready: Ready): boolean {
  const out = ready.outbox.open(persisted(ready));
  return ready.persist === undefined && ready.refused.length === 0 && out.messages.length === 0 && out.committed.length === 0 && out.reads.length === 0 && out.applySnapshot === undefined;
}
