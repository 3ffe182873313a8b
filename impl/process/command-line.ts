// The server's command line, `zkspec-server [--help | --version | zoo.cfg]`,
// in the role of ZooKeeperServerMain's and QuorumPeerMain's `main(args)` and
// zkServer.sh's `version` command.
//
// `--help` lists every option, the environment variables read and every
// zoo.cfg key: the keys read (config/zoo-cfg.ts's `implementedKeys`), and
// ZooKeeper's keys that are refused or accepted with a warning
// (config/zookeeper-keys.ts), generated from those tables so that the text
// cannot drift from what the server does. `--version` prints our version
// (package.json's) and the ZooKeeper version we speak (admin/version.ts).

import packageJson from '../../package.json' with { type: 'json' };
import { zooKeeperCompatibleVersion } from '../admin/version.ts';
import { implementedKeys } from '../config/zoo-cfg.ts';
import { displayKey, unimplementedKeys } from '../config/zookeeper-keys.ts';

export type CommandLine =
  | { readonly kind: 'run'; readonly configPath: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'bad-usage'; readonly message: string };

export const usage = 'usage: zkspec-server path/to/zoo.cfg   (npm start -- path/to/zoo.cfg; node dist/server.js path/to/zoo.cfg); zoo.cfg must set dataDir, as for ZooKeeper';

/** Reads argv (without node and the script): --help and --version win over anything else, as in most tools. */
export function parseCommandLine(argv: readonly string[]): CommandLine {
  if (argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (argv.includes('--version')) return { kind: 'version' };
  const [path] = argv;
  // As ZooKeeperServerMain: no configuration, no server (there is no default dataDir).
  if (path === undefined) return { kind: 'bad-usage', message: `no zoo.cfg given; ${usage}` };
  const option = argv.find((arg) => arg.startsWith('-'));
  if (option !== undefined) return { kind: 'bad-usage', message: `unknown option ${option}; ${usage}` };
  if (argv.length > 1) return { kind: 'bad-usage', message: `one zoo.cfg only, got ${argv.length} arguments; ${usage}` };
  return { kind: 'run', configPath: path };
}

export function versionText(): string {
  return [`zkspec ${packageJson.version}`, `Apache ZooKeeper ${zooKeeperCompatibleVersion} protocol (clients see version ${zooKeeperCompatibleVersion}-zkspec)`, `node ${process.version}`, ''].join('\n');
}

/** `words` joined by spaces into lines of at most `width` characters, each indented by `indent`. */
function wrap(words: readonly string[], indent = '  ', width = 100): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of words) {
    if (line !== '' && indent.length + line.length + 1 + word.length > width) {
      lines.push(indent + line);
      line = '';
    }
    line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(indent + line);
  return lines;
}

/** The zoo.cfg keys in the three groups --help shows. */
export function helpKeys(): { readonly read: readonly string[]; readonly refused: readonly string[]; readonly warned: readonly string[] } {
  // A key can be in both groups: authProvider.N is read with SASLAuthenticationProvider and refused with an unknown class.
  const byDisposition = (disposition: 'refused' | 'warned') => unimplementedKeys.filter((k) => k.disposition === disposition).map(displayKey);
  return { read: [...implementedKeys, 'server.N'], refused: byDisposition('refused'), warned: byDisposition('warned') };
}

export function helpText(): string {
  const keys = helpKeys();
  return [
    usage,
    '',
    'Runs one ZooKeeper-compatible server in the foreground: standalone when zoo.cfg has no server.N',
    'lines, else the ensemble member whose id dataDir/myid holds. SIGTERM or SIGINT closes the client',
    'connections, waits for the txn log and any snapshot in progress, removes the PID file and exits 0.',
    '',
    'options:',
    '  --help, -h    this text',
    '  --version     our version, the ZooKeeper version we speak, node\'s version',
    '',
    'environment:',
    '  ZKSPEC_LOG_LEVEL   debug, info (the default), warn or error: the log threshold (logs are JSON lines on stderr)',
    '  ZOOPIDFILE         the PID file (default dataDir/zookeeper_server.pid, as zkServer.sh)',
    '  SERVER_JVMFLAGS, JVMFLAGS   their -Djava.security.auth.login.config (the JAAS file for SASL) and',
    '                     -Dzookeeper.* authentication settings, as zkServer.sh passes them (docs/operations.md, "SASL"),',
    '                     and -Dreadonlymode.enabled (docs/operations.md, "Read-only mode")',
    '  ZKSPEC_FAULT_PORT  tests only, never in production: a loopback port through which a harness slows or fails',
    '                     fsyncs, steps the clock and crashes the server (impl/faults; docs/operations.md, "The fault switch")',
    '',
    'exit codes: 0 clean stop; 1 cannot start, or stopped by a txn log failure; 2 bad usage or an invalid zoo.cfg',
    '',
    'zoo.cfg keys read (their defaults and meanings: docs/operations.md, "zoo.cfg"):',
    ...wrap(keys.read),
    'ZooKeeper keys refused: the server does not start, since ignoring them would weaken security or durability',
    '(a value meaning "off" is accepted):',
    ...wrap(keys.refused),
    'ZooKeeper keys accepted with a warning and ignored (tuning, throttling, observability):',
    ...wrap(keys.warned),
    '',
  ].join('\n');
}
