import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { builtServer } from '../testing/built-server.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { createLogger, openLogger, type StructuredLogger } from './logger.ts';
import { logSettingsFromEnvironment } from './log-settings.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'zk-logger-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Each line as JSON, failing the test on one that is not, or that lacks level, an ISO time or event. */
function parseLines(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      expect(parsed, line).toMatchObject({ level: expect.any(String), time: expect.any(String), event: expect.any(String) });
      expect(new Date(String(parsed['time'])).toISOString()).toBe(parsed['time']);
      return parsed;
    });
}

function capture(level: Parameters<typeof createLogger>[0]): { log: StructuredLogger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const log = createLogger(level, (line) => (text += line));
  return { log, lines: () => parseLines(text) };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

/** Runs a script to its end: a .mts through tsx, the server (builtServer(), dist/server.js) as it is. */
function runToExit(args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [...(args[0]!.endsWith('.mts') ? ['--import', 'tsx'] : []), ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

describe('the structured logger', () => {
  it('writes one JSON object per line with level, ISO time, event and the fields; bigints as 0x hex; undefined fields left out', () => {
    const { log, lines } = capture('info');
    log('info', 'serving', { port: 2181, lastZxid: 0x100000002n, sessionId: -1n, skipped: undefined, names: ['a', 'b'], message: 'for people' });
    expect(lines()).toEqual([{ level: 'info', time: expect.any(String), event: 'serving', port: 2181, lastZxid: '0x100000002', sessionId: '0xffffffffffffffff', names: ['a', 'b'], message: 'for people' }]);
  });

  it('drops lines below the threshold and keeps those at or above it, for every level', () => {
    const { log, lines } = capture('warn');
    for (const level of ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const) log(level, `at-${level}`);
    expect(lines().map((l) => [l['level'], l['event']])).toEqual([
      ['warn', 'at-warn'],
      ['error', 'at-error'],
      ['fatal', 'at-fatal'],
    ]);
  });

  it('changes its threshold at run time (setLevel), both ways', () => {
    const { log, lines } = capture('info');
    log('debug', 'before');
    log.setLevel('debug');
    expect(log.level()).toBe('debug');
    log('debug', 'during');
    log.setLevel('error');
    expect(log.level()).toBe('error');
    log('warn', 'after');
    log('error', 'last');
    expect(lines().map((l) => l['event'])).toEqual(['during', 'last']);
  });
});

describe('the log file', () => {
  it('rolls at the size limit and keeps maxBackupIndex rolled files besides the current one; stderr keeps only warn and above', async () => {
    const dir = tempDir();
    const opened = await openLogger({ level: 'info', file: { dir, fileName: 'zookeeper.log', maxFileSizeBytes: 1024, maxBackupIndex: 2 } });
    if (!opened.ok) throw new Error(opened.error);
    const log = opened.value;
    cleanups.push(() => log.close());
    // About 150 bytes a line: 60 lines are about 9 KB, 9 files' worth; the roll happens between turns of the event loop.
    for (let i = 0; i < 60; i++) {
      log('info', 'filler', { i, padding: 'x'.repeat(80) });
      await tick();
    }
    log('debug', 'below-threshold');
    log('info', 'last', { i: 60 });
    // pino-roll deletes the oldest files after a roll, asynchronously.
    for (let waited = 0; readdirSync(dir).length > 3 && waited < 2_000; waited += 20) await new Promise((r) => setTimeout(r, 20));
    const files = readdirSync(dir).sort((a, b) => Number(a.split('.')[1]) - Number(b.split('.')[1]));
    expect(files).toHaveLength(3);
    for (const file of files) expect(file).toMatch(/^zookeeper\.\d+\.log$/);
    const lines = files.flatMap((file) => parseLines(readFileSync(join(dir, file), 'utf8')));
    // The files hold the newest lines, in order, with nothing missing between them.
    const indexes = lines.map((l) => l['i']);
    expect(indexes.at(-1)).toBe(60);
    expect(indexes).toEqual(Array.from({ length: indexes.length }, (_, k) => 61 - indexes.length + k));
    expect(lines.some((l) => l['event'] === 'below-threshold')).toBe(false);
    // A rolled file stops at the first line that reaches the limit: at most the limit plus one line.
    for (const file of files.slice(0, -1)) expect(statSync(join(dir, file)).size).toBeLessThan(1024 + 200);
  });

  it('refuses a directory it cannot create, naming it', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'a-file'), '');
    const opened = await openLogger({ level: 'info', file: { dir: join(dir, 'a-file', 'logs'), fileName: 'zookeeper.log', maxFileSizeBytes: 1024, maxBackupIndex: 1 } });
    expect(opened.ok).toBe(false);
    if (!opened.ok) expect(opened.error).toContain(join(dir, 'a-file', 'logs'));
  });

  it('has the fatal line in the file when the process exits right after writing it', async () => {
    const dir = tempDir();
    const script = join(dir, 'exit-now.mts');
    const logger = fileURLToPath(new URL('./logger.ts', import.meta.url));
    writeFileSync(
      script,
      `import { openLogger } from ${JSON.stringify(logger)};
const opened = await openLogger({ level: 'info', file: { dir: ${JSON.stringify(join(dir, 'logs'))}, fileName: 'zookeeper.log', maxFileSizeBytes: 1048576, maxBackupIndex: 1 } });
if (!opened.ok) throw new Error(opened.error);
for (let i = 0; i < 1000; i++) opened.value('info', 'filler', { i });
opened.value('fatal', 'cannot-go-on', { exitCode: 3 });
process.exit(3);
`,
    );
    const { code, stderr } = await runToExit([script], {});
    expect(code, stderr).toBe(3);
    const lines = parseLines(readFileSync(join(dir, 'logs', readdirSync(join(dir, 'logs'))[0]!), 'utf8'));
    expect(lines).toHaveLength(1001);
    expect(lines.at(-1)).toMatchObject({ level: 'fatal', event: 'cannot-go-on', exitCode: 3 });
    // The fatal line reaches stderr too: with a file, stderr keeps warn and above.
    expect(parseLines(stderr)).toEqual([expect.objectContaining({ level: 'fatal', event: 'cannot-go-on' })]);
  }, 30_000);

  it('the server writes its fatal line about a bad zoo.cfg to ZOO_LOG_DIR before it exits with 2', async () => {
    const dir = tempDir();
    const configPath = join(dir, 'zoo.cfg');
    writeLoopbackZooCfg(configPath, ['tickTime=fast', `dataDir=${dir}/data`, 'clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false']);
    const { code, stderr } = await runToExit([builtServer(), configPath], { ZOO_LOG_DIR: join(dir, 'logs'), ZOO_LOG_FILE: 'server.log', ZKSPEC_LOG_LEVEL: 'debug' });
    expect(code, stderr).toBe(2);
    const [file] = readdirSync(join(dir, 'logs'));
    expect(file).toMatch(/^server\.\d+\.log$/);
    const lines = parseLines(readFileSync(join(dir, 'logs', file!), 'utf8'));
    expect(lines).toContainEqual(expect.objectContaining({ level: 'fatal', event: 'invalid-config', key: 'tickTime', value: 'fast' }));
  }, 30_000);

  it('the server refuses an invalid logging variable with exit 2, naming it', async () => {
    const dir = tempDir();
    const { code, stderr } = await runToExit([builtServer(), join(dir, 'zoo.cfg')], { ZOO_LOG_DIR: join(dir, 'logs'), ZKSPEC_LOG_MAX_FILE_SIZE: 'huge' });
    expect(code, stderr).toBe(2);
    expect(parseLines(stderr)).toContainEqual(expect.objectContaining({ level: 'fatal', event: 'invalid-log-setting', variable: 'ZKSPEC_LOG_MAX_FILE_SIZE', value: 'huge' }));
  }, 30_000);
});

describe('the logging environment variables', () => {
  it('default to info on stderr, no file', () => {
    expect(logSettingsFromEnvironment({})).toEqual({ ok: true, value: { level: 'info' } });
  });

  it('turn the file on with ZOO_LOG_DIR, with logback 3.8 defaults (zookeeper.log, 256MB, 20 backups)', () => {
    expect(logSettingsFromEnvironment({ ZOO_LOG_DIR: '/var/log/zookeeper', ZKSPEC_LOG_LEVEL: 'debug' })).toEqual({
      ok: true,
      value: { level: 'debug', file: { dir: '/var/log/zookeeper', fileName: 'zookeeper.log', maxFileSizeBytes: 256 * 1024 ** 2, maxBackupIndex: 20 } },
    });
  });

  it('read sizes as logback writes them, and a number of bytes', () => {
    const size = (text: string) => {
      const settings = logSettingsFromEnvironment({ ZOO_LOG_DIR: '/l', ZKSPEC_LOG_MAX_FILE_SIZE: text });
      return settings.ok ? settings.value.file?.maxFileSizeBytes : settings.error;
    };
    expect(size('10MB')).toBe(10 * 1024 ** 2);
    expect(size('512KB')).toBe(512 * 1024);
    expect(size('1g')).toBe(1024 ** 3);
    expect(size('4096')).toBe(4096);
  });

  it('name every invalid variable with its value', () => {
    const settings = logSettingsFromEnvironment({ ZKSPEC_LOG_LEVEL: 'loud', ZOO_LOG_DIR: '/l', ZOO_LOG_FILE: 'a/b.log', ZKSPEC_LOG_MAX_FILE_SIZE: '12 parsecs', ZKSPEC_LOG_MAX_BACKUP_INDEX: '-1' });
    expect(settings.ok).toBe(false);
    if (!settings.ok) {
      expect(settings.error.map((e) => [e.variable, e.value])).toEqual([
        ['ZKSPEC_LOG_LEVEL', 'loud'],
        ['ZOO_LOG_FILE', 'a/b.log'],
        ['ZKSPEC_LOG_MAX_FILE_SIZE', '12 parsecs'],
        ['ZKSPEC_LOG_MAX_BACKUP_INDEX', '-1'],
      ]);
    }
  });
});
