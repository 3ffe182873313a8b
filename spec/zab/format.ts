// How the ZAB model prints: each action as the TLA+ action it is (a message
// delivery by the action that handles its type, as conformance names them
// too), with servers s0... States are plain data and print as they are.

import type { ZabAction } from './actions.ts';
import type { ZabMessage } from './types.ts';
import type { ZabBounds } from './world.ts';

/** The TLA+ action that handles each message type (the checker's and conformance's action kinds). */
export const MESSAGE_ACTIONS: Record<ZabMessage['type'], string> = {
  FOLLOWERINFO: 'LeaderProcessFOLLOWERINFO',
  OBSERVERINFO: 'LeaderProcessOBSERVERINFO',
  LEADERINFO: 'FollowerProcessLEADERINFO',
  ACKEPOCH: 'LeaderProcessACKEPOCH',
  DIFF: 'FollowerProcessSyncMessage',
  TRUNC: 'FollowerProcessSyncMessage',
  SNAP: 'FollowerProcessSyncMessage',
  PROPOSAL: 'FollowerProcessPROPOSAL',
  COMMIT: 'FollowerProcessCOMMIT',
  INFORM: 'ObserverProcessINFORM',
  NEWLEADER: 'FollowerProcessNEWLEADER',
  ACKLD: 'LeaderProcessACKLD',
  UPTODATE: 'FollowerProcessUPTODATE',
  ACK: 'LeaderProcessACK',
};

/** The action's kind for coverage: a delivery by the TLA+ action that handles its message type. */
export function actionKind(action: ZabAction): string {
  if (action.type === 'Deliver') return MESSAGE_ACTIONS[action.message];
  if (action.type === 'NodeCrash' && action.fsyncFailed === true) return 'FsyncFailure';
  return action.type;
}

/** The kinds of action these bounds can take (actions.ts's guards; coverage lists those that never fire). */
export function zabActionKinds(bounds: ZabBounds): string[] {
  const observerOnly = new Set(['LeaderProcessOBSERVERINFO', 'ObserverProcessINFORM']);
  const deliveries = [...new Set(Object.values(MESSAGE_ACTIONS))].filter((kind) => bounds.observers > 0 || !observerOnly.has(kind));
  const election = bounds.fle
    ? ['FLEReceiveNotmsg', 'FLEWaitNewNotmsg', ...(bounds.maxTimeouts > 0 ? ['FLENotmsgTimeout'] : []), ...(bounds.maxMessageLosses > 0 ? ['DropNotification'] : [])]
    : ['ElectLeader'];
  return [
    ...election,
    ...(!bounds.fle || bounds.observers > 0 ? ['FollowLeader'] : []),
    ...(bounds.maxTimeouts > 0 ? ['Timeout'] : []),
    // The oracle's ElectLeader and FollowLeader connect in the same step (election.ts), so only FLE connects on its own.
    ...(bounds.fle ? ['ConnectAndFollowerSendFOLLOWERINFO'] : []),
    ...deliveries,
    ...(bounds.maxTransactions > 0 ? ['LeaderProcessRequest'] : []),
    'DiskSync',
    ...(bounds.maxCrashes > 0 ? ['NodeCrash'] : []),
    ...((bounds.maxFsyncFailures ?? 0) > 0 ? ['FsyncFailure'] : []),
    ...(bounds.maxCrashes > 0 || (bounds.maxFsyncFailures ?? 0) > 0 ? ['NodeStart'] : []),
    ...(bounds.maxPartitions > 0 ? ['PartitionStart', 'PartitionRecover'] : []),
  ];
}

export function formatAction(action: ZabAction): string {
  switch (action.type) {
    case 'ElectLeader':
      return `ElectLeader(s${action.leader}, {${action.quorum.map((m) => `s${m}`).join(', ')}})`;
    case 'FollowLeader':
      return `FollowLeader(s${action.server}, s${action.leader})`;
    case 'Deliver':
      return `${MESSAGE_ACTIONS[action.message]}(s${action.to}, s${action.from}) [${action.message}]`;
    case 'FLEReceiveNotmsg':
    case 'DropNotification':
      return `${action.type}(s${action.to}, s${action.from})`;
    case 'PartitionStart':
    case 'PartitionRecover':
      return `${action.type}(s${action.a}, s${action.b})`;
    case 'DiskSync':
      return action.writes === undefined ? `DiskSync(s${action.server})` : `DiskSync(s${action.server}, ${action.writes} of the queued writes)`;
    case 'NodeCrash':
      return action.fsyncFailed === true ? `FsyncFailure(s${action.server})` : `NodeCrash(s${action.server})`;
    default:
      return `${action.type}(s${action.server})`;
  }
}
