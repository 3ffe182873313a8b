// ZooKeeper's atomic broadcast (Zab 1.0 as ZooKeeper 3.7+ runs it): the
// types of one server's memory, its messages, the events its reducer handles
// and the effects it asks the world to carry out.
//
// Reference: apache/zookeeper zookeeper-specifications/system-spec/zk-3.7/
// ZkV3_7_0.tla (module ZkV3_7_0, EXTENDS FastLeaderElection) for the
// variables and actions; zookeeper-specifications/protocol-spec/Zab.tla for
// the coarser oracle election; Junqueira, Reed, Serafini, "Zab:
// High-performance broadcast for primary-backup systems" (DSN 2011) §III-§IV
// and Medeiros, "ZooKeeper's atomic broadcast protocol: Theory and practice"
// (2012) for the phases.
//
// Bitmasks over server ids stand for the TLA+ sets (learners, connecting,
// electing, ackldRecv, forwarding, ackSid): with at most a handful of servers
// they are exact, cheap to copy and cheap to fingerprint.

import type { Zxid } from '../common/types.ts';

export type { Zxid };

/** QuorumPeer.ServerState. */
export type ServerState = 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING';

/** The Zab phase of a server (ZkV3_7_0.tla: zabState). */
export type ZabState = 'ELECTION' | 'DISCOVERY' | 'SYNCHRONIZATION' | 'BROADCAST';

/** How the leader synchronises a learner (LearnerHandler.syncFollower). */
export type SyncMode = 'NONE' | 'DIFF' | 'TRUNC' | 'SNAP';

/**
 * A transaction in a history: its zxid and the client request it carries.
 * `value` is unique per client request (ZkV3_7_0.tla uses nClientRequest), so
 * two transactions are the same exactly when zxid and value agree (TxnEqual).
 */
export interface Txn {
  readonly zxid: Zxid;
  readonly value: number;
}

/** A vote in Fast Leader Election (Vote.java: id, zxid, peerEpoch). */
export interface Vote {
  readonly leader: number;
  readonly zxid: Zxid;
  readonly epoch: number;
}

/** A notification as recorded in recvset / outofelection (FastLeaderElection.tla: ElectionVote). */
export interface ElectionVote {
  readonly vote: Vote;
  readonly round: number;
  readonly state: ServerState;
}

/** FastLeaderElection's Notification, sent on the election port. */
export interface Notification extends ElectionVote {
  readonly type: 'NOTIFICATION';
}

/** Messages on the quorum port (Leader.java packet types; ACKLD is the ACK of NEWLEADER, as in ZkV3_7_0.tla). */
export type ZabMessage =
  | { readonly type: 'FOLLOWERINFO'; readonly acceptedEpoch: number }
  | { readonly type: 'OBSERVERINFO'; readonly acceptedEpoch: number }
  | { readonly type: 'LEADERINFO'; readonly epoch: number }
  /** currentEpoch is -1 when the learner had already accepted this epoch (Learner.registerWithLeader). */
  | { readonly type: 'ACKEPOCH'; readonly currentEpoch: number; readonly lastZxid: Zxid }
  | { readonly type: 'DIFF'; readonly zxid: Zxid }
  | { readonly type: 'TRUNC'; readonly zxid: Zxid }
  /** The snapshot travels as the committed prefix of the leader's history (ZkV3_7_0.tla: SerializeSnapshot). */
  | { readonly type: 'SNAP'; readonly zxid: Zxid; readonly snapshot: readonly Txn[] }
  | { readonly type: 'PROPOSAL'; readonly txn: Txn }
  | { readonly type: 'COMMIT'; readonly zxid: Zxid }
  | { readonly type: 'INFORM'; readonly txn: Txn }
  | { readonly type: 'NEWLEADER'; readonly epoch: number }
  | { readonly type: 'ACKLD'; readonly epoch: number }
  | { readonly type: 'UPTODATE' }
  | { readonly type: 'ACK'; readonly zxid: Zxid };

export type ZabMessageType = ZabMessage['type'];

/** What a server knows before it runs (zoo.cfg and the checker's mode); shared, never fingerprinted. */
export interface ServerConfig {
  /** Voting members are ids 0..voters-1; observers follow. */
  readonly voters: number;
  readonly servers: number;
  /** Full Fast Leader Election (true) or the oracle (false). */
  readonly fle: boolean;
  /** The known-bug mutant this server runs (mutants.ts), if any. */
  readonly mutant: string | undefined;
}

/**
 * One server's memory. What survives a crash is the Disk (world.ts); on
 * restart a server is rebuilt from its disk (restartFromDisk in step.ts).
 */
export interface ZabNode {
  readonly id: number;
  readonly config: ServerConfig;
  readonly state: ServerState;
  readonly zabState: ZabState;
  /** f.p in the paper: epoch of the last LEADERINFO accepted (file acceptedEpoch). */
  readonly acceptedEpoch: number;
  /** f.a in the paper: epoch of the last NEWLEADER accepted (file currentEpoch). */
  readonly currentEpoch: number;
  /** The in-memory log: what is on disk plus writes not yet synced. */
  readonly history: readonly Txn[];
  /** How many entries of history are committed and delivered (lastCommitted.index). */
  readonly lastCommitted: number;
  /** history[0..lastSnapshot) is covered by the last snapshot; the leader's committedLog starts after it. */
  readonly lastSnapshot: number;

  // Fast Leader Election (FastLeaderElection.tla).
  readonly logicalClock: number;
  readonly vote: Vote;
  /** recvset, indexed by server id. */
  readonly receiveVotes: readonly (ElectionVote | null)[];
  /** outofelection, indexed by server id. */
  readonly outOfElection: readonly (ElectionVote | null)[];
  /** A quorum agrees with our vote; waiting finalizeWait for a better one (waitNotmsg). */
  readonly waitNotmsg: boolean;

  // Leader (Leader.java, LearnerHandler.java).
  /** Learners that registered (FOLLOWERINFO / OBSERVERINFO), self included. */
  readonly learners: number;
  /** connectingFollowers: FOLLOWERINFO received while choosing the epoch (observers too, they get LEADERINFO). */
  readonly connecting: number;
  /** Largest acceptedEpoch seen + 1 (Leader.epoch while waitingForNewEpoch). */
  readonly tempMaxEpoch: number;
  /** electingFollowers: voters whose ACKEPOCH counts toward the quorum, self included. */
  readonly electing: number;
  /** Learners that sent ACKEPOCH and still wait for syncFollower, with the zxid they reported. */
  readonly toSync: readonly { readonly sid: number; readonly peerLastZxid: Zxid }[];
  /** newLeaderProposal acks (voters count toward the quorum; observers are remembered for UPTODATE). */
  readonly ackldRecv: number;
  /** forwardingFollowers and observingLearners: learners that receive PROPOSAL/COMMIT or INFORM. */
  readonly forwarding: number;
  /** ackSid per history entry (leader only), parallel to history. */
  readonly acks: readonly number[];

  // Learner (Learner.java, Follower.java, Observer.java).
  /** The leader this learner is connected to (connectInfo.sid), or -1. */
  readonly leader: number;
  readonly syncMode: SyncMode;
  /** NEWLEADER received in this synchronisation (connectInfo.nlRcv). */
  readonly newLeaderReceived: boolean;
  /** packetsNotCommitted in Learner.syncWithLeader. */
  readonly packetsNotCommitted: readonly Txn[];
  /** Index (in history ++ packetsNotCommitted) up to which this synchronisation has committed. */
  readonly syncCommitted: number;
}

/** What can happen to one server. */
export type ZabEvent =
  // Election.
  | { readonly type: 'StartLooking' } // ZabTimeout / FollowerShutdown / LeaderShutdown / restart
  | { readonly type: 'ElectionDecided'; readonly vote: Vote } // oracle: UpdateLeader / FollowLeader
  | { readonly type: 'NotificationReceived'; readonly from: number; readonly notification: Notification } // FLEReceiveNotmsg + FLEHandleNotmsg
  | { readonly type: 'NotificationTimeout' } // FLENotmsgTimeout
  | { readonly type: 'FinalizeWait' } // FLEWaitNewNotmsg
  // Connections.
  | { readonly type: 'ConnectToLeader' } // ConnectAndFollowerSendFOLLOWERINFO
  | { readonly type: 'LeaderLost' } // the connection to our leader broke
  | { readonly type: 'LearnerLost'; readonly sid: number } // RemoveLearner
  // Quorum-port messages.
  | { readonly type: 'Receive'; readonly from: number; readonly message: ZabMessage }
  // Clients.
  | { readonly type: 'ClientRequest'; readonly value: number }; // LeaderProcessRequest

export type ZabEventType = ZabEvent['type'];

/**
 * What a server asks the world to do, in order. Writes come in two kinds, as
 * in the real server: synchronous ones (truncateLog, writeSnapshot,
 * writeAcceptedEpoch, and writeCurrentEpoch with queued = false) are on disk
 * when the effect is applied; queued ones (logTxns, writeCurrentEpoch with
 * queued = true) go to the SyncRequestProcessor's queue and reach the disk
 * only when the checker's DiskSync action runs. `sendAfterSync` joins that
 * queue, so the message leaves only after everything before it is on disk
 * (SendAckRequestProcessor runs after SyncRequestProcessor's flush). `flush`
 * waits for the queue to drain (a blocking fsync).
 */
export type ZabEffect =
  | { readonly type: 'send'; readonly to: number; readonly message: ZabMessage }
  | { readonly type: 'sendAfterSync'; readonly to: number; readonly message: ZabMessage }
  | { readonly type: 'sendNotification'; readonly to: number; readonly notification: Notification }
  | { readonly type: 'logTxns'; readonly txns: readonly Txn[] }
  | { readonly type: 'flush' }
  | { readonly type: 'truncateLog'; readonly length: number }
  | { readonly type: 'writeSnapshot'; readonly txns: readonly Txn[] }
  | { readonly type: 'writeAcceptedEpoch'; readonly epoch: number }
  | { readonly type: 'writeCurrentEpoch'; readonly epoch: number; readonly queued: boolean };

export const ZXID_ZERO: Zxid = { epoch: 0 as Zxid['epoch'], counter: 0 };

export function zxid(epochValue: number, counter: number): Zxid {
  return { epoch: epochValue as Zxid['epoch'], counter };
}
