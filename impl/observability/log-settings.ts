// Where the server's log goes, read from the environment before anything else
// (zoo.cfg's own errors must be logged somewhere).
//
// ZooKeeper's operators set logging outside zoo.cfg: zkServer.sh reads
// ZOO_LOG_DIR and ZOO_LOG_FILE from the environment (zkEnv.sh,
// conf/zookeeper-env.sh) and hands them to logback/log4j as the system
// properties zookeeper.log.dir and zookeeper.log.file; 3.8's logback.xml sizes
// its RollingFileAppender with zookeeper.log.maxfilesize (256MB) and
// zookeeper.log.maxbackupindex (20). We read the same two variables under
// zkServer.sh's names, and the two sizes under ours, since zkServer.sh has no
// variable for them (they are -D properties in SERVER_JVMFLAGS there):
//
//   ZKSPEC_LOG_LEVEL                trace|debug|info|warn|error|fatal (default info)
//   ZOO_LOG_DIR                     set: log to a rolling file in this directory (default: stderr only)
//   ZOO_LOG_FILE                    the file's name (default zookeeper.log, logback's zookeeper.log.file)
//   ZKSPEC_LOG_MAX_FILE_SIZE        zookeeper.log.maxfilesize: 256MB, 10MB, 512KB or bytes (default 256MB)
//   ZKSPEC_LOG_MAX_BACKUP_INDEX     zookeeper.log.maxbackupindex: rolled files kept (default 20)
//
// Environment variables rather than command-line options: the command line
// is zoo.cfg's path, as zkServer.sh's, and the environment is what a
// systemd unit (Environment=), `docker run -e` and zookeeper-env.sh set. An
// invalid value stops the server (exit 2) naming the variable: an operator who
// asked for a file and silently got none would lose the log they rely on.

import { z } from 'zod';
import { err, ok, type Result } from '../../lib/result.ts';
import { type LogSettings, structuredLevels } from './logger.ts';

export const logEnvironmentVariables = ['ZKSPEC_LOG_LEVEL', 'ZOO_LOG_DIR', 'ZOO_LOG_FILE', 'ZKSPEC_LOG_MAX_FILE_SIZE', 'ZKSPEC_LOG_MAX_BACKUP_INDEX'] as const;

const sizeUnits: Record<string, number> = { '': 1, B: 1, K: 1024, KB: 1024, M: 1024 ** 2, MB: 1024 ** 2, G: 1024 ** 3, GB: 1024 ** 3 };

const size = z
  .string()
  .regex(/^\d+\s*([KMG]?B?)$/i, 'a size such as 256MB, 10MB, 512KB or a number of bytes')
  .transform((text) => {
    const [, digits = '', unit = ''] = /^(\d+)\s*([KMG]?B?)$/i.exec(text) ?? [];
    return Number(digits) * (sizeUnits[unit.toUpperCase()] ?? 1);
  })
  .refine((bytes) => bytes >= 1024, 'at least 1KB');

const schema = z.object({
  ZKSPEC_LOG_LEVEL: z.enum(structuredLevels).default('info'),
  ZOO_LOG_DIR: z.string().min(1).optional(),
  ZOO_LOG_FILE: z
    .string()
    .regex(/^[^/\\]+$/, 'a file name without a directory (the directory is ZOO_LOG_DIR)')
    .default('zookeeper.log'),
  ZKSPEC_LOG_MAX_FILE_SIZE: size.default(256 * 1024 ** 2),
  ZKSPEC_LOG_MAX_BACKUP_INDEX: z.coerce.number().int().min(0).max(1000).default(20),
});

export type InvalidLogSetting = { readonly variable: string; readonly value: string; readonly expected: string };

/** The log settings in `env`, or every invalid variable with its value and what was expected. */
export function logSettingsFromEnvironment(env: Readonly<Record<string, string | undefined>>): Result<LogSettings, InvalidLogSetting[]> {
  const picked = Object.fromEntries(logEnvironmentVariables.flatMap((name) => (env[name] === undefined || env[name] === '' ? [] : [[name, env[name]]])));
  const parsed = schema.safeParse(picked);
  if (!parsed.success) {
    return err(parsed.error.issues.map((issue) => ({ variable: String(issue.path[0]), value: String(picked[String(issue.path[0])]), expected: issue.message })));
  }
  const { ZKSPEC_LOG_LEVEL: level, ZOO_LOG_DIR: dir, ZOO_LOG_FILE: fileName, ZKSPEC_LOG_MAX_FILE_SIZE: maxFileSizeBytes, ZKSPEC_LOG_MAX_BACKUP_INDEX: maxBackupIndex } = parsed.data;
  return ok(dir === undefined ? { level } : { level, file: { dir, fileName, maxFileSizeBytes, maxBackupIndex } });
}
