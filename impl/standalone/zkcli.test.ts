// Apache ZooKeeper's own CLI (zkCli.sh from Debian's zookeeper package)
// against the server process: create, get, ls, delete, then the same data
// read back after a restart. The CLI runs as a child fed commands on stdin,
// killed after a timeout.

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

import { runZkCli, zkCli } from '../testing/zkcli.ts';
const fixture = processFixture();

describe.runIf(existsSync(zkCli))('zkCli.sh against the server process', () => {
  it('creates, gets, lists and deletes, and what it wrote is there after a restart', async () => {
    const dir = fixture.dataDir(['tickTime=2000']);
    let server = await startChild(dir.configPath);
    const first = await runZkCli(`127.0.0.1:${server.port}`, ['create /cli hello', 'create /cli/a 1', 'create /cli/b 2', 'get /cli', 'ls /cli', 'delete /cli/a', 'ls /cli']);
    expect(first).toContain('Created /cli\n');
    expect(first).toContain('Created /cli/b\n');
    expect(first).toContain('hello\n');
    expect(first).toContain('[a, b]\n');
    expect(first).toContain('[b]\n');

    server.kill('SIGKILL');
    await server.exited;
    server = await startChild(dir.configPath);
    const second = await runZkCli(`127.0.0.1:${server.port}`, ['get /cli/b', 'ls /cli', 'delete /cli/b', 'delete /cli', 'ls /']);
    expect(second).toMatch(/^2$/m);
    expect(second).toContain('[b]\n');
    expect(second).toContain('[zookeeper]\n');
    expect(second).not.toContain('Node does not exist');
  }, 120_000);
});
