// Quotas, TTL nodes and the gtmk/stmk/hash four-letter words, each against
// Apache ZooKeeper 3.8 (Debian's, ZooKeeperServerMain) and our server process
// in the same test: the same zkCli.sh commands must print the same thing on
// both, and ours must keep it across a restart.

import { appendFileSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { runZkCli, zkCli } from '../testing/zkcli.ts';
import { znodeDigest } from '../tree/digest.ts';
import { dataDirWithConfig, eventually, killChildren, startChild, type DataDir } from './test-support.ts';

const dirs: DataDir[] = [];
const apaches: ApacheStandalone[] = [];
afterEach(async () => {
  killChildren();
  for (const dir of dirs.splice(0)) dir.remove();
  for (const apache of apaches.splice(0)) await apache.stop();
});

/** Ours and Apache ZooKeeper, both standalone with the same zoo.cfg lines (and the JVM flags ZooKeeper reads only there). */
async function startBoth(zooCfg: readonly string[], jvmFlags: readonly string[] = []) {
  const apache = await startApacheStandalone(zooCfg, jvmFlags);
  apaches.push(apache);
  const dir = dataDirWithConfig(['tickTime=2000', '4lw.commands.whitelist=*', ...zooCfg]);
  dirs.push(dir);
  const ours = await startChild(dir.configPath);
  return { apache, dir, ours };
}

/** zkCli.sh's output without what differs between two servers: the address it connects to and the wall-clock times. */
async function cli(port: number, commands: readonly string[]): Promise<string> {
  const output = await runZkCli(`127.0.0.1:${port}`, commands);
  return output
    .split('\n')
    .filter((line) => !line.startsWith('Connecting to '))
    .map((line) => line.replace(/^(ctime|mtime) = .*/, '$1 = TIME'))
    .join('\n');
}

const quotaScript = [
  'create /q',
  'setquota -n 5 /q',
  'setquota -N 4 /q',
  'create /q/a 12345',
  'create /q/b',
  'listquota /q',
  'set /q/a 1234567890',
  'listquota /q',
  'delete /q/b',
  'create /q/b',
  'create /q/d',
  'create /q/e',
  'listquota /q',
  'get /zookeeper/quota/q/zookeeper_limits',
  'create /s',
  'setquota -b 3 /s',
  'create /s/x abcdef',
  'setquota -B 8 /s',
  'set /s/x abcdefghi',
  'create /s/y',
  'listquota /s',
  'create -t 2000 /not-enabled',
];

const canCompare = haveApacheZooKeeper() && existsSync(zkCli);

describe.runIf(canCompare)('quotas as Apache ZooKeeper 3.8 counts and enforces them', () => {
  it('listquota shows the same usage after creates, setData and deletes, QuotaExceeded over a hard limit, and ours keeps it across restarts', async () => {
    const { apache, dir, ours } = await startBoth(['enforceQuota=true'], []);
    const theirs = await cli(apache.port, quotaScript);
    const mine = await cli(ours.port, quotaScript);
    expect(theirs).toContain('Output stat for /q count=3,bytes=5\n');
    expect(theirs).toContain('Output stat for /q count=3,bytes=10\n');
    expect(theirs).toContain('Quota has exceeded : /q/e\n');
    expect(theirs).toContain('Output stat for /q count=4,bytes=10\n');
    expect(theirs).toContain('count=5,bytes=-1=;byteHardLimit=-1;countHardLimit=4\n');
    expect(theirs).toContain('Quota has exceeded : /s/x\n');
    expect(theirs).toContain('Output stat for /s count=3,bytes=6\n');
    expect(mine).toBe(theirs);
    // A soft limit only logs (ZooKeeperServer.checkQuota's rate-limited line).
    expect(ours.logs.some((l) => String(l['message']).includes('Quota exceeded: /s [current bytes=6, softByteLimit=3]'))).toBe(true);

    // Three times: the first restart replays the whole log; with snapCount=2 from the second on, the third loads a snapshot.
    let server = ours;
    for (const extra of [[], ['snapCount=2'], []]) {
      server.kill('SIGKILL');
      await server.exited;
      if (extra.length > 0) appendFileSync(dir.configPath, `${extra.join('\n')}\n`);
      server = await startChild(dir.configPath);
      const after = await cli(server.port, ['listquota /q', 'listquota /s', 'create /q/f', 'create /s/z', 'delete /s/z']);
      expect(after).toContain('Output stat for /q count=4,bytes=10\n');
      expect(after).toContain('Output stat for /s count=3,bytes=6\n');
      expect(after).toContain('Quota has exceeded : /q/f\n');
    }
    const recovered = server.logs.find((l) => l.event === 'recovered');
    expect(recovered?.['snapshotZxid'], JSON.stringify(recovered)).toBeTruthy();
    expect(recovered?.['snapshotZxid'], JSON.stringify(recovered)).not.toBe('0x0');
    server.kill('SIGKILL');
  }, 180_000);
});
