// The checker's actions on the Raft world (world.ts). Every action is one
// of raft.tla's Next disjuncts (plus ReadIndex's three):
//
//   Restart(i)  Timeout(i)  RequestVote(i, j)  BecomeLeader(i)
//   ClientRequest(i, v)  AdvanceCommitIndex(i)  AppendEntries(i, j)
//   Receive(m)  DuplicateMessage(m)  DropMessage(m)
//   ReadIndex(i)  Heartbeat(i, j)  AnswerRead(i)
//
// Fault actions (Restart, DuplicateMessage, DropMessage) are switched on and
// off as whole disjuncts of Next, as a TLC model would by overriding Next.
// A step of one server goes through step.ts; its effects are carried out on
// the bag, and history.ts records what the invariants read.

import { assert, assertNever } from '../../lib/assert.ts';
import * as history from './history.ts';
import { step } from './step.ts';
import type { Message, RaftEvent, RaftNode, ServerState } from './types.ts';
import * as world from './world.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts),
// and next() calls these on every step.
const { answered, withAllLogs, withCommitted, withElection } = history;
const { withMessage, withoutMessage } = world;

export type RaftAction =
  | { readonly type: 'Restart'; readonly i: number }
  | { readonly type: 'Timeout'; readonly i: number }
  | { readonly type: 'RequestVote'; readonly i: number; readonly j: number }
  | { readonly type: 'BecomeLeader'; readonly i: number }
  | { readonly type: 'ClientRequest'; readonly i: number; readonly v: number }
  | { readonly type: 'AdvanceCommitIndex'; readonly i: number }
  | { readonly type: 'AppendEntries'; readonly i: number; readonly j: number }
  | { readonly type: 'Receive'; readonly m: Message }
  | { readonly type: 'DuplicateMessage'; readonly m: Message }
  | { readonly type: 'DropMessage'; readonly m: Message }
  | { readonly type: 'ReadIndex'; readonly i: number }
  | { readonly type: 'Heartbeat'; readonly i: number; readonly j: number }
  | { readonly type: 'AnswerRead'; readonly i: number };

// Actions are listed when their cheap guard holds (raft.tla's first conjuncts);
// next() applies the rest of the enabling condition through step().
export function enabledActions(state: RaftCluster, options: RaftModelOptions): RaftAction[] {
  const n = options.servers;
  const out: RaftAction[] = [];
  for (let i = 0; i < n; i++) {
    const node = state.nodes[i]!;
    if (options.restart) out.push({ type: 'Restart', i });
    const role: ServerState = node.state;
    if (role !== 'Leader' && (!options.timeoutBelowMaxTerm || node.currentTerm < options.maxTerm)) out.push({ type: 'Timeout', i });
    if (role === 'Candidate') {
      for (let j = 0; j < n; j++) {
        if ((node.votesResponded & (1 << j)) === 0 && (options.selfVote || j !== i)) out.push({ type: 'RequestVote', i, j });
      }
      if (options.maxBecomeLeader === 0 || state.counters.timesLeader[i]! < options.maxBecomeLeader) out.push({ type: 'BecomeLeader', i });
    }
    if (role === 'Leader') {
      if (options.maxClientRequests === 0 || state.counters.clientRequests < options.maxClientRequests) {
        for (let v = 1; v <= options.values; v++) out.push({ type: 'ClientRequest', i, v });
      }
      out.push({ type: 'AdvanceCommitIndex', i });
      for (let j = 0; j < n; j++) if (j !== i) out.push({ type: 'AppendEntries', i, j });
      if (options.reads > 0) {
        if (node.pendingRead === undefined) {
          if (state.ghost.reads.length < options.reads) out.push({ type: 'ReadIndex', i });
        } else {
          for (let j = 0; j < n; j++) if ((node.pendingRead.acks & (1 << j)) === 0) out.push({ type: 'Heartbeat', i, j });
          out.push({ type: 'AnswerRead', i });
        }
      }
    }
  }
  for (const item of state.messages) {
    if (item.count === 0) continue; // delivered, kept by keepDelivered: the fork's ValidMessage excludes it
    out.push({ type: 'Receive', m: item.message });
    if (options.duplicate) out.push({ type: 'DuplicateMessage', m: item.message });
    if (options.drop) out.push({ type: 'DropMessage', m: item.message });
  }
  return out;
}

export function nextState(state: RaftCluster, action: RaftAction, options: RaftModelOptions): RaftCluster | undefined {
  switch (action.type) {
    case 'DuplicateMessage':
      return withAllLogs(state, { ...state, messages: withMessage(action.m, state.messages, options.keepDelivered) }, options);
    case 'DropMessage':
      return withAllLogs(state, { ...state, messages: withoutMessage(action.m, state.messages, options.keepDelivered) }, options);
    case 'Receive':
      return applyStep(state, action.m.mdest, { type: 'Receive', message: action.m }, action, options);
    case 'Restart':
    case 'Timeout':
    case 'BecomeLeader':
    case 'AdvanceCommitIndex':
    case 'ReadIndex':
    case 'AnswerRead':
      return applyStep(state, action.i, { type: action.type }, action, options);
    case 'RequestVote':
    case 'AppendEntries':
    case 'Heartbeat':
      return applyStep(state, action.i, { type: action.type, peer: action.j }, action, options);
    case 'ClientRequest':
      return options.maxClientRequests === 0 ? applyStep(state, action.i, { type: 'ClientRequest', value: action.v }, action, options) : countedClientRequest(state, action, options);
    default:
      return assertNever(action, 'Raft action');
  }
}

/**
 * The fork's ClientRequest(i, v): taken only while maxc < MaxClientRequests
 * (enabledActions); if i's log already holds v in its current term the step
 * changes nothing but allLogs, otherwise it appends v and counts it in maxc.
 */
function countedClientRequest(state: RaftCluster, action: Extract<RaftAction, { type: 'ClientRequest' }>, options: RaftModelOptions): RaftCluster | undefined {
  const node = state.nodes[action.i]!;
  if (node.state !== 'Leader') return undefined;
  if (node.log.some((e) => e.value === action.v && e.term === node.currentTerm)) return withAllLogs(state, state, options);
  const after = applyStep(state, action.i, { type: 'ClientRequest', value: action.v }, action, options);
  if (after === undefined) return undefined;
  return { ...after, counters: { ...after.counters, clientRequests: after.counters.clientRequests + 1 } };
}

// Restart and AdvanceCommitIndex are enabled whenever their guard holds, even
// when they change nothing in the server (TLC still takes the step, and with
// the history kept, allLogs may grow). Every other action is not enabled when
// step() declines it.
function isEnabledWithoutChange(action: RaftAction): boolean {
  return action.type === 'Restart' || action.type === 'AdvanceCommitIndex';
}

function applyStep(
  state: RaftCluster,
  i: number,
  event: RaftEvent,
  action: RaftAction,
  options: RaftModelOptions,
): RaftCluster | undefined {
  const before = state.nodes[i]!;
  const { state: after, effects } = step(before, event);
  if (after === before && effects.length === 0) {
    return isEnabledWithoutChange(action) ? withAllLogs(state, state, options) : undefined;
  }
  let messages = state.messages;
  let ghost = state.ghost;
  for (const effect of effects) {
    switch (effect.type) {
      case 'Persist':
        // currentTerm, votedFor and log live in the node and survive Restart: nothing to do.
        break;
      case 'Send':
        messages = withMessage(effect.message, messages, options.keepDelivered);
        break;
      case 'Discard':
        assert(action.type === 'Receive', () => `Discard from ${action.type}`);
        messages = withoutMessage(action.m, messages, options.keepDelivered);
        break;
      case 'AnswerRead':
        ghost = answered(ghost, i, before.currentTerm, effect.seq, effect.entries);
        break;
      default:
        assertNever(effect, 'Raft effect');
    }
  }
  let history = state.history;
  let counters = state.counters;
  if (before.state !== 'Leader' && after.state === 'Leader') {
    ghost = { ...ghost, leaders: [...ghost.leaders, { term: after.currentTerm, leader: i, log: after.log }] };
    if (options.history) history = { ...history, elections: withElection(history.elections, before) };
    if (options.maxBecomeLeader > 0) {
      const timesLeader = counters.timesLeader.slice();
      timesLeader[i] = timesLeader[i]! + 1;
      counters = { ...counters, timesLeader };
    }
  }
  if (after.log.length < before.log.length) {
    const removed = ghost.removed.slice();
    for (let index = after.log.length + 1; index <= before.log.length; index++) {
      const term = before.log[index - 1]!.term;
      if (!removed.some((r) => r.server === i && r.index === index && r.term === term)) removed.push({ server: i, index, term });
    }
    ghost = { ...ghost, removed };
  }
  if (after.state === 'Leader' && after.commitIndex > before.commitIndex) {
    ghost = withCommitted(ghost, after, before.commitIndex);
  }
  if (after.pendingRead !== undefined && after.pendingRead !== before.pendingRead && before.pendingRead === undefined) {
    ghost = {
      ...ghost,
      reads: [
        ...ghost.reads,
        { leader: i, term: after.currentTerm, seq: after.pendingRead.seq, mustInclude: ghost.committed, answer: undefined },
      ],
    };
  }
  const nodes = after === before ? state.nodes : replacedNode(state.nodes, i, after);
  return withAllLogs(state, { nodes, messages, history, ghost, counters }, options);
}

function replacedNode(nodes: readonly RaftNode[], i: number, node: RaftNode): RaftNode[] {
  const out = nodes.slice();
  out[i] = node;
  return out;
}
