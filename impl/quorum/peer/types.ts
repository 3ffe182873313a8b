// The sans-IO Zab peer after election: the leader and learner (follower,
// observer) roles through discovery, synchronisation and broadcast, as
// ZooKeeper 3.9 runs them (Leader.java, LearnerHandler.java, Learner.java,
// Follower.java, Observer.java). The names and the order of every handler are
// spec/zab's (ZkV3_7_0.tla actions); this core differs from spec/zab in what a
// real server needs: zxids are the wire's 64-bit `epoch << 32 | counter`,
// payloads are opaque bytes, and fsync completion is an event (`LogSynced`)
// instead of the checker's DiskSync, so the core never assumes the disk.

/** A transaction: its zxid and the opaque bytes of TxnHeader + txn record (impl/tree encodes them). */
export interface PeerTxn {
  readonly zxid: bigint;
  readonly data: Uint8Array;
}

/** Zab phase (ZkV3_7_0.tla zabState) after the election. */
export type PeerPhase = 'DISCOVERY' | 'SYNCHRONIZATION' | 'BROADCAST';

export type SyncMode = 'NONE' | 'DIFF' | 'TRUNC' | 'SNAP';

/** Quorum-port messages, one per QuorumPacket type (packet.ts maps them to wire.ts). ACK of NEWLEADER is ACKLD, as in spec/zab. */
export type PeerMessage =
  | { readonly type: 'FOLLOWERINFO'; readonly acceptedEpoch: number }
  | { readonly type: 'OBSERVERINFO'; readonly acceptedEpoch: number }
  | { readonly type: 'LEADERINFO'; readonly epoch: number }
  /** currentEpoch -1: the learner had already accepted this epoch (Learner.registerWithLeader). */
  | { readonly type: 'ACKEPOCH'; readonly currentEpoch: number; readonly lastZxid: bigint }
  | { readonly type: 'DIFF'; readonly zxid: bigint }
  | { readonly type: 'TRUNC'; readonly zxid: bigint }
  /** The snapshot stands for the leader's committed data tree; here the committed txns that build it. */
  | { readonly type: 'SNAP'; readonly zxid: bigint; readonly snapshot: readonly PeerTxn[] }
  | { readonly type: 'PROPOSAL'; readonly txn: PeerTxn }
  | { readonly type: 'COMMIT'; readonly zxid: bigint }
  | { readonly type: 'INFORM'; readonly txn: PeerTxn }
  | { readonly type: 'NEWLEADER'; readonly epoch: number }
  | { readonly type: 'ACKLD'; readonly epoch: number }
  | { readonly type: 'UPTODATE' }
  | { readonly type: 'ACK'; readonly zxid: bigint };

export type PeerMessageType = PeerMessage['type'];

/** What can happen to a peer after the election decided its role. */
export type PeerEvent =
  /** ConnectAndFollowerSendFOLLOWERINFO: a learner's connection to its leader is up. */
  | { readonly type: 'ConnectToLeader' }
  | { readonly type: 'Receive'; readonly from: number; readonly message: PeerMessage }
  /** The storage's group commit made the log durable up to this zxid (SyncRequestProcessor's flush). */
  | { readonly type: 'LogSynced'; readonly zxid: bigint }
  /** LeaderProcessRequest: a write submitted at the leader (local or forwarded REQUEST). */
  | { readonly type: 'ClientRequest'; readonly data: Uint8Array }
  /** The connection to our leader broke (FollowerShutdown). */
  | { readonly type: 'LeaderLost' }
  /** A learner's connection broke (RemoveLearner). */
  | { readonly type: 'LearnerLost'; readonly sid: number };

export type PeerEventType = PeerEvent['type'];

/**
 * What the peer asks the world to do, in order. Every effect but
 * `appendTxns` completes before the next one runs (epoch files and
 * truncation are synchronous writes in ZooKeeper: writeLongToFile,
 * ZKDatabase.truncateLog). `appendTxns` only queues to the log: it is durable
 * when the world reports `LogSynced`, and anything that must wait for it
 * (an ACK, the ACK of NEWLEADER) is emitted by the core only then.
 */
export type PeerEffect =
  | { readonly type: 'persistAcceptedEpoch'; readonly epoch: number }
  | { readonly type: 'persistCurrentEpoch'; readonly epoch: number }
  | { readonly type: 'appendTxns'; readonly txns: readonly PeerTxn[] }
  /** Drop every logged txn after this zxid (TRUNC). */
  | { readonly type: 'truncateLog'; readonly zxid: bigint }
  /** Replace the database by the leader's snapshot (SNAP; ZooKeeper takes it at NEWLEADER). */
  | { readonly type: 'installSnapshot'; readonly zxid: bigint; readonly txns: readonly PeerTxn[] }
  | { readonly type: 'send'; readonly to: number; readonly message: PeerMessage }
  /** Apply a committed txn to the data tree (FinalRequestProcessor). */
  | { readonly type: 'deliver'; readonly txn: PeerTxn }
  /** Back to LOOKING (FollowerShutdown / LeaderShutdown): the core's run of this role is over. */
  | { readonly type: 'goLooking'; readonly reason: string };

export type PeerEffectType = PeerEffect['type'];

/**
 * Known bugs ZooKeeper shipped, which a peer can be built with (PeerConfig.bugs)
 * so that conformance (conformance/replay/) and the simulation can show they
 * catch them. Each name is spec/zab's mutant of the same bug (spec/zab/mutants.ts):
 * - ZOOKEEPER-3911: NEWLEADER is acked with packetsNotCommitted still only in
 *   memory (they are logged at UPTODATE);
 * - ZOOKEEPER-4646: the synced proposals are queued for logging and NEWLEADER
 *   is acked at once, before their fsync;
 * - ZOOKEEPER-4643: currentEpoch is written as NEWLEADER arrives, before the
 *   synced proposals are on disk (the ACK still waits for the fsync).
 */
export type PeerBug = 'ZOOKEEPER-3911' | 'ZOOKEEPER-4646' | 'ZOOKEEPER-4643';

export const PEER_BUGS: readonly PeerBug[] = ['ZOOKEEPER-3911', 'ZOOKEEPER-4646', 'ZOOKEEPER-4643'];

/** zoo.cfg for the core: voters are ids 0..voters-1, observers follow. */
export interface PeerConfig {
  readonly voters: number;
  /** How many committed proposals the leader keeps for DIFF (ZKDatabase.commitLogCount, 500 in ZooKeeper). */
  readonly committedLogCountMax: number;
  /** Known bugs to re-introduce, for conformance tests only; absent or empty: the fixed 3.9 behaviour. */
  readonly bugs?: ReadonlySet<PeerBug>;
}

/** What a peer has on disk: the epoch files, its txn log, and how much of it a snapshot covers (known committed). */
export interface PeerDisk {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly log: readonly PeerTxn[];
  readonly snapshotCount: number;
}

interface PeerCommon {
  readonly id: number;
  readonly config: PeerConfig;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  /** The in-memory log: on disk up to syncedZxid, queued after. */
  readonly history: readonly PeerTxn[];
  /** history[0..lastCommitted) is delivered to the data tree. */
  readonly lastCommitted: number;
  /** The last zxid the world reported durable (LogSynced). */
  readonly syncedZxid: bigint;
}

/** Leader.java and its LearnerHandlers. Sets of sids are bitmasks, as in spec/zab (ids < 31). */
export interface LeaderPeer extends PeerCommon {
  readonly role: 'LEADING';
  readonly phase: PeerPhase;
  /** Learners that registered, self included. */
  readonly learners: number;
  /** connectingFollowers, self included (getEpochToPropose). */
  readonly connecting: number;
  /** max acceptedEpoch seen + 1. */
  readonly tempMaxEpoch: number;
  /** electingFollowers: voters whose ACKEPOCH counts, self included. */
  readonly electing: number;
  /** Learners that sent ACKEPOCH before the quorum, with their last zxid. */
  readonly toSync: readonly { readonly sid: number; readonly peerLastZxid: bigint }[];
  /** newLeaderProposal acks, self included. */
  readonly ackld: number;
  /** forwardingFollowers and observingLearners. */
  readonly forwarding: number;
  /** ackSid per history entry, parallel to history. */
  readonly acks: readonly number[];
}

/** Learner.java with Follower.java / Observer.java. */
export interface LearnerPeer extends PeerCommon {
  readonly role: 'FOLLOWING' | 'OBSERVING';
  readonly phase: PeerPhase;
  readonly leader: number;
  readonly connected: boolean;
  readonly syncMode: SyncMode;
  /** The SNAP loaded in memory, written at NEWLEADER (takeSnapshot). */
  readonly pendingSnapshot: { readonly zxid: bigint; readonly txns: readonly PeerTxn[] } | undefined;
  readonly newLeaderReceived: boolean;
  /** packetsNotCommitted of Learner.syncWithLeader. */
  readonly packetsNotCommitted: readonly PeerTxn[];
  /** Index in history ++ packetsNotCommitted up to which this synchronisation has committed. */
  readonly syncCommitted: number;
  /** NEWLEADER is acked once the log is durable up to this zxid (ZOOKEEPER-3911/4646); undefined when not waiting. */
  readonly newLeaderAckAfter: { readonly epoch: number; readonly zxid: bigint } | undefined;
  /** Proposals logged but not acked yet: each ACK leaves after its fsync. */
  readonly acksAfterSync: readonly bigint[];
}

/** A peer whose role ended: it went back to LOOKING (the election takes over). */
export interface LookingPeer extends PeerCommon {
  readonly role: 'LOOKING';
}

export type Peer = LeaderPeer | LearnerPeer | LookingPeer;
