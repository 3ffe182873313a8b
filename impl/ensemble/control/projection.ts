// What `prj` answers: the member's observable projection in the fields of
// conformance/adapters/zab.ts (state, zabState, the two epochs, the last zxid
// in memory, the last delivered zxid, the last zxid on disk, the leader it is
// connected to, in peer-core ids = spec/zab ids), as impl/quorum/peer/
// projection.ts reads a core (a learner not yet connected has no leader, as
// conformance/replay/mapping.ts projects it; a learner holding a SNAP has
// that snapshot as its data tree), with the core's delivered prefix as its
// data tree:
//
// - between runs the member is LOOKING with what the last run left in memory
//   (its epochs, log and delivered prefix), or, before any run, with what it
//   recovered from disk.
//
// zxids travel as decimal strings (JSON has no 64-bit integers). `extra`
// carries what the harness needs to schedule, not to compare: whether the
// core waits for an fsync before acking NEWLEADER, how many appends are held.

import { zxidAt } from '../../quorum/peer/history.ts';
import { formatProjection, projectCore, projectLookingCore } from '../../quorum/peer/projection.ts';
import type { Peer, PeerDisk } from '../../quorum/peer/types.ts';

export interface ControlProjection {
  readonly state: string;
  readonly zabState: string;
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly lastZxid: string;
  readonly lastCommittedZxid: string;
  readonly loggedZxid: string;
  readonly leader: number;
}

export interface ControlExtra {
  /** The core holds the NEWLEADER ack until the synced proposals are durable (LogSynced). */
  readonly waitsForSync: boolean;
  /** Appends held in memory (not yet written: control mode's DiskSync is `sync`). */
  readonly held: number;
  /** A role run is going on. */
  readonly running: boolean;
  /** The epoch files as on disk. */
  readonly diskAcceptedEpoch: number;
  readonly diskCurrentEpoch: number;
  /** Epoch-file writes still in flight. */
  readonly epochWrites: number;
  /**
   * The log in memory as [zxid (decimal), payload (base64)] pairs, and how much of it is delivered: the harness
   * maps payloads back to the spec's values to compare committed prefixes. An empty payload is a stand-in
   * for a snapshot's txns (replica-store.ts, learner-run.ts's SNAP).
   */
  readonly history: readonly (readonly [string, string])[];
  readonly committed: number;
}

/** A core's (or a disk's) log for ControlExtra.history. */
export function historyOf(memory: Pick<Peer, 'history' | 'lastCommitted'>): Pick<ControlExtra, 'history' | 'committed'> {
  return { history: memory.history.map((t) => [t.zxid.toString(), Buffer.from(t.data).toString('base64')] as const), committed: memory.lastCommitted };
}

const text = (z: bigint) => z.toString();

/** A running core's projection. */
export function projectRunning(peer: Peer, loggedZxid: bigint): ControlProjection {
  return formatProjection(projectCore(peer, peer.id, zxidAt(peer.history, peer.lastCommitted), loggedZxid), text);
}

/** LOOKING, with what memory holds (a core's state, or a disk read at start). */
export function projectLooking(memory: Pick<Peer, 'acceptedEpoch' | 'currentEpoch' | 'history' | 'lastCommitted'>, loggedZxid: bigint): ControlProjection {
  return formatProjection(projectLookingCore(memory, zxidAt(memory.history, memory.lastCommitted), loggedZxid), text);
}

/** A member that has run no role since it started: its disk is its memory. */
export function projectFromDisk(disk: PeerDisk, loggedZxid: bigint): ControlProjection {
  return projectLooking({ acceptedEpoch: disk.acceptedEpoch, currentEpoch: disk.currentEpoch, history: disk.log, lastCommitted: disk.snapshotCount }, loggedZxid);
}
