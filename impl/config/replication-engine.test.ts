// replication.engine (ours, issue #17): which consensus protocol the members
// run. Fail closed: an engine this version cannot run stops the server with
// the key and the value named, never a silent fall back to ZAB.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runBuiltServerToExit } from '../testing/built-server.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { availableEngines, parseZooCfg } from './zoo-cfg.ts';

const ensembleLines = ['dataDir=/var/lib/zookeeper', 'initLimit=10', 'syncLimit=5', 'server.1=127.0.0.1:2888:3888', 'server.2=127.0.0.1:2889:3889', 'server.3=127.0.0.1:2890:3890'];

describe('replication.engine in zoo.cfg', () => {
  it('defaults to zab, and zab may be written out', () => {
    const unset = parseZooCfg(`${ensembleLines.join('\n')}\n`);
    expect(unset.ok && unset.value.config.replicationEngine).toBe('zab');
    const zab = parseZooCfg(`${ensembleLines.join('\n')}\nreplication.engine=zab\n`);
    expect(zab.ok && zab.value.config.replicationEngine).toBe('zab');
    expect(zab.ok && zab.value.warnings).toEqual([]);
  });

  for (const engine of ['raft', 'multipaxos'] as const) {
    it(`${engine} is refused while it cannot run, naming the key, the value and its line (fail closed)`, () => {
      expect(availableEngines.has(engine)).toBe(false);
      const parsed = parseZooCfg(`${ensembleLines.join('\n')}\nreplication.engine=${engine}\n`);
      expect(parsed.ok).toBe(false);
      if (parsed.ok) return;
      expect(parsed.error).toEqual([
        expect.objectContaining({ key: 'replication.engine', value: engine, line: ensembleLines.length + 1, message: expect.stringContaining(`replication.engine=${engine} is not available`) }),
      ]);
    });
  }

  it('refuses a value that names no engine, with the ones it knows', () => {
    const parsed = parseZooCfg(`${ensembleLines.join('\n')}\nreplication.engine=paxos\n`);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error[0]!.message).toBe(`line ${ensembleLines.length + 1}: invalid replication.engine="paxos": expected zab, raft or multipaxos`);
  });
});

describe('the server with replication.engine=raft', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('an ensemble member exits 2 before it listens, the key and the value in its fatal line', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zk-engine-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const configPath = join(dir, 'zoo.cfg');
    // Port 0 everywhere: the member must stop before it binds any of them.
    writeLoopbackZooCfg(configPath, [
      `dataDir=${dataDir}`,
      'clientPort=0',
      'clientPortAddress=127.0.0.1',
      'admin.enableServer=false',
      ...ensembleLines.slice(1),
      'replication.engine=raft',
    ]);
    mkdirSync(dataDir);
    writeFileSync(join(dataDir, 'myid'), '1\n');
    const { code, stderr, lines } = await runBuiltServerToExit([configPath]);
    expect(code, stderr).toBe(2);
    expect(lines).toContainEqual(expect.objectContaining({ level: 'fatal', event: 'invalid-config', key: 'replication.engine', value: 'raft' }));
    expect(lines.some((l) => l['event'] === 'serving' || l['event'] === 'election-started')).toBe(false);
  }, 30_000);
});
