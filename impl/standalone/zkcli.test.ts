// Apache ZooKeeper's own CLI (zkCli.sh from Debian's zookeeper package)
// against the server process: create, get, ls, delete, then the same data
// read back after a restart. The CLI runs as a child fed commands on stdin,
// killed after a timeout.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { dataDirWithConfig, killChildren, startChild, type DataDir } from './test-support.ts';

const zkCli = '/usr/share/zookeeper/bin/zkCli.sh';
const dirs: DataDir[] = [];
afterEach(() => {
  killChildren();
  for (const dir of dirs.splice(0)) dir.remove();
});

/** Runs zkCli.sh with `commands` on stdin; resolves with stdout+stderr; SIGKILLed by PID after `timeoutMs`. */
function runZkCli(port: number, commands: readonly string[], timeoutMs = 45_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(zkCli, ['-server', `127.0.0.1:${port}`], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ZOO_LOG4J_PROP: 'ERROR,CONSOLE' } });
    let output = '';
    child.stdout.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
      reject(new Error(`zkCli.sh did not finish within ${timeoutMs} ms; output:\n${output}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
    child.stdin.end(`${commands.join('\n')}\nquit\n`);
  });
}

describe.runIf(existsSync(zkCli))('zkCli.sh against the server process', () => {
  it('creates, gets, lists and deletes, and what it wrote is there after a restart', async () => {
    const dir = dataDirWithConfig(['tickTime=2000']);
    dirs.push(dir);
    let server = await startChild(dir.configPath);
    const first = await runZkCli(server.port, ['create /cli hello', 'create /cli/a 1', 'create /cli/b 2', 'get /cli', 'ls /cli', 'delete /cli/a', 'ls /cli']);
    expect(first).toContain('Created /cli\n');
    expect(first).toContain('Created /cli/b\n');
    expect(first).toContain('hello\n');
    expect(first).toContain('[a, b]\n');
    expect(first).toContain('[b]\n');

    server.kill('SIGKILL');
    await server.exited;
    server = await startChild(dir.configPath);
    const second = await runZkCli(server.port, ['get /cli/b', 'ls /cli', 'delete /cli/b', 'delete /cli', 'ls /']);
    expect(second).toMatch(/^2$/m);
    expect(second).toContain('[b]\n');
    expect(second).toContain('[zookeeper]\n');
    expect(second).not.toContain('Node does not exist');
  }, 120_000);
});
