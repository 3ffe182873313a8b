// The checker's actions on the single-decree Paxos world (world.ts):
// Paxos.tla's Phase1a(b), Phase1b(a), Phase2a(b, v) and Phase2b(a), plus
// Learn (a learner receives a 2b) and, in a bag network, DropMessage and
// DuplicateMessage. Each delivers to one role's reducer (acceptor.ts,
// proposer.ts, learner.ts) and puts what it sends on the network.
//
// In a bag, a copy its recipient will ignore forever (a 1a below the
// acceptor's promise, a 1b for a proposer past phase 1, ...) is taken out of
// flight as soon as it becomes so: that is what the recipient would do on
// receipt, and keeping it would only multiply states that no node can tell
// apart (see isInert and README.md, "Inert messages").

import { assert, assertNever } from '../../lib/assert.ts';
import * as packedNetwork from '../common/packed-network.ts';
import { sharedSubsetsOfSize } from '../../lib/quorum.ts';
import type { Ballot, NodeId } from '../common/types.ts';
import { ballot, nodeId } from '../common/types.ts';
import { acceptorStep } from './acceptor.ts';
import { learnerStep } from './learner.ts';
import * as packedMessages from './packing.ts';
import type { PackedMessage } from './packing.ts';
import { proposerStep } from './proposer.ts';
import type { AcceptorState, LearnerState, Message, Message1b, PaxosConfig, PaxosEffect, ProposerState, Value } from './types.ts';
import type { PaxosBounds, PaxosCluster } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter, which
// showed up at 14% of a profile when called in the per-state loops below.
const { accOf, ballotOf, destOf, is1a, is1b, is2a, is2b, pack, unpack, unpack1b, valOf, withDest } = packedMessages;
const { bagAdd, bagAddSorted, bagRemove, contains, setAdd } = packedNetwork;

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

export function enabledActions(state: PaxosCluster, bounds: PaxosBounds, config: PaxosConfig): PaxosAction[] {
  const actions: PaxosAction[] = [];
  const bag = bounds.network === 'bag';
  for (const proposer of state.proposers) {
    if (proposer.phase === 'idle') actions.push({ kind: 'Phase1a', bal: proposer.ballot });
  }
  // promisesByBallot[b]: one 1b per acceptor, for proposers still in phase 1.
  const promisesByBallot = promisesScratch(state.proposers.length);
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
      if (state.proposers[b]?.phase === 'phase1' && !promisedBy(promises, accOf(m))) promises.push(m);
    }
    if (canDrop) actions.push({ kind: 'DropMessage', message: m });
    if (canDuplicate) actions.push({ kind: 'DuplicateMessage', message: m });
  }
  for (let b = 0; b < state.proposers.length; b++) {
    const promises = promisesByBallot[b] as PackedMessage[];
    if (promises.length < config.quorumSize) continue;
    for (const quorum of sharedSubsetsOfSize(promises.length, config.quorumSize)) {
      const chosenPromises: PackedMessage[] = [];
      for (let i = 0; i < quorum.length; i++) chosenPromises.push(promises[quorum[i] as number] as PackedMessage);
      for (let v = 0; v < config.values; v++) {
        actions.push({ kind: 'Phase2a', bal: ballot(b), promises: chosenPromises, clientValue: v });
      }
    }
  }
  return actions;
}

/** Per ballot, a list for the promises found; emptied and reused by every enabledActions (never re-entered). */
const promiseLists: PackedMessage[][] = [];
function promisesScratch(ballots: number): PackedMessage[][] {
  while (promiseLists.length < ballots) promiseLists.push([]);
  for (let b = 0; b < ballots; b++) (promiseLists[b] as PackedMessage[]).length = 0;
  return promiseLists;
}

function promisedBy(promises: readonly PackedMessage[], acc: number): boolean {
  for (let i = 0; i < promises.length; i++) if (accOf(promises[i] as number) === acc) return true;
  return false;
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
  send(state, state.network, t.effects, bounds);
  return successor(state, state.acceptors, proposers, state.learners);
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
  send(state, network, t.effects, bounds);
  // A repeated vote in a set network re-sends a 2b msgs already holds: a stuttering step.
  if (bounds.network === 'set' && sending.network === state.network && acceptors[acc] === acceptor) return undefined;
  return successor(state, acceptors, state.proposers, state.learners);
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
  send(state, network, t.effects, bounds);
  return successor(state, state.acceptors, proposers, state.learners);
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
  send(state, network, t.effects, bounds);
  return successor(state, state.acceptors, state.proposers, learners);
}

function onDrop(state: PaxosCluster, message: PackedMessage, bounds: PaxosBounds): PaxosCluster | undefined {
  if (bounds.network !== 'bag' || state.dropsUsed >= bounds.maxDrops) return undefined;
  return withNetwork(state, bagRemove(state.network, message), state.dropsUsed + 1, state.duplicatesUsed);
}

function onDuplicate(state: PaxosCluster, message: PackedMessage, bounds: PaxosBounds): PaxosCluster | undefined {
  if (bounds.network !== 'bag' || state.duplicatesUsed >= bounds.maxDuplicates) return undefined;
  assert(contains(state.network, message), () => `duplicating message ${message} that is not in flight`);
  return withNetwork(state, bagAdd(state.network, message), state.dropsUsed, state.duplicatesUsed + 1);
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
  return withNetwork(state, kept, state.dropsUsed, state.duplicatesUsed);
}

/** The state with another network and budgets, every field written out (one object shape for every state; a spread copies the parent's). */
function withNetwork(state: PaxosCluster, network: readonly PackedMessage[], dropsUsed: number, duplicatesUsed: number): PaxosCluster {
  return { acceptors: state.acceptors, proposers: state.proposers, learners: state.learners, network, dropsUsed, duplicatesUsed, ghost: state.ghost };
}

/**
 * What `send` leaves for `successor`: the network and the history after the
 * sends. A scratch rather than a fresh object, so that an action builds one
 * successor object instead of one per step of building it (next() is the
 * checker's hot path and is never re-entered).
 */
const sending: { network: readonly PackedMessage[]; sent: readonly PackedMessage[] } = { network: [], sent: [] };
/** The copies of one broadcast, ascending by recipient (see recipients). */
const copies: number[] = [];

/**
 * Puts each sent message on `network` (one copy per recipient in a bag) and
 * into the history; the results are in `sending`.
 */
function send(state: PaxosCluster, network: readonly PackedMessage[], effects: readonly PaxosEffect[], bounds: PaxosBounds): void {
  let sent = state.ghost.sent;
  for (const effect of effects) {
    if (effect.kind !== 'send') continue; // 'learn' is for the learner's client; the learner's state holds it
    const packed = pack(effect.message);
    if (bounds.network === 'set') {
      network = setAdd(network, packed);
      continue;
    }
    sent = setAdd(sent, packed);
    const to = recipients(effect.message, bounds);
    for (let i = 0; i < to.length; i++) copies[i] = withDest(packed, to[i] as number);
    network = bagAddSorted(network, copies, to.length);
  }
  sending.network = network;
  sending.sent = bounds.network === 'set' ? network : sent;
}

/** The successor: the given roles, the network and history from `send`, the state's fault budgets. */
function successor(
  state: PaxosCluster,
  acceptors: readonly AcceptorState[],
  proposers: readonly ProposerState[],
  learners: readonly LearnerState[],
): PaxosCluster {
  const sent = sending.sent;
  return {
    acceptors,
    proposers,
    learners,
    network: sending.network,
    dropsUsed: state.dropsUsed,
    duplicatesUsed: state.duplicatesUsed,
    ghost: sent === state.ghost.sent ? state.ghost : { sent },
  };
}

/** Where a bag network delivers a message: acceptors for 1a and 2a, the ballot's proposer for 1b, learners for 2b. */
function recipients(message: Message, bounds: PaxosBounds): readonly number[] {
  switch (message.type) {
    case '1a':
    case '2a':
      return range(bounds.acceptors);
    case '1b':
      return range(1);
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
