// Bounding a running peer's memory. The core keeps its log in `history` and
// addresses it by index (as spec/zab does), so left alone a server that runs
// for days would hold every txn it ever logged and copy that array on each
// proposal. What the core needs of the committed past is only the
// committedLog (ZKDatabase.committedLog: the last committedLogCountMax
// committed proposals, from which the leader sends a DIFF); everything older
// is in the data tree and on disk. `compact` drops that older prefix and
// shifts every index by the same amount, so the peer behaves as before:
// chooseSync already treats a learner older than the committedLog as one that
// needs a SNAP.
//
// Only a peer in BROADCAST is compacted: discovery and synchronisation treat
// the whole history as the new epoch's committed prefix, and they are short.

import type { LeaderPeer, LearnerPeer, Peer } from './types.ts';

/**
 * Drops committed entries older than the committedLog once they are at least
 * as many as the log keeps (so the copy is amortised over that many commits).
 * At least one committed entry always stays, so the last zxid never reads 0.
 */
export function compact(peer: Peer): Peer {
  if (peer.role === 'LOOKING' || peer.phase !== 'BROADCAST') return peer;
  const keep = Math.max(1, peer.config.committedLogCountMax);
  const drop = peer.lastCommitted - keep;
  if (drop < keep) return peer;
  if (peer.role === 'LEADING') {
    const leader: LeaderPeer = { ...peer, history: peer.history.slice(drop), acks: peer.acks.slice(drop), lastCommitted: peer.lastCommitted - drop };
    return leader;
  }
  const learner: LearnerPeer = {
    ...peer,
    history: peer.history.slice(drop),
    lastCommitted: peer.lastCommitted - drop,
    // Only read during synchronisation, which is over; kept in range.
    syncCommitted: Math.max(0, peer.syncCommitted - drop),
  };
  return learner;
}
