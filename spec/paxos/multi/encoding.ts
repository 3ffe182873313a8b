// The fingerprint encoding of the Multi-Paxos world, the checker's hot path:
// ints in a fixed order, acceptors renamed under a symmetry permutation, the
// messages written as one digest per acceptor (../message-digest.ts: hashed
// once per state, moved whole with its acceptor, no re-sorting).

import type { Permutation, StateSink } from '../../../model-check/model.ts';
import * as symmetry from '../../common/symmetry.ts';
import * as signatures from '../../common/signature.ts';
import * as digests from '../message-digest.ts';
import * as packing from './packing.ts';
import type { LeaderState, MultiAcceptorState } from './types.ts';
import type { MultiCluster } from './world.ts';

// Bound once: tsx reads imported bindings through getters (see ../actions.ts).
const { multiAccOf, withoutMultiAcc } = packing;
const { combine } = signatures;
const { isIdentityOn } = symmetry;
const { addToDigest, clearDigest, digestSum, NO_ACCEPTOR, writePart } = digests;

/** A leader's phase as an int; compared, not looked up in an object by its name (a keyed load, measured slow in ../encoding.ts). */
function phaseCode(phase: LeaderState['phase']): number {
  return phase === 'idle' ? 0 : phase === 'phase1' ? 1 : 2;
}

/** Acceptors (renamed) each with the digest of the messages it sent, leaders, then the messages naming no acceptor. */
export function encodeMulti(state: MultiCluster, sink: StateSink, perm: Permutation): void {
  digest(state);
  const n = state.acceptors.length;
  const identity = isIdentityOn(perm, n);
  for (let newId = 0; newId < n; newId++) {
    const old = identity ? newId : (perm.inverse[newId] as number);
    const a = state.acceptors[old] as MultiAcceptorState;
    sink.int(a.maxBal);
    for (let s = 0; s < a.maxVBal.length; s++) {
      sink.int(a.maxVBal[s] as number);
      sink.int(a.maxVal[s] as number);
    }
    writePart(sink, old);
  }
  const leaders = state.leaders;
  for (let b = 0; b < leaders.length; b++) {
    const leader = leaders[b] as LeaderState;
    sink.int(phaseCode(leader.phase));
    for (let s = 0; s < leader.safe.length; s++) {
      sink.int(leader.safe[s] as number);
      sink.int(leader.proposed[s] as number);
    }
  }
  writePart(sink, NO_ACCEPTOR);
}

/** The state whose messages the digest holds (encode and the signatures are never re-entered; states are immutable). */
let digested: MultiCluster | undefined;

/** Each message into the part of the acceptor that sent it (a 1b or 2b, its id taken out), a 1a or 2a into the last part. */
function digest(state: MultiCluster): void {
  if (state === digested) return;
  digested = state;
  clearDigest(state.acceptors.length);
  const messages = state.network;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as number;
    // 1a and 2a carry no acceptor (their field is 0), so only a 1b or 2b names one.
    if ((m & 1) === 1) addToDigest(multiAccOf(m), withoutMultiAcc(m), 0);
    else addToDigest(NO_ACCEPTOR, m, 0);
  }
}

/**
 * What each acceptor is, without naming any acceptor (model.ts,
 * Symmetry.signatures), into out[a]: its maxBal and per-slot votes, and the
 * first sum of its digest (the 1b and 2b messages it sent, its id taken out).
 * With distinct signatures the checker encodes a state once instead of 3!
 * times.
 */
export function multiAcceptorSignatures(state: MultiCluster, out: Float64Array): void {
  digest(state);
  const n = state.acceptors.length;
  for (let a = 0; a < n; a++) {
    const acceptor = state.acceptors[a] as MultiAcceptorState;
    let own = acceptor.maxBal + 1;
    for (let s = 0; s < acceptor.maxVBal.length; s++) own = (own * 16 + (acceptor.maxVBal[s] as number) + 1) * 16 + (acceptor.maxVal[s] as number) + 1;
    out[a] = combine(own, digestSum(a));
  }
}
