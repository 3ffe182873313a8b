// The core's safety-critical rules, one story each: vote once per term (§5.2),
// the election restriction (§5.4.1), commitment by counting only entries of the
// current term (§5.4.2), log matching and truncation (§5.3), pre-vote that does
// not disrupt and check-quorum that steps down (dissertation §9.6, §6.2),
// persist-before-send, InstallSnapshot (§7) and ReadIndex (§6.4). Each rule
// that has a bug flag is also shown broken by it.

import { describe, expect, it } from 'vitest';
import { lastIndex, termAt } from './log.ts';
import { newNode, type RaftNode, type Stored } from './node.ts';
import { persisted, type Ready } from './ready.ts';
import { step } from './step.ts';
import { defaultConfig, type Entry, type Message, NONE, type RaftBug, type RaftConfig } from './types.ts';
import { RaftWorld } from './world.ts';

const VOTERS = [0, 1, 2];
const config = (id: number, extra: Partial<RaftConfig> = {}) => defaultConfig(id, VOTERS, { preVote: false, checkQuorum: false, noopOnElection: false, ...extra });
const entries = (...terms: number[]): Entry[] => terms.map((term, k) => ({ index: k + 1, term, data: Uint8Array.of(k + 1) }));
const stored = (term: number, vote: number, log: Entry[] = []): Stored => ({ hardState: { term, vote }, snapshot: undefined, entries: log });
const bugs = (bug: RaftBug) => ({ bugs: new Set<RaftBug>([bug]) });

function deliver(node: RaftNode, message: Message): { node: RaftNode; ready: Ready; sent: readonly Message[] } {
  const { node: after, ready } = step(node, { type: 'Receive', message });
  return { node: after, ready, sent: ready.outbox.open(persisted(ready)).messages };
}

const voteRequest = (from: number, to: number, term: number, lastLogIndex = 0, lastLogTerm = 0): Message => ({ type: 'RequestVote', term, from, to, lastLogIndex, lastLogTerm, preVote: false });

describe('votes (§5.2, §5.4.1)', () => {
  it('a node votes for at most one candidate per term, and the vote is persisted with the answer behind the seal', () => {
    const first = deliver(newNode(config(0), stored(1, NONE)), voteRequest(1, 0, 2));
    expect(first.sent).toMatchObject([{ type: 'RequestVoteResponse', granted: true, term: 2, to: 1 }]);
    expect(first.ready.persist?.hardState).toEqual({ term: 2, vote: 1 });
    const second = deliver(first.node, voteRequest(2, 0, 2));
    expect(second.sent).toMatchObject([{ type: 'RequestVoteResponse', granted: false, to: 2 }]);
    expect(second.node.vote).toBe(1);
    // The same candidate asking again gets the same answer (a duplicated request).
    expect(deliver(first.node, voteRequest(1, 0, 2)).sent).toMatchObject([{ granted: true }]);
  });

  it('double-vote: the bug grants a second vote in the same term', () => {
    const first = deliver(newNode(config(0, bugs('double-vote')), stored(1, NONE)), voteRequest(1, 0, 2));
    expect(deliver(first.node, voteRequest(2, 0, 2)).sent).toMatchObject([{ granted: true }]);
  });

  it("a candidate whose log is behind ours is refused (older last term, or same term and shorter); skip-log-up-to-date-check grants it", () => {
    const voter = newNode(config(0), stored(2, NONE, entries(1, 2)));
    expect(deliver(voter, voteRequest(1, 0, 3, 5, 1)).sent).toMatchObject([{ granted: false }]);
    expect(deliver(voter, voteRequest(1, 0, 3, 1, 2)).sent).toMatchObject([{ granted: false }]);
    expect(deliver(voter, voteRequest(1, 0, 3, 2, 2)).sent).toMatchObject([{ granted: true }]);
    const buggy = newNode(config(0, bugs('skip-log-up-to-date-check')), stored(2, NONE, entries(1, 2)));
    expect(deliver(buggy, voteRequest(1, 0, 3, 5, 1)).sent).toMatchObject([{ granted: true }]);
  });

  it('a request of an older term is refused in ours', () => {
    expect(deliver(newNode(config(0), stored(5, NONE)), voteRequest(1, 0, 4)).sent).toMatchObject([{ type: 'RequestVoteResponse', term: 5, granted: false }]);
  });
});

/** A leader of `term` elected by node 1 with `log`, node 1 holding the same log. */
function leaderWith(term: number, log: Entry[], extra: Partial<RaftConfig> = {}): RaftNode {
  let leader = newNode(config(0, extra), stored(term - 1, NONE, log));
  for (let t = 0; t < 40 && leader.role !== 'candidate'; t++) leader = step(leader, { type: 'Tick' }).node;
  expect(leader.term).toBe(term);
  leader = deliver(leader, { type: 'RequestVoteResponse', term, from: 1, to: 0, granted: true, preVote: false }).node;
  expect(leader.role).toBe('leader');
  return leader;
}

const ack = (term: number, from: number, matchIndex: number): Message => ({ type: 'AppendEntriesResponse', term, from, to: 0, success: true, matchIndex, rejectedIndex: 0, lastIndex: matchIndex });

describe('commitment (§5.4.2)', () => {
  it('an entry of an earlier term held by a quorum is not committed by counting; it commits with an entry of the current term', () => {
    let leader = leaderWith(4, entries(2));
    leader = deliver(leader, ack(4, 1, 1)).node;
    expect(leader.commit).toBe(0);
    leader = step(leader, { type: 'Propose', data: Uint8Array.of(9) }).node;
    expect(termAt(leader.log, 2)).toBe(4);
    leader = deliver(leader, ack(4, 1, 2)).node;
    expect(leader.commit).toBe(2);
  });

  it('figure8-commit: the bug commits the earlier term\'s entry by counting replicas', () => {
    const leader = deliver(leaderWith(4, entries(2), bugs('figure8-commit')), ack(4, 1, 1)).node;
    expect(leader.commit).toBe(1);
  });
});

const append = (term: number, prevLogIndex: number, prevLogTerm: number, log: Entry[], commit = 0): Message => ({ type: 'AppendEntries', term, from: 1, to: 0, prevLogIndex, prevLogTerm, entries: log, commit });

describe('log matching and truncation (§5.3)', () => {
  it('refuses entries after an entry it does not hold, naming its last index', () => {
    const { sent } = deliver(newNode(config(0), stored(2, NONE, entries(1))), append(2, 3, 2, []));
    expect(sent).toMatchObject([{ type: 'AppendEntriesResponse', success: false, rejectedIndex: 3, lastIndex: 1 }]);
  });

  it('deletes from the first conflicting entry on, keeps what matches, and persists the rewritten tail', () => {
    const follower = newNode(config(0), stored(3, NONE, entries(1, 1, 2, 2)));
    const incoming = [
      { index: 2, term: 1, data: Uint8Array.of(2) },
      { index: 3, term: 3, data: Uint8Array.of(30) },
    ];
    const { node, ready, sent } = deliver(follower, append(3, 1, 1, incoming, 3));
    expect(node.log.entries.map((e) => e.term)).toEqual([1, 1, 3]);
    expect(ready.persist?.entries?.map((e) => e.index)).toEqual([3]);
    expect(sent).toMatchObject([{ success: true, matchIndex: 3 }]);
    expect(node.commit).toBe(3);
  });

  it('an old, shorter request does not cut entries it does not conflict with (a stale or duplicated AppendEntries)', () => {
    const follower = newNode(config(0), stored(2, NONE, entries(1, 2, 2)));
    const { node, sent } = deliver(follower, append(2, 0, 0, entries(1)));
    expect(lastIndex(node.log)).toBe(3);
    expect(sent).toMatchObject([{ success: true, matchIndex: 1 }]);
  });

  it('never deletes a committed entry, whatever a leader sends', () => {
    let follower = newNode(config(0), stored(2, NONE));
    follower = deliver(follower, append(2, 0, 0, entries(2, 2), 2)).node;
    expect(follower.commit).toBe(2);
    const { node, ready, sent } = deliver(follower, append(2, 0, 0, [{ index: 1, term: 3, data: Uint8Array.of(7) }]));
    expect(node.log).toBe(follower.log);
    expect(sent).toEqual([]);
    expect(ready.warnings[0]).toMatch(/conflicts at 1, at or below our commit index 2/);
  });
});

/** Three nodes on a world with a leader elected (node 0), its noop committed. */
function cluster(extra: Partial<RaftConfig> = {}): RaftWorld {
  const world = new RaftWorld(VOTERS.map((id) => defaultConfig(id, VOTERS, { seed: 7, ...extra })));
  for (let round = 0; round < 100 && world.leaders().length === 0; round++) {
    world.input(0, { type: 'Tick' });
    while (world.inFlight.length > 0) world.deliver(0);
  }
  expect(world.leaders()).toEqual([0]);
  return world;
}

function settle(world: RaftWorld, drop: (m: Message) => boolean = () => false): void {
  for (let k = 0; k < 1000 && world.inFlight.length > 0; k++) {
    if (drop(world.inFlight[0]!)) world.inFlight.shift();
    else world.deliver(0);
  }
}

describe('pre-vote and check-quorum (dissertation §9.6, §6.2)', () => {
  it('a node cut off from the leader pre-campaigns without raising its term, and cannot depose the leader when it returns', () => {
    const world = cluster();
    const term = world.nodes[0]!.node.term;
    for (let t = 0; t < 60; t++) {
      world.input(2, { type: 'Tick' });
      world.inFlight = world.inFlight.filter((m) => m.from !== 2 && m.to !== 2);
    }
    expect(world.nodes[2]!.node.term).toBe(term);
    expect(world.nodes[2]!.node.role).toBe('pre-candidate');
    // Back on the network: its pre-vote requests reach nodes that hear from the leader.
    world.input(1, { type: 'Tick' });
    for (let t = 0; t < 30; t++) {
      world.input(2, { type: 'Tick' });
      world.input(0, { type: 'Tick' });
      settle(world);
    }
    expect(world.leaders()).toEqual([0]);
    expect(world.nodes[0]!.node.term).toBe(term);
  });

  it('without pre-vote the same node returns with a higher term and deposes the leader (what pre-vote prevents)', () => {
    const world = cluster({ preVote: false, checkQuorum: false });
    const term = world.nodes[0]!.node.term;
    for (let t = 0; t < 60; t++) {
      world.input(2, { type: 'Tick' });
      world.inFlight = world.inFlight.filter((m) => m.from !== 2 && m.to !== 2);
    }
    expect(world.nodes[2]!.node.term).toBeGreaterThan(term);
    world.input(0, { type: 'Tick' });
    settle(world);
    expect(world.nodes[0]!.node.term).toBeGreaterThan(term);
  });

  it('a leader that hears from no quorum for an election timeout steps down', () => {
    const world = cluster();
    for (let t = 0; t < 3 * world.nodes[0]!.node.config.electionTicks && world.nodes[0]!.node.role === 'leader'; t++) {
      world.input(0, { type: 'Tick' });
      world.inFlight = [];
    }
    expect(world.nodes[0]!.node.role).toBe('follower');
  });
});

describe('the Ready contract', () => {
  it('an outbox opens only with the receipt of its own Ready', () => {
    const a = step(newNode(config(0), stored(1, NONE)), { type: 'Receive', message: voteRequest(1, 0, 2) });
    const b = step(a.node, { type: 'Tick' });
    expect(() => a.ready.outbox.open(persisted(b.ready))).toThrow(/receipt of Ready 2 opens the outbox of Ready 1/);
  });

  it('an entry is applied only through the sealed outbox, after its persist (a leader alone commits at once)', () => {
    const solo = newNode(defaultConfig(0, [0]), stored(1, NONE));
    let node = step(solo, { type: 'Tick' }).node;
    for (let t = 0; t < 40 && node.role !== 'leader'; t++) node = step(node, { type: 'Tick' }).node;
    const { ready } = step(node, { type: 'Propose', data: Uint8Array.of(5) });
    expect(ready.persist?.entries?.map((e) => e.data[0])).toEqual([5]);
    expect(ready.outbox.open(persisted(ready)).committed.map((e) => e.data[0])).toEqual([5]);
  });
});

describe('snapshots (§7) and ReadIndex (§6.4)', () => {
  it('a follower behind the leader\'s compacted log is sent the snapshot and catches up after it', () => {
    const world = cluster();
    for (let k = 0; k < 6; k++) {
      world.input(0, { type: 'Propose', data: Uint8Array.of(k) });
      settle(world, (m) => m.to === 2);
    }
    const leader = world.nodes[0]!.node;
    world.input(0, { type: 'Compact', index: leader.applied, data: Uint8Array.of(0xaa) });
    expect(world.nodes[0]!.node.log.snapshotIndex).toBe(leader.applied);
    world.input(0, { type: 'Propose', data: Uint8Array.of(99) });
    for (let t = 0; t < 30; t++) {
      world.input(0, { type: 'Tick' });
      settle(world);
    }
    const follower = world.nodes[2]!;
    expect(follower.machine.snapshot?.data).toEqual(Uint8Array.of(0xaa));
    expect(follower.node.commit).toBe(world.nodes[0]!.node.commit);
    expect(follower.machine.entries.at(-1)?.data).toEqual(Uint8Array.of(99));
  });

  it('a read is answered only after a quorum acknowledges a heartbeat for it; stale-read answers at once', () => {
    const world = cluster();
    world.input(0, { type: 'ReadIndex', context: 1 });
    expect(world.nodes[0]!.reads.size).toBe(0);
    settle(world);
    expect(world.nodes[0]!.reads.get(1)).toBe(world.nodes[0]!.node.commit);
    const cutOff = cluster({ bugs: new Set<RaftBug>(['stale-read']) });
    cutOff.input(0, { type: 'ReadIndex', context: 1 });
    expect(cutOff.nodes[0]!.reads.has(1)).toBe(true);
  });
});
