// Three Raft members whose state machine is the server's data tree: txns
// prepped by the leader with impl/tree's prep, in the server's txn encoding,
// replicated and applied on every member with DataTree.applyTxn. Sessions,
// ephemerals, sequential nodes and watches behave as under ZAB, the trees
// stay byte for byte equal through a leader change and a restart, and the
// zxids are the log's positions.

import { describe, expect, it } from 'vitest';
import { CreateFlag, EventType, OpCode } from '../protocol/constants.ts';
import { openAclUnsafe } from '../tree/acl.ts';
import type { WatchEvent } from '../tree/data-tree.ts';
import { prepRequest, type WriteRequest } from '../tree/prep.ts';
import { serializeTree } from '../tree/snapshot.ts';
import { encodeTxn } from '../tree/txn.ts';
import { freshDirs } from '../storage/test-support.ts';
import { freePorts } from '../testing/ports.ts';
import { eventually, type LogLine, oneLeader, proposeThroughLeader, type Running, startMember, stopMember, stopMembersAfterEach } from './member-test-support.ts';
import { type AppliedTxn, TreeMachine, zxidOf } from './tree-machine.ts';

const newDir = freshDirs('raft-tree-');
stopMembersAfterEach();

type TreeMember = Running<TreeMachine> & { applied: AppliedTxn[] };

async function startTreeMember(id: number, ports: readonly number[], dirs: readonly string[], logs: LogLine[]): Promise<TreeMember> {
  const applied: AppliedTxn[] = [];
  const r = await startMember(id, ports, dirs, logs, (log) => new TreeMachine(log, (a) => applied.push(a)), 8);
  return Object.assign(r, { applied });
}

const session = 0x1234_5678_9abc_def0n;
const passwd = Uint8Array.from({ length: 16 }, (_, k) => k * 7);
let cxid = 0;

/** A client's write as the leader's write path would make it: prepped against the leader's tree, encoded, proposed. */
async function submit(members: readonly TreeMember[], request: WriteRequest): Promise<number> {
  const leader = await eventually('a leader', () => oneLeader(members));
  const txn = prepRequest(leader.machine.tree, request, { sessionId: session, cxid: ++cxid, zxid: 0n, time: BigInt(Date.now()), authIds: [], extendedTypesEnabled: false });
  return proposeThroughLeader(members, encodeTxn(txn), `${request.type}`);
}

const treeBytes = (m: TreeMember) => Buffer.from(serializeTree(m.machine.tree)).toString('hex');
const caughtUp = (members: readonly TreeMember[]) => {
  const applied = members.map((m) => m.member.appliedIndex);
  return applied.every((a) => a === members[0]!.member.commitIndex) && members.every((m) => treeBytes(m) === treeBytes(members[0]!)) ? true : undefined;
};
const text = (data: Uint8Array | null | undefined) => (data === null || data === undefined ? data : new TextDecoder().decode(data));
const bytes = (s: string) => new TextEncoder().encode(s);

describe('the data tree replicated by three Raft members', () => {
  it('sessions, ephemerals, sequential nodes and watches; equal trees through a leader change and a restart', async () => {
    const ports = await freePorts(3);
    const dirs = [newDir(), newDir(), newDir()];
    const logs: LogLine[] = [];
    const members = await Promise.all([1, 2, 3].map((id) => startTreeMember(id, ports, dirs, logs)));

    await submit(members, { type: OpCode.createSession, timeOut: 30_000, passwd });
    await submit(members, { type: OpCode.create, request: { path: '/app', data: bytes('v1'), acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT } });
    await submit(members, { type: OpCode.create, request: { path: '/app/eph', data: bytes('mine'), acl: [...openAclUnsafe], flags: CreateFlag.EPHEMERAL } });
    await submit(members, { type: OpCode.create, request: { path: '/app/seq-', data: null, acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT_SEQUENTIAL } });
    await eventually('every tree equal', () => caughtUp(members));

    // A watch set on a follower's tree fires when the follower applies the change.
    const follower = members.find((m) => m.member.role !== 'leader')!;
    const watcher = 77;
    follower.machine.tree.getData('/app', watcher);
    const setAt = await submit(members, { type: OpCode.setData, request: { path: '/app', data: bytes('v2'), version: -1 } });
    await eventually('every tree equal after setData', () => caughtUp(members));
    const fired: WatchEvent[] = follower.applied.filter((a) => a.entry.index === setAt).flatMap((a) => a.outcome.events);
    expect(fired).toEqual([expect.objectContaining({ watcher, type: EventType.NodeDataChanged, path: '/app' })]);

    for (const m of members) {
      const tree = m.machine.tree;
      expect(text(tree.getData('/app')?.data)).toBe('v2');
      // The suffix is the parent's cversion: /app/eph was its first child.
      expect(tree.getNode('/app/seq-0000000001')).toBeDefined();
      expect([...(tree.ephemerals.get(session) ?? [])]).toEqual(['/app/eph']);
      expect(tree.sessionPasswords.get(session)).toEqual(passwd);
      // The setData's zxid is its log position: (term << 32) | index.
      const setTxn = m.applied.find((a) => a.entry.index === setAt)!;
      expect(tree.getData('/app')!.stat.mzxid).toBe(zxidOf(setTxn.entry.term, setAt));
    }

    // The leader goes; the session is closed through the next one, and its ephemeral goes with it everywhere.
    const first = oneLeader(members)!;
    await stopMember(first);
    const rest = members.filter((m) => m !== first);
    await eventually('a new leader', () => oneLeader(rest));
    for (let k = 0; k < 10; k++) await submit(rest, { type: OpCode.create, request: { path: `/app/n${k}`, data: bytes(`${k}`), acl: [...openAclUnsafe], flags: CreateFlag.PERSISTENT } });
    await submit(rest, { type: OpCode.closeSession });
    await eventually('the two equal', () => caughtUp(rest));

    // The old leader, restarted from its directory, converges (by its log or the leader's snapshot).
    const back = await startTreeMember(first.member.id, ports, dirs, logs);
    const all = [...rest, back];
    await eventually('all three equal after the restart', () => caughtUp(all));
    for (const m of all) {
      expect(m.machine.tree.getNode('/app/eph')).toBeUndefined();
      expect(m.machine.tree.sessions.has(session)).toBe(false);
      expect(m.machine.tree.getNode('/app/n9')).toBeDefined();
    }
    // Every member applied the same txns at the same zxids, strictly increasing.
    const zxids = (m: TreeMember) => m.applied.map((a) => a.txn.zxid);
    for (const m of rest) expect(zxids(m).every((z, k, all) => k === 0 || z > all[k - 1]!)).toBe(true);
    expect(zxids(rest[0]!)).toEqual(zxids(rest[1]!));
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  }, 60_000);
});
