// ServerCore as an ensemble member: one leader core and two learner cores wired
// in-process by a tiny fake runner. A learner's forward goes straight into the
// leader's submitForwarded; the leader's persist stands for "a quorum has
// acked": it hands the batch to every learner's applyCommitted, in order (the
// COMMITs), then resolves. `hold()` keeps batches uncommitted until
// `release()`, to show what waits for a commit. Clients speak the wire
// protocol through in-memory sinks.

import { describe, expect, it } from 'vitest';
import { ErrorCode, EventType, OpCode } from '../protocol/constants.ts';
import { decodeRecord, encodeRecord, JuteWriter } from '../protocol/jute.ts';
import * as R from '../protocol/records.ts';
import { serializeTree } from '../tree/snapshot.ts';
import type { Txn } from '../tree/txn.ts';
import { ServerCore, type ForwardedRequest, type LogFields, type LogLevel } from './core.ts';
import { MemoryClient as Client } from './memory-client.ts';
import { seededRandom } from '../../lib/random.ts';
import { generatePasswd } from './session-password.ts';

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (s: string) => new TextEncoder().encode(s);
const epoch = 5n;
const firstZxid = (epoch << 32n) | 1n;
/** The n-th txn of the epoch. */
const zxid = (n: number) => (epoch << 32n) | BigInt(n);

/** One leader and two learners with a fake runner between them. */
class Ensemble {
  readonly clock = { nowMs: 1_000_000 };
  readonly logs: { server: string; level: LogLevel; event: string; fields: LogFields }[] = [];
  readonly leader: ServerCore;
  readonly learners: ServerCore[];
  /** Every committed txn, in commit order. */
  readonly committed: Txn[] = [];
  readonly forwarded: ForwardedRequest[] = [];
  private lastCommittedZxid = 0n;
  private readonly pendingSyncs: { afterZxid: bigint; learner: ServerCore }[] = [];
  private holding = false;
  private readonly held: { txns: readonly Txn[]; resolve: () => void }[] = [];

  private lastProposedZxid = 0n;

  /**
   * `syncAfter`: which txn a forwarded sync's SYNC follows: the leader core's
   * last prepped one (lastPreppedZxid), or the last one handed to persist,
   * i.e. proposed (a runner that reads its proposal history); txns prepped
   * while a persist is in flight are proposed only with the next batch.
   * `revalidate`: the learners ask the leader about reconnecting sessions.
   */
  constructor(options: { readonly syncAfter?: 'prepped' | 'proposed'; readonly revalidate?: boolean } = {}) {
    const syncAfter = options.syncAfter ?? 'prepped';
    const now = () => this.clock.nowMs;
    const log = (server: string) => (level: LogLevel, event: string, fields: LogFields = {}) => this.logs.push({ server, level, event, fields });
    this.leader = new ServerCore({
      now,
      elapsedNow: now,
      tickTimeMs: 1000,
      serverId: 1,
      log: log('leader'),
      replication: { role: 'leader', firstZxid },
      persist: (txns) => {
        this.lastProposedZxid = txns.at(-1)!.zxid;
        if (!this.holding) {
          this.commit(txns);
          return Promise.resolve();
        }
        return new Promise<void>((resolve) => this.held.push({ txns, resolve }));
      },
    });
    this.learners = [2, 3].map(
      (serverId) =>
        new ServerCore({
          now,
          elapsedNow: now,
          tickTimeMs: 1000,
          serverId,
          log: log(`learner ${serverId}`),
          replication: {
            role: 'learner',
            learnerType: serverId === 3 ? 'observer' : 'follower',
            // The REVALIDATE round trip: the answer comes back later, as over the quorum port.
            ...(options.revalidate === true ? { revalidate: (sessionId: bigint, timeoutMs: number, passwd: Uint8Array) => Promise.resolve().then(() => this.leader.revalidateSession(sessionId, timeoutMs, passwd)) } : {}),
            forward: (request) => {
              this.forwarded.push(request);
              if (request.type !== OpCode.sync) {
                this.leader.submitForwarded(request);
                return;
              }
              // Leader.processSync: a SYNC right after the COMMIT of the last txn prepped, or now.
              const learner = this.learners[serverId - 2]!;
              const afterZxid = syncAfter === 'prepped' ? this.leader.lastPreppedZxid : this.lastProposedZxid;
              if (afterZxid <= this.lastCommittedZxid) learner.leaderSynced();
              else this.pendingSyncs.push({ afterZxid, learner });
            },
          },
        }),
    );
  }

  get a(): ServerCore {
    return this.learners[0]!;
  }

  get b(): ServerCore {
    return this.learners[1]!;
  }

  /** The COMMITs: every learner applies the batch, in order, before the leader's persist resolves; the SYNCs go out between them. */
  private commit(txns: readonly Txn[]): void {
    for (const txn of txns) {
      this.committed.push(txn);
      for (const learner of this.learners) learner.applyCommitted(txn);
      this.lastCommittedZxid = txn.zxid;
      while (this.pendingSyncs.length > 0 && this.pendingSyncs[0]!.afterZxid <= txn.zxid) this.pendingSyncs.shift()!.learner.leaderSynced();
    }
  }

  hold(): void {
    this.holding = true;
  }

  async release(): Promise<void> {
    this.holding = false;
    for (const { txns, resolve } of this.held.splice(0)) {
      this.commit(txns);
      resolve();
    }
    await settle();
  }

  /** A learner's PING: the leader touches the sessions the learner reports. */
  ping(): void {
    for (const learner of this.learners) this.leader.touchSessions(learner.drainSessionTouches());
  }
}

/** Lets persist's promises and the flushes they start run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A client connected (session committed) to `core`. */
async function connected(core: ServerCore, timeOut = 10_000): Promise<Client> {
  const client = new Client(core);
  client.connect(timeOut);
  await settle();
  expect(client.kinds).toEqual(['connect']);
  return client;
}

describe('ServerCore in an ensemble (LeaderZooKeeperServer, FollowerZooKeeperServer, ObserverZooKeeperServer)', () => {
  it('a create through one learner is answered once committed and is then read on the other learner', async () => {
    const e = new Ensemble();
    const alice = new Client(e.a);
    alice.connect(10_000);
    // The learner chose the session id (its server id in the top byte) and the password, and forwarded the createSession.
    expect(e.forwarded.map((f) => [f.type, f.sessionId >> 56n, [...f.body.subarray(0, 4)], f.body.byteLength])).toEqual([[OpCode.createSession, 2n, [0, 0, 0x27, 0x10], 20]]);
    expect(alice.kinds).toEqual([]); // not committed yet
    await settle();
    expect(alice.session.timeOut).toBe(10_000);
    expect(alice.session.sessionId >> 56n).toBe(2n);
    expect(e.leader.tree.sessions.get(alice.session.sessionId)).toBe(10_000);
    // The password the learner gave the client is the one the leader logged, and what every member's tree keeps.
    expect(Buffer.from(e.forwarded[0]!.body.subarray(4)).equals(Buffer.from(alice.session.passwd))).toBe(true);
    for (const core of [e.leader, e.a, e.b]) expect(Buffer.from(core.tree.sessionPasswords.get(alice.session.sessionId)!).equals(Buffer.from(alice.session.passwd))).toBe(true);

    alice.create(1, '/config', 'v1');
    expect(e.a.tree.getNode('/config')).toBeUndefined(); // a learner's tree holds committed txns only
    expect(alice.replies).toEqual([]);
    await settle();
    expect(alice.answers).toEqual([[1, zxid(2), 0]]);

    const bob = await connected(e.b);
    bob.getData(1, '/config');
    expect(bob.answers).toEqual([[1, zxid(3), 0]]); // zxid 3: bob's own createSession
    expect(bob.dataOf(1)).toBe('v1');
    expect(e.committed.map((t) => [t.zxid, t.body.type])).toEqual([
      [zxid(1), 'createSession'],
      [zxid(2), 'create'],
      [zxid(3), 'createSession'],
    ]);
    expect([e.leader.serverState, e.a.serverState, e.b.serverState]).toEqual(['leader', 'follower', 'observer']);
    expect(e.a.stats().serverState).toBe('follower');
    expect(new ServerCore().stats().serverState).toBe('standalone');
  });

  it("reads its own writes on a learner while the commit is held; another session's read is answered from the committed tree", async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    const carol = await connected(e.a);
    alice.create(1, '/x', 'old');
    await settle();

    e.hold();
    alice.setData(2, '/x', 'new'); // forwarded, not committed
    alice.getData(3, '/x'); // behind alice's own write: waits for it
    alice.send(4, OpCode.ping);
    carol.getData(1, '/x'); // nothing of carol's pending: answered now, from the committed tree
    await settle();
    expect(alice.answers).toEqual([[1, zxid(3), 0]]);
    expect(carol.answers).toEqual([[1, zxid(3), 0]]);
    expect(carol.dataOf(1)).toBe('old');

    await e.release();
    expect(alice.answers).toEqual([
      [1, zxid(3), 0],
      [2, zxid(4), 0],
      [3, zxid(4), 0],
      [-2, zxid(4), 0], // the ping reply keeps its place in the FIFO
    ]);
    expect(alice.dataOf(3)).toBe('new');
    expect(e.a.isIdle).toBe(true);
  });

  it('fires a watch on a learner for a write through the other learner, before the reply that shows it', async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    const bob = await connected(e.b);
    alice.create(1, '/lock');
    await settle();
    bob.getData(1, '/lock', true);
    bob.send(2, OpCode.getChildren, R.GetChildrenRequest, { path: '/', watch: true });

    e.hold();
    alice.setData(2, '/lock', 'taken');
    await settle();
    expect(bob.kinds).toEqual(['connect', 'reply', 'reply']); // nothing committed, nothing fired
    await e.release();
    bob.getData(3, '/lock');
    expect(bob.seen.slice(3)).toEqual([{ kind: 'event', event: { type: EventType.NodeDataChanged, state: 3, path: '/lock' } }, expect.objectContaining({ kind: 'reply' })]);
    expect(bob.dataOf(3)).toBe('taken');

    // A write of the leader's own client fires it too.
    const dave = await connected(e.leader);
    dave.create(1, '/leader-made');
    await settle();
    expect(bob.seen.at(-1)).toEqual({ kind: 'event', event: { type: EventType.NodeChildrenChanged, state: 3, path: '/' } });
  });

  it("removes a learner session's ephemeral everywhere when the leader expires it, and the learner closes its connection; touches keep a session alive", async () => {
    const e = new Ensemble();
    const alice = await connected(e.a, 4000); // expires if silent at the leader for 4 s
    const bob = await connected(e.b, 4000);
    alice.create(1, '/alice', '', 1); // ephemeral
    await settle();
    bob.send(1, OpCode.exists, R.ExistsRequest, { path: '/alice', watch: true });
    expect(e.a.tree.getNode('/alice')?.stat.ephemeralOwner).toBe(alice.session.sessionId);

    // Bob keeps talking to his learner, which reports him at each PING; Alice goes silent.
    for (let t = 1; t <= 8; t++) {
      e.clock.nowMs += 1000;
      bob.send(10 + t, OpCode.ping);
      e.ping();
      e.leader.tick();
      e.a.tick(); // a learner never expires anything itself
      e.b.tick();
      await settle();
    }
    const closes = e.committed.filter((t) => t.body.type === 'closeSession');
    expect(closes.map((t) => [t.sessionId, t.cxid, t.body])).toEqual([[alice.session.sessionId, 0, { type: 'closeSession', paths2Delete: ['/alice'] }]]);
    for (const core of [e.leader, e.a, e.b]) {
      expect(core.tree.getNode('/alice')).toBeUndefined();
      expect(core.tree.sessions.has(alice.session.sessionId)).toBe(false);
      expect(core.tree.sessions.has(bob.session.sessionId)).toBe(true);
    }
    expect(alice.seen.at(-1)).toEqual({ kind: 'closed', reason: 'session expired' });
    expect(bob.seen.find((s) => s.kind === 'event')).toEqual({ kind: 'event', event: { type: EventType.NodeDeleted, state: 3, path: '/alice' } });
    expect(e.a.stats().sessionCount).toBe(0);
  });

  it('moves a session created through one learner to the other, which finds it in the committed tree; a wrong password or a newer zxid is refused', async () => {
    const e = new Ensemble();
    const first = await connected(e.a);
    first.create(1, '/eph', 'mine', 1);
    await settle();
    // The client gives up on its connection; the first learner does not know yet.

    const { sessionId, passwd } = first.session;
    const moved = new Client(e.b);
    moved.connect(10_000, { sessionId, passwd });
    expect(moved.session.sessionId).toBe(sessionId); // answered at once: no txn for a reconnect
    expect(e.b.drainSessionTouches()).toEqual([{ sessionId, timeoutMs: 10_000 }]);
    expect(e.b.drainSessionTouches()).toEqual([]);
    moved.send(2, OpCode.getEphemerals, R.GetEphemeralsRequest, { prefixPath: '/' });
    const ephemerals = decodeRecord(moved.replies[0]!.body, R.GetEphemeralsResponse.read);
    expect(ephemerals.ok && ephemerals.value.ephemerals).toEqual(['/eph']);

    const impostor = new Client(e.b);
    impostor.connect(10_000, { sessionId, passwd: new Uint8Array(16) });
    expect(impostor.session.sessionId).toBe(0n);
    expect(impostor.seen.at(-1)).toEqual({ kind: 'closed', reason: 'invalid session' });

    // A client that saw a zxid this learner has not applied yet is sent elsewhere.
    const ahead = new Client(e.b);
    ahead.connect(10_000, { sessionId, passwd }, e.b.tree.lastProcessedZxid + 1n);
    expect(ahead.kinds).toEqual(['closed']);

    // Closing it through the second learner: the reply, then the close; the ephemeral is gone everywhere.
    moved.send(3, OpCode.closeSession);
    expect(moved.kinds).toEqual(['connect', 'reply']);
    await settle();
    expect(moved.answers.at(-1)).toEqual([3, zxid(3), 0]);
    expect(moved.seen.at(-1)).toEqual({ kind: 'closed', reason: 'client closed the session' });
    expect(first.seen.at(-1)).toEqual({ kind: 'closed', reason: 'session closed through another server' });
    expect(e.a.tree.getNode('/eph')).toBeUndefined();
    expect(e.leader.sessions()).toEqual([]);
  });

  it("closes the leader's stale connection of a session its client closed through a learner, and revalidates only live sessions", async () => {
    const e = new Ensemble();
    const atLeader = await connected(e.leader);
    const { sessionId, passwd } = atLeader.session;
    expect(sessionId >> 56n).toBe(1n);
    expect(e.leader.revalidateSession(sessionId, 10_000)).toBe(true);
    expect(e.leader.revalidateSession(sessionId + 1n, 10_000)).toBe(false);

    const atLearner = new Client(e.a);
    atLearner.connect(10_000, { sessionId, passwd });
    atLearner.send(1, OpCode.closeSession);
    await settle();
    expect(atLearner.kinds).toEqual(['connect', 'reply', 'closed']);
    expect(atLeader.seen.at(-1)).toEqual({ kind: 'closed', reason: 'session closed through another server' });
    expect(e.leader.revalidateSession(sessionId, 10_000)).toBe(false);
  });

  it("checks a password at the leader when a learner's tree does not know the session yet (REVALIDATE carries it); ZooKeeper's derivation and a wrong password are refused", async () => {
    const e = new Ensemble({ revalidate: true });
    e.hold(); // the leader has prepped the createSession; no learner has it yet
    const owner = new Client(e.leader);
    owner.connect(10_000);
    await settle();
    const [sessionId, passwd] = [...e.leader.tree.sessionPasswords][0]!;
    expect(e.a.tree.sessions.has(sessionId)).toBe(false);
    for (const wrong of [generatePasswd(sessionId), new Uint8Array(16)]) {
      const impostor = new Client(e.a);
      impostor.connect(10_000, { sessionId, passwd: wrong });
      await settle();
      expect(impostor.session.sessionId).toBe(0n);
      expect(impostor.seen.at(-1)).toEqual({ kind: 'closed', reason: 'invalid session' });
    }
    const moved = new Client(e.a);
    moved.connect(10_000, { sessionId, passwd });
    await settle();
    expect(moved.session.sessionId).toBe(sessionId);
    expect(Buffer.from(moved.session.passwd).equals(Buffer.from(passwd))).toBe(true);
    expect(e.leader.revalidateSession(sessionId, 10_000, generatePasswd(sessionId))).toBe(false);
    expect(e.logs.filter((l) => l.event === 'incorrect-password').map((l) => l.server)).toEqual(['leader', 'leader', 'leader']);
    await e.release();
    // Committed now: the learner's own tree refuses a wrong password without asking.
    const late = new Client(e.b);
    late.connect(10_000, { sessionId, passwd: generatePasswd(sessionId) });
    expect(late.seen.at(-1)).toEqual({ kind: 'closed', reason: 'invalid session' });
    expect(e.logs.filter((l) => l.event === 'incorrect-password').map((l) => l.server)).toEqual(['leader', 'leader', 'leader', 'learner 3']);
  });

  it('asks the leader about a session brought back to a learner (REVALIDATE): touched there, and the requests sent meanwhile wait for the answer', async () => {
    const e = new Ensemble({ revalidate: true });
    const alice = await connected(e.a, 4000);
    e.clock.nowMs += 3000;
    const moved = new Client(e.b);
    moved.connect(10_000, alice.session);
    moved.getData(1, '/');
    expect(moved.kinds).toEqual([]);
    await settle();
    expect(moved.kinds).toEqual(['connect', 'reply']);
    expect(moved.session.sessionId).toBe(alice.session.sessionId);
    // Touched at the leader with the new timeout: round(1,003,000 + 10,000) to the next tick.
    expect(e.leader.sessionExpiries()).toEqual([{ sessionId: alice.session.sessionId, expiresAtMs: 1_014_000 }]);

    // A client that goes away before the answer: the answer is dropped, and the session stays with the connection it has.
    const gone = new Client(e.a);
    gone.connect(10_000, alice.session);
    gone.getData(1, '/');
    e.a.connectionClosed(gone.id);
    await settle();
    expect(gone.kinds).toEqual([]);
    moved.getData(2, '/');
    expect(moved.answers.map(([xid]) => xid)).toEqual([1, 2]);
  });

  for (const revalidate of [true, false]) {
    it(`${revalidate ? 'refuses' : 'lets in, then closes,'} a session the leader has begun to expire when it is brought to a learner ${revalidate ? 'with' : 'without'} REVALIDATE`, async () => {
      const e = new Ensemble({ revalidate });
      const carol = await connected(e.a, 4000); // expires at the leader at 1,005,000
      e.hold();
      e.clock.nowMs = 1_005_000;
      e.leader.tick(); // closeSession prepped, its commit held
      const back = new Client(e.b);
      back.connect(4000, carol.session);
      await settle();
      if (revalidate) {
        expect(back.session.sessionId).toBe(0n);
        expect(back.kinds).toEqual(['connect', 'closed']);
      } else {
        expect(back.session.sessionId).toBe(carol.session.sessionId);
        expect(back.kinds).toEqual(['connect']);
      }
      await e.release();
      expect(back.seen.at(-1)).toEqual({ kind: 'closed', reason: revalidate ? 'invalid session' : 'session expired' });
      expect(carol.seen.at(-1)).toEqual({ kind: 'closed', reason: 'session expired' });
    });
  }

  it('answers a sync on a learner once the leader has synced it, after the commits proposed before it', async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    const bob = await connected(e.b);
    e.hold();
    alice.create(1, '/fresh');
    bob.send(1, OpCode.sync, R.SyncRequest, { path: '/fresh' });
    bob.getData(2, '/fresh'); // behind the sync
    await settle();
    expect(bob.replies).toEqual([]);
    await e.release();
    expect(bob.answers).toEqual([
      [1, zxid(3), 0],
      [2, zxid(3), 0],
    ]);
    const sync = decodeRecord(bob.replies[0]!.body, R.SyncResponse.read);
    expect(sync.ok && sync.value.path).toBe('/fresh');
    // With nothing pending the leader syncs at once.
    bob.send(3, OpCode.sync, R.SyncRequest, { path: '/' });
    expect(bob.answers.at(-1)).toEqual([3, zxid(3), 0]);
  });

  it('answers forwarded writes that fail with the error the leader prepped (NODEEXISTS, BADVERSION), each taking a zxid', async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    alice.create(1, '/dup');
    alice.create(2, '/dup');
    alice.setData(3, '/dup', 'x', 7);
    alice.send(4, OpCode.delete, R.DeleteRequest, { path: '/nowhere', version: -1 });
    await settle();
    expect(alice.answers).toEqual([
      [1, zxid(2), 0],
      [2, zxid(3), ErrorCode.NODEEXISTS],
      [3, zxid(4), ErrorCode.BADVERSION],
      [4, zxid(5), ErrorCode.NONODE],
    ]);
    expect(e.committed.slice(2).map((t) => t.body)).toEqual([
      { type: 'error', err: ErrorCode.NODEEXISTS },
      { type: 'error', err: ErrorCode.BADVERSION },
      { type: 'error', err: ErrorCode.NONODE },
    ]);
  });

  it('survives malformed forwarded requests: bad bodies become error txns, the rest is logged and dropped', async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    const sessionId = alice.session.sessionId;
    const garbage = { sessionId, cxid: 50, type: OpCode.create, body: new Uint8Array([0xff, 0xff, 0xff, 0x7f]), authIds: [] };
    e.leader.submitForwarded(garbage); // MarshallingError txn
    e.leader.submitForwarded({ ...garbage, cxid: 51, type: 9999 }); // no such type
    e.leader.submitForwarded({ ...garbage, cxid: 52, type: OpCode.getData }); // a read: learners answer those
    e.leader.submitForwarded({ ...garbage, cxid: 0, type: OpCode.createSession, sessionId: 77n, body: new Uint8Array(2) }); // short body
    e.leader.submitForwarded({ ...garbage, cxid: 53, type: OpCode.sync }); // the runner's to answer, not the core's
    e.leader.submitForwarded({ ...garbage, cxid: 54, sessionId: 0x0200_dead_0000_0001n, type: OpCode.create, body: encodeRecord({ path: '/ghost', data: bytes(''), acl, flags: 1 }, R.CreateRequest.write) });
    await settle();
    expect(e.committed.slice(1).map((t) => [t.zxid, t.cxid, t.body])).toEqual([
      [zxid(2), 50, { type: 'error', err: ErrorCode.MARSHALLINGERROR }],
      // A write of a session the leader does not know cannot leave an ephemeral behind.
      [zxid(3), 54, { type: 'error', err: ErrorCode.SESSIONEXPIRED }],
    ]);
    expect(e.logs.filter((l) => l.server === 'leader' && l.level === 'warn').map((l) => [l.event, l.fields['op'], l.fields['type'], l.fields['cxid']])).toEqual([
      ['forwarded-request-ignored', 'unknown(9999)', 9999, 51],
      ['forwarded-request-ignored', 'getData', 4, 52],
      ['forwarded-request-ignored', 'createSession', -10, 0],
      ['forwarded-request-ignored', 'sync', 9, 53],
    ]);
    // The ensemble still serves.
    alice.create(1, '/still-here');
    await settle();
    expect(alice.answers).toEqual([[1, zxid(4), 0]]);
    expect(e.b.tree.getNode('/still-here')).toBeDefined();
  });

  it('takes 2,000 random and mutated forwarded requests without throwing, with contiguous zxids and learners equal to the leader (seeded)', async () => {
    const seed = 20261122;
    const random = seededRandom(seed);
    const e = new Ensemble();
    const alice = await connected(e.a);
    const valid = [
      { type: OpCode.create, body: encodeRecord({ path: '/f', data: bytes('x'), acl, flags: 1 }, R.CreateRequest.write) },
      { type: OpCode.setData, body: encodeRecord({ path: '/f', data: bytes('y'), version: -1 }, R.SetDataRequest.write) },
      { type: OpCode.delete, body: encodeRecord({ path: '/f', version: -1 }, R.DeleteRequest.write) },
      { type: OpCode.multi, body: encodeRecord([{ type: OpCode.create, request: { path: '/m', data: bytes(''), acl, flags: 0 } }], R.MultiRequest.write) },
      { type: OpCode.createSession, body: new Uint8Array([0, 0, 0x27, 0x10]) },
      { type: OpCode.closeSession, body: new Uint8Array(0) },
    ];
    const types = [...valid.map((v) => v.type), OpCode.createTTL, OpCode.createContainer, OpCode.setACL, OpCode.check, OpCode.reconfig, OpCode.sync, OpCode.getData, OpCode.ping, 77, -1];
    for (let i = 0; i < 2000; i++) {
      const base = valid[Math.floor(random() * valid.length)]!;
      const body = base.body.slice(0, random() < 0.3 ? Math.floor(random() * (base.body.length + 1)) : base.body.length);
      for (let flips = Math.floor(random() * 3); flips > 0 && body.length > 0; flips--) body[Math.floor(random() * body.length)] = Math.floor(random() * 256);
      const type = random() < 0.7 ? base.type : types[Math.floor(random() * types.length)]!;
      const sessionId = random() < 0.5 ? alice.session.sessionId : BigInt(Math.floor(random() * 8)) | (3n << 56n);
      expect(() => e.leader.submitForwarded({ sessionId, cxid: 1000 + i, type, body, authIds: [] }), `seed ${seed}, request ${i}`).not.toThrow();
      if (i % 100 === 0) await settle();
    }
    await settle();
    const zxids = e.committed.map((t) => t.zxid);
    expect(zxids, `seed ${seed}`).toEqual(zxids.map((_, i) => zxid(i + 1)));
    expect(zxids.length, `seed ${seed}`).toBeGreaterThan(1000);
    // Nothing reached the catch-all: every bad input was a case prep and decode know.
    expect(e.logs.filter((l) => l.level === 'error'), `seed ${seed}`).toEqual([]);
    for (const learner of e.learners) expect(Buffer.from(serializeTree(learner.tree)).equals(Buffer.from(serializeTree(e.leader.tree))), `seed ${seed}`).toBe(true);
  });

  it('takes zxids from the epoch, answers a malformed body sent to a learner as the leader prepped it, and keeps a stopped learner\'s tree in step', async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    const w = new JuteWriter();
    R.RequestHeader.write(w, { xid: 1, type: OpCode.setData });
    w.writeInt(3); // a truncated SetDataRequest
    e.a.receiveFrame(alice.id, w.toBytes());
    await settle();
    expect(alice.answers).toEqual([[1, zxid(2), ErrorCode.MARSHALLINGERROR]]);
    expect(e.committed.map((t) => t.zxid)).toEqual([firstZxid, zxid(2)]);
    expect([e.leader.lastDurableZxid, e.a.lastDurableZxid, e.b.tree.lastProcessedZxid]).toEqual([zxid(2), zxid(2), zxid(2)]);

    // A stopped learner core (its server is between roles) still keeps its tree in step with the commits.
    e.b.stop();
    alice.create(2, '/after-stop');
    await settle();
    expect(e.b.tree.getNode('/after-stop')).toBeDefined();
    expect(e.b.tree.lastProcessedZxid).toBe(zxid(3));
  });

  it('answers 3,000 pipelined writes and reads of one learner client in order, with reads seeing the writes before them', async () => {
    const e = new Ensemble();
    const alice = await connected(e.a);
    e.hold();
    for (let i = 1; i <= 3000; i += 2) {
      alice.create(i, `/n${i}`, `v${i}`);
      alice.getData(i + 1, `/n${i}`);
    }
    await settle();
    expect(alice.replies).toEqual([]);
    await e.release();
    expect(alice.replies.map((r) => r.header.xid)).toEqual(Array.from({ length: 3000 }, (_, i) => i + 1));
    expect(alice.replies.every((r) => r.header.err === 0)).toBe(true);
    expect(alice.dataOf(3000)).toBe('v2999');
    expect(e.a.isIdle).toBe(true);
  });

  it('keeps every replica equal and every client\'s replies in xid order with non-decreasing zxids, under random requests and held commits (seeded)', async () => {
    for (const [seed, syncAfter] of [[1, 'prepped'], [2, 'prepped'], [3, 'prepped'], [4, 'proposed'], [5, 'proposed'], [6, 'proposed']] as const) {
      const random = seededRandom(seed);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const e = new Ensemble({ syncAfter });
      const clients: Client[] = [];
      for (const core of [e.leader, e.a, e.b]) for (let i = 0; i < 2; i++) clients.push(await connected(core));
      const sent = new Map<Client, number[]>(clients.map((c) => [c, []]));
      const nextXid = new Map<Client, number>(clients.map((c) => [c, 1]));
      const ops = new Map<Client, string[]>(clients.map((c) => [c, []]));
      const paths = ['/p0', '/p1', '/p2', '/p0/c', '/p1/c'];
      for (let step = 0; step < 300; step++) {
        const client = pick(clients);
        const xid = nextXid.get(client)!;
        nextXid.set(client, xid + 1);
        sent.get(client)!.push(xid);
        const path = pick(paths);
        const op = pick(['create', 'createEphemeral', 'setData', 'delete', 'getData', 'exists', 'children', 'sync', 'multi'] as const);
        ops.get(client)!.push(op);
        switch (op) {
          case 'create':
            client.create(xid, path, `c${step}`);
            break;
          case 'createEphemeral':
            client.create(xid, path, `e${step}`, 1);
            break;
          case 'setData':
            client.setData(xid, path, `s${step}`, pick([-1, 0, 1]));
            break;
          case 'delete':
            client.send(xid, OpCode.delete, R.DeleteRequest, { path, version: -1 });
            break;
          case 'getData':
            client.getData(xid, path, random() < 0.5);
            break;
          case 'exists':
            client.send(xid, OpCode.exists, R.ExistsRequest, { path, watch: random() < 0.5 });
            break;
          case 'children':
            client.send(xid, OpCode.getChildren, R.GetChildrenRequest, { path: '/', watch: random() < 0.5 });
            break;
          case 'sync':
            client.send(xid, OpCode.sync, R.SyncRequest, { path });
            break;
          case 'multi':
            client.send(xid, OpCode.multi, R.MultiRequest, [
              { type: OpCode.create, request: { path: pick(paths), data: bytes('m'), acl, flags: 0 } },
              { type: OpCode.setData, request: { path: pick(paths), data: bytes('m'), version: -1 } },
            ]);
            break;
        }
        const dice = random();
        if (dice < 0.05) e.hold();
        else if (dice < 0.1) await e.release();
        else if (dice < 0.2) await settle();
      }
      await e.release();
      await settle();
      const context = `seed ${seed} (SYNC after the last ${syncAfter} txn)`;
      const leaderTree = serializeTree(e.leader.tree);
      for (const learner of e.learners) {
        expect(learner.tree.lastProcessedZxid, context).toBe(e.leader.tree.lastProcessedZxid);
        expect(Buffer.from(serializeTree(learner.tree)).equals(Buffer.from(leaderTree)), context).toBe(true);
        expect(learner.isIdle, context).toBe(true);
      }
      for (const client of clients) {
        expect(client.replies.map((r) => r.header.xid), context).toEqual(sent.get(client));
        const zxids = client.replies.map((r) => r.header.zxid);
        for (let i = 1; i < zxids.length; i++) {
          const why = `${context}, client ${clients.indexOf(client)}: ${ops.get(client)![i - 1]} got zxid ${zxids[i - 1]}, then ${ops.get(client)![i]} got ${zxids[i]}`;
          expect(zxids[i]! >= zxids[i - 1]!, why).toBe(true);
        }
      }
    }
  });
});

