// Replay of spec/zab traces against real ensemble members: N processes of
// impl/main.ts in test-control mode (impl/ensemble/control/README.md) on
// loopback TCP with real data directories (process-world.ts). The harness owns
// every quorum-port link, tells members when to lead or follow (spec/zab's
// oracle election), when their log reaches the disk (DiskSync), SIGKILLs and
// restarts them, and sends client writes through the real client port
// (process-actions.ts: what each spec action is at process level). spec/zab
// runs alongside in lockstep, as in the in-process replay (replay.ts), and
// after every step each member's projection (the control port's `prj`) and
// every link's queue must come to equal the spec's within a bounded wait.
//
// Abstracted (reported): Fast Leader Election (traces with FLE actions are
// refused: `invalid`), a SNAP's content (compared by zxid only: the snapshot
// is a serialised tree, not a txn list).
//
// Verdicts are target.ts's (`divergence`, `formatDivergence`), with the command that
// reproduces the replay alone.

import type { Model } from '../../model-check/model.ts';
import type { ZabAction } from '../../spec/zab/actions.ts';
import { zabSpec } from '../../spec/zab/spec.ts';
import type { ZabCluster } from '../../spec/zab/world.ts';
import type { PeerBug } from '../../impl/quorum/peer/types.ts';
import { ControlledEnsemble } from '../../impl/ensemble/control/controlled-ensemble.ts';
import type { ControlExtra } from '../../impl/ensemble/control/projection.ts';
import { projectZab } from '../adapters/zab.ts';
import { ACTION_TAKEN, canonical, NODES, type ItfValue, type NodeProjection, type Trace } from '../trace.ts';
import { peerZxid } from './mapping.ts';
import { perform, Unsupported } from './process-actions.ts';
import { type Observation, ProcessWorld, seedDisks, sleep, specKey, valueOfTxnBytes } from './process-world.ts';
import { Divergence, divergence, type DivergenceKind, type Judge, type ReplayVerdict } from './target.ts';
import { described, discoveryLeadersGivingUp, knownDifference } from './zab-target.ts';

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

const FLE_ACTIONS = new Set(['FLEReceiveNotmsg', 'FLENotmsgTimeout', 'FLEWaitNewNotmsg', 'DropNotification', 'ConnectAndFollowerSendFOLLOWERINFO']);

/** One replay's fixed parts, passed between its steps. */
interface ProcessReplay {
  readonly world: ProcessWorld;
  readonly model: ZabModel;
  readonly trace: Trace;
  readonly judge: Judge;
  readonly reproduce: string;
  readonly stepTimeoutMs: number;
  readonly discoveryTimeout: boolean;
  /** Steps the members take no part in, by kind: the verdict's `abstracted`. */
  readonly abstracted: Record<string, number>;
}

/** Replays one trace against real member processes; every process is killed before this returns. */
export async function replayTraceInProcesses(trace: Trace, options: ProcessReplayOptions = {}): Promise<ProcessReplayVerdict> {
  const startedAtMs = performance.now();
  const judge = options.judge ?? 'trace';
  const done = (v: ReplayVerdict, baseDir?: string): ProcessReplayVerdict => ({ ...v, elapsedMs: Math.round(performance.now() - startedAtMs), ...(baseDir === undefined ? {} : { baseDir }) });
  const start = replayableStart(trace, judge);
  if ('verdict' in start) return done(start);
  const { model, spec } = start;
  const reproduce = options.reproduce ?? 'conformance/replay/process-replay.ts: replayTraceInProcesses(trace)';
  const stepTimeoutMs = options.stepTimeoutMs ?? 3000;
  const ensemble = await ControlledEnsemble.create({ voters: spec.config.voters, observers: spec.servers.length - spec.config.voters, ...(options.bugs === undefined ? {} : { bugs: options.bugs }) });
  const world = new ProcessWorld(ensemble);
  let verdict: ReplayVerdict;
  try {
    await seedDisks(ensemble, spec);
    await Promise.all(spec.servers.map((s, index) => (s.node === null ? undefined : ensemble.spawn(index))));
    verdict = await replaySteps({ world, model, trace, judge, reproduce, stepTimeoutMs, discoveryTimeout: options.discoveryTimeout === true, abstracted: {} }, spec);
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

/** The spec's model for the trace and its initial state, or why the trace cannot be replayed at process level. */
function replayableStart(trace: Trace, judge: Judge): { model: ZabModel; spec: ZabCluster } | Extract<ReplayVerdict, { verdict: 'invalid' }> {
  const meta = trace['#meta'];
  if (meta.spec !== 'zab') return { verdict: 'invalid', step: 0, error: `the process replay is for spec zab, the trace is for ${meta.spec}` };
  let model: ZabModel;
  try {
    model = zabSpec.build(meta.bounds, judge === 'trace' ? (meta.mutant ?? undefined) : undefined) as ZabModel;
  } catch (error) {
    return { verdict: 'invalid', step: 0, error: `bounds: ${(error as Error).message}` };
  }
  const spec = model.init()[0]!;
  if (canonical(projectZab(spec) as ItfValue) !== canonical(trace.states[0]![NODES] as ItfValue)) {
    return { verdict: 'invalid', step: 0, error: 'the spec\u2019s initial state does not project to state 0 of the trace' };
  }
  const fle = trace.states.find((s) => FLE_ACTIONS.has(s[ACTION_TAKEN].replace(/\(.*$/, '')));
  if (fle !== undefined) return { verdict: 'invalid', step: fle['#meta'].index, error: `${fle[ACTION_TAKEN]}: Fast Leader Election is not replayed at process level (test-control mode uses the oracle election)` };
  if (spec.servers.some((s) => s.node !== null && (s.node.state !== 'LOOKING' || s.pending.length > 0))) {
    return { verdict: 'invalid', step: 0, error: 'a trace must start with every server LOOKING or down and nothing queued' };
  }
  return { model, spec };
}

/** The trace's steps in lockstep with the spec, each settled before the next; the first divergence ends the replay. */
async function replaySteps(r: ProcessReplay, initial: ZabCluster): Promise<ReplayVerdict> {
  const { trace, model, judge } = r;
  const meta = trace['#meta'];
  let spec = initial;
  const expected0 = judge === 'trace' ? trace.states[0]![NODES] : projectZab(spec);
  let verdict = await settle(r.world, 0, 'init', expected0, spec, spec, r.stepTimeoutMs, r.reproduce);
  for (let i = 1; verdict === undefined && i < trace.states.length; i++) {
    const label = trace.states[i]![ACTION_TAKEN];
    const action = model.actions(spec).find((a) => model.formatAction(a) === label);
    const next = action === undefined ? undefined : model.next(spec, action);
    if (action === undefined || next === undefined) {
      return judge === 'correct-spec'
        ? { verdict: 'conforms', steps: i - 1, abstracted: r.abstracted, scheduleLeftSpecAt: { step: i, action: label } }
        : { verdict: 'invalid', step: i, error: `${label} is not an action of the spec${meta.mutant === null ? '' : ` (mutant ${meta.mutant})`} here` };
    }
    if (judge === 'trace' && canonical(projectZab(next) as ItfValue) !== canonical(trace.states[i]![NODES] as ItfValue)) {
      return { verdict: 'invalid', step: i, error: `after ${label} the spec's projection is not the trace's` };
    }
    const expected = judge === 'trace' ? trace.states[i]![NODES] : projectZab(next);
    verdict = (await performStep(r, i, label, spec, action, next, expected)) ?? (await settle(r.world, i, label, expected, spec, next, r.stepTimeoutMs, r.reproduce));
    spec = next;
  }
  return verdict ?? { verdict: 'conforms', steps: trace.states.length - 1, abstracted: r.abstracted };
}

/**
 * Carries out step i's action on the members and, with discoveryTimeout, fires
 * the initLimit of each DISCOVERY leader the spec's step made give up; the
 * verdict when the members cannot take the step, or the trace asks for what
 * is not replayed.
 */
async function performStep(r: ProcessReplay, i: number, label: string, spec: ZabCluster, action: ZabAction, next: ZabCluster, expected: readonly NodeProjection[]): Promise<ReplayVerdict | undefined> {
  try {
    const kind = await perform(r.world, spec, action, next, r.stepTimeoutMs);
    if (kind !== undefined) r.abstracted[kind] = (r.abstracted[kind] ?? 0) + 1;
    if (r.discoveryTimeout) {
      const seen = await r.world.observe();
      for (const id of discoveryLeadersGivingUp(memberLeadsInDiscovery(seen.projections), spec, next)) {
        await r.world.ensemble.command(id, 'end');
        r.abstracted[INIT_LIMIT_NOW] = (r.abstracted[INIT_LIMIT_NOW] ?? 0) + 1;
      }
    }
  } catch (error) {
    if (error instanceof Unsupported) return { verdict: 'invalid', step: i, error: `${label}: ${error.reason}` };
    if (!(error instanceof Divergence)) throw error;
    const seen = await r.world.observe();
    return divergence(error.kind, i, label, error.detail, seen.projections, expected, r.reproduce, described(knownDifference(error.kind, memberLeadsInDiscovery(seen.projections), spec, next)));
  }
  return undefined;
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
      return divergence(differs.kind, step, action, `${differs.detail} (after ${timeoutMs} ms)`, seen.projections, expected, reproduce, described(known));
    }
    await sleep(3);
  }
}
