// A local ensemble for trying things out by hand:
//
//   npm run ensemble -- 3 [--dir PATH] [--tick MS] [--kind ours|zookeeper] [--proxies]
//
// starts N members (ours by default) on 127.0.0.1, each with its own client,
// quorum and election port and its own directory (zoo.cfg, data/myid,
// server.log) under PATH (a new temp directory by default), prints the connect
// string and every member's ports, directory and log, and stays in the
// foreground. Ctrl-C or SIGTERM SIGKILLs every member by PID and leaves the
// directories in place (the data is the operator's; the path is printed
// again). --proxies puts the partition proxies of the tests between the
// members (cluster.ts); without it members talk to each other directly.
//
// Exit codes: 0 after Ctrl-C/SIGTERM; 1 when the members did not all serve
// within a minute (their log tails are printed); 2 for bad usage.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { apacheZooKeeperMissing, haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { Ensemble, type ServerKind } from './cluster.ts';

const usage = 'usage: npm run ensemble -- N [--dir PATH] [--tick MS] [--kind ours|zookeeper] [--proxies]';

type Options = { size: number; dir: string | undefined; tickTimeMs: number; kind: ServerKind; proxies: boolean };

function parseArgs(argv: readonly string[]): Options | string {
  const options: Options = { size: 3, dir: undefined, tickTimeMs: 2000, kind: 'ours', proxies: false };
  let sizeSeen = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === '--dir') options.dir = resolve(value());
      else if (arg === '--tick') {
        const v = Number(value());
        if (!Number.isInteger(v) || v <= 0) return `--tick needs a positive number of milliseconds, got ${JSON.stringify(argv[i])}`;
        options.tickTimeMs = v;
      } else if (arg === '--kind') {
        const v = value();
        if (v !== 'ours' && v !== 'zookeeper') return `--kind is ours or zookeeper, got ${JSON.stringify(v)}`;
        options.kind = v;
      } else if (arg === '--proxies') options.proxies = true;
      else if (/^\d+$/.test(arg) && !sizeSeen) {
        sizeSeen = true;
        options.size = Number(arg);
        if (options.size < 1 || options.size > 9) return `N is between 1 and 9, got ${arg}`;
      } else return `unknown argument ${JSON.stringify(arg)}`;
    } catch (error) {
      return (error as Error).message;
    }
  }
  return options;
}

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const parsed = parseArgs(argv);
  if (typeof parsed === 'string') {
    process.stderr.write(`${parsed}\n${usage}\n`);
    return 2;
  }
  if (parsed.kind === 'zookeeper' && !haveApacheZooKeeper()) {
    process.stderr.write(`${apacheZooKeeperMissing}\n`);
    return 2;
  }
  const baseDir = parsed.dir ?? mkdtempSync(join(tmpdir(), `zk-ensemble-${parsed.kind}-`));
  let stopping = false;
  const ensemble = await Ensemble.start({
    kind: parsed.kind,
    size: parsed.size,
    tickTimeMs: parsed.tickTimeMs,
    initLimitTicks: 10,
    syncLimitTicks: 5,
    proxies: parsed.proxies,
    baseDir,
    onMemberExit: (id, code, signal) => {
      if (!stopping) process.stdout.write(`member ${id} exited (${code ?? signal}); its log: ${join(baseDir, `member-${id}`, 'server.log')}\n`);
    },
  });

  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${why}: stopping every member (SIGKILL by PID)\n`);
    await ensemble.stopAll({ keepData: true });
    process.stdout.write(`stopped. Data and logs kept in ${baseDir}\n`);
  };

  process.stdout.write(`${parsed.size} ${parsed.kind === 'ours' ? 'zkspec' : 'Apache ZooKeeper'} members on 127.0.0.1, tickTime ${parsed.tickTimeMs} ms, data under ${baseDir}\n\n`);
  process.stdout.write('  id  client  quorum  election  pid      directory\n');
  for (const m of ensemble.members) {
    process.stdout.write(`  ${String(m.id).padEnd(3)} ${String(m.clientPort).padEnd(7)} ${String(m.quorumPort).padEnd(7)} ${String(m.electionPort).padEnd(9)} ${String(ensemble.pid(m.id) ?? '-').padEnd(8)} ${m.dir}\n`);
  }
  process.stdout.write(`\nconnect string: ${ensemble.connectString()}\n`);
  process.stdout.write(`logs: ${join(baseDir, 'member-*', 'server.log')}\n\n`);

  try {
    await ensemble.waitUntilServing(ensemble.ids, 60_000);
    const leader = parsed.size > 1 ? await ensemble.leader(30_000) : undefined;
    const modes = await Promise.all(ensemble.ids.map(async (id) => `${id}: ${(await ensemble.mode(id)) ?? 'not serving'}`));
    process.stdout.write(`serving${leader === undefined ? '' : `, leader is member ${leader}`} (${modes.join(', ')}). Ctrl-C stops them all.\n`);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    await stop('not serving');
    return 1;
  }

  await new Promise<void>((resolveSignal) => {
    process.once('SIGINT', () => resolveSignal());
    process.once('SIGTERM', () => resolveSignal());
  });
  await stop('signal');
  return 0;
}

// Exit explicitly: tsx's signal relay to this process can keep the event loop alive after the members are gone.
process.exit(await main(process.argv.slice(2)));
