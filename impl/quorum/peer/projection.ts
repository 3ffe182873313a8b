// A peer core's observable projection, in the fields conformance/adapters/zab.ts
// compares with spec/zab (state, zabState, the two epochs, the last zxid in
// memory, the last delivered zxid, the last zxid on disk, the leader), with
// zxids as bigints. Two readers use it: the in-memory world (world.ts
// `project`, read by the core's own recorder and by the in-process replay)
// and a test-control member's `prj` (impl/ensemble/control/projection.ts).
// They differ only in where the delivered data tree's zxid comes from, in
// whether a learner not yet connected counts as LOOKING (the recorder:
// spec/zab's learner follows at its connect), and in how zxids are written
// (ITF integers, decimal strings).

import { lastZxid } from './history.ts';
import type { Peer } from './types.ts';

export interface CoreProjection {
  readonly state: 'LOOKING' | 'FOLLOWING' | 'LEADING' | 'OBSERVING';
  readonly zabState: string;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly lastZxid: bigint;
  readonly lastCommittedZxid: bigint;
  readonly loggedZxid: bigint;
  readonly leader: number;
}

/** LOOKING, with what memory holds (a core's state, what a run left, or a disk read at start). */
export function projectLookingCore(memory: Pick<Peer, 'acceptedEpoch' | 'currentEpoch' | 'history'>, committedZxid: bigint, loggedZxid: bigint): CoreProjection {
  return {
    state: 'LOOKING',
    zabState: 'ELECTION',
    acceptedEpoch: memory.acceptedEpoch,
    currentEpoch: memory.currentEpoch,
    lastZxid: lastZxid(memory.history),
    lastCommittedZxid: committedZxid,
    loggedZxid,
    leader: -1,
  };
}

/**
 * A running core, `id` being its own id. `committedZxid` is its data tree's
 * last zxid; a learner holding a SNAP in memory has that snapshot as its data
 * tree instead (ZooKeeper deserialises it at SNAP; the core delivers it at
 * NEWLEADER). A learner not yet connected has no leader (-1), or, with
 * `notConnectedIsLooking`, is LOOKING.
 */
export function projectCore(peer: Peer, id: number, committedZxid: bigint, loggedZxid: bigint, options: { readonly notConnectedIsLooking?: boolean } = {}): CoreProjection {
  if (peer.role === 'LOOKING') return projectLookingCore(peer, committedZxid, loggedZxid);
  if (peer.role === 'LEADING') return running(peer, committedZxid, loggedZxid, id);
  if (!peer.connected && options.notConnectedIsLooking === true) return projectLookingCore(peer, committedZxid, loggedZxid);
  const snapshot = peer.pendingSnapshot;
  return running(peer, snapshot !== undefined ? snapshot.zxid : committedZxid, loggedZxid, peer.connected ? peer.leader : -1);
}

function running(peer: Exclude<Peer, { role: 'LOOKING' }>, committedZxid: bigint, loggedZxid: bigint, leader: number): CoreProjection {
  return {
    state: peer.role,
    zabState: peer.phase,
    acceptedEpoch: peer.acceptedEpoch,
    currentEpoch: peer.currentEpoch,
    lastZxid: lastZxid(peer.history),
    lastCommittedZxid: committedZxid,
    loggedZxid,
    leader,
  };
}

/** The projection with its zxids written by `zxid`. */
export function formatProjection<Z>(p: CoreProjection, zxid: (z: bigint) => Z): Omit<CoreProjection, 'lastZxid' | 'lastCommittedZxid' | 'loggedZxid'> & { readonly lastZxid: Z; readonly lastCommittedZxid: Z; readonly loggedZxid: Z } {
  return { ...p, lastZxid: zxid(p.lastZxid), lastCommittedZxid: zxid(p.lastCommittedZxid), loggedZxid: zxid(p.loggedZxid) };
}
