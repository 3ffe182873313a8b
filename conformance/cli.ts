// The conformance command line (`npm run conformance -- ...`, i.e.
// `npx tsx conformance/cli.ts ...`):
//
//   generate <spec> [--preset P ...] [--states-max N] [--walks N --seed S [--depth D]] [--out DIR]
//       coverage-directed traces per preset (default: every preset named ci*), the coverage
//       report, and seeded random walks; files go to DIR (default traces/conformance/<spec>).
//   validate <file> [--hidden K] [--mutant M] [--json]
//       judge a recorded trace against the spec (the correct one unless --mutant).
//   scenarios [<spec>] [--check]
//       write each mutant's counterexample to conformance/scenarios/<spec>/<mutant>.json,
//       or with --check only compare (stale files: exit 1).
//   replay [--spec zab|raft] [--count N] [--seed S] [--depth D] [--preset P ...] [--states-max N]
//          [--sources scenarios,coverage,walks] [--trace FILE ... [--judge trace|correct-spec]]
//          [--bugs B,...] [--allow-known] [--strict-discovery] [--json]
//       replay a spec's traces in process against its core (conformance/replay/command.ts: one
//       command over each protocol's target, ZAB's the default); any divergence exits 1 (the
//       documented known differences too, unless --allow-known).
//   replay --processes [--count N] ... (spec zab; conformance/replay/processes.ts's options)
//       the same replay against real member processes in test-control mode (impl/ensemble/control/).
//   record [--count N] [--seed S] [--eras E] [--steps N] [--bugs ZOOKEEPER-3911,...] [--hidden K] [--out DIR]
//       run impl/quorum/peer's seeded simulation with its recorder and validate each recording
//       against spec/zab (any rejection exits 1); --out writes the recordings.
//
// Exit codes: 0 success (generated; accepted; scenarios current), 1 a verdict
// against the trace (rejected, undecided) or stale scenarios, 2 bad usage or
// an unreadable / invalid trace file. `main(argv, io)` is exported for tests.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type { AnyAdapter } from './adapter.ts';
import { adapters, findAdapter } from './adapters/index.ts';
import { type Coverage, generateCoverage, mutantScenario, randomWalks, unionCoverage } from './generate.ts';
import { parseTrace, serializeTrace } from './trace.ts';
import { int, UsageError } from './usage.ts';
import { validateTrace } from './validate.ts';
import { VALIDATE_RECORDING_USAGE, validateRecordingCommand } from './recordings/command.ts';
import { PEER_BUGS, type PeerBug } from '../impl/quorum/peer/types.ts';
import { REPLAY_USAGE, replayCommand } from './replay/command.ts';
import { explainRejection, recordSimulation, validateRecording } from './replay/record.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

const processIo: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };

export const USAGE = [
  'usage: conformance generate <spec> [--preset P ...] [--states-max N] [--walks N --seed S [--depth D]] [--out DIR]',
  '       conformance validate <file> [--hidden K] [--mutant M] [--json]',
  '       conformance scenarios [<spec>] [--check]',
  REPLAY_USAGE,
  '       conformance record [--count N] [--seed S] [--eras E] [--steps N] [--bugs ZOOKEEPER-3911,...] [--hidden K] [--out DIR]',
  VALIDATE_RECORDING_USAGE,
].join('\n');

export const SCENARIOS_DIR = new URL('./scenarios/', import.meta.url);

/** The path of a mutant's scenario file. */
export function scenarioPath(spec: string, mutant: string): URL {
  return new URL(`${spec}/${mutant}.json`, SCENARIOS_DIR);
}

function adapterFor(name: string | undefined): AnyAdapter {
  if (name === undefined) throw new UsageError('missing <spec>');
  const adapter = findAdapter(name);
  if (adapter === undefined) throw new UsageError(`no conformance adapter for spec ${name} (have: ${adapters.map((a) => a.spec.name).join(', ')})`);
  return adapter;
}

export function formatCoverage(coverage: Coverage): string {
  const { actionKinds: k, branches: b } = coverage;
  return [
    `action kinds: ${k.covered.length}/${k.covered.length + k.uncovered.length} covered${k.uncovered.length > 0 ? `; uncovered: ${k.uncovered.join(', ')}` : ''}`,
    `branch keys:  ${b.covered.length}/${b.covered.length + b.uncovered.length} covered${b.uncovered.length > 0 ? `; uncovered: ${b.uncovered.join(', ')}` : ''}`,
  ].join('\n');
}

function generate(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      preset: { type: 'string', multiple: true },
      'states-max': { type: 'string' },
      walks: { type: 'string' },
      seed: { type: 'string' },
      depth: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const adapter = adapterFor(positionals[0]);
  const presets = values.preset ?? adapter.spec.presets.filter((p) => p.name.startsWith('ci')).map((p) => p.name);
  for (const p of presets) if (!adapter.spec.presets.some((q) => q.name === p)) throw new UsageError(`${adapter.spec.name} has no preset ${p}`);
  const statesMax = int(values['states-max'], 'states-max', 200_000);
  const walks = int(values.walks, 'walks', 0);
  const seed = int(values.seed, 'seed', 1);
  const depthMax = int(values.depth, 'depth', 60);
  const out = values.out ?? join('traces', 'conformance', adapter.spec.name);
  mkdirSync(out, { recursive: true });
  const coverages: Coverage[] = [];
  let files = 0;
  for (const preset of presets) {
    const startMs = performance.now();
    const result = generateCoverage(adapter, preset, { statesMax });
    coverages.push(result.coverage);
    result.traces.forEach((trace, k) => {
      writeFileSync(join(out, `coverage-${preset}-${k}.json`), serializeTrace(trace));
      files++;
    });
    io.out(
      `${preset}: ${result.distinctStates} states${result.complete ? ' (exhaustive)' : ` (cut at --states-max ${statesMax})`}, ${result.traces.length} traces of ${result.traces.map((t) => t.states.length - 1).join(', ')} actions, ${Math.round(performance.now() - startMs)} ms`,
    );
    io.out(formatCoverage(result.coverage).replace(/^/gm, '  '));
    if (walks > 0) {
      for (const trace of randomWalks(adapter, preset, { walks, seed, depthMax })) {
        writeFileSync(join(out, `walk-${preset}-seed${trace['#meta'].seed}.json`), serializeTrace(trace));
        files++;
      }
      io.out(`  ${walks} random walks, seeds ${seed}..${seed + walks - 1}, up to ${depthMax} actions`);
    }
  }
  if (presets.length > 1) io.out(`all presets together:\n${formatCoverage(unionCoverage(adapter, coverages)).replace(/^/gm, '  ')}`);
  io.out(`${files} trace files in ${out}`);
  return 0;
}

function validate(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { hidden: { type: 'string' }, mutant: { type: 'string' }, json: { type: 'boolean' } } });
  const file = positionals[0];
  if (file === undefined) throw new UsageError('missing <file>');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    io.err(`cannot read ${file}: ${(error as Error).message}`);
    return 2;
  }
  const parsed = parseTrace(text);
  if (!parsed.ok) {
    io.err(`${file}: ${parsed.error}`);
    return 2;
  }
  const adapter = findAdapter(parsed.trace['#meta'].spec);
  if (adapter === undefined) {
    io.err(`${file}: no conformance adapter for spec ${parsed.trace['#meta'].spec}`);
    return 2;
  }
  const verdict = validateTrace(adapter, parsed.trace, { hiddenStepsMax: int(values.hidden, 'hidden', 2), mutant: values.mutant });
  switch (verdict.verdict) {
    case 'accepted':
      io.out(`accepted: ${verdict.steps} recorded steps, ${verdict.hiddenSteps} hidden spec steps supplied`);
      break;
    case 'rejected':
      io.out(verdict.report);
      break;
    case 'undecided':
      io.out(`undecided at step ${verdict.step}: ${verdict.reason}`);
      break;
    case 'invalid':
      io.err(`${file}: ${verdict.error}`);
      break;
  }
  if (values.json === true) io.out(JSON.stringify(verdict.verdict === 'rejected' ? { ...verdict, report: undefined } : verdict));
  return verdict.verdict === 'accepted' ? 0 : verdict.verdict === 'invalid' ? 2 : 1;
}

function scenarios(args: string[], io: Io): number {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { check: { type: 'boolean' } } });
  const chosen = positionals[0] === undefined ? adapters : [adapterFor(positionals[0])];
  let stale = 0;
  for (const adapter of chosen) {
    for (const mutant of adapter.spec.mutants.map((m) => m.name)) {
      const { trace, property, depth } = mutantScenario(adapter, mutant);
      const text = serializeTrace(trace);
      const path = scenarioPath(adapter.spec.name, mutant);
      const current = existsSync(path) && readFileSync(path, 'utf8') === text;
      if (values.check === true) {
        if (!current) stale++;
        io.out(`${adapter.spec.name}/${mutant}.json: ${current ? 'current' : 'STALE (run: conformance scenarios)'}`);
      } else {
        mkdirSync(new URL('.', path), { recursive: true });
        writeFileSync(path, text);
        io.out(`${adapter.spec.name}/${mutant}.json: ${property} after ${depth} actions`);
      }
    }
  }
  return stale > 0 ? 1 : 0;
}

function parseBugs(value: string | undefined): Set<PeerBug> {
  const bugs = new Set<PeerBug>();
  for (const name of (value ?? '').split(',').filter((b) => b !== '')) {
    if (!(PEER_BUGS as readonly string[]).includes(name)) throw new UsageError(`--bugs: unknown bug ${name} (have: ${PEER_BUGS.join(', ')})`);
    bugs.add(name as PeerBug);
  }
  return bugs;
}

function record(args: string[], io: Io): number {
  const { values } = parseArgs({
    args,
    allowPositionals: false,
    options: {
      count: { type: 'string' },
      seed: { type: 'string' },
      eras: { type: 'string' },
      steps: { type: 'string' },
      bugs: { type: 'string' },
      hidden: { type: 'string' },
      out: { type: 'string' },
    },
  });
  const bugs = parseBugs(values.bugs);
  const count = int(values.count, 'count', 20);
  const seed = int(values.seed, 'seed', 1);
  const eras = int(values.eras, 'eras', 3);
  const stepsPerEra = int(values.steps, 'steps', 300);
  const hidden = int(values.hidden, 'hidden', 0);
  if (values.out !== undefined) mkdirSync(values.out, { recursive: true });
  const startMs = performance.now();
  let accepted = 0;
  let known = 0;
  let steps = 0;
  for (let s = seed; s < seed + count; s++) {
    const recording = recordSimulation({ seed: s, eras, stepsPerEra, bugs });
    steps += recording.trace.states.length - 1;
    if (values.out !== undefined) writeFileSync(join(values.out, `recording-seed${s}.json`), serializeTrace(recording.trace));
    const verdict = validateRecording(recording.trace, hidden);
    const again = `npm run conformance -- record --seed ${s} --count 1 --eras ${eras} --steps ${stepsPerEra}${bugs.size > 0 ? ` --bugs ${[...bugs].join(',')}` : ''}`;
    if (verdict.verdict === 'accepted') accepted++;
    else if (verdict.verdict === 'rejected') {
      const explained = explainRejection(recording.trace, verdict);
      if (explained !== undefined) known++;
      io.out(`seed ${s}: ${explained !== undefined ? `rejected at step ${verdict.step} (${verdict.action}), known difference ${explained}` : verdict.report}\nreproduce: ${again}`);
    } else io.out(`seed ${s}: ${verdict.verdict} ${JSON.stringify(verdict)}\nreproduce: ${again}`);
    if (recording.violations.length > 0) io.out(`seed ${s}: the simulation's own checks: ${recording.violations[0]}`);
  }
  io.out(
    `${count} recordings of impl/quorum/peer's simulation${bugs.size > 0 ? ` built with ${[...bugs].join(', ')}` : ''} (${eras} eras of ${stepsPerEra} steps, ${steps} recorded steps), validated with K = ${hidden}: ${accepted} accepted, ${count - accepted} rejected${known > 0 ? ` (${known} by known differences)` : ''}, ${Math.round(performance.now() - startMs)} ms`,
  );
  return accepted === count ? 0 : 1;
}

export function main(argv: readonly string[], io: Io = processIo): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'generate':
        return generate(rest, io);
      case 'validate':
        return validate(rest, io);
      case 'scenarios':
        return scenarios(rest, io);
      case 'replay':
        return replayCommand(rest, io);
      case 'record':
        return record(rest, io);
      case 'validate-recording':
        return validateRecordingCommand(rest, io);
      default:
        io.err(USAGE);
        return 2;
    }
  } catch (error) {
    // parseArgs reports unknown options and missing values with a TypeError carrying an ERR_PARSE_ARGS code.
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true) {
      io.err(`${(error as Error).message}\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = main(process.argv.slice(2));
