// The replay target (target.ts) for ZAB: impl/quorum/peer's sans-IO core in
// the in-memory world (impl/quorum/peer/world.ts), driven through spec/zab's
// traces by the one step loop (replay.ts). After every step each server's
// projection in the world is compared with the expected one; so is every
// quorum-port channel, message by message (`check`).
//
// What is replayed, and how (the driver's side of adapters/zab.ts's commands):
//
// | spec action                         | the core / the world                                                  |
// | ----------------------------------- | --------------------------------------------------------------------- |
// | Deliver(from, to, M)                | the head of the channel must be M; Receive at `to`'s core             |
// | ElectLeader(l, Q)                   | oracle: startLeading(l); startFollowing(m, l) + ConnectToLeader, m∈Q  |
// | FollowLeader(s, l)                  | oracle: startFollowing(s, l) + ConnectToLeader                         |
// | ConnectAndFollowerSendFOLLOWERINFO  | ConnectToLeader                                                       |
// | LeaderProcessRequest(s)             | ClientRequest (the data carries the spec's request number)            |
// | DiskSync(s)                         | the whole fsync queue reaches the disk, then LogSynced                |
// | Timeout(s) of a learner             | LeaderLost (the sync-limit timer closes the connection)               |
// | NodeCrash / NodeStart               | memory and queue lost / LOOKING from disk                              |
// | PartitionStart / PartitionRecover   | the pair's channels emptied, LeaderLost across it / healed             |
//
// Abstracted (the verdict says so, with the count): the core starts after the
// election, so Fast Leader Election's actions (FLEReceiveNotmsg,
// FLENotmsgTimeout, FLEWaitNewNotmsg, DropNotification) run in the spec only;
// when one ends a server's election the world starts the core in the role the
// spec decided. A leader's Timeout has no core event: the runner ends the run.
//
// One spec step is split by the core: the fixed FollowerProcessNEWLEADER logs
// the synced proposals and blocks on the fsync (Learner.syncWithLeader's
// syncFlush) in one action, while the core queues them and waits for
// LogSynced. The world completes that fsync within the step when the judging
// spec did (its server has nothing queued after the step), and first checks
// the split point: a crash there must leave the epoch files as before the step
// and nothing sent, since the spec offers only "before" or "after"
// (ZOOKEEPER-4643 writes currentEpoch there).
//
// Differences the replay found between spec/zab and the core are named in
// KNOWN_DIFFERENCES; a divergence that is an instance of one is labelled
// (`known`) but stays a divergence. For discovery-leader-keeps-running,
// `discoveryTimeout` replays through it instead: the runner expires that
// leader's initLimit at the same step, an abstracted step like the others.

import { assertNever } from '../../lib/assert.ts';
import type { ZabAction } from '../../spec/zab/actions.ts';
import type { ZabCluster } from '../../spec/zab/world.ts';
import { zxidAt } from '../../impl/quorum/peer/history.ts';
import { step as peerStep } from '../../impl/quorum/peer/step.ts';
import { PEER_BUGS, type PeerBug, type PeerConfig } from '../../impl/quorum/peer/types.ts';
import { MemoryWorld, type StepFunction, type WorldServer } from '../../impl/quorum/peer/world.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { randomWalks } from '../generate.ts';
import { clientData, peerMessageKey, peerTxn, projectWorld, specMessageKey } from './mapping.ts';
import { Divergence, type DivergenceKind, type Explanation, fail, type ReplayOptions, type ReplaySession, type ReplayTarget } from './target.ts';

/** The core's committedLog covers the whole history: spec/zab syncs from the txn log as well (txnlog sync). */
export const REPLAY_COMMITTED_LOG_COUNT_MAX = 1_000_000;

/**
 * Differences between spec/zab and the core that the replay found and that
 * are documented (docs/conformance.md) until one side changes. A divergence
 * that is an instance of one is still a divergence (the command line fails on
 * it unless --allow-known); it is named so that a new one stands out.
 */
export const KNOWN_DIFFERENCES = {
  'discovery-leader-keeps-running':
    "spec/zab's RemoveLearner makes a leader still in DISCOVERY give up at once when it loses its quorum of learners; the core's leaderLearnerLost keeps it running (ZooKeeper's getEpochToPropose waits up to initLimit)",
} as const;

export type KnownDifference = keyof typeof KNOWN_DIFFERENCES;

const INIT_LIMIT_NOW = "initLimit of a leader in DISCOVERY expiring at once (the runner ends the run)";

/**
 * Servers the spec's step made give up while leading in DISCOVERY, whose impl
 * still leads in DISCOVERY (`leadsInDiscovery`: read from the in-process core,
 * or from a member process's projection).
 */
export function discoveryLeadersGivingUp(leadsInDiscovery: (id: number) => boolean, before: ZabCluster, after: ZabCluster): number[] {
  const ids: number[] = [];
  before.servers.forEach((s, id) => {
    const b = s.node;
    const a = after.servers[id]!.node;
    if (b?.state === 'LEADING' && b.zabState === 'DISCOVERY' && a?.state === 'LOOKING' && leadsInDiscovery(id)) ids.push(id);
  });
  return ids;
}

/** Which known difference explains a divergence at a step from `before` to `after` in the spec, if any. */
export function knownDifference(kind: DivergenceKind, leadsInDiscovery: (id: number) => boolean, before: ZabCluster, after: ZabCluster): KnownDifference | undefined {
  if (kind === 'diverging-state' && discoveryLeadersGivingUp(leadsInDiscovery, before, after).length > 0) return 'discovery-leader-keeps-running';
  return undefined;
}

/** A known difference with its sentence, as target.ts's divergence prints it. */
export function described(known: KnownDifference | undefined): { name: string; text: string } | undefined {
  return known === undefined ? undefined : { name: known, text: KNOWN_DIFFERENCES[known] };
}

/** The in-process core's reading of leadsInDiscovery. */
const coreLeadsInDiscovery = (world: MemoryWorld) => (id: number) => {
  const p = world.peer(id);
  return p?.role === 'LEADING' && p.phase === 'DISCOVERY';
};

/** The peer core's session: its world built from spec/zab's initial servers. */
class PeerCoreSession implements ReplaySession<ZabCluster, ZabAction> {
  readonly mismatch = "the impl's projection differs from the spec's";

  constructor(
    private readonly world: MemoryWorld,
    private readonly discoveryTimeout: boolean,
  ) {}

  perform(before: ZabCluster, action: ZabAction, after: ZabCluster): readonly string[] {
    const kinds: string[] = [];
    const kind = perform(this.world, before, action, after);
    if (kind !== undefined) kinds.push(kind);
    if (this.discoveryTimeout) {
      for (const id of discoveryLeadersGivingUp(coreLeadsInDiscovery(this.world), before, after)) {
        this.world.endRun(id);
        kinds.push(INIT_LIMIT_NOW);
      }
    }
    return kinds;
  }

  judged(after: ZabCluster): ZabCluster {
    return after;
  }

  project() {
    return projectWorld(this.world);
  }

  /** Channels: every message the core sent must be the spec's, in order. */
  check(spec: ZabCluster): Divergence | undefined {
    const n = spec.servers.length;
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) {
        if (from === to) continue;
        const mine = this.world.messages(from, to).map(peerMessageKey);
        const theirs = spec.channels[from * n + to]!.map(specMessageKey);
        if (mine.join(' | ') === theirs.join(' | ')) continue;
        const isPrefix = mine.length < theirs.length && mine.every((m, k) => m === theirs[k]);
        return new Divergence(isPrefix ? 'missing-action' : 'unexpected-action', `channel s${from} -> s${to}: impl [${mine.join(', ')}], spec [${theirs.join(', ')}]`);
      }
    }
    return undefined;
  }

  explain(kind: DivergenceKind, before: ZabCluster, after: ZabCluster): Explanation {
    const known = knownDifference(kind, coreLeadsInDiscovery(this.world), before, after);
    return known === undefined ? undefined : { known };
  }
}

/** The ZAB target over a peer reducer: the core's own step, or one a test breaks on purpose. */
export function peerCoreTarget(step: StepFunction = peerStep): ReplayTarget<ZabCluster, ZabAction> {
  return {
    adapter: zabAdapter,
    implementation: 'impl/quorum/peer',
    bugs: PEER_BUGS,
    knownDifferences: KNOWN_DIFFERENCES,
    presets: ['ci', 'ci-all-faults', 'ci-observer', 'ci-fle'],
    walksPerPreset: 100,
    notReplayable: {},
    ownOptions: ['strict-discovery', 'discovery-timeout'],
    walks: (preset, count, seed, depthMax) => randomWalks(zabAdapter, preset, { walks: count, seed, depthMax }),
    start(init: ZabCluster, _bounds, _mutant, options: ReplayOptions) {
      const bugs = options.bugs as ReadonlySet<PeerBug> | undefined;
      const config: PeerConfig = { voters: init.config.voters, committedLogCountMax: REPLAY_COMMITTED_LOG_COUNT_MAX, ...(bugs !== undefined && bugs.size > 0 ? { bugs } : {}) };
      const servers: WorldServer[] = [];
      for (const s of init.servers) {
        const server = serverFromSpec(s);
        if (server === undefined) return { invalid: 'replay: a trace must start with every server LOOKING or down and nothing queued' };
        servers.push(server);
      }
      return new PeerCoreSession(new MemoryWorld(config, servers, { step }), options.discoveryTimeout === true);
    },
  };
}

/** spec/zab's traces against impl/quorum/peer's core. */
export const zabTarget = peerCoreTarget();

/** A spec server as the world's, or undefined when it is neither LOOKING nor down with nothing queued (no core starts there). */
function serverFromSpec(s: ZabCluster['servers'][number]): WorldServer | undefined {
  const disk = { acceptedEpoch: s.disk.acceptedEpoch, currentEpoch: s.disk.currentEpoch, log: s.disk.log.map(peerTxn), snapshotCount: s.disk.lastSnapshot };
  const node = s.node;
  if (node === null) return { slot: { status: 'down' }, disk, pending: [], applied: { count: 0, zxid: 0n } };
  if (node.state !== 'LOOKING' || s.pending.length > 0) return undefined;
  const history = node.history.map(peerTxn);
  return {
    slot: { status: 'looking', memory: { acceptedEpoch: node.acceptedEpoch, currentEpoch: node.currentEpoch, history, lastCommitted: node.lastCommitted } },
    disk,
    pending: [],
    applied: { count: node.lastCommitted, zxid: zxidAt(history, node.lastCommitted) },
  };
}

/** Ends a replay's step with a Divergence of this kind. */

/** Carries out one spec action in the world; returns the abstraction's kind when the core does not take it. */
function perform(world: MemoryWorld, before: ZabCluster, action: ZabAction, after: ZabCluster): string | undefined {
  switch (action.type) {
    case 'ElectLeader':
      electLeader(world, action);
      return undefined;
    case 'FollowLeader': {
      needLooking(world, action.server, `FollowLeader(s${action.server}, s${action.leader})`);
      const leader = world.peer(action.leader);
      if (leader?.role !== 'LEADING') fail('missing-action', `FollowLeader: server ${action.leader} does not lead in the core`);
      world.startFollowing(action.server, action.leader);
      world.apply(action.server, { type: 'ConnectToLeader' });
      return undefined;
    }
    case 'ConnectAndFollowerSendFOLLOWERINFO': {
      const p = world.peer(action.server);
      if (p === undefined || (p.role !== 'FOLLOWING' && p.role !== 'OBSERVING') || p.connected) fail('missing-action', `server ${action.server} is not a learner waiting to connect`);
      world.apply(action.server, { type: 'ConnectToLeader' });
      return undefined;
    }
    case 'Deliver': {
      const head = world.messages(action.from, action.to)[0];
      if (head === undefined) fail('missing-action', `the spec delivers ${action.message} from s${action.from} to s${action.to}; that channel is empty in the impl`);
      if (head!.type !== action.message) fail('missing-action', `the spec delivers ${action.message} from s${action.from} to s${action.to}; the impl's channel starts with ${peerMessageKey(head!)}`);
      world.deliver(action.from, action.to);
      if (action.message === 'NEWLEADER') completeNewLeaderFsync(world, before, action.to, action.from, after);
      return undefined;
    }
    case 'LeaderProcessRequest': {
      const p = world.peer(action.server);
      if (p?.role !== 'LEADING') fail('missing-action', `server ${action.server} does not lead in the core`);
      world.apply(action.server, { type: 'ClientRequest', data: clientData(before.requests + 1) });
      return undefined;
    }
    case 'DiskSync':
      world.fsync(action.server);
      return undefined;
    case 'Timeout': {
      const p = world.peer(action.server);
      if (p === undefined) return fail('missing-action', `Timeout: server ${action.server} runs no core`);
      if (p.role === 'LEADING') {
        world.endRun(action.server);
        return 'Timeout of a leader (the runner ends the run)';
      }
      world.apply(action.server, { type: 'LeaderLost' });
      return undefined;
    }
    case 'NodeCrash':
      world.crash(action.server);
      return undefined;
    case 'NodeStart':
      world.restart(action.server);
      return undefined;
    case 'PartitionStart':
      world.partition(action.a, action.b);
      return undefined;
    case 'PartitionRecover':
      world.heal(action.a, action.b);
      return undefined;
    case 'FLEReceiveNotmsg':
    case 'FLENotmsgTimeout':
    case 'FLEWaitNewNotmsg':
    case 'DropNotification':
      startElectedCores(world, before, after, action.type);
      return `${action.type} (Fast Leader Election)`;
    default:
      return assertNever(action, 'ZAB action');
  }
}

/** A role's core starts only on a LOOKING server. (A core that goes back to LOOKING leaves its slot at once: MemoryWorld.apply ends the run.) */
function needLooking(world: MemoryWorld, id: number, why: string): void {
  const slot = world.servers[id]!.slot;
  if (slot.status !== 'looking') fail('missing-action', `${why}: server ${id} is ${slot.status === 'core' ? slot.peer.role : slot.status}, not LOOKING`);
}

/** ElectLeader (the oracle election): the leader's core starts LEADING, each other member of the quorum's FOLLOWING and connects. */
function electLeader(world: MemoryWorld, action: Extract<ZabAction, { type: 'ElectLeader' }>): void {
  for (const m of action.quorum) needLooking(world, m, `ElectLeader(s${action.leader})`);
  world.startLeading(action.leader);
  for (const m of action.quorum) {
    if (m === action.leader) continue;
    world.startFollowing(m, action.leader);
    world.apply(m, { type: 'ConnectToLeader' });
  }
}

/** The election runs in the spec only; a server a Fast Leader Election step decided starts its core in the decided role. */
function startElectedCores(world: MemoryWorld, before: ZabCluster, after: ZabCluster, step: string): void {
  after.servers.forEach((server, id) => {
    const b = before.servers[id]!.node;
    const a = server.node;
    if (b === null || a === null || b.state !== 'LOOKING' || a.state === 'LOOKING') return;
    needLooking(world, id, `${step} decided the election`);
    if (a.state === 'LEADING') world.startLeading(id);
    else world.startFollowing(id, a.vote.leader);
  });
}

/**
 * The fsync the fixed FollowerProcessNEWLEADER blocks on (see the header):
 * completed here when the judging spec completed it, after checking that a
 * crash at the split point leaves what the spec allows.
 */
function completeNewLeaderFsync(world: MemoryWorld, before: ZabCluster, learner: number, leader: number, after: ZabCluster): void {
  const p = world.peer(learner);
  if (p === undefined || (p.role !== 'FOLLOWING' && p.role !== 'OBSERVING') || p.newLeaderAckAfter === undefined) return;
  if (after.servers[learner]!.pending.length > 0) return;
  const disk = world.servers[learner]!.disk;
  const specDisk = before.servers[learner]!.disk;
  const sent = world.messages(learner, leader).map(peerMessageKey);
  const sentBefore = before.channels[learner * before.servers.length + leader]!.map(specMessageKey);
  if (disk.currentEpoch !== specDisk.currentEpoch || disk.acceptedEpoch !== specDisk.acceptedEpoch) {
    fail(
      'diverging-state',
      `crash point inside NEWLEADER (before the fsync of the synced proposals completes): server ${learner} has currentEpoch ${disk.currentEpoch} on disk with the synced proposals not yet durable; the spec's step leaves currentEpoch ${specDisk.currentEpoch} until they are`,
    );
  }
  if (sent.length !== sentBefore.length) {
    fail('unexpected-action', `crash point inside NEWLEADER: server ${learner} sent ${sent.slice(sentBefore.length).join(', ')} to s${leader} before the synced proposals are durable`);
  }
  world.fsync(learner);
}
