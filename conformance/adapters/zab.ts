// The ZAB adapter (adapter.ts) over spec/zab: what a ZooKeeper server exposes
// of itself, how the checker's actions become harness commands, and which
// branch of the reducer (spec/zab/step.ts) an action exercised.
//
// The projection keeps only what a real server can report from outside:
// QuorumPeer's ServerState (`srvr`'s Mode), the Zab phase, the two epoch files
// (acceptedEpoch, currentEpoch), the last zxid in its log in memory
// (getLastLoggedZxid), the last zxid on disk (the txn log's last entry after a
// restart would be read from there), the last committed zxid
// (ZKDatabase.getDataTreeLastProcessedZxid), and the leader it is connected
// to. Election internals (votes, rounds, recvset), the leader's per-learner
// bookkeeping and the ghost variables stay out: an implementation need not
// expose them, and a projection that named them would make a correct
// implementation fail for representing them differently.
//
// Zxids are ZooKeeper's 64-bit numbers (epoch << 32 | counter), so they are
// written as ITF integers: a JSON number while exact, {"#bigint"} beyond 2^53.

import { z } from 'zod';
import type { Model } from '../../model-check/model.ts';
import { assertNever } from '../../lib/assert.ts';
import type { ZabAction } from '../../spec/zab/actions.ts';
import { MESSAGE_ACTIONS } from '../../spec/zab/format.ts';
import { isLearner, lastZxid, zxidAt } from '../../spec/zab/history.ts';
import { ZAB_PAPER_NEWLEADER_GAP, ZOOKEEPER_2845, ZOOKEEPER_3911, ZOOKEEPER_4643, ZOOKEEPER_4646 } from '../../spec/zab/mutants.ts';
import { zabSpec } from '../../spec/zab/spec.ts';
import type { ZabMessageType, ZabNode, Zxid } from '../../spec/zab/types.ts';
import type { ZabCluster } from '../../spec/zab/world.ts';
import type { Adapter, HarnessCommand } from '../adapter.ts';
import { itfInteger, type ItfValue, type NodeProjection } from '../trace.ts';

/** ZooKeeper's zxid as one 64-bit integer, as ITF. */
export function zxidValue(z: Zxid): ItfValue {
  return itfInteger((BigInt(z.epoch) << 32n) | BigInt(z.counter));
}

const zxidSchema = z.union([z.number().int().nonnegative(), z.object({ '#bigint': z.string().regex(/^[0-9]+$/) }).strict()]);

export const zabProjectionSchema = z.union([
  z.object({ state: z.literal('DOWN') }).strict(),
  z
    .object({
      state: z.enum(['LOOKING', 'FOLLOWING', 'LEADING', 'OBSERVING']),
      zabState: z.enum(['ELECTION', 'DISCOVERY', 'SYNCHRONIZATION', 'BROADCAST']),
      acceptedEpoch: z.number().int().nonnegative(),
      currentEpoch: z.number().int().nonnegative(),
      lastZxid: zxidSchema,
      lastCommittedZxid: zxidSchema,
      loggedZxid: zxidSchema,
      leader: z.number().int().min(-1),
    })
    .strict(),
]);

export type ZabProjection = z.infer<typeof zabProjectionSchema>;

function leaderOf(node: ZabNode): number {
  if (node.state === 'LEADING') return node.id;
  if (isLearner(node)) return node.leader;
  return -1;
}

export function projectZab(c: ZabCluster): NodeProjection[] {
  return c.servers.map((server): NodeProjection => {
    const node = server.node;
    if (node === null) return { state: 'DOWN' };
    return {
      state: node.state,
      zabState: node.zabState,
      acceptedEpoch: node.acceptedEpoch,
      currentEpoch: node.currentEpoch,
      lastZxid: zxidValue(lastZxid(node.history)),
      lastCommittedZxid: zxidValue(zxidAt(node.history, node.lastCommitted)),
      loggedZxid: zxidValue(lastZxid(server.disk.log)),
      leader: leaderOf(node),
    };
  });
}

/** The checker's name for handling each message (spec/zab/format.ts formatAction), one action kind each. */
const MESSAGE_KINDS: Record<ZabMessageType, string> = MESSAGE_ACTIONS;
const MESSAGE_TYPES = Object.keys(MESSAGE_KINDS) as ZabMessageType[];

export const zabActionKinds: readonly string[] = [
  'ElectLeader',
  'FollowLeader',
  'ConnectAndFollowerSendFOLLOWERINFO',
  ...new Set(Object.values(MESSAGE_KINDS)),
  'FLEReceiveNotmsg',
  'FLENotmsgTimeout',
  'FLEWaitNewNotmsg',
  'DropNotification',
  'LeaderProcessRequest',
  'DiskSync',
  'Timeout',
  'NodeCrash',
  'NodeStart',
  'PartitionStart',
  'PartitionRecover',
];

// Branch keys. step() (spec/zab/step.ts) is one switch on the event type, a
// second on the message type, and for PROPOSAL/COMMIT/INFORM a third on the
// learner's phase (the in-sync handlers before UPTODATE, the broadcast ones
// after); every handler either changes the node or returns it unchanged (the
// TLA+ "not enabled"). So a branch is named by the event, the message, the
// phase where it matters, and the outcome, and it is read off the states
// before and after without instrumenting the spec: the outcome is whether the
// event's target node changed. Beyond the action's own event, the connection
// consequences the world feeds back into step() (LeaderLost at a learner,
// LearnerLost at a leader) are recognised by their effect on the other nodes.
// What this does not see: the different ways one handler can change a node
// (e.g. DIFF versus TRUNC inside ACKEPOCH at the leader), which only the
// action kinds and the messages that follow reveal.

const PHASED: readonly ZabMessageType[] = ['PROPOSAL', 'COMMIT', 'INFORM'];
const OUTCOMES = ['applied', 'not-enabled'] as const;
const SIMPLE_EVENTS = ['StartLooking', 'ElectionDecided', 'ConnectToLeader', 'NotificationReceived', 'NotificationTimeout', 'FinalizeWait', 'ClientRequest'];

export const zabBranchKeyUniverse: readonly string[] = [
  ...SIMPLE_EVENTS.flatMap((e) => OUTCOMES.map((o) => `${e}:${o}`)),
  ...MESSAGE_TYPES.flatMap((m) =>
    // Outside SYNCHRONIZATION and BROADCAST learnerReceive returns the node unchanged: no `other:applied` branch exists.
    PHASED.includes(m)
      ? [...['sync', 'broadcast'].flatMap((p) => OUTCOMES.map((o) => `Receive:${m}:${p}:${o}`)), `Receive:${m}:other:not-enabled`]
      : OUTCOMES.map((o) => `Receive:${m}:${o}`),
  ),
  'LeaderLost:applied',
  'LearnerLost:applied',
];

function phaseOf(node: ZabNode | null): string {
  if (node === null) return 'other';
  if (node.zabState === 'SYNCHRONIZATION') return 'sync';
  if (node.zabState === 'BROADCAST') return 'broadcast';
  return 'other';
}

/** The reducer event an action feeds to its target server, and that target (undefined: no reducer event). */
function primaryEvent(before: ZabCluster, action: ZabAction): { event: string; target: number } | undefined {
  switch (action.type) {
    case 'ElectLeader':
      return { event: 'ElectionDecided', target: action.leader };
    case 'FollowLeader':
      return { event: 'ElectionDecided', target: action.server };
    case 'ConnectAndFollowerSendFOLLOWERINFO':
      return { event: 'ConnectToLeader', target: action.server };
    case 'Deliver': {
      const m = action.message;
      const phase = PHASED.includes(m) ? `:${phaseOf(before.servers[action.to]!.node)}` : '';
      return { event: `Receive:${m}${phase}`, target: action.to };
    }
    case 'FLEReceiveNotmsg':
      return { event: 'NotificationReceived', target: action.to };
    case 'FLENotmsgTimeout':
      return { event: 'NotificationTimeout', target: action.server };
    case 'FLEWaitNewNotmsg':
      return { event: 'FinalizeWait', target: action.server };
    case 'LeaderProcessRequest':
      return { event: 'ClientRequest', target: action.server };
    case 'Timeout':
    case 'NodeStart':
      return { event: 'StartLooking', target: action.server };
    case 'DiskSync':
    case 'NodeCrash':
    case 'PartitionStart':
    case 'PartitionRecover':
    case 'DropNotification':
      return undefined;
    default:
      return assertNever(action, 'ZAB action');
  }
}

export function zabBranchKeys(before: ZabCluster, action: ZabAction, after: ZabCluster): string[] {
  const keys: string[] = [];
  const primary = primaryEvent(before, action);
  if (primary !== undefined) {
    const changed = before.servers[primary.target]!.node !== after.servers[primary.target]!.node;
    keys.push(`${primary.event}:${changed ? 'applied' : 'not-enabled'}`);
  }
  if (action.type === 'ElectLeader' || action.type === 'FollowLeader') {
    const members = action.type === 'ElectLeader' ? action.quorum.filter((m) => m !== action.leader) : [action.server];
    for (const m of members) {
      const node = after.servers[m]!.node;
      keys.push(`ConnectToLeader:${node !== null && node.leader !== -1 ? 'applied' : 'not-enabled'}`);
    }
  }
  const target = primary?.target ?? (action.type === 'NodeCrash' ? action.server : -1);
  for (let k = 0; k < before.servers.length; k++) {
    if (k === target) continue;
    const b = before.servers[k]!.node;
    const a = after.servers[k]!.node;
    if (b === null || a === null) continue;
    // A leader that lost a learner, or gave up for want of a quorum of them.
    if (b.state === 'LEADING' && ((a.learners & b.learners) !== b.learners || a.state === 'LOOKING')) keys.push('LearnerLost:applied');
    if (isLearner(b) && b.leader !== -1 && a.state === 'LOOKING') keys.push('LeaderLost:applied');
  }
  return [...new Set(keys)];
}

export function zabCommand(before: ZabCluster, action: ZabAction): HarnessCommand {
  switch (action.type) {
    case 'ElectLeader':
      return { kind: 'await', node: action.leader, what: `elected by {${action.quorum.join(', ')}}` };
    case 'FollowLeader':
      return { kind: 'await', node: action.server, what: `follows ${action.leader}` };
    case 'ConnectAndFollowerSendFOLLOWERINFO':
      return { kind: 'await', node: action.server, what: `connects to ${before.servers[action.server]!.node?.vote.leader ?? -1}` };
    case 'Deliver':
      return { kind: 'deliver', from: action.from, to: action.to, channel: 'quorum', message: action.message };
    case 'FLEReceiveNotmsg':
      return { kind: 'deliver', from: action.from, to: action.to, channel: 'election', message: 'NOTIFICATION' };
    case 'DropNotification':
      return { kind: 'drop', from: action.from, to: action.to, channel: 'election' };
    case 'FLENotmsgTimeout':
      return { kind: 'timeout', node: action.server };
    case 'FLEWaitNewNotmsg':
      return { kind: 'await', node: action.server, what: 'finalizeWait elapses' };
    case 'LeaderProcessRequest':
      return { kind: 'clientWrite', node: action.server };
    case 'DiskSync':
      return { kind: 'diskSync', node: action.server };
    case 'Timeout':
      return { kind: 'timeout', node: action.server };
    case 'NodeCrash':
      return { kind: 'crash', node: action.server };
    case 'NodeStart':
      return { kind: 'restart', node: action.server };
    case 'PartitionStart':
      return { kind: 'partition', a: action.a, b: action.b };
    case 'PartitionRecover':
      return { kind: 'heal', a: action.a, b: action.b };
    default:
      return assertNever(action, 'ZAB action');
  }
}

export function zabActionParams(action: ZabAction): { [name: string]: ItfValue } {
  const { type: _type, ...params } = action;
  return params as { [name: string]: ItfValue };
}

export const zabAdapter: Adapter<ZabCluster, ZabAction> = {
  spec: zabSpec,
  projectionSchema: zabProjectionSchema as z.ZodType<NodeProjection>,
  project: projectZab,
  actionKind: (model: Model<ZabCluster, ZabAction>, action: ZabAction) => model.formatAction(action).split('(')[0]!,
  actionKinds: zabActionKinds,
  actionParams: zabActionParams,
  command: zabCommand,
  branchKeys: zabBranchKeys,
  branchKeyUniverse: zabBranchKeyUniverse,
  mutantPresets: {
    [ZOOKEEPER_3911]: 'zookeeper-3911',
    [ZOOKEEPER_4646]: 'zookeeper-3911',
    [ZOOKEEPER_4643]: 'zookeeper-4643',
    [ZOOKEEPER_2845]: 'zookeeper-2845',
    [ZAB_PAPER_NEWLEADER_GAP]: 'zab-paper-newleader-gap',
  },
};
