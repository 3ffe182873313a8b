// SIGKILL of a process writing a Raft storage directory, over rounds: after
// each kill, what recovery returns is the state after every acknowledged
// persist, or one a crash inside the next persist may leave, never less.
// (A SIGKILL keeps the page cache, so this checks the order of the writes and
// the torn-tail recovery, not what a power cut does to unsynced pages.)

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Random } from '../../lib/random.ts';
import type { Stored } from '../raft/node.ts';
import type { Persist } from '../raft/ready.ts';
import { applyPersist } from '../raft/world.ts';
import { nodeFs } from '../storage/fs-layer.ts';
import { freshDirs } from '../storage/test-support.ts';
import { RaftStorage } from './raft-storage.ts';
import { crashOutcomeProblem, randomPersist, storedText } from './storage-test-support.ts';

const childScript = fileURLToPath(new URL('./storage-crash-child.ts', import.meta.url));
const newDir = freshDirs('raft-crash-');

/** Runs the child until it has acknowledged `killAfterAcks` persists, then SIGKILLs it; the acks seen. */
function runAndKill(dir: string, seed: number, killAfterAcks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dir, String(seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let acks = 0;
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => {
      process.kill(child.pid!, 'SIGKILL');
      reject(new Error(`child made ${acks} acks in 60 s; stderr: ${stderr}`));
    }, 60_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      acks += lines.filter((line) => line.startsWith('ack ')).length;
      if (acks >= killAfterAcks && child.exitCode === null && !child.killed) process.kill(child.pid!, 'SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acks);
      else reject(new Error(`child exited on its own (code ${code}); stderr: ${stderr}`));
    });
  });
}

async function recovered(dir: string): Promise<Stored> {
  const opened = await RaftStorage.open(nodeFs, dir);
  if (!opened.ok) throw new Error(opened.error.message);
  await opened.value.storage.close();
  return opened.value.stored;
}

describe('a Raft storage directory under SIGKILL', () => {
  it('recovers at least every acknowledged persist, over three kill-and-restart rounds', async () => {
    const dir = newDir();
    let start = await recovered(dir);
    for (const [round, killAfterAcks] of [30, 60, 120].entries()) {
      const seed = 100 + round;
      const acks = await runAndKill(dir, seed, killAfterAcks);
      expect(acks).toBeGreaterThanOrEqual(killAfterAcks);
      const got = await recovered(dir);
      // Replay the child's persists: the state after `acks` of them, or after more (acks the parent had not read yet),
      // or one that a crash inside the next may leave.
      const random = new Random(seed);
      let model = start;
      const steps: { before: Stored; persist: Persist; after: Stored }[] = [];
      for (let n = 0; n < acks + 400; n++) {
        const persist = randomPersist(random, model, n);
        const after = applyPersist(model, persist);
        steps.push({ before: model, persist, after });
        model = after;
      }
      const text = JSON.stringify(storedText(got));
      const at = steps.findIndex(
        (s, n) => n >= acks && (JSON.stringify(storedText(s.before)) === text || crashOutcomeProblem(s.before, s.persist, s.after, got) === undefined),
      );
      expect(at, `round ${round} (seed ${seed}): the recovered state is none the child's persists from ack ${acks} on may leave`).toBeGreaterThanOrEqual(acks);
      start = got;
    }
  }, 120_000);
});
