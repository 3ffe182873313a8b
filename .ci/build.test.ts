// The build (deploy/build.mjs), as the test runner's global setup left it in
// dist/: package.json's `bin` names exactly the bundles of the commands table,
// each bundle is an executable with a node shebang that runs as a program (the
// rewritten import.meta.url finds the checker's specs and conformance's
// scenarios beside their sources), and the server's bundle reads no source
// file, so that dist/server.js runs without the repository (deploy/Dockerfile).

import { spawnSync } from 'node:child_process';
import { accessSync, constants, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commands, distDir, modules, repoRoot, upToDate } from '../deploy/build.mjs';

const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> };

/** Runs a bundle as a program (its shebang), bounded. */
const runBin = (name: string, args: readonly string[]) => spawnSync(join(distDir, `${name}.js`), args, { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });

describe('npm run build', () => {
  it("writes one bundle per command, and package.json's bin names exactly those with a bin", () => {
    const expected = Object.fromEntries(commands.filter((c) => c.bin !== undefined).map((c) => [c.bin!, `dist/${c.name}.js`]));
    expect(packageJson.bin).toEqual(expected);
    expect(Object.keys(expected)).toEqual(expect.arrayContaining(['zkspec-server', 'zkspec-check', 'zkspec-conformance']));
    for (const command of commands) {
      const path = join(distDir, `${command.name}.js`);
      accessSync(path, constants.X_OK);
      expect(readFileSync(path, 'utf8').split('\n', 1)[0], path).toBe('#!/usr/bin/env node');
    }
  });

  it('npm start, npm run ensemble and the checker scripts exec the bundles, after building them', () => {
    for (const [script, bundle] of [['start', 'server'], ['ensemble', 'ensemble'], ['check', 'check'], ['check:all', 'check-all'], ['conformance', 'conformance'], ['txnlog', 'txnlog'], ['snapshot', 'snapshot'], ['explore', 'explore']] as const) {
      // exec: npm's `sh -c` would otherwise stay between npm and node and die on a forwarded SIGTERM, leaving node running.
      expect(packageJson.scripts[script]).toBe(`exec node dist/${bundle}.js`);
      expect(packageJson.scripts[`pre${script}`]).toBe('node deploy/build.mjs --if-changed');
    }
    expect(packageJson.scripts['build']).toBe('node deploy/build.mjs');
  });

  it('--if-changed builds only when a bundle is missing or older than a source', () => {
    expect(upToDate()).toBe(true); // the global setup has just built
    const out = mkdtempSync(join(tmpdir(), 'zk-bundles-'));
    try {
      expect(upToDate(out)).toBe(false);
      for (const command of [...commands, ...modules]) copyFileSync(join(distDir, `${command.name}.js`), join(out, `${command.name}.js`));
      expect(upToDate(out)).toBe(true);
      utimesSync(join(out, 'server.js'), new Date(1_000_000), new Date(1_000_000)); // built in 1970: older than every source
      expect(upToDate(out)).toBe(false);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('the bundles run as programs: the checker lists its specs, conformance checks its scenarios, check-all and the tools refuse bad usage', () => {
    const list = runBin('check', ['--list']);
    expect(list.status, list.stderr).toBe(0);
    for (const spec of ['paxos', 'raft', 'zab']) expect(list.stdout).toMatch(new RegExp(`^${spec}: `, 'm'));
    const scenarios = runBin('conformance', ['scenarios', '--check']);
    expect(scenarios.status, scenarios.stderr).toBe(0);
    expect(scenarios.stdout).toContain('zab/ZOOKEEPER-3911.json: current');
    const bad = runBin('check-all', ['--bogus']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('usage: npm run check:all');
    // The offline tools: bad usage is exit 2 with the usage, a file that is not there exit 2 too (not a crash).
    for (const tool of ['txnlog', 'snapshot']) {
      const usage = runBin(tool, []);
      expect(usage.status, usage.stderr).toBe(2);
      expect(usage.stderr).toContain(`usage: npm run ${tool}`);
    }
  });

  it("the server's bundle reads no source file: it runs copied away from the repository", () => {
    expect(readFileSync(join(distDir, 'server.js'), 'utf8')).not.toMatch(/\.ts", import\.meta\.url\)/);
    const app = mkdtempSync(join(tmpdir(), 'zk-bundle-alone-'));
    try {
      mkdirSync(join(app, 'dist'));
      copyFileSync(join(distDir, 'server.js'), join(app, 'dist', 'server.js'));
      // What the container image has beside the bundle: the production node_modules (for the externals).
      symlinkSync(join(repoRoot, 'node_modules'), join(app, 'node_modules'));
      const run = spawnSync(process.execPath, [join(app, 'dist', 'server.js'), '--version'], { cwd: app, encoding: 'utf8', timeout: 20_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^zkspec \d+\.\d+\.\d+\n/);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  it("the checker's bundle runs its worker threads on node alone: --workers from a copy of dist/ without the sources or node_modules", () => {
    const app = mkdtempSync(join(tmpdir(), 'zk-check-alone-'));
    try {
      mkdirSync(join(app, 'dist'));
      for (const name of ['check', 'check-worker', 'specs']) copyFileSync(join(distDir, `${name}.js`), join(app, 'dist', `${name}.js`));
      // Under tsx the workers would import tsx, a development dependency, and the sources: neither is here.
      const run = spawnSync(process.execPath, [join(app, 'dist', 'check.js'), 'paxos', '--workers', '2', '--preset', 'tlc'], { cwd: app, encoding: 'utf8', timeout: 60_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/workers +2 threads/);
      // The same search on one thread from the repository's bundle: the same counts.
      const single = runBin('check', ['paxos', '--preset', 'tlc']);
      expect(single.status, single.stderr).toBe(0);
      const counts = (out: string) => out.split('\n').filter((line) => /^ +(distinct|generated) states/.test(line));
      expect(counts(run.stdout)).toHaveLength(2);
      expect(counts(run.stdout)).toEqual(counts(single.stdout));
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });
});
