// The Raft adapter (adapter.ts) over spec/raft: what a Raft node exposes of
// itself, how the checker's actions become harness commands, and which branch
// of the reducer (spec/raft/step.ts) an action exercised.
//
// The projection is what a real node can report from outside: its role, the
// two persistent variables (currentTerm, votedFor), its log (each entry's term
// and value), the leader's commitIndex and whether the leader has a read
// pending. A follower's or candidate's commitIndex is left out: raft.tla sets
// it to whatever the last AppendEntries carried (lowering it on an old request,
// or a new leader's smaller one), while a real node never lowers it (etcd-io/
// raft's commitTo); the leader's is the one §5.4.2 is about. Vote tallies,
// nextIndex/matchIndex and the ghosts stay out, as for ZAB.

import { z } from 'zod';
import { assertNever } from '../../lib/assert.ts';
import type { Model } from '../../model-check/model.ts';
import type { RaftAction } from '../../spec/raft/actions.ts';
import { actionKind, RAFT_ACTION_KINDS } from '../../spec/raft/format.ts';
import { raftSpec } from '../../spec/raft/spec.ts';
import { NIL, type RaftNode } from '../../spec/raft/types.ts';
import type { RaftCluster } from '../../spec/raft/world.ts';
import type { Adapter, HarnessCommand } from '../adapter.ts';
import type { ItfValue, NodeProjection } from '../trace.ts';

export const raftProjectionSchema = z
  .object({
    state: z.enum(['Follower', 'Candidate', 'Leader']),
    currentTerm: z.number().int().nonnegative(),
    votedFor: z.number().int().min(-1),
    /** [term, value] per entry. */
    log: z.array(z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()])),
    /** The leader's commitIndex; -1 for a follower or candidate (see the header). */
    commitIndex: z.number().int().min(-1),
    readPending: z.boolean(),
  })
  .strict();

export type RaftProjection = z.infer<typeof raftProjectionSchema>;

export function projectRaftNode(node: RaftNode): RaftProjection {
  return {
    state: node.state,
    currentTerm: node.currentTerm,
    votedFor: node.votedFor === NIL ? -1 : node.votedFor,
    log: node.log.map((e) => [e.term, e.value] as [number, number]),
    commitIndex: node.state === 'Leader' ? node.commitIndex : -1,
    readPending: node.state === 'Leader' && node.pendingRead !== undefined,
  };
}

export function projectRaft(c: RaftCluster): NodeProjection[] {
  return c.nodes.map((node) => projectRaftNode(node) as unknown as NodeProjection);
}

// Branch keys: an action's kind and whether the acting server changed
// ('applied') or the reducer declined ('not-enabled'), read off the states
// before and after as for ZAB; a delivery also says whether the message was
// consumed ('handled') or kept for another step (UpdateTerm, a candidate
// stepping down, one entry removed or appended: raft.tla's atomicity).
const OUTCOMES = ['applied', 'not-enabled'] as const;

export const raftBranchKeyUniverse: readonly string[] = [
  ...RAFT_ACTION_KINDS.filter((k) => !k.startsWith('Handle') && k !== 'DuplicateMessage' && k !== 'DropMessage').flatMap((k) => OUTCOMES.map((o) => `${k}:${o}`)),
  ...RAFT_ACTION_KINDS.filter((k) => k.startsWith('Handle')).flatMap((k) => [`${k}:handled`, `${k}:kept`]),
];

function actingServer(action: RaftAction): number | undefined {
  switch (action.type) {
    case 'Receive':
      return action.m.mdest;
    case 'DuplicateMessage':
    case 'DropMessage':
      return undefined;
    default:
      return action.i;
  }
}

export function raftBranchKeys(before: RaftCluster, action: RaftAction, after: RaftCluster): string[] {
  const kind = actionKind(action);
  if (action.type === 'DuplicateMessage' || action.type === 'DropMessage') return [];
  if (action.type === 'Receive') {
    const count = (c: RaftCluster) => c.messages.reduce((n, item) => n + (item.message === action.m ? item.count : 0), 0);
    return [`${kind}:${count(after) < count(before) ? 'handled' : 'kept'}`];
  }
  const i = actingServer(action)!;
  const changed = before.nodes[i] !== after.nodes[i] || before.messages !== after.messages;
  return [`${kind}:${changed ? 'applied' : 'not-enabled'}`];
}

export function raftCommand(_before: RaftCluster, action: RaftAction): HarnessCommand {
  switch (action.type) {
    case 'Receive':
      return { kind: 'deliver', from: action.m.msource, to: action.m.mdest, channel: 'raft', message: action.m.mtype };
    case 'DropMessage':
      return { kind: 'drop', from: action.m.msource, to: action.m.mdest, channel: 'raft' };
    case 'DuplicateMessage':
      return { kind: 'await', node: action.m.msource, what: `the network duplicates ${action.m.mtype}` };
    case 'Restart':
      return { kind: 'restart', node: action.i };
    case 'Timeout':
      return { kind: 'timeout', node: action.i };
    case 'ClientRequest':
      return { kind: 'clientWrite', node: action.i };
    case 'ReadIndex':
      return { kind: 'await', node: action.i, what: 'a linearizable read arrives' };
    case 'RequestVote':
    case 'BecomeLeader':
    case 'AdvanceCommitIndex':
    case 'AppendEntries':
    case 'Heartbeat':
    case 'AnswerRead':
      return { kind: 'await', node: action.i, what: action.type };
    default:
      return assertNever(action, 'Raft action');
  }
}

export function raftActionParams(action: RaftAction): { [name: string]: ItfValue } {
  if (action.type === 'Receive' || action.type === 'DuplicateMessage' || action.type === 'DropMessage') {
    const { mlog: _mlog, ...m } = action.m as typeof action.m & { mlog?: unknown };
    const fields: { [name: string]: ItfValue } = {};
    for (const [k, v] of Object.entries(m)) fields[k] = (Array.isArray(v) ? v.map((e: { term: number; value: number }) => [e.term, e.value]) : v) as ItfValue;
    return { m: fields };
  }
  const { type: _type, ...params } = action;
  return params as { [name: string]: ItfValue };
}

export const raftAdapter: Adapter<RaftCluster, RaftAction> = {
  spec: raftSpec,
  projectionSchema: raftProjectionSchema as unknown as z.ZodType<NodeProjection>,
  project: projectRaft,
  actionKind: (_model: Model<RaftCluster, RaftAction>, action: RaftAction) => actionKind(action),
  // Every kind spec/raft has (RAFT_ACTION_KINDS), whatever a preset's options: coverage reports the ones a preset never fires.
  actionKinds: RAFT_ACTION_KINDS,
  actionParams: raftActionParams,
  command: raftCommand,
  branchKeys: raftBranchKeys,
  branchKeyUniverse: raftBranchKeyUniverse,
  mutantPresets: {
    'double-vote': 'elections',
    'skip-log-up-to-date-check': 'elections',
    'figure8-commit': 'figure8',
    'stale-read': 'deposed-leader',
    'truncate-on-stale-append': 'duplicates',
  },
};
