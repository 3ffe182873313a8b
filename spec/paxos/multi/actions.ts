// The checker's actions on the Multi-Paxos world (world.ts): Phase1a(b),
// Phase1b(a, b), Phase1Done(b, Q) (a quorum's promises reach leader b),
// Phase2a(b, s, v) and Phase2b(a, b, s, v). Each steps one leader (leader.ts)
// or acceptor (acceptor.ts) and adds what it sends to the set network.

import { assert, assertNever } from '../../../lib/assert.ts';
import { setAdd } from '../../common/packed-network.ts';
import { sharedSubsetsOfSize } from '../../../lib/quorum.ts';
import type { Ballot, NodeId } from '../../common/types.ts';
import { ballot, nodeId } from '../../common/types.ts';
import * as acceptorModule from './acceptor.ts';
import { leaderStep } from './leader.ts';
import * as packing from './packing.ts';
import type { LeaderState, Multi1b, MultiAcceptorState, MultiConfig, MultiEffect, Value } from './types.ts';
import type { MultiCluster } from './world.ts';

// Bound once: tsx reads imported bindings through getters (see ../actions.ts).
const { multiBallotOf, multiSlotOf, multiTypeOf, multiValOf, packMulti, unpackMulti } = packing;
const { multiAcceptorStep, promisesOn, votedFor, votesOn } = acceptorModule;

export type MultiAction =
  | { readonly kind: 'Phase1a'; readonly bal: Ballot }
  | { readonly kind: 'Phase1b'; readonly acc: NodeId; readonly message: number }
  | { readonly kind: 'Phase1Done'; readonly bal: Ballot; readonly promises: readonly number[] }
  | { readonly kind: 'Phase2a'; readonly bal: Ballot; readonly slot: number; readonly clientValue: Value }
  | { readonly kind: 'Phase2b'; readonly acc: NodeId; readonly message: number };

export function multiActions(state: MultiCluster, config: MultiConfig): MultiAction[] {
  const actions: MultiAction[] = [];
  const promises: number[][] = state.leaders.map(() => []);
  for (const leader of state.leaders) {
    if (leader.phase === 'idle') actions.push({ kind: 'Phase1a', bal: leader.ballot });
    if (leader.phase === 'phase2') {
      for (let s = 0; s < config.slots; s++) {
        if (leader.proposed[s] !== -1) continue;
        // The client value matters only for a slot phase 1 left free.
        const choices = leader.safe[s] === -1 ? config.values : 1;
        for (let v = 0; v < choices; v++) actions.push({ kind: 'Phase2a', bal: leader.ballot, slot: s, clientValue: v });
      }
    }
  }
  // Only deliveries the acceptor acts on (acceptor.ts, the guards): the rest
  // would be stuttering steps, and a set network keeps offering them forever.
  for (const m of state.network) {
    const type = multiTypeOf(m);
    if (type === 0) {
      const bal = multiBallotOf(m) as Ballot;
      for (let a = 0; a < config.acceptors; a++) {
        if (promisesOn(state.acceptors[a] as MultiAcceptorState, bal)) actions.push({ kind: 'Phase1b', acc: nodeId(a), message: m });
      }
    } else if (type === 2) {
      const bal = multiBallotOf(m) as Ballot;
      const slot = multiSlotOf(m);
      const val = multiValOf(m);
      for (let a = 0; a < config.acceptors; a++) {
        const acceptor = state.acceptors[a] as MultiAcceptorState;
        if (votesOn(acceptor, bal) && !votedFor(acceptor, bal, slot, val)) actions.push({ kind: 'Phase2b', acc: nodeId(a), message: m });
      }
    } else if (type === 1 && state.leaders[multiBallotOf(m)]?.phase === 'phase1') {
      (promises[multiBallotOf(m)] as number[]).push(m);
    }
  }
  for (let b = 0; b < promises.length; b++) {
    const list = promises[b] as number[];
    for (const quorum of sharedSubsetsOfSize(list.length, config.quorumSize)) {
      actions.push({ kind: 'Phase1Done', bal: ballot(b), promises: quorum.map((i) => list[i] as number) });
    }
  }
  return actions;
}

export function multiNext(state: MultiCluster, action: MultiAction, config: MultiConfig): MultiCluster | undefined {
  switch (action.kind) {
    case 'Phase1a':
      return stepLeader(state, action.bal, { type: 'startBallot' }, config);
    case 'Phase1Done':
      return stepLeader(
        state,
        action.bal,
        { type: 'receivePromises', promises: action.promises.map((p) => unpackMulti(p, config.slots) as Multi1b) },
        config,
      );
    case 'Phase2a':
      return stepLeader(state, action.bal, { type: 'propose', slot: action.slot, clientValue: action.clientValue }, config);
    case 'Phase1b':
    case 'Phase2b': {
      const acceptor = state.acceptors[action.acc] as MultiAcceptorState;
      const message = unpackMulti(action.message, config.slots);
      assert(message.type === '1a' || message.type === '2a', () => `acceptor handed a ${message.type}`);
      const event = message.type === '1a' ? ({ type: 'receive1a', message } as const) : ({ type: 'receive2a', message } as const);
      const t = multiAcceptorStep(action.acc, acceptor, event);
      if (t.state === acceptor) return undefined;
      const network = send(state.network, t.effects);
      if (network === state.network && sameAcceptor(t.state, acceptor)) return undefined; // a stuttering re-vote
      const acceptors = state.acceptors.slice();
      acceptors[action.acc] = t.state;
      return cluster(acceptors, state.leaders, network);
    }
    default:
      return assertNever(action, 'multi-paxos action');
  }
}

function stepLeader(state: MultiCluster, bal: Ballot, event: Parameters<typeof leaderStep>[1], config: MultiConfig): MultiCluster | undefined {
  const leader = state.leaders[bal] as LeaderState;
  const t = leaderStep(leader, event, config);
  if (t.state === leader) return undefined;
  const leaders = state.leaders.slice();
  leaders[bal] = t.state;
  return cluster(state.acceptors, leaders, send(state.network, t.effects));
}

function send(network: readonly number[], effects: readonly MultiEffect[]): readonly number[] {
  let out = network;
  for (const effect of effects) out = setAdd(out, packMulti(effect.message));
  return out;
}

/** Loops, not every() with arrows: next is the checker's hot path, and each arrow is an allocation. */
function sameAcceptor(a: MultiAcceptorState, b: MultiAcceptorState): boolean {
  if (a.maxBal !== b.maxBal) return false;
  for (let s = 0; s < a.maxVBal.length; s++) if (a.maxVBal[s] !== b.maxVBal[s] || a.maxVal[s] !== b.maxVal[s]) return false;
  return true;
}

/** The successor with every field written out (one object shape for every state; a spread copies the parent's). */
function cluster(acceptors: readonly MultiAcceptorState[], leaders: readonly LeaderState[], network: readonly number[]): MultiCluster {
  return { acceptors, leaders, network };
}
