// Whether a FOLLOWERINFO/OBSERVERINFO may take the learner slot of the server
// id it claims, when that id already has a connection to the leader.
//
// The leader keeps one connection per learner id (the peer core tracks each
// learner by id: its discovery, sync and ACKs). Until issue 15 a second
// connection claiming the id replaced the first at once, so anyone who could
// reach the quorum port could cut a follower off with a 28-byte packet: at 20
// to 40 a second, writes nearly stopped and two members said `Mode: leader`.
//
// ZooKeeper 3.8 (Leader.addLearnerHandler, LearnerHandler.run) keys nothing by
// id: the learners are a set of handlers, a second handler for the same sid
// runs beside the first, and the first goes only when its own socket fails or
// its syncLimit check (LearnerHandler.ping, SyncLimitCheck) or read timeout
// judges it dead. So a spoofed FOLLOWERINFO there does not evict the real
// follower either; it gets a handler of its own. We cannot run two handlers for
// one id (the core has one state per id), so the newcomer waits instead: it is
// refused while the connection holding the id is alive, and replaces it once
// that one is judged dead by the same rule the leader's heartbeat applies
// (nothing received for syncLimit ticks in BROADCAST, initLimit before). A real
// learner that reconnects is not held back in practice: its old connection
// closed when it left (the leader saw the FIN, so the slot is free), and if the
// leader never saw that (a silent partition), the old one is judged dead within
// the same limit and the learner's next attempt gets in.
//
// The real protection of the quorum port against strangers is quorum TLS or
// SASL (docs/operations.md); this only stops a stranger from evicting a member.

import type { QuorumConnection } from './quorum-connection.ts';

export type Admission =
  | { readonly kind: 'admit' }
  | { readonly kind: 'replace'; readonly previous: QuorumConnection; readonly reason: string }
  | { readonly kind: 'refuse'; readonly reason: string; readonly fields: Readonly<Record<string, string | number | undefined>> };

/** `previous`: the connection holding the id, if any; `silenceLimitMs`: when a silent connection is judged dead. */
export function admitLearner(previous: QuorumConnection | undefined, nowMs: number, silenceLimitMs: number): Admission {
  if (previous === undefined || previous.isClosed) return { kind: 'admit' };
  const silentMs = Math.round(nowMs - previous.lastReceivedAtMs);
  if (silentMs > silenceLimitMs) return { kind: 'replace', previous, reason: `replaced by a new connection from the same server id after ${silentMs} ms of silence (limit ${silenceLimitMs} ms)` };
  return {
    kind: 'refuse',
    reason: 'this server id already has a live connection to the leader',
    fields: { heldBy: `${previous.socket.remoteAddress}:${previous.socket.remotePort}`, heldSilentMs: silentMs, silenceLimitMs },
  };
}
