// readonlymode.enabled on a standalone server: ZooKeeper has no read-only mode
// there (ZooKeeperServerMain never starts a ReadOnlyZooKeeperServer), so a
// client that asks for a read-only session gets an ordinary one, answered
// readOnly=false, its writes succeed and `isro` says rw. Ours does the same and
// warns that the setting has no effect. Both start with
// -Dreadonlymode.enabled=true in the JVM flags (SERVER_JVMFLAGS for ours).
// About 3 s.

import { afterEach, describe, expect, it } from 'vitest';
import { RawClient } from '../server/raw-client.ts';
import { haveApacheZooKeeper } from '../testing/apache-zookeeper.ts';
import { startApacheStandalone, type ApacheStandalone } from '../testing/apache-standalone.ts';
import { dataDirWithConfig, fourLetterWord, killChildren, startChild, type DataDir } from './test-support.ts';

const flag = '-Dreadonlymode.enabled=true';
const dirs: DataDir[] = [];
const apaches: ApacheStandalone[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  killChildren();
  for (const a of apaches.splice(0)) await a.stop();
  for (const d of dirs.splice(0)) d.remove();
});

/** What a read-only client sees on a standalone server at `port`. */
async function observe(port: number) {
  const client = await RawClient.open(port);
  clients.push(client);
  const response = await client.handshake({ timeOut: 6000, readOnly: true });
  const create = await client.create('/w', 'v');
  const srvr = await fourLetterWord(port, 'srvr');
  return { readOnly: response.readOnly, createErr: create.header.err, isro: await fourLetterWord(port, 'isro'), mode: /\nMode: (.*)\n/.exec(srvr)?.[1] };
}

const expected = { readOnly: false, createErr: 0, isro: 'rw', mode: 'standalone' };

describe('readonlymode.enabled on a standalone server', () => {
  it('ours serves a read-only client read-write and warns that the setting has no effect', async () => {
    const dir = dataDirWithConfig(['4lw.commands.whitelist=srvr']);
    dirs.push(dir);
    const server = await startChild(dir.configPath, 30_000, { SERVER_JVMFLAGS: flag });
    expect(await observe(server.port)).toEqual(expected);
    expect(server.logs.some((l) => JSON.stringify(l).includes('readonlymode.enabled=true has no effect on a standalone server'))).toBe(true);
  });

  it.runIf(haveApacheZooKeeper())('Apache ZooKeeper 3.8 does the same', async () => {
    const apache = await startApacheStandalone({ serverJvmFlags: [flag] });
    apaches.push(apache);
    expect(await observe(apache.port)).toEqual(expected);
  });
});
