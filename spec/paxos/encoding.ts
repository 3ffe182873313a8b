// The fingerprint encoding of the single-decree Paxos world: the checker's hot
// path (once per permutation per generated state). Fixed field order, ints
// only; acceptor ids renamed under a symmetry permutation (README.md,
// "Symmetry"). The messages are written as one digest per acceptor
// (message-digest.ts), computed once per state and moved with its acceptor.

import type { Permutation, StateSink } from '../../model-check/model.ts';
import * as signatures from '../common/signature.ts';
import * as symmetry from '../common/symmetry.ts';
import * as digests from './message-digest.ts';
import * as packedMessages from './packing.ts';
import type { PackedMessage } from './packing.ts';
import type { AcceptorState, LearnerState, ProposerPhase, ProposerState } from './types.ts';
import type { PaxosCluster } from './world.ts';

// Bound once: tsx reads imported bindings through getters (see actions.ts).
const { accOf, destOf, is1a, is2a, withDest, withoutAcc } = packedMessages;
const { isIdentityOn, mapMask } = symmetry;
const { combine, mix } = signatures;
const { addSmallToDigest, clearDigest, digestSum, NO_ACCEPTOR, restoreDigest, saveDigest, writePart } = digests;

/** A proposer's phase as an int; compared, not looked up in an object by its name (a keyed load, measured slow here). */
function phaseCode(phase: ProposerPhase): number {
  return phase === 'idle' ? 0 : phase === 'phase1' ? 1 : 2;
}

export function encodeCluster(state: PaxosCluster, sink: StateSink, perm: Permutation, bag: boolean): void {
  digest(state, bag);
  const acceptors = state.acceptors;
  const identity = isIdentityOn(perm, acceptors.length);
  for (let newId = 0; newId < acceptors.length; newId++) {
    const old = identity ? newId : (perm.inverse[newId] as number);
    const acceptor = acceptors[old] as AcceptorState;
    sink.int(acceptor.maxBal);
    sink.int(acceptor.maxVBal);
    sink.int(acceptor.maxVal);
    // The messages naming this acceptor (its 1b and 2b, in a bag the 1a and 2a addressed to it), network and history.
    writePart(sink, old);
  }
  const proposers = state.proposers;
  for (let b = 0; b < proposers.length; b++) {
    const proposer = proposers[b] as ProposerState;
    sink.int(phaseCode(proposer.phase));
    sink.int(proposer.value);
  }
  const learners = state.learners;
  for (let l = 0; l < learners.length; l++) {
    const learner = learners[l] as LearnerState;
    sink.int(learner.learned);
    const votes = learner.votes;
    for (let k = 0; k < votes.length; k++) {
      const mask = votes[k] as number;
      sink.int(identity || mask === 0 ? mask : mapMask(perm.map, mask));
    }
  }
  writePart(sink, NO_ACCEPTOR);
  if (bag) {
    sink.int(state.dropsUsed);
    sink.int(state.duplicatesUsed);
  }
}

/** The state whose messages the digest holds (encode and the signatures are never re-entered; states are immutable). */
let digested: PaxosCluster | undefined;

/**
 * The messages into the digest, once per state: the network, and in a bag
 * the history's 1b and 2b (its 1a and 2a are derivable from the proposers:
 * 1a(b) was sent iff proposer b is past idle, 2a(b, v) iff it is in phase 2
 * with value v). In a set network the history is the network.
 */
function digest(state: PaxosCluster, bag: boolean): void {
  if (state === digested) return;
  digested = state;
  if (!bag) {
    clearDigest(state.acceptors.length);
    digestMessages(state.network, false, NETWORK_SALT);
    return;
  }
  // Most successors share their parent's history array (a step that sends
  // nothing new keeps it), and it holds three times the network's messages:
  // its digest is kept from the last state and reused while the array is the same.
  const sent = state.ghost.sent;
  if (sent === digestedHistory && state.acceptors.length === digestedHistoryAcceptors) {
    restoreDigest(state.acceptors.length);
  } else {
    clearDigest(state.acceptors.length);
    digestMessages(sent, false, HISTORY_SALT);
    saveDigest(state.acceptors.length);
    digestedHistory = sent;
    digestedHistoryAcceptors = state.acceptors.length;
  }
  digestMessages(state.network, true, NETWORK_SALT);
}

/** The history whose digest saveDigest holds, and for how many acceptors it was cleared. */
let digestedHistory: readonly PackedMessage[] | undefined;
let digestedHistoryAcceptors = 0;

const NETWORK_SALT = 0;
const HISTORY_SALT = 0x2545f491;

/**
 * Each message into the part of the acceptor it names, that id taken out: a
 * 1b's or 2b's sender, a 1a's or 2a's address when `addressed` (a bag). An
 * unaddressed 1a or 2a names no acceptor: into the last part from the
 * network, left out from the history (see digest).
 */
function digestMessages(messages: readonly PackedMessage[], addressed: boolean, salt: number): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as number;
    if (is1a(m) || is2a(m)) {
      if (addressed) addSmallToDigest(destOf(m), withDest(m, 0), salt);
      else if (salt === NETWORK_SALT) addSmallToDigest(NO_ACCEPTOR, m, salt);
    } else {
      addSmallToDigest(accOf(m), withoutAcc(m), salt);
    }
  }
}

/**
 * What each acceptor is, without naming any acceptor (model.ts,
 * Symmetry.signatures), into out[a]: its maxBal, maxVBal and maxVal, the
 * first sum of its digest (the messages naming it, its id taken out), and the
 * learners' vote sets it is in. With distinct signatures the checker encodes
 * a state once instead of 3! times.
 */
export function acceptorSignatures(state: PaxosCluster, bag: boolean, out: Float64Array): void {
  digest(state, bag);
  const n = state.acceptors.length;
  for (let a = 0; a < n; a++) mentions[a] = digestSum(a);
  for (let l = 0; l < state.learners.length; l++) {
    const votes = (state.learners[l] as PaxosCluster['learners'][number]).votes;
    for (let k = 0; k < votes.length; k++) {
      const mask = votes[k] as number;
      if (mask === 0) continue;
      const about = mix(l * 4096 + k + 0x40000000);
      for (let a = 0; a < n; a++) if ((mask & (1 << a)) !== 0) mentions[a] = ((mentions[a] as number) + about) | 0;
    }
  }
  for (let a = 0; a < n; a++) {
    const acceptor = state.acceptors[a] as AcceptorState;
    const own = ((acceptor.maxBal + 1) * 64 + acceptor.maxVBal + 1) * 64 + acceptor.maxVal + 1;
    out[a] = combine(own, mentions[a] as number);
  }
}

/** Per acceptor, its digest's first sum plus the hashes of the vote sets it is in; reused (never re-entered). */
const mentions = new Int32Array(packedMessages.FIELD_MAX);
