// `npm run lincheck -- HISTORY.json`: judges a recorded client history
// (history.ts's format) offline and prints the verdict. Exit codes: 0 the
// history is explained by ZooKeeper's guarantee (linearizable writes,
// sequentially consistent reads), 1 an anomaly (each printed with its
// operations and why), 2 bad usage or a history that does not parse, 3
// unknown (a part's search ran out of steps: --steps-max raises the bound).

import { readFile, realpath, writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { checkHistory, formatVerdict } from './checker.ts';
import { parseHistory } from './history.ts';
import { simulateHistory } from './simulated-history.ts';

const usage = `usage: npm run lincheck -- [--json] [--steps-max N] HISTORY.json
       npm run lincheck -- --simulate N [--seed K] [--clients C] [--registers R] [--lost P] [--without-zxids] OUT.json
  checks a client history of the ZooKeeper data model (format zkspec-history/1, impl/linearizability/README.md)
  --json          print the verdict as JSON
  --steps-max N   search steps per part before answering unknown (default 50000000)
  --simulate N    write a valid history of N operations instead (simulated-history.ts), to measure the checker:
                  C clients (default 20), R registers (default 200), a reply lost with probability P (default 0.01);
                  --without-zxids: the same operations, their replies without zxids and Stats (a client that does not record them)
exit codes: 0 no anomaly, 1 anomaly, 2 bad usage or unreadable history, 3 unknown`;

export type Io = { readonly out: (text: string) => void; readonly err: (text: string) => void };
const processIo: Io = { out: (text) => process.stdout.write(`${text}\n`), err: (text) => process.stderr.write(`${text}\n`) };

/** The command: its exit code for `argv` (the arguments after the script). */
export async function lincheck(argv: readonly string[], io: Io = processIo): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], allowPositionals: true, options: {
        json: { type: 'boolean' },
        'steps-max': { type: 'string' },
        simulate: { type: 'string' },
        seed: { type: 'string' },
        clients: { type: 'string' },
        registers: { type: 'string' },
        lost: { type: 'string' },
        'without-zxids': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      } });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : String(error)}\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values['help'] === true) {
    io.out(usage);
    return 0;
  }
  if (values['simulate'] !== undefined) return simulate(values, positionals, io);
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

async function simulate(values: Record<string, unknown>, positionals: readonly string[], io: Io): Promise<number> {
  const number = (name: string, fallback: number): number => (typeof values[name] === 'string' ? Number(values[name]) : fallback);
  const options = { operations: number('simulate', 0), seed: number('seed', 1), clients: number('clients', 20), registers: number('registers', 200), lostReplies: number('lost', 0.01), zxids: values['without-zxids'] !== true };
  const integers = [options.operations, options.seed, options.clients, options.registers].every(Number.isInteger);
  if (positionals.length !== 1 || !integers || options.operations < 1 || options.clients < 1 || options.registers < 2 || !(options.lostReplies >= 0 && options.lostReplies < 1)) {
    io.err(`--simulate N OUT.json: N, --seed, --clients, --registers (at least 2) integers, --lost in [0, 1)\n${usage}`);
    return 2;
  }
  await writeFile(positionals[0]!, JSON.stringify(simulateHistory(options)));
  io.out(`wrote a valid history of ${options.operations} operations to ${positionals[0]} (seed ${options.seed}, ${options.clients} clients, ${options.registers} registers, lost replies ${options.lostReplies})`);
  return 0;
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
