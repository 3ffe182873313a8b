// A seeded randomised run of a cluster of cores in one process (world.ts):
// ticks, client writes and reads, compaction, messages delivered in any
// order, lost and duplicated, partitions, and crashes at any point of a
// Ready (before its persist, after it, before its messages leave) with the
// node restarting from what it had persisted. After every step it checks
// Raft's safety properties (Figure 3):
//
// - Election Safety: at most one leader per term;
// - Log Matching: two logs with an entry of the same index and term are
//   identical up to it;
// - Leader Completeness: an entry a leader committed in term T is in the log
//   of every leader of a later term when it is elected;
// - State Machine Safety: no two state machines apply different entries at
//   one index.
//
// The run ends with the faults healed and checks that the cluster still
// commits (so a run cannot pass by doing nothing).

import { Random } from '../../lib/random.ts';
import { entryAt, lastIndex, termAt } from './log.ts';
import type { RaftNode } from './node.ts';
import { type Entry, defaultConfig, type RaftBug, type RaftConfig } from './types.ts';
import { type CrashPoint, RaftWorld } from './world.ts';

export interface SimulationOptions {
  readonly seed: number;
  readonly nodes: number;
  readonly steps: number;
  readonly bugs?: ReadonlySet<RaftBug>;
  /** Config fields for every node (pre-vote, check-quorum, batching...). */
  readonly config?: Partial<RaftConfig>;
}

export interface SimulationResult {
  readonly violations: string[];
  readonly leadersElected: number;
  /** The highest index any state machine applied. */
  readonly appliedMax: number;
  readonly readsAnswered: number;
  readonly snapshotsInstalled: number;
  readonly crashes: number;
}

interface CommitRecord {
  readonly index: number;
  readonly term: number;
  readonly data: Uint8Array;
  readonly committedInTerm: number;
}

function sameEntry(a: Entry, b: Entry): boolean {
  return a.index === b.index && a.term === b.term && a.data.length === b.data.length && a.data.every((x, k) => x === b.data[k]);
}

/** Log Matching between two nodes: from the highest index both hold with the same term downwards, every entry both hold is equal. */
function logMatching(a: RaftNode, b: RaftNode): string | undefined {
  const top = Math.min(lastIndex(a.log), lastIndex(b.log));
  const bottom = Math.max(a.log.snapshotIndex, b.log.snapshotIndex) + 1;
  let matched = false;
  for (let i = top; i >= bottom; i--) {
    const ea = entryAt(a.log, i)!;
    const eb = entryAt(b.log, i)!;
    if (!matched && ea.term === eb.term) matched = true;
    if (matched && !sameEntry(ea, eb)) return `Log Matching: nodes ${a.config.id} and ${b.config.id} agree on a later entry but differ at index ${i} (terms ${ea.term}, ${eb.term})`;
  }
  return undefined;
}

export function simulate(options: SimulationOptions): SimulationResult {
  const random = new Random(options.seed);
  const ids = Array.from({ length: options.nodes }, (_, k) => k);
  const configs = ids.map((id) => defaultConfig(id, ids, { seed: options.seed, electionTicks: 8, heartbeatTicks: 2, maxInflight: 4, maxBatchEntries: 3, ...options.config, ...(options.bugs !== undefined ? { bugs: options.bugs } : {}) }));
  const violations: string[] = [];
  const leaderOfTerm = new Map<number, number>();
  const committed: CommitRecord[] = [];
  const appliedAt = new Map<number, Entry>();
  let leadersElected = 0;
  let appliedMax = 0;
  let snapshotsInstalled = 0;
  const world: RaftWorld = new RaftWorld(configs, {
    afterStep(id, before) {
      const node = world.nodes[id]!.node;
      if (node.role === 'leader' && before.role !== 'leader') {
        leadersElected++;
        const other = leaderOfTerm.get(node.term);
        if (other !== undefined && other !== id) violations.push(`Election Safety: nodes ${other} and ${id} both lead term ${node.term}`);
        leaderOfTerm.set(node.term, id);
        for (const c of committed) {
          if (c.committedInTerm >= node.term || c.index <= node.log.snapshotIndex) continue;
          const e = entryAt(node.log, c.index);
          if (e === undefined || e.term !== c.term) violations.push(`Leader Completeness: entry ${c.index}@${c.term} committed in term ${c.committedInTerm} is not in the log of node ${id}, leader of term ${node.term}`);
        }
      }
      if (node.role === 'leader' && node.term === before.term && node.commit > before.commit) {
        for (let i = Math.max(before.commit + 1, node.log.snapshotIndex + 1); i <= node.commit; i++) {
          const e = entryAt(node.log, i)!;
          committed.push({ index: i, term: e.term, data: e.data, committedInTerm: node.term });
        }
      }
      for (const other of world.nodes) {
        if (other.node.config.id === id) continue;
        const v = logMatching(node, other.node);
        if (v !== undefined) violations.push(v);
      }
    },
    onApply(id, entry) {
      appliedMax = Math.max(appliedMax, entry.index);
      const first = appliedAt.get(entry.index);
      if (first === undefined) appliedAt.set(entry.index, entry);
      else if (!sameEntry(first, entry)) violations.push(`State Machine Safety: node ${id} applies ${entry.index}@${entry.term}, another node applied ${first.index}@${first.term}`);
    },
  });
  const crashes = runFaults(world, random, options.steps, () => violations.length > 0);
  for (const w of world.nodes) if (w.machine.snapshot !== undefined) snapshotsInstalled++;
  if (violations.length === 0) heal(world, random, violations);
  const readsAnswered = world.nodes.reduce((sum, w) => sum + w.reads.size, 0);
  return { violations, leadersElected, appliedMax, readsAnswered, snapshotsInstalled, crashes };
}

/** The faulty phase: `steps` random actions. Returns the number of crashes. */
function runFaults(world: RaftWorld, random: Random, steps: number, stop: () => boolean): number {
  const n = world.nodes.length;
  let crashes = 0;
  let partitioned: number | undefined;
  let reads = 0;
  const crashPoint = (): CrashPoint => {
    const r = random.nextInt(400);
    if (r === 0) return 'before-persist';
    if (r === 1) return 'after-persist';
    return 'none';
  };
  for (let s = 0; s < steps && !stop(); s++) {
    const r = random.nextInt(100);
    const id = random.nextInt(n);
    if (r < 30) world.input(id, { type: 'Tick' }, crashPoint());
    else if (r < 70 && world.inFlight.length > 0) {
      const k = random.nextInt(world.inFlight.length);
      const m = world.inFlight[k]!;
      // A partitioned node's messages, in and out, are lost.
      if (partitioned !== undefined && (m.from === partitioned || m.to === partitioned)) world.inFlight.splice(k, 1);
      else world.deliver(k, crashPoint());
    } else if (r < 74 && world.inFlight.length > 0) world.inFlight.splice(random.nextInt(world.inFlight.length), 1);
    else if (r < 76 && world.inFlight.length > 0) world.inFlight.push(world.inFlight[random.nextInt(world.inFlight.length)]!);
    else if (r < 86) world.input(id, { type: 'Propose', data: Uint8Array.of(s & 0xff, (s >> 8) & 0xff) }, crashPoint());
    else if (r < 89) world.input(id, { type: 'ReadIndex', context: ++reads });
    else if (r < 91) {
      const w = world.nodes[id]!;
      if (w.up && w.node.applied > w.node.log.snapshotIndex + 2) world.input(id, { type: 'Compact', index: w.node.applied - 1, data: Uint8Array.of(w.node.applied - 1) });
    } else if (r < 93) {
      if (world.nodes[id]!.up) {
        world.crash(id);
        crashes++;
      }
    } else if (r < 97) world.restart(id);
    else if (r < 98) partitioned = partitioned === undefined ? id : undefined;
  }
  return crashes;
}

/** Every node up, no partition, no loss: the cluster must elect a leader and commit a new write within a bounded number of rounds. */
function heal(world: RaftWorld, random: Random, violations: string[]): void {
  for (let id = 0; id < world.nodes.length; id++) world.restart(id);
  const committedBefore = Math.max(...world.nodes.map((w) => w.node.commit));
  let proposed = false;
  for (let round = 0; round < 400; round++) {
    for (let id = 0; id < world.nodes.length; id++) world.input(id, { type: 'Tick' });
    while (world.inFlight.length > 0) world.deliver(random.nextInt(world.inFlight.length));
    const [leader] = world.leaders();
    if (leader !== undefined && !proposed && termAt(world.nodes[leader]!.node.log, world.nodes[leader]!.node.commit) === world.nodes[leader]!.node.term) {
      world.input(leader, { type: 'Propose', data: Uint8Array.of(0xee) });
      proposed = true;
    }
    if (proposed && world.nodes.every((w) => w.node.commit > committedBefore && w.node.commit === lastIndex(w.node.log))) return;
  }
  violations.push(`liveness: with every fault healed the cluster did not commit a new write in 400 rounds (leaders: ${world.leaders().join(',') || 'none'})`);
}
