// The AdminServer's log_level on a running server (the built one, as
// operators run it): after /commands/log_level?level=debug, the server logs
// debug lines it did not log before.

import { describe, expect, it } from 'vitest';
import { OpCode } from '../protocol/constants.ts';
import { RawClient } from '../server/raw-client.ts';
import { releasePorts, reservePorts } from '../testing/ports.ts';
import { startChild } from './test-support.ts';
import { processFixture } from './fixture.ts';

const fixture = processFixture();

describe('log_level through the AdminServer', () => {
  it('changes what a running server logs: a debug line appears only after /commands/log_level?level=debug', async () => {
    const [adminPort] = (await reservePorts(1)) as [number];
    fixture.onCleanup(() => releasePorts([adminPort]));
    const dir = fixture.dataDir([`admin.serverAddress=127.0.0.1`, `admin.serverPort=${adminPort}`], 'zk-log-level-');
    const server = await startChild(dir.configPath);
    const get = async (query: string) => (await (await fetch(`http://127.0.0.1:${adminPort}/commands/log_level${query}`, { signal: AbortSignal.timeout(5000) })).json()) as Record<string, unknown>;
    // A session that closes itself: the server then closes its connection, and logs that at debug (connection-closed-by-server).
    const sessionThatCloses = async () => {
      const client = await RawClient.open(server.port);
      await client.handshake();
      await client.request(OpCode.closeSession, undefined, undefined);
      client.close();
    };
    expect(await get('')).toMatchObject({ level: 'info', error: null });
    await sessionThatCloses();
    await new Promise((r) => setTimeout(r, 300));
    expect(server.logs.some((l) => l.level === 'debug')).toBe(false);
    expect(await get('?level=debug')).toMatchObject({ level: 'debug', previous: 'info', error: null });
    await sessionThatCloses();
    for (let waited = 0; !server.logs.some((l) => l.level === 'debug') && waited < 5000; waited += 50) await new Promise((r) => setTimeout(r, 50));
    expect(server.logs.filter((l) => l.level === 'debug').map((l) => l.event)).toContain('connection-closed-by-server');
    expect(server.logs).toContainEqual(expect.objectContaining({ event: 'log-level-changed', from: 'info', to: 'debug' }));
  }, 30_000);
});
