// `npm run jepsen -- --servers ours|zookeeper --seconds S --faults N --seed K [--members 3|5] [--observers N] [--fault-set standard|switch|disk|all] [--disk-mb M] [--out DIR]`:
// one jepsen run (jepsen-run.ts), its seed and the command to reproduce it
// printed first, its report last. Exit code 0 when the run is valid (or
// Apache ZooKeeper lost writes the known ZOOKEEPER-4643 way, reported as
// such), 1 on a violation, on a member of ours not serving again within 60 s
// after the faults, or on a run that could not finish, 2 on a usage error.
//
// Run through tsx, as `npm run bench` is, not bundled: it is a test harness
// over the repository (the built dist/server.js, impl/testing's launcher of
// Debian's ZooKeeper, per-test port locks), not something an operator runs
// from a copy of dist/.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from '../ensemble/cluster.ts';
import { haveApacheZooKeeper, apacheZooKeeperMissing } from '../testing/apache-zookeeper.ts';
import { describeResult, reproduceCommand, runJepsen, type JepsenOptions } from './jepsen-run.ts';
import { FAULT_SETS, type FaultSet } from './schedule.ts';

const usage =
  'usage: npm run jepsen -- --servers ours|zookeeper [--seconds S (60)] [--faults N (20)] [--seed K (random)] [--members 3|5 (3)] [--observers N (0)]\n' +
  `         [--fault-set ${FAULT_SETS.join('|')} (standard)] [--disk-mb M (256: each member's tmpfs, for disk and all)] [--out DIR]`;

/** The options, or a usage error. */
export function parseJepsenArgs(argv: readonly string[], randomSeed: () => number): JepsenOptions | string {
  const values = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 2) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    if (!['--servers', '--seconds', '--faults', '--seed', '--members', '--observers', '--fault-set', '--disk-mb', '--out'].includes(flag)) return `unknown option ${flag}\n${usage}`;
    if (value === undefined) return `${flag} needs a value\n${usage}`;
    values.set(flag, value);
  }
  const servers = values.get('--servers');
  if (servers !== 'ours' && servers !== 'zookeeper') return `--servers must be ours or zookeeper\n${usage}`;
  const integer = (flag: string, fallback: number, min: number, max: number): number | string => {
    const text = values.get(flag);
    if (text === undefined) return fallback;
    const n = Number(text);
    return Number.isInteger(n) && n >= min && n <= max ? n : `${flag} must be an integer from ${min} to ${max}, not ${text}\n${usage}`;
  };
  const seconds = integer('--seconds', 60, 5, 24 * 3600);
  const faults = integer('--faults', 20, 1, 100_000);
  const seed = integer('--seed', randomSeed(), 0, 0xffffffff);
  const members = integer('--members', 3, 3, 5);
  const observers = integer('--observers', 0, 0, 4);
  const diskMb = values.has('--disk-mb') ? integer('--disk-mb', 0, 8, 64 * 1024) : undefined;
  for (const v of [seconds, faults, seed, members, observers, diskMb]) if (typeof v === 'string') return v;
  if (members !== 3 && members !== 5) return `--members must be 3 or 5\n${usage}`;
  const out = values.get('--out');
  const faultSet = values.get('--fault-set');
  if (faultSet !== undefined && !(FAULT_SETS as readonly string[]).includes(faultSet)) return `--fault-set must be one of ${FAULT_SETS.join(', ')}, not ${faultSet}\n${usage}`;
  return {
    servers: servers as ServerKind,
    seconds: seconds as number,
    faults: faults as number,
    seed: seed as number,
    members,
    ...(observers === 0 ? {} : { observers: observers as number }),
    ...(faultSet === undefined ? {} : { faultSet: faultSet as FaultSet }),
    ...(diskMb === undefined ? {} : { diskMb: diskMb as number }),
    ...(out === undefined ? {} : { outDir: out }),
  };
}

async function main(): Promise<number> {
  const options = parseJepsenArgs(process.argv.slice(2), () => Math.floor(Math.random() * 0x100000000));
  if (typeof options === 'string') {
    console.error(options);
    return 2;
  }
  if (options.servers === 'zookeeper' && !haveApacheZooKeeper()) {
    console.error(apacheZooKeeperMissing);
    return 2;
  }
  console.log(`seed ${options.seed}; reproduce with: ${reproduceCommand(options)}`);
  const outDir = options.outDir ?? mkdtempSync(join(tmpdir(), `zkspec-jepsen-${options.servers}-${options.seed}-`));
  console.log(`history and members' logs go to ${outDir}`);
  const started = Date.now();
  try {
    const result = await runJepsen({ ...options, outDir, log: (line) => console.log(line) });
    for (const line of describeResult(options, result)) console.log(line);
    console.log(`took ${((Date.now() - started) / 1000).toFixed(0)} s`);
    return result.verdict === 'invalid' || (options.servers === 'ours' && result.liveness.length > 0) ? 1 : 0;
  } catch (error) {
    console.error(`the run did not finish: ${(error as Error).message}`);
    console.error(`history and members' logs: ${outDir}`);
    console.error(`seed ${options.seed}; reproduce with: ${reproduceCommand(options)}`);
    return 1;
  }
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then((code) => process.exit(code));
}
