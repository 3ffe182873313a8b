// The Model the checker explores for ZAB: the world (world.ts), its actions
// (actions.ts), the properties (invariants.ts), the encoding and symmetry
// signature (encoding.ts) and the printing (format.ts), for these bounds and
// at most one mutant.

import type { Model } from '../../model-check/model.ts';
import { zabAbstraction } from './abstraction.ts';
import { propertiesFor } from '../common/properties.ts';
import { enabledActions, nextCluster, withinBoundary, type ZabAction } from './actions.ts';
import { encodeCluster, serverSignature } from './encoding.ts';
import { actionKind, formatAction, zabActionKinds } from './format.ts';
import { ZAB_PROPERTIES } from './invariants.ts';
import { livenessActionKind, livenessActionKinds, ZAB_LIVENESS, zabFairness } from './liveness.ts';
import { initialCluster, type ZabBounds, type ZabCluster } from './world.ts';

export function buildModel(bounds: ZabBounds, mutant: string | undefined): Model<ZabCluster, ZabAction> {
  const liveness = bounds.liveness === true;
  return {
    init: () => [initialCluster(bounds, mutant)],
    actions: (c) => enabledActions(c, bounds),
    next: (c, action) => nextCluster(c, action),
    properties: [...propertiesFor(ZAB_PROPERTIES, bounds), ...propertiesFor(ZAB_LIVENESS, bounds)],
    withinBoundary: (c) => withinBoundary(c, bounds),
    // A run ends when the bounded transactions, crashes, partitions and drops are
    // spent and every message is delivered: an established ensemble then has
    // nothing to do, since the model leaves out pings and session traffic.
    deadlock: 'stuttering-ok',
    encode: encodeCluster,
    // Symmetry over voter ids is sound only with the oracle (FLE breaks ties by server id), and
    // not with liveness's fairness, which names servers and channels (liveness.ts).
    ...(bounds.fle || liveness ? {} : { symmetry: { servers: bounds.servers, signature: serverSignature } }),
    formatAction,
    // Under liveness a kind names its server or channel, as each weak-fairness conjunct does.
    actionKind: liveness ? livenessActionKind : actionKind,
    actionKinds: liveness ? livenessActionKinds(bounds, zabActionKinds(bounds)) : zabActionKinds(bounds),
    ...(liveness ? { fairness: zabFairness(bounds) } : {}),
    view: (c) => c,
    // Guided simulation's cells (abstraction.ts): epochs, roles, logs and disks, not message orderings.
    abstraction: zabAbstraction,
    // The configuration (the same in every state), the bound counters and the ghosts: --verbose shows them.
    hiddenFields: ['config', 'servers[*].node.config', 'crashes', 'timeouts', 'partitionsStarted', 'losses', 'fsyncFailures', 'requests', 'ghost'],
  };
}
