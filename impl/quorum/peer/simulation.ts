// A deterministic simulation of the peer core: 3 voters (ids 0..2) and
// optionally one observer (id 3) in the in-memory world (world.ts: disks with
// an fsync queue, FIFO channels per ordered pair, crashes), driven by one
// seeded PRNG, so that a seed replays a run. Each step picks uniformly among
// every enabled action: deliver the head of a channel, fsync a prefix of a
// server's queue, connect a learner, submit a write at the leader, crash a
// learner (one voter down at a time), break a learner's connection, bring a
// learner that is down or LOOKING back from its disk.
//
// Eras: at the start of each era every server restarts from disk and an
// oracle elects a leader, as spec/zab's oracle does (Zab.tla: a quorum Q, a
// leader whose (currentEpoch, last zxid) is at least every member's); an era
// ends with a crash of everyone or of the leader alone (its learners then
// lose their connection and flush their queues). The checks the run makes as
// it goes are simulation-checks.ts's.
//
// With a `witness` the run is also recorded, by conformance, as a trace
// (conformance/replay/simulation-recorder.ts) that conformance/validate.ts
// judges against spec/zab; the simulation itself knows no spec. The scheduler then
// takes only steps spec/zab's world can take, so that a rejection is the
// core's: a group commit makes the whole queue durable (DiskSync), the
// oracle's quorum connects in the election step (ElectLeader), an era starts
// with one crash and one restart per server (NodeCrash, NodeStart) instead of
// everyone losing power at once (MemoryWorld.crashAll), a LOOKING learner
// rejoins through a crash and restart, the runner blocks on the fsync
// NEWLEADER waits for, and the drain ends when the leader gives up.

import { seededRandom } from '../../../lib/random.ts';
import { lastZxid } from './history.ts';
import type { CoreProjection } from './projection.ts';
import { SimulationChecks, type SimulationContext } from './simulation-checks.ts';
import { step } from './step.ts';
import type { PeerConfig, PeerDisk, SyncMode } from './types.ts';
import { MemoryWorld, serverFromDisk, type StepFunction } from './world.ts';

export interface SimulationOptions {
  readonly seed: number;
  readonly observer: boolean;
  readonly eras: number;
  readonly stepsPerEra: number;
  readonly committedLogCountMax: number;
  /** A broken world that reports fsync as soon as txns are queued (no disk write): the checks must catch it. */
  readonly lyingFsync?: boolean;
  /** The reducer under test (the core's step unless a test injects a known-bug variant). */
  readonly step?: StepFunction;
  /** A witness of the run (conformance records it as a spec/zab trace); see the header for what it changes. */
  readonly witness?: (view: WorldView) => SimulationWitness;
}

/** What a witness may read of the world: a server's projection, with a learner not yet connected as LOOKING. */
export interface WorldView {
  readonly servers: number;
  project(id: number): CoreProjection | undefined;
}

/**
 * A witness of a run: shown every event the core handles (it wraps the
 * reducer), told what the core cannot see (a crash, a restart, the oracle's
 * election), and told when one world action ends. The simulation knows no
 * spec; conformance's witness names these steps as spec/zab does.
 */
export interface SimulationWitness {
  wrap(step: StepFunction): StepFunction;
  crashed(id: number): void;
  started(id: number): void;
  elected(leader: number, quorum: readonly number[]): void;
  /** The end of one world action. */
  commit(): void;
}

export interface SimulationResult {
  readonly violations: readonly string[];
  readonly committed: number;
  /** Sync messages the leader sent to learners, by mode. */
  readonly syncModes: Readonly<Record<Exclude<SyncMode, 'NONE'>, number>>;
  /** The same, only for learners that crashed and restarted within an era (not at an era's start). */
  readonly restartSyncModes: Readonly<Record<Exclude<SyncMode, 'NONE'>, number>>;
  readonly crashes: number;
  /** Learners whose connection broke (LeaderLost) without a crash. */
  readonly connectionBreaks: number;
  /** Why learners went back to LOOKING during an era (none expected). */
  readonly learnerLooking: readonly string[];
  /** Why leaders gave up (a learner more recent than the oracle's pick: a new era follows). */
  readonly leaderLooking: readonly string[];
}

/** The simulation's voters (ids 0..2); an observer, if any, is id 3. */
export const SIMULATION_VOTERS = 3;
const VOTERS = SIMULATION_VOTERS;
const EMPTY_DISK: PeerDisk = { acceptedEpoch: 0, currentEpoch: 0, log: [], snapshotCount: 0 };
/**
 * A leader that gives up (a learner outside the oracle's quorum is more recent) makes the world elect again;
 * the final era is retried up to this many times so that the run ends with a drained, established leader.
 */
const ERA_RETRIES_MAX = 8;

export function runSimulation(options: SimulationOptions): SimulationResult {
  return new Simulation(options).run();
}

class Simulation implements SimulationContext {
  private readonly random: () => number;
  private readonly serverCount: number;
  readonly world: MemoryWorld;
  private readonly checks: SimulationChecks;
  private readonly witness: SimulationWitness | undefined;
  /** Learners restarted within the current era. */
  private readonly restartedLearners = new Set<number>();
  leaderId = -1;
  private era = 0;
  private stepIndex = 0;
  private nextValue = 1;
  private crashes = 0;
  private connectionBreaks = 0;

  constructor(private readonly options: SimulationOptions) {
    this.random = seededRandom(options.seed);
    this.serverCount = VOTERS + (options.observer ? 1 : 0);
    const config: PeerConfig = { voters: VOTERS, committedLogCountMax: options.committedLogCountMax };
    this.witness = options.witness?.({ servers: this.serverCount, project: (id) => this.world.project(id, { notConnectedIsLooking: true }) });
    const reducer = this.witness !== undefined ? this.witness.wrap(options.step ?? step) : (options.step ?? step);
    this.checks = new SimulationChecks(this);
    // spec/zab's initial state: every server up, LOOKING, with an empty disk.
    const servers = Array.from({ length: this.serverCount }, () => serverFromDisk(EMPTY_DISK));
    this.world = new MemoryWorld(config, servers, {
      step: reducer,
      beforeEffect: (id, peer, effect, event) => this.checks.beforeEffect(id, peer, effect, event),
      ...(options.lyingFsync === true ? { lyingFsync: true } : {}),
    });
  }

  get committedLogCountMax(): number {
    return this.options.committedLogCountMax;
  }

  where(): string {
    return `seed ${this.options.seed} era ${this.era} step ${this.stepIndex}`;
  }

  restartedInEra(id: number): boolean {
    return this.restartedLearners.has(id);
  }

  private pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)]!;
  }

  run(): SimulationResult {
    const { options, world, witness } = this;
    witness?.commit();
    for (this.era = 1; this.era <= options.eras + ERA_RETRIES_MAX; this.era++) {
      // Era boundary: either everyone crashes (memory and fsync queues lost), or only the leader does and
      // the learners see LeaderLost and go back to LOOKING, flushing their queues; all restart from disk.
      const leaderCrashOnly = this.random() < 0.5;
      if (witness !== undefined) this.witnessedEraStart(leaderCrashOnly);
      else this.eraStart(leaderCrashOnly);
      const last = this.era >= options.eras;
      for (this.stepIndex = 0; this.stepIndex < options.stepsPerEra; this.stepIndex++) {
        if (world.peer(this.leaderId)?.role !== 'LEADING') break;
        this.randomStep(true);
      }
      if (!last) continue;
      // Drain: no more requests or crashes; every server comes back and everything in flight lands.
      // (With a witness: a leader that gave up ends the drain, as spec/zab's FollowLeader needs a leader.)
      for (let drained = 0; drained < 20_000 && !(witness !== undefined && world.peer(this.leaderId)?.role !== 'LEADING') && this.randomStep(false); drained++) this.stepIndex++;
      if (world.servers[this.leaderId]!.slot.status === 'looking' && this.era < options.eras + ERA_RETRIES_MAX) continue;
      this.checks.afterDrain();
      break;
    }
    return this.result();
  }

  private result(): SimulationResult {
    const { checks } = this;
    const result: SimulationResult = {
      violations: checks.violations,
      committed: checks.committed.length,
      syncModes: checks.syncModes,
      restartSyncModes: checks.restartSyncModes,
      crashes: this.crashes,
      connectionBreaks: this.connectionBreaks,
      learnerLooking: checks.learnerLooking,
      leaderLooking: checks.leaderLooking,
    };
    return result;
  }

  /** The oracle: a random quorum of voters elects its member with the best (currentEpoch, last zxid). */
  private elect(): { leader: number; quorum: number[] } {
    const ids = [0, 1, 2];
    const excluded = this.pick(ids);
    const quorum = ids.filter((i) => i !== excluded || this.random() < 0.5);
    const vote = (i: number) => ({ epoch: this.world.servers[i]!.disk.currentEpoch, zxid: lastZxid(this.world.servers[i]!.disk.log) });
    const leader = quorum.reduce((best, i) => {
      const a = vote(i);
      const b = vote(best);
      return a.epoch > b.epoch || (a.epoch === b.epoch && a.zxid > b.zxid) ? i : best;
    });
    return { leader, quorum };
  }

  /** The oracle's decision for a LOOKING server: the core starts in its role (a learner not yet connected). */
  private startRun(id: number): void {
    if (id === this.leaderId) this.world.startLeading(id);
    else this.world.startFollowing(id, this.leaderId);
  }

  /** Without a witness: the era boundary as a power loss (of everyone, or of the leader first), then the oracle's election. */
  private eraStart(leaderCrashOnly: boolean): void {
    const world = this.world;
    if (leaderCrashOnly && this.leaderId >= 0) world.crash(this.leaderId);
    world.crashAll();
    this.restartedLearners.clear();
    this.leaderId = this.elect().leader;
    for (let id = 0; id < this.serverCount; id++) {
      world.restart(id);
      this.startRun(id);
    }
  }

  /** With a witness: the era boundary as spec/zab's steps: a crash and a restart per server, then the oracle's election. */
  private witnessedEraStart(leaderCrashOnly: boolean): void {
    const { world, witness: rec } = this;
    const ids = Array.from({ length: this.serverCount }, (_, id) => id);
    // (In era 1 every server is up and LOOKING already: the recording's initial state.)
    if (this.era > 1) {
      const order = leaderCrashOnly ? [this.leaderId, ...ids.filter((id) => id !== this.leaderId)] : ids;
      for (const id of order) {
        if (world.servers[id]!.slot.status === 'down') continue;
        rec!.crashed(id);
        world.crash(id);
        rec!.commit();
      }
      // Everyone is down already: this only starts the channels' order afresh, as a new era.
      world.crashAll();
    }
    this.restartedLearners.clear();
    if (this.era > 1) {
      for (const id of ids) {
        rec!.started(id);
        world.restart(id);
        rec!.commit();
      }
    }
    const { leader, quorum } = this.elect();
    this.leaderId = leader;
    rec!.elected(leader, quorum);
    for (const id of ids) this.startRun(id);
    for (const m of quorum) if (m !== leader) world.apply(m, { type: 'ConnectToLeader' });
    rec!.commit();
  }

  /** One step: every enabled action is listed and one is picked uniformly; false when none is enabled. */
  private randomStep(faults: boolean): boolean {
    const actions = this.enabledActions(faults);
    if (actions.length === 0) return false;
    this.pick(actions)();
    this.witness?.commit();
    return true;
  }

  private enabledActions(faults: boolean): (() => void)[] {
    const { world, witness, random } = this;
    const actions: (() => void)[] = [];
    for (const { from, to } of world.channels()) {
      actions.push(() => {
        const message = world.deliver(from, to);
        // With a witness: the runner blocks on the fsync NEWLEADER waits for (Learner.syncWithLeader's syncFlush), as
        // spec/zab's FollowerProcessNEWLEADER does in one action.
        const after = world.peer(to);
        if (witness !== undefined && message.type === 'NEWLEADER' && (after?.role === 'FOLLOWING' || after?.role === 'OBSERVING') && after.newLeaderAckAfter !== undefined) world.fsync(to);
      });
    }
    world.servers.forEach((server, id) => {
      const peer = world.peer(id);
      // The group commit makes a prefix of the queue durable (with a witness: all of it, as spec/zab's DiskSync).
      if (server.pending.length > 0 && peer !== undefined) actions.push(() => world.fsync(id, witness !== undefined ? undefined : 1 + Math.floor(random() * server.pending.length)));
      if (peer !== undefined && (peer.role === 'FOLLOWING' || peer.role === 'OBSERVING') && !peer.connected) actions.push(() => world.apply(id, { type: 'ConnectToLeader' }));
      if (peer === undefined && id !== this.leaderId) actions.push(() => this.rejoin(id));
    });
    const leader = world.peer(this.leaderId);
    if (faults && leader?.role === 'LEADING' && leader.phase === 'BROADCAST' && random() < 0.3) {
      actions.push(() => world.apply(this.leaderId, { type: 'ClientRequest', data: new Uint8Array([this.nextValue++ & 0xff, this.era]) }));
    }
    // Crash one learner at a time, so the leader keeps its quorum.
    const down = world.servers.filter((_, id) => world.peer(id) === undefined && id < VOTERS).length;
    if (faults && down === 0 && random() < 0.02) {
      const victims = world.servers.map((_, id) => id).filter((id) => id !== this.leaderId);
      actions.push(() => {
        this.crashes++;
        const victim = this.pick(victims);
        witness?.crashed(victim);
        world.crash(victim);
      });
    }
    // A learner's connection breaks without a crash: it goes back to LOOKING (its log flushed) and rejoins.
    if (faults && down === 0 && random() < 0.01) {
      const learners = world.servers.map((_, id) => id).filter((id) => id !== this.leaderId && world.peer(id) !== undefined);
      if (learners.length > 0) {
        actions.push(() => {
          const id = this.pick(learners);
          this.connectionBreaks++;
          world.apply(id, { type: 'LeaderLost' });
        });
      }
    }
    return actions;
  }

  /** A learner that is down or LOOKING comes back from its disk and follows the era's leader (to spec/zab: a crash, a restart). */
  private rejoin(id: number): void {
    const { world, witness } = this;
    this.restartedLearners.add(id);
    if (world.servers[id]!.slot.status === 'looking') {
      witness?.crashed(id);
      world.crash(id);
      witness?.commit();
    }
    witness?.started(id);
    world.restart(id);
    this.startRun(id);
  }
}
