// Where the built server is, for everything that starts it as a process (the
// standalone tests, the ensemble harnesses, the benchmarks): dist/server.js,
// impl/main.ts bundled by `npm run build` (deploy/build.mjs), which is what
// operators run (`npm start`, the container image, the systemd unit), so the
// tests exercise the same file. The test runner builds it once per run
// (.ci/build-once.ts) and every npm script that starts a server builds first.
//
// A harness started some other way (`npx tsx ...`) after a source change would
// quietly run the old bundle; `builtServer()` refuses that instead, naming the
// newer source file. Comparing modification times of impl/ and lib/ (about 300
// files) takes about a millisecond.

import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
export const builtServerPath = join(repoRoot, 'dist', 'server.js');

/** The newest .ts file under `dir` (tests excluded: they are not in the bundle) and its modification time. */
function newestSource(dir: string): { path: string; mtimeMs: number } {
  let newest = { path: '', mtimeMs: 0 };
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const candidate = entry.isDirectory() ? newestSource(path) : entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? { path, mtimeMs: statSync(path).mtimeMs } : undefined;
    if (candidate !== undefined && candidate.mtimeMs > newest.mtimeMs) newest = candidate;
  }
  return newest;
}

/** Why dist/server.js cannot be used as it is (missing, or older than a source it is built from), or undefined. */
export function builtServerProblem(): string | undefined {
  if (!existsSync(builtServerPath)) return `${builtServerPath} does not exist: run \`npm run build\``;
  const built = statSync(builtServerPath).mtimeMs;
  for (const dir of ['impl', 'lib']) {
    const newest = newestSource(join(repoRoot, dir));
    if (newest.mtimeMs > built) return `${builtServerPath} is older than ${newest.path}: run \`npm run build\``;
  }
  return undefined;
}

/** dist/server.js, after checking that it is there and newer than its sources (throws otherwise). */
export function builtServer(): string {
  const problem = builtServerProblem();
  if (problem !== undefined) throw new Error(problem);
  return builtServerPath;
}

/**
 * The environment for a server a harness starts: this process's, without the
 * log file settings (ZOO_LOG_DIR, ZOO_LOG_FILE; impl/observability/log-settings.ts).
 * With ZOO_LOG_DIR set the server logs to a file and keeps only warn and above on
 * stderr, where the harnesses wait for its `serving` line; an operator's shell
 * that exports it must not make every harness hang.
 */
export function serverEnvironment(overrides: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const { ZOO_LOG_DIR: _dir, ZOO_LOG_FILE: _file, ...rest } = process.env;
  return { ...rest, ...overrides };
}

/**
 * Starts the built server with `args` and waits for it to exit by itself (a
 * refusal at start), bounded: a server that listened instead would never
 * exit, so it is SIGKILLed by PID after `timeoutMs`. Its stderr is JSON lines.
 */
export async function runBuiltServerToExit(args: readonly string[], timeoutMs = 20_000): Promise<{ code: number | null; stderr: string; lines: Record<string, unknown>[] }> {
  const child = spawn(process.execPath, [builtServer(), ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const timer = setTimeout(() => process.kill(child.pid!, 'SIGKILL'), timeoutMs);
    child.on('exit', (exitCode) => {
      clearTimeout(timer);
      resolve(exitCode);
    });
  });
  const lines = stderr
    .trim()
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, stderr, lines };
}
