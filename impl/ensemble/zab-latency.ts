// The latencies ZooKeeper measures along Zab's broadcast (Request.logLatency):
// wall-clock ms since the leader prepared the txn, read from the txn's own
// TxnHeader time, so each member measures against the leader's clock (a
// negative latency, from clock drift between machines, is not recorded):
// - quorum_ack_latency at the leader, when a quorum has acked the proposal
//   (Leader.tryToCommit, before COMMIT goes out);
// - proposal_latency at a follower, when the PROPOSAL arrives (Follower.processPacket);
// - commit_propagation_latency at a learner, when it applies the committed
//   txn (FollowerZooKeeperServer.commit; Observer.processPacket's INFORM).
// Only in BROADCAST: the txns a member syncs with before serving are not
// measured, as ZooKeeper measures none of them.
//
// The time is read from the encoded bytes (TxnHeader: clientId 8, cxid 4,
// zxid 8, then time 8, big-endian) without decoding the txn or allocating.

import type { DurationSummary } from '../observability/duration-summary.ts';

/** Where TxnHeader.time starts in an encoded txn (impl/tree/txn.ts's encodeTxn). */
const timeOffset = 20;

/** TxnHeader.time of an encoded txn, in ms (a long; times are far below 2^53). */
export function txnTimeMs(data: Uint8Array): number {
  const d = data;
  const o = timeOffset;
  const high = (d[o]! << 24) | (d[o + 1]! << 16) | (d[o + 2]! << 8) | d[o + 3]!;
  const low = ((d[o + 4]! << 24) | (d[o + 5]! << 16) | (d[o + 6]! << 8) | d[o + 7]!) >>> 0;
  return high * 0x1_0000_0000 + low;
}

/** Records now minus the txn's header time in `summary`, unless negative (Request.logLatency). */
export function recordSinceProposed(summary: DurationSummary, data: Uint8Array, nowMs: number = Date.now()): void {
  const latency = nowMs - txnTimeMs(data);
  if (latency >= 0) summary.add(latency);
}
