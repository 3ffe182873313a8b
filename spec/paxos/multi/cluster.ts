// The Multi-Paxos cluster model: leaders (one per ballot), acceptors with a
// vote per slot, and a set network (Paxos.tla's msgs: sent messages stay, so
// loss and duplication are implicit). Actions: Phase1a(b), Phase1b(a, b),
// Phase1Done(b, Q) (a quorum's promises reach leader b), Phase2a(b, s, v) and
// Phase2b(a, b, s, v).

import { assert, assertNever } from '../../../lib/assert.ts';
import { majority, subsetsOfSize } from '../../common/quorum.ts';
import type { Ballot, NodeId } from '../../common/types.ts';
import { ballot, nodeId } from '../../common/types.ts';
import type { Model, Permutation, StateSink } from '../../../model-check/model.ts';
import { setAdd } from '../../common/packed-network.ts';
import { initialMultiAcceptor, multiAcceptorStep } from './acceptor.ts';
import { multiProperties } from './invariants.ts';
import { initialLeader, leaderStep } from './leader.ts';
import * as packing from './network.ts';
import type { LeaderState, Multi1b, MultiAcceptorState, MultiConfig, MultiEffect, MultiMutantName, Value } from './types.ts';

// Bound once: tsx reads imported bindings through getters (see ../cluster.ts).
const { FIELD_MAX, SLOTS_MAX, multiAccOf, multiBallotOf, multiSlotOf, multiTypeOf, multiValOf, packMulti, permuteMulti, unpackMulti } =
  packing;

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

export type MultiAction =
  | { readonly kind: 'Phase1a'; readonly bal: Ballot }
  | { readonly kind: 'Phase1b'; readonly acc: NodeId; readonly message: number }
  | { readonly kind: 'Phase1Done'; readonly bal: Ballot; readonly promises: readonly number[] }
  | { readonly kind: 'Phase2a'; readonly bal: Ballot; readonly slot: number; readonly clientValue: Value }
  | { readonly kind: 'Phase2b'; readonly acc: NodeId; readonly message: number };

export function multiConfig(bounds: MultiBounds, mutant: MultiMutantName | undefined): MultiConfig {
  return { ...bounds, quorumSize: majority(bounds.acceptors), mutant };
}

export function buildMultiPaxosModel(bounds: MultiBounds, mutant: MultiMutantName | undefined): Model<MultiCluster, MultiAction> {
  const inRange = (name: string, v: number, lo: number, hi: number) =>
    assert(Number.isInteger(v) && v >= lo && v <= hi, () => `${name} = ${v}, must be ${lo}..${hi}`);
  inRange('acceptors', bounds.acceptors, 1, FIELD_MAX - 1);
  inRange('values', bounds.values, 1, FIELD_MAX - 2);
  inRange('ballots', bounds.ballots, 1, FIELD_MAX - 2);
  inRange('slots', bounds.slots, 1, SLOTS_MAX);
  const config = multiConfig(bounds, mutant);
  return {
    init: () => [
      {
        acceptors: Array.from({ length: bounds.acceptors }, () => initialMultiAcceptor(config)),
        leaders: Array.from({ length: bounds.ballots }, (_, b) => initialLeader(ballot(b), config)),
        network: [],
      },
    ],
    actions: (state) => multiActions(state, config),
    next: (state, action) => multiNext(state, action, config),
    properties: multiProperties(config),
    withinBoundary: () => true,
    encode: (state, sink, perm) => encodeMulti(state, sink, perm),
    ...(bounds.symmetry ? { symmetry: { servers: bounds.acceptors } } : {}),
    formatAction: formatMultiAction,
    view: (state) => ({
      acceptors: state.acceptors,
      leaders: state.leaders,
      // Keyed by message so a counterexample's diff names the messages sent.
      network: Object.fromEntries(state.network.map((m) => [JSON.stringify(unpackMulti(m, config.slots)), true])),
    }),
  };
}

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
  for (const m of state.network) {
    const type = multiTypeOf(m);
    if (type === 0 || type === 2) {
      const kind = type === 0 ? 'Phase1b' : 'Phase2b';
      for (let a = 0; a < config.acceptors; a++) actions.push({ kind, acc: nodeId(a), message: m });
    } else if (type === 1 && state.leaders[multiBallotOf(m)]?.phase === 'phase1') {
      (promises[multiBallotOf(m)] as number[]).push(m);
    }
  }
  for (let b = 0; b < promises.length; b++) {
    const list = promises[b] as number[];
    for (const quorum of subsetsOfSize(list.length, config.quorumSize)) {
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
      return { ...state, acceptors, network };
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
  return { ...state, leaders, network: send(state.network, t.effects) };
}

function send(network: readonly number[], effects: readonly MultiEffect[]): readonly number[] {
  let out = network;
  for (const effect of effects) out = setAdd(out, packMulti(effect.message));
  return out;
}

function sameAcceptor(a: MultiAcceptorState, b: MultiAcceptorState): boolean {
  return a.maxBal === b.maxBal && a.maxVBal.every((x, s) => x === b.maxVBal[s]) && a.maxVal.every((x, s) => x === b.maxVal[s]);
}

const PHASE_CODE = { idle: 0, phase1: 1, phase2: 2 } as const;
let scratch = new Float64Array(256);

/** Ints in a fixed order: acceptors (renamed), leaders, then the sorted (renamed) messages. */
export function encodeMulti(state: MultiCluster, sink: StateSink, perm: Permutation): void {
  const n = state.acceptors.length;
  let identity = true;
  for (let i = 0; i < n; i++) if (perm.map[i] !== i) identity = false;
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
  sink.int(messages.length);
  if (identity) {
    // Packed 1b messages can exceed 2^31, so they are written as two ints.
    for (const m of messages) writeMessage(sink, m);
    return;
  }
  if (messages.length > scratch.length) scratch = new Float64Array(2 * messages.length);
  for (let i = 0; i < messages.length; i++) scratch[i] = permuteMulti(messages[i] as number, perm.map);
  const sorted = scratch.subarray(0, messages.length).sort();
  for (let i = 0; i < sorted.length; i++) writeMessage(sink, sorted[i] as number);
}

function writeMessage(sink: StateSink, m: number): void {
  sink.int(m % 0x40000000);
  sink.int(Math.floor(m / 0x40000000));
}

export function formatMultiAction(action: MultiAction): string {
  const v = (x: number) => `v${x + 1}`;
  switch (action.kind) {
    case 'Phase1a':
      return `Phase1a(b${action.bal})`;
    case 'Phase1b':
      return `Phase1b(a${action.acc + 1}, b${multiBallotOf(action.message)})`;
    case 'Phase1Done':
      return `Phase1Done(b${action.bal}) promises from {${action.promises.map((p) => `a${multiAccOf(p) + 1}`).join(', ')}}`;
    case 'Phase2a':
      return `Phase2a(b${action.bal}, slot ${action.slot}) client value ${v(action.clientValue)}`;
    case 'Phase2b':
      return `Phase2b(a${action.acc + 1}, b${multiBallotOf(action.message)}, slot ${multiSlotOf(action.message)}, ${v(multiValOf(action.message))})`;
    default:
      return assertNever(action, 'multi-paxos action');
  }
}
