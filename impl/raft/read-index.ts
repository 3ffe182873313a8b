// Linearizable reads by ReadIndex (dissertation §6.4; etcd-io/raft's
// ReadOnlySafe): the leader records its commit index when the read arrives,
// confirms with a round of heartbeats that it was still the leader then (a
// quorum acknowledges a heartbeat carrying the read's context in this term),
// and answers once that is so; the world replies when its state machine has
// applied the recorded index. Two conditions make the recorded index enough:
// the leader has committed an entry of its own term (so its commit index is
// at least every earlier leader's, §8), and no newer leader existed when the
// read arrived (the quorum's acknowledgements). No clock is trusted: there
// are no lease-based reads here, so clock drift cannot make a read stale.

import { termAt } from './log.ts';
import { type Draft, isBuggy, quorum, send } from './node.ts';
import { progressOf } from './replication.ts';

export function readIndex(d: Draft, context: number): void {
  if (d.role !== 'leader') {
    d.out.refused.push({ what: 'ReadIndex', context, reason: d.leader === -1 ? 'no leader known' : `not the leader (the leader is ${d.leader})` });
    return;
  }
  if (termAt(d.log, d.commit) !== d.term) {
    d.out.refused.push({ what: 'ReadIndex', context, reason: `no entry of term ${d.term} committed yet` });
    return;
  }
  if (quorum(d) === 1 || isBuggy(d, 'stale-read')) {
    // Alone, we are the quorum. (The bug answers without confirming leadership: a deposed leader answers stale.)
    d.out.reads.push({ context, index: d.commit });
    return;
  }
  d.reads = [...d.reads, { context, index: d.commit, acks: new Set([d.config.id]) }];
  broadcastHeartbeat(d, context);
}

export function broadcastHeartbeat(d: Draft, context: number): void {
  for (const to of d.config.voters) {
    if (to === d.config.id) continue;
    const commit = Math.min(progressOf(d, to).match, d.commit);
    send(d, { type: 'Heartbeat', term: d.term, from: d.config.id, to, commit, context });
  }
}

/** The newest pending read's context, carried by a periodic heartbeat so that a lost one is retried. */
export function latestReadContext(d: Draft): number {
  return d.reads.length === 0 ? 0 : d.reads[d.reads.length - 1]!.context;
}

/** A heartbeat acknowledgement for `context`: with a quorum, that read and every earlier one are answered. */
export function acknowledgeRead(d: Draft, from: number, context: number): void {
  const at = d.reads.findIndex((r) => r.context === context);
  if (at < 0) return;
  const read = d.reads[at]!;
  const acks = new Set(read.acks).add(from);
  if (acks.size < quorum(d)) {
    d.reads = d.reads.map((r, k) => (k === at ? { ...r, acks } : r));
    return;
  }
  // Leadership confirmed after every earlier read arrived: they are answered too (etcd's readOnly.advance).
  for (const r of d.reads.slice(0, at + 1)) d.out.reads.push({ context: r.context, index: r.index });
  d.reads = d.reads.slice(at + 1);
}
