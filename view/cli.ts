// `npm run view -- TRACE [--out F.html] [--svg F.svg] [--png F.png] [--verdict F | --validate [--hidden K]]`:
// the space-time diagram of any trace file this project writes (read-trace.ts
// lists them). Without an output option it writes TRACE's name with .html.
// Exit codes as the other commands': 0 written, 1 the PNG could not be made
// (the other outputs are written), 2 bad usage or a file that is not a trace.

import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { readTimeline } from './read-trace.ts';
import { diagramOf, writeOutputs } from './render.ts';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(`${text}\n`),
  err: (text) => process.stderr.write(`${text}\n`),
};

export const VIEW_USAGE = [
  'usage: npm run view -- TRACE [--out FILE.html] [--svg FILE.svg] [--png FILE.png] [--verdict FILE | --validate [--hidden K]]',
  '  TRACE      a checker counterexample (npm run check -- ... --trace-out F.json, or its .itf.json), a conformance trace,',
  '             a recording (validate-recording --out F.json), or a directory of member-*.jsonl (an ensemble run, judged here)',
  '  --out      the self-contained HTML page (default: TRACE with .html, when no output is named)',
  '  --svg      the diagram alone, as SVG',
  '  --png      a PNG of the diagram, through headless Chromium (/usr/bin/chromium, or ZKSPEC_CHROMIUM)',
  '  --verdict  a verdict file (the JSON `npm run conformance -- validate FILE --json` prints): its rejected step is highlighted',
  '  --validate judge the conformance trace or recording with the correct spec here and highlight where it was rejected',
  '  --hidden   the validator\'s hidden spec steps before each recorded one (default 2; 0 for a directory, as validate-recording)',
].join('\n');

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n${VIEW_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help === true) {
    io.out(VIEW_USAGE);
    return 0;
  }
  const trace = positionals[0];
  if (trace === undefined || positionals.length > 1) {
    io.err(`${trace === undefined ? 'missing TRACE' : `one TRACE at a time, got ${positionals.length}`}\n${VIEW_USAGE}`);
    return 2;
  }
  const hidden = values.hidden === undefined ? undefined : Number(values.hidden);
  if (hidden !== undefined && (!Number.isSafeInteger(hidden) || hidden < 0)) {
    io.err(`--hidden must be a non-negative integer, got ${values.hidden}\n${VIEW_USAGE}`);
    return 2;
  }
  const read = readTimeline(trace, { ...(values.verdict === undefined ? {} : { verdictFile: values.verdict }), validate: values.validate === true, ...(hidden === undefined ? {} : { hiddenStepsMax: hidden }) });
  if (!read.ok) {
    io.err(read.error);
    return 2;
  }
  const rendered = diagramOf(read.timeline);
  if (!rendered.ok) {
    io.err(rendered.error);
    return 2;
  }
  const noOutput = values.out === undefined && values.svg === undefined && values.png === undefined;
  const html = values.out ?? (noOutput ? `${trace.replace(/\/+$/, '').replace(/(\.itf)?\.json$/, '')}.html` : undefined);
  const result = await writeOutputs(rendered, { ...(html === undefined ? {} : { html }), ...(values.svg === undefined ? {} : { svg: values.svg }), ...(values.png === undefined ? {} : { png: values.png }) });
  const d = rendered.diagram;
  for (const path of result.written) io.out(`wrote ${path}`);
  io.out(`${d.title}: ${d.lanes.length} lanes, ${d.steps.length} steps, ${d.arrows.length} messages${d.highlight === undefined ? '' : `; highlighted: ${d.highlight.title}`}`);
  if (result.error !== undefined) {
    io.err(result.error);
    return 1;
  }
  return 0;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      svg: { type: 'string' },
      png: { type: 'string' },
      verdict: { type: 'string' },
      validate: { type: 'boolean' },
      hidden: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main(process.argv.slice(2));
