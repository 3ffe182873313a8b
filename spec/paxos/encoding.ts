// The fingerprint encoding of the single-decree Paxos world: the checker's hot
// path (once per permutation per generated state). Fixed field order, ints
// only; acceptor ids renamed under a symmetry permutation (README.md,
// "Symmetry"), the renamed messages re-sorted (spec/common/packed-network.ts).

import type { Permutation, StateSink } from '../../model-check/model.ts';
import { SortedInts } from '../common/packed-network.ts';
import * as signatures from '../common/signature.ts';
import * as symmetry from '../common/symmetry.ts';
import * as packedMessages from './packing.ts';
import type { PackedMessage } from './packing.ts';
import type { AcceptorState } from './types.ts';
import type { PaxosCluster } from './world.ts';

// Bound once: tsx reads imported bindings through getters (see actions.ts).
const { accOf, destOf, FIELD_MAX, is1a, is2a, permuteMessage, withDest, withoutAcc } = packedMessages;
const { isIdentityOn, mapMask } = symmetry;
const { combine, mix } = signatures;

const PHASE_CODE = { idle: 0, phase1: 1, phase2: 2 } as const;

export function encodeCluster(state: PaxosCluster, sink: StateSink, perm: Permutation, bag: boolean): void {
  const acceptors = state.acceptors;
  const identity = isIdentityOn(perm, acceptors.length);
  for (let newId = 0; newId < acceptors.length; newId++) {
    const acceptor = acceptors[identity ? newId : (perm.inverse[newId] as number)] as AcceptorState;
    sink.int(acceptor.maxBal);
    sink.int(acceptor.maxVBal);
    sink.int(acceptor.maxVal);
  }
  for (const proposer of state.proposers) {
    sink.int(PHASE_CODE[proposer.phase]);
    sink.int(proposer.value);
  }
  for (const learner of state.learners) {
    sink.int(learner.learned);
    for (const mask of learner.votes) sink.int(identity ? mask : mapMask(perm.map, mask));
  }
  writeMessages(state.network, sink, perm, identity, bag, false);
  if (bag) {
    sink.int(state.dropsUsed);
    sink.int(state.duplicatesUsed);
    // The 1a and 2a messages of the history are derivable from the proposers
    // (1a(b) was sent iff proposer b is past idle, 2a(b, v) iff it is in
    // phase 2 with value v), so only the 1b and 2b are written.
    writeMessages(state.ghost.sent, sink, perm, identity, false, true);
  }
}

/** Reused by every encode (encode is never re-entered). */
const sorted = new SortedInts();

/** Renamed ids change the order, so the renamed messages are re-sorted. */
function writeMessages(
  messages: readonly PackedMessage[],
  sink: StateSink,
  perm: Permutation,
  identity: boolean,
  addressed: boolean,
  votesAndPromisesOnly: boolean,
): void {
  if (identity) {
    // Already sorted (a packed network is kept sorted): written as SortedInts would write it, without the copy.
    writeSorted(messages, sink, votesAndPromisesOnly);
    return;
  }
  sorted.clear();
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as number;
    if (votesAndPromisesOnly && (is1a(m) || is2a(m))) continue;
    sorted.add(identity ? m : permuteMessage(m, perm.map, addressed));
  }
  sorted.write(sink);
}

/** How many messages, then each, as SortedInts.write; with votesAndPromisesOnly only the 1b and 2b. */
function writeSorted(messages: readonly PackedMessage[], sink: StateSink, votesAndPromisesOnly: boolean): void {
  let count = messages.length;
  if (votesAndPromisesOnly) for (let i = 0; i < messages.length; i++) if (is1a(messages[i] as number) || is2a(messages[i] as number)) count--;
  sink.int(count);
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as number;
    if (!votesAndPromisesOnly || !(is1a(m) || is2a(m))) sink.int(m);
  }
}

/**
 * What each acceptor is, without naming any acceptor (model.ts,
 * Symmetry.signatures), into out[a]: its maxBal, maxVBal and maxVal, and a
 * sum over the messages it sent or (in a bag) is sent, its 1b and 2b in the
 * history and the learners' vote sets it is in, each with its id taken out.
 * One pass over the messages for all acceptors. With distinct signatures the
 * checker encodes a state once instead of 3! times.
 */
export function acceptorSignatures(state: PaxosCluster, bag: boolean, out: Float64Array): void {
  const n = state.acceptors.length;
  mentions.fill(0, 0, n);
  sumMentions(state.network, bag, 0);
  if (bag) sumMentions(state.ghost.sent, false, 0x2545f491);
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

/** Per acceptor, the sum of the hashes of the messages naming it; reused (encode is never re-entered). */
const mentions = new Int32Array(FIELD_MAX);

/** Adds to `mentions` each message's hash (its acceptor id zeroed, plus `salt`) at its sender, or in a bag at the acceptor it is addressed to. */
function sumMentions(messages: readonly PackedMessage[], addressed: boolean, salt: number): void {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as number;
    if (is1a(m) || is2a(m)) {
      if (addressed) {
        const a = destOf(m);
        mentions[a] = ((mentions[a] as number) + mix(withDest(m, 0) ^ salt)) | 0;
      }
    } else {
      const a = accOf(m);
      mentions[a] = ((mentions[a] as number) + mix(withoutAcc(m) ^ salt)) | 0;
    }
  }
}
