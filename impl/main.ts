// The server's entry point: `npm start -- path/to/zoo.cfg` (or the built
// `zkspec-server path/to/zoo.cfg`, dist/server.js) runs one server process in
// the foreground until SIGINT or SIGTERM, as `zkServer.sh start-foreground` does:
// - without `server.N` lines in zoo.cfg, a standalone server
//   (standalone/standalone.ts; ZooKeeper's ZooKeeperServerMain). As in
//   ZooKeeper, zoo.cfg must set dataDir and the client port listens on every
//   interface unless clientPortAddress says otherwise;
// - with them, an ensemble member (ensemble/quorum-peer.ts; ZooKeeper's
//   QuorumPeerMain), whose `dataDir/myid` file says which `server.N` it is.
// Both run over the same database (database/) and answer the same
// four-letter words (admin/).
//
// Logs are JSON lines (observability/logger.ts) on stderr, or in a rolling
// file when ZOO_LOG_DIR is set; the environment variables that say so are
// read first (observability/log-settings.ts), so zoo.cfg's errors are logged
// where the operator looks. The PID is in
// the `serving` line and in the PID file (process/pid-file.ts). `--help` and
// `--version`: process/command-line.ts.
//
// This process is the one that gets the signals: npm's `start` script execs
// node (package.json), the container image and the systemd unit start node
// directly (deploy/), so no wrapper is left to receive a SIGTERM meant for it.
//
// Exit codes: 0 after a clean shutdown; 1 when the server cannot start or
// stops on its own (the txn log or an epoch file failed); 2 for bad usage or
// an invalid configuration (a member without its myid file included), each
// error naming the key and the value.

import { loadConfig } from './config/load.ts';
import { assertNever } from '../lib/assert.ts';
import { createLogger, openLogger, type StructuredLogger } from './observability/logger.ts';
import { logSettingsFromEnvironment } from './observability/log-settings.ts';
import { logLevelCommand } from './admin/log-level-command.ts';
import { startStandalone } from './standalone/standalone.ts';
import { isStandalone, type ZooKeeperConfig } from './config/zoo-cfg.ts';
import { startEnsembleMember } from './ensemble/quorum-peer.ts';
import { helpText, parseCommandLine, versionText } from './process/command-line.ts';
import { pidFilePath, writePidFile } from './process/pid-file.ts';
import { FaultSwitch, faultPortFromEnv, startFaultPort, FAULT_PORT_ENV } from './faults/fault-switch.ts';
import { faultyFs } from './faults/faulty-fs.ts';
import { nodeFs, type FsLayer } from './storage/fs-layer.ts';

async function main(argv: readonly string[]): Promise<number> {
  const commandLine = parseCommandLine(argv);
  // --help and --version print and go: they open no log file.
  if (commandLine.kind === 'help') {
    process.stdout.write(helpText());
    return 0;
  }
  if (commandLine.kind === 'version') {
    process.stdout.write(versionText());
    return 0;
  }
  const settings = logSettingsFromEnvironment(process.env);
  if (!settings.ok) {
    for (const invalid of settings.error) createLogger()('fatal', 'invalid-log-setting', { ...invalid, message: 'invalid logging environment variable' });
    return 2;
  }
  const opened = await openLogger(settings.value);
  if (!opened.ok) {
    createLogger()('fatal', 'cannot-open-log', { error: opened.error });
    return 1;
  }
  const log = opened.value;
  switch (commandLine.kind) {
    case 'bad-usage':
      log('fatal', 'bad-usage', { message: commandLine.message });
      return 2;
    case 'run':
      break;
    default:
      return assertNever(commandLine);
  }
  // SERVER_JVMFLAGS and JVMFLAGS as zkServer.sh would pass them: the JAAS file and the authentication settings (config/auth-keys.ts).
  const loaded = await loadConfig(commandLine.configPath, undefined, process.env);
  if (!loaded.ok) {
    for (const error of loaded.error) log('fatal', 'invalid-config', { file: argv[0], key: error.key, value: error.value, line: error.line, message: error.message });
    return 2;
  }
  for (const warning of loaded.value.warnings) log('warn', 'config-warning', { file: argv[0], message: warning });

  const { config, myid } = loaded.value;
  // The test-only fault switch (faults/fault-switch.ts): refused at start unless unset or a port.
  const faultPort = faultPortFromEnv(process.env);
  if (!faultPort.ok) {
    log('fatal', 'bad-usage', { message: faultPort.error });
    return 2;
  }
  if (!startPidFile(config.dataDir, log)) return 1;
  const faults = faultPort.value === undefined ? undefined : await startFaults(faultPort.value, log);
  if (faults === null) return 1;
  try {
    return await run(config, myid, log, commandLine.configPath, faults?.seams ?? {});
  } finally {
    await faults?.close();
  }
}

/** The fault switch on its loopback port, and the seams it works through (the fs layer, the wall clock); null after logging why it cannot listen. */
async function startFaults(port: number, log: StructuredLogger): Promise<{ seams: Seams; close(): Promise<void> } | null> {
  const faults = new FaultSwitch();
  const started = await startFaultPort(port, faults, (line, answer) => log('warn', 'fault-switch', { command: line, ...(typeof answer === 'string' ? { refused: answer } : { state: JSON.stringify(answer) }) }));
  if (!started.ok) {
    log('fatal', 'cannot-start', { error: started.error });
    return null;
  }
  log('warn', 'fault-switch-on', { port, message: `${FAULT_PORT_ENV} is set: a test harness can slow or fail fsyncs, step the clock and crash this process; never in production` });
  return { seams: { fs: faultyFs(nodeFs, faults), now: faults.now }, close: () => started.value.close() };
}

/** What the fault switch replaces in the server: none of it outside test mode. */
type Seams = { readonly fs?: FsLayer; readonly now?: () => number };

/** Writes zkServer.sh's PID file (process/pid-file.ts), removed when this process exits; false after logging why it cannot. */
function startPidFile(dataDir: string, log: StructuredLogger): boolean {
  const path = pidFilePath(dataDir);
  try {
    const pidFile = writePidFile(path);
    // Every way out (a clean stop, a refusal after this point, the forced exit on a second signal) passes here.
    process.once('exit', () => pidFile.remove());
    if (pidFile.previousLivePid !== undefined) log('warn', 'pid-file-replaced', { path, previousPid: pidFile.previousLivePid, message: 'the PID file named a running process; is another server using this dataDir?' });
    return true;
  } catch (error) {
    log('fatal', 'cannot-start', { path, error: (error as Error).message, message: 'cannot write the PID file' });
    return false;
  }
}

async function run(config: ZooKeeperConfig, myid: number | undefined, log: StructuredLogger, file: string, seams: Seams): Promise<number> {
  // From here on, before the database is even open: as PID 1 in a container a signal without a handler is
  // ignored, and a stop asked for while the server starts is carried out as soon as it can close.
  const signals = onSignals(log);
  if (!isStandalone(config)) {
    // server.N lines: an ensemble member (QuorumPeerMain), whose myid file says which line is ours.
    if (myid === undefined) {
      log('fatal', 'invalid-config', { file, key: 'myid', path: `${config.dataDir}/myid`, message: 'the myid file is missing; an ensemble member needs it to know which server.N it is' });
      return 2;
    }
    const member = await startEnsembleMember(config, myid, log, { adminCommands: [logLevelCommand(log)], ...seams });
    if (!member.ok) {
      log('fatal', 'cannot-start', { error: member.error });
      return 1;
    }
    signals.closeWith(() => void member.value.close('signal'));
    const stop = await member.value.stopped;
    // Sockets of a role run that was cut short must not keep the process alive.
    setTimeout(() => process.exit(stop.exitCode), 100).unref();
    return stop.exitCode;
  }
  const started = await startStandalone(config, { log, adminCommands: [logLevelCommand(log)], ...seams });
  if (!started.ok) {
    log('fatal', 'cannot-start', { error: started.error });
    return 1;
  }
  const server = started.value;
  signals.closeWith((signal) => void server.close(`received ${signal}`));
  const stop = await server.stopped;
  return stop.exitCode;
}

/** SIGINT and SIGTERM handlers; the first signal calls `closeWith`'s function, at once or once it is given. */
function onSignals(log: StructuredLogger): { closeWith(close: (signal: NodeJS.Signals) => void): void } {
  let signals = 0;
  let pending: NodeJS.Signals | undefined;
  let close: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    signals++;
    if (signals > 1) {
      // A second signal while shutting down: the operator wants out now. Acked writes are already durable.
      log('warn', 'forced-exit', { signal });
      process.exit(130);
    }
    if (close === undefined) {
      pending = signal;
      log('info', 'stop-requested', { signal, message: 'a stop signal while starting: stopping once started' });
    } else close(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    closeWith: (given) => {
      close = given;
      if (pending !== undefined) given(pending);
    },
  };
}

process.exitCode = await main(process.argv.slice(2));
