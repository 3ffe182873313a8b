// The server's entry point: `npm start -- path/to/zoo.cfg` runs one server
// process in the foreground until SIGINT or SIGTERM, as zkServer.sh does:
// - without `server.N` lines in zoo.cfg, a standalone server
//   (standalone/standalone.ts; ZooKeeper's ZooKeeperServerMain). As in
//   ZooKeeper, zoo.cfg must set dataDir and the client port listens on every
//   interface unless clientPortAddress says otherwise;
// - with them, an ensemble member (ensemble/quorum-peer.ts; ZooKeeper's
//   QuorumPeerMain), whose `dataDir/myid` file says which `server.N` it is.
// Both run over the same database (database/) and answer the same
// four-letter words (admin/).
//
// Logs are JSON lines on stderr (observability/logger.ts); ZKSPEC_LOG_LEVEL
// (debug, info, warn, error) sets the threshold, default info.
//
// Exit codes: 0 after a clean shutdown; 1 when the server cannot start or
// stops on its own (the txn log or an epoch file failed); 2 for bad usage or
// an invalid configuration (a member without its myid file included), each
// error naming the key and the value.

import { loadConfig } from './config/load.ts';
import { createLogger, isStructuredLevel } from './observability/logger.ts';
import { startStandalone } from './standalone/standalone.ts';
import { isStandalone } from './config/zoo-cfg.ts';
import { startEnsembleMember } from './ensemble/quorum-peer.ts';

const usage = 'usage: npm start -- path/to/zoo.cfg   (or: npx tsx impl/main.ts path/to/zoo.cfg); zoo.cfg must set dataDir, as for ZooKeeper';

async function main(argv: readonly string[]): Promise<number> {
  const levelText = process.env['ZKSPEC_LOG_LEVEL'] ?? 'info';
  const log = createLogger(isStructuredLevel(levelText) ? levelText : 'info');
  if (!isStructuredLevel(levelText)) log('warn', 'bad-log-level', { value: levelText, message: `ZKSPEC_LOG_LEVEL=${levelText} is not debug, info, warn or error; using info` });
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const [path] = argv;
  // As ZooKeeperServerMain: no configuration, no server (there is no default dataDir).
  if (path === undefined || argv.length > 1 || path.startsWith('-')) {
    log('fatal', 'bad-usage', { message: usage });
    return 2;
  }
  const loaded = await loadConfig(path, undefined, process.env);
  if (!loaded.ok) {
    for (const error of loaded.error) log('fatal', 'invalid-config', { file: argv[0], key: error.key, value: error.value, line: error.line, message: error.message });
    return 2;
  }
  for (const warning of loaded.value.warnings) log('warn', 'config-warning', { file: argv[0], message: warning });

  const { config, myid } = loaded.value;
  if (!isStandalone(config)) {
    // server.N lines: an ensemble member (QuorumPeerMain), whose myid file says which line is ours.
    if (myid === undefined) {
      log('fatal', 'invalid-config', { file: argv[0], key: 'myid', message: `${config.dataDir}/myid is missing; an ensemble member needs it to know which server.N it is` });
      return 2;
    }
    const member = await startEnsembleMember(config, myid, log);
    if (!member.ok) {
      log('fatal', 'cannot-start', { message: member.error });
      return 1;
    }
    onSignals(() => void member.value.close('signal'), log);
    const stop = await member.value.stopped;
    // Sockets of a role run that was cut short must not keep the process alive.
    setTimeout(() => process.exit(stop.exitCode), 100).unref();
    return stop.exitCode;
  }
  const started = await startStandalone(config, { log });
  if (!started.ok) {
    log('fatal', 'cannot-start', { message: started.error });
    return 1;
  }
  const server = started.value;
  onSignals((signal) => void server.close(`received ${signal}`), log);
  const stop = await server.stopped;
  return stop.exitCode;
}

function onSignals(close: (signal: NodeJS.Signals) => void, log: ReturnType<typeof createLogger>): void {
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      // A second signal while shutting down: the operator wants out now. Acked writes are already durable.
      log('warn', 'forced-exit', { signal });
      process.exit(130);
    }
    close(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

process.exitCode = await main(process.argv.slice(2));
