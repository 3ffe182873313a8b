// The peer core records its own run as a conformance trace (conformance/trace.ts's
// ITF format, `source: "impl"`), so that conformance/validate.ts can judge it
// against spec/zab: every recorded step must be a legal spec step. The idea is
// etcd-io/raft's trace logger (rafttest's TraceLogger feeding the TLA+ trace
// validation): the reducer is wrapped, each event it handles names the step,
// and the world around it (the simulation) reports what the core cannot see:
// crashes, restarts, the election outcome. After each world action the
// recorder reads every server's projection and appends a state, so that each
// recorded state is one spec action; what the recorder cannot see (none in the
// simulation) is left to the validator's hidden steps.
//
// The projection is conformance/adapters/zab.ts's, read from outside the core
// where the world can: role and phase, the two epochs, the last zxid in
// memory, the last zxid on disk, the last zxid in the data tree (the world's,
// built by the deliver and installSnapshot effects), the leader it is
// connected to. Two readings
// fit spec/zab's oracle election, where the decision and the connection are
// one action (FollowLeader, ElectLeader): a learner whose core started but has
// not connected yet is still LOOKING, and a learner holding a SNAP in memory
// has that snapshot as its data tree (ZooKeeper deserialises it at SNAP; the
// core delivers it at NEWLEADER).

import { MESSAGE_ACTIONS } from '../../../spec/zab/format.ts';
import type { Transition } from '../../../spec/common/transition.ts';
import { lastZxid } from './history.ts';
import { formatProjection, projectCore, projectLookingCore } from './projection.ts';
import type { Peer, PeerDisk, PeerEffect, PeerEvent, PeerTxn } from './types.ts';

/** What the world knows of one server: down, LOOKING between runs (with its memory), or running a core. */
export type ServerView =
  | { readonly status: 'down'; readonly disk: PeerDisk }
  | { readonly status: 'looking'; readonly disk: PeerDisk; readonly memory: LookingMemory; readonly appliedZxid: bigint }
  | { readonly status: 'core'; readonly disk: PeerDisk; readonly peer: Peer; readonly appliedZxid: bigint };

export interface LookingMemory {
  readonly acceptedEpoch: number;
  readonly currentEpoch: number;
  readonly history: readonly PeerTxn[];
  readonly lastCommitted: number;
}

/** An ITF integer as conformance/trace.ts writes it: a number while exact in a double, else {"#bigint"}. */
type ItfInteger = number | { readonly '#bigint': string };
export type RecordedProjection = { readonly state: 'DOWN' } | { readonly [field: string]: string | number | ItfInteger };

function itfInteger(value: bigint): ItfInteger {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : { '#bigint': value.toString() };
}

export interface RecordedState {
  readonly 'mbt::actionTaken': string;
  readonly 'mbt::nondetPicks': Record<string, never>;
  readonly nodes: readonly RecordedProjection[];
}

// A recording's labels are spec/zab's action names (the trace format's contract with the
// validator), so the table is spec/zab's own rather than a copy that could drift.

/** The spec action an event handled by `peer` is (its label in the recording). */
export function eventLabel(peer: Peer, event: PeerEvent): string {
  const s = `s${peer.id}`;
  switch (event.type) {
    case 'Receive':
      return `${MESSAGE_ACTIONS[event.message.type]}(${s}, s${event.from}) [${event.message.type}]`;
    case 'LogSynced':
      return `DiskSync(${s})`;
    case 'ClientRequest':
      return `LeaderProcessRequest(${s})`;
    case 'ConnectToLeader':
      return peer.role === 'FOLLOWING' || peer.role === 'OBSERVING' ? `FollowLeader(${s}, s${peer.leader})` : `ConnectToLeader(${s})`;
    case 'LeaderLost':
      return `Timeout(${s})`;
    case 'LearnerLost':
      return `RemoveLearner(${s}, s${event.sid})`;
  }
}

/** A server's projection as impl/quorum/peer/projection.ts reads a core; a learner not yet connected is LOOKING (spec/zab's follows at its connect). */
export function projectView(id: number, view: ServerView): RecordedProjection {
  if (view.status === 'down') return { state: 'DOWN' };
  const loggedZxid = lastZxid(view.disk.log);
  const core =
    view.status === 'looking'
      ? projectLookingCore(view.memory, view.appliedZxid, loggedZxid)
      : projectCore(view.peer, id, view.appliedZxid, loggedZxid, { notConnectedIsLooking: true });
  return formatProjection(core, itfInteger);
}

/**
 * The runner's snapshots, as ZooKeeper takes them (spec/zab writes the same
 * ones, so a restart delivers the same prefix): when a leader starts serving
 * (Leader.lead's takeSnapshot) and when a learner's TRUNC synchronisation
 * completes at NEWLEADER (Learner.syncWithLeader; a SNAP's is installSnapshot).
 * Returns the disk with `snapshotCount` moved, or the disk itself.
 */
export function takeRunnerSnapshot(before: Peer, after: Peer, disk: PeerDisk): PeerDisk {
  if (before.role === 'LEADING' && after.role === 'LEADING' && before.phase === 'SYNCHRONIZATION' && after.phase === 'BROADCAST') {
    return { ...disk, snapshotCount: Math.max(disk.snapshotCount, Math.min(after.history.length, disk.log.length)) };
  }
  const learner = (p: Peer) => p.role === 'FOLLOWING' || p.role === 'OBSERVING';
  if (learner(before) && learner(after) && before.role !== 'LEADING' && before.role !== 'LOOKING' && after.role !== 'LEADING' && after.role !== 'LOOKING') {
    if (!before.newLeaderReceived && after.newLeaderReceived && before.syncMode === 'TRUNC') return { ...disk, snapshotCount: Math.min(before.history.length, disk.log.length) };
  }
  return disk;
}

export type StepFunction = (peer: Peer, event: PeerEvent) => Transition<Peer, PeerEffect>;

/**
 * Records a run: `wrap` the reducer, tell it of world actions with `note`,
 * and call `commit` after each world action; `trace` gives the recording.
 */
export class PeerRecorder {
  private readonly states: RecordedState[] = [];
  private last = '';
  private label: string | undefined;
  private delivered = false;

  constructor(
    private readonly view: (id: number) => ServerView,
    private readonly servers: number,
  ) {}

  /** The reducer, recording the first event of each world action as its label. */
  wrap(step: StepFunction): StepFunction {
    return (peer, event) => {
      this.label ??= eventLabel(peer, event);
      // A delivered message is a spec step even when the core ignores it (the channel's head is gone).
      if (event.type === 'Receive') this.delivered = true;
      return step(peer, event);
    };
  }

  /** A world action the core does not see (a crash, a restart, the election), named as spec/zab names it. */
  note(label: string): void {
    this.label ??= label;
  }

  /**
   * The end of one world action: a recorded state when a projection changed,
   * or when a message was delivered (a spec step even when the core ignores
   * it). Anything else that changes nothing visible is no spec step (e.g. a
   * learner that is still LOOKING to the spec losing its connection).
   */
  commit(): void {
    const nodes = Array.from({ length: this.servers }, (_, id) => projectView(id, this.view(id)));
    const text = JSON.stringify(nodes);
    const label = this.label;
    const delivered = this.delivered;
    this.label = undefined;
    this.delivered = false;
    if (text === this.last && !delivered) return;
    this.last = text;
    this.states.push({ 'mbt::actionTaken': this.states.length === 0 ? 'init' : (label ?? 'unlabelled'), 'mbt::nondetPicks': {}, nodes });
  }

  get length(): number {
    return this.states.length;
  }

  /**
   * The recording as an ITF trace (conformance/trace.ts). `bounds` are spec/zab's
   * bounds that admit this run (servers, observers, and limits high enough).
   */
  trace(bounds: Readonly<Record<string, number | boolean>>, description: string): unknown {
    return {
      '#meta': {
        format: 'ITF',
        'format-description': 'https://apalache-mc.org/docs/adr/015adr-trace.html',
        source: 'impl',
        spec: 'zab',
        preset: null,
        bounds,
        mutant: null,
        seed: null,
        description,
      },
      vars: ['mbt::actionTaken', 'mbt::nondetPicks', 'nodes'],
      states: this.states.map((s, index) => ({ '#meta': { index }, ...s })),
    };
  }
}
