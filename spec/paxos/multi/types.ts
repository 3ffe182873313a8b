// Multi-Paxos (Lamport, "Paxos Made Simple" §3): a sequence of consensus
// instances ("slots"). The leader of a ballot runs phase 1 once for all slots
// (its 1a covers every slot; each 1b reports the acceptor's latest vote in
// every slot), then runs phase 2 separately per slot. Names follow Paxos.tla
// (maxBal, maxVBal, maxVal) with a slot index added where a vote is kept.

import type { Ballot, NodeId } from '../../common/types.ts';

export type Value = number;
export type Slot = number;
export const NONE: Value = -1;
export const NO_BALLOT = -1 as Ballot;

export interface MultiAcceptorState {
  /** The highest ballot promised or voted in: one promise covers every slot. */
  readonly maxBal: Ballot;
  /** Per slot: the ballot and value of the latest vote (<<-1, None>> if none). */
  readonly maxVBal: readonly Ballot[];
  readonly maxVal: readonly Value[];
}

/**
 * The leader of one ballot (as in Paxos.tla, one leader per ballot number).
 * `safe[s]` is what phase 1 left it for slot s: the value it must propose
 * (the highest-ballot vote reported) or NONE (free). `proposed[s]` is the
 * value of the 2a it sent for slot s, NONE before.
 */
export interface LeaderState {
  readonly ballot: Ballot;
  readonly phase: 'idle' | 'phase1' | 'phase2';
  readonly safe: readonly Value[];
  readonly proposed: readonly Value[];
}

export type MultiMessage =
  | { readonly type: '1a'; readonly bal: Ballot }
  | {
      readonly type: '1b';
      readonly acc: NodeId;
      readonly bal: Ballot;
      /** Per slot, the acceptor's latest vote when it promised. */
      readonly mbal: readonly Ballot[];
      readonly mval: readonly Value[];
    }
  | { readonly type: '2a'; readonly bal: Ballot; readonly slot: Slot; readonly val: Value }
  | { readonly type: '2b'; readonly acc: NodeId; readonly bal: Ballot; readonly slot: Slot; readonly val: Value };

export type Multi1b = Extract<MultiMessage, { type: '1b' }>;

export type MultiEffect = { readonly kind: 'send'; readonly message: MultiMessage };

export type MultiAcceptorEvent =
  | { readonly type: 'receive1a'; readonly message: Extract<MultiMessage, { type: '1a' }> }
  | { readonly type: 'receive2a'; readonly message: Extract<MultiMessage, { type: '2a' }> };

export type LeaderEvent =
  | { readonly type: 'startBallot' }
  /** Phase 1 ends: a quorum's promises for this ballot, delivered together. */
  | { readonly type: 'receivePromises'; readonly promises: readonly Multi1b[] }
  /** Phase 2a for one slot; `clientValue` is used if phase 1 left the slot free. */
  | { readonly type: 'propose'; readonly slot: Slot; readonly clientValue: Value };

export type MultiMutantName = 'forget-later-slots';

export interface MultiConfig {
  readonly acceptors: number;
  readonly values: number;
  readonly ballots: number;
  readonly slots: number;
  readonly quorumSize: number;
  readonly mutant: MultiMutantName | undefined;
}
