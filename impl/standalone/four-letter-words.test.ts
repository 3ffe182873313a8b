// Four-letter words over a raw TCP socket against the server process: the
// connection's first four bytes are the command, the answer ends with the
// server closing the connection (ZooKeeper's NIOServerCnxn.checkFourLetterWord).

import { describe, expect, it } from 'vitest';
import { RawClient } from '../server/raw-client.ts';
import { OpCode } from '../protocol/constants.ts';
import { fourLetterWord, startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

describe('four-letter words on the running server', () => {
  it('answers ruok, srvr with the mode, zxid and node count, and a parseable mntr; refuses words off the whitelist', async () => {
    const dir = fixture.dataDir(['tickTime=500', '4lw.commands.whitelist=ruok, srvr, mntr']);
    const server = await startChild(dir.configPath);

    // zxid 1: createSession; 2..4: three creates; 5: closeSession.
    const client = await RawClient.open(server.port);
    await client.handshake();
    for (const path of ['/a', '/b', '/a/c']) expect((await client.create(path, 'x')).header.err).toBe(0);
    expect((await client.request(OpCode.closeSession, undefined, undefined)).header.err).toBe(0);
    client.close();

    expect(await fourLetterWord(server.port, 'ruok')).toBe('imok');

    const srvr = await fourLetterWord(server.port, 'srvr');
    expect(srvr).toMatch(/^Zookeeper version: 3\.8\.4-zkspec, built on /);
    expect(srvr).toContain('Mode: standalone\n');
    expect(srvr).toContain('Zxid: 0x5\n');
    // The tree starts with /, /zookeeper, /zookeeper/quota and /zookeeper/config; three were created.
    expect(srvr).toContain('Node count: 7\n');
    expect(srvr).toMatch(/Latency min\/avg\/max: \d+\/[\d.]+\/\d+\n/);

    const mntr = await fourLetterWord(server.port, 'mntr');
    const metrics = new Map(
      mntr
        .trimEnd()
        .split('\n')
        .map((line) => {
          const match = /^zk_(\w+)\t(.*)$/.exec(line);
          expect(match, `mntr line ${JSON.stringify(line)}`).not.toBeNull();
          return [match![1]!, match![2]!] as const;
        }),
    );
    expect(metrics.get('server_state')).toBe('standalone');
    expect(metrics.get('znode_count')).toBe('7');
    expect(metrics.get('ephemerals_count')).toBe('0');
    expect(metrics.get('global_sessions')).toBe('0');
    // Five txns were logged: the fsync-time summary counted at least one batch.
    expect(Number(metrics.get('cnt_fsynctime'))).toBeGreaterThanOrEqual(1);
    expect(Number(metrics.get('open_file_descriptor_count'))).toBeGreaterThan(0);
    expect(Number(metrics.get('approximate_data_size'))).toBeGreaterThan(0);

    expect(await fourLetterWord(server.port, 'dump')).toBe('dump is not executed because it is not in the whitelist.\n');
  }, 60_000);
});
