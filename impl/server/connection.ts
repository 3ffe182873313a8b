// One client connection as the pipeline sees it: ZooKeeper's ServerCnxn state
// (the session it carries, its auth ids, its counters for cons and stat) plus
// the queues the pipeline keeps for it. Plain data, one object per connection,
// so that the hot path reads its fields without another lookup: the output
// FIFO (output-queues.ts), the frames held while a learner revalidates the
// session (handshake.ts) and a learner's forwarded requests waiting for their
// commits (forwarding-path.ts).

import type * as R from '../protocol/records.ts';
import type { TxnResult } from '../tree/data-tree.ts';
import { LatencyStats } from './stats.ts';

/** Where a connection's output goes: the TCP layer, or a test. */
export interface ConnectionSink {
  send(bytes: Uint8Array): void;
  close(reason: string): void;
}

/** 'revalidating': a learner waits for the leader's word on the session and holds the frames that arrive meanwhile. */
type ConnectionState = 'handshake' | 'revalidating' | 'open' | 'closed';

/**
 * One entry of an output FIFO. `batch` is the persist batch it waits for (0:
 * nothing). A learner's entry may have no `deliver` yet: it waits for its
 * forwarded request's commit or for the leader's SYNC, which fill it in.
 */
export type Output = { readonly batch: number; deliver: (() => void) | undefined };

/** Learner: a forwarded request waiting for its txn; `kind` is what the txn must be to match. */
export type Forwarded = {
  readonly cxid: number;
  readonly kind: 'createSession' | 'closeSession' | 'write';
  readonly output: Output;
  /** Builds the output's delivery from the committed txn's result. */
  readonly onCommit: (outcome: TxnResult) => () => void;
};

export type Connection = {
  readonly id: number;
  readonly sink: ConnectionSink;
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly establishedAtMs: number;
  state: ConnectionState;
  sessionId: bigint | undefined;
  sessionTimeoutMs: number | undefined;
  authIds: R.Id[];
  packetsReceived: number;
  packetsSent: number;
  outstandingRequests: number;
  lastCxid: number;
  lastZxid: bigint;
  lastOperation: string;
  lastResponseAtMs: number;
  lastLatencyMs: number;
  readonly latency: LatencyStats;
  /** This connection's output FIFO (consumed up to outputsHead). */
  outputs: Output[];
  outputsHead: number;
  /** Frames received while 'revalidating', handled once the session is settled. */
  heldFrames: Uint8Array[];
  /** Learner: the requests forwarded for this connection whose txns have not committed yet, oldest first (from forwardedHead). */
  forwarded: Forwarded[];
  forwardedHead: number;
  /**
   * The ConnectRequest is in and its ConnectResponse has not left: no request
   * is taken until it has (ZooKeeperServer.processConnectRequest's disableRecv,
   * enableRecv in finishSessionInit), so nothing piles up behind a session
   * that is not durable yet.
   */
  settingUp: boolean;
  /** Bytes of read replies encoded and waiting in the output FIFO (read-processor.ts counts them, core.ts throttles on them). */
  queuedReplyBytes: number;
};

export function newConnection(id: number, sink: ConnectionSink, remoteAddress: string, remotePort: number, nowMs: number, state: ConnectionState): Connection {
  return {
    id,
    sink,
    remoteAddress,
    remotePort,
    establishedAtMs: nowMs,
    state,
    sessionId: undefined,
    sessionTimeoutMs: undefined,
    // Every connection starts authenticated as its address (NIOServerCnxn adds the ip id).
    authIds: [{ scheme: 'ip', id: remoteAddress }],
    packetsReceived: 0,
    packetsSent: 0,
    outstandingRequests: 0,
    lastCxid: -1,
    lastZxid: -1n,
    lastOperation: 'NA',
    lastResponseAtMs: 0,
    lastLatencyMs: 0,
    latency: new LatencyStats(),
    outputs: [],
    outputsHead: 0,
    heldFrames: [],
    forwarded: [],
    forwardedHead: 0,
    settingUp: false,
    queuedReplyBytes: 0,
  };
}
