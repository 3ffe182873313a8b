// Starting points for the known-bug searches, each reached from raft.tla's
// Init by a script of raft.tla actions replayed through the model (so every
// one is a reachable state, not a hand-made one). A TLC user would write the
// same thing as an alternative Init. Breadth-first search from Init finds the
// shallow bugs in seconds; the two bugs below need three or four elections
// (Figure 8 of the paper) before the damage shows, 40 and more steps from
// Init, so their searches start where the paper's figure starts.

import { assert } from '../../lib/assert.ts';
import type { RaftAction } from './actions.ts';
import { formatAction } from './format.ts';
import { raftModel } from './model.ts';
import type { RaftCluster, RaftModelOptions } from './world.ts';
import type { Message, RaftConfig } from './types.ts';

export type ScenarioName = 'figure8' | 'deposedLeader';

/** The state a scenario starts from, for a model with `options` (same servers, history and mutant). */
export function scenarioStart(name: ScenarioName, options: RaftModelOptions): RaftCluster {
  assert(options.servers === 3, () => `scenario ${name} is written for 3 servers, not ${options.servers}`);
  // Replay with every action enabled and no bounds in the way; the result must then lie within the caller's.
  const model = raftModel({ ...options, restart: true, maxTerm: 99, maxLogLength: 99, maxMessages: 0, maxCopies: 99, symmetry: false, start: undefined });
  let state = model.init()[0]!;
  const config: RaftConfig = state.nodes[0]!.config;
  assert(config.servers === 3, 'three servers');
  const run = (action: RaftAction): void => {
    const next = model.next(state, action);
    assert(next !== undefined, () => `scenario ${name}: ${formatAction(action)} is not enabled`);
    state = next;
  };
  /** Receive the only message in flight from `from` to `to` of type `mtype`. */
  const deliver = (mtype: Message['mtype'], from: number, to: number): void => {
    const item = state.messages.find((m) => m.message.mtype === mtype && m.message.msource === from && m.message.mdest === to);
    assert(item !== undefined, () => `scenario ${name}: no ${mtype} from s${from} to s${to} in flight`);
    run({ type: 'Receive', m: item.message });
  };
  /** Candidate i asks j for its vote and counts the answer (UpdateTerm first where j is behind). */
  const vote = (i: number, j: number): void => {
    run({ type: 'RequestVote', i, j });
    if (state.nodes[j]!.currentTerm < state.nodes[i]!.currentTerm) deliver('RequestVoteRequest', i, j);
    deliver('RequestVoteRequest', i, j);
    deliver('RequestVoteResponse', j, i);
  };
  /** Leader i brings j's log up to its own entry at nextIndex[j] (one AppendEntries round trip). */
  const replicate = (i: number, j: number): void => {
    run({ type: 'AppendEntries', i, j });
    const before = state.nodes[j]!.log.length;
    deliver('AppendEntriesRequest', i, j); // may be UpdateTerm, a removal or an append
    while (state.messages.some((m) => m.message.mtype === 'AppendEntriesRequest')) deliver('AppendEntriesRequest', i, j);
    assert(state.nodes[j]!.log.length >= before, 'replicate appends');
    deliver('AppendEntriesResponse', j, i);
  };
  const elect = (i: number, voter: number): void => {
    run({ type: 'Timeout', i });
    vote(i, i);
    vote(i, voter);
    run({ type: 'BecomeLeader', i });
  };

  switch (name) {
    case 'figure8':
      // Figure 8 (a): s0 leads term 2 and appends an entry it replicates to nobody.
      elect(0, 1);
      run({ type: 'ClientRequest', i: 0, v: 1 });
      // (b): s2 is elected in term 3 (twice timed out, so term 3) with s1's vote, and appends its own entry;
      // its vote request moves s0 to term 3 as well, which refuses (its log is more up-to-date).
      run({ type: 'Timeout', i: 2 });
      run({ type: 'Timeout', i: 2 });
      vote(2, 2);
      vote(2, 1);
      vote(2, 0);
      run({ type: 'BecomeLeader', i: 2 });
      run({ type: 'ClientRequest', i: 2, v: 1 });
      // (c) begins: s2 crashes.
      run({ type: 'Restart', i: 2 });
      break;
    case 'deposedLeader':
      // s0 leads term 2 and commits an entry of its term with s1; then the network stops carrying its messages.
      elect(0, 1);
      run({ type: 'ClientRequest', i: 0, v: 1 });
      replicate(0, 1);
      run({ type: 'AdvanceCommitIndex', i: 0 });
      assert(state.nodes[0]!.commitIndex === 1, 'the entry is committed');
      break;
  }
  assert(state.messages.length === 0, () => `scenario ${name} leaves ${state.messages.length} messages in flight`);
  return state;
}
