// Our standalone server on a disk that really fills: its dataDir (and, in the
// second case, its dataLogDir) on a small tmpfs (impl/testing/tmpfs-disk.ts),
// filled while a client writes. Root only: elsewhere the cases say why they
// do not run (disk-full.test.ts injects ENOSPC in process on any machine).
//
// - The txn log's disk full: the server stops with exit code 1 and a fatal
//   line naming ENOSPC, acknowledging nothing the disk refused; after the
//   filler is removed it restarts on the same directory with every
//   acknowledged create, and takes writes again.
// - Only the snapshots' disk full (dataLogDir elsewhere, snapCount 2): each
//   snapshot fails and is logged, leaves no temp file holding pages, and the
//   server goes on acknowledging writes, which the log keeps; once the space
//   is back the next snapshot is written.
//
// Every mount is undone in afterEach, and the last case checks /proc/mounts.

import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../server/raw-client.ts';
import { writeLoopbackZooCfg } from '../testing/loopback-zoo-cfg.ts';
import { TmpfsDisk, tmpfsUnavailable, zkspecMounts } from '../testing/tmpfs-disk.ts';
import { dataDirWithConfig, eventually, killChildren, startChild, type ChildServer, type DataDir } from './test-support.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  killChildren();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const unavailable = tmpfsUnavailable();
if (unavailable !== undefined) console.warn(`full-disk.test.ts: not run here: ${unavailable}`);

function mount(path: string, sizeBytes: number): TmpfsDisk {
  mkdirSync(path, { recursive: true });
  const disk = TmpfsDisk.mount(path, sizeBytes);
  if (!disk.ok) throw new Error(disk.error);
  cleanups.push(() => disk.value.unmount());
  return disk.value;
}

function directory(lines: readonly string[]): DataDir {
  const dir = dataDirWithConfig(lines, 'zk-full-disk-');
  cleanups.push(() => dir.remove());
  return dir;
}

async function session(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  cleanups.push(() => client.close());
  await client.handshake({ timeOut: 30_000 });
  return client;
}

/** Creates /n0, /n1, ... one at a time until one gets no OK; returns the acknowledged paths and the last reply's error. */
async function createUntilRefused(client: RawClient, prefix: string, max: number): Promise<{ acked: string[]; lastErr: number }> {
  const acked: string[] = [];
  for (let n = 0; n < max; n++) {
    const path = `${prefix}${n}`;
    const reply = await client.create(path, 'x'.repeat(200));
    if (reply.header.err !== 0) return { acked, lastErr: reply.header.err };
    acked.push(path);
  }
  return { acked, lastErr: 0 };
}

const lineWith = (server: ChildServer, event: string) => server.logs.find((l) => l.event === event);

describe.runIf(unavailable === undefined)('a standalone server of ours on a tmpfs that fills', () => {
  it('stops on ENOSPC in its txn log without acknowledging the refused write, and keeps every acknowledged one after a restart', async () => {
    // preAllocSize 16 KiB: the log needs a new page within a few hundred creates of the disk filling.
    const dir = directory(['preAllocSize=16']);
    const disk = mount(join(dir.path, 'data'), 8 * 1024 * 1024);
    const server = await startChild(dir.configPath);
    const client = await session(server.port);
    const before = await createUntilRefused(client, '/before', 50);
    expect(before.acked).toHaveLength(50);

    const filler = await disk.fill();
    expect(filler).toBeGreaterThan(0);
    expect(disk.freeBytes()).toBe(0);
    const during = await createUntilRefused(client, '/during', 5000);
    expect(during.lastErr, 'the refused create got no reply: its connection closed').toBe(RawClient.closedErr);
    expect(await server.exited).toBe(1);
    const fatal = lineWith(server, 'txn-log-failed');
    expect(fatal, JSON.stringify(server.logs.slice(-5))).toMatchObject({ level: 'fatal', code: 'ENOSPC' });
    expect(String(fatal!['error'])).toMatch(/no space left on device/);
    expect(String(fatal!['message'])).toMatch(/^the disk is full: stopping the server without acknowledging the write .* free space under dataDir\/dataLogDir, then restart$/);

    disk.free();
    const restarted = await startChild(dir.configPath);
    const reader = await session(restarted.port);
    for (const path of [...before.acked, ...during.acked]) expect((await reader.exists(path)).header.err, `${path} was acknowledged`).toBe(0);
    expect((await reader.create('/after', 'y')).header.err).toBe(0);
  }, 30_000);

  it('goes on acknowledging writes when only the snapshots cannot be written, and snapshots again once there is space', async () => {
    // dataDir (snapshots) and dataLogDir (the log) on two file systems; only the first fills.
    const dir = directory(['snapCount=2']);
    const logDir = join(dir.path, 'log');
    writeLoopbackZooCfg(dir.configPath, [`dataDir=${join(dir.path, 'data')}`, `dataLogDir=${logDir}`, 'clientPort=0', 'clientPortAddress=127.0.0.1', 'admin.enableServer=false', 'snapCount=2']);
    const snapDisk = mount(join(dir.path, 'data'), 4 * 1024 * 1024);
    mount(logDir, 16 * 1024 * 1024);
    const server = await startChild(dir.configPath);
    const client = await session(server.port);
    expect((await createUntilRefused(client, '/a', 20)).acked).toHaveLength(20);
    await eventually(() => lineWith(server, 'snapshot-written') !== undefined, 5000, 'a first snapshot');

    await snapDisk.fill();
    const during = await createUntilRefused(client, '/b', 100);
    expect(during.acked, 'the log is on another disk: every write is acknowledged').toHaveLength(100);
    await eventually(() => lineWith(server, 'snapshot-failed') !== undefined, 5000, 'a failed snapshot');
    expect(lineWith(server, 'snapshot-failed')).toMatchObject({ level: 'error', code: 'ENOSPC' });
    const versionDir = join(dir.path, 'data', 'version-2');
    expect(readdirSync(versionDir).filter((f) => f.endsWith('.tmp')), 'a failed snapshot leaves no temp file').toEqual([]);

    snapDisk.free();
    const written = server.logs.filter((l) => l.event === 'snapshot-written').length;
    expect((await createUntilRefused(client, '/c', 20)).acked).toHaveLength(20);
    await eventually(() => server.logs.filter((l) => l.event === 'snapshot-written').length > written, 5000, 'a snapshot after the space came back');
    server.kill();
    await server.exited;
    const restarted = await startChild(dir.configPath);
    const reader = await session(restarted.port);
    for (const path of ['/a19', '/b0', '/b99', '/c19']) expect((await reader.exists(path)).header.err, path).toBe(0);
  }, 30_000);

  it('leaves no tmpfs mounted once its cleanup ran', async () => {
    const dir = directory([]);
    const disk = mount(join(dir.path, 'data'), 1024 * 1024);
    expect(zkspecMounts().map((m) => m.path)).toContain(disk.path);
    await disk.fill();
    expect(disk.freeBytes()).toBe(0);
    disk.unmount();
    expect(zkspecMounts().filter((m) => m.pid === process.pid)).toEqual([]);
  });
});
