// Session passwords no one can derive (impl/server/session-password.ts,
// session-secret.ts): ZooKeeper's derivation from the session id, which anyone
// who reads a znode's ephemeralOwner can repeat, is refused as a wrong
// password is (a ConnectResponse with timeOut 0, then the close), and the
// password the server gave works, also after a restart that recovers the
// session from the log.

import { afterEach, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { RawClient } from '../server/raw-client.ts';
import { generatePasswd } from '../server/session-password.ts';
import { dataDirWithConfig, killChildren, startChild, type DataDir } from './test-support.ts';

const dirs: DataDir[] = [];
const clients: RawClient[] = [];
afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  killChildren();
  for (const dir of dirs.splice(0)) dir.remove();
});

async function open(port: number): Promise<RawClient> {
  const client = await RawClient.open(port);
  clients.push(client);
  return client;
}

/** Reattaches to `sessionId` with `passwd`: the negotiated timeout (0: refused) and whether the server then closed the connection. */
async function reattach(port: number, sessionId: bigint, passwd: Uint8Array): Promise<{ timeOut: number; closed: boolean }> {
  const client = await open(port);
  const response = await client.handshake({ sessionId, passwd, timeOut: 30_000 });
  const closed = await Promise.race([client.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 500))]);
  client.close();
  return { timeOut: response.timeOut, closed };
}

describe('session passwords', () => {
  it('refuses the password derived from the session id, accepts the one given, also after a restart, and keeps the secret to its owner', async () => {
    const dir = dataDirWithConfig();
    dirs.push(dir);
    let server = await startChild(dir.configPath);
    const owner = await open(server.port);
    const response = await owner.handshake({ timeOut: 30_000 });
    const { sessionId, passwd } = response;
    const derived = generatePasswd(sessionId);
    expect(Buffer.from(passwd).equals(Buffer.from(derived)), 'the server gave the derivable password').toBe(false);
    const ephemeral = await owner.create('/mine', '', 1);
    expect(ephemeral.header.err).toBe(0);

    // An attacker who knows the session id (a znode's ephemeralOwner) tries ZooKeeper's derivation.
    expect(await reattach(server.port, sessionId, derived)).toEqual({ timeOut: 0, closed: true });
    expect(await reattach(server.port, sessionId, passwd)).toEqual({ timeOut: 30_000, closed: false });

    // SIGKILL and restart: the session comes back from the log with the same password.
    server.kill('SIGKILL');
    await server.exited;
    server = await startChild(dir.configPath);
    expect(await reattach(server.port, sessionId, derived)).toEqual({ timeOut: 0, closed: true });
    expect(await reattach(server.port, sessionId, passwd)).toEqual({ timeOut: 30_000, closed: false });
    const check = await open(server.port);
    await check.handshake();
    expect((await check.exists('/mine')).header.err, 'the refused attempts did not close the session').toBe(0);

    expect(statSync(join(dir.path, 'data', 'session-secret')).mode & 0o777).toBe(0o600);
  }, 40_000);
});
