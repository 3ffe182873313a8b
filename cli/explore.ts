// `npm run explore -- <spec> [--preset P] [--<bound> V ...] [--mutant M] [--trace FILE] [--port N] [--traces DIR]`:
// a spec by hand, as stateright's Explorer. Serves a page on 127.0.0.1 (the
// address is printed) where a reviewer starts from Init, takes the enabled
// actions, goes back, sees every property at each state, and steps through a
// counterexample file re-executed through the model (cli/explorer/README.md).
// The spec, preset, bounds and mutant are chosen as for `npm run check`; with
// --trace they come from the trace file (a spec given too must be its spec).

import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { EXIT, tokenize, UsageError } from '../model-check/cli-options.ts';
import type { SpecDefinition } from '../model-check/model.ts';
import { BOUND_VALUE_MAX, type ModelConfig, resolveConfig } from './explorer/model-config.ts';
import { explorerServer, listen } from './explorer/server.ts';
import { parseTraceDocument } from './explorer/trace-replay.ts';
import { specs } from './specs.ts';

export const EXPLORE_USAGE =
  'usage: npm run explore -- <spec> [--preset NAME] [--<bound> VALUE ...] [--mutant NAME] [--trace FILE] [--port N (default 0: a free port)] [--traces DIR (default ./traces)]';

const OPTIONS = new Set(['preset', 'mutant', 'trace', 'port', 'traces', 'help']);

const portSchema = z.string().regex(/^\d+$/, '--port must be an integer').transform(Number).refine((n) => n <= 65_535, '--port must be at most 65535');

export interface ExploreArguments {
  readonly initial: ModelConfig;
  readonly trace?: unknown;
  readonly tracePath?: string;
  readonly port: number;
  readonly tracesDirectory: string;
}

const EXPLORE_SWITCHES: ReadonlySet<string> = new Set(['help']);

/** The command line's words (model-check's tokenizer): every option but --help takes a value. */
function tokens(argv: readonly string[]): { positionals: string[]; options: Map<string, string> } {
  const { positionals, options: given } = tokenize(argv, EXPLORE_SWITCHES);
  const options = new Map<string, string>();
  for (const [name, value] of given) {
    if (value === true && name !== 'help') throw new UsageError(`--${name} needs a value`);
    options.set(name, value === true ? 'true' : value);
  }
  return { positionals, options };
}

function boundValue(spec: SpecDefinition, name: string, text: string): number | boolean {
  const bound = spec.bounds.find((b) => b.name === name);
  if (bound === undefined) throw new UsageError(`unknown option --${name} for ${spec.name}; bounds: ${spec.bounds.map((b) => `--${b.name}`).join(', ')}`);
  if (typeof bound.default === 'boolean') {
    if (text !== 'true' && text !== 'false') throw new UsageError(`--${name} must be true or false`);
    return text === 'true';
  }
  if (!/^\d+$/.test(text) || Number(text) > BOUND_VALUE_MAX) throw new UsageError(`--${name} must be an integer from 0 to ${BOUND_VALUE_MAX} in the explorer`);
  return Number(text);
}

/** The command line, validated; a mistake is a UsageError. */
export function parseExploreArguments(argv: readonly string[], registry: readonly SpecDefinition[]): ExploreArguments | 'help' {
  const { positionals, options } = tokens(argv);
  if (options.has('help')) return 'help';
  if (positionals.length > 1) throw new UsageError(`one spec at a time, got: ${positionals.join(' ')}`);
  const tracePath = options.get('trace');
  let trace: unknown;
  let traceSpec: string | undefined;
  if (tracePath !== undefined) {
    try {
      trace = JSON.parse(readFileSync(tracePath, 'utf8'));
    } catch (error) {
      throw new UsageError(`--trace ${tracePath}: ${error instanceof Error ? error.message : String(error)}`);
    }
    // A file that is no trace at all is a mistake on the command line; one that leaves the spec is shown on the page, at the step where it does.
    const parsed = parseTraceDocument(trace);
    if (!parsed.ok) throw new UsageError(`--trace ${tracePath}: ${parsed.error}`);
    traceSpec = parsed.value.config.spec;
  }
  const specName = positionals[0] ?? traceSpec;
  if (specName === undefined) throw new UsageError(`which spec? registered: ${registry.map((s) => s.name).join(', ')}`);
  if (traceSpec !== undefined && traceSpec !== specName) throw new UsageError(`--trace ${tracePath} is a trace of ${traceSpec}, not of ${specName}`);
  const spec = registry.find((s) => s.name === specName);
  if (spec === undefined) throw new UsageError(`unknown spec '${specName}'; registered: ${registry.map((s) => s.name).join(', ')}`);
  const modelOptions = [...options.keys()].filter((name) => !OPTIONS.has(name) || name === 'preset' || name === 'mutant');
  if (tracePath !== undefined && modelOptions.length > 0) throw new UsageError(`--trace takes the preset, bounds and mutant from the file; drop ${modelOptions.map((o) => `--${o}`).join(', ')}`);
  const bounds: Record<string, number | boolean> = {};
  for (const [name, value] of options) if (!OPTIONS.has(name)) bounds[name] = boundValue(spec, name, value);
  const initial: ModelConfig = { spec: spec.name, ...(options.has('preset') ? { preset: options.get('preset')! } : {}), bounds, mutant: options.get('mutant') ?? null };
  const resolved = resolveConfig(initial, registry);
  if (!resolved.ok) throw new UsageError(resolved.error);
  const port = options.has('port') ? portSchema.safeParse(options.get('port')) : undefined;
  if (port !== undefined && !port.success) throw new UsageError(port.error.issues.map((issue) => issue.message).join('; '));
  return {
    initial,
    ...(tracePath === undefined ? {} : { trace, tracePath }),
    port: port?.data ?? 0,
    tracesDirectory: options.get('traces') ?? 'traces',
  };
}

/** Runs the explorer until interrupted; resolves to an exit code when it cannot start. */
export async function exploreMain(argv: readonly string[], registry: readonly SpecDefinition[] = specs): Promise<number | undefined> {
  let parsed: ExploreArguments | 'help';
  try {
    parsed = parseExploreArguments(argv, registry);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n${EXPLORE_USAGE}\n`);
    return EXIT.usage;
  }
  if (parsed === 'help') {
    process.stdout.write(`${EXPLORE_USAGE}\n`);
    return EXIT.ok;
  }
  const server = explorerServer({ registry, initial: parsed.initial, ...(parsed.trace === undefined ? {} : { trace: parsed.trace }), tracesDirectory: parsed.tracesDirectory });
  let address: string;
  try {
    address = await listen(server, parsed.port);
  } catch (error) {
    process.stderr.write(`cannot listen on 127.0.0.1:${parsed.port}: ${error instanceof Error ? error.message : String(error)}\n`);
    return EXIT.usage;
  }
  process.stdout.write(`explorer: ${address} (${parsed.initial.spec}${parsed.tracePath === undefined ? '' : `, trace ${parsed.tracePath}`}; Ctrl-C stops it)\n`);
  const stop = () => {
    server.close(() => process.exit(EXIT.ok));
    server.closeAllConnections();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return undefined;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void exploreMain(process.argv.slice(2)).then((code) => {
    if (code !== undefined) process.exitCode = code;
  });
}
