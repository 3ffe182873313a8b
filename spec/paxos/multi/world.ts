// The world of the Multi-Paxos model: leaders (one per ballot, as in
// Paxos.tla), acceptors with a vote per slot, and a set network (Paxos.tla's
// msgs, spec/common/packed-network.ts: sent messages stay, so loss and
// duplication are implicit). No ghost is needed: the invariants read the set
// of sent messages. The actions are in actions.ts.

import { assert } from '../../../lib/assert.ts';
import { majority } from '../../../lib/quorum.ts';
import { ballot } from '../../common/types.ts';
import { initialMultiAcceptor } from './acceptor.ts';
import { initialLeader } from './leader.ts';
import { FIELD_MAX, SLOTS_MAX } from './packing.ts';
import type { LeaderState, MultiAcceptorState, MultiConfig, MultiMutantName } from './types.ts';

export interface MultiBounds {
  readonly acceptors: number;
  readonly values: number;
  readonly ballots: number;
  readonly slots: number;
  readonly symmetry: boolean;
}

export interface MultiCluster {
  readonly acceptors: readonly MultiAcceptorState[];
  readonly leaders: readonly LeaderState[];
  /** Packed messages, sorted: every message sent (a set, never emptied). */
  readonly network: readonly number[];
}

export function multiConfig(bounds: MultiBounds, mutant: MultiMutantName | undefined): MultiConfig {
  return { ...bounds, quorumSize: majority(bounds.acceptors), mutant };
}

export function validateBounds(bounds: MultiBounds): void {
  const inRange = (name: string, v: number, lo: number, hi: number) =>
    assert(Number.isInteger(v) && v >= lo && v <= hi, () => `${name} = ${v}, must be ${lo}..${hi}`);
  inRange('acceptors', bounds.acceptors, 1, FIELD_MAX - 1);
  inRange('values', bounds.values, 1, FIELD_MAX - 2);
  inRange('ballots', bounds.ballots, 1, FIELD_MAX - 2);
  inRange('slots', bounds.slots, 1, SLOTS_MAX);
}

export function initialCluster(config: MultiConfig): MultiCluster {
  return {
    acceptors: Array.from({ length: config.acceptors }, () => initialMultiAcceptor(config)),
    leaders: Array.from({ length: config.ballots }, (_, b) => initialLeader(ballot(b), config)),
    network: [],
  };
}
