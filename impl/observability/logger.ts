// Structured logs for the running server: one JSON object per line on stderr,
// `{"time":"<ISO>","level":"info","event":"serving","port":2181,...}`. One
// line per event keeps the log greppable and machine-readable (jq, a log
// shipper) without a logging library; `event` is a stable name tests and
// operators can match, `message` is for people.
//
// Levels follow the server core's (debug, info, warn, error: its LogLevel,
// which this type includes so the core's lines pass straight through) plus
// `fatal` for the line written just before the process exits because it
// cannot go on. They are spelled out here rather than imported, so that this
// leaf depends on no part of the server it logs for. The threshold comes from
// the caller (main.ts reads ZKSPEC_LOG_LEVEL).

import { sessionIdHex } from '../../lib/hex.ts';

export type StructuredLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal';

const levelRank: Record<StructuredLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, fatal: 50 };

export type LogFields = Readonly<Record<string, string | number | boolean | bigint | undefined | readonly string[]>>;

export type StructuredLogger = {
  (level: StructuredLevel, event: string, fields?: LogFields): void;
  readonly threshold: StructuredLevel;
};

export function isStructuredLevel(text: string): text is StructuredLevel {
  return Object.hasOwn(levelRank, text);
}

/** A logger writing JSON lines to `write` (stderr by default) for events at or above `threshold`. */
export function createLogger(threshold: StructuredLevel = 'info', write: (line: string) => void = (line) => process.stderr.write(line)): StructuredLogger {
  const minimum = levelRank[threshold];
  const logger = (level: StructuredLevel, event: string, fields: LogFields = {}) => {
    if (levelRank[level] < minimum) return;
    const record: Record<string, unknown> = { time: new Date().toISOString(), level, event };
    for (const [key, value] of Object.entries(fields)) {
      if (value === undefined) continue;
      // JSON has no 64-bit integers: zxids and session ids go out as 0x hex, as ZooKeeper prints them.
      record[key] = typeof value === 'bigint' ? `${sessionIdHex(value)}` : value;
    }
    write(`${JSON.stringify(record)}\n`);
  };
  return Object.assign(logger, { threshold });
}
