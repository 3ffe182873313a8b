// Replay of spec/zab traces against real ensemble members: N processes of
// impl/main.ts in test-control mode (impl/ensemble/control/README.md) on
// loopback TCP with real data directories. The harness owns every quorum-port
// link (a PacketLink per ordered pair parses the stream into packets and
// forwards one only when the trace delivers it), tells members when to lead
// or follow (spec/zab's oracle election), when their log reaches the disk
// (DiskSync), SIGKILLs and restarts them, and sends client writes through the
// real client port. spec/zab runs alongside in lockstep, as in the in-process
// replay (replay.ts), and after every step each member's projection (the
// control port's `prj`) and every link's queue must come to equal the spec's
// within a bounded wait.
//
// | spec action                        | at process level                                                   |
// | ---------------------------------- | ------------------------------------------------------------------ |
// | ElectLeader(l, Q)                  | `lead` to l, `follow l` to the rest of Q (each dials l's link)     |
// | FollowLeader(s, l)                 | `follow l` to s                                                    |
// | Deliver(from, to, M)               | the head of the link's queue must be M; forwarded                  |
// | LeaderProcessRequest(s)            | a client connects to s's client port: one createSession txn        |
// | DiskSync(s)                        | `sync`: the held appends are written and fsynced, then LogSynced   |
// | Timeout(s), s a learner            | the harness breaks s's connection to its leader                    |
// | Timeout(s), s the leader           | `end` (counted as abstracted, as in process: no core event)        |
// | NodeCrash(s) / NodeStart(s)        | SIGKILL / the process again on the same data directory             |
// | PartitionStart / PartitionRecover  | both links of the pair break and refuse / accept again             |
//
// Values: a spec txn's value is its client request number. Every ZooKeeper
// write needs a session, whose creation is itself a txn, so the spec's request
// is the session creation, and its value travels in the negotiated session
// timeout (VALUE_BASE_MS + value, within the members' min/max session
// timeouts); the txns of the initial logs the harness writes are createSession
// txns of the same shape, so every txn in the system maps back to a value.
//
// Abstracted (reported): Fast Leader Election (traces with FLE actions are
// refused: `invalid`), a SNAP's content (compared by zxid only: the snapshot
// is a serialised tree, not a txn list).
//
// Verdicts are replay.ts's (`formatDivergence`), with the command that
// reproduces the replay alone.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { assertNever } from '../../lib/assert.ts';
import type { Model } from '../../model-check/model.ts';
import type { ZabAction } from '../../spec/zab/actions.ts';
import { zabSpec } from '../../spec/zab/spec.ts';
import type { ZabCluster } from '../../spec/zab/world.ts';
import { PEER_BUGS, type PeerBug, type PeerMessage, type PeerTxn } from '../../impl/quorum/peer/types.ts';
import { fromQuorumPacket } from '../../impl/quorum/peer/packet.ts';
import { ControlledEnsemble, CONTROL_TIMERS } from '../../impl/ensemble/control/controlled-ensemble.ts';
import type { ControlExtra, ControlProjection } from '../../impl/ensemble/control/projection.ts';
import type { QuorumItem } from '../../impl/ensemble/quorum-connection.ts';
import { RawClient } from '../../impl/server/raw-client.ts';
import { Storage } from '../../impl/storage/storage.ts';
import { DataTree } from '../../impl/tree/data-tree.ts';
import { serializeTree } from '../../impl/tree/snapshot.ts';
import { decodeTxn, encodeTxn } from '../../impl/tree/txn.ts';
import { projectZab, zabAdapter } from '../adapters/zab.ts';
import { generateCoverage, randomWalks } from '../generate.ts';
import { ACTION_TAKEN, canonical, itfInteger, NODES, parseTrace, type ItfValue, type NodeProjection, type Trace } from '../trace.ts';
import { peerMessageKey, peerZxid, specMessageKey } from './mapping.ts';
import { discoveryLeadersGivingUp, divergence, knownDifference, type DivergenceKind, type Judge, type ReplayVerdict } from './replay.ts';
import { scenarioFile } from './suite.ts';

/** A value v travels as a session timeout of VALUE_BASE_MS + v ms. */
export const VALUE_BASE_MS = CONTROL_TIMERS.minSessionTimeoutMs;
export const VALUE_MAX = CONTROL_TIMERS.maxSessionTimeoutMs - VALUE_BASE_MS;

export interface ProcessReplayOptions {
  readonly bugs?: ReadonlySet<PeerBug>;
  readonly judge?: Judge;
  readonly reproduce?: string;
  /** How long a step may take to show its effect (default 3000 ms); a divergence costs this much. */
  readonly stepTimeoutMs?: number;
  /** Keep the members' directories (their logs, data) after the replay; printed with the verdict. */
  readonly keepData?: boolean;
  /**
   * replay.ts's option of the same name: where spec/zab's leader in DISCOVERY gives up at once on losing its
   * quorum of learners, the harness fires that member's initLimit timer (`end`) at the same step (abstracted).
   */
  readonly discoveryTimeout?: boolean;
}

const INIT_LIMIT_NOW = 'initLimit of a leader in DISCOVERY expiring at once (`end`)';

export type ProcessReplayVerdict = ReplayVerdict & { readonly elapsedMs: number; readonly baseDir?: string };

type ZabModel = Model<ZabCluster, ZabAction>;

/** The ZooKeeper txn that carries value `value` at `zxid`: a createSession with timeout VALUE_BASE_MS + value. */
export function valueTxnBytes(zxid: bigint, value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > VALUE_MAX) throw new Error(`value ${value} does not fit a session timeout (0..${VALUE_MAX})`);
  return encodeTxn({ sessionId: 0x7e57_0000_0000n + BigInt(value), cxid: 0, zxid, time: 0n, body: { type: 'createSession', timeOut: VALUE_BASE_MS + value } });
}

/** The value a logged ZooKeeper txn carries (valueTxnBytes's inverse), or -1. */
export function valueOfTxnBytes(data: Uint8Array): number {
  const txn = decodeTxn(data);
  if (!txn.ok || txn.value.body.type !== 'createSession') return -1;
  return txn.value.body.timeOut - VALUE_BASE_MS;
}

function valueData(value: number): Uint8Array {
  const data = new Uint8Array(4);
  new DataView(data.buffer).setUint32(0, value >>> 0);
  return data;
}

/** A txn as the in-process replay writes it (its value as 4 bytes), so mapping.ts's message keys apply. */
function asValueTxn(t: PeerTxn): PeerTxn {
  return { zxid: t.zxid, data: valueData(valueOfTxnBytes(t.data)) };
}

/** A packet from a link as a message key comparable with specKey's. */
export function itemKey(item: QuorumItem): string {
  if (item.kind === 'snapshot') return `SNAP(${item.packet.zxid.toString()})`;
  const message = fromQuorumPacket(item.packet);
  if (!message.ok) return `UNPARSED(type ${item.packet.type}: ${message.error})`;
  const m: PeerMessage = message.value;
  if (m.type === 'PROPOSAL' || m.type === 'INFORM') return peerMessageKey({ ...m, txn: asValueTxn(m.txn) });
  return peerMessageKey(m);
}

/** A spec message's key, with a SNAP's content abstracted to its zxid (see the header). */
function specKey(m: ZabCluster['channels'][number][number]): string {
  const key = specMessageKey(m);
  return m.type === 'SNAP' ? key.replace(/;.*\)$/, ')') : key;
}

const messageType = (key: string) => key.replace(/\(.*$/, '');

class Divergence {
  constructor(
    readonly kind: DivergenceKind,
    readonly detail: string,
  ) {}
}

class Unsupported {
  constructor(readonly reason: string) {}
}

const fail = (kind: DivergenceKind, detail: string): never => {
  throw new Divergence(kind, detail);
};

interface Observation {
  readonly projections: NodeProjection[];
  readonly extras: (ControlExtra | undefined)[];
  /** Channel keys, index from * n + to. */
  readonly channels: string[][];
}

function nodeProjection(p: ControlProjection): NodeProjection {
  const z = (text: string) => itfInteger(BigInt(text));
  return {
    state: p.state,
    zabState: p.zabState,
    acceptedEpoch: p.acceptedEpoch,
    currentEpoch: p.currentEpoch,
    lastZxid: z(p.lastZxid),
    lastCommittedZxid: z(p.lastCommittedZxid),
    loggedZxid: z(p.loggedZxid),
    leader: p.leader,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The members and their links, seen as spec/zab's servers and channels. */
class ProcessWorld {
  readonly n: number;
  private readonly clients: RawClient[] = [];

  constructor(readonly ensemble: ControlledEnsemble) {
    this.n = ensemble.members.length;
  }

  /** Where channel from -> to's packets wait: `from` a learner of `to` (up), or `to` a learner of `from` (down). */
  private queues(from: number, to: number) {
    return [
      { link: this.ensemble.link(from, to), direction: 'up' as const },
      { link: this.ensemble.link(to, from), direction: 'down' as const },
    ];
  }

  channel(from: number, to: number): string[] {
    return this.queues(from, to).flatMap(({ link, direction }) => link.queue(direction).map(itemKey));
  }

  /** Forwards the head of channel from -> to if it is a `type` message; returns its key, or what is there instead. */
  deliver(from: number, to: number, type: string): { delivered: string } | { head: string | undefined } {
    let head: string | undefined;
    for (const { link, direction } of this.queues(from, to)) {
      const first = link.queue(direction)[0];
      if (first === undefined) continue;
      const key = itemKey(first);
      if (messageType(key) === type) {
        link.deliver(direction);
        return { delivered: key };
      }
      head ??= key;
    }
    return { head };
  }

  async observe(): Promise<Observation> {
    const answers = await Promise.all(
      this.ensemble.members.map(async (m) => (this.ensemble.isRunning(m.index) ? await this.ensemble.projection(m.index) : undefined)),
    );
    const channels: string[][] = [];
    for (let from = 0; from < this.n; from++) for (let to = 0; to < this.n; to++) channels.push(from === to ? [] : this.channel(from, to));
    return {
      projections: answers.map((a) => (a === undefined ? { state: 'DOWN' } : nodeProjection(a.projection))),
      extras: answers.map((a) => a?.extra),
      channels,
    };
  }

  /** A client connects to `index`'s client port: the leader logs and proposes a createSession carrying `value`. */
  async clientWrite(index: number, value: number): Promise<void> {
    const client = await RawClient.open(this.ensemble.member(index).clientPort);
    this.clients.push(client);
    // The answer comes once the txn commits, which may be never in this trace.
    client.handshake({ timeOut: VALUE_BASE_MS + value }).catch(() => {});
  }

  close(): void {
    for (const c of this.clients) c.socket.destroy();
  }
}

/** Writes the spec's initial disk of every server into its data directory (createSession txns, a snapshot, the epochs). */
async function seedDisks(ensemble: ControlledEnsemble, spec: ZabCluster): Promise<void> {
  for (const [index, server] of spec.servers.entries()) {
    const opened = await Storage.open({ dataDir: ensemble.member(index).dataDir, snapCount: 1_000_000 });
    if (!opened.ok) throw new Error(`seeding s${index}: ${opened.error.message}`);
    const storage = opened.value.storage;
    try {
      const txns = server.disk.log.map((t) => ({ zxid: peerZxid(t.zxid), data: valueTxnBytes(peerZxid(t.zxid), t.value) }));
      for (const t of txns) {
        const appended = await storage.append(t.zxid, t.data);
        if (!appended.ok) throw new Error(`seeding s${index}: ${appended.error.message}`);
      }
      const flushed = await storage.flush();
      if (!flushed.ok) throw new Error(`seeding s${index}: ${flushed.error.message}`);
      if (server.disk.lastSnapshot > 0) {
        const tree = new DataTree();
        for (const t of txns.slice(0, server.disk.lastSnapshot)) {
          const txn = decodeTxn(t.data);
          if (!txn.ok) throw new Error(txn.error);
          tree.applyTxn(txn.value);
        }
        const written = await storage.writeSnapshot(tree.lastProcessedZxid, serializeTree(tree));
        if (!written.ok) throw new Error(`seeding s${index}'s snapshot: ${written.error.message}`);
      }
      for (const name of ['acceptedEpoch', 'currentEpoch'] as const) {
        const written = await storage.writeEpoch(name, BigInt(server.disk[name]));
        if (!written.ok) throw new Error(`seeding s${index}'s ${name}: ${written.error.message}`);
      }
    } finally {
      await storage.close();
    }
  }
}

const FLE_ACTIONS = new Set(['FLEReceiveNotmsg', 'FLENotmsgTimeout', 'FLEWaitNewNotmsg', 'DropNotification', 'ConnectAndFollowerSendFOLLOWERINFO']);

/** Replays one trace against real member processes; every process is killed before this returns. */
export async function replayTraceInProcesses(trace: Trace, options: ProcessReplayOptions = {}): Promise<ProcessReplayVerdict> {
  const startedAtMs = performance.now();
  const meta = trace['#meta'];
  const judge = options.judge ?? 'trace';
  const done = (v: ReplayVerdict, baseDir?: string): ProcessReplayVerdict => ({ ...v, elapsedMs: Math.round(performance.now() - startedAtMs), ...(baseDir === undefined ? {} : { baseDir }) });
  if (meta.spec !== 'zab') return done({ verdict: 'invalid', step: 0, error: `the process replay is for spec zab, the trace is for ${meta.spec}` });
  let model: ZabModel;
  try {
    model = zabSpec.build(meta.bounds, judge === 'trace' ? (meta.mutant ?? undefined) : undefined) as ZabModel;
  } catch (error) {
    return done({ verdict: 'invalid', step: 0, error: `bounds: ${(error as Error).message}` });
  }
  let spec = model.init()[0]!;
  if (canonical(projectZab(spec) as ItfValue) !== canonical(trace.states[0]![NODES] as ItfValue)) {
    return done({ verdict: 'invalid', step: 0, error: 'the spec\u2019s initial state does not project to state 0 of the trace' });
  }
  const fle = trace.states.find((s) => FLE_ACTIONS.has(s[ACTION_TAKEN].replace(/\(.*$/, '')));
  if (fle !== undefined) return done({ verdict: 'invalid', step: fle['#meta'].index, error: `${fle[ACTION_TAKEN]}: Fast Leader Election is not replayed at process level (test-control mode uses the oracle election)` });
  if (spec.servers.some((s) => s.node !== null && (s.node.state !== 'LOOKING' || s.pending.length > 0))) {
    return done({ verdict: 'invalid', step: 0, error: 'a trace must start with every server LOOKING or down and nothing queued' });
  }

  const reproduce = options.reproduce ?? 'conformance/replay/processes.ts: replayTraceInProcesses(trace)';
  const stepTimeoutMs = options.stepTimeoutMs ?? 3000;
  const ensemble = await ControlledEnsemble.create({ voters: spec.config.voters, observers: spec.servers.length - spec.config.voters, ...(options.bugs === undefined ? {} : { bugs: options.bugs }) });
  const world = new ProcessWorld(ensemble);
  const abstracted: Record<string, number> = {};
  let verdict: ReplayVerdict | undefined;
  try {
    await seedDisks(ensemble, spec);
    await Promise.all(spec.servers.map((s, index) => (s.node === null ? undefined : ensemble.spawn(index))));
    const expected0 = judge === 'trace' ? trace.states[0]![NODES] : projectZab(spec);
    verdict = await settle(world, 0, 'init', expected0, spec, spec, stepTimeoutMs, reproduce);
    for (let i = 1; verdict === undefined && i < trace.states.length; i++) {
      const label = trace.states[i]![ACTION_TAKEN];
      const action = model.actions(spec).find((a) => model.formatAction(a) === label);
      const next = action === undefined ? undefined : model.next(spec, action);
      if (action === undefined || next === undefined) {
        verdict =
          judge === 'correct-spec'
            ? { verdict: 'conforms', steps: i - 1, abstracted, scheduleLeftSpecAt: { step: i, action: label } }
            : { verdict: 'invalid', step: i, error: `${label} is not an action of the spec${meta.mutant === null ? '' : ` (mutant ${meta.mutant})`} here` };
        break;
      }
      if (judge === 'trace' && canonical(projectZab(next) as ItfValue) !== canonical(trace.states[i]![NODES] as ItfValue)) {
        verdict = { verdict: 'invalid', step: i, error: `after ${label} the spec's projection is not the trace's` };
        break;
      }
      const expected = judge === 'trace' ? trace.states[i]![NODES] : projectZab(next);
      try {
        const kind = await perform(world, spec, action, next, stepTimeoutMs);
        if (kind !== undefined) abstracted[kind] = (abstracted[kind] ?? 0) + 1;
        if (options.discoveryTimeout === true) {
          const seen = await world.observe();
          for (const id of discoveryLeadersGivingUp(memberLeadsInDiscovery(seen.projections), spec, next)) {
            await ensemble.command(id, 'end');
            abstracted[INIT_LIMIT_NOW] = (abstracted[INIT_LIMIT_NOW] ?? 0) + 1;
          }
        }
      } catch (error) {
        if (error instanceof Unsupported) {
          verdict = { verdict: 'invalid', step: i, error: `${label}: ${error.reason}` };
          break;
        }
        if (!(error instanceof Divergence)) throw error;
        const seen = await world.observe();
        verdict = divergence(error.kind, i, label, error.detail, seen.projections, expected, reproduce, knownDifference(error.kind, memberLeadsInDiscovery(seen.projections), spec, next));
        break;
      }
      verdict = await settle(world, i, label, expected, spec, next, stepTimeoutMs, reproduce);
      spec = next;
    }
    verdict ??= { verdict: 'conforms', steps: trace.states.length - 1, abstracted };
  } catch (error) {
    const logs = ensemble.members.map((m) => `--- s${m.index} (${m.logPath}):\n${ensemble.logTail(m.index, 1500)}`).join('\n');
    verdict = { verdict: 'invalid', step: -1, error: `harness failure: ${error instanceof Error ? error.message : String(error)}\n${logs}` };
  } finally {
    world.close();
    const keep = options.keepData === true;
    await ensemble.stopAll({ keepData: keep });
  }
  return done(verdict, options.keepData === true ? ensemble.baseDir : undefined);
}


/** A member process's reading of replay.ts's leadsInDiscovery: its projection says it leads in DISCOVERY. */
const memberLeadsInDiscovery = (impl: readonly NodeProjection[]) => (id: number) => impl[id]!['state'] === 'LEADING' && impl[id]!['zabState'] === 'DISCOVERY';

/**
 * A member's log and delivered prefix as `zxid=value` strings, and the spec's,
 * each without what a snapshot stand-in covers (its txns are not listed on
 * the impl side: a SNAP carries a tree); undefined when they agree.
 */
export function historyDifference(extra: Pick<ControlExtra, 'history' | 'committed'>, node: NonNullable<ZabCluster['servers'][number]['node']>): string | undefined {
  const impl = extra.history.map(([zxid, data]) => ({ zxid: BigInt(zxid), value: data === '' ? undefined : valueOfTxnBytes(Buffer.from(data, 'base64')) }));
  const covered = impl.reduce((z, t) => (t.value === undefined && t.zxid > z ? t.zxid : z), 0n);
  const show = (ts: readonly { zxid: bigint; value: number | undefined }[]) => ts.filter((t) => t.zxid > covered).map((t) => `${t.zxid}=${t.value}`);
  const spec = node.history.map((t) => ({ zxid: peerZxid(t.zxid), value: t.value as number | undefined }));
  const mine = show(impl).join(' ');
  const theirs = show(spec).join(' ');
  const mineCommitted = show(impl.slice(0, extra.committed)).join(' ');
  const theirsCommitted = show(spec.slice(0, node.lastCommitted)).join(' ');
  if (mine === theirs && mineCommitted === theirsCommitted) return undefined;
  const after = covered > 0n ? ` (after the snapshot at ${covered})` : '';
  return `log${after}: impl [${mine}], spec [${theirs}]; delivered: impl [${mineCommitted}], spec [${theirsCommitted}]`;
}

/** What differs between an observation and the spec's state after a step; undefined when nothing does. */
function difference(seen: Observation, expected: readonly NodeProjection[], spec: ZabCluster): { kind: DivergenceKind; detail: string } | undefined {
  if (canonical(seen.projections as unknown as ItfValue) !== canonical(expected as unknown as ItfValue)) {
    return { kind: 'diverging-state', detail: "the members' projections differ from the spec's" };
  }
  // The values: each member's log and delivered prefix, mapped back from its txns (see the header).
  for (const [id, server] of spec.servers.entries()) {
    const extra = seen.extras[id];
    if (extra === undefined || server.node === null) continue;
    const differs = historyDifference(extra, server.node);
    if (differs !== undefined) return { kind: 'diverging-state', detail: `s${id} ${differs}` };
  }
  const n = spec.servers.length;
  for (let from = 0; from < n; from++) {
    for (let to = 0; to < n; to++) {
      if (from === to) continue;
      const mine = seen.channels[from * n + to]!;
      const theirs = spec.channels[from * n + to]!.map(specKey);
      if (mine.join(' | ') === theirs.join(' | ')) continue;
      const isPrefix = mine.length < theirs.length && mine.every((m, k) => m === theirs[k]);
      return { kind: isPrefix ? 'missing-action' : 'unexpected-action', detail: `link s${from} -> s${to}: impl [${mine.join(', ')}], spec [${theirs.join(', ')}]` };
    }
  }
  return undefined;
}

/** Waits (bounded) until the members and links show the spec's state after a step; a divergence if they do not. */
async function settle(
  world: ProcessWorld,
  step: number,
  action: string,
  expected: readonly NodeProjection[],
  before: ZabCluster,
  spec: ZabCluster,
  timeoutMs: number,
  reproduce: string,
): Promise<ReplayVerdict | undefined> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await world.observe();
    const differs = difference(seen, expected, spec);
    if (differs === undefined) return undefined;
    if (performance.now() > deadline) {
      const known = knownDifference(differs.kind, memberLeadsInDiscovery(seen.projections), before, spec);
      return divergence(differs.kind, step, action, `${differs.detail} (after ${timeoutMs} ms)`, seen.projections, expected, reproduce, known);
    }
    await sleep(3);
  }
}

/** Polls until `ok` holds of an observation (bounded); returns the last observation and whether it held. */
async function waitFor(world: ProcessWorld, timeoutMs: number, ok: (seen: Observation) => boolean): Promise<{ seen: Observation; held: boolean }> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const seen = await world.observe();
    if (ok(seen)) return { seen, held: true };
    if (performance.now() > deadline) return { seen, held: false };
    await sleep(3);
  }
}

/** Carries out one spec action on the processes; returns the abstraction's kind when the members take no step of their own. */
async function perform(world: ProcessWorld, before: ZabCluster, action: ZabAction, after: ZabCluster, timeoutMs: number): Promise<string | undefined> {
  const ensemble = world.ensemble;
  const sid = (index: number) => ensemble.member(index).sid;
  /** A role run starts only on a LOOKING member whose last run has finished ending. */
  const needLooking = async (id: number, why: string) => {
    const { seen, held } = await waitFor(world, timeoutMs, (o) => o.projections[id]!['state'] === 'LOOKING' && o.extras[id]?.running === false);
    if (!held) fail('missing-action', `${why}: server ${id} is ${String(seen.projections[id]!['state'])}${seen.extras[id]?.running === true ? ' (its run has not ended)' : ''}, not LOOKING`);
  };
  switch (action.type) {
    case 'ElectLeader': {
      await Promise.all(action.quorum.map((m) => needLooking(m, `ElectLeader(s${action.leader})`)));
      await ensemble.command(action.leader, 'lead');
      // Learners dial once the leader runs (a refused dial is retried, but costs a back-off).
      await waitFor(world, timeoutMs, (o) => o.projections[action.leader]!['state'] === 'LEADING');
      await Promise.all(action.quorum.filter((m) => m !== action.leader).map((m) => ensemble.command(m, `follow ${sid(action.leader)}`)));
      return undefined;
    }
    case 'FollowLeader': {
      await needLooking(action.server, `FollowLeader(s${action.server}, s${action.leader})`);
      await ensemble.command(action.server, `follow ${sid(action.leader)}`);
      return undefined;
    }
    case 'ConnectAndFollowerSendFOLLOWERINFO':
      throw new Unsupported('a learner decided by Fast Leader Election connects on its own in test-control mode');
    case 'Deliver': {
      const learnerBefore = action.message === 'NEWLEADER' ? await world.observe() : undefined;
      const result = world.deliver(action.from, action.to, action.message);
      if ('head' in result) {
        fail(
          'missing-action',
          result.head === undefined
            ? `the spec delivers ${action.message} from s${action.from} to s${action.to}; that link is empty`
            : `the spec delivers ${action.message} from s${action.from} to s${action.to}; the link's head is ${result.head}`,
        );
      }
      if (learnerBefore !== undefined) await completeNewLeaderFsync(world, before, action.to, action.from, after, learnerBefore, timeoutMs);
      return undefined;
    }
    case 'LeaderProcessRequest':
      await world.clientWrite(action.server, before.requests + 1);
      return undefined;
    case 'DiskSync': {
      const logged = before.servers[action.server]!.pending.flatMap((w) => (w.kind === 'log' ? w.txns : []));
      if (logged.length > 0) await ensemble.command(action.server, `sync ${peerZxid(logged[logged.length - 1]!.zxid).toString()}`);
      return undefined;
    }
    case 'Timeout': {
      const node = before.servers[action.server]!.node;
      if (node === null) return fail('missing-action', `Timeout: server ${action.server} is down`);
      if (node.state === 'LEADING') {
        await ensemble.command(action.server, 'end');
        return 'Timeout of a leader (`end`: the runner ends the run)';
      }
      const link = node.leader >= 0 && node.leader !== action.server ? ensemble.link(action.server, node.leader) : undefined;
      if (link?.isConnected === true) link.breakConnection();
      else await ensemble.command(action.server, 'end');
      return undefined;
    }
    case 'NodeCrash':
      await ensemble.kill(action.server);
      return undefined;
    case 'NodeStart':
      await ensemble.spawn(action.server);
      return undefined;
    case 'PartitionStart':
      ensemble.link(action.a, action.b).block();
      ensemble.link(action.b, action.a).block();
      return undefined;
    case 'PartitionRecover':
      ensemble.link(action.a, action.b).unblock();
      ensemble.link(action.b, action.a).unblock();
      return undefined;
    case 'FLEReceiveNotmsg':
    case 'FLENotmsgTimeout':
    case 'FLEWaitNewNotmsg':
    case 'DropNotification':
      throw new Unsupported('Fast Leader Election runs in the spec only');
    default:
      return assertNever(action, 'ZAB action');
  }
}

/**
 * replay.ts's split of the fixed FollowerProcessNEWLEADER, at process level:
 * once the learner has taken NEWLEADER (it waits for the fsync, or it acked,
 * or it left), and when the judging spec completed the fsync within the step,
 * check the crash point (the epoch files as before the step, nothing sent)
 * and then `sync` the learner.
 */
async function completeNewLeaderFsync(world: ProcessWorld, before: ZabCluster, learner: number, leader: number, after: ZabCluster, seenBefore: Observation, timeoutMs: number): Promise<void> {
  const n = before.servers.length;
  const sentBefore = seenBefore.channels[learner * n + leader]!;
  const { seen } = await waitFor(world, timeoutMs, (o) => {
    const extra = o.extras[learner];
    if (extra === undefined) return true;
    const moved = o.channels[learner * n + leader]!.length !== sentBefore.length || canonical(o.projections[learner]) !== canonical(seenBefore.projections[learner]);
    return extra.epochWrites === 0 && (extra.waitsForSync || moved);
  });
  const extra = seen.extras[learner];
  if (extra === undefined || !extra.waitsForSync) return;
  if (after.servers[learner]!.pending.length > 0) return;
  const specDisk = before.servers[learner]!.disk;
  if (extra.diskCurrentEpoch !== specDisk.currentEpoch || extra.diskAcceptedEpoch !== specDisk.acceptedEpoch) {
    fail(
      'diverging-state',
      `crash point inside NEWLEADER (before the fsync of the synced proposals completes): server ${learner} has currentEpoch ${extra.diskCurrentEpoch} on disk with the synced proposals not yet durable; the spec's step leaves currentEpoch ${specDisk.currentEpoch} until they are`,
    );
  }
  const sent = seen.channels[learner * n + leader]!;
  if (sent.length !== sentBefore.length) fail('unexpected-action', `crash point inside NEWLEADER: server ${learner} sent ${sent.slice(sentBefore.length).join(', ')} to s${leader} before the synced proposals are durable`);
  const log = after.servers[learner]!.disk.log;
  if (log.length > 0) await world.ensemble.command(learner, `sync ${peerZxid(log[log.length - 1]!.zxid).toString()}`);
}



// ---------------------------------------------------------------------------
// The suite and the command line (`npx tsx conformance/replay/processes.ts --processes ...`; conformance/cli.ts can
// delegate `replay --processes` to replayProcessesCli).

/** Presets whose traces use the oracle election (ci-fle's use Fast Leader Election, which is not replayed here). */
export const PROCESS_PRESETS = ['ci', 'ci-all-faults', 'ci-observer'] as const;

export interface ProcessSuiteOptions {
  /** Known-bug scenarios (conformance/scenarios/zab/), judged by the correct spec. */
  readonly scenarios: boolean;
  readonly presets: readonly string[];
  /** Seeded random walks per preset (seeds seed..seed+count-1). */
  readonly count: number;
  /** The coverage-directed traces of each preset (generate.ts), the model checker's BFS cut at statesMax. */
  readonly coverageStatesMax?: number;
  readonly seed: number;
  readonly depthMax: number;
  readonly bugs: ReadonlySet<PeerBug>;
  /** Trace files instead of the generated sources. */
  readonly files?: readonly string[];
  readonly judge?: Judge;
  readonly stepTimeoutMs?: number;
  readonly discoveryTimeout?: boolean;
  /** Called after each trace (progress). */
  readonly onResult?: (result: ProcessSuiteResult, done: number, total: number) => void;
}

export interface ProcessSuiteResult {
  readonly source: 'scenarios' | 'coverage' | 'walks' | 'files';
  readonly name: string;
  readonly verdict: ProcessReplayVerdict;
  readonly reproduce: string;
}

function readTraceFile(path: string): Trace {
  const parsed = parseTrace(readFileSync(path, 'utf8'));
  if (!parsed.ok) throw new Error(`${path}: ${parsed.error}`);
  return parsed.trace;
}

/** The traces a process suite replays, each with its judge and the command that reproduces it alone. */
export function processSuiteTraces(options: ProcessSuiteOptions): { source: ProcessSuiteResult['source']; name: string; trace: Trace; judge: Judge; reproduce: string }[] {
  const bugFlag = (options.bugs.size > 0 ? ` --bugs ${[...options.bugs].join(',')}` : '') + (options.discoveryTimeout === true ? '' : ' --strict-discovery');
  const out: ReturnType<typeof processSuiteTraces> = [];
  if (options.files !== undefined) {
    const judge = options.judge ?? 'trace';
    for (const file of options.files) out.push({ source: 'files', name: file, trace: readTraceFile(file), judge, reproduce: `npx tsx conformance/replay/processes.ts --processes --trace ${file} --judge ${judge}${bugFlag}` });
    return out;
  }
  if (options.scenarios) {
    for (const mutant of zabAdapter.spec.mutants.map((m) => m.name)) {
      const file = `conformance/scenarios/zab/${mutant}.json`;
      out.push({ source: 'scenarios', name: mutant, trace: readTraceFile(scenarioFile(mutant)), judge: 'correct-spec', reproduce: `npx tsx conformance/replay/processes.ts --processes --trace ${file} --judge correct-spec${bugFlag}` });
    }
  }
  if (options.coverageStatesMax !== undefined) {
    for (const preset of options.presets) {
      generateCoverage(zabAdapter, preset, { statesMax: options.coverageStatesMax }).traces.forEach((trace, k) =>
        out.push({ source: 'coverage', name: `coverage-${preset}-${k}`, trace, judge: 'trace', reproduce: `npx tsx conformance/replay/processes.ts --processes --no-scenarios --count 0 --coverage --preset ${preset} --states-max ${options.coverageStatesMax}${bugFlag}  (trace ${k})` }),
      );
    }
  }
  if (options.count > 0) {
    for (const preset of options.presets) {
      for (const trace of randomWalks(zabAdapter, preset, { walks: options.count, seed: options.seed, depthMax: options.depthMax })) {
        const seed = trace['#meta'].seed!;
        out.push({ source: 'walks', name: `walk-${preset}-seed${seed}`, trace, judge: 'trace', reproduce: `npx tsx conformance/replay/processes.ts --processes --no-scenarios --preset ${preset} --count 1 --seed ${seed} --depth ${options.depthMax}${bugFlag}` });
      }
    }
  }
  return out;
}

/** Replays the suite's traces one after another (each starts and kills its own members). */
export async function runProcessSuite(options: ProcessSuiteOptions): Promise<ProcessSuiteResult[]> {
  const traces = processSuiteTraces(options);
  const results: ProcessSuiteResult[] = [];
  for (const t of traces) {
    const verdict = await replayTraceInProcesses(t.trace, {
      bugs: options.bugs,
      judge: t.judge,
      reproduce: t.reproduce,
      discoveryTimeout: options.discoveryTimeout === true,
      ...(options.stepTimeoutMs === undefined ? {} : { stepTimeoutMs: options.stepTimeoutMs }),
    });
    const result = { source: t.source, name: t.name, verdict, reproduce: t.reproduce };
    results.push(result);
    options.onResult?.(result, results.length, traces.length);
  }
  return results;
}

export interface ProcessCliIo {
  out(text: string): void;
  err(text: string): void;
}

const processesOptions = {
  processes: { type: 'boolean' },
  count: { type: 'string' },
  seed: { type: 'string' },
  depth: { type: 'string' },
  preset: { type: 'string', multiple: true },
  trace: { type: 'string', multiple: true },
  judge: { type: 'string' },
  bugs: { type: 'string' },
  'no-scenarios': { type: 'boolean' },
  'allow-known': { type: 'boolean' },
  'strict-discovery': { type: 'boolean' },
  // The default since the in-process replay made it one; still accepted.
  'discovery-timeout': { type: 'boolean' },
  coverage: { type: 'boolean' },
  'states-max': { type: 'string' },
  'step-timeout': { type: 'string' },
  json: { type: 'boolean' },
  } as const;

function parseProcessesArgs(args: readonly string[]) {
  return parseArgs({ args: [...args], allowPositionals: false, options: processesOptions }).values;
}

/**
 * `replay --processes [--count N] [--seed S] [--depth D] [--preset P ...] [--trace FILE ... [--judge J]]
 * [--bugs B,...] [--no-scenarios] [--coverage [--states-max N]] [--allow-known] [--strict-discovery]
 * [--step-timeout MS] [--json]`: the process-level suite. A DISCOVERY leader's initLimit fires where
 * spec/zab gives up, as the in-process replay does by default, unless --strict-discovery. Exit 0 when
 * every trace conforms (or, with --allow-known, diverges only by a documented difference), 1 on any other
 * divergence or an invalid trace, 2 on bad usage.
 */
export async function processesCommand(args: readonly string[], io: ProcessCliIo): Promise<number> {
  let values: ReturnType<typeof parseProcessesArgs>;
  try {
    values = parseProcessesArgs(args);
  } catch (error) {
    io.err(`${(error as Error).message}\n${PROCESSES_USAGE}`);
    return 2;
  }
  const int = (text: string | undefined, name: string, fallback: number): number | undefined => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (Number.isSafeInteger(n) && n >= 0) return n;
    io.err(`--${name} must be a non-negative integer, got ${text}\n${PROCESSES_USAGE}`);
    return undefined;
  };
  const bugs = new Set<PeerBug>();
  for (const name of (values.bugs ?? '').split(',').filter((b) => b !== '')) {
    if (!(PEER_BUGS as readonly string[]).includes(name)) {
      io.err(`--bugs: unknown bug ${name} (have: ${PEER_BUGS.join(', ')})`);
      return 2;
    }
    bugs.add(name as PeerBug);
  }
  const presets = values.preset ?? [...PROCESS_PRESETS];
  for (const p of presets) {
    if (!zabAdapter.spec.presets.some((q) => q.name === p)) {
      io.err(`zab has no preset ${p}`);
      return 2;
    }
  }
  const judge = values.judge ?? 'trace';
  if (judge !== 'trace' && judge !== 'correct-spec') {
    io.err(`--judge must be trace or correct-spec, got ${judge}`);
    return 2;
  }
  const count = int(values.count, 'count', 10);
  const seed = int(values.seed, 'seed', 1);
  const depthMax = int(values.depth, 'depth', 40);
  const stepTimeoutMs = int(values['step-timeout'], 'step-timeout', 3000);
  const statesMax = int(values['states-max'], 'states-max', 20_000);
  if (count === undefined || seed === undefined || depthMax === undefined || stepTimeoutMs === undefined || statesMax === undefined) return 2;
  const startMs = performance.now();
  let results: ProcessSuiteResult[];
  try {
    results = await runProcessSuite({
      scenarios: values['no-scenarios'] !== true,
      presets,
      count,
      seed,
      depthMax,
      bugs,
      judge,
      stepTimeoutMs,
      discoveryTimeout: values['strict-discovery'] !== true,
      ...(values.coverage === true ? { coverageStatesMax: statesMax } : {}),
      ...(values.trace === undefined ? {} : { files: values.trace }),
      onResult: (r, done, total) => io.err(`[${done}/${total}] ${r.name}: ${r.verdict.verdict}${'step' in r.verdict ? ` at step ${r.verdict.step}` : ''} (${r.verdict.elapsedMs} ms)`),
    });
  } catch (error) {
    io.err((error as Error).message);
    return 2;
  }
  const elapsedMs = Math.round(performance.now() - startMs);
  const allowKnown = values['allow-known'] === true;
  const failed = results.filter((r) => r.verdict.verdict !== 'conforms' && !(allowKnown && r.verdict.verdict !== 'invalid' && r.verdict.known !== undefined));
  const steps = results.reduce((sum, r) => sum + (r.verdict.verdict === 'conforms' ? r.verdict.steps : 0), 0);
  io.out(`replayed ${results.length} traces against ensemble member processes (impl/main.ts in test-control mode)${bugs.size > 0 ? ` built with ${[...bugs].join(', ')}` : ''} in ${elapsedMs} ms; ${steps} steps in conforming traces`);
  const counts = new Map<string, number>();
  for (const r of results) {
    const v = r.verdict;
    const key = `${r.source} ${v.verdict}${v.verdict !== 'conforms' && v.verdict !== 'invalid' && v.known !== undefined ? ` (known: ${v.known})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  for (const [key, n] of counts) io.out(`  ${key}: ${n}`);
  for (const r of results) {
    const v = r.verdict;
    if (v.verdict === 'conforms') {
      if (v.scheduleLeftSpecAt !== undefined) io.out(`  ${r.name}: the correct spec leaves the schedule at step ${v.scheduleLeftSpecAt.step} (${v.scheduleLeftSpecAt.action}); replayed up to there`);
      continue;
    }
    if (v.verdict === 'invalid') io.out(`${r.name}: invalid at step ${v.step}: ${v.error}\nreproduce: ${r.reproduce}`);
    else io.out(`${r.name}:\n${v.report}`);
  }
  if (values.json === true) io.out(JSON.stringify(results.map((r) => ({ source: r.source, name: r.name, verdict: r.verdict.verdict, elapsedMs: r.verdict.elapsedMs, ...('step' in r.verdict ? { step: r.verdict.step } : {}) }))));
  io.out(failed.length === 0 ? 'every trace conforms' : `${failed.length} of ${results.length} traces diverge`);
  return failed.length === 0 ? 0 : 1;
}

export const PROCESSES_USAGE =
  'usage: conformance replay --processes [--count N] [--seed S] [--depth D] [--preset P ...] [--trace FILE ... [--judge trace|correct-spec]] [--bugs B,...] [--no-scenarios] [--coverage [--states-max N]] [--allow-known] [--strict-discovery] [--step-timeout MS] [--json]';

/**
 * For conformance/cli.ts, whose commands are synchronous: runs the command in
 * a child process (this file as the entry point) and waits for it; progress
 * goes to stderr as it happens, the summary through `io` at the end.
 */
export function replayProcessesCli(args: readonly string[], io: ProcessCliIo): number {
  const child = spawnSync(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (child.stdout !== '') io.out(child.stdout.replace(/\n$/, ''));
  if (child.error !== undefined) {
    io.err(`replay --processes: ${child.error.message}`);
    return 2;
  }
  return child.status ?? 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void processesCommand(process.argv.slice(2), { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }).then((code) => {
    process.exitCode = code;
  });
}
