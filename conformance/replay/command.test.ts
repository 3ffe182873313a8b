// The one replay command over every protocol (command.ts, targets.ts): each
// bug flag a target offers is caught through `npm run conformance -- replay
// --spec S --bugs B`, on traces the fixed core replays to the end, and a bug
// flag the replay cannot catch is listed here with why. Options one protocol
// does not have are refused with a clear message.

import { describe, expect, it } from 'vitest';
import { main } from '../cli.ts';
import { raftTarget } from './raft-target.ts';
import { replayProtocols } from './targets.ts';

function run(...argv: string[]): { code: number; out: string; err: string } {
  const out: string[] = [];
  const err: string[] = [];
  const code = main(argv, { out: (t) => out.push(t), err: (t) => err.push(t) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Where each bug flag is caught: the replay's options and the start of the verdict it prints. */
const CAUGHT: Readonly<Record<string, Readonly<Record<string, { readonly args: readonly string[]; readonly verdict: string }>>>> = {
  zab: {
    'ZOOKEEPER-3911': { args: ['--sources', 'scenarios'], verdict: 'ZOOKEEPER-3911:\ndiverging-state at step 8 (FollowerProcessNEWLEADER(s1, s0) [NEWLEADER])' },
    'ZOOKEEPER-4646': { args: ['--sources', 'scenarios'], verdict: 'ZOOKEEPER-4646:\ndiverging-state at step 8 (FollowerProcessNEWLEADER(s1, s0) [NEWLEADER])' },
    'ZOOKEEPER-4643': { args: ['--sources', 'scenarios'], verdict: 'ZOOKEEPER-4643:\ndiverging-state at step 8 (FollowerProcessNEWLEADER(s2, s0) [NEWLEADER]): crash point inside NEWLEADER' },
  },
  raft: {
    'figure8-commit': { args: ['--sources', 'scenarios'], verdict: 'figure8-commit:\ndiverging-state at step 19 (Receive(AppendEntriesResponse s1->s0 term 4 match 1))' },
    'double-vote': { args: ['--sources', 'scenarios'], verdict: 'double-vote:\nunexpected-action at step 11 (Receive(RequestVoteRequest s1->s0 term 2 lastLog 0@0))' },
    // No scenario: spec/raft's mutant is found by the checker from elections' Init, and the core's flag by an eager walk.
    'skip-log-up-to-date-check': { args: ['--sources', 'walks', '--preset', 'ci', '--count', '1', '--seed', '10'], verdict: 'walk-ci-seed10:\nunexpected-action at step 44' },
  },
};

/** Bug flags no replay catches, and why (the scenario a target cannot start: its notReplayable). */
const NOT_CAUGHT: Readonly<Record<string, readonly string[]>> = { raft: ['stale-read'] };

describe('replay --spec S --bugs B: every bug flag of every protocol, through the one command', () => {
  it('each target\u2019s bug flags are all here, caught or listed with the reason they cannot be', () => {
    for (const { target } of replayProtocols) {
      const spec = target.adapter.spec.name;
      const listed = [...Object.keys(CAUGHT[spec] ?? {}), ...(NOT_CAUGHT[spec] ?? [])].sort();
      expect(listed, spec).toEqual([...target.bugs].sort());
    }
    // stale-read's scenario starts from a scripted leader, which no core starts in.
    expect(raftTarget.notReplayable['stale-read']).toMatch(/scripted state with a leader/);
  });

  const cases = Object.entries(CAUGHT).flatMap(([spec, bugs]) => Object.entries(bugs).map(([bug, c]) => [spec, bug, c] as const));
  it.each(cases)('--spec %s --bugs %s: exit 1 with the verdict; the fixed core replays the same traces (exit 0)', (spec, bug, c) => {
    const buggy = run('replay', '--spec', spec, '--bugs', bug, ...c.args);
    expect(buggy.code, buggy.out + buggy.err).toBe(1);
    expect(buggy.out).toContain(c.verdict);
    expect(buggy.out).toMatch(new RegExp(`^replayed \\d+ spec/${spec} traces against impl/\\S+ built with ${bug} in`, 'm'));
    const fixed = run('replay', '--spec', spec, ...c.args);
    expect(fixed.code, fixed.out + fixed.err).toBe(0);
    expect(fixed.out).toContain('every trace conforms');
  }, 60_000);
});

describe('what one protocol has and another does not is refused (exit 2)', () => {
  it('--processes for raft, --strict-discovery for raft, an unknown spec, an option of the other mode, a bug flag of the other protocol', () => {
    const processes = run('replay', '--spec', 'raft', '--processes');
    expect(processes.code).toBe(2);
    expect(processes.err).toContain("--processes: only zab replays against member processes; impl's raft engine does not run as one yet");
    expect(run('replay', '--spec', 'raft', '--strict-discovery').err).toContain("--strict-discovery is not an option of raft's replay");
    expect(run('replay', '--spec', 'paxos').err).toContain('--spec: replay knows zab and raft, not paxos');
    expect(run('replay', '--coverage').err).toContain('--coverage is an option of replay --processes only');
    expect(run('replay', '--processes', '--sources', 'walks').err).toContain('--sources is not an option of replay --processes');
    const other = run('replay', '--spec', 'raft', '--bugs', 'ZOOKEEPER-3911');
    expect(other.code).toBe(2);
    expect(other.err).toContain('--bugs: impl/raft has no bug flag ZOOKEEPER-3911 (have: figure8-commit, double-vote, skip-log-up-to-date-check, stale-read)');
  });
});
