// What `npm run conformance -- replay --spec raft` runs: spec/raft's traces
// from three sources, each replayed in process against impl/raft's core
// (raft-replay.ts), with the command that reproduces each one alone.
//
// - scenarios: every known-bug scenario (conformance/scenarios/raft/*.json),
//   judged by the correct spec on the scenario's schedule;
// - coverage: the coverage-directed traces of each preset (generate.ts);
// - walks: seeded walks under an eager scheduler: after each random action
//   the walk takes, as trace steps, the actions the core takes at once (the
//   rest of a message's handling, a candidate's vote for itself,
//   BecomeLeader, AdvanceCommitIndex, AnswerRead; raft-replay.ts's closure),
//   so that most of a walk is a schedule the core can follow. Plain random
//   walks of raft.tla mostly interleave inside those split steps within a
//   few actions (measured: a fifth of their steps replayed).

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { assert } from '../../lib/assert.ts';
import { Random } from '../../lib/random.ts';
import type { Model } from '../../model-check/model.ts';
import type { RaftAction } from '../../spec/raft/actions.ts';
import { formatMessage } from '../../spec/raft/format.ts';
import { raftOptions, raftSpec } from '../../spec/raft/spec.ts';
import type { RaftCluster } from '../../spec/raft/world.ts';
import { RAFT_BUGS, type RaftBug } from '../../impl/raft/types.ts';
import { raftAdapter } from '../adapters/raft.ts';
import { generateCoverage, presetBounds, successor, traceOf } from '../generate.ts';
import type { Trace } from '../trace.ts';
import { eagerStep, type RaftJudge, type RaftReplayVerdict, replayRaftTrace } from './raft-replay.ts';
import { readTraceFile } from './suite.ts';

/** Scenarios whose spec start is a scripted state with a leader (the preset deposed-leader), which no core can start in. */
export const NOT_REPLAYABLE: readonly string[] = ['stale-read'];

export const RAFT_REPLAY_PRESETS = ['ci', 'restarts', 'elections'] as const;
const SOURCES = ['scenarios', 'coverage', 'walks'] as const;
type Source = (typeof SOURCES)[number] | 'files';

export interface RaftSuiteResult {
  readonly source: Source;
  readonly name: string;
  readonly verdict: RaftReplayVerdict;
  readonly reproduce: string;
  /** The trace's length in actions. */
  readonly steps: number;
}

type RaftModel = Model<RaftCluster, RaftAction>;

/** The copies of a message in flight. */
function copies(c: RaftCluster, key: string): number {
  let n = 0;
  for (const item of c.messages) if (formatMessage(item.message) === key) n += item.count;
  return n;
}

/**
 * Seeded walks under the eager scheduler (see the header). Their bounds are
 * the preset's with two more messages in flight allowed (a candidate's vote
 * for itself is two messages to itself), recorded in each trace.
 */
export function eagerWalks(preset: string, walks: number, seed: number, depthMax: number): Trace[] {
  const base = presetBounds(raftAdapter, preset);
  const bounds: Record<string, number | boolean> = { ...base };
  if (typeof base.maxMessages === 'number' && base.maxMessages > 0) bounds.maxMessages = base.maxMessages + 2;
  const model = raftSpec.build(bounds, undefined) as RaftModel;
  const options = raftOptions(bounds, undefined);
  const traces: Trace[] = [];
  for (let w = 0; w < walks; w++) {
    const random = new Random(seed + w);
    const init = model.init()[0]!;
    const actions: RaftAction[] = [];
    const given = new Map<string, number>();
    let state = init;
    const take = (action: RaftAction, next: RaftCluster) => {
      if (action.type === 'Receive' || action.type === 'DropMessage') {
        const key = formatMessage(action.m);
        if (action.type === 'Receive' && copies(next, key) >= copies(state, key)) given.set(key, 1);
        else given.delete(key);
      }
      actions.push(action);
      state = next;
    };
    while (actions.length < depthMax) {
      const eager = eagerStep(state, options, given, (t) => model.withinBoundary(t));
      if (eager !== undefined) {
        take(eager.action, eager.state);
        continue;
      }
      const enabled = model.actions(state).filter((a) => successor(model, state, a) !== undefined);
      if (enabled.length === 0) break;
      const action = enabled[random.nextInt(enabled.length)]!;
      take(action, model.next(state, action)!);
    }
    const meta = { source: 'spec' as const, spec: 'raft', preset, bounds, mutant: null, seed: seed + w, description: `eager walk, seed ${seed + w}` };
    traces.push(traceOf(raftAdapter, model, meta, init, actions));
  }
  return traces;
}

export interface RaftSuiteOptions {
  readonly sources: readonly (typeof SOURCES)[number][];
  readonly presets: readonly string[];
  readonly count: number;
  readonly seed: number;
  readonly depthMax: number;
  readonly statesMax: number;
  readonly bugs: ReadonlySet<RaftBug>;
  readonly files?: readonly string[];
  readonly judge?: RaftJudge;
}

export function runRaftSuite(options: RaftSuiteOptions): RaftSuiteResult[] {
  const bugFlag = options.bugs.size > 0 ? ` --bugs ${[...options.bugs].join(',')}` : '';
  const out: RaftSuiteResult[] = [];
  const run = (source: Source, name: string, trace: Trace, judge: RaftJudge, reproduce: string) =>
    out.push({ source, name, reproduce, steps: trace.states.length - 1, verdict: replayRaftTrace(trace, { bugs: options.bugs, judge, reproduce }) });
  if (options.files !== undefined) {
    const judge = options.judge ?? 'trace';
    for (const file of options.files) run('files', file, readTraceFile(file), judge, `npm run conformance -- replay --spec raft --trace ${file} --judge ${judge}${bugFlag}`);
    return out;
  }
  if (options.sources.includes('scenarios')) {
    for (const mutant of raftAdapter.spec.mutants.map((m) => m.name)) {
      const file = `conformance/scenarios/raft/${mutant}.json`;
      const path = fileURLToPath(new URL(`../scenarios/raft/${mutant}.json`, import.meta.url));
      // A scenario from a scripted start with a leader (stale-read's deposed-leader) cannot be replayed: a core starts from its storage, as a follower.
      if (NOT_REPLAYABLE.includes(mutant)) continue;
      run('scenarios', mutant, readTraceFile(path), 'correct-spec', `npm run conformance -- replay --spec raft --trace ${file} --judge correct-spec${bugFlag}`);
    }
  }
  for (const preset of options.presets) {
    if (options.sources.includes('coverage')) {
      generateCoverage(raftAdapter, preset, { statesMax: options.statesMax }).traces.forEach((trace, k) =>
        run('coverage', `coverage-${preset}-${k}`, trace, 'trace', `npm run conformance -- replay --spec raft --sources coverage --preset ${preset} --states-max ${options.statesMax}${bugFlag}  (trace ${k})`),
      );
    }
    if (options.sources.includes('walks') && options.count > 0) {
      for (const trace of eagerWalks(preset, options.count, options.seed, options.depthMax)) {
        const seed = trace['#meta'].seed!;
        run('walks', `walk-${preset}-seed${seed}`, trace, 'trace', `npm run conformance -- replay --spec raft --sources walks --preset ${preset} --count 1 --seed ${seed} --depth ${options.depthMax}${bugFlag}`);
      }
    }
  }
  return out;
}

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

function int(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0) throw new RaftUsageError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

export class RaftUsageError extends Error {}

function parseRaftBugs(value: string | undefined): Set<RaftBug> {
  const bugs = new Set<RaftBug>();
  for (const name of (value ?? '').split(',').filter((b) => b !== '')) {
    if (!(RAFT_BUGS as readonly string[]).includes(name)) throw new RaftUsageError(`--bugs: unknown Raft bug ${name} (have: ${RAFT_BUGS.join(', ')})`);
    bugs.add(name as RaftBug);
  }
  return bugs;
}

/** `replay --spec raft ...`: the suite, a summary per source, each divergence's report; exit 1 on any divergence. */
export function replayRaftCli(args: readonly string[], io: Io): number {
  const { values } = parseArgs({
    args: [...args],
    allowPositionals: false,
    options: {
      spec: { type: 'string' },
      count: { type: 'string' },
      seed: { type: 'string' },
      depth: { type: 'string' },
      preset: { type: 'string', multiple: true },
      'states-max': { type: 'string' },
      sources: { type: 'string' },
      trace: { type: 'string', multiple: true },
      judge: { type: 'string' },
      bugs: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  assert(values.spec === 'raft', 'replayRaftCli is for --spec raft');
  const sources = (values.sources ?? SOURCES.join(',')).split(',').filter((x) => x !== '');
  for (const s of sources) if (!(SOURCES as readonly string[]).includes(s)) throw new RaftUsageError(`--sources: unknown source ${s} (have: ${SOURCES.join(', ')})`);
  const presets = values.preset ?? [...RAFT_REPLAY_PRESETS];
  for (const p of presets) if (!raftSpec.presets.some((q) => q.name === p)) throw new RaftUsageError(`raft has no preset ${p}`);
  const judge = values.judge ?? 'trace';
  if (judge !== 'trace' && judge !== 'correct-spec') throw new RaftUsageError(`--judge must be trace or correct-spec, got ${judge}`);
  const bugs = parseRaftBugs(values.bugs);
  const startMs = performance.now();
  const results = runRaftSuite({
    sources: sources as (typeof SOURCES)[number][],
    presets,
    count: int(values.count, 'count', 50),
    seed: int(values.seed, 'seed', 1),
    depthMax: int(values.depth, 'depth', 60),
    statesMax: int(values['states-max'], 'states-max', 20_000),
    bugs,
    judge,
    ...(values.trace !== undefined ? { files: values.trace } : {}),
  });
  reportRaft(results, bugs, Math.round(performance.now() - startMs), io);
  if (values.json === true) io.out(JSON.stringify(results.map((r) => ({ source: r.source, name: r.name, verdict: r.verdict.verdict, ...('step' in r.verdict ? { step: r.verdict.step } : {}) }))));
  const failed = results.filter((r) => r.verdict.verdict !== 'conforms');
  io.out(failed.length === 0 ? 'every trace conforms' : `${failed.length} of ${results.length} traces diverge`);
  return failed.length === 0 ? 0 : 1;
}

function reportRaft(results: readonly RaftSuiteResult[], bugs: ReadonlySet<RaftBug>, elapsedMs: number, io: Io): void {
  io.out(`replayed ${results.length} spec/raft traces against impl/raft${bugs.size > 0 ? ` built with ${[...bugs].join(', ')}` : ''} in ${elapsedMs} ms`);
  const rows = new Map<string, Map<string, number>>();
  let replayed = 0;
  let total = 0;
  for (const r of results) {
    const v = r.verdict;
    const key = v.verdict !== 'conforms' ? v.verdict : v.scheduleLeftCoreAt !== undefined ? 'conforms until the schedule leaves the core' : v.scheduleLeftSpecAt !== undefined ? 'conforms until the schedule leaves the correct spec' : 'conforms';
    const row = rows.get(r.source) ?? new Map<string, number>();
    row.set(key, (row.get(key) ?? 0) + 1);
    rows.set(r.source, row);
    if (v.verdict === 'conforms') replayed += v.steps;
    total += r.steps;
  }
  for (const [source, row] of rows) io.out(`  ${source}: ${[...row].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  io.out(`  ${replayed} of ${total} trace steps replayed`);
  let shown = 0;
  for (const r of results) {
    const v = r.verdict;
    if (v.verdict === 'conforms') {
      if (r.source === 'scenarios') {
        const left = v.scheduleLeftCoreAt ?? v.scheduleLeftSpecAt;
        io.out(`  ${r.name}: conforms for ${v.steps} steps${left === undefined ? '' : `; at step ${left.step} (${left.action}) the schedule leaves ${v.scheduleLeftCoreAt !== undefined ? `the core (known difference atomic-step; ${v.scheduleLeftCoreAt.detail})` : 'the correct spec'}`}`);
      }
      continue;
    }
    if (v.verdict === 'invalid') io.out(`${r.name}: invalid at step ${v.step}: ${v.error}`);
    else if (shown++ < 5) io.out(`${r.name}:\n${v.report}`);
    else io.out(`${r.name}: ${v.verdict} at step ${v.step} (${v.action}); reproduce: ${r.reproduce}`);
  }
}
