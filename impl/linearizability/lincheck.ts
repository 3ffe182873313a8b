// `npm run lincheck -- HISTORY.json`: judges a recorded client history
// (history.ts's format) offline and prints the verdict. Exit codes: 0 the
// history is explained by ZooKeeper's guarantee (linearizable writes,
// sequentially consistent reads), 1 an anomaly (each printed with its
// operations and why), 2 bad usage or a history that does not parse, 3
// unknown (a part's search ran out of steps: --steps-max raises the bound).

import { readFile, realpath } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { checkHistory, formatVerdict } from './checker.ts';
import { parseHistory } from './history.ts';

const usage = `usage: npm run lincheck -- [--json] [--steps-max N] HISTORY.json
  checks a client history of the ZooKeeper data model (format zkspec-history/1, impl/linearizability/README.md)
  --json          print the verdict as JSON
  --steps-max N   search steps per part before answering unknown (default 50000000)
exit codes: 0 no anomaly, 1 anomaly, 2 bad usage or unreadable history, 3 unknown`;

export type Io = { readonly out: (text: string) => void; readonly err: (text: string) => void };
const processIo: Io = { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };

/** The command: its exit code for `argv` (the arguments after the script). */
export async function lincheck(argv: readonly string[], io: Io = processIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: { json: { type: 'boolean' }, 'steps-max': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values['help'] === true) {
    io.out(usage);
    return 0;
  }
  const stepsText = values['steps-max'];
  const stepsMax = typeof stepsText === 'string' ? Number(stepsText) : undefined;
  if (positionals.length !== 1 || (stepsMax !== undefined && !(Number.isInteger(stepsMax) && stepsMax > 0))) {
    io.err(positionals.length !== 1 ? `one HISTORY.json, please\n${usage}` : `--steps-max takes a positive integer\n${usage}`);
    return 2;
  }
  const file = positionals[0]!;
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    io.err(`cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`);
    return 2;
  }
  const parsedHistory = parseHistory(json);
  if (!parsedHistory.ok) {
    io.err(`${file}: ${parsedHistory.error}`);
    return 2;
  }
  const started = performance.now();
  const verdict = checkHistory(parsedHistory.history, stepsMax === undefined ? {} : { stepsMax });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  if (values['json'] === true) io.out(JSON.stringify({ ...verdict, seconds: Number(seconds) }, null, 2));
  else for (const line of [...formatVerdict(verdict, parsedHistory.history), `checked in ${seconds} s`]) io.out(line);
  return verdict.verdict === 'linearizable' ? 0 : verdict.verdict === 'anomaly' ? 1 : 3;
}

async function isMainModule(): Promise<boolean> {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(await realpath(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (await isMainModule()) process.exitCode = await lincheck(process.argv.slice(2));
