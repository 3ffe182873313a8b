// Apache ZooKeeper's own clients against our server: the Java CLI (zkCli.sh) and
// the C client's cli_mt, from Debian's zookeeper and zookeeper-bin packages.
// Each client runs as a child process fed a script on stdin, bounded by a
// timeout; the test reads what the client printed, as an operator would.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliMt, zkCli } from '../testing/apache-zookeeper.ts';
import { startServer, type ZooKeeperServer } from './server.ts';


/** Runs a client with `lines` on stdin (one every `gapMs`) and returns stdout+stderr; killed after `timeoutMs`. */
function runClient(command: string, args: string[], lines: string[], gapMs: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ZOO_LOG4J_PROP: 'ERROR,CONSOLE' } });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', () => {
      clearTimeout(timer);
      resolve(output);
    });
    let i = 0;
    const feed = () => {
      if (i < lines.length) {
        child.stdin.write(`${lines[i++]}\n`);
        setTimeout(feed, gapMs);
      } else child.stdin.end();
    };
    feed();
  });
}

describe.runIf(existsSync(zkCli))('Apache ZooKeeper 3.8 zkCli.sh', () => {
  let server: ZooKeeperServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, tickTimeMs: 2000, log: () => {} });
  });
  afterAll(() => server.close());

  it('runs a session of everyday commands and prints what ZooKeeper would', async () => {
    const output = await runClient(
      zkCli,
      ['-server', `127.0.0.1:${server.port}`],
      [
        'create /cli hello',
        'create -s /cli/seq- x',
        'create -e /cli/eph y',
        'ls /cli',
        'get /cli',
        'set /cli world',
        'stat /cli',
        'getAllChildrenNumber /cli',
        'getEphemerals /cli',
        'addauth digest user:pw',
        'whoami',
        'create /cli/secret s auth::cdrwa',
        'getAcl /cli/secret',
        'sync /cli',
        'delete /cli',
        'deleteall /cli',
        'ls /',
        'quit',
      ],
      0,
      40_000,
    );
    expect(output).toContain('Created /cli\n');
    expect(output).toContain('Created /cli/seq-0000000000');
    expect(output).toContain('[eph, seq-0000000000]');
    expect(output).toContain('hello\n');
    expect(output).toMatch(/dataVersion = 1\n/);
    expect(output).toMatch(/numChildren = 2\n/);
    expect(output).toContain('[/cli/eph]');
    expect(output).toMatch(/digest: user\n/);
    expect(output).toContain("'digest,'user:");
    expect(output).toContain('Sync is OK');
    expect(output).toContain('Node not empty: /cli');
    expect(output).toContain('[zookeeper]');
  }, 60_000);

  it('one-shot commands: create then get -s show the znode stat', async () => {
    const created = await runClient(zkCli, ['-server', `127.0.0.1:${server.port}`, 'create', '/oneshot', 'v'], [], 0, 30_000);
    expect(created).toContain('Created /oneshot');
    const got = await runClient(zkCli, ['-server', `127.0.0.1:${server.port}`, 'get', '-s', '/oneshot'], [], 0, 30_000);
    expect(got).toMatch(/^v$/m);
    expect(got).toMatch(/dataLength = 1\n/);
    expect(got).toMatch(/ephemeralOwner = 0x0\n/);
  }, 60_000);
});

describe.runIf(existsSync(cliMt))('Apache ZooKeeper C client (cli_mt)', () => {
  let server: ZooKeeperServer;
  beforeAll(async () => {
    server = await startServer({ port: 0, tickTimeMs: 2000, log: () => {} });
  });
  afterAll(() => server.close());

  it('creates, lists, reads and deletes', async () => {
    const output = await runClient(
      cliMt,
      [`127.0.0.1:${server.port}`],
      ['create /c-node', 'ls /', 'set /c-node data', 'get /c-node', 'delete /c-node', 'exists /c-node', 'quit'],
      400,
      20_000,
    );
    expect(output).toContain('CONNECTED_STATE');
    expect(output).toMatch(/\[\/c-node\]: rc = 0/);
    expect(output).toMatch(/\tc-node\n/);
    expect(output, output).toMatch(/\/c-node: rc = 0\n value_len = 4\ndata\n/);
    expect(output).toMatch(/version=1\taversion=0/);
    expect(output).toContain("Watcher DELETED_EVENT state = CONNECTED_STATE for path /c-node");
    expect(output).toContain("Error -101 for /c-node");
  }, 30_000);
});
