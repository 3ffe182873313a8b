// The safety stories of ours, judged by the spec as well as by their clients
// (issue #12): each member records its Zab steps (ZKSPEC_PEER_TRACE_DIR,
// peer-trace.ts), and after the story the recording is merged and validated
// against spec/zab by `conformance validate-recording` (conformance/recordings/),
// run as the built command: impl/ may not import conformance/ (the layers
// test), and the command is what a reader would run on a kept recording.
//
// Judged with --stop-before, up to where spec/zab or the merge does not
// express what the ensemble does yet (docs/conformance.md, "The safety tests'
// crash stories, judged"): the first restart (a learner that rejoins under
// load receives PROPOSALs between its NEWLEADER and the fsync NEWLEADER waits
// for, where spec/zab's NEWLEADER is one step), the first lost connection
// where a story partitions the leader (spec/zab's leader learns at once that a
// learner left), the first crash where a story kills the leader (a follower may
// still take the dead leader's buffered PROPOSALs after the other follower
// noticed the death, where spec/zab's LeaderShutdown ends both followings at
// once), and the first synchronisation by SNAP (sent where the txn
// log is larger than a third of the snapshot, a size spec/zab does not model).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../testing/built-server.ts';

/** The command's --json line. */
export interface RecordingJudgement {
  readonly verdict: 'accepted' | 'rejected' | 'undecided' | 'invalid' | 'unreadable';
  readonly step?: number;
  readonly action?: string;
  readonly steps?: number;
  readonly stoppedAt?: number;
  /** The command's whole output, for failure messages. */
  readonly output: string;
  /** The merged recording (--out), as JSON. */
  readonly trace?: { states: { 'mbt::actionTaken': string; nodes: Record<string, unknown>[] }[] };
}

/** The PROPOSAL line removed from a follower's file, and where its next one is. */
export interface RemovedProposal {
  readonly sid: number;
  /** The follower's index in the merged recording (members in id order). */
  readonly node: number;
  readonly zxid: bigint;
  readonly nextZxid: bigint;
}

interface Line {
  readonly tUs: number;
  readonly run: number;
  readonly kind: string;
  readonly event?: { readonly type: string; readonly message?: { readonly type: string; readonly zxid?: string } };
  readonly peer?: { readonly role: string };
}

const JUDGE_TIMEOUT_MS = 180_000;

/** Where judging stops: before the first restart, or the first lost connection; and before any SNAP. */
export type JudgedPart = 'until the first restart' | 'until the first lost connection' | 'until the first crash';

const STOP_BEFORE: Record<JudgedPart, string> = {
  'until the first restart': '\\[SNAP\\]$|^NodeStart\\(',
  'until the first lost connection': '\\[SNAP\\]$|^Timeout\\(',
  'until the first crash': '\\[SNAP\\]$|^NodeCrash\\(',
};
const stopBefore = (part: JudgedPart) => STOP_BEFORE[part];

export class StoryRecording {
  private readonly previous: string | undefined;
  private readonly dirs: string[] = [];

  /** Members started from now on record into `dir` (cluster.ts passes its environment to the members it spawns). */
  constructor(readonly dir = mkdtempSync(join(tmpdir(), 'zkspec-safety-recording-'))) {
    this.dirs.push(dir);
    this.previous = process.env['ZKSPEC_PEER_TRACE_DIR'];
    process.env['ZKSPEC_PEER_TRACE_DIR'] = dir;
  }

  /** Stops recording in members started later; keeps the files if `keep` (a failed story), else removes them. */
  close(keep: boolean): void {
    if (this.previous === undefined) delete process.env['ZKSPEC_PEER_TRACE_DIR'];
    else process.env['ZKSPEC_PEER_TRACE_DIR'] = this.previous;
    if (keep) console.log(`[safety recording] member files kept in ${this.dir}`);
    else for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }

  /** `conformance validate-recording DIR --stop-before REGEX --json --out FILE` on the member files in `dir`. */
  judge(part: JudgedPart, dir = this.dir): RecordingJudgement {
    const out = join(dir, 'merged.json');
    const args = ['validate-recording', dir, '--stop-before', stopBefore(part), '--json', '--out', out];
    const run = spawnSync(process.execPath, [join(repoRoot, 'dist', 'conformance.js'), ...args], {
      encoding: 'utf8',
      timeout: JUDGE_TIMEOUT_MS,
      maxBuffer: 64 * 1024 * 1024,
    });
    const output = `${run.stdout ?? ''}${run.stderr ?? ''}${run.error === undefined ? '' : String(run.error)}`;
    const json = (run.stdout ?? '')
      .split('\n')
      .reverse()
      .find((l) => l.startsWith('{'));
    if (json === undefined) return { verdict: 'unreadable', output };
    const parsed = JSON.parse(json) as Omit<RecordingJudgement, 'output' | 'trace'>;
    let trace: RecordingJudgement['trace'];
    try {
      trace = JSON.parse(readFileSync(out, 'utf8')) as RecordingJudgement['trace'];
    } catch {
      trace = undefined;
    }
    return { ...parsed, output, ...(trace === undefined ? {} : { trace }) };
  }

  /**
   * A copy of the member files with one of a follower's PROPOSAL lines removed: one in the middle of
   * the judged part (before the first SNAP received, and the first restart or lost connection) whose
   * next line in its file is the PROPOSAL of the next zxid.
   */
  withoutProposal(part: JudgedPart): { dir: string; removed: RemovedProposal } {
    const files = readdirSync(this.dir).filter((f) => /^member-\d+\.jsonl$/.test(f));
    const sids = files.map((f) => Number(/\d+/.exec(f)![0])).sort((a, b) => a - b);
    const texts = new Map(sids.map((sid) => [sid, readFileSync(join(this.dir, `member-${sid}.jsonl`), 'utf8').split('\n')]));
    const parse = (text: string): Line | undefined => (text.trim() === '' ? undefined : (JSON.parse(text) as Line));
    let beforeUs = Number.POSITIVE_INFINITY;
    for (const lines of texts.values()) {
      lines.forEach((text, k) => {
        const line = parse(text);
        const restart = k > 0 && line?.kind === 'start';
        // A crash is placed no later than the first notice of it, which comes before the restart.
        const lost = line?.event?.type === 'LeaderLost' || line?.event?.type === 'LearnerLost';
        const stop = part === 'until the first restart' ? restart : lost || restart;
        if (line !== undefined && (stop || line.event?.message?.type === 'SNAP')) beforeUs = Math.min(beforeUs, line.tUs);
      });
    }
    const proposalZxid = (line: Line | undefined): bigint | undefined =>
      line?.kind === 'step' && line.peer?.role === 'FOLLOWING' && line.event?.type === 'Receive' && line.event.message?.type === 'PROPOSAL' && line.event.message.zxid !== undefined
        ? BigInt(line.event.message.zxid)
        : undefined;
    const candidates: { sid: number; index: number; zxid: bigint; nextZxid: bigint }[] = [];
    for (const sid of sids) {
      const lines = texts.get(sid)!.map(parse);
      for (let k = 0; k + 1 < lines.length; k++) {
        const zxid = proposalZxid(lines[k]);
        const nextZxid = proposalZxid(lines[k + 1]);
        if (zxid === undefined || nextZxid !== zxid + 1n || lines[k + 1]!.run !== lines[k]!.run || lines[k + 1]!.tUs >= beforeUs) continue;
        candidates.push({ sid, index: k, zxid, nextZxid });
      }
    }
    if (candidates.length === 0) throw new Error(`no follower's PROPOSAL line to remove before ${beforeUs} us in ${this.dir}`);
    const chosen = candidates[Math.floor(candidates.length / 2)]!;
    const copy = mkdtempSync(join(tmpdir(), 'zkspec-safety-mutilated-'));
    this.dirs.push(copy);
    for (const sid of sids) {
      const lines = texts.get(sid)!;
      writeFileSync(join(copy, `member-${sid}.jsonl`), (sid === chosen.sid ? lines.filter((_, k) => k !== chosen.index) : lines).join('\n'));
    }
    return { dir: copy, removed: { sid: chosen.sid, node: sids.indexOf(chosen.sid), zxid: chosen.zxid, nextZxid: chosen.nextZxid } };
  }
}

/** A projection's zxid (an ITF integer: a number, or {"#bigint": "..."} beyond 2^53). */
export function projectedZxid(value: unknown): bigint {
  return typeof value === 'number' ? BigInt(value) : BigInt((value as { '#bigint': string })['#bigint']);
}
