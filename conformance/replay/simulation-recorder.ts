// impl/quorum/peer's seeded simulation recorded as a conformance trace (trace.ts's
// ITF format, `source: "impl"`), so that validate.ts can judge it
// against spec/zab: every recorded step must be a legal spec step. The idea is
// etcd-io/raft's trace logger (rafttest's TraceLogger feeding the TLA+ trace
// validation): the reducer is wrapped, each event it handles names the step,
// and the world around it (the simulation) reports what the core cannot see:
// crashes, restarts, the election outcome. After each world action the
// recorder reads every server's projection and appends a state, so that each
// recorded state is one spec action; what the recorder cannot see (none in the
// simulation) is left to the validator's hidden steps. The recorder is the
// simulation's witness (SimulationWitness): the simulation says what happened
// in its own terms and this file names each step as spec/zab does, so impl
// never imports spec.
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

import { formatProjection, type CoreProjection } from '../../impl/quorum/peer/projection.ts';
import type { SimulationWitness, WorldView } from '../../impl/quorum/peer/simulation.ts';
import type { Peer, PeerEvent } from '../../impl/quorum/peer/types.ts';
import type { StepFunction } from '../../impl/quorum/peer/world.ts';
import { MESSAGE_ACTIONS } from '../../spec/zab/format.ts';

import { itfInteger, makeTrace, type ItfBigint, type Trace } from '../trace.ts';

export type RecordedProjection = { readonly state: 'DOWN' } | { readonly [field: string]: string | number | ItfBigint };

export interface RecordedState {
  readonly 'mbt::actionTaken': string;
  readonly 'mbt::nondetPicks': Record<string, never>;
  readonly nodes: RecordedProjection[];
}

/**
 * The spec action an event handled by `peer` is (its label in the recording). A
 * recording's labels are spec/zab's action names (the trace format's contract with
 * the validator): a message's comes from spec/zab's own MESSAGE_ACTIONS table.
 */
function eventLabel(peer: Peer, event: PeerEvent): string {
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

/** A server's projection in the world (world.ts), written as the trace writes it; DOWN while down. */
function recordedProjection(projection: CoreProjection | undefined): RecordedProjection {
  return projection === undefined ? { state: 'DOWN' } : formatProjection(projection, itfInteger);
}

/**
 * Records a run: the simulation wraps its reducer with `wrap`, tells it of
 * the world's own actions, and calls `commit` after each world action;
 * `trace` gives the recording.
 */
export class PeerRecorder implements SimulationWitness {
  private readonly states: RecordedState[] = [];
  private last = '';
  private label: string | undefined;
  private delivered = false;

  private readonly project: (id: number) => CoreProjection | undefined;
  private readonly servers: number;

  constructor(view: WorldView) {
    this.project = (id) => view.project(id);
    this.servers = view.servers;
  }

  /** The reducer, recording the first event of each world action as its label. */
  wrap(step: StepFunction): StepFunction {
    return (peer, event) => {
      this.label ??= eventLabel(peer, event);
      // A delivered message is a spec step even when the core ignores it (the channel's head is gone).
      if (event.type === 'Receive') this.delivered = true;
      return step(peer, event);
    };
  }

  crashed(id: number): void {
    this.note(`NodeCrash(s${id})`);
  }

  started(id: number): void {
    this.note(`NodeStart(s${id})`);
  }

  /** The oracle's election and the quorum's connection are one spec/zab action. */
  elected(leader: number, quorum: readonly number[]): void {
    this.note(`ElectLeader(s${leader}, {${quorum.map((m) => `s${m}`).join(', ')}})`);
  }

  /** A world action the core does not see, named as spec/zab names it. */
  private note(label: string): void {
    this.label ??= label;
  }

  /**
   * The end of one world action: a recorded state when a projection changed,
   * or when a message was delivered (a spec step even when the core ignores
   * it). Anything else that changes nothing visible is no spec step (e.g. a
   * learner that is still LOOKING to the spec losing its connection).
   */
  commit(): void {
    const nodes = Array.from({ length: this.servers }, (_, id) => recordedProjection(this.project(id)));
    const text = JSON.stringify(nodes);
    const label = this.label;
    const delivered = this.delivered;
    this.label = undefined;
    this.delivered = false;
    if (text === this.last && !delivered) return;
    this.last = text;
    this.states.push({ 'mbt::actionTaken': this.states.length === 0 ? 'init' : (label ?? 'unlabelled'), 'mbt::nondetPicks': {}, nodes });
  }

  /**
   * The recording as an ITF trace (conformance/trace.ts). `bounds` are spec/zab's
   * bounds that admit this run (servers, observers, and limits high enough).
   */
  trace(bounds: Readonly<Record<string, number | boolean>>, description: string): Trace {
    return makeTrace({ source: 'impl', spec: 'zab', preset: null, bounds, mutant: null, seed: null, description }, this.states);
  }
}
