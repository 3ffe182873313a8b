// How large a session's closeSession txn can grow, and the bound that keeps it
// deliverable.
//
// A closeSession txn (CloseSessionTxn, as ZooKeeper 3.6+ writes it) names
// every ephemeral of the session, so its size is the sum of their paths: a
// mass built up one create at a time, with no request ever near
// jute.maxbuffer. Every learner reads the PROPOSAL carrying it with the same
// bound as any other quorum packet field (jute.maxbuffer plus
// jute.maxbuffer.extrasize). A txn above that is refused by every learner, so
// it can never be committed, and a session's close or expiry cannot be
// refused: ZOOKEEPER-4306's wedge (Apache ZooKeeper 3.8 has it above 2 MiB; in
// an ensemble of ours it lost the close and left the session's ephemerals
// behind for ever). The bound is kept where it can still be refused: an
// ephemeral create that would make its session's closeSession txn larger than
// the learners accept fails with QuotaExceeded (ZooKeeper's pull request for
// 4306 takes the same approach; 3.8 has no bound).
//
// The tree holds every prepped txn at once (Writes.submit applies as it
// preps), so the tree's count already includes the session's creates still
// waiting for their fsync: there is no in-flight slack to allow for.

/** A jute string in a vector: its int length, then its UTF-8 bytes. */
export function pathTxnBytes(path: string): number {
  return 4 + Buffer.byteLength(path, 'utf8');
}

/** The closeSession body: the vector's int count, then the paths. */
export function closeSessionTxnBytes(pathBytes: number): number {
  return 4 + pathBytes;
}

/**
 * Room in a learner's field bound for what a PROPOSAL adds around the body:
 * the TxnHeader (32 bytes), the digest (12) and the txn type; generous, so a
 * later field in the header does not reopen the wedge.
 */
export const proposalOverheadBytes = 1024;

/** BinaryInputArchive's extra room since 3.5.7: zookeeper.jute.maxbuffer.extrasize, default jute.maxbuffer itself, never below 1024. */
export function juteExtraBytes(juteMaxBufferBytes: number, configured?: number): number {
  return Math.max(1024, configured ?? juteMaxBufferBytes);
}

/** The largest closeSession body every learner accepts inside a PROPOSAL. */
export function closeSessionTxnBytesMax(juteMaxBufferBytes: number, extraBytes = juteExtraBytes(juteMaxBufferBytes)): number {
  return juteMaxBufferBytes + extraBytes - proposalOverheadBytes;
}
