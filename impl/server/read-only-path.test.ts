// The read-only role in memory (read-only-path.ts, ZooKeeper's
// ReadOnlyZooKeeperServer with local sessions): who is served, what a write
// gets, what becomes of sessions. The tree is one a standalone pipeline wrote,
// with a znode and a global session in it, as a member's last state would be.
// impl/ensemble/read-only.test.ts runs the same against processes, beside
// Apache ZooKeeper 3.8.

import { describe, expect, it } from 'vitest';
import { ErrorCode, OpCode } from '../protocol/constants.ts';
import * as R from '../protocol/records.ts';
import { ServerCore } from './core.ts';
import { MemoryClient } from './memory-client.ts';

const acl = [{ perms: 31, id: { scheme: 'world', id: 'anyone' } }];
const bytes = (s: string) => new TextEncoder().encode(s);

/** A standalone pipeline's tree with /ro = "hello" and the writer's (global) session; then the read-only pipeline over it. */
function readOnlyOverWrittenTree() {
  const clock = { nowMs: 1_700_000_000_000 };
  const now = () => clock.nowMs;
  const writerCore = new ServerCore({ now, elapsedNow: now, tickTimeMs: 1000 });
  const writer = new MemoryClient(writerCore);
  writer.connect(10_000);
  writer.create(1, '/ro', 'hello');
  expect(writer.answers.map(([, , err]) => err)).toEqual([0]);
  writerCore.stop();
  const core = new ServerCore({ now, elapsedNow: now, tickTimeMs: 1000, serverId: 3, tree: writerCore.tree, replication: { role: 'read-only' } });
  return { core, clock, globalSession: writer.session };
}

const closedReasons = (c: MemoryClient) => c.seen.flatMap((s) => (s.kind === 'closed' ? [s.reason] : []));

describe('the read-only role', () => {
  it('reports read-only as its mode', () => {
    expect(readOnlyOverWrittenTree().core.serverState).toBe('read-only');
  });

  it('refuses a client without the readOnly flag, and a pre-3.4 client without the byte, by closing without a response', () => {
    const { core } = readOnlyOverWrittenTree();
    for (const flag of [false, undefined]) {
      const c = new MemoryClient(core);
      c.connect(10_000, undefined, 0n, flag);
      expect(c.kinds).toEqual(['closed']);
      expect(closedReasons(c)).toEqual(['Refusing session request for not-read-only client']);
    }
  });

  it('gives a read-only client a local session numbered with its server id, readOnly=true, and serves reads of the tree it was given', () => {
    const { core } = readOnlyOverWrittenTree();
    const c = new MemoryClient(core);
    c.connect(10_000, undefined, 0n, true);
    expect(c.session.readOnly).toBe(true);
    expect(c.session.sessionId >> 56n).toBe(3n);
    expect(c.session.timeOut).toBe(10_000);
    // Not persisted: no createSession txn, nothing in the tree's sessions.
    expect(core.tree.sessions.has(c.session.sessionId)).toBe(false);
    c.getData(1, '/ro');
    c.send(2, OpCode.multiRead, R.MultiRequest, [{ type: OpCode.getData, request: { path: '/ro', watch: false } }]);
    expect(c.dataOf(1)).toBe('hello');
    expect(c.answers.map(([xid, , err]) => [xid, err])).toEqual([
      [1, 0],
      [2, 0],
    ]);
  });

  it('answers every write, check and sync NotReadOnly with the tree last zxid and changes nothing', () => {
    const { core } = readOnlyOverWrittenTree();
    const before = { zxid: core.tree.lastProcessedZxid, nodes: core.tree.nodeCount };
    const c = new MemoryClient(core);
    c.connect(10_000, undefined, 0n, true);
    c.create(1, '/x', 'y');
    c.setData(2, '/ro', 'z');
    c.send(3, OpCode.delete, R.DeleteRequest, { path: '/ro', version: -1 });
    c.send(4, OpCode.setACL, R.SetACLRequest, { path: '/ro', acl, version: -1 });
    c.send(5, OpCode.check, R.CheckVersionRequest, { path: '/ro', version: 0 });
    c.send(6, OpCode.multi, R.MultiRequest, [{ type: OpCode.create, request: { path: '/m', data: bytes(''), acl, flags: 0 } }]);
    c.send(7, OpCode.createContainer, R.CreateRequest, { path: '/c', data: bytes(''), acl, flags: 4 });
    c.send(8, OpCode.sync, R.SyncRequest, { path: '/' });
    expect(c.answers).toEqual([1, 2, 3, 4, 5, 6, 7, 8].map((xid) => [xid, before.zxid, ErrorCode.NOTREADONLY]));
    expect({ zxid: core.tree.lastProcessedZxid, nodes: core.tree.nodeCount }).toEqual(before);
  });

  it('refuses a global session brought back (closing without a response) and takes back a local one', () => {
    const { core, globalSession } = readOnlyOverWrittenTree();
    const global = new MemoryClient(core);
    global.connect(10_000, globalSession, 0n, true);
    expect(global.kinds).toEqual(['closed']);
    expect(core.tree.sessions.has(globalSession.sessionId)).toBe(true);

    const first = new MemoryClient(core);
    first.connect(10_000, undefined, 0n, true);
    const again = new MemoryClient(core);
    again.connect(10_000, { sessionId: first.session.sessionId, passwd: first.session.passwd }, 0n, true);
    expect(again.session.sessionId).toBe(first.session.sessionId);
    expect(again.session.readOnly).toBe(true);
    expect(closedReasons(first)).toEqual(['session moved to a new connection']);
  });

  it('closes a local session on closeSession and on expiry, after which it cannot be brought back', () => {
    const { core, clock } = readOnlyOverWrittenTree();
    const closing = new MemoryClient(core);
    closing.connect(4000, undefined, 0n, true);
    closing.send(1, OpCode.closeSession);
    expect(closing.answers.map(([xid, , err]) => [xid, err])).toEqual([[1, 0]]);
    expect(closedReasons(closing)).toEqual(['client closed the session']);

    const idle = new MemoryClient(core);
    idle.connect(4000, undefined, 0n, true);
    clock.nowMs += 6000;
    core.tick();
    expect(closedReasons(idle)).toEqual(['session expired']);

    for (const gone of [closing.session, idle.session]) {
      const back = new MemoryClient(core);
      back.connect(4000, { sessionId: gone.sessionId, passwd: gone.passwd }, 0n, true);
      expect(back.session.timeOut).toBe(0);
      expect(back.kinds).toEqual(['connect', 'closed']);
    }
  });
});
