// How the Raft model prints: actions as raft.tla names them (servers s0..,
// values v1..), messages and logs, and states for traces.

import { assertNever } from '../../lib/assert.ts';
import type { RaftAction } from './actions.ts';
import { NIL, type Log, type Message, type ServerSet } from './types.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';

export function formatAction(action: RaftAction): string {
  switch (action.type) {
    case 'Restart':
    case 'Timeout':
    case 'BecomeLeader':
    case 'AdvanceCommitIndex':
    case 'ReadIndex':
    case 'AnswerRead':
      return `${action.type}(s${action.i})`;
    case 'RequestVote':
    case 'AppendEntries':
    case 'Heartbeat':
      return `${action.type}(s${action.i}, s${action.j})`;
    case 'ClientRequest':
      return `ClientRequest(s${action.i}, v${action.v})`;
    case 'Receive':
    case 'DuplicateMessage':
    case 'DropMessage':
      return `${action.type}(${formatMessage(action.m)})`;
    default:
      return assertNever(action, 'Raft action');
  }
}

/** The action's kind for coverage: a delivery by the raft.tla action that handles its message type (HandleRequestVoteRequest...). */
export function actionKind(action: RaftAction): string {
  return action.type === 'Receive' ? `Handle${action.m.mtype}` : action.type;
}

/**
 * Every kind of action spec/raft has, in one order: the checker's coverage
 * report (raftActionKinds) and the conformance adapter (conformance/adapters/
 * raft.ts) both list them from here.
 */
export const RAFT_ACTION_KINDS = [
  'Restart',
  'Timeout',
  'RequestVote',
  'BecomeLeader',
  'ClientRequest',
  'AdvanceCommitIndex',
  'AppendEntries',
  'HandleRequestVoteRequest',
  'HandleRequestVoteResponse',
  'HandleAppendEntriesRequest',
  'HandleAppendEntriesResponse',
  'DuplicateMessage',
  'DropMessage',
  'ReadIndex',
  'Heartbeat',
  'AnswerRead',
  'HandleHeartbeatRequest',
  'HandleHeartbeatResponse',
] as const;

export type RaftActionKind = (typeof RAFT_ACTION_KINDS)[number];

/** Whether these options let an action of this kind fire. */
function kindEnabled(kind: RaftActionKind, options: RaftModelOptions): boolean {
  switch (kind) {
    case 'Restart':
      return options.restart;
    case 'DuplicateMessage':
      return options.duplicate;
    case 'DropMessage':
      return options.drop;
    case 'ReadIndex':
    case 'Heartbeat':
    case 'AnswerRead':
    case 'HandleHeartbeatRequest':
    case 'HandleHeartbeatResponse':
      return options.reads > 0;
    case 'Timeout':
    case 'RequestVote':
    case 'BecomeLeader':
    case 'ClientRequest':
    case 'AdvanceCommitIndex':
    case 'AppendEntries':
    case 'HandleRequestVoteRequest':
    case 'HandleRequestVoteResponse':
    case 'HandleAppendEntriesRequest':
    case 'HandleAppendEntriesResponse':
      return true;
    default:
      return assertNever(kind, 'Raft action kind');
  }
}

/** The kinds of action these options can take (coverage lists those that never fire). */
export function raftActionKinds(options: RaftModelOptions): string[] {
  return RAFT_ACTION_KINDS.filter((kind) => kindEnabled(kind, options));
}

export function formatLog(log: Log): string {
  return `<<${log.map((e) => `${e.term}:v${e.value}`).join(', ')}>>`;
}

export function formatMessage(m: Message): string {
  const route = `s${m.msource}->s${m.mdest} term ${m.mterm}`;
  switch (m.mtype) {
    case 'RequestVoteRequest':
      return `RequestVoteRequest ${route} lastLog ${m.mlastLogIndex}@${m.mlastLogTerm}`;
    case 'RequestVoteResponse':
      return `RequestVoteResponse ${route} ${m.mvoteGranted ? 'granted' : 'denied'}`;
    case 'AppendEntriesRequest':
      return `AppendEntriesRequest ${route} prev ${m.mprevLogIndex}@${m.mprevLogTerm} entries ${formatLog(m.mentries)} commit ${m.mcommitIndex}`;
    case 'AppendEntriesResponse':
      return `AppendEntriesResponse ${route} ${m.msuccess ? `match ${m.mmatchIndex}` : 'rejected'}`;
    case 'HeartbeatRequest':
    case 'HeartbeatResponse':
      return `${m.mtype} ${route} read ${m.mreadSeq}`;
    default:
      return assertNever(m, 'Raft message');
  }
}

/** Plain data for traces: the servers without their shared config, the bag, history and ghost. */
export function view(state: RaftCluster): unknown {
  return {
    nodes: state.nodes.map((node) => ({
      currentTerm: node.currentTerm,
      state: node.state,
      votedFor: node.votedFor === NIL ? null : node.votedFor,
      log: node.log.map((e) => ({ term: e.term, value: e.value })),
      commitIndex: node.commitIndex,
      votesResponded: idsOf(node.votesResponded),
      votesGranted: idsOf(node.votesGranted),
      nextIndex: node.nextIndex,
      matchIndex: node.matchIndex,
      ...(node.pendingRead === undefined ? {} : { pendingRead: { ...node.pendingRead, acks: idsOf(node.pendingRead.acks) } }),
    })),
    messages: state.messages.map((item) => ({ message: formatMessage(item.message), count: item.count })),
    history: state.history,
    ghost: state.ghost,
    counters: state.counters,
  };
}

function idsOf(set: ServerSet): number[] {
  const ids: number[] = [];
  for (let id = 0; set >>> id !== 0; id++) if ((set & (1 << id)) !== 0) ids.push(id);
  return ids;
}
