// A txn log append that fails (here ENOSPC, injected under storage) must stop
// the server with a clear message and must not acknowledge the write: the
// client sees its connection close instead of a reply, `stopped` resolves
// with exit code 1, and after a restart on a healthy disk the write is not
// there while everything acknowledged before it is. In process, so the file
// system can be replaced.

import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseZooCfg } from '../config/zoo-cfg.ts';
import { OpCode } from '../protocol/constants.ts';
import { RawClient } from '../server/raw-client.ts';
import { CountingFs, temporaryDir } from '../storage/test-support.ts';
import { createLogger } from '../observability/logger.ts';
import { startStandalone, type StandaloneServer } from './standalone.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function configFor(dataDir: string) {
  const parsed = parseZooCfg(`dataDir=${dataDir}\nclientPort=0\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\ntickTime=500\n`);
  if (!parsed.ok) throw new Error(parsed.error.map((e) => e.message).join('; '));
  return parsed.value.config;
}

async function start(dataDir: string, fs?: CountingFs): Promise<{ server: StandaloneServer; lines: Record<string, unknown>[] }> {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger('debug', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  const started = await startStandalone(configFor(dataDir), { log, ...(fs === undefined ? {} : { fs }) });
  if (!started.ok) throw new Error(started.error);
  cleanups.push(() => started.value.close());
  return { server: started.value, lines };
}

async function session(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  cleanups.push(() => client.close());
  await client.handshake();
  return client;
}

describe('a txn log append error stops the server instead of acknowledging', () => {
  it('ENOSPC on the log: no reply, exit code 1, a fatal line naming the error, and the write absent after restart', async () => {
    const dir = temporaryDir('zk-disk-full-');
    cleanups.push(() => dir.remove());
    const dataDir = join(dir.path, 'data');
    const fs = new CountingFs();
    const { server, lines } = await start(dataDir, fs);
    const client = await session(server.port);
    expect((await client.create('/before', 'kept')).header.err).toBe(0);

    fs.plan = { failWrites: { code: 'ENOSPC', at: new Set([fs.writes]) } };
    const reply = await client.create('/refused', 'lost');
    expect(reply.header.err, 'the create got no reply: its connection was closed').toBe(RawClient.closedErr);
    const stop = await server.stopped;
    expect(stop.exitCode).toBe(1);
    expect(stop.reason).toMatch(/ENOSPC \(no space left on device\)/);
    const fatal = lines.find((l) => l['event'] === 'txn-log-failed');
    expect(fatal).toMatchObject({ level: 'fatal', code: 'ENOSPC' });
    expect(String(fatal!['message'])).toContain('stopping the server without acknowledging the write');
    expect(lines.at(-1)).toMatchObject({ event: 'stopped', exitCode: 1 });

    const restarted = await start(dataDir);
    const reader = await session(restarted.server.port);
    expect((await reader.exists('/before')).header.err).toBe(0);
    expect((await reader.exists('/refused')).header.err).toBe(-101); // NONODE
    expect((await reader.request(OpCode.closeSession, undefined, undefined)).header.err).toBe(0);
  }, 30_000);
});
