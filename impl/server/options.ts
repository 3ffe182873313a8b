// What the request pipeline is given when it is built: its settings, its log,
// its storage hook (`persist`) and, in an ensemble, its role with the callbacks
// of the run that drives it (impl/ensemble/leader-run.ts, learner-run.ts).
// ServerCore re-exports these types; the parts of the pipeline import them from
// here, so that none of them imports the facade.

import type * as R from '../protocol/records.ts';
import type { DataTree } from '../tree/data-tree.ts';
import type { Txn } from '../tree/txn.ts';
import type { ServerMetrics } from '../observability/server-metrics.ts';

/** Makes a group of txns durable (the log's group commit, fsync included); rejects when the log refuses them. */
export type Persist = (txns: readonly Txn[]) => Promise<void>;

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
/** A log line's data, each item its own field (observability/logger.ts prints bigints as 0x hex). */
export type LogFields = Readonly<Record<string, string | number | boolean | bigint | undefined>>;
/** One structured line: `event` a stable name, `fields` its data, `message` (a field) a short sentence for people. */
export type Logger = (level: LogLevel, event: string, fields?: LogFields) => void;

/** A request a learner forwards to the leader (Learner.request: QuorumPacket REQUEST with sessionId, cxid, type, body, authinfo). */
export type ForwardedRequest = {
  readonly sessionId: bigint;
  readonly cxid: number;
  readonly type: number;
  /**
   * The request's record as the client sent it; for createSession the
   * negotiated timeout as a 4-byte big-endian int (ZooKeeper's body), then the
   * session's 16-byte password (ours: passwords are random, so the leader must
   * be told; ZooKeeper's leader reads the int and ignores what follows).
   */
  readonly body: Uint8Array;
  readonly authIds: readonly R.Id[];
};

/** A session touch a learner reports in its PING reply (LearnerSessionTracker.snapshot). */
export type SessionTouch = { readonly sessionId: bigint; readonly timeoutMs: number };

export type Replication =
  | {
      readonly role: 'leader';
      /** The epoch's first zxid (epoch << 32 | 1): txns take zxids from here upward, one each, in order. */
      readonly firstZxid: bigint;
    }
  | {
      readonly role: 'learner';
      readonly forward: (request: ForwardedRequest) => void;
      /**
       * REVALIDATE (Learner.validateSession): asks the leader whether a
       * session a client reconnects with is live and `passwd` its password,
       * which also touches it there. Without it the learner checks its
       * committed tree (see forwarding-path.ts, reattach).
       */
      readonly revalidate?: (sessionId: bigint, timeoutMs: number, passwd: Uint8Array) => Promise<boolean>;
      /** What the four-letter words report; default 'follower'. */
      readonly learnerType?: 'follower' | 'observer';
    }
  | {
      /** A member cut off from its quorum, serving read-only clients from its last tree (read-only-path.ts). */
      readonly role: 'read-only';
    };

/** What authentication.ts is given: SASL users, provider schemes, super users, enforcement. */
export type AuthenticationOptions = {
  /** The JAAS section's DIGEST-MD5 users (user name -> password); undefined when no SASL login is configured. */
  readonly saslCredentials?: ReadonlyMap<string, string>;
  /** The schemes authProvider.N adds to digest and ip: "sasl" for SASLAuthenticationProvider. */
  readonly providerSchemes?: readonly string[];
  /** zookeeper.superUser[.*]: SASL users who also get the `super` id. */
  readonly superUsers?: readonly string[];
  /** AuthenticationHelper's enforceAuthSchemes; empty: no enforcement. */
  readonly enforceAuthSchemes?: readonly string[];
};

export type ServerState = 'standalone' | 'leader' | 'follower' | 'observer' | 'read-only';

export type ServerCoreOptions = {
  /** tickTime: the session expiry granularity. ZooKeeper's default is 3000 ms; zoo.cfg samples use 2000. */
  readonly tickTimeMs?: number;
  /** Default 2 x tickTime. */
  readonly minSessionTimeoutMs?: number;
  /** Default 20 x tickTime. */
  readonly maxSessionTimeoutMs?: number;
  /** zookeeper.DigestAuthenticationProvider.superDigest: "super:base64(sha1(super:password))". */
  readonly superDigest?: string;
  /** SASL DIGEST-MD5 users, the providers authProvider.N adds, SASL super users, enforce.auth (authentication.ts); absent: none. */
  readonly authentication?: AuthenticationOptions;
  /** zookeeper.extendedTypesEnabled: allows TTL nodes (off by default, as in ZooKeeper). */
  readonly extendedTypesEnabled?: boolean;
  /** zookeeper.digest.enabled: keep the tree digest and its log, which `hash` prints (on by default, as in ZooKeeper). */
  readonly digestEnabled?: boolean;
  /** zookeeper.enforceQuota: a create or setData over a hard quota limit fails with QuotaExceeded (off by default, as in ZooKeeper). */
  readonly enforceQuota?: boolean;
  /** znode.container.maxPerMinute: at most this many containers and TTL nodes deleted a minute (default 10000). */
  readonly containerMaxPerMinute?: number;
  /** The server id in the top byte of session ids: myid in an ensemble; a standalone ZooKeeperServer uses 1. */
  readonly serverId?: number;
  /** znode.container.checkIntervalMs: how often containers and TTL nodes are reaped. */
  readonly containerCheckIntervalMs?: number;
  /** znode.container.maxNeverUsedIntervalMs (0 = keep never-used containers). */
  readonly containerMaxNeverUsedIntervalMs?: number;
  /** Makes txns durable before their effects are released; with none, the server is in-memory. */
  readonly persist?: Persist;
  /** Called once if persist fails; the core has stopped by then. */
  readonly onFatal?: (error: unknown) => void;
  /** A tree recovered from storage; a fresh one otherwise. */
  readonly tree?: DataTree;
  /** Wall clock in ms (txn times, ctime/mtime, TTL and container ages). */
  readonly now?: () => number;
  /**
   * A monotonic clock in ms (ZooKeeper's Time.currentElapsedTime): session
   * expiry, request latencies, rate limits. A wall clock stepped by an hour
   * must neither expire every session nor hold expiry back. Default
   * performance.now(); a test of expiry fakes this one.
   */
  readonly elapsedNow?: () => number;
  readonly log?: Logger;
  /** The server's part in an ensemble; absent for a standalone server. */
  readonly replication?: Replication;
  /** The process's counters and summaries (ZooKeeper's ServerMetrics), shared by the pipelines it runs; a fresh one by default. */
  readonly metrics?: ServerMetrics;
  /**
   * Bytes of replies one connection may have waiting (encoded in its FIFO, or
   * written and not yet taken by its client) before the server stops reading
   * its requests, until they have left (default 4 MiB: a few of the largest replies).
   */
  readonly replyBacklogBytesMax?: number;
  /**
   * jute.maxbuffer on replies: a read whose reply frame (ReplyHeader and record)
   * is longer is answered MarshallingError rather than sent, since a client
   * with the same jute.maxbuffer would refuse it and lose its connection
   * (reply-size.ts). Default 0xfffff, jute.maxbuffer's.
   */
  readonly replyBytesMax?: number;
};
