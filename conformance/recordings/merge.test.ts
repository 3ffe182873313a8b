// The merge's rules on hand-written member lines (ensemble.test.ts runs them on a real ensemble):
// reading files a SIGKILL may have torn, putting bursts of fsync reports and NEWLEADER's fsyncs in
// spec terms, placing a crash where the others noticed it, and a partial fsync report judged as made.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { validateRecordingCommand } from './command.ts';
import { validateRecordingDir } from './ensemble.ts';
import { readMemberFiles, type MemberLine, type MemberPeer } from './member-files.ts';
import { mergeMembers } from './merge.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { validateTrace } from '../validate.ts';
import { coalesceNewLeader, joinSyncBursts, syncsLostWithKill } from './normalize.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const z = (epoch: number, counter: number) => `0x${((BigInt(epoch) << 32n) | BigInt(counter)).toString(16)}`;

function follower(last: string, synced: string, committed = '0x0', currentEpoch = 1): MemberPeer {
  return { role: 'FOLLOWING', phase: 'BROADCAST', acceptedEpoch: 1, currentEpoch, lastZxid: last, lastCommittedZxid: committed, syncedZxid: synced, leader: 3 };
}

const step = (tUs: number, event: MemberLine['event'], peer: MemberPeer, sid = 1, run = 1): MemberLine => ({ tUs, sid, run, kind: 'step', event, peer });
const proposal = (zxid: string) => ({ type: 'Receive', from: 3, message: { type: 'PROPOSAL', zxid } }) as const;
const synced = (zxid: string) => ({ type: 'LogSynced', zxid }) as const;

describe('reading member files', () => {
  it('drops a last line torn by a SIGKILL, and refuses a recording without syncedZxid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zkspec-merge-'));
    dirs.push(dir);
    const start = JSON.stringify({ tUs: 1, sid: 1, run: 0, kind: 'start', detail: 'acceptedEpoch 0 currentEpoch 0 lastLoggedZxid 0x0' });
    writeFileSync(join(dir, 'member-1.jsonl'), `${start}\n{"tUs": 2, "sid": 1, "ru`);
    const read = readMemberFiles(dir);
    expect(read.ok && read.members.get(1)!.length).toBe(1);

    const old = JSON.stringify({ tUs: 2, sid: 1, run: 1, kind: 'step', event: { type: 'ConnectToLeader' }, peer: { role: 'FOLLOWING', phase: 'DISCOVERY', acceptedEpoch: 0, currentEpoch: 0, lastZxid: '0x0', lastCommittedZxid: '0x0' } });
    writeFileSync(join(dir, 'member-1.jsonl'), `${start}\n${old}\n`);
    const refused = readMemberFiles(dir);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toBe('member-1.jsonl:2: no syncedZxid (recorded before impl/ensemble/peer-trace.ts wrote it)');
  });
});

describe('fsync reports a SIGKILL took with it', () => {
  const start = (tUs: number, onDisk: string): MemberLine => ({ tUs, sid: 1, run: 0, kind: 'start', detail: `acceptedEpoch 1 currentEpoch 1 lastLoggedZxid ${onDisk}` });

  it('adds the LogSynced of what the restart found on disk after the last line: a DiskSync of a prefix, the rest lost with the crash', () => {
    const lines = [
      start(1, '0x0'),
      step(10, proposal(z(1, 1)), follower(z(1, 1), '0x0')),
      step(20, proposal(z(1, 2)), follower(z(1, 2), '0x0')),
      // Killed here; the restart finds z(1,1) on disk: its write had returned, its report was lost.
      start(100, z(1, 1)),
    ];
    const { lines: out, added } = syncsLostWithKill(lines);
    expect(added).toBe(1);
    expect(out[3]).toMatchObject({ kind: 'step', tUs: 20.25, event: { type: 'LogSynced', zxid: z(1, 1) }, peer: { lastZxid: z(1, 2), syncedZxid: z(1, 1) } });
  });

  it('at a leader, with the commits its own ACK completes: spec/zab processes that ACK with the sync', () => {
    const leading = (last: string, synced: string): MemberPeer => ({ ...follower(last, synced), role: 'LEADING', leader: 1 });
    const ack = (zxid: string) => ({ type: 'Receive', from: 2, message: { type: 'ACK', zxid } }) as const;
    const lines = [
      start(1, '0x0'),
      step(10, { type: 'ClientRequest' }, leading(z(1, 1), '0x0')),
      step(20, { type: 'ClientRequest' }, leading(z(1, 2), '0x0')),
      step(30, { type: 'ClientRequest' }, leading(z(1, 3), '0x0')),
      step(40, ack(z(1, 1)), leading(z(1, 3), '0x0')),
      step(50, ack(z(1, 2)), leading(z(1, 3), '0x0')),
      // Killed here; the restart finds (1,3) on disk: (1,1) and (1,2) had a follower's ACK, (1,3) none.
      start(100, z(1, 3)),
    ];
    const { lines: out, added } = syncsLostWithKill(lines);
    expect(added).toBe(1);
    expect(out[6]).toMatchObject({ event: { type: 'LogSynced', zxid: z(1, 3) }, peer: { syncedZxid: z(1, 3), lastCommittedZxid: z(1, 2) } });
  });

  it('adds nothing when the disk holds no more than the lines say, or more than the member had in memory', () => {
    const base = [start(1, '0x0'), step(10, proposal(z(1, 1)), follower(z(1, 1), z(1, 1)))];
    expect(syncsLostWithKill([...base, start(100, z(1, 1))]).added).toBe(0);
    // A disk beyond memory would need appends nobody recorded: left for the validator to reject.
    expect(syncsLostWithKill([...base, start(100, z(1, 2))]).added).toBe(0);
  });
});

describe('NEWLEADER in spec terms', () => {
  const newLeader = (tUs: number, peer: MemberPeer) => step(tUs, { type: 'Receive', from: 3, message: { type: 'NEWLEADER', epoch: 2 } }, peer);
  const syncing = (last: string, syncedZ: string, currentEpoch: number): MemberPeer => ({ ...follower(last, syncedZ, '0x0', currentEpoch), phase: 'SYNCHRONIZATION', acceptedEpoch: 2 });

  it('joins NEWLEADER with the fsyncs it waits for, at the time of the last one', () => {
    const lines = [newLeader(10, syncing(z(2, 2), z(1, 5), 1)), step(20, synced(z(2, 1)), syncing(z(2, 2), z(2, 1), 1)), step(30, synced(z(2, 2)), syncing(z(2, 2), z(2, 2), 2))];
    const { lines: out, coalesced } = coalesceNewLeader(lines);
    expect(coalesced).toBe(1);
    expect(out).toHaveLength(1);
    expect(out[0]!.tUs).toBe(30);
    expect(out[0]!.peer).toMatchObject({ currentEpoch: 2, syncedZxid: z(2, 2) });
  });

  it('does not join them when currentEpoch was written before the proposals were durable (ZOOKEEPER-4643)', () => {
    const lines = [newLeader(10, syncing(z(2, 2), z(1, 5), 1)), step(20, synced(z(2, 1)), syncing(z(2, 2), z(2, 1), 2)), step(30, synced(z(2, 2)), syncing(z(2, 2), z(2, 2), 2))];
    expect(coalesceNewLeader(lines).coalesced).toBe(0);
    // Nor when the NEWLEADER step itself wrote it, the fsync still to come.
    const before = step(5, { type: 'Receive', from: 3, message: { type: 'DIFF', zxid: z(1, 5) } }, syncing(z(2, 2), z(1, 5), 1));
    const atOnce = [before, newLeader(10, syncing(z(2, 2), z(1, 5), 2)), step(30, synced(z(2, 2)), syncing(z(2, 2), z(2, 2), 2))];
    expect(coalesceNewLeader(atOnce).coalesced).toBe(0);
    expect(coalesceNewLeader([before, newLeader(10, syncing(z(2, 2), z(1, 5), 1)), atOnce[2]!]).coalesced).toBe(1);
  });
});

describe('a crash', () => {
  it('is placed where the followers noticed it, and takes them to LOOKING in the same step', () => {
    const start = (sid: number, tUs: number, last = '0x0'): MemberLine => ({ tUs, sid, run: 0, kind: 'start', detail: `acceptedEpoch 0 currentEpoch 0 lastLoggedZxid ${last}` });
    const elected = (sid: number, tUs: number, what: string): MemberLine => ({ tUs, sid, run: 1, kind: 'elected', detail: what });
    const disc = (_sid: number, role: 'LEADING' | 'FOLLOWING'): MemberPeer => ({ role, phase: 'DISCOVERY', acceptedEpoch: 0, currentEpoch: 0, lastZxid: '0x0', lastCommittedZxid: '0x0', syncedZxid: '0x0', leader: 3 });
    const lookingPeer: MemberPeer = { role: 'LOOKING', acceptedEpoch: 0, currentEpoch: 0, lastZxid: '0x0', lastCommittedZxid: '0x0', syncedZxid: '0x0' };
    const members = new Map<number, MemberLine[]>([
      [1, [start(1, 0), elected(1, 10, 'FOLLOWING leader 3'), step(20, { type: 'ConnectToLeader' }, disc(1, 'FOLLOWING'), 1), step(90, { type: 'LeaderLost' }, lookingPeer, 1)]],
      [2, [start(2, 0), elected(2, 10, 'FOLLOWING leader 3'), step(30, { type: 'ConnectToLeader' }, disc(2, 'FOLLOWING'), 2), step(95, { type: 'LeaderLost' }, lookingPeer, 2)]],
      [3, [start(3, 0), elected(3, 15, 'LEADING leader 3'), start(3, 200)]],
    ]);
    const { trace, notes } = mergeMembers(members);
    expect(trace.states.map((s) => s['mbt::actionTaken'])).toEqual(['init', 'ElectLeader(s2, {s0, s2})', 'FollowLeader(s1, s2)', 'NodeCrash(s2)', 'NodeStart(s2)']);
    expect(trace.states[3]!.nodes.map((n) => n['state'])).toEqual(['LOOKING', 'LOOKING', 'DOWN']);
    expect(notes).toMatchObject({ crashes: 1, elections: 2, timeouts: 0, stray: [] });
  });

  it('nobody noticed (every member killed at once): all placed after the last of their lines, the follower with unsynced writes first, then the leader', () => {
    const start = (sid: number, tUs: number, last = '0x0'): MemberLine => ({ tUs, sid, run: 0, kind: 'start', detail: `acceptedEpoch 1 currentEpoch 1 lastLoggedZxid ${last}` });
    const elected = (sid: number, tUs: number, what: string): MemberLine => ({ tUs, sid, run: 1, kind: 'elected', detail: what });
    const members = new Map<number, MemberLine[]>([
      // Member 1 leads; member 2's last line holds (1,2) not yet durable; member 3's log is all durable.
      [1, [start(1, 0), elected(1, 10, 'LEADING leader 1'), step(50, { type: 'ClientRequest' }, { ...follower(z(1, 2), z(1, 2), z(1, 1)), role: 'LEADING', leader: 1 }, 1), start(1, 300, z(1, 2))]],
      [2, [start(2, 0), elected(2, 10, 'FOLLOWING leader 1'), step(60, proposal(z(1, 2)), { ...follower(z(1, 2), z(1, 1), z(1, 1)), leader: 1 }, 2), start(2, 310, z(1, 1))]],
      [3, [start(3, 0), elected(3, 10, 'FOLLOWING leader 1'), step(40, proposal(z(1, 1)), { ...follower(z(1, 1), z(1, 1), z(1, 1)), leader: 1 }, 3), start(3, 320, z(1, 1))]],
    ]);
    const { trace } = mergeMembers(members);
    const crashes = trace.states.map((s) => s['mbt::actionTaken']).filter((a) => a.startsWith('NodeCrash'));
    expect(crashes).toEqual(['NodeCrash(s1)', 'NodeCrash(s0)', 'NodeCrash(s2)']);
    // Before the restarts: all three crashes come before the first NodeStart.
    const labels = trace.states.map((s) => s['mbt::actionTaken']);
    expect(labels.lastIndexOf('NodeCrash(s2)')).toBeLessThan(labels.indexOf('NodeStart(s0)'));
  });
});

describe('a burst of fsync reports', () => {
  it('joins adjacent LogSynced lines into one DiskSync at the first one’s time', () => {
    const lines = [
      step(10, proposal(z(1, 2)), follower(z(1, 2), '0x0')),
      step(20, synced(z(1, 1)), follower(z(1, 2), z(1, 1))),
      step(21, synced(z(1, 2)), follower(z(1, 2), z(1, 2))),
    ];
    const { lines: out, joined } = joinSyncBursts(lines);
    expect(joined).toBe(1);
    expect(out.map((l) => [l.tUs, l.peer!.syncedZxid])).toEqual([
      [10, '0x0'],
      [20, z(1, 2)],
    ]);
  });
});

describe('npm run conformance -- validate-recording', () => {
  const start = (sid: number, tUs: number): MemberLine => ({ tUs, sid, run: 0, kind: 'start', detail: 'acceptedEpoch 0 currentEpoch 0 lastLoggedZxid 0x0' });
  const connected = (sid: number, tUs: number, acceptedEpoch = 0): MemberLine =>
    step(tUs, { type: 'ConnectToLeader' }, { role: 'FOLLOWING', phase: 'DISCOVERY', acceptedEpoch, currentEpoch: 0, lastZxid: '0x0', lastCommittedZxid: '0x0', syncedZxid: '0x0', leader: 3 }, sid);
  const looking: MemberPeer = { role: 'LOOKING', acceptedEpoch: 0, currentEpoch: 0, lastZxid: '0x0', lastCommittedZxid: '0x0', syncedZxid: '0x0' };
  const elected = (sid: number, tUs: number, detail: string): MemberLine => ({ tUs, sid, run: 1, kind: 'elected', detail });
  const files = (followerEpoch: number): Record<number, MemberLine[]> => ({
    1: [start(1, 0), elected(1, 10, 'FOLLOWING leader 3'), connected(1, 20, followerEpoch), step(90, { type: 'LeaderLost' }, looking, 1)],
    2: [start(2, 0), elected(2, 10, 'FOLLOWING leader 3'), connected(2, 30), step(95, { type: 'LeaderLost' }, looking, 2)],
    3: [start(3, 0), elected(3, 15, 'LEADING leader 3'), start(3, 200)],
  });
  const run = (members: Record<number, MemberLine[]>) => {
    const dir = mkdtempSync(join(tmpdir(), 'zkspec-cli-'));
    dirs.push(dir);
    for (const [sid, lines] of Object.entries(members)) writeFileSync(join(dir, `member-${sid}.jsonl`), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const out: string[] = [];
    const code = validateRecordingCommand([dir], { out: (t) => out.push(t), err: (t) => out.push(t) });
    return { code, out: out.join('\n') };
  };

  it('exits 0 on an election and a leader crash the spec explains, 1 on a follower that shows an epoch it was never told, 2 on no files', () => {
    const accepted = run(files(0));
    expect(accepted.out).toContain('accepted: 4 recorded steps, 0 hidden spec steps supplied (K = 0)');
    expect(accepted.code).toBe(0);
    const rejected = run(files(5));
    expect(rejected.out).toContain('rejected at step 1 (ElectLeader(s2, {s0, s2}))');
    expect(rejected.code).toBe(1);
    expect(run({}).code).toBe(2);
  });
});

describe('a real recording kept as a fixture', () => {
  it('fixtures/leader-fsync-lag (the ensemble story on a loaded machine, the leader fsync 10 ms behind its followers) is accepted', () => {
    const judged = validateRecordingDir(fileURLToPath(new URL('./fixtures/leader-fsync-lag/', import.meta.url)));
    expect(judged.ok).toBe(true);
    if (!judged.ok) return;
    const { verdict, notes, steps } = judged.result;
    expect(verdict.verdict === 'rejected' ? verdict.report : verdict.verdict).toBe('accepted');
    expect(steps).toBe(376);
    expect(notes).toMatchObject({ lines: 418, crashes: 1, elections: 5, timeouts: 1, transactions: 36, newLeadersCoalesced: 2, lostLines: [], stray: [] });
  });

  it('needs the DiskSync of a prefix: with partialSync off it is rejected at a leader’s fsync report that covers less than it holds', () => {
    const read = readMemberFiles(fileURLToPath(new URL('./fixtures/leader-fsync-lag/', import.meta.url)));
    if (!read.ok) throw new Error(read.error);
    const { trace } = mergeMembers(read.members);
    expect(trace['#meta'].bounds['partialSync']).toBe(true);
    const wholeQueue = { ...trace, '#meta': { ...trace['#meta'], bounds: { ...trace['#meta'].bounds, partialSync: false } } };
    const verdict = validateTrace(zabAdapter, wholeQueue, { hiddenStepsMax: 0 });
    expect(verdict.verdict).toBe('rejected');
    if (verdict.verdict !== 'rejected') return;
    const leaderSync = /^DiskSync\(s(\d)\)$/.exec(verdict.action);
    expect(leaderSync, verdict.report).not.toBeNull();
    const [, s] = leaderSync!;
    const node = verdict.recorded[Number(s)]!;
    expect(node['state']).toBe('LEADING');
    // The report covers less than the leader holds in memory.
    const zxid = (v: unknown) => BigInt(typeof v === 'number' ? v : (v as { '#bigint': string })['#bigint']);
    expect(zxid(node['loggedZxid'])).toBeLessThan(zxid(node['lastZxid']));
  });
});
