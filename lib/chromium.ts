// Headless Chromium (Debian's `chromium` package), for a diagram's PNG
// (view/) and for the tests that open the diagram's HTML page and the
// explorer's page (cli/explorer/): `chromium --headless --screenshot` and
// `--dump-dom`. Every run is bounded in time and killed by its PID (the
// process group Chromium's helpers belong to) when it overruns, so a hung
// browser never outlives the command or the test.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

export function chromiumPath(): string {
  return process.env.ZKSPEC_CHROMIUM ?? DEFAULT_CHROMIUM;
}

export function chromiumPresent(path = chromiumPath()): boolean {
  return existsSync(path);
}

/** Whether a browser test must run rather than skip: CI installs Chromium and sets ZKSPEC_CHROMIUM_REQUIRED=1 (.ci/run). */
export function chromiumRequired(): boolean {
  return process.env['ZKSPEC_CHROMIUM_REQUIRED'] === '1';
}

export interface ChromiumRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

const BASE_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--no-default-browser-check', '--disable-extensions', '--hide-scrollbars', '--disable-dev-shm-usage'];

/** Runs chromium with `args` after the headless flags, in its own profile directory; kills its process group after `timeoutMs`. */
export function runChromium(args: readonly string[], timeoutMs = 30_000, binary = chromiumPath()): Promise<ChromiumRun> {
  const profile = mkdtempSync(join(tmpdir(), 'zkspec-chromium-'));
  return new Promise((done) => {
    const child = spawn(binary, [...BASE_FLAGS, `--user-data-dir=${profile}`, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }, timeoutMs);
    const finish = (code: number | null) => {
      clearTimeout(timer);
      rmSync(profile, { recursive: true, force: true });
      done({ code, stdout, stderr, timedOut });
    };
    child.on('error', (error) => {
      stderr += String(error);
      finish(null);
    });
    child.on('close', (code) => finish(code));
  });
}

/** A PNG of `htmlOrSvg` (a file) at `width` x `height` CSS pixels. */
export async function screenshot(file: string, png: string, width: number, height: number, timeoutMs = 60_000): Promise<ChromiumRun> {
  return runChromium([`--screenshot=${resolve(png)}`, `--window-size=${Math.ceil(width)},${Math.ceil(height)}`, pathToFileURL(resolve(file)).href], timeoutMs);
}

/** The DOM after the page's scripts ran (`--dump-dom`): `page` is a file or an http(s) URL; `args` go before it. */
export async function dumpDom(page: string, timeoutMs = 30_000, args: readonly string[] = []): Promise<ChromiumRun> {
  const target = /^https?:\/\//.test(page) ? page : pathToFileURL(resolve(page)).href;
  return runChromium([...args, '--dump-dom', target], timeoutMs);
}
