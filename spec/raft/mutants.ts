// Known-bug mutants: each re-introduces one bug that Raft's rules exist to
// prevent, behind a named flag read at the one place in step.ts where the
// correct rule lives. Each declares its hunt: the preset and strategy that
// find it from raft.tla's real Init (no scripted start) by a mission property
// (a Figure 3 property, or the read a client sees), run by `npm run check --
// raft --mutant NAME`; mutants.test.ts runs every hunt and the same hunt on
// the correct protocol. The election bugs are shallow, so breadth-first at an
// exhaustive preset; the others need four elections, a reordered network or
// a read, far past what breadth-first reaches, so coverage-guided walks
// (model-check/guided.ts, with abstraction.ts's cells).

import type { MutantDefinition, MutantHunt } from '../../model-check/model.ts';
import type { MutantName } from './types.ts';

export interface RaftMutant extends MutantDefinition {
  readonly name: MutantName;
  /** The mission property the hunt reports for this bug (hunt.violates). */
  readonly violates: string;
  readonly hunt: MutantHunt;
}

/** The guided walks every deep hunt uses: 100,000 walks, seed 1, never deeper than 150 steps. */
const GUIDED = ['--simulate', '100000', '--guided', '--seed', '1', '--depth', '150'] as const;

export const raftMutants: readonly RaftMutant[] = [
  {
    name: 'figure8-commit',
    description:
      'AdvanceCommitIndex commits an entry of an earlier term once a quorum holds it, ' +
      "the rule Figure 8 of the paper shows to be unsafe (§5.4.2: \"Raft never commits log entries from previous terms by counting replicas\").",
    violates: 'LeaderCompleteness',
    hunt: { preset: 'deep', options: GUIDED, violates: 'LeaderCompleteness' },
  },
  {
    name: 'double-vote',
    description: 'HandleRequestVoteRequest grants a vote even after voting for another candidate in the same term (§5.2: "each server will vote for at most one candidate in a given term").',
    violates: 'ElectionSafety',
    hunt: { preset: 'elections', options: [], violates: 'ElectionSafety' },
  },
  {
    name: 'truncate-on-stale-append',
    description:
      'HandleAppendEntriesRequest, on an older (duplicated or reordered) request whose entries it already holds, ' +
      'cuts its log after them, erasing later entries a leader may already count as replicated (Figure 2: "If an existing entry conflicts ... delete the existing entry and all that follow it": only on a conflict).',
    violates: 'LeaderCompleteness',
    hunt: { preset: 'deep-network', options: GUIDED, violates: 'LeaderCompleteness' },
  },
  {
    name: 'skip-log-up-to-date-check',
    description: "HandleRequestVoteRequest skips the check that the candidate's log is at least as up-to-date as the voter's (§5.4.1, the election restriction).",
    violates: 'LeaderCompleteness',
    hunt: { preset: 'elections', options: [], violates: 'LeaderCompleteness' },
  },
  {
    name: 'stale-read',
    description:
      'AnswerRead answers a ReadIndex read without a quorum of heartbeat acknowledgements in the leader\'s term (dissertation §6.4), ' +
      'so a leader cut off by a partition answers after a newer leader has committed a write.',
    violates: 'ReadsSeeCommittedWrites',
    hunt: { preset: 'deep-reads', options: GUIDED, violates: 'ReadsSeeCommittedWrites' },
  },
];

export function isMutantName(name: string): name is MutantName {
  return raftMutants.some((m) => m.name === name);
}
