// Three Raft members in this process, each with its own directory on disk and
// its own quorum port on 127.0.0.1, talking over real sockets: they elect a
// leader, replicate and commit, lose their leader and elect another, take a
// restarted member back (by log or by snapshot), and end with equal state.

import { readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { Entry, Snapshot } from '../raft/types.ts';
import { freshDirs } from '../storage/test-support.ts';
import { freePorts } from '../testing/ports.ts';
import type { StateMachine } from './driver.ts';
import { eventually, type LogLine, oneLeader, proposeThroughLeader, type Running, startMember as startAny, stopMember, stopMembersAfterEach } from './member-test-support.ts';
import { encodePeerFrame } from './wire.ts';

const newDir = freshDirs('raft-member-');

/** The state machine of these tests: the list of values applied, in order. */
class ListMachine implements StateMachine {
  values: string[] = [];
  restore(snapshot: Snapshot | undefined): undefined {
    this.values = snapshot === undefined ? [] : (JSON.parse(new TextDecoder().decode(snapshot.data)) as string[]);
    return undefined;
  }
  apply(entry: Entry): void {
    if (entry.data.length > 0) this.values.push(new TextDecoder().decode(entry.data));
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.values));
  }
}

stopMembersAfterEach();

const startMember = (id: number, ports: readonly number[], dirs: readonly string[], logs: LogLine[], snapshotEveryEntries = 0) =>
  startAny(id, ports, dirs, logs, () => new ListMachine(), snapshotEveryEntries);
const write = (members: readonly Running[], value: string) => proposeThroughLeader(members, new TextEncoder().encode(value), value);

const sameValues = (members: readonly Running<ListMachine>[], count: number) => {
  const first = members[0]!.machine.values;
  return first.length === count && members.every((r) => JSON.stringify(r.machine.values) === JSON.stringify(first)) ? first : undefined;
};

describe('three Raft members over sockets on 127.0.0.1', () => {
  it('elect a leader, commit on every member, survive the leader stopping, and take it back after a restart', async () => {
    const ports = await freePorts(3);
    const dirs = [newDir(), newDir(), newDir()];
    const logs: LogLine[] = [];
    const members = await Promise.all([1, 2, 3].map((id) => startMember(id, ports, dirs, logs)));
    await eventually('one leader', () => oneLeader(members));
    const values = Array.from({ length: 20 }, (_, k) => `v${k}`);
    for (const v of values) await write(members, v);
    expect(await eventually('every member applied the 20 values', () => sameValues(members, 20))).toEqual(values);

    // A ReadIndex read at the leader is confirmed by a quorum and covers every write answered before it.
    const lastWrite = await write(members, 'v-read');
    values.push('v-read');
    const readAt = await eventually('a read confirmed by the leader', () => oneLeader(members));
    const read = await readAt.member.readIndex();
    expect(read).toEqual({ ok: true, value: expect.any(Number) });
    if (read.ok) expect(read.value).toBeGreaterThanOrEqual(lastWrite);
    const follower = members.find((r) => r.member.role === 'follower')!;
    expect(await follower.member.readIndex()).toEqual({ ok: false, error: expect.objectContaining({ kind: 'refused', message: expect.stringMatching(/^(not the leader|no leader known)/) }) });

    // The leader goes away; the other two elect one of themselves and go on.
    const first = await eventually('one leader', () => oneLeader(members));
    await stopMember(first);
    const rest = members.filter((r) => r !== first);
    const second = await eventually('a new leader among the other two', () => oneLeader(rest));
    expect(second.member.term).toBeGreaterThan(first.member.term);
    for (let k = 20; k < 30; k++) await write(rest, `v${k}`);
    values.push(...Array.from({ length: 10 }, (_, k) => `v${20 + k}`));

    // Restarted from its directory alone, the old leader catches up.
    const back = await startMember(first.member.id, ports, dirs, logs);
    const all = [...rest, back];
    expect(await eventually('the restarted member caught up', () => sameValues(all, 31))).toEqual(values);
    expect(logs.find((l) => l.id === first.member.id && l.event === 'raft-recovered' && (l.fields['lastIndex'] as number) > 20)).toBeDefined();
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
  }, 60_000);

  it('a member that was down while the others compacted their logs is caught up by InstallSnapshot', async () => {
    const ports = await freePorts(3);
    const dirs = [newDir(), newDir(), newDir()];
    const logs: LogLine[] = [];
    const members = await Promise.all([1, 2, 3].map((id) => startMember(id, ports, dirs, logs, 5)));
    await eventually('one leader', () => oneLeader(members));
    const follower = members.find((r) => r.member.role !== 'leader')!;
    await stopMember(follower);
    const rest = members.filter((r) => r !== follower);
    const values = Array.from({ length: 25 }, (_, k) => `w${k}`);
    for (const v of values) await write(rest, v);
    const back = await startMember(follower.member.id, ports, dirs, logs, 5);
    expect(await eventually('the restarted member has every value', () => sameValues([...rest, back], 25))).toEqual(values);
    // It got there from the leader's snapshot (the log before it was gone), and its own directory now holds one.
    expect(logs.some((l) => l.id === follower.member.id && l.event === 'raft-snapshot-installed')).toBe(true);
    expect(readdirSync(dirs[follower.member.id - 1]!).some((n) => n.startsWith('snapshot.'))).toBe(true);
  }, 60_000);

  it('a bad frame, or no hello, closes that connection with a warning, and the member goes on', async () => {
    const ports = await freePorts(3);
    const dirs = [newDir(), newDir(), newDir()];
    const logs: LogLine[] = [];
    const members = await Promise.all([1, 2, 3].map((id) => startMember(id, ports, dirs, logs)));
    await eventually('one leader', () => oneLeader(members));
    const target = members[0]!;
    const frames = [
      Buffer.from([0, 0, 0, 5, 0x7b, 0x22, 0x78, 0x22, 0x7d]), // {"x"}: not JSON
      Buffer.from(encodePeerFrame({ kind: 'hello', from: 9, to: 1 })), // not a peer
      Buffer.concat([encodePeerFrame({ kind: 'hello', from: 2, to: 1 }), encodePeerFrame({ kind: 'message', message: { type: 'HeartbeatResponse', term: 1, from: 3, to: 1, context: 0 } })]), // another's message
      Buffer.from([0x7f, 0xff, 0xff, 0xff]), // a frame past the limit
      Buffer.alloc(0), // nothing at all: closed at the hello timeout (1 s in these tests)
    ];
    for (const bytes of frames) {
      const closed = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port: ports[0]! }, () => bytes.length > 0 && socket.write(bytes));
        const timer = setTimeout(() => {
          socket.destroy();
          resolve(false);
        }, 5_000);
        socket.on('close', () => {
          clearTimeout(timer);
          resolve(true);
        });
        socket.on('error', () => undefined);
      });
      expect(closed).toBe(true);
    }
    const refused = logs.filter((l) => l.id === 1 && l.event === 'raft-peer-frame-refused').map((l) => String(l.fields['reason']));
    expect(refused).toHaveLength(5);
    expect(refused[0]).toMatch(/not JSON/);
    expect(refused[1]).toMatch(/hello from 9 to 1: not a peer/);
    expect(refused[2]).toMatch(/a HeartbeatResponse from 3 to 1 on 2's connection/);
    expect(refused[3]).toMatch(/bad framing: too-large/);
    expect(refused[4]).toBe('no hello within 1000 ms');
    await write(members, 'after');
    expect(await eventually('all applied', () => sameValues(members, 1))).toEqual(['after']);
    expect(target.member.stopped).toBe(false);
  }, 60_000);
});
