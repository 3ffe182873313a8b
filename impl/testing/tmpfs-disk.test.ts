// No tmpfs outlives the process that mounted it: a child mounts one
// (tmpfs-disk-child.ts) and is ended by SIGINT, SIGTERM or SIGKILL; after
// the first two its own handlers have unmounted it by the time it exits,
// after SIGKILL the next mount made on the machine sweeps it. Root only:
// elsewhere it says why it does not run. About 3 s.

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepStaleMounts, TmpfsDisk, tmpfsUnavailable, zkspecMounts } from './tmpfs-disk.ts';

const childScript = new URL('./tmpfs-disk-child.ts', import.meta.url).pathname;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

const unavailable = tmpfsUnavailable();
if (unavailable !== undefined) console.warn(`impl/testing/tmpfs-disk.test.ts: not run here: ${unavailable}`);

function directory(): string {
  const path = mkdtempSync(join(tmpdir(), 'zk-tmpfs-'));
  cleanups.push(() => rmSync(path, { recursive: true, force: true }));
  return path;
}

/** Starts the child on `path`, waits for `mounted`, sends `signal`, and resolves once it has exited. */
async function mountInChildThen(path: string, signal: NodeJS.Signals): Promise<{ pid: number; code: number | null; signal: NodeJS.Signals | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', childScript, path], { stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => child.exitCode === null && child.signalCode === null && child.kill('SIGKILL'));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, sig) => resolve({ code, signal: sig })));
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the child did not mount within 20 s: ${output}`)), 20_000);
    const seen = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('mounted')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
  });
  expect(zkspecMounts()).toContainEqual({ pid: child.pid!, path });
  child.kill(signal);
  return { pid: child.pid!, ...(await exited) };
}

describe.runIf(unavailable === undefined)('a tmpfs mounted by a process', () => {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`is unmounted when that process is ended by ${signal}`, async () => {
      const path = directory();
      const ended = await mountInChildThen(path, signal);
      expect(ended.code).toBe(signal === 'SIGINT' ? 130 : 143);
      expect(zkspecMounts().filter((m) => m.path === path)).toEqual([]);
    }, 30_000);
  }

  it('is swept by the next mount when that process was SIGKILLed', async () => {
    const path = directory();
    const ended = await mountInChildThen(path, 'SIGKILL');
    expect(ended.signal).toBe('SIGKILL');
    expect(zkspecMounts().filter((m) => m.path === path), 'nothing ran in the killed process').toHaveLength(1);
    const other = join(directory(), 'data');
    mkdirSync(other);
    const disk = TmpfsDisk.mount(other, 1024 * 1024);
    if (!disk.ok) throw new Error(disk.error);
    cleanups.push(() => disk.value.unmount());
    expect(zkspecMounts().filter((m) => m.path === path), 'swept by the mount').toEqual([]);
    expect(sweepStaleMounts(), 'a live process\'s mount is never swept').toEqual([]);
    disk.value.unmount();
    expect(zkspecMounts().filter((m) => m.pid === process.pid)).toEqual([]);
  }, 30_000);
});

describe.runIf(unavailable === undefined)('a mount that is refused', () => {
  it('is an error naming the directory and why, not an exception', () => {
    const missing = join(directory(), 'not-there');
    const refused = TmpfsDisk.mount(missing, 1024 * 1024);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.error).toMatch(new RegExp(`^mount -t tmpfs on ${missing} failed: .+`));
    expect(zkspecMounts().filter((m) => m.pid === process.pid)).toEqual([]);
  });
});
