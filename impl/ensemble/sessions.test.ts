// Sessions across the members of an ensemble of ours, told from a client
// speaking the wire protocol directly (RawClient), so that every field the
// protocol carries (lastZxidSeen, the session id and password) is in the
// story's hands:
//
// - a client never sees an older state after moving to another member: a
//   member that has not caught up with the zxid the client has seen refuses
//   the connection, and accepts it once it has;
// - a session and its ephemeral node outlive the death of the leader: the
//   client reconnects to a survivor with its session id and password (the
//   survivor asks the new leader, REVALIDATE), the node is still on every
//   member, and closing the session removes it from every member.

import { afterEach, describe, expect, it } from 'vitest';
import { CreateFlag, ErrorCode, OpCode } from '../protocol/constants.ts';
import * as R from '../protocol/records.ts';
import { RawClient } from '../server/raw-client.ts';
import { Ensemble, testsRunAgainst } from './cluster.ts';

const ensembles: Ensemble[] = [];
const clients: RawClient[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  for (const e of ensembles.splice(0)) await e.stopAll();
});

async function client(e: Ensemble, id: number): Promise<RawClient> {
  const c = await RawClient.open(e.member(id).clientPort);
  clients.push(c);
  return c;
}

const until = async (what: string, timeoutMs: number, condition: () => Promise<boolean>) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** Whether `path` exists on member `id`, read through a fresh session there. */
async function existsOn(e: Ensemble, id: number, path: string): Promise<boolean> {
  const c = await client(e, id);
  const response = await c.handshake();
  expect(response.timeOut, `member ${id} accepts a session`).toBeGreaterThan(0);
  await c.request(OpCode.sync, R.SyncRequest, { path: '/' });
  const reply = await c.exists(path);
  c.close();
  expect([ErrorCode.OK, ErrorCode.NONODE]).toContain(reply.header.err);
  return reply.header.err === ErrorCode.OK;
}

describe.runIf(testsRunAgainst('ours'))('sessions across the members of an ensemble of ours', () => {
  it('a member behind what the client has seen refuses it (lastZxidSeen) until it has caught up', async () => {
    // A long syncLimit: the stalled follower keeps serving its old state for a while.
    const e = await Ensemble.start({ kind: 'ours', size: 3, tickTimeMs: 200, initLimitTicks: 10, syncLimitTicks: 40 });
    ensembles.push(e);
    await e.waitUntilServing(e.ids, 30_000);
    const leader = await e.leader();
    const [behind] = e.ids.filter((id) => id !== leader);
    // A session opened on the follower beforehand reads there later (a new one would need the leader).
    const reader = await client(e, behind!);
    expect((await reader.handshake()).timeOut).toBeGreaterThan(0);
    // The follower stops hearing from anyone, silently: it still thinks it follows and still serves reads.
    e.partition(behind!, 'stall');
    const writer = await client(e, leader);
    await writer.handshake();
    const created = await writer.create('/seen', 'x');
    expect(created.header.err).toBe(ErrorCode.OK);
    const seen = created.header.zxid;

    const stale = await client(e, behind!);
    const refusedAtMs = Date.now();
    await expect(stale.handshake({ lastZxidSeen: seen })).rejects.toThrow(/closed during the handshake/);
    // Refused on the spot for the zxid, not after the member lost its leader (syncLimit is 8 s here).
    expect(Date.now() - refusedAtMs).toBeLessThan(2000);
    // The member really is behind: its own client does not see the write.
    expect((await reader.exists('/seen')).header.err).toBe(ErrorCode.NONODE);

    e.heal(behind!);
    await until(`member ${behind} to catch up to 0x${seen.toString(16)}`, 20_000, async () => {
      const retry = await client(e, behind!);
      try {
        return (await retry.handshake({ lastZxidSeen: seen })).timeOut > 0;
      } catch {
        return false;
      } finally {
        retry.close();
      }
    });
    expect(await existsOn(e, behind!, '/seen')).toBe(true);
  }, 60_000);

  it("a session and its ephemeral node outlive the leader's death and go away everywhere when it closes", async () => {
    const e = await Ensemble.start({ kind: 'ours', size: 3, tickTimeMs: 200, initLimitTicks: 10, syncLimitTicks: 5 });
    ensembles.push(e);
    await e.waitUntilServing(e.ids, 30_000);
    const leader = await e.leader();
    const [home, other] = e.ids.filter((id) => id !== leader);
    const owner = await client(e, home!);
    const session = await owner.handshake({ timeOut: 8000 });
    expect((await owner.create('/owned', 'e', CreateFlag.EPHEMERAL)).header.err).toBe(ErrorCode.OK);

    await e.kill(leader);
    const next = await e.leader(30_000, [home!, other!]);
    expect([home, other]).toContain(next);
    // The client moves to the other survivor with its session: the new leader vouches for it.
    owner.close();
    const moved = await client(e, other!);
    const resumed = await moved.handshake({ sessionId: session.sessionId, passwd: session.passwd, timeOut: 8000 });
    expect(resumed.sessionId).toBe(session.sessionId);
    expect(resumed.timeOut).toBeGreaterThan(0);
    for (const id of [home!, other!]) expect(await existsOn(e, id, '/owned'), `ephemeral on member ${id}`).toBe(true);

    // Closing the session removes its ephemeral from every member, including the old leader once it is back.
    expect((await moved.request(OpCode.closeSession, undefined, undefined)).header.err).toBe(ErrorCode.OK);
    e.restart(leader);
    await e.waitUntilServing(e.ids, 30_000);
    for (const id of e.ids) expect(await existsOn(e, id, '/owned'), `ephemeral on member ${id} after close`).toBe(false);
  }, 90_000);
});
