// The fingerprint encoding of the Multi-Paxos world, the checker's hot path:
// ints in a fixed order, acceptors renamed under a symmetry permutation and
// the renamed messages re-sorted (spec/common/packed-network.ts).

import type { Permutation, StateSink } from '../../../model-check/model.ts';
import { SortedInts } from '../../common/packed-network.ts';
import * as symmetry from '../../common/symmetry.ts';
import * as signatures from '../../common/signature.ts';
import * as packing from './packing.ts';
import type { MultiAcceptorState } from './types.ts';
import type { MultiCluster } from './world.ts';

// Bound once: tsx reads imported bindings through getters (see ../actions.ts).
const { multiAccOf, permuteMulti, withoutMultiAcc } = packing;
const { combine, mix } = signatures;
const { isIdentityOn } = symmetry;

const PHASE_CODE = { idle: 0, phase1: 1, phase2: 2 } as const;
/** Reused by every encode (encode is never re-entered). */
const sorted = new SortedInts(true);

/** Acceptors (renamed), leaders, then the sorted (renamed) messages. */
export function encodeMulti(state: MultiCluster, sink: StateSink, perm: Permutation): void {
  const n = state.acceptors.length;
  const identity = isIdentityOn(perm, n);
  for (let newId = 0; newId < n; newId++) {
    const a = state.acceptors[identity ? newId : (perm.inverse[newId] as number)] as MultiAcceptorState;
    sink.int(a.maxBal);
    for (let s = 0; s < a.maxVBal.length; s++) {
      sink.int(a.maxVBal[s] as number);
      sink.int(a.maxVal[s] as number);
    }
  }
  for (const leader of state.leaders) {
    sink.int(PHASE_CODE[leader.phase]);
    for (let s = 0; s < leader.safe.length; s++) {
      sink.int(leader.safe[s] as number);
      sink.int(leader.proposed[s] as number);
    }
  }
  const messages = state.network;
  if (identity) {
    // Already sorted (the set network is kept sorted): written as writeWide would write it, without the copy.
    sink.int(messages.length);
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i] as number;
      sink.int(m % 0x40000000);
      sink.int(Math.floor(m / 0x40000000));
    }
    return;
  }
  sorted.clear();
  for (let i = 0; i < messages.length; i++) sorted.add(permuteMulti(messages[i] as number, perm.map));
  // Packed 1b messages can exceed 2^31, so each is written as two ints.
  sorted.writeWide(sink);
}

/**
 * What each acceptor is, without naming any acceptor (model.ts,
 * Symmetry.signatures), into out[a]: its maxBal and per-slot votes, and a
 * sum over the 1b and 2b messages it sent with its id taken out. One pass
 * over the messages for all acceptors. With distinct signatures the checker
 * encodes a state once instead of 3! times.
 */
export function multiAcceptorSignatures(state: MultiCluster, out: Float64Array): void {
  const n = state.acceptors.length;
  mentions.fill(0, 0, n);
  const messages = state.network;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as number;
    // 1a and 2a carry no acceptor (their field is 0), so only a 1b or 2b names one.
    if (m % 4 === 1 || m % 4 === 3) {
      const a = multiAccOf(m);
      mentions[a] = ((mentions[a] as number) + mix(withoutMultiAcc(m))) | 0;
    }
  }
  for (let a = 0; a < n; a++) {
    const acceptor = state.acceptors[a] as MultiAcceptorState;
    let own = acceptor.maxBal + 1;
    for (let s = 0; s < acceptor.maxVBal.length; s++) own = (own * 16 + (acceptor.maxVBal[s] as number) + 1) * 16 + (acceptor.maxVal[s] as number) + 1;
    out[a] = combine(own, mentions[a] as number);
  }
}

/** Per acceptor, the sum of the hashes of the messages it sent; reused (encode is never re-entered). */
const mentions = new Int32Array(packing.FIELD_MAX);
