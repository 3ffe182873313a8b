// The single-decree Paxos cluster model the checker explores: proposers (one
// per ballot, as in Paxos.tla), acceptors, learners, the network and the
// ghost history. Actions are Paxos.tla's Phase1a(b), Phase1b(a), Phase2a(b, v)
// and Phase2b(a), plus Learn (a learner receives a 2b) and, in a bag network,
// DropMessage and DuplicateMessage.
//
// The network's semantics are a setting (as in stateright):
// - `set`: Paxos.tla's msgs. Sent messages are never removed, so any message
//   can be received any number of times or never: loss and duplication are
//   implicit. With no learners this model is isomorphic to Paxos.tla (see
//   README.md, "State counts").
// - `bag`: a multiset of addressed copies (a broadcast puts one copy per
//   recipient). Delivery consumes a copy; DropMessage and DuplicateMessage are
//   explicit actions, each with its own budget (maxDrops, maxDuplicates).
//   A copy its recipient will ignore forever (a 1a below the acceptor's
//   promise, a 1b for a proposer past phase 1, ...) is taken out of flight
//   as soon as it becomes so: that is what the recipient would do on receipt,
//   and keeping it would only multiply states that no node can tell apart
//   (see isInert and README.md, "Inert messages").

import { assert, assertNever } from '../../lib/assert.ts';
import { subsetsOfSize } from '../common/quorum.ts';
import type { Ballot, NodeId } from '../common/types.ts';
import { ballot, nodeId } from '../common/types.ts';
import type { Model, Permutation, StateSink } from '../../model-check/model.ts';
import { acceptorStep, initialAcceptor } from './acceptor.ts';
import { initialLearner, learnerStep } from './learner.ts';
import { paxosProperties } from './invariants.ts';
import type { InvariantShape } from './invariants.ts';
import { quorumSizeFor } from './mutants.ts';
import * as packedMessages from './network.ts';
import type { PackedMessage } from './network.ts';
import { initialProposer, proposerStep } from './proposer.ts';
import type {
  AcceptorState,
  LearnerState,
  Message,
  Message1b,
  PaxosConfig,
  PaxosEffect,
  PaxosMutantName,
  ProposerState,
  Value,
} from './types.ts';

// Bound once: under tsx every imported binding is read through a getter, which
// showed up at 14% of a profile when called in the per-state loops below.
const {
  FIELD_MAX,
  accOf,
  bagAdd,
  bagRemove,
  ballotOf,
  contains,
  destOf,
  is1a,
  is1b,
  is2a,
  is2b,
  mbalOf,
  pack,
  permuteMessage,
  setAdd,
  unpack,
  unpack1b,
  valOf,
  withDest,
  withoutDest,
} = packedMessages;

export type NetworkKind = 'set' | 'bag';

export interface PaxosBounds {
  readonly acceptors: number;
  readonly values: number;
  /** Ballots 0..ballots-1 (MCPaxos's MaxBallot is ballots - 1). */
  readonly ballots: number;
  readonly network: NetworkKind;
  /** Bag only: how many DropMessage actions a behaviour may take. */
  readonly maxDrops: number;
  /** Bag only: how many DuplicateMessage actions a behaviour may take. */
  readonly maxDuplicates: number;
  readonly learners: number;
  /** Treat acceptors as interchangeable (TLC's SYMMETRY Permutations(Acceptor)). */
  readonly symmetry: boolean;
}

export interface PaxosCluster {
  readonly acceptors: readonly AcceptorState[];
  /** proposers[b] leads ballot b. */
  readonly proposers: readonly ProposerState[];
  readonly learners: readonly LearnerState[];
  /** Packed messages, sorted: Paxos.tla's msgs (set) or the copies in flight (bag). */
  readonly network: readonly PackedMessage[];
  readonly dropsUsed: number;
  readonly duplicatesUsed: number;
  readonly ghost: {
    /**
     * Every message ever sent, unaddressed and without repeats: Paxos.tla's
     * msgs. The same array as `network` in a set network (so derivable and
     * left out of the fingerprint); in a bag network the network forgets
     * what was delivered or dropped, so this is history only the invariants
     * read, and it is fingerprinted (README.md, "Ghost and fingerprints").
     */
    readonly sent: readonly PackedMessage[];
  };
}

export type PaxosAction =
  | { readonly kind: 'Phase1a'; readonly bal: Ballot }
  | { readonly kind: 'Phase1b'; readonly acc: NodeId; readonly message: PackedMessage }
  | {
      readonly kind: 'Phase2a';
      readonly bal: Ballot;
      /** One 1b per acceptor of the quorum, all for `bal`. */
      readonly promises: readonly PackedMessage[];
      readonly clientValue: Value;
    }
  | { readonly kind: 'Phase2b'; readonly acc: NodeId; readonly message: PackedMessage }
  | { readonly kind: 'Learn'; readonly learner: number; readonly message: PackedMessage }
  | { readonly kind: 'DropMessage'; readonly message: PackedMessage }
  | { readonly kind: 'DuplicateMessage'; readonly message: PackedMessage };

export function paxosConfig(bounds: PaxosBounds, mutant: PaxosMutantName | undefined): PaxosConfig {
  return {
    acceptors: bounds.acceptors,
    values: bounds.values,
    ballots: bounds.ballots,
    quorumSize: quorumSizeFor(bounds.acceptors, mutant),
    mutant,
  };
}

export function initialCluster(bounds: PaxosBounds, config: PaxosConfig): PaxosCluster {
  const network: readonly PackedMessage[] = [];
  return {
    acceptors: Array.from({ length: bounds.acceptors }, () => initialAcceptor),
    proposers: Array.from({ length: bounds.ballots }, (_, b) => initialProposer(ballot(b))),
    learners: Array.from({ length: bounds.learners }, () => initialLearner(config)),
    network,
    dropsUsed: 0,
    duplicatesUsed: 0,
    ghost: { sent: bounds.network === 'set' ? network : [] },
  };
}

export function validateBounds(bounds: PaxosBounds): void {
  const intIn = (name: string, value: number, lo: number, hi: number) =>
    assert(Number.isInteger(value) && value >= lo && value <= hi, () => `${name} = ${value}, must be ${lo}..${hi}`);
  intIn('acceptors', bounds.acceptors, 1, FIELD_MAX - 1);
  intIn('values', bounds.values, 1, FIELD_MAX - 2);
  intIn('ballots', bounds.ballots, 1, FIELD_MAX - 2);
  intIn('learners', bounds.learners, 0, FIELD_MAX - 1);
  intIn('maxDrops', bounds.maxDrops, 0, 1_000);
  intIn('maxDuplicates', bounds.maxDuplicates, 0, 1_000);
  assert(bounds.network === 'set' || bounds.network === 'bag', () => `network = ${String(bounds.network)}`);
}

/** The Model the checker explores, for these bounds and at most one mutant. */
export function buildPaxosModel(
  bounds: PaxosBounds,
  mutant: PaxosMutantName | undefined,
): Model<PaxosCluster, PaxosAction> {
  validateBounds(bounds);
  const config = paxosConfig(bounds, mutant);
  const shape: InvariantShape = config;
  const bag = bounds.network === 'bag';

  return {
    init: () => [initialCluster(bounds, config)],
    actions: (state) => enabledActions(state, bounds, config),
    next: (state, action) => nextState(state, action, bounds, config),
    properties: paxosProperties(shape, bounds.learners),
    withinBoundary: () => true,
    encode: (state, sink, perm) => encodeCluster(state, sink, perm, bag),
    ...(bounds.symmetry ? { symmetry: { servers: bounds.acceptors } } : {}),
    formatAction: (action) => formatAction(action, bag),
    view: (state) => viewCluster(state, bag),
  };
}

// ---------------------------------------------------------------------------
// Actions

export function enabledActions(state: PaxosCluster, bounds: PaxosBounds, config: PaxosConfig): PaxosAction[] {
  const actions: PaxosAction[] = [];
  const bag = bounds.network === 'bag';
  for (const proposer of state.proposers) {
    if (proposer.phase === 'idle') actions.push({ kind: 'Phase1a', bal: proposer.ballot });
  }
  // promisesByBallot[b]: one 1b per acceptor, for proposers still in phase 1.
  const promisesByBallot: PackedMessage[][] = state.proposers.map(() => []);
  const canDrop = bag && state.dropsUsed < bounds.maxDrops;
  const canDuplicate = bag && state.duplicatesUsed < bounds.maxDuplicates;
  let previous = -1;
  for (const m of state.network) {
    if (m === previous) continue; // a second copy in a bag enables the same actions
    previous = m;
    if (is1a(m)) {
      if (bag) actions.push({ kind: 'Phase1b', acc: nodeId(destOf(m)), message: m });
      else for (let a = 0; a < bounds.acceptors; a++) actions.push({ kind: 'Phase1b', acc: nodeId(a), message: m });
    } else if (is2a(m)) {
      if (bag) actions.push({ kind: 'Phase2b', acc: nodeId(destOf(m)), message: m });
      else for (let a = 0; a < bounds.acceptors; a++) actions.push({ kind: 'Phase2b', acc: nodeId(a), message: m });
    } else if (is2b(m)) {
      if (bag) actions.push({ kind: 'Learn', learner: destOf(m), message: m });
      else for (let l = 0; l < bounds.learners; l++) actions.push({ kind: 'Learn', learner: l, message: m });
    } else {
      const b = ballotOf(m);
      const promises = promisesByBallot[b] as PackedMessage[];
      if (state.proposers[b]?.phase === 'phase1' && !promises.some((p) => accOf(p) === accOf(m))) promises.push(m);
    }
    if (canDrop) actions.push({ kind: 'DropMessage', message: m });
    if (canDuplicate) actions.push({ kind: 'DuplicateMessage', message: m });
  }
  for (let b = 0; b < promisesByBallot.length; b++) {
    const promises = promisesByBallot[b] as PackedMessage[];
    if (promises.length < config.quorumSize) continue;
    for (const quorum of subsetsOfSize(promises.length, config.quorumSize)) {
      const chosenPromises = quorum.map((i) => promises[i] as PackedMessage);
      for (let v = 0; v < config.values; v++) {
        actions.push({ kind: 'Phase2a', bal: ballot(b), promises: chosenPromises, clientValue: v });
      }
    }
  }
  return actions;
}

export function nextState(
  state: PaxosCluster,
  action: PaxosAction,
  bounds: PaxosBounds,
  config: PaxosConfig,
): PaxosCluster | undefined {
  const next = applyAction(state, action, bounds, config);
  return next !== undefined && bounds.network === 'bag' ? withoutInert(next, config) : next;
}

function applyAction(
  state: PaxosCluster,
  action: PaxosAction,
  bounds: PaxosBounds,
  config: PaxosConfig,
): PaxosCluster | undefined {
  switch (action.kind) {
    case 'Phase1a':
      return onPhase1a(state, action.bal, bounds, config);
    case 'Phase1b':
      return onDeliverToAcceptor(state, action.acc, action.message, bounds, config);
    case 'Phase2a':
      return onPhase2a(state, action.bal, action.promises, action.clientValue, bounds, config);
    case 'Phase2b':
      return onDeliverToAcceptor(state, action.acc, action.message, bounds, config);
    case 'Learn':
      return onLearn(state, action.learner, action.message, bounds, config);
    case 'DropMessage':
      return onDrop(state, action.message, bounds);
    case 'DuplicateMessage':
      return onDuplicate(state, action.message, bounds);
    default:
      return assertNever(action, 'paxos action');
  }
}

/** Paxos.tla Phase1a(b): the ballot-b proposer sends its 1a. */
function onPhase1a(state: PaxosCluster, bal: Ballot, bounds: PaxosBounds, config: PaxosConfig): PaxosCluster | undefined {
  const proposer = state.proposers[bal];
  assert(proposer !== undefined, () => `no proposer for ballot ${bal}`);
  const t = proposerStep(proposer, { type: 'startBallot' }, config);
  if (t.state === proposer) return undefined;
  const proposers = state.proposers.slice();
  proposers[bal] = t.state;
  return send({ ...state, proposers }, t.effects, bounds);
}

/** Paxos.tla Phase1b(a) (a 1a arrives) and Phase2b(a) (a 2a arrives). */
function onDeliverToAcceptor(
  state: PaxosCluster,
  acc: NodeId,
  message: PackedMessage,
  bounds: PaxosBounds,
  config: PaxosConfig,
): PaxosCluster | undefined {
  const acceptor = state.acceptors[acc];
  assert(acceptor !== undefined, () => `no acceptor ${acc}`);
  const decoded = unpack(message);
  const event =
    decoded.type === '1a'
      ? ({ type: 'receive1a', message: decoded } as const)
      : decoded.type === '2a'
        ? ({ type: 'receive2a', message: decoded } as const)
        : undefined;
  assert(event !== undefined, () => `acceptor ${acc} handed a ${decoded.type}`);
  const t = acceptorStep(acc, acceptor, event, config);
  if (t.state === acceptor && t.effects.length === 0) return undefined;
  const acceptors = state.acceptors.slice();
  acceptors[acc] = sameAcceptor(t.state, acceptor) ? acceptor : t.state;
  const network = bounds.network === 'bag' ? bagRemove(state.network, message) : state.network;
  const next = send({ ...state, acceptors, network }, t.effects, bounds);
  // A repeated vote in a set network re-sends a 2b msgs already holds: a stuttering step.
  if (bounds.network === 'set' && next.network === state.network && acceptors[acc] === acceptor) return undefined;
  return next;
}

/**
 * Paxos.tla Phase2a(b, v): the quorum's 1b messages for ballot b are
 * delivered to proposer b, with the value its client asks for.
 */
function onPhase2a(
  state: PaxosCluster,
  bal: Ballot,
  promises: readonly PackedMessage[],
  clientValue: Value,
  bounds: PaxosBounds,
  config: PaxosConfig,
): PaxosCluster | undefined {
  const proposer = state.proposers[bal];
  assert(proposer !== undefined, () => `no proposer for ballot ${bal}`);
  const decoded: Message1b[] = promises.map(unpack1b);
  const t = proposerStep(proposer, { type: 'receivePromises', promises: decoded, clientValue }, config);
  if (t.state === proposer) return undefined;
  const proposers = state.proposers.slice();
  proposers[bal] = t.state;
  let network = state.network;
  if (bounds.network === 'bag') for (const p of promises) network = bagRemove(network, p);
  return send({ ...state, proposers, network }, t.effects, bounds);
}

/** A learner receives a 2b ("Paxos Made Simple" §2.3). */
function onLearn(
  state: PaxosCluster,
  index: number,
  message: PackedMessage,
  bounds: PaxosBounds,
  config: PaxosConfig,
): PaxosCluster | undefined {
  const learner = state.learners[index];
  assert(learner !== undefined, () => `no learner ${index}`);
  const decoded = unpack(message);
  assert(decoded.type === '2b', () => `learner ${index} handed a ${decoded.type}`);
  const t = learnerStep(learner, { type: 'receive2b', message: decoded }, config);
  if (t.state === learner) return undefined;
  const learners = state.learners.slice();
  learners[index] = t.state;
  const network = bounds.network === 'bag' ? bagRemove(state.network, message) : state.network;
  return send({ ...state, learners, network }, t.effects, bounds);
}

function onDrop(state: PaxosCluster, message: PackedMessage, bounds: PaxosBounds): PaxosCluster | undefined {
  if (bounds.network !== 'bag' || state.dropsUsed >= bounds.maxDrops) return undefined;
  return { ...state, network: bagRemove(state.network, message), dropsUsed: state.dropsUsed + 1 };
}

function onDuplicate(state: PaxosCluster, message: PackedMessage, bounds: PaxosBounds): PaxosCluster | undefined {
  if (bounds.network !== 'bag' || state.duplicatesUsed >= bounds.maxDuplicates) return undefined;
  assert(contains(state.network, message), () => `duplicating message ${message} that is not in flight`);
  return { ...state, network: bagAdd(state.network, message), duplicatesUsed: state.duplicatesUsed + 1 };
}

/**
 * In a bag, whether the recipient of this copy will decline it in every
 * future state. Each case is permanent because the field it reads only
 * grows: maxBal, the proposer's phase, the learner's vote masks. (Under
 * accept-below-promise a 2a is never inert: the acceptor takes any ballot.)
 * A copy of a 2a for the ballot the acceptor is in is not inert either: it
 * votes again and re-sends its 2b.
 */
export function isInert(state: PaxosCluster, m: PackedMessage, config: PaxosConfig): boolean {
  const bal = ballotOf(m);
  if (is1a(m)) return (state.acceptors[destOf(m)] as AcceptorState).maxBal >= bal;
  if (is2a(m)) {
    return config.mutant !== 'accept-below-promise' && (state.acceptors[destOf(m)] as AcceptorState).maxBal > bal;
  }
  if (is1b(m)) return (state.proposers[bal] as ProposerState).phase !== 'phase1';
  const learner = state.learners[destOf(m)] as LearnerState;
  return (((learner.votes[bal * config.values + valOf(m)] as number) >> accOf(m)) & 1) === 1;
}

/** The bag without its inert copies (the same array if there are none). */
function withoutInert(state: PaxosCluster, config: PaxosConfig): PaxosCluster {
  const network = state.network;
  let i = 0;
  while (i < network.length && !isInert(state, network[i] as number, config)) i++;
  if (i === network.length) return state;
  const kept = network.slice(0, i);
  for (i++; i < network.length; i++) {
    const m = network[i] as number;
    if (!isInert(state, m, config)) kept.push(m);
  }
  return { ...state, network: kept };
}

/** Puts each sent message on the network (one copy per recipient in a bag) and into the history. */
function send(state: PaxosCluster, effects: readonly PaxosEffect[], bounds: PaxosBounds): PaxosCluster {
  if (effects.length === 0) return state;
  let network = state.network;
  let sent = state.ghost.sent;
  for (const effect of effects) {
    if (effect.kind !== 'send') continue; // 'learn' is for the learner's client; the learner's state holds it
    const packed = pack(effect.message);
    if (bounds.network === 'set') {
      network = setAdd(network, packed);
      continue;
    }
    sent = setAdd(sent, packed);
    for (const dest of recipients(effect.message, bounds)) network = bagAdd(network, withDest(packed, dest));
  }
  return { ...state, network, ghost: { sent: bounds.network === 'set' ? network : sent } };
}

/** Where a bag network delivers a message: acceptors for 1a and 2a, the ballot's proposer for 1b, learners for 2b. */
function recipients(message: Message, bounds: PaxosBounds): readonly number[] {
  switch (message.type) {
    case '1a':
    case '2a':
      return range(bounds.acceptors);
    case '1b':
      return [0];
    case '2b':
      return range(bounds.learners);
    default:
      return assertNever(message, 'message');
  }
}

const ranges: number[][] = [];
function range(n: number): readonly number[] {
  return (ranges[n] ??= Array.from({ length: n }, (_, i) => i));
}

function sameAcceptor(a: AcceptorState, b: AcceptorState): boolean {
  return a.maxBal === b.maxBal && a.maxVBal === b.maxVBal && a.maxVal === b.maxVal;
}

// ---------------------------------------------------------------------------
// Fingerprint encoding: the hot path. Fixed field order, ints only.

const PHASE_CODE = { idle: 0, phase1: 1, phase2: 2 } as const;

export function encodeCluster(
  state: PaxosCluster,
  sink: StateSink,
  perm: Permutation,
  bag: boolean,
): void {
  const identity = isIdentity(perm, state.acceptors.length);
  const acceptors = state.acceptors;
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
    for (const mask of learner.votes) sink.int(identity ? mask : permuteMask(mask, perm.map));
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

/** Reused by every encode under a non-identity permutation (encode is never re-entered). */
let scratch = new Int32Array(256);

function writeMessages(
  messages: readonly PackedMessage[],
  sink: StateSink,
  perm: Permutation,
  identity: boolean,
  addressed: boolean,
  votesAndPromisesOnly: boolean,
): void {
  const n = messages.length;
  if (n > scratch.length) scratch = new Int32Array(2 * n);
  // Renamed ids change the order, so the renamed messages are re-sorted;
  // insertion sort, since a state holds a few dozen messages at most.
  let count = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i] as number;
    if (votesAndPromisesOnly && (is1a(m) || is2a(m))) continue;
    const renamed = identity ? m : permuteMessage(m, perm.map, addressed);
    let j = count++;
    while (j > 0 && (scratch[j - 1] as number) > renamed) {
      scratch[j] = scratch[j - 1] as number;
      j--;
    }
    scratch[j] = renamed;
  }
  sink.int(count);
  for (let i = 0; i < count; i++) sink.int(scratch[i] as number);
}

/** Only acceptor ids are permuted (the checker's identity covers 256 ids; look at ours only). */
function isIdentity(perm: Permutation, acceptors: number): boolean {
  const map = perm.map;
  for (let i = 0; i < acceptors; i++) if (map[i] !== i) return false;
  return true;
}

function permuteMask(mask: number, map: readonly number[]): number {
  let out = 0;
  for (let i = 0; mask >> i !== 0; i++) if ((mask >> i) & 1) out |= 1 << (map[i] as number);
  return out;
}

// ---------------------------------------------------------------------------
// Printing: acceptors a1.., values v1.., learners l1.. (MCPaxos's names), ballots b0.. (0..MaxBallot).

const acceptorName = (a: number) => `a${a + 1}`;
const valueName = (v: number) => (v < 0 ? 'None' : `v${v + 1}`);

export function formatMessage(m: PackedMessage, bag: boolean): string {
  const bal = ballotOf(m);
  let text: string;
  let to = '';
  if (is1a(m)) {
    text = `1a b${bal}`;
    to = ` -> ${acceptorName(destOf(m))}`;
  } else if (is1b(m)) {
    const mbal = mbalOf(m);
    text = `1b ${acceptorName(accOf(m))} b${bal} mbal=${mbal} mval=${valueName(valOf(m))}`;
  } else if (is2a(m)) {
    text = `2a b${bal} ${valueName(valOf(m))}`;
    to = ` -> ${acceptorName(destOf(m))}`;
  } else {
    text = `2b ${acceptorName(accOf(m))} b${bal} ${valueName(valOf(m))}`;
    to = ` -> l${destOf(m) + 1}`;
  }
  return bag ? text + to : text;
}

export function formatAction(action: PaxosAction, bag: boolean): string {
  switch (action.kind) {
    case 'Phase1a':
      return `Phase1a(b${action.bal})`;
    case 'Phase1b':
      return `Phase1b(${acceptorName(action.acc)}, b${ballotOf(action.message)})`;
    case 'Phase2a':
      return `Phase2a(b${action.bal}) promises from {${action.promises.map((p) => acceptorName(accOf(p))).join(', ')}}, client value ${valueName(action.clientValue)}`;
    case 'Phase2b':
      return `Phase2b(${acceptorName(action.acc)}, b${ballotOf(action.message)}, ${valueName(valOf(action.message))})`;
    case 'Learn':
      return `Learn(l${action.learner + 1}, ${formatMessage(withoutDest(action.message), false)})`;
    case 'DropMessage':
      return `DropMessage(${formatMessage(action.message, bag)})`;
    case 'DuplicateMessage':
      return `DuplicateMessage(${formatMessage(action.message, bag)})`;
    default:
      return assertNever(action, 'paxos action');
  }
}

/**
 * The state as a trace shows it: values by name, and the network and the
 * history as records keyed by message (a count per copy in flight), so that a
 * counterexample's diff names the messages that came and went.
 */
export function viewCluster(state: PaxosCluster, bag: boolean): unknown {
  const countOf = (messages: readonly PackedMessage[], addressed: boolean) => {
    const out: Record<string, number> = {};
    for (const m of messages) {
      const key = formatMessage(m, addressed);
      out[key] = (out[key] ?? 0) + 1;
    }
    return out;
  };
  return {
    acceptors: state.acceptors.map((a, i) => ({
      acceptor: acceptorName(i),
      maxBal: a.maxBal,
      maxVBal: a.maxVBal,
      maxVal: valueName(a.maxVal),
    })),
    proposers: state.proposers.map((p) => ({ ballot: p.ballot, phase: p.phase, value: valueName(p.value) })),
    learners: state.learners.map((l, i) => ({ learner: `l${i + 1}`, learned: valueName(l.learned) })),
    network: countOf(state.network, bag),
    ...(bag
      ? {
          dropsUsed: state.dropsUsed,
          duplicatesUsed: state.duplicatesUsed,
          // In a set network ghost.sent is the network itself, so it is shown once.
          ghost: { sent: countOf(state.ghost.sent, false) },
        }
      : {}),
  };
}
