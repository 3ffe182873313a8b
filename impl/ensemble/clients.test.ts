// Real clients against every member of a three-member ensemble:
// node-zookeeper-client (npm) and Apache ZooKeeper's zkCli.sh. What one
// member is told, every member serves; a client whose member dies moves its
// session to another member and keeps its ephemeral znode. Runs against Apache
// ZooKeeper 3.8 where installed and against ours (ZKSPEC_ENSEMBLE_OURS=0 turns
// that off; cluster.ts, testsRunAgainst).

import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { Ensemble, fourLetterWord, testsRunAgainst, type ServerKind } from './cluster.ts';
import { call, connectClient as connect, zookeeper, type ZkClient } from '../testing/zk-client.ts';
import { runZkCli, zkCli } from '../testing/zkcli.ts';

const ensembles: Ensemble[] = [];
const clients: ZkClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const e of ensembles.splice(0)) await e.stopAll();
});

/** A connected client, closed after the test. */
async function connectClient(connectString: string, sessionTimeoutMs = 6000): Promise<ZkClient> {
  const client = await connect(connectString, sessionTimeoutMs, 15_000);
  clients.push(client);
  return client;
}

async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last error: ${String(lastError)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function startEnsemble(kind: ServerKind): Promise<Ensemble> {
  const e = await Ensemble.start({ kind, size: 3, tickTimeMs: 200 });
  ensembles.push(e);
  await e.waitUntilServing(e.ids, 30_000);
  await e.leader(20_000);
  return e;
}

for (const kind of ['zookeeper', 'ours'] as const) {
  describe.runIf(testsRunAgainst(kind))(`clients against every member of a three-member ${kind} ensemble`, () => {
    it('node-zookeeper-client: a znode created through any member is served by every member; a session outlives its member', async () => {
      const e = await startEnsemble(kind);
      for (const id of e.ids) {
        const c = await connectClient(e.connectString([id]));
        if (id === 1) expect(await call(c, 'create', '/clients', Buffer.from('shared'))).toBe('/clients');
        else await eventually('/clients on member ' + id, 5_000, async () => ((await call(c, 'exists', '/clients')) === null ? undefined : true));
        expect(await call(c, 'create', `/clients/nzc-${id}`, Buffer.from(`from member ${id}`))).toBe(`/clients/nzc-${id}`);
      }
      for (const id of e.ids) {
        const c = await connectClient(e.connectString([id]));
        const children = await eventually(`three children on member ${id}`, 5_000, async () => {
          const [names] = await call<[string[]]>(c, 'getChildren', '/clients');
          return names.length === 3 ? names.sort() : undefined;
        });
        expect(children).toEqual(['nzc-1', 'nzc-2', 'nzc-3']);
        for (const other of e.ids) {
          const [data] = await call<[Buffer]>(c, 'getData', `/clients/nzc-${other}`);
          expect(data.toString()).toBe(`from member ${other}`);
        }
      }

      // One client with every member in its connect string, holding an ephemeral znode.
      const mover = await connectClient(e.connectString(), 6000);
      expect(await call(mover, 'create', '/clients/lock', Buffer.from('held'), zookeeper.CreateMode.EPHEMERAL)).toBe('/clients/lock');
      const sid = `sid=0x${mover.getSessionId().toString('hex').replace(/^0+/, '')}`;
      const home = await eventually('the member holding the session', 5_000, async () => {
        for (const id of e.ids) if ((await fourLetterWord(e.member(id).clientPort, 'cons')).includes(sid)) return id;
        return undefined;
      });
      await e.kill(home);
      // Its session moves to a surviving member: the ephemeral stays, and the client writes again.
      await eventually('the moved session to write', 15_000, async () => call(mover, 'setData', '/clients/lock', Buffer.from('still held'), -1));
      const [lockData] = await call<[Buffer]>(mover, 'getData', '/clients/lock');
      expect(lockData.toString()).toBe('still held');
      const survivor = e.ids.find((id) => id !== home)!;
      const observer = await connectClient(e.connectString([survivor]));
      expect(await call(observer, 'exists', '/clients/lock')).not.toBeNull();
    }, 60_000);

    it.runIf(existsSync(zkCli))('zkCli.sh: creates through each member, and each member lists and reads what the others were told', async () => {
      const e = await startEnsemble(kind);
      const server = (id: number) => `127.0.0.1:${e.member(id).clientPort}`;
      const first = await runZkCli(server(1), ['create /cli root', 'create /cli/m1 one'], 30_000);
      expect(first).toContain('Created /cli\n');
      expect(first).toContain('Created /cli/m1\n');
      const second = await runZkCli(server(2), ['sync /cli', 'create /cli/m2 two', 'get /cli/m1'], 30_000);
      expect(second).toContain('Created /cli/m2\n');
      expect(second).toMatch(/^one$/m);
      const third = await runZkCli(server(3), ['sync /cli', 'create /cli/m3 three', 'ls /cli', 'get /cli/m2'], 30_000);
      expect(third).toContain('Created /cli/m3\n');
      expect(third).toContain('[m1, m2, m3]\n');
      expect(third).toMatch(/^two$/m);
      // The whole ensemble in one connect string, as operators write it.
      const all = await runZkCli(e.connectString(), ['sync /cli', 'ls /cli', 'get /cli/m3', 'delete /cli/m1', 'ls /cli'], 30_000);
      expect(all).toContain('[m1, m2, m3]\n');
      expect(all).toMatch(/^three$/m);
      expect(all).toContain('[m2, m3]\n');
      expect(all).not.toContain('Node does not exist');
    }, 90_000);
  });
}
