// One Raft node's state (Figure 2's persistent and volatile state, plus what
// a real node needs: its role's bookkeeping, timers in ticks, the leader's
// per-follower progress) and the role transitions every handler shares. The
// state is immutable between steps; within one step the handlers work on a
// Draft (a private copy) that also collects the step's output, and step.ts
// freezes it back into a node and a Ready.

import { assert } from '../../lib/assert.ts';
import { majority } from '../../lib/quorum.ts';
import { EMPTY_LOG, fromSnapshot, lastIndex, type RaftLog, slice } from './log.ts';
import type { Persist, ReadState } from './ready.ts';
import { type Entry, type HardState, type Message, NONE, type RaftConfig, type Snapshot } from './types.ts';

export type Role = 'follower' | 'pre-candidate' | 'candidate' | 'leader';

/**
 * The leader's view of one follower (etcd-io/raft's Progress): `probe` sends
 * one AppendEntries at a time until the follower's log is found to match;
 * `replicate` pipelines up to maxInflight batches, sending optimistically
 * after the last; `snapshot` waits for an InstallSnapshot to be acknowledged.
 */
export interface Progress {
  readonly match: number;
  readonly next: number;
  readonly state: 'probe' | 'replicate' | 'snapshot';
  /** probe: an AppendEntries is out and unanswered (wait for a response or the next heartbeat response). */
  readonly paused: boolean;
  /** replicate: the last index of each batch in flight, oldest first. */
  readonly inflight: readonly number[];
  /** snapshot: the index of the snapshot sent. */
  readonly pendingSnapshot: number;
  /** Heard from since the last check-quorum. */
  readonly recentActive: boolean;
}

/** A ReadIndex read waiting for a quorum of heartbeat acknowledgements in this term. */
export interface PendingRead {
  readonly context: number;
  readonly index: number;
  readonly acks: ReadonlySet<number>;
}

export interface RaftNode {
  readonly config: RaftConfig;
  readonly term: number;
  readonly vote: number;
  readonly log: RaftLog;
  readonly commit: number;
  /** The last index handed to the world to apply (the state machine's applied index once the world has applied it). */
  readonly applied: number;
  readonly role: Role;
  readonly leader: number;
  readonly electionElapsed: number;
  readonly heartbeatElapsed: number;
  readonly randomizedElectionTicks: number;
  /** mulberry32's state: the randomised timeout is the core's only randomness, seeded by the config. */
  readonly rng: number;
  /** Votes received in this (pre-)campaign, by voter. */
  readonly votes: ReadonlyMap<number, boolean>;
  readonly progress: ReadonlyMap<number, Progress>;
  readonly reads: readonly PendingRead[];
  /** The latest snapshot (what the log before log.snapshotIndex stands for), sent to followers that lag behind it. */
  readonly snapshot: Snapshot | undefined;
  /** How many steps this node has taken (names each Ready). */
  readonly steps: number;
}

/** What survives a crash: the hard state, the snapshot, the log after it. */
export interface Stored {
  readonly hardState: HardState;
  readonly snapshot: Snapshot | undefined;
  readonly entries: readonly Entry[];
}

export const EMPTY_STORED: Stored = { hardState: { term: 0, vote: NONE }, snapshot: undefined, entries: [] };

/** A node started (or restarted after a crash) from what its storage holds: a follower that knows no leader. */
export function newNode(config: RaftConfig, stored: Stored = EMPTY_STORED): RaftNode {
  assert(config.voters.includes(config.id), () => `node ${config.id} is not among the voters ${config.voters.join(',')}`);
  assert(config.heartbeatTicks >= 1 && config.heartbeatTicks < config.electionTicks, () => `heartbeatTicks ${config.heartbeatTicks} must be in 1..electionTicks-1 (${config.electionTicks})`);
  assert(config.maxInflight >= 1 && config.maxBatchEntries >= 1, 'maxInflight and maxBatchEntries are at least 1');
  const base = stored.snapshot === undefined ? EMPTY_LOG : fromSnapshot(stored.snapshot.index, stored.snapshot.term);
  const log: RaftLog = { ...base, entries: stored.entries.filter((e) => e.index > base.snapshotIndex) };
  assert(log.entries.every((e, k) => e.index === log.snapshotIndex + 1 + k), 'stored entries are contiguous after the snapshot');
  const rng = (config.seed * 0x9e3779b1 + config.id * 0x85ebca6b) >>> 0;
  const node: RaftNode = {
    config,
    term: stored.hardState.term,
    vote: stored.hardState.vote,
    log,
    // The snapshot is committed and applied (the world loads it before the first step).
    commit: log.snapshotIndex,
    applied: log.snapshotIndex,
    role: 'follower',
    leader: NONE,
    electionElapsed: 0,
    heartbeatElapsed: 0,
    randomizedElectionTicks: config.electionTicks,
    rng,
    votes: new Map(),
    progress: new Map(),
    reads: [],
    snapshot: stored.snapshot,
    steps: 0,
  };
  const draft = toDraft(node);
  resetRandomizedTimeout(draft);
  return fromDraft(draft);
}

export function quorum(node: { readonly config: RaftConfig }): number {
  return majority(node.config.voters.length);
}

export function isBuggy(node: { readonly config: RaftConfig }, bug: NonNullable<RaftConfig['bugs']> extends ReadonlySet<infer B> ? B : never): boolean {
  return node.config.bugs?.has(bug) === true;
}

// ---------------------------------------------------------------------------
// The draft of one step: the node's fields, writable, plus the step's output.

type Writable<T> = { -readonly [K in keyof T]: T[K] };

export interface StepOutput {
  hardStateChanged: boolean;
  /** The first log index this step changed (the stored log is cut there and the rest written). */
  logFrom: number | undefined;
  snapshot: { snapshot: Snapshot; replacesLog: boolean } | undefined;
  messages: Message[];
  applySnapshot: Snapshot | undefined;
  reads: ReadState[];
  refused: { what: 'Propose' | 'ReadIndex'; context: number; reason: string }[];
  /** Input the core ignored because it breaks the protocol (a peer's bug, or a forged message): for the world's log. */
  warnings: string[];
}

export interface Draft extends Writable<Omit<RaftNode, 'votes' | 'progress'>> {
  votes: Map<number, boolean>;
  progress: Map<number, Progress>;
  out: StepOutput;
}

export function toDraft(node: RaftNode): Draft {
  return {
    ...node,
    votes: new Map(node.votes),
    progress: new Map(node.progress),
    out: { hardStateChanged: false, logFrom: undefined, snapshot: undefined, messages: [], applySnapshot: undefined, reads: [], refused: [], warnings: [] },
  };
}

export function fromDraft(d: Draft): RaftNode {
  return {
    config: d.config,
    term: d.term,
    vote: d.vote,
    log: d.log,
    commit: d.commit,
    applied: d.applied,
    role: d.role,
    leader: d.leader,
    electionElapsed: d.electionElapsed,
    heartbeatElapsed: d.heartbeatElapsed,
    randomizedElectionTicks: d.randomizedElectionTicks,
    rng: d.rng,
    votes: d.votes,
    progress: d.progress,
    reads: d.reads,
    snapshot: d.snapshot,
    steps: d.steps,
  };
}

/** The persist part of a finished draft, or undefined when nothing must be written. */
export function persistOf(d: Draft): Persist | undefined {
  const o = d.out;
  const from = o.logFrom === undefined ? undefined : Math.max(o.logFrom, d.log.snapshotIndex + 1);
  const entries = from === undefined || from > lastIndex(d.log) ? undefined : slice(d.log, from, lastIndex(d.log));
  if (!o.hardStateChanged && entries === undefined && o.snapshot === undefined) return undefined;
  return {
    ...(o.hardStateChanged ? { hardState: { term: d.term, vote: d.vote } } : {}),
    ...(o.snapshot !== undefined ? { snapshot: o.snapshot } : {}),
    ...(entries !== undefined ? { entries } : {}),
  };
}

export function send(d: Draft, message: Message): void {
  assert(message.from === d.config.id && message.to !== d.config.id, () => `send ${message.type} from ${message.from} to ${message.to} at node ${d.config.id}`);
  d.out.messages.push(message);
}

export function setHardState(d: Draft, term: number, vote: number): void {
  if (d.term === term && d.vote === vote) return;
  assert(term >= d.term, () => `term goes back from ${d.term} to ${term}`);
  d.term = term;
  d.vote = vote;
  d.out.hardStateChanged = true;
}

/** Record that the log changed from index `from` on: the stored log is cut there and the rest written (persistOf). */
export function logChangedFrom(d: Draft, from: number): void {
  d.out.logFrom = d.out.logFrom === undefined ? from : Math.min(d.out.logFrom, from);
}

// ---------------------------------------------------------------------------
// Timers and roles.

/** A fresh randomised election timeout in [electionTicks, 2 * electionTicks) (§5.2: "randomized election timeouts"). */
export function resetRandomizedTimeout(d: Draft): void {
  // mulberry32, one draw.
  d.rng = (d.rng + 0x6d2b79f5) >>> 0;
  let t = d.rng;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  const r = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  d.randomizedElectionTicks = d.config.electionTicks + Math.floor(r * d.config.electionTicks);
}

function resetRole(d: Draft, term: number): void {
  if (d.term !== term) setHardState(d, term, NONE);
  d.leader = NONE;
  d.electionElapsed = 0;
  d.heartbeatElapsed = 0;
  resetRandomizedTimeout(d);
  d.votes = new Map();
  d.progress = new Map();
  // Reads pending in a term we leave can never be confirmed: their clients retry elsewhere.
  for (const r of d.reads) d.out.refused.push({ what: 'ReadIndex', context: r.context, reason: 'leadership lost' });
  d.reads = [];
}

export function becomeFollower(d: Draft, term: number, leader: number): void {
  resetRole(d, term);
  d.role = 'follower';
  d.leader = leader;
}

/** Pre-vote changes no durable state: the term it asks for is term + 1, not taken. */
export function becomePreCandidate(d: Draft): void {
  assert(d.role !== 'leader', 'a leader does not pre-campaign');
  d.role = 'pre-candidate';
  d.leader = NONE;
  d.votes = new Map();
  d.electionElapsed = 0;
  resetRandomizedTimeout(d);
}

export function becomeCandidate(d: Draft): void {
  assert(d.role !== 'leader', 'a leader does not campaign');
  resetRole(d, d.term + 1);
  // The vote for ourselves is persisted with the new term, before any RequestVote leaves (the Ready's seal).
  setHardState(d, d.term, d.config.id);
  d.role = 'candidate';
}

export function becomeLeader(d: Draft): void {
  assert(d.role === 'candidate', () => `node ${d.config.id} becomes leader from ${d.role}`);
  d.role = 'leader';
  d.leader = d.config.id;
  d.electionElapsed = 0;
  d.heartbeatElapsed = 0;
  const last = lastIndex(d.log);
  const progress = new Map<number, Progress>();
  for (const id of d.config.voters) {
    progress.set(id, { match: id === d.config.id ? last : 0, next: last + 1, state: 'probe', paused: false, inflight: [], pendingSnapshot: 0, recentActive: id === d.config.id });
  }
  d.progress = progress;
}
