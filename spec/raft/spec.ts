// The Raft SpecDefinition for the checker's command line and CI
// (`npm run check -- raft [--preset NAME] [--mutant NAME]`): the bounds, the
// presets, the mutants, and how bounds become a model (model.ts).
//
// The bounds are those of a TLC model of raft.tla: Server, Value, a state
// CONSTRAINT on currentTerm, Len(log) and the copies of each message, and
// Next with or without its fault disjuncts (Restart, DuplicateMessage,
// DropMessage). README.md compares the `tlc` preset with TLC.

import { assert } from '../../lib/assert.ts';
import type { BoundDefinition, Bounds, Model, Preset, SpecDefinition } from '../../model-check/model.ts';
import type { RaftAction } from './actions.ts';
import { raftModel } from './model.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';
import { isMutantName, raftMutants } from './mutants.ts';
import { scenarioStart } from './scenarios.ts';

export const raftBounds: readonly BoundDefinition[] = [
  { name: 'servers', description: "raft.tla's Server: how many servers.", default: 3 },
  { name: 'values', description: "raft.tla's Value: how many distinct client values.", default: 1 },
  { name: 'maxTerm', description: 'CONSTRAINT currentTerm[i] <= maxTerm (servers start in term 1).', default: 2 },
  { name: 'maxLogLength', description: 'CONSTRAINT Len(log[i]) <= maxLogLength.', default: 2 },
  { name: 'maxCopies', description: 'CONSTRAINT messages[m] <= maxCopies: copies of one message in flight.', default: 1 },
  { name: 'maxMessages', description: 'CONSTRAINT Cardinality(DOMAIN messages) <= maxMessages: distinct messages in flight (0: no bound).', default: 0 },
  { name: 'restart', description: 'Next includes Restart(i).', default: false },
  { name: 'duplicate', description: 'Next includes DuplicateMessage(m).', default: false },
  { name: 'drop', description: 'Next includes DropMessage(m).', default: false },
  { name: 'symmetry', description: 'SYMMETRY Permutations(Server).', default: true },
  { name: 'history', description: "Keep raft.tla's proof-only history variables (elections, allLogs, voterLog, mlog) in the state, as TLC does.", default: false },
  { name: 'reads', description: 'ReadIndex reads that may be issued (0: reads off, as raft.tla).', default: 0 },
  { name: 'fromFigure8', description: "Start where Figure 8 (c) of the paper starts (scenarios.ts) instead of raft.tla's Init.", default: false },
  { name: 'fromDeposedLeader', description: "Start from a leader of term 2 that has committed an entry of its term (scenarios.ts), instead of raft.tla's Init.", default: false },
  // Ovidiu Marcu's fork of raft.tla (README.md, "Side by side with TLC"); the defaults are raft.tla.
  { name: 'keepDelivered', description: 'The fork: a delivered message stays in the bag with count 0 and is never added again (each message is sent at most once).', default: false },
  { name: 'selfVote', description: 'RequestVote(i, i) is an action (raft.tla); false: the fork, i /= j.', default: true },
  { name: 'timeoutBelowMaxTerm', description: 'The fork: Timeout(i) only while currentTerm[i] < maxTerm.', default: false },
  { name: 'maxClientRequests', description: 'The fork: ClientRequest only while maxc < maxClientRequests, maxc counting the whole run (0: no bound).', default: 0 },
  { name: 'maxBecomeLeader', description: 'The fork: BecomeLeader(i) only while leaderCount[i] < maxBecomeLeader (0: no bound).', default: 0 },
  { name: 'monotonicIndexes', description: "The fork: a follower's commitIndex and a leader's matchIndex never decrease.", default: false },
  { name: 'liveness', description: 'Also check LeaderEventuallyElected and LeaderEntriesCommitted under weak fairness of the servers\' own steps (liveness.ts); the search then records the state graph.', default: false },
  {
    name: 'fingerprintGhost',
    description: 'Fingerprint the ghost variables the invariants read (exact); off only to count the states of raft.tla itself.',
    default: true,
  },
];

export const raftPresets: readonly Preset[] = [
  {
    name: 'ci',
    description:
      'Three servers, two election rounds (terms up to 3), one entry, one message in flight at a time, with DropMessage: exhaustive (5,043,055 states), every sometimes reached.',
    bounds: { servers: 3, maxTerm: 3, maxLogLength: 1, maxMessages: 1, drop: true },
  },
  {
    name: 'tlc',
    description:
      "The TLC configuration of the comparison in README.md: 3 servers, 1 value, currentTerm <= 2, Len(log) <= 2, at most one copy of each message, no Restart/Duplicate/Drop, server symmetry; raft.tla's history variables in the state and our ghosts out of it, as TLC sees raft.tla.",
    bounds: { servers: 3, values: 1, maxTerm: 2, maxLogLength: 2, maxCopies: 1, restart: false, duplicate: false, drop: false, symmetry: true, history: true, fingerprintGhost: false },
  },
  {
    name: 'tlc-fork',
    description:
      "The TLC model whose count the issue quotes (6,425,257 states): Ovidiu Marcu's fork of raft.tla, 3 servers, 1 value, MaxClientRequests = 1, MaxBecomeLeader = 2, MaxTerm = 2, Len(log) <= 2, no Restart/Duplicate/Drop, server symmetry, history variables in the state.",
    bounds: {
      servers: 3,
      values: 1,
      maxTerm: 2,
      maxLogLength: 2,
      maxCopies: 1,
      symmetry: true,
      history: true,
      fingerprintGhost: false,
      keepDelivered: true,
      selfVote: false,
      timeoutBelowMaxTerm: true,
      maxClientRequests: 1,
      maxBecomeLeader: 2,
      monotonicIndexes: true,
    },
  },
  {
    name: 'restarts',
    description: 'Three servers, one election round (terms up to 2), one entry, one message in flight, with Restart and DropMessage: exhaustive.',
    bounds: { servers: 3, maxTerm: 2, maxLogLength: 1, maxMessages: 1, restart: true, drop: true },
  },
  {
    name: 'elections',
    description:
      'Three servers, terms up to 3, one entry, one message in flight, no faults: the ci bounds without DropMessage, exhaustive (1,275,476 states); the hunt of the election bugs (double-vote, skip-log-up-to-date-check).',
    bounds: { servers: 3, maxTerm: 3, maxLogLength: 1, maxMessages: 1 },
  },
  {
    name: 'duplicates',
    description: 'Three servers, one term, two entries, two messages in flight and two copies of each: a small exhaustive-minded view of a reordered network (truncate-on-stale-append breaks CommittedEntriesOnQuorum here; its hunt from Init is deep-network).',
    bounds: { servers: 3, maxTerm: 2, maxLogLength: 2, maxMessages: 2, maxCopies: 2, duplicate: true },
  },
  {
    name: 'figure8',
    description: "A teaching aid, not a hunt: from Figure 8 (c)'s start (scenarios.ts), terms up to 5, one message in flight, the shortest Figure 8 counterexample (figure8-commit's hunt from Init is deep).",
    bounds: { servers: 3, maxTerm: 5, maxLogLength: 1, maxMessages: 1, fromFigure8: true },
  },
  {
    name: 'deposed-leader',
    description: 'A teaching aid, not a hunt: ReadIndex with one read, from a leader of term 2 that has committed an entry (scenarios.ts), terms up to 3 (stale-read\'s hunt from Init is deep-reads).',
    bounds: { servers: 3, maxTerm: 3, maxLogLength: 2, maxMessages: 1, reads: 1, fromDeposedLeader: true },
  },
  {
    name: 'liveness',
    description:
      'LeaderEventuallyElected and LeaderEntriesCommitted under weak fairness of the servers\' steps, once faults stop (no drop, duplicate or restart): 3 servers, terms up to 2, one entry, one message in flight, symmetry (57,021 states; both hold within the bounds). With --timeoutBelowMaxTerm true a split vote in the last term never ends.',
    bounds: { servers: 3, maxTerm: 2, maxLogLength: 1, maxMessages: 1, liveness: true },
  },
  {
    name: 'deep',
    description:
      'The ci bounds with terms up to 5 (four elections): far from exhaustive; for coverage-guided walks from Init (--simulate N --guided), the hunt of figure8-commit.',
    bounds: { servers: 3, maxTerm: 5, maxLogLength: 1, maxMessages: 1, drop: true },
  },
  {
    name: 'deep-network',
    description:
      'Three servers, terms up to 3, one entry, two messages in flight (so one can overtake another): far from exhaustive; for coverage-guided walks from Init, the hunt of truncate-on-stale-append.',
    bounds: { servers: 3, maxTerm: 3, maxLogLength: 1, maxMessages: 2 },
  },
  {
    name: 'deep-reads',
    description:
      'Three servers, terms up to 3, two entries, one message in flight (README.md, Known limits: with reads, two could report a stale read the protocol does not make) and one ReadIndex read: far from exhaustive; for coverage-guided walks from Init, the hunt of stale-read.',
    bounds: { servers: 3, maxTerm: 3, maxLogLength: 2, maxMessages: 1, reads: 1 },
  },
  {
    name: 'large',
    description: 'Three servers, terms up to 3, two entries, every fault, no bound on messages in flight: far from exhaustive; use --simulate or --dfs with a depth.',
    bounds: { servers: 3, values: 1, maxTerm: 3, maxLogLength: 2, maxCopies: 2, restart: true, duplicate: true, drop: true },
  },
];

/** Bounds with every default filled in, as the model's options. */
export function raftOptions(bounds: Bounds, mutant: string | undefined): RaftModelOptions {
  const value = (name: string): number | boolean => {
    const definition = raftBounds.find((b) => b.name === name);
    assert(definition !== undefined, () => `unknown raft bound ${name}`);
    return bounds[name] ?? definition.default;
  };
  const int = (name: string): number => {
    const v = value(name);
    assert(typeof v === 'number' && Number.isInteger(v) && v >= 0, () => `raft bound ${name} must be a non-negative integer, got ${String(v)}`);
    return v;
  };
  const bool = (name: string): boolean => {
    const v = value(name);
    assert(typeof v === 'boolean', () => `raft bound ${name} must be true or false, got ${String(v)}`);
    return v;
  };
  for (const name of Object.keys(bounds)) assert(raftBounds.some((b) => b.name === name), () => `unknown raft bound ${name}`);
  assert(mutant === undefined || isMutantName(mutant), () => `unknown raft mutant ${mutant}`);
  const options: RaftModelOptions = {
    servers: int('servers'),
    values: int('values'),
    maxTerm: int('maxTerm'),
    maxLogLength: int('maxLogLength'),
    maxCopies: int('maxCopies'),
    maxMessages: int('maxMessages'),
    restart: bool('restart'),
    duplicate: bool('duplicate'),
    drop: bool('drop'),
    symmetry: bool('symmetry'),
    history: bool('history'),
    reads: int('reads'),
    fingerprintGhost: bool('fingerprintGhost'),
    keepDelivered: bool('keepDelivered'),
    selfVote: bool('selfVote'),
    timeoutBelowMaxTerm: bool('timeoutBelowMaxTerm'),
    maxClientRequests: int('maxClientRequests'),
    maxBecomeLeader: int('maxBecomeLeader'),
    monotonicIndexes: bool('monotonicIndexes'),
    liveness: bool('liveness'),
    mutant: mutant as RaftModelOptions['mutant'],
  };
  assert(!(bool('fromFigure8') && bool('fromDeposedLeader')), 'fromFigure8 and fromDeposedLeader exclude each other');
  if (bool('fromFigure8')) return { ...options, start: scenarioStart('figure8', options) };
  if (bool('fromDeposedLeader')) return { ...options, start: scenarioStart('deposedLeader', options) };
  return options;
}

export function buildRaftModel(bounds: Bounds, mutant?: string): Model<RaftCluster, RaftAction> {
  return raftModel(raftOptions(bounds, mutant));
}

export function presetBounds(name: string): Bounds {
  const preset = raftPresets.find((p) => p.name === name);
  assert(preset !== undefined, () => `unknown raft preset ${name}`);
  return preset.bounds;
}

export const raftSpec: SpecDefinition = {
  name: 'raft',
  description: "Raft (Ongaro and Ousterhout 2014) as ongardie's raft.tla, with ReadIndex reads; Figure 3's properties.",
  bounds: raftBounds,
  presets: raftPresets,
  mutants: raftMutants,
  build: (bounds, mutant) => buildRaftModel(bounds, mutant),
};
