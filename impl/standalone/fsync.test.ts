// Replies wait for fsync: with forceSync=yes (the default) a write's reply
// leaves only after the txn log's fsync returns, which a file system that
// holds fsyncs on command makes visible; with forceSync=no the log is never
// fsynced (ZooKeeper's zookeeper.forceSync=no), and replies follow the write
// alone. In process, so the file system can be replaced.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseZooCfg } from '../config/zoo-cfg.ts';
import { RawClient } from '../server/raw-client.ts';
import { nodeFs, type FsLayer } from '../storage/fs-layer.ts';
import { CountingFs, gatedFs, temporaryDir } from '../storage/test-support.ts';
import { createLogger } from '../observability/logger.ts';
import { startStandalone, type StandaloneServer } from './standalone.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function start(dataDir: string, fs: FsLayer, extra = ''): Promise<StandaloneServer> {
  const parsed = parseZooCfg(`dataDir=${dataDir}\nclientPort=0\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\ntickTime=500\n${extra}`);
  if (!parsed.ok) throw new Error(parsed.error.map((e) => e.message).join('; '));
  const started = await startStandalone(parsed.value.config, { fs, log: createLogger('fatal') });
  if (!started.ok) throw new Error(started.error);
  cleanups.push(() => started.value.close());
  return started.value;
}

async function session(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  cleanups.push(() => client.close());
  await client.handshake();
  return client;
}

describe('forceSync', () => {
  it('yes: a create is answered only after its fsync returns', async () => {
    const dir = temporaryDir('zk-fsync-');
    cleanups.push(() => dir.remove());
    const { fs, gate, hold, release } = gatedFs();
    const server = await start(join(dir.path, 'data'), fs);
    const client = await session(server.port);

    hold();
    let answered = false;
    const reply = client.create('/held', 'x').then((r) => ((answered = true), r));
    await new Promise((r) => setTimeout(r, 300));
    expect(gate.waiting, 'the log is inside fsync').toBe(1);
    expect(answered, 'no reply while the fsync is held').toBe(false);
    release();
    expect((await reply).header.err).toBe(0);
  });

  it('no: the log is never fsynced, and writes still survive a clean restart', async () => {
    const dir = temporaryDir('zk-nosync-');
    cleanups.push(() => dir.remove());
    const fs = new CountingFs();
    const dataDir = join(dir.path, 'data');
    const server = await start(dataDir, fs, 'forceSync=no\n');
    const client = await session(server.port);
    for (let i = 0; i < 5; i++) expect((await client.create(`/n${i}`, 'x')).header.err).toBe(0);
    expect(fs.writes).toBeGreaterThanOrEqual(1);
    expect(fs.fileSyncs).toBe(0);
    expect(fs.directorySyncs).toBe(0);
    client.close();
    await server.close();

    const again = await start(dataDir, nodeFs);
    const reader = await session(again.port);
    for (let i = 0; i < 5; i++) expect((await reader.exists(`/n${i}`)).header.err).toBe(0);
  });
});
