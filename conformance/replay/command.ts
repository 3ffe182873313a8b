// `npm run conformance -- replay [--spec zab|raft] ...`: one command for every
// protocol the replay knows (targets.ts), ZAB the default. One parser, one
// suite (suite.ts), one report; what differs between protocols is the
// target's: its bug flags, its presets and walks, its known differences, and
// whether its engine also runs as member processes (`--processes`, ZAB's only
// for now, run by processes.ts in a child; the options, of both modes, are
// options.ts's).
//
//   replay [--spec S] [--count N] [--seed S] [--depth D] [--preset P ...] [--states-max N]
//          [--sources scenarios,coverage,walks] [--trace FILE ... [--judge trace|correct-spec]]
//          [--bugs B,...] [--allow-known] [--strict-discovery (zab)] [--json]
//
// Exit 0 when every trace conforms (or, with --allow-known, diverges only by a
// documented difference), 1 on any other divergence or an invalid trace, 2 on
// bad usage or an unreadable trace file.

import { int, UsageError } from '../usage.ts';
import { misplaced, parseReplayOptions, type ReplayValues } from './options.ts';
import { SOURCES, runSuite, type SuiteOptions, type SuiteResult } from './suite.ts';
import type { AnyReplayTarget } from './target.ts';
import { findReplayProtocol, replayProtocols } from './targets.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const REPLAY_USAGE = [
  '       conformance replay [--spec zab|raft] [--count N] [--seed S] [--depth D] [--preset P ...] [--states-max N] [--sources scenarios,coverage,walks]',
  '                          [--trace FILE ... [--judge trace|correct-spec]] [--bugs B,...] [--allow-known] [--strict-discovery] [--json]',
  '       conformance replay --processes ... (spec zab: conformance/replay/processes.ts\u2019s options)',
].join('\n');

const REPORTS_MAX = 5;

/** The arguments without `--spec S`, for the process-level suite's child (it is ZAB's, and its reproduce lines name no spec). */
function withoutSpec(args: readonly string[]): string[] {
  const out: string[] = [];
  for (let k = 0; k < args.length; k++) {
    if (args[k] === '--spec') k++;
    else if (!args[k]!.startsWith('--spec=')) out.push(args[k]!);
  }
  return out;
}

export function replayCommand(args: readonly string[], io: Io): number {
  const values = parseReplayOptions(args);
  const spec = values.spec ?? replayProtocols[0]!.target.adapter.spec.name;
  const protocol = findReplayProtocol(spec);
  if (protocol === undefined) throw new UsageError(`--spec: replay knows ${replayProtocols.map((p) => p.target.adapter.spec.name).join(' and ')}, not ${spec}`);
  const wrong = misplaced(values);
  if (wrong !== undefined) throw new UsageError(wrong);
  if (values.processes === true) {
    if (protocol.processes === undefined) throw new UsageError(`--processes: only ${replayProtocols.filter((p) => p.processes !== undefined).map((p) => p.target.adapter.spec.name).join(', ')} replays against member processes; impl's ${spec} engine does not run as one yet (replay it in process: drop --processes)`);
    return protocol.processes(withoutSpec(args), io);
  }
  const target = protocol.target;
  for (const option of ['strict-discovery', 'discovery-timeout'] as const) {
    if (values[option] !== undefined && !target.ownOptions.includes(option)) throw new UsageError(`--${option} is not an option of ${spec}'s replay`);
  }
  const suite = suiteOptions(target, values);
  const startMs = performance.now();
  let results: SuiteResult[];
  try {
    results = runSuite(target, suite);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' || (error as Error).message.includes('not a conformance trace') || (error as Error).message.includes('not JSON')) {
      io.err((error as Error).message);
      return 2;
    }
    throw error;
  }
  const elapsedMs = Math.round(performance.now() - startMs);
  const allowKnown = values['allow-known'] === true;
  const failed = results.filter((r) => r.verdict.verdict !== 'conforms' && !(allowKnown && r.verdict.verdict !== 'invalid' && r.verdict.known !== undefined));
  reportSummary(target, results, suite.bugs, elapsedMs, io);
  reportDivergences(results, allowKnown, io);
  if (values.json === true) io.out(JSON.stringify(results.map((r) => ({ source: r.source, name: r.name, verdict: r.verdict.verdict, ...('step' in r.verdict ? { step: r.verdict.step } : {}), ...('known' in r.verdict ? { known: r.verdict.known } : {}) }))));
  io.out(failed.length === 0 ? 'every trace conforms' : `${failed.length} of ${results.length} traces diverge`);
  return failed.length === 0 ? 0 : 1;
}

/** The suite `values` ask of `target`; a UsageError names a source, preset, judge or bug that does not exist. */
function suiteOptions(target: AnyReplayTarget, values: ReplayValues): SuiteOptions {
  const spec = target.adapter.spec;
  const sources = (values.sources ?? SOURCES.join(',')).split(',').filter((x) => x !== '');
  for (const source of sources) if (!(SOURCES as readonly string[]).includes(source)) throw new UsageError(`--sources: unknown source ${source} (have: ${SOURCES.join(', ')})`);
  const presets = values.preset ?? [...target.presets];
  for (const p of presets) if (!spec.presets.some((q) => q.name === p)) throw new UsageError(`${spec.name} has no preset ${p}`);
  const judge = values.judge ?? 'trace';
  if (judge !== 'trace' && judge !== 'correct-spec') throw new UsageError(`--judge must be trace or correct-spec, got ${judge}`);
  const bugs = new Set<string>();
  for (const name of (values.bugs ?? '').split(',').filter((b) => b !== '')) {
    if (!target.bugs.includes(name)) throw new UsageError(`--bugs: ${target.implementation} has no bug flag ${name} (have: ${target.bugs.join(', ')})`);
    bugs.add(name);
  }
  return {
    sources: sources as (typeof SOURCES)[number][],
    presets,
    count: int(values.count, 'count', target.walksPerPreset),
    seed: int(values.seed, 'seed', 1),
    depthMax: int(values.depth, 'depth', 60),
    statesMax: int(values['states-max'], 'states-max', 20_000),
    bugs,
    judge,
    ...(values.trace !== undefined ? { files: values.trace } : {}),
    // ZAB's default: the runner expires a DISCOVERY leader's initLimit where spec/zab gives up at once.
    discoveryTimeout: target.ownOptions.includes('strict-discovery') && values['strict-discovery'] !== true,
  };
}

/** How a conforming replay ended: at the trace's end, or where the schedule left the core or the correct spec. */
function ending(r: SuiteResult): string {
  const v = r.verdict;
  if (v.verdict !== 'conforms') return v.verdict === 'invalid' || v.known === undefined ? v.verdict : `${v.verdict} (known: ${v.known})`;
  if (v.scheduleLeftCoreAt !== undefined) return 'conforms until the schedule leaves the core';
  if (v.scheduleLeftSpecAt !== undefined) return 'conforms until the schedule leaves the correct spec';
  return 'conforms';
}

/** The verdicts per source, the steps replayed, the abstracted steps by kind, and where each scenario's schedule ended. */
function reportSummary(target: AnyReplayTarget, results: readonly SuiteResult[], bugs: ReadonlySet<string>, elapsedMs: number, io: Io): void {
  io.out(`replayed ${results.length} spec/${target.adapter.spec.name} traces against ${target.implementation}${bugs.size > 0 ? ` built with ${[...bugs].join(', ')}` : ''} in ${elapsedMs} ms`);
  const rows = new Map<string, Map<string, number>>();
  for (const r of results) {
    const row = rows.get(r.source) ?? new Map<string, number>();
    row.set(ending(r), (row.get(ending(r)) ?? 0) + 1);
    rows.set(r.source, row);
  }
  for (const [source, row] of rows) io.out(`  ${source}: ${[...row].map(([k, n]) => `${n} ${k}`).join(', ')}`);
  const conforming = results.flatMap((r) => (r.verdict.verdict === 'conforms' ? [r.verdict] : []));
  io.out(`  ${conforming.reduce((n, v) => n + v.steps, 0)} of ${results.reduce((n, r) => n + r.steps, 0)} trace steps replayed`);
  const kinds = new Map<string, number>();
  for (const v of conforming) for (const [k, n] of Object.entries(v.abstracted)) kinds.set(k, (kinds.get(k) ?? 0) + n);
  if (kinds.size > 0) {
    const total = [...kinds.values()].reduce((a, b) => a + b, 0);
    const traces = conforming.filter((v) => Object.keys(v.abstracted).length > 0).length;
    io.out(`  ${traces} conforming traces took ${total} steps the core does not take one for one: ${[...kinds].map(([k, n]) => `${n} ${k}`).join('; ')}`);
  }
  for (const r of results) {
    const v = r.verdict;
    if (r.source !== 'scenarios' || v.verdict !== 'conforms') continue;
    const core = v.scheduleLeftCoreAt;
    const left = core ?? v.scheduleLeftSpecAt;
    const where = core !== undefined ? `the core (known difference ${core.known}; ${core.detail})` : 'the correct spec';
    io.out(`  ${r.name}: conforms for ${v.steps} steps${left === undefined ? '' : `; at step ${left.step} (${left.action}) the schedule leaves ${where}`}`);
  }
}

/** Every new divergence in full (up to REPORTS_MAX, then one line each); one full report per known difference, then a count. */
function reportDivergences(results: readonly SuiteResult[], allowKnown: boolean, io: Io): void {
  let shown = 0;
  const knownCounts = new Map<string, number>();
  for (const r of results) {
    const v = r.verdict;
    if (v.verdict === 'conforms') continue;
    if (v.verdict === 'invalid') {
      io.out(`${r.name}: invalid at step ${v.step}: ${v.error}`);
      continue;
    }
    if (v.known !== undefined) {
      const seen = knownCounts.get(v.known) ?? 0;
      knownCounts.set(v.known, seen + 1);
      if (seen === 0) io.out(`${r.name}:\n${v.report}`);
      continue;
    }
    if (shown++ < REPORTS_MAX) io.out(`${r.name}:\n${v.report}`);
    else io.out(`${r.name}: ${v.verdict} at step ${v.step} (${v.action}); reproduce: ${r.reproduce}`);
  }
  for (const [known, count] of knownCounts) io.out(`known difference ${known}: ${count} traces${allowKnown ? ' (allowed by --allow-known)' : ''}; --json lists them`);
}
