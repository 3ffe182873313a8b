// The Model the checker explores for Raft: the world (world.ts), its actions
// (actions.ts), the properties (invariants.ts), the encoding (encoding.ts)
// and the printing (format.ts), for these options.

import { assert } from '../../lib/assert.ts';
import type { Model, Permutation, Property } from '../../model-check/model.ts';
import { propertiesFor } from '../common/properties.ts';
import { raftAbstraction } from './abstraction.ts';
import { enabledActions, nextState, type RaftAction } from './actions.ts';
import { ClusterEncoder, signatureFor } from './encoding.ts';
import { actionKind, formatAction, raftActionKinds, view } from './format.ts';
import { RAFT_LIVENESS } from './liveness.ts';
import { isCertainlyOutside, OUTSIDE } from './outside.ts';
import { RAFT_PROPERTIES } from './invariants.ts';
import type { RaftConfig } from './types.ts';
import { initialCluster, isWithinBounds, type RaftCluster, type RaftModelOptions } from './world.ts';

/** Kinds that are not weakly fair for liveness.ts's properties: the network's faults, and the clients (who may stop asking). */
const UNFAIR_KINDS: ReadonlySet<string> = new Set(['Restart', 'DuplicateMessage', 'DropMessage', 'ClientRequest', 'ReadIndex']);

export function raftModel(options: RaftModelOptions): Model<RaftCluster, RaftAction> {
  const n = options.servers;
  assert(Number.isInteger(n) && n >= 1 && n <= 7, () => `servers ${n}: expected 1..7`);
  assert(Number.isInteger(options.values) && options.values >= 1, () => `values ${options.values}: expected >= 1`);
  assert(options.maxCopies >= 1, () => `maxCopies ${options.maxCopies}: expected >= 1`);
  const config: RaftConfig = {
    servers: n,
    history: options.history,
    mutant: options.mutant,
    ...(options.monotonicIndexes ? { monotonicIndexes: true } : {}),
  };
  const properties: readonly Property<RaftCluster>[] = [...propertiesFor(RAFT_PROPERTIES, options), ...propertiesFor(RAFT_LIVENESS, options)];
  const encoders = new WeakMap<Permutation, ClusterEncoder>();
  let lastPermutation: Permutation | undefined;
  let lastEncoder: ClusterEncoder | undefined;
  // raft.tla bounds a run by a CONSTRAINT and Timeout is always enabled, so a
  // state without successors would be a real deadlock: the check stays on. The
  // fork's guards (Timeout below maxTerm, bounded client requests and
  // elections, each message sent once) make its runs end by design.
  const forkGuards = options.keepDelivered || options.timeoutBelowMaxTerm || options.maxClientRequests > 0 || options.maxBecomeLeader > 0;

  return {
    init: () => [options.start ?? initialCluster(config)],
    actions: (state) => enabledActions(state, options),
    next: (state, action) => (isCertainlyOutside(state, action, options) ? OUTSIDE : nextState(state, action, options)),
    properties,
    withinBoundary: (state) => state !== OUTSIDE && isWithinBounds(state, options),
    encode(state, sink, perm) {
      // The last permutation's encoder first: without symmetry every call passes the same one.
      let encoder = perm === lastPermutation ? lastEncoder : encoders.get(perm);
      if (encoder === undefined) {
        encoder = new ClusterEncoder(perm, options);
        encoders.set(perm, encoder);
      }
      lastPermutation = perm;
      lastEncoder = encoder;
      encoder.encode(state, sink);
    },
    ...(options.symmetry ? { symmetry: { servers: n, signature: signatureFor(options) } } : {}),
    ...(forkGuards ? { deadlock: 'stuttering-ok' as const } : {}),
    formatAction,
    actionKind,
    actionKinds: raftActionKinds(options),
    // The servers' own steps are weakly fair, each kind on its own; the network's faults and
    // the clients' requests are not (UNFAIR_KINDS).
    fairness: raftActionKinds(options)
      .filter((kind) => !UNFAIR_KINDS.has(kind))
      .map((kind) => ({ kind: 'weak' as const, actions: [kind] })),
    view,
    // raft.tla's history variables, our ghosts and the bound counters: --verbose shows them.
    hiddenFields: ['history', 'ghost', 'counters'],
    // The cell guided simulation counts coverage in (model-check/guided.ts).
    abstraction: raftAbstraction,
  };
}
