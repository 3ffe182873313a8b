// The Model the checker explores for Multi-Paxos: the world (world.ts), its
// actions (actions.ts), the properties (invariants.ts), the encoding
// (encoding.ts) and the printing (format.ts).

import type { Model } from '../../../model-check/model.ts';
import { propertiesFor } from '../../common/properties.ts';
import { multiActions, multiNext, type MultiAction } from './actions.ts';
import { encodeMulti, multiAcceptorSignatures } from './encoding.ts';
import { formatMultiAction, viewMulti } from './format.ts';
import { MULTI_PAXOS_PROPERTIES } from './invariants.ts';
import type { MultiMutantName } from './types.ts';
import { initialCluster, multiConfig, validateBounds, type MultiBounds, type MultiCluster } from './world.ts';

export function buildMultiPaxosModel(bounds: MultiBounds, mutant: MultiMutantName | undefined): Model<MultiCluster, MultiAction> {
  validateBounds(bounds);
  const config = multiConfig(bounds, mutant);
  return {
    init: () => [initialCluster(config)],
    actions: (state) => multiActions(state, config),
    next: (state, action) => multiNext(state, action, config),
    properties: propertiesFor(MULTI_PAXOS_PROPERTIES, config),
    withinBoundary: () => true,
    // As single-decree Paxos (spec/paxos/model.ts): a run ends once the bounded
    // ballots and slots are spent and the network is empty.
    deadlock: 'stuttering-ok',
    encode: (state, sink, perm) => encodeMulti(state, sink, perm),
    ...(bounds.symmetry ? { symmetry: { servers: bounds.acceptors, signatures: multiAcceptorSignatures } } : {}),
    formatAction: formatMultiAction,
    actionKind: (action) => action.kind,
    actionKinds: ['Phase1a', 'Phase1b', 'Phase1Done', 'Phase2a', 'Phase2b'] satisfies MultiAction['kind'][],
    // No field to hide: the view has no counters or ghosts, and the set network is the history.
    view: (state) => viewMulti(state, config.slots),
  };
}
