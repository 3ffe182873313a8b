// Zab's liveness, as the papers promise it: once a quorum of servers is up and
// can talk, recovery ends with a leader that has synchronised a quorum of
// followers and broadcasts (Zab, DSN 2011, §III-IV, Phase 3; Medeiros 2012,
// "Phase 3: Broadcast"), and what such a leader proposes is committed by the
// followers it broadcasts to. As TLA+ properties under weak fairness,
// checked only with the `liveness` bound, which records the state graph
// (model-check/liveness.ts):
//
// - LeaderEventuallyEstablished: <> some leader is in the broadcast phase with
//   a quorum of voters (itself and followers of it, each in BROADCAST).
// - LeaderProposalsCommitted: (an established leader has a proposal of its
//   epoch that it or one of its followers has not committed) ~> (no such
//   leader): the proposal is eventually committed by the leader and every
//   follower still with it, or that leader (or follower) is gone.
//
// Fairness. Weak fairness of the servers' own steps and of each channel's
// delivery, each on its own (one WF conjunct per server or per channel, not
// per kind): WF of a whole kind is met by any instance, so a follower that
// joins a leader of an older epoch, is turned away (its acceptedEpoch is
// higher) and joins again forever takes FollowerProcessLEADERINFO on every
// turn while the LEADERINFO that would complete the leader's quorum waits in
// another channel: a lasso that no real scheduler produces. The environment's
// actions are not fair: clients (LeaderProcessRequest), timeouts, crashes,
// restarts, partitions and their healing, lost notifications. "Once faults
// stop" is then what the bounds give: a bounded number of each, after which
// none happens; a server that crashed may stay down, a partition may stay.
//
// Per-channel fairness names servers, and renaming servers does not carry a
// fairness constraint to itself, so the `liveness` bound turns symmetry off
// (model.ts): the checker's quotient graph would otherwise join cycles that
// starve different channels on each turn.

import * as quorums from '../../lib/quorum.ts';
import type { Fairness } from '../../model-check/model.ts';
import { cited, type PropertyDeclaration } from '../common/properties.ts';
import type { ZabAction } from './actions.ts';
import { actionKind, formatAction, MESSAGE_ACTIONS } from './format.ts';
import * as histories from './history.ts';
import type { ZabNode } from './types.ts';
import type { ZabBounds, ZabCluster } from './world.ts';

// Bound once: under tsx every imported binding is read through a getter (spec/paxos/actions.ts).
const { hasQuorum } = quorums;
const { txnEquals } = histories;

const isBroadcastingLeader = (x: ZabNode | null): x is ZabNode => x !== null && x.state === 'LEADING' && x.zabState === 'BROADCAST';

/** Whether server `id` leads in the broadcast phase with a quorum of voters (itself and its followers in BROADCAST). */
export function leadsQuorumInBroadcast(c: ZabCluster, id: number): boolean {
  const leader = c.servers[id]!.node;
  if (!isBroadcastingLeader(leader)) return false;
  const voters = c.config.voters;
  let count = 0;
  for (let k = 0; k < voters; k++) {
    const x = c.servers[k]!.node;
    if (k === id || (x !== null && x.state === 'FOLLOWING' && x.leader === id && x.zabState === 'BROADCAST')) count++;
  }
  return hasQuorum(count, voters);
}

/** Some leader is established with a quorum in the broadcast phase. */
export function leaderEstablishedWithQuorum(c: ZabCluster): boolean {
  for (let id = 0; id < c.config.voters; id++) if (leadsQuorumInBroadcast(c, id)) return true;
  return false;
}

function delivers(x: ZabNode, index: number, leader: ZabNode): boolean {
  const txn = leader.history[index]!;
  for (let k = 0; k < x.lastCommitted; k++) if (txnEquals(x.history[k]!, txn)) return true;
  return false;
}

/**
 * Some leader in the broadcast phase holds a proposal of its own epoch that
 * it has not committed, or that a follower of it has not committed.
 */
export function leaderHasUncommittedProposal(c: ZabCluster): boolean {
  const n = c.servers.length;
  for (let id = 0; id < n; id++) {
    const leader = c.servers[id]!.node;
    if (!isBroadcastingLeader(leader)) continue;
    for (let index = leader.history.length - 1; index >= 0 && leader.history[index]!.zxid.epoch === leader.acceptedEpoch; index--) {
      if (index >= leader.lastCommitted) return true;
      for (let k = 0; k < n; k++) {
        const x = c.servers[k]!.node;
        if (x !== null && x.state === 'FOLLOWING' && x.leader === id && !delivers(x, index, leader)) return true;
      }
    }
  }
  return false;
}

const livenessOn = (bounds: ZabBounds) => bounds.liveness === true;

// Where they come from (docs/invariants.md): the Zab paper's phases, paraphrased, as the safety properties'
// sentences are (invariants.ts); neither ZkV3_7_0.tla nor Zab.tla states a liveness property to quote.
const DSN_PHASES = 'Zab: High-performance broadcast for primary-backup systems (Junqueira, Reed, Serafini, DSN 2011), §III-IV';

export const ZAB_LIVENESS: readonly PropertyDeclaration<ZabCluster, ZabBounds>[] = [
  cited({
    name: 'LeaderEventuallyEstablished',
    kind: 'eventually',
    description:
      'A leader is eventually established: some server leads in the broadcast phase with a quorum of voters (itself and followers in BROADCAST), once faults stop and the servers and channels take the steps they can (Zab, DSN 2011, §III-IV, Phase 3).',
    holds: leaderEstablishedWithQuorum,
    when: livenessOn,
  }, {
    source: DSN_PHASES,
    paraphrase: 'A prospective leader that a quorum follows through discovery (a new epoch) and synchronisation (its history) becomes the established leader and starts broadcast; progress is claimed for runs in which a quorum is up and connected long enough.',
  }),
  cited({
    name: 'LeaderProposalsCommitted',
    kind: 'leadsTo',
    description:
      'A proposal an established leader made in its epoch is eventually committed by that leader and by every follower still with it, or that leader is gone (Zab, DSN 2011, §III-IV, Phase 3: a leader commits once a quorum acknowledges, and its followers deliver on COMMIT).',
    premise: leaderHasUncommittedProposal,
    holds: (c: ZabCluster) => !leaderHasUncommittedProposal(c),
    when: livenessOn,
  }, {
    source: DSN_PHASES,
    paraphrase: 'In broadcast, the established leader proposes each transaction to its followers and commits it once a quorum has acknowledged it; followers deliver a transaction when they receive its commit.',
  }),
];

/** The environment's action kinds: not weakly fair (clients may stop asking; faults may stop). */
const ENVIRONMENT: ReadonlySet<string> = new Set([
  'LeaderProcessRequest',
  'Timeout',
  'FLENotmsgTimeout',
  'NodeCrash',
  'FsyncFailure',
  'NodeStart',
  'PartitionStart',
  'PartitionRecover',
  'DropNotification',
]);

/**
 * The action's kind as the `liveness` bound's fairness names it: a server's
 * own step with its server (`DiskSync(s1)`, `FollowLeader(s0, s2)`), a
 * delivery with its channel (`FollowerProcessLEADERINFO(s1, s2)`, receiver
 * first as formatAction prints it); the oracle's ElectLeader and the
 * environment's actions by kind alone.
 */
export function livenessActionKind(action: ZabAction): string {
  const kind = actionKind(action);
  if (kind === 'ElectLeader' || ENVIRONMENT.has(kind)) return kind;
  if (action.type === 'Deliver') return `${kind}(s${action.to}, s${action.from})`;
  return formatAction(action);
}

const handlers = (bounds: ZabBounds) =>
  [...new Set(Object.values(MESSAGE_ACTIONS))].filter((h) => bounds.observers > 0 || (h !== 'LeaderProcessOBSERVERINFO' && h !== 'ObserverProcessINFORM'));

/**
 * One weak-fairness conjunct per server step and per channel (the module
 * comment says why not per kind): ElectLeader; FollowLeader(j, i);
 * ConnectAndFollowerSendFOLLOWERINFO(j); FLEWaitNewNotmsg(j) (FLE);
 * DiskSync(j); every handler of a quorum-port channel i -> j together, as
 * that channel's delivery; FLEReceiveNotmsg of each election-port channel.
 */
export function zabFairness(bounds: ZabBounds): Fairness[] {
  const n = bounds.servers + bounds.observers;
  const weak = (...actions: string[]): Fairness => ({ kind: 'weak', actions });
  const out: Fairness[] = [];
  if (!bounds.fle) out.push(weak('ElectLeader'));
  for (let j = 0; j < n; j++) {
    if (!bounds.fle || j >= bounds.servers) for (let i = 0; i < bounds.servers; i++) if (i !== j) out.push(weak(`FollowLeader(s${j}, s${i})`));
    out.push(weak(`ConnectAndFollowerSendFOLLOWERINFO(s${j})`));
    if (bounds.fle && j < bounds.servers) out.push(weak(`FLEWaitNewNotmsg(s${j})`));
    out.push(weak(`DiskSync(s${j})`));
  }
  for (let from = 0; from < n; from++) {
    for (let to = 0; to < n; to++) {
      if (from === to) continue;
      out.push(weak(...handlers(bounds).map((h) => `${h}(s${to}, s${from})`)));
      if (bounds.fle) out.push(weak(`FLEReceiveNotmsg(s${to}, s${from})`));
    }
  }
  return out;
}

/** Every kind livenessActionKind can name under these bounds (the coverage report lists those that never fire). */
export function livenessActionKinds(bounds: ZabBounds, plainKinds: readonly string[]): string[] {
  const environment = plainKinds.filter((kind) => kind === 'ElectLeader' || ENVIRONMENT.has(kind));
  return [...environment, ...zabFairness(bounds).flatMap((f) => f.actions.filter((a) => a !== 'ElectLeader'))];
}
