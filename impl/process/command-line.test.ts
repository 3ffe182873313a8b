// `zkspec-server --help` and `--version`, as functions and from the built
// bundle: the help names every option the command line accepts and every
// zoo.cfg key, each in the group the key tables put it (read, refused,
// warned), for every setting of ZooKeeper 3.8's Administrator's Guide.

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import packageJson from '../../package.json' with { type: 'json' };
import { zooKeeperCompatibleVersion } from '../admin/version.ts';
import { implementedKeys } from '../config/zoo-cfg.ts';
import { classifyUnimplementedKey, displayKey, unimplementedKeys } from '../config/zookeeper-keys.ts';
import { builtServer } from '../testing/built-server.ts';
import { helpKeys, helpText, parseCommandLine, versionText } from './command-line.ts';

const guideKeys = readFileSync(new URL('../config/testdata/zookeeper-3.8.4-admin-keys.txt', import.meta.url), 'utf8').trim().split('\n');

/** The help's section starting with the line that starts with `heading`, up to the next unindented line. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((line) => line.startsWith(heading));
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const body = lines.slice(start + 1);
  const end = body.findIndex((line) => !line.startsWith('  ') && !line.startsWith('('));
  return body
    .slice(0, end === -1 ? undefined : end)
    .filter((line) => line.startsWith('  '))
    .flatMap((line) => line.trim().split(/\s+/));
}

function runBuilt(args: readonly string[]) {
  return spawnSync(process.execPath, [builtServer(), ...args], { encoding: 'utf8', timeout: 20_000 });
}

describe('--help', () => {
  const text = helpText();
  const read = section(text, 'zoo.cfg keys read');
  const refused = section(text, 'ZooKeeper keys refused');
  const warned = section(text, 'ZooKeeper keys accepted with a warning');

  it('lists every key read, refused or warned about, each in its group, from the key tables', () => {
    expect(read).toEqual([...implementedKeys, 'server.N']);
    expect(refused.sort()).toEqual(unimplementedKeys.filter((k) => k.disposition === 'refused').map(displayKey).sort());
    expect(warned.sort()).toEqual(unimplementedKeys.filter((k) => k.disposition === 'warned').map(displayKey).sort());
    expect(helpKeys().read).toEqual(read);
  });

  it("places every setting of ZooKeeper 3.8's Administrator's Guide", () => {
    for (const key of guideKeys) {
      if (key === 'server.x') expect(read).toContain('server.N');
      else if (implementedKeys.includes(key)) expect(read).toContain(key);
      else {
        const entry = classifyUnimplementedKey(key.replace(/\.x$/, '.1'))!;
        expect(entry.disposition === 'refused' ? refused : warned, key).toContain(displayKey(entry));
      }
    }
  });

  it('names every option the command line accepts, and the environment read', () => {
    for (const option of ['--help', '-h', '--version']) {
      expect(parseCommandLine([option]).kind).not.toBe('bad-usage');
      expect(text).toMatch(new RegExp(`^ {2}.*${option}\\b`, 'm'));
    }
    expect(parseCommandLine(['--verbose', 'zoo.cfg'])).toMatchObject({ kind: 'bad-usage', message: expect.stringContaining('unknown option --verbose') });
    expect(parseCommandLine([])).toMatchObject({ kind: 'bad-usage' });
    expect(parseCommandLine(['a.cfg', 'b.cfg'])).toMatchObject({ kind: 'bad-usage' });
    expect(parseCommandLine(['zoo.cfg'])).toEqual({ kind: 'run', configPath: 'zoo.cfg' });
    expect(parseCommandLine(['zoo.cfg', '--version'])).toEqual({ kind: 'version' });
    for (const variable of ['ZKSPEC_LOG_LEVEL', 'ZOOPIDFILE']) expect(text).toContain(`  ${variable} `);
  });

  it('is what the built server prints, with exit 0 (and -h too)', () => {
    for (const flag of ['--help', '-h']) {
      const run = runBuilt([flag]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe(text);
    }
  });
});

describe('--version', () => {
  it("prints package.json's version and the ZooKeeper version spoken, from the built server, exit 0", () => {
    const run = runBuilt(['--version']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe(versionText());
    const [ours, zookeeper] = run.stdout.split('\n');
    expect(ours).toBe(`zkspec ${packageJson.version}`);
    expect(zookeeper).toContain(`Apache ZooKeeper ${zooKeeperCompatibleVersion}`);
    expect(zooKeeperCompatibleVersion).toMatch(/^3\.8\.\d+$/);
  });

  it('bad usage exits 2 with a message naming the problem', () => {
    const run = runBuilt(['--bogus']);
    expect(run.status).toBe(2);
    expect(JSON.parse(run.stderr.trim().split('\n').at(-1)!)).toMatchObject({ level: 'fatal', event: 'bad-usage', message: expect.stringContaining('unknown option --bogus') });
  });
});
