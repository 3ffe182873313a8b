// Replay of spec-generated ZAB traces against impl/quorum/peer's core, in
// process: the trace gives the schedule (each state's `mbt::actionTaken`),
// spec/zab runs alongside (lockstep) to name each action exactly and to know
// what the world around the servers holds, and after every step each server's
// projection in the in-memory world (impl/quorum/peer/world.ts) is compared with the
// expected one; so is every quorum-port channel, message by message.
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
// Verdicts name the step (the trace's state index): `missing-action` (the
// core cannot take the action: an empty channel, another message at its head,
// a server not in the role the action needs, or a message the spec sends and
// the core does not), `unexpected-action` (the core sent what the spec does
// not), `diverging-state` (a projection differs; both are printed), `invalid`
// (the trace does not follow its own spec). The judge is the trace itself
// (`judge: 'trace'`: the recorded projections, checked against the trace's own
// spec and mutant re-run) or the correct spec on the trace's schedule
// (`judge: 'correct-spec'`: how a mutant's scenario must go for a fixed
// server); a schedule the correct spec cannot follow ends the replay there.
//
// Differences the replay found between spec/zab and the core are named in
// KNOWN_DIFFERENCES; a divergence that is an instance of one is labelled
// (`known`) but stays a divergence. For discovery-leader-keeps-running,
// `discoveryTimeout` replays through it instead: the runner expires that
// leader's initLimit at the same step, an abstracted step like the others.

import type { Model } from '../../model-check/model.ts';
import { assertNever } from '../../lib/assert.ts';
import type { ZabAction } from '../../spec/zab/actions.ts';
import { zabSpec } from '../../spec/zab/spec.ts';
import { zxidAt } from '../../impl/quorum/peer/history.ts';
import type { ZabCluster } from '../../spec/zab/world.ts';
import type { PeerBug, PeerConfig } from '../../impl/quorum/peer/types.ts';
import { MemoryWorld, type StepFunction, type WorldServer } from '../../impl/quorum/peer/world.ts';
import { projectZab } from '../adapters/zab.ts';
import { ACTION_TAKEN, canonical, NODES, type ItfValue, type NodeProjection, type Trace } from '../trace.ts';
import { clientData, peerMessageKey, peerTxn, projectWorld, specMessageKey } from './mapping.ts';

export type Judge = 'trace' | 'correct-spec';

export interface ReplayOptions {
  /** Known bugs the core is built with (PeerConfig.bugs); default none. */
  readonly bugs?: ReadonlySet<PeerBug>;
  /** What the core's projections must equal (see the header); default 'trace'. */
  readonly judge?: Judge;
  /** The command that reproduces this replay, printed with a divergence. */
  readonly reproduce?: string;
  /**
   * Where spec/zab's leader in DISCOVERY gives up at once on losing its quorum of
   * learners, let the runner expire that leader's initLimit timer at the same
   * step (counted as abstracted) instead of reporting discovery-leader-keeps-running.
   */
  readonly discoveryTimeout?: boolean;
  /** The reducer under test (tests inject broken ones); default the core's step. */
  readonly step?: StepFunction;
}

export type DivergenceKind = 'missing-action' | 'unexpected-action' | 'diverging-state';

export type ReplayVerdict =
  | {
      readonly verdict: 'conforms';
      /** Steps replayed (the trace's, or up to where the correct spec left the schedule). */
      readonly steps: number;
      /** Steps the core does not take (FLE, a leader's timeout): their kinds and count. */
      readonly abstracted: Readonly<Record<string, number>>;
      /** With judge 'correct-spec': the step whose action the correct spec cannot take, if any. */
      readonly scheduleLeftSpecAt?: { readonly step: number; readonly action: string };
    }
  | {
      readonly verdict: DivergenceKind;
      readonly step: number;
      readonly action: string;
      readonly detail: string;
      /** The documented spec/impl difference this divergence is an instance of (KNOWN_DIFFERENCES), if any. */
      readonly known: KnownDifference | undefined;
      readonly impl: readonly NodeProjection[];
      readonly spec: readonly NodeProjection[];
      readonly report: string;
    }
  | { readonly verdict: 'invalid'; readonly step: number; readonly error: string };

/** The core's committedLog covers the whole history: spec/zab syncs from the txn log as well (txnlog sync). */
export const REPLAY_COMMITTED_LOG_COUNT_MAX = 1_000_000;

type ZabModel = Model<ZabCluster, ZabAction>;

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

/** The in-process core's reading of leadsInDiscovery. */
const coreLeadsInDiscovery = (world: MemoryWorld) => (id: number) => {
  const p = world.peer(id);
  return p?.role === 'LEADING' && p.phase === 'DISCOVERY';
};

/** The implementation cannot take the step as the spec does (thrown by a replay's perform, reported with the step). */
export class Divergence {
  constructor(
    readonly kind: DivergenceKind,
    readonly detail: string,
  ) {}
}

export function replayTrace(trace: Trace, options: ReplayOptions = {}): ReplayVerdict {
  const meta = trace['#meta'];
  const judge = options.judge ?? 'trace';
  if (meta.spec !== 'zab') return { verdict: 'invalid', step: 0, error: `the peer replay is for spec zab, the trace is for ${meta.spec}` };
  let model: ZabModel;
  try {
    model = zabSpec.build(meta.bounds, judge === 'trace' ? (meta.mutant ?? undefined) : undefined) as ZabModel;
  } catch (error) {
    return { verdict: 'invalid', step: 0, error: `bounds: ${(error as Error).message}` };
  }
  let spec = model.init()[0]!;
  const expected0 = judge === 'trace' ? trace.states[0]![NODES] : projectZab(spec);
  if (canonical(projectZab(spec) as ItfValue) !== canonical(trace.states[0]![NODES] as ItfValue)) {
    return { verdict: 'invalid', step: 0, error: 'the spec\u2019s initial state does not project to state 0 of the trace' };
  }
  const config: PeerConfig = { voters: spec.config.voters, committedLogCountMax: REPLAY_COMMITTED_LOG_COUNT_MAX, ...(options.bugs !== undefined && options.bugs.size > 0 ? { bugs: options.bugs } : {}) };
  const world = new MemoryWorld(config, spec.servers.map(serverFromSpec), options.step !== undefined ? { step: options.step } : {});
  const reproduce = options.reproduce ?? 'conformance/replay: replayTrace(trace)';
  const abstracted: Record<string, number> = {};

  const first = compare(0, 'init', world, expected0, spec, spec, reproduce);
  if (first !== undefined) return first;
  for (let i = 1; i < trace.states.length; i++) {
    const label = trace.states[i]![ACTION_TAKEN];
    const action = model.actions(spec).find((a) => model.formatAction(a) === label);
    const next = action === undefined ? undefined : model.next(spec, action);
    if (action === undefined || next === undefined) {
      if (judge === 'correct-spec') return { verdict: 'conforms', steps: i - 1, abstracted, scheduleLeftSpecAt: { step: i, action: label } };
      return { verdict: 'invalid', step: i, error: `${label} is not an action of the spec${meta.mutant === null ? '' : ` (mutant ${meta.mutant})`} here` };
    }
    if (judge === 'trace' && canonical(projectZab(next) as ItfValue) !== canonical(trace.states[i]![NODES] as ItfValue)) {
      return { verdict: 'invalid', step: i, error: `after ${label} the spec's projection is not the trace's` };
    }
    try {
      const kind = perform(world, spec, action, next);
      if (kind !== undefined) abstracted[kind] = (abstracted[kind] ?? 0) + 1;
      if (options.discoveryTimeout === true) {
        for (const id of discoveryLeadersGivingUp(coreLeadsInDiscovery(world), spec, next)) {
          world.endRun(id);
          abstracted[INIT_LIMIT_NOW] = (abstracted[INIT_LIMIT_NOW] ?? 0) + 1;
        }
      }
    } catch (error) {
      if (!(error instanceof Divergence)) throw error;
      const known = knownDifference(error.kind, coreLeadsInDiscovery(world), spec, next);
      return divergence(error.kind, i, label, error.detail, projectWorld(world), judge === 'trace' ? trace.states[i]![NODES] : projectZab(next), reproduce, known);
    }
    const mismatch = compare(i, label, world, judge === 'trace' ? trace.states[i]![NODES] : projectZab(next), spec, next, reproduce);
    spec = next;
    if (mismatch !== undefined) return mismatch;
  }
  return { verdict: 'conforms', steps: trace.states.length - 1, abstracted };
}

function serverFromSpec(s: ZabCluster['servers'][number]): WorldServer {
  const disk = { acceptedEpoch: s.disk.acceptedEpoch, currentEpoch: s.disk.currentEpoch, log: s.disk.log.map(peerTxn), snapshotCount: s.disk.lastSnapshot };
  const node = s.node;
  if (node === null) return { slot: { status: 'down' }, disk, pending: [], applied: { count: 0, zxid: 0n } };
  if (node.state !== 'LOOKING' || s.pending.length > 0) throw new Error('replay: a trace must start with every server LOOKING or down and nothing queued');
  const history = node.history.map(peerTxn);
  return {
    slot: { status: 'looking', memory: { acceptedEpoch: node.acceptedEpoch, currentEpoch: node.currentEpoch, history, lastCommitted: node.lastCommitted } },
    disk,
    pending: [],
    applied: { count: node.lastCommitted, zxid: zxidAt(history, node.lastCommitted) },
  };
}

/** Ends a replay's step with a Divergence of this kind. */
export const fail = (kind: DivergenceKind, detail: string): never => {
  throw new Divergence(kind, detail);
};

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

function compare(step: number, action: string, world: MemoryWorld, expected: readonly NodeProjection[], before: ZabCluster, spec: ZabCluster, reproduce: string): ReplayVerdict | undefined {
  const impl = projectWorld(world);
  if (canonical(impl as unknown as ItfValue) !== canonical(expected as unknown as ItfValue)) {
    const detail = "the impl's projection differs from the spec's";
    return divergence('diverging-state', step, action, detail, impl, expected, reproduce, knownDifference('diverging-state', coreLeadsInDiscovery(world), before, spec));
  }
  // Channels: every message the core sent must be the spec's, in order.
  const n = spec.servers.length;
  for (let from = 0; from < n; from++) {
    for (let to = 0; to < n; to++) {
      if (from === to) continue;
      const mine = world.messages(from, to).map(peerMessageKey);
      const theirs = spec.channels[from * n + to]!.map(specMessageKey);
      if (mine.join(' | ') === theirs.join(' | ')) continue;
      const isPrefix = mine.length < theirs.length && mine.every((m, k) => m === theirs[k]);
      const detail = `channel s${from} -> s${to}: impl [${mine.join(', ')}], spec [${theirs.join(', ')}]`;
      const kind = isPrefix ? 'missing-action' : 'unexpected-action';
      return divergence(kind, step, action, detail, impl, expected, reproduce, knownDifference(kind, coreLeadsInDiscovery(world), before, spec));
    }
  }
  return undefined;
}

/** A divergence verdict, its report naming the known difference it is an instance of, if any. */
export function divergence(
  kind: DivergenceKind,
  step: number,
  action: string,
  detail: string,
  impl: readonly NodeProjection[],
  spec: readonly NodeProjection[],
  reproduce: string,
  known: KnownDifference | undefined,
): ReplayVerdict {
  const report = formatDivergence(kind, step, action, detail, impl, spec, reproduce);
  return { verdict: kind, step, action, detail, known, impl, spec, report: known === undefined ? report : `${report}\nknown difference ${known}: ${KNOWN_DIFFERENCES[known]}` };
}

/** The verdict as text: the step, what differs, both projections side by side, and the command that reproduces it. */
export function formatDivergence(kind: DivergenceKind, step: number, action: string, detail: string, impl: readonly NodeProjection[], spec: readonly NodeProjection[], reproduce: string): string {
  const rows: string[][] = [['node', 'field', 'impl', 'spec', '']];
  spec.forEach((node, n) => {
    const mine = impl[n] ?? {};
    for (const field of new Set([...Object.keys(node), ...Object.keys(mine)])) {
      const a = canonical(mine[field]);
      const b = canonical(node[field]);
      if (a !== b || field === 'state') rows.push([`s${n}`, field, a, b, a !== b ? '<-- differs' : '']);
    }
  });
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  return [
    `${kind} at step ${step} (${action}): ${detail}`,
    ...rows.map((row) => `  ${row.map((cell, col) => cell.padEnd(widths[col]!)).join('  ')}`.trimEnd()),
    `reproduce: ${reproduce}`,
  ].join('\n');
}
