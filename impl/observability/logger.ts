// Structured logs for the running server, through pino: one JSON object per
// line, `{"level":"info","time":"<ISO>","event":"serving","port":2181,...}`.
// `event` is a stable name tests and operators match; every piece of data is
// a field of its own (`sessionId`, `zxid`, `remoteAddress`, ...), and
// `message`, where there is one, is a short sentence for people that carries
// no data the fields do not. One line per event keeps the log greppable and
// readable by jq or a log shipper.
//
// Levels are ZooKeeper's (log4j/logback's): trace, debug, info, warn, error,
// plus `fatal` for the line written just before the process exits because it
// cannot go on. They are spelled out here rather than imported, so that this
// leaf depends on no part of the server it logs for; the server core's, the
// storage's and the election's log callbacks are subsets of this one's type.
//
// Every destination is written synchronously (pino's sync SonicBoom, in this
// thread, no transport worker): the server logs events, not requests, so the
// rate is low, and a line written before `process.exit` is in the file when
// the process is gone, with no flush to forget (ZooKeeper's log4j/logback
// appenders are synchronous by default too). The threshold can change while
// the server runs (`setLevel`, for the AdminServer's log_level command).

import pino from 'pino';
import roll from 'pino-roll';
import { sessionIdHex } from '../../lib/hex.ts';
import { err, ok, type Result } from '../../lib/result.ts';

export const structuredLevels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type StructuredLevel = (typeof structuredLevels)[number];

const levelRank: Record<StructuredLevel, number> = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

export type LogFields = Readonly<Record<string, string | number | boolean | bigint | undefined | readonly string[]>>;

export type StructuredLogger = {
  (level: StructuredLevel, event: string, fields?: LogFields): void;
  /** The threshold now: lines below it are dropped before any work is done for them. */
  level(): StructuredLevel;
  /** Changes the threshold at run time (what the AdminServer's log_level command calls). */
  setLevel(level: StructuredLevel): void;
  /** Closes the log file, if there is one (tests; the process's exit closes it otherwise). */
  close(): void;
};

/** Where the log file goes and how it rolls (log-settings.ts reads them from the environment). */
export type LogFileSettings = {
  /** ZooKeeper's zookeeper.log.dir (zkServer.sh's ZOO_LOG_DIR). */
  readonly dir: string;
  /** ZooKeeper's zookeeper.log.file; rolled files are numbered before the extension, zookeeper.1.log, zookeeper.2.log, ... */
  readonly fileName: string;
  /** zookeeper.log.maxfilesize, in bytes. */
  readonly maxFileSizeBytes: number;
  /** zookeeper.log.maxbackupindex: rolled files kept besides the one being written. */
  readonly maxBackupIndex: number;
};

export type LogSettings = {
  readonly level: StructuredLevel;
  /** No file: lines go to stderr. A file: every line goes to it, and stderr gets warn and above (ZooKeeper's console threshold). */
  readonly file?: LogFileSettings;
};

/** With a file, what stderr still gets: what an operator at a terminal or in `journalctl` must see. */
export const consoleLevelWithFile: StructuredLevel = 'warn';

export function isStructuredLevel(text: string): text is StructuredLevel {
  return Object.hasOwn(levelRank, text);
}

const pinoOptions = (level: StructuredLevel): pino.LoggerOptions => ({
  level,
  base: null,
  timestamp: pino.stdTimeFunctions.isoTime,
  messageKey: 'message',
  formatters: { level: (label) => ({ level: label }) },
});

/** A logger writing to stderr, or to `write` (tests), for events at or above `threshold`. */
export function createLogger(threshold: StructuredLevel = 'info', write?: (line: string) => void): StructuredLogger {
  const destination = write === undefined ? pino.destination({ fd: 2, sync: true }) : { write };
  return wrap(pino(pinoOptions(threshold), destination), () => {});
}

/** A logger for `settings`: with a file, opens it (creating its directory) and rolls it by size. */
export async function openLogger(settings: LogSettings): Promise<Result<StructuredLogger, string>> {
  if (settings.file === undefined) return ok(createLogger(settings.level));
  const { dir, fileName, maxFileSizeBytes, maxBackupIndex } = settings.file;
  let file: Awaited<ReturnType<typeof roll>>;
  try {
    // pino-roll's size is in k/m/g; kilobytes, rounded up, keep small limits (tests) meaningful.
    file = await roll({ file: `${dir}/${fileName}`, size: `${Math.max(1, Math.ceil(maxFileSizeBytes / 1024))}k`, limit: { count: maxBackupIndex }, mkdir: true, sync: true });
  } catch (error) {
    return err(`cannot open the log file ${dir}/${fileName}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // A failing log disk must not take the server down with an unhandled 'error' event; its lines still reach stderr at warn and above.
  file.on('error', () => {});
  const streams = pino.multistream([
    { level: 'trace', stream: file },
    { level: consoleLevelWithFile, stream: pino.destination({ fd: 2, sync: true }) },
  ]);
  return ok(wrap(pino(pinoOptions(settings.level), streams), () => file.end()));
}

function wrap(instance: pino.Logger, close: () => void): StructuredLogger {
  // The threshold is kept as a number here so that a dropped line costs one comparison (debug lines are on the hot path).
  let minimum = levelRank[instance.level as StructuredLevel];
  const logger = (level: StructuredLevel, event: string, fields: LogFields = {}) => {
    if (levelRank[level] < minimum) return;
    const record: Record<string, unknown> = { event };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      // JSON has no 64-bit integers: zxids and session ids go out as 0x hex, as ZooKeeper prints them.
      record[key] = typeof value === 'bigint' ? sessionIdHex(value) : value;
    }
    instance[level](record);
  };
  return Object.assign(logger, {
    level: () => instance.level as StructuredLevel,
    setLevel: (level: StructuredLevel) => {
      instance.level = level;
      minimum = levelRank[level];
    },
    close,
  });
}
