// The Model the checker explores for single-decree Paxos: the world
// (world.ts), its actions (actions.ts), the properties (invariants.ts), the
// encoding (encoding.ts) and the printing (format.ts), for these bounds and at
// most one mutant.

import type { Model } from '../../model-check/model.ts';
import { propertiesFor } from '../common/properties.ts';
import { enabledActions, nextState, type PaxosAction } from './actions.ts';
import { acceptorSignatures, encodeCluster } from './encoding.ts';
import { formatAction, viewCluster } from './format.ts';
import { PAXOS_PROPERTIES } from './invariants.ts';
import type { PaxosMutantName } from './types.ts';
import { initialCluster, paxosConfig, validateBounds, type PaxosBounds, type PaxosCluster } from './world.ts';

/** The protocol's own actions, each weakly fair for ValueEventuallyChosen (DropMessage and DuplicateMessage are faults). */
const PROTOCOL_ACTIONS = ['Phase1a', 'Phase1b', 'Phase2a', 'Phase2b', 'Learn'] as const;

/** The kinds of action these bounds can take (coverage lists those that never fire). */
function paxosActionKinds(bounds: PaxosBounds): PaxosAction['kind'][] {
  const bag = bounds.network === 'bag';
  return [
    'Phase1a',
    'Phase1b',
    'Phase2a',
    'Phase2b',
    ...(bounds.learners > 0 ? (['Learn'] as const) : []),
    ...(bag && bounds.maxDrops > 0 ? (['DropMessage'] as const) : []),
    ...(bag && bounds.maxDuplicates > 0 ? (['DuplicateMessage'] as const) : []),
  ];
}

export function buildPaxosModel(bounds: PaxosBounds, mutant: PaxosMutantName | undefined): Model<PaxosCluster, PaxosAction> {
  validateBounds(bounds);
  const config = paxosConfig(bounds, mutant);
  const bag = bounds.network === 'bag';

  return {
    init: () => [initialCluster(bounds, config)],
    actions: (state) => enabledActions(state, bounds, config),
    next: (state, action) => nextState(state, action, bounds, config),
    properties: propertiesFor(PAXOS_PROPERTIES, { ...config, learners: bounds.learners, liveness: bounds.liveness === true }),
    // ValueEventuallyChosen assumes the protocol's steps are taken while they can be; the network's faults are not forced.
    fairness: PROTOCOL_ACTIONS.map((kind) => ({ kind: 'weak' as const, actions: [kind] })),
    withinBoundary: () => true,
    // A run ends once every ballot has been started (each proposer starts each
    // of its ballots once: the bound is a guard) and the network is empty. TLC
    // reports no deadlock for Paxos.tla only because its Phase1a(b) may resend a
    // message already in `msgs`, a step that changes nothing.
    deadlock: 'stuttering-ok',
    encode: (state, sink, perm) => encodeCluster(state, sink, perm, bag),
    ...(bounds.symmetry ? { symmetry: { servers: bounds.acceptors, signatures: (state: PaxosCluster, out: Float64Array) => acceptorSignatures(state, bag, out) } } : {}),
    formatAction: (action) => formatAction(action, bag),
    actionKind: (action) => action.kind,
    actionKinds: paxosActionKinds(bounds),
    view: (state) => viewCluster(state, bag),
    // The fault budgets are bookkeeping and ghost.sent (the history of messages) is the proofs' own; --verbose shows them.
    hiddenFields: ['dropsUsed', 'duplicatesUsed', 'ghost'],
  };
}
