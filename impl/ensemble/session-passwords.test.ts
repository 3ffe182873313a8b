// Session passwords on three members of ours (impl/server/session-password.ts):
// anyone may read a znode's ephemeralOwner, and with ZooKeeper's derivation
// (ZooKeeperServer.generatePasswd) that is enough to rebuild its session's
// password, attach to the session on any member and close it, deleting its
// ephemerals. Here the password is random and travels with the createSession
// txn, so the derived one gets ZooKeeper 3.8's answer to a wrong password
// (ConnectResponse with timeOut 0, session id 0 and zero passwd, then the
// close) on every member, while the real one moves the session to any member,
// also after every member was killed and recovered its tree from a snapshot
// and the log. One ensemble serves every case (about 15 s).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CreateFlag, ErrorCode, OpCode } from '../protocol/constants.ts';
import * as R from '../protocol/records.ts';
import { decodeRecord } from '../protocol/jute.ts';
import { RawClient } from '../server/raw-client.ts';
import { generatePasswd } from '../server/session-password.ts';
import { Ensemble, testsRunAgainst } from './cluster.ts';

const clients: RawClient[] = [];
let e: Ensemble;
let leader: number;
let home: number;
let other: number;
/** The owner's session, made on a follower, and a second one made on the leader. */
let owned: { sessionId: bigint; passwd: Uint8Array };
let atLeader: { sessionId: bigint; passwd: Uint8Array };

async function client(id: number): Promise<RawClient> {
  const c = await RawClient.open(e.member(id).clientPort);
  clients.push(c);
  return c;
}

type Attach = { readonly timeOut: number; readonly sessionId: bigint; readonly zeroPasswd: boolean; readonly closed: boolean };
const refused: Attach = { timeOut: 0, sessionId: 0n, zeroPasswd: true, closed: true };

/** Brings `sessionId` to member `id` with `passwd`: what the ConnectResponse says, whether the member then closed, and the client if it stayed. */
async function attach(id: number, sessionId: bigint, passwd: Uint8Array): Promise<{ answer: Attach; client: RawClient }> {
  const c = await client(id);
  const response = await c.handshake({ sessionId, passwd, timeOut: 30_000 });
  // Refused: the member closes at once. Accepted: a request of the session is answered.
  const closed =
    response.timeOut === 0
      ? await Promise.race([c.closed.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 2000))])
      : (await c.exists('/')).header.err !== ErrorCode.OK;
  return { answer: { timeOut: response.timeOut, sessionId: response.sessionId, zeroPasswd: response.passwd.every((b) => b === 0), closed }, client: c };
}

/** The ephemeralOwner of `path` as any client may read it (exists' Stat) on member `id`. */
async function ephemeralOwner(id: number, path: string): Promise<bigint | undefined> {
  const c = await client(id);
  await c.handshake();
  const reply = await c.exists(path);
  c.close();
  if (reply.header.err !== ErrorCode.OK) return undefined;
  const stat = decodeRecord(reply.body, R.ExistsResponse.read);
  return stat.ok ? stat.value.stat.ephemeralOwner : undefined;
}

/** Every member refuses ZooKeeper's derivation of `sessionId`'s password, and a zero one. */
async function derivationRefusedEverywhere(sessionId: bigint): Promise<void> {
  for (const id of e.ids) {
    for (const passwd of [generatePasswd(sessionId), new Uint8Array(16)]) {
      const { answer, client: c } = await attach(id, sessionId, passwd);
      c.close();
      expect(answer, `member ${id}`).toEqual(refused);
    }
  }
}

/** The session moves to each member in turn with its real password; ends attached to the last, which is returned. */
async function movesToEveryMember(session: { sessionId: bigint; passwd: Uint8Array }): Promise<RawClient> {
  let last: RawClient | undefined;
  for (const id of e.ids) {
    const { answer, client: c } = await attach(id, session.sessionId, session.passwd);
    expect(answer, `member ${id}`).toEqual({ timeOut: 30_000, sessionId: session.sessionId, zeroPasswd: false, closed: false });
    last?.close();
    last = c;
  }
  return last!;
}

describe.runIf(testsRunAgainst('ours'))('session passwords on an ensemble of ours', () => {
  beforeAll(async () => {
    // snapCount 4: every member writes snapshots while the test writes, so a restart reads one.
    e = await Ensemble.start({ kind: 'ours', size: 3, tickTimeMs: 200, initLimitTicks: 10, syncLimitTicks: 5, extraConfig: ['snapCount=4', 'maxSessionTimeout=60000'] });
    await e.waitUntilServing(e.ids, 30_000);
    leader = await e.leader();
    [home, other] = e.ids.filter((id) => id !== leader) as [number, number];
    const owner = await client(home);
    owned = await owner.handshake({ timeOut: 30_000 });
    expect((await owner.create('/owned', 'e', CreateFlag.EPHEMERAL)).header.err).toBe(ErrorCode.OK);
    const second = await client(leader);
    atLeader = await second.handshake({ timeOut: 30_000 });
    expect((await second.create('/led', 'e', CreateFlag.EPHEMERAL)).header.err).toBe(ErrorCode.OK);
    for (let i = 0; i < 8; i++) expect((await second.create(`/n${i}`, '')).header.err).toBe(ErrorCode.OK);
  }, 60_000);

  afterAll(async () => {
    for (const c of clients.splice(0)) c.close();
    await e?.stopAll();
  });

  it("refuses, on every member, the password rebuilt from a znode's ephemeralOwner; the session and its ephemeral stay", async () => {
    expect(await ephemeralOwner(other, '/owned')).toBe(owned.sessionId);
    expect(await ephemeralOwner(home, '/led')).toBe(atLeader.sessionId);
    expect(Buffer.from(owned.passwd).equals(Buffer.from(generatePasswd(owned.sessionId)))).toBe(false);
    await derivationRefusedEverywhere(owned.sessionId);
    await derivationRefusedEverywhere(atLeader.sessionId);
    // Nothing attached, so nothing could close the session: its ephemeral is on every member.
    for (const id of e.ids) expect(await ephemeralOwner(id, '/owned'), `member ${id}`).toBe(owned.sessionId);
  }, 30_000);

  it('moves a session to every member with its real password', async () => {
    (await movesToEveryMember(owned)).close();
    (await movesToEveryMember(atLeader)).close();
  }, 30_000);

  it('keeps the passwords when every member is killed and recovers from its snapshot and log', async () => {
    for (const id of e.ids) {
      const snapshots = readdirSync(join(e.member(id).dataDir, 'version-2')).filter((f) => f.startsWith('snapshot.') && !f.endsWith('.tmp'));
      expect(snapshots.length, `member ${id} has written a snapshot`).toBeGreaterThan(0);
    }
    for (const id of e.ids) await e.kill(id);
    for (const id of e.ids) e.restart(id);
    await e.waitUntilServing(e.ids, 30_000);
    await derivationRefusedEverywhere(owned.sessionId);
    const last = await movesToEveryMember(owned);
    await movesToEveryMember(atLeader);
    // The owner, attached to the last member, still owns its ephemeral, and closing its session removes it.
    expect((await last.exists('/owned')).header.err).toBe(ErrorCode.OK);
    expect((await last.request(OpCode.closeSession, undefined, undefined)).header.err).toBe(ErrorCode.OK);
    expect(await ephemeralOwner(home, '/owned')).toBeUndefined();
  }, 60_000);
});
