import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Storage } from './storage.ts';
import { crashPayload } from './crash-payload.ts';
import { temporaryDir } from './test-support.ts';

const childScript = fileURLToPath(new URL('./crash-child.ts', import.meta.url));
const dirs: { remove(): void }[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) dir.remove();
});

/** Runs the child until it has acknowledged `killAfterAcks` appends, then SIGKILLs it. */
function runAndKill(dataDir: string, inFlight: number, killAfterAcks: number): Promise<{ acked: bigint[]; ready: bigint }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', childScript, dataDir, String(inFlight)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: bigint[] = [];
    let ready = -1n;
    let buffered = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child made ${acked.length} acks in 30 s; stderr: ${stderr}`));
    }, 30_000);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!; // a partial line was not yet fully reported: not counted as acknowledged
      for (const line of lines) {
        if (line.startsWith('ready ')) ready = BigInt(line.slice(6));
        else if (line.startsWith('ack ')) acked.push(BigInt(line.slice(4)));
      }
      if (acked.length >= killAfterAcks && child.exitCode === null && !child.killed) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ acked, ready });
      else reject(new Error(`child exited on its own (code ${code}); stderr: ${stderr}`));
    });
  });
}

describe('crash safety: every acknowledged append survives SIGKILL', () => {
  it('recovers each acknowledged zxid, byte for byte, over three kill-and-restart rounds with snapshots and purges', async () => {
    const dir = temporaryDir('zk-crash-');
    dirs.push(dir);
    let expectedFrom = 1n;
    for (const [round, killAfterAcks] of [500, 1_500, 3_000].entries()) {
      const { acked, ready } = await runAndKill(dir.path, 16, killAfterAcks);
      expect(ready, `round ${round}: the child starts after the recovered history`).toBe(expectedFrom - 1n);
      expect(acked.length).toBeGreaterThanOrEqual(killAfterAcks);

      const opened = await Storage.open({ dataDir: dir.path });
      if (!opened.ok) throw new Error(opened.error.message);
      const { storage, recovery } = opened.value;
      const recovered = new Map(recovery.records.map((r) => [r.zxid, r.payload]));
      const snapshotZxid = recovery.snapshot?.zxid ?? 0n;
      if (recovery.snapshot !== undefined) expect(new TextDecoder().decode(recovery.snapshot.blob)).toBe(String(snapshotZxid));
      if (round > 0) expect(snapshotZxid, `round ${round}: snapshots were taken`).toBeGreaterThan(0n);
      const missing = acked.filter((z) => z > snapshotZxid && !recovered.has(z));
      expect(missing, `round ${round}: acknowledged but lost`).toEqual([]);
      for (const z of acked) {
        if (z > snapshotZxid) expect(Buffer.from(recovered.get(z)!).equals(Buffer.from(crashPayload(z))), `payload of ${z}`).toBe(true);
      }
      // No holes: the snapshot, then snapshotZxid+1..lastLoggedZxid, whatever was in flight at the kill.
      const zxids = recovery.records.map((r) => r.zxid);
      expect(zxids.every((z, i) => z === snapshotZxid + BigInt(i + 1))).toBe(true);
      // biome-ignore lint/complexity/useMathMinMax: zxids are bigints, which Math.max does not take
      expect(recovery.lastLoggedZxid).toBeGreaterThanOrEqual(acked.reduce((a, b) => (a > b ? a : b)));
      expectedFrom = recovery.lastLoggedZxid + 1n;
      await storage.close();
    }
  }, 90_000);
});
