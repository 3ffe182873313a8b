// `npm run ensemble -- 3` as an operator uses it: it prints the connect string
// and each member's ports, PID and directory, says who leads once all serve,
// and on SIGTERM kills every member by PID and leaves the directories (data,
// zoo.cfg, server.log) where it said they are. Runs with ours unless
// ZKSPEC_ENSEMBLE_OURS=0, else with Apache ZooKeeper where installed.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { repoRoot } from '../testing/built-server.ts';
import { processAlive } from '../testing/processes.ts';
import { fourLetterWord, parseMode, testsRunAgainst } from './cluster.ts';

// `npm run ensemble` runs the harness's bundle (deploy/build.mjs), built with the server before the tests.
const script = join(repoRoot, 'dist', 'ensemble.js');
const kind = testsRunAgainst('ours') ? 'ours' : testsRunAgainst('zookeeper') ? 'zookeeper' : undefined;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe.runIf(kind !== undefined)(`npm run ensemble (${kind})`, () => {
  it('starts three members, prints where they are, and on SIGTERM stops them all and keeps their data', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-local-test-'));
    const child = spawn(process.execPath, [script, '3', '--tick', '200', '--dir', dir, '--kind', kind!], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const memberPids: number[] = [];
    cleanups.push(() => {
      for (const pid of [child.pid!, ...memberPids]) if (processAlive(pid)) process.kill(pid, 'SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    });

    const deadline = Date.now() + 60_000;
    while (!output.includes('Ctrl-C stops them all') && Date.now() < deadline && child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
    expect(output, output).toContain('Ctrl-C stops them all');
    expect(output).toMatch(/serving, leader is member [123] \(/);

    const rows = [...output.matchAll(/^ {2}([123]) +(\d+) +(\d+) +(\d+) +(\d+) +(\S+)$/gm)];
    expect(rows.map((r) => r[1])).toEqual(['1', '2', '3']);
    for (const r of rows) {
      memberPids.push(Number(r[5]));
      expect(r[6]).toBe(join(dir, `member-${r[1]}`));
      // The client port printed is the member's, and it serves.
      expect(parseMode(await fourLetterWord(Number(r[2]), 'srvr'))).toMatch(/^(leader|follower)$/);
    }
    const connectString = /^connect string: (\S+)$/m.exec(output)?.[1];
    expect(connectString).toBe(rows.map((r) => `127.0.0.1:${r[2]}`).join(','));

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(output).toContain(`Data and logs kept in ${dir}`);
    expect(memberPids.filter(processAlive)).toEqual([]);
    for (const id of [1, 2, 3]) {
      expect(existsSync(join(dir, `member-${id}`, 'data', 'myid'))).toBe(true);
      expect(readFileSync(join(dir, `member-${id}`, 'zoo.cfg'), 'utf8')).toContain(`server.${id}=127.0.0.1:`);
      expect(existsSync(join(dir, `member-${id}`, 'server.log'))).toBe(true);
    }
  }, 90_000);
});
