// The driver's contract with the disk, one member and a recording network:
// nothing leaves before the persist it depends on is fsynced, and a disk
// that fails stops the member without sending or acknowledging anything more.

import { describe, expect, it } from 'vitest';
import type { Message } from '../raft/types.ts';
import { defaultConfig } from '../raft/types.ts';
import type { FsLayer } from '../storage/fs-layer.ts';
import { CountingFs, freshDirs, gatedFs } from '../storage/test-support.ts';
import { RaftMember } from './driver.ts';
import { eventually } from './member-test-support.ts';
import { TreeMachine } from './tree-machine.ts';

const newDir = freshDirs('raft-driver-');

async function startAlone(fs: FsLayer, sent: Message[], stops: string[] = []) {
  // Pre-vote off: a campaign's first message is then a RequestVote, which needs the vote for ourselves on disk.
  const started = await RaftMember.start({
    config: defaultConfig(1, [1, 2, 3], { electionTicks: 5, heartbeatTicks: 1, preVote: false, seed: 3 }),
    dir: newDir(),
    fs,
    machine: new TreeMachine(() => undefined),
    send: (m) => sent.push(m),
    log: () => undefined,
    tickMs: 5,
    onStop: (error) => stops.push(error.message),
  });
  if (!started.ok) throw new Error(started.error.message);
  return started.value;
}

describe('the driver and the disk', () => {
  it('sends no RequestVote while the vote it carries is not yet fsynced', async () => {
    const { fs, gate, hold, release } = gatedFs((name) => name.startsWith('hardstate'));
    const sent: Message[] = [];
    hold();
    const member = await startAlone(fs, sent);
    try {
      await eventually('the campaign waits on the fsync of its vote', () => (gate.waiting > 0 ? true : undefined), 10_000);
      // Held well past several ticks: still nothing sent.
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(member.term).toBe(1);
      expect(sent).toEqual([]);
      release();
      await eventually('the RequestVotes leave once the vote is durable', () => (sent.length >= 2 ? true : undefined), 10_000);
      expect(sent.slice(0, 2).map((m) => [m.type, m.term, m.to])).toEqual([
        ['RequestVote', 1, 2],
        ['RequestVote', 1, 3],
      ]);
    } finally {
      release();
      await member.stop();
    }
  });

  it('a failed fsync stops the member: the error is reported, nothing is sent after it, a proposal is answered "stopped"', async () => {
    const fs = new CountingFs();
    const sent: Message[] = [];
    const stops: string[] = [];
    fs.plan = { failSyncs: { code: 'EIO', at: new Set([0, 1, 2, 3]) } };
    const member = await startAlone(fs, sent, stops);
    await eventually('the member stopped', () => (member.stopped ? true : undefined), 10_000);
    expect(stops).toEqual([expect.stringContaining('EIO')]);
    expect(sent).toEqual([]);
    const answer = await member.propose(new Uint8Array([1]));
    expect(answer).toEqual({ ok: false, error: expect.objectContaining({ kind: 'stopped' }) });
    await member.stop();
  });
});
