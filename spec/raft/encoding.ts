// Canonical encoding of the Raft world under a permutation of server ids
// (TLC's SYMMETRY): the servers are written in the order of their new ids,
// every id written is mapped, and every set of ids is written as a mapped bit
// mask (spec/common/symmetry.ts). Sets and bags (messages, allLogs,
// elections, ghosts) go through sink.unordered. The checker's hot path: one
// ClusterEncoder per permutation (model.ts caches them), its item encoders
// bound once so that sink.unordered gets the same function object every time.

import { assertNever } from '../../lib/assert.ts';
import type { Permutation, StateSink } from '../../model-check/model.ts';
import * as signatures from '../common/signature.ts';
import * as symmetry from '../common/symmetry.ts';
import { NIL, type Entry, type Log, type Message, type RaftNode, type ServerState } from './types.ts';
import type { CommittedEntry, Elected, Election, InFlight, RaftCluster, RaftModelOptions, ReadRecord, RemovedEntry } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { mapMask } = symmetry;
const { mix } = signatures;

const STATE_CODE: Readonly<Record<ServerState, number>> = { Follower: 0, Candidate: 1, Leader: 2 };
const MTYPE_CODE = {
  RequestVoteRequest: 0,
  RequestVoteResponse: 1,
  AppendEntriesRequest: 2,
  AppendEntriesResponse: 3,
  HeartbeatRequest: 4,
  HeartbeatResponse: 5,
} as const;

export class ClusterEncoder {
  private readonly map: readonly number[];
  private readonly inverse: readonly number[];
  private readonly servers: number;
  private readonly history: boolean;
  private readonly reads: boolean;
  private readonly fingerprintGhost: boolean;
  private readonly clientRequests: boolean;
  private readonly timesLeader: boolean;
  // Bound once so that sink.unordered gets the same function object every time.
  private readonly encodeInFlight = (item: InFlight, sink: StateSink): void => {
    this.encodeMessage(item.message, sink);
    sink.int(item.count);
  };
  private readonly encodeElection = (e: Election, sink: StateSink): void => {
    sink.int(e.eterm);
    sink.int(this.map[e.eleader]!);
    encodeLog(e.elog, sink);
    sink.int(mapMask(this.map, e.evotes));
    this.encodeVoterLog(e.evoterLog, sink);
  };
  private readonly encodeLeader = (l: Elected, sink: StateSink): void => {
    sink.int(l.term);
    sink.int(this.map[l.leader]!);
    encodeLog(l.log, sink);
  };
  private readonly encodeRemoved = (r: RemovedEntry, sink: StateSink): void => {
    sink.int(this.map[r.server]!);
    sink.int(r.index);
    sink.int(r.term);
  };
  private readonly encodeRead = (r: ReadRecord, sink: StateSink): void => {
    sink.int(this.map[r.leader]!);
    sink.int(r.term);
    sink.int(r.seq);
    sink.unordered(r.mustInclude, encodeCommitted);
    if (r.answer === undefined) sink.int(-1);
    else encodeLog(r.answer, sink);
  };

  constructor(perm: Permutation, options: RaftModelOptions) {
    this.map = perm.map;
    this.inverse = perm.inverse;
    this.servers = options.servers;
    this.history = options.history;
    this.reads = options.reads > 0;
    this.fingerprintGhost = options.fingerprintGhost;
    this.clientRequests = options.maxClientRequests > 0;
    this.timesLeader = options.maxBecomeLeader > 0;
  }

  encode(state: RaftCluster, sink: StateSink): void {
    const nodes = state.nodes;
    const n = nodes.length;
    for (let newId = 0; newId < n; newId++) this.encodeNode(nodes[this.inverse[newId]!]!, sink);
    sink.unordered(state.messages, this.encodeInFlight);
    if (this.clientRequests) sink.int(state.counters.clientRequests);
    if (this.timesLeader) for (let newId = 0; newId < n; newId++) sink.int(state.counters.timesLeader[this.inverse[newId]!]!);
    if (this.history) {
      sink.unordered(state.history.elections, this.encodeElection);
      sink.unordered(state.history.allLogs, encodeLog);
    }
    if (this.fingerprintGhost) {
      sink.unordered(state.ghost.committed, encodeCommitted);
      sink.unordered(state.ghost.leaders, this.encodeLeader);
      sink.unordered(state.ghost.removed, this.encodeRemoved);
      if (this.reads) sink.unordered(state.ghost.reads, this.encodeRead);
    }
  }

  private encodeNode(node: RaftNode, sink: StateSink): void {
    const n = node.config.servers;
    sink.int(node.currentTerm);
    sink.int(STATE_CODE[node.state]);
    sink.int(node.votedFor === NIL ? -1 : this.map[node.votedFor]!);
    encodeLog(node.log, sink);
    sink.int(node.commitIndex);
    sink.int(mapMask(this.map, node.votesResponded));
    sink.int(mapMask(this.map, node.votesGranted));
    if (this.history) this.encodeVoterLog(node.voterLog, sink);
    for (let k = 0; k < n; k++) sink.int(node.nextIndex[this.inverse[k]!]!);
    for (let k = 0; k < n; k++) sink.int(node.matchIndex[this.inverse[k]!]!);
    if (this.reads) {
      sink.int(node.readSeq);
      const read = node.pendingRead;
      if (read === undefined) sink.int(-1);
      else {
        sink.int(read.seq);
        sink.int(read.readIndex);
        sink.int(mapMask(this.map, read.acks));
      }
    }
  }

  private encodeVoterLog(voterLog: readonly (Log | undefined)[], sink: StateSink): void {
    // One entry per server: not perm.inverse's length, which is 256 for the identity
    // permutation a model without symmetry gets (that loop was half the CPU of raft.tla's
    // TLC comparison). No voter recorded yet is the empty array (step.ts's NO_VOTER_LOGS):
    // past its end is undefined, read without an out-of-bounds load.
    const n = this.servers;
    for (let k = 0; k < n; k++) {
      const i = this.inverse[k]!;
      const log = i < voterLog.length ? voterLog[i] : undefined;
      if (log === undefined) sink.int(-1);
      else encodeLog(log, sink);
    }
  }

  private encodeMessage(m: Message, sink: StateSink): void {
    sink.int(MTYPE_CODE[m.mtype]);
    sink.int(m.mterm);
    sink.int(this.map[m.msource]!);
    sink.int(this.map[m.mdest]!);
    switch (m.mtype) {
      case 'RequestVoteRequest':
        sink.int(m.mlastLogTerm);
        sink.int(m.mlastLogIndex);
        break;
      case 'RequestVoteResponse':
        sink.bool(m.mvoteGranted);
        if (this.history) encodeLog(m.mlog, sink);
        break;
      case 'AppendEntriesRequest':
        sink.int(m.mprevLogIndex);
        sink.int(m.mprevLogTerm);
        encodeLog(m.mentries, sink);
        if (this.history) encodeLog(m.mlog, sink);
        sink.int(m.mcommitIndex);
        break;
      case 'AppendEntriesResponse':
        sink.bool(m.msuccess);
        sink.int(m.mmatchIndex);
        break;
      case 'HeartbeatRequest':
      case 'HeartbeatResponse':
        sink.int(m.mreadSeq);
        break;
      default:
        assertNever(m, 'Raft message');
    }
  }
}

function encodeLog(log: Log, sink: StateSink): void {
  sink.int(log.length);
  for (let k = 0; k < log.length; k++) {
    const entry: Entry = log[k]!;
    sink.int(entry.term * 1024 + entry.value);
  }
}

function encodeCommitted(c: CommittedEntry, sink: StateSink): void {
  sink.int(c.index);
  sink.int(c.term);
  sink.int(c.committedInTerm);
}

/**
 * What a server is, without naming any server (model.ts, Symmetry.signature):
 * its term, role, log, commit index, whether and how it voted, how many votes
 * it has, its leader indexes taken together, and a sum over the messages it
 * sent or is sent and the elections it won (ghosts, when fingerprinted). Servers that differ here are
 * never swapped by a canonical permutation, so the checker tries fewer: on
 * the `ci` preset about 1.1 encodings per state instead of 1.7 with the
 * term, role, log length and commit index alone.
 */
export function signatureFor(options: RaftModelOptions): (state: RaftCluster, server: number) => number {
  // Only what the encoding writes may go in: two states encoded alike must get alike signatures.
  const ghost = options.fingerprintGhost;
  return (state, server) => signature(state, server, ghost);
}

function signature(state: RaftCluster, server: number, ghost: boolean): number {
  const node = state.nodes[server]!;
  const log = node.log;
  const last = log.length === 0 ? 0 : log[log.length - 1]!.term * 1024 + log[log.length - 1]!.value;
  const voted = node.votedFor === NIL ? 0 : node.votedFor === server ? 1 : 2;
  let indexes = 0;
  for (let k = 0; k < node.nextIndex.length; k++) indexes += node.nextIndex[k]! * 64 + node.matchIndex[k]!;
  const own =
    ((((node.currentTerm * 4 + STATE_CODE[node.state]) * 64 + log.length) * 64 + node.commitIndex) * 4 + voted) * 64 +
    popcount(node.votesResponded) * 8 +
    popcount(node.votesGranted);
  let mentions = mix(own) ^ mix(last + 0x100000) ^ mix(indexes + 0x200000);
  const messages = state.messages;
  for (let k = 0; k < messages.length; k++) {
    const item = messages[k]!;
    const m = item.message;
    if (m.msource !== server && m.mdest !== server) continue;
    const about = mix((((MTYPE_CODE[m.mtype] * 64 + m.mterm) * 4 + (m.msource === m.mdest ? 1 : 0)) * 64 + item.count) | 0);
    if (m.msource === server) mentions = (mentions + about) | 0;
    if (m.mdest === server) mentions = (mentions + (about ^ 0x5bd1e995)) | 0;
  }
  if (!ghost) return mentions >>> 0;
  const leaders = state.ghost.leaders;
  for (let k = 0; k < leaders.length; k++) if (leaders[k]!.leader === server) mentions = (mentions + mix(leaders[k]!.term + 0x300000)) | 0;
  return mentions >>> 0;
}

function popcount(mask: number): number {
  let count = 0;
  for (let rest = mask; rest !== 0; rest &= rest - 1) count++;
  return count;
}
