// The ZAB SpecDefinition for the command line and CI (cli/specs.ts):
// named bounds, presets (ci first), mutants.

import type { BoundDefinition, Bounds, Preset, SpecDefinition } from '../../model-check/model.ts';
import { assert } from '../../lib/assert.ts';
import { zabFairness } from './liveness.ts';
import { buildModel } from './model.ts';
import type { ZabBounds } from './world.ts';
import { mutants } from './mutants.ts';

export const bounds: readonly BoundDefinition[] = [
  { name: 'servers', description: 'Voting servers.', default: 3 },
  { name: 'observers', description: 'Observers (never vote, never count toward a quorum).', default: 0 },
  { name: 'maxEpoch', description: 'Largest epoch a leader may propose (MaxEpoch).', default: 2 },
  { name: 'maxTransactions', description: 'Client requests over the whole run (MaxTransactionNum).', default: 1 },
  { name: 'maxCrashes', description: 'NodeCrash actions over the whole run.', default: 0 },
  { name: 'maxPartitions', description: 'PartitionStart actions over the whole run.', default: 0 },
  { name: 'maxTimeouts', description: 'Timeouts that drop a FOLLOWING/LEADING server back to LOOKING.', default: 1 },
  { name: 'maxMessageLosses', description: 'Election notifications the network may lose.', default: 0 },
  { name: 'maxMessagesInFlight', description: 'Messages one channel may hold.', default: 8 },
  { name: 'fle', description: 'Full Fast Leader Election (true) or the oracle election (false).', default: false },
  {
    name: 'initialLogs',
    description: 'Start after epoch 1: 0 empty disks; 1 all voters hold committed T1 and server 0 an unacked T2; 2 T2 also on server 1 and committed.',
    default: 0,
  },
  {
    name: 'partialSync',
    description:
      "DiskSync may make any non-empty prefix of a server's queue durable, as SyncRequestProcessor flushes the batch it holds while later requests queue (false: the whole queue, as the ci presets).",
    default: false,
  },
  {
    name: 'maxFsyncFailures',
    description: 'Failed fsyncs over the whole run: the server exits at a DiskSync, acknowledging nothing its queue held (docs/operations.md "When fsync fails").',
    default: 0,
  },
  {
    name: 'liveness',
    description:
      "Also check LeaderEventuallyEstablished and LeaderProposalsCommitted under weak fairness of each server's steps and each channel's deliveries (liveness.ts); turns symmetry off, and the search records the state graph.",
    default: false,
  },
];

export const presets: readonly Preset[] = [
  {
    name: 'ci',
    description:
      'Oracle election (symmetry over servers), 3 servers, epochs <= 2, 1 transaction; faults: 1 crash and restart (unsynced writes lost), 1 partition and heal: exhaustive.',
    bounds: { servers: 3, observers: 0, maxEpoch: 2, maxTransactions: 1, maxTimeouts: 0, maxCrashes: 1, maxPartitions: 1 },
  },
  {
    name: 'ci-all-faults',
    description: 'As ci, plus 1 timeout back to LOOKING: every fault of the oracle model at once, exhaustive (about 1.2 million states).',
    bounds: { servers: 3, observers: 0, maxEpoch: 2, maxTransactions: 1, maxTimeouts: 1, maxCrashes: 1, maxPartitions: 1 },
  },
  {
    name: 'ci-observer',
    description:
      'Oracle election, 2 servers + 1 observer, epochs <= 2, 1 transaction, 1 crash, 1 partition, 1 timeout: an observer learns a commit by INFORM, across faults.',
    bounds: { servers: 2, observers: 1, maxEpoch: 2, maxTransactions: 1, maxTimeouts: 1, maxCrashes: 1, maxPartitions: 1 },
  },
  {
    name: 'ci-sync',
    description:
      'Oracle election (symmetry), 3 servers, epochs <= 3, 2 transactions, 1 crash and restart: synchronisation with two transactions across three epochs, exhaustively (DIFF with proposals, TRUNC, SNAP; about 340,000 states).',
    bounds: { servers: 3, observers: 0, maxEpoch: 3, maxTransactions: 2, maxTimeouts: 0, maxCrashes: 1, maxPartitions: 0 },
  },
  {
    name: 'ci-disk',
    description:
      "The disk as the server runs it: DiskSync of any prefix of the queue (partialSync, SyncRequestProcessor's batches) and 1 failed fsync (the server exits without acknowledging), 3 servers, epochs <= 3, 2 transactions, oracle election (symmetry): exhaustive.",
    bounds: { servers: 3, observers: 0, maxEpoch: 3, maxTransactions: 2, maxTimeouts: 0, maxCrashes: 0, maxPartitions: 0, partialSync: true, maxFsyncFailures: 1 },
  },
  {
    name: 'ci-fle',
    description:
      'Fast Leader Election (no symmetry: ids break ties), 3 servers, epoch 1, no transactions, 1 lost notification, 3 messages per channel: every election outcome through discovery and synchronisation, exhaustively.',
    bounds: { servers: 3, observers: 0, maxEpoch: 1, maxTransactions: 0, maxTimeouts: 0, fle: true, maxMessagesInFlight: 3, maxMessageLosses: 1 },
  },
  {
    name: 'ci-liveness',
    description:
      "LeaderEventuallyEstablished and LeaderProposalsCommitted (liveness.ts) under weak fairness of each server's steps and each channel's deliveries: oracle election, 3 servers, epochs <= 2, 1 transaction, 1 crash and restart, no partition or timeout; no symmetry (fairness names servers): exhaustive, both hold (139,623 states).",
    bounds: { servers: 3, observers: 0, maxEpoch: 2, maxTransactions: 1, maxTimeouts: 0, maxCrashes: 1, maxPartitions: 0, liveness: true },
  },
  {
    name: 'fle-broadcast',
    description:
      'For --simulate (too large to exhaust): Fast Leader Election with a transaction and every fault (1 crash, 1 partition, 1 timeout, 1 lost notification), epochs <= 2: recovery under the real election.',
    bounds: {
      servers: 3,
      observers: 0,
      maxEpoch: 2,
      maxTransactions: 1,
      maxTimeouts: 1,
      maxCrashes: 1,
      maxPartitions: 1,
      maxMessageLosses: 1,
      fle: true,
      maxMessagesInFlight: 3,
    },
  },
  {
    name: 'tlc-protocol',
    description:
      "Comparison with ZooKeeper's protocol-level spec (Zab.tla, 3 servers, history length 2, 1 timeout, no restarts: TLC 610,035 states): oracle election, 3 servers, 2 transactions, 1 timeout, no crash, no partition.",
    bounds: { servers: 3, observers: 0, maxEpoch: 3, maxTransactions: 2, maxTimeouts: 1, maxCrashes: 0, maxPartitions: 0 },
  },
  {
    name: 'deep',
    description:
      'For the mutant hunts from Init (mutants.ts): oracle election, 3 servers, epochs <= 3, 2 transactions, 1 timeout, 1 crash and restart: three epochs, DIFF with proposals, a lost disk write. tlc-protocol plus a crash.',
    bounds: { servers: 3, observers: 0, maxEpoch: 3, maxTransactions: 2, maxTimeouts: 1, maxCrashes: 1, maxPartitions: 0 },
  },
  {
    name: 'zookeeper-3911',
    description: 'Targeted at ZOOKEEPER-3911 and -4646: after epoch 1, server 0 holds an unacked T2 that a DIFF synchronisation must make durable.',
    bounds: { servers: 3, observers: 0, initialLogs: 1, maxEpoch: 2, maxTransactions: 2, maxTimeouts: 0 },
  },
  {
    name: 'zookeeper-4643',
    description: 'Targeted at ZOOKEEPER-4643: T2 committed on servers 0 and 1, one crash and restart, epochs up to 3.',
    bounds: { servers: 3, observers: 0, initialLogs: 2, maxEpoch: 3, maxTransactions: 2, maxTimeouts: 0, maxCrashes: 1 },
  },
  {
    name: 'zookeeper-2845',
    description: 'Targeted at ZOOKEEPER-2845: server 0 holds an unacked T2 across one timeout, epochs up to 3.',
    bounds: { servers: 3, observers: 0, initialLogs: 1, maxEpoch: 3, maxTransactions: 2, maxTimeouts: 1 },
  },
  {
    name: 'zab-paper-newleader-gap',
    description: 'Targeted at the paper-gap mutant: after epoch 1 (initialLogs 1), two new client requests while a learner synchronises.',
    bounds: { servers: 3, observers: 0, initialLogs: 1, maxEpoch: 2, maxTransactions: 4, maxTimeouts: 0 },
  },
];

export function zabBounds(given: Bounds): ZabBounds {
  const value = (name: string) => given[name] ?? bounds.find((b) => b.name === name)!.default;
  const int = (name: string) => {
    const v = value(name);
    assert(typeof v === 'number' && Number.isInteger(v) && v >= 0, () => `bound ${name} must be a non-negative integer, got ${String(v)}`);
    return v;
  };
  const bool = (name: string) => {
    const v = value(name);
    assert(typeof v === 'boolean', () => `bound ${name} must be a boolean, got ${String(v)}`);
    return v;
  };
  const fle = bool('fle');
  const liveness = bool('liveness');
  const partialSync = bool('partialSync');
  const maxFsyncFailures = int('maxFsyncFailures');
  const result: ZabBounds = {
    servers: int('servers'),
    observers: int('observers'),
    maxEpoch: int('maxEpoch'),
    maxTransactions: int('maxTransactions'),
    maxCrashes: int('maxCrashes'),
    maxPartitions: int('maxPartitions'),
    maxTimeouts: int('maxTimeouts'),
    maxMessageLosses: int('maxMessageLosses'),
    maxMessagesInFlight: int('maxMessagesInFlight'),
    fle,
    initialLogs: int('initialLogs'),
    // Only when on, so that the other presets' bounds (and the traces that carry them) stay as they were.
    ...(liveness ? { liveness } : {}),
    ...(partialSync ? { partialSync } : {}),
    ...(maxFsyncFailures > 0 ? { maxFsyncFailures } : {}),
  };
  assert(result.servers >= 1 && result.servers + result.observers <= 5, () => `servers + observers must be 1..5, got ${result.servers}+${result.observers}`);
  // The state graph keeps one bit per weak-fairness conjunct, 32 in all (model-check/state-graph.ts).
  const conjuncts = liveness ? zabFairness(result).length : 0;
  assert(conjuncts <= 32, () => `liveness needs ${conjuncts} weak-fairness conjuncts (one per server step and channel), more than the checker's 32: use at most 3 servers + observers`);
  return result;
}

export const zabSpec: SpecDefinition = {
  name: 'zab',
  description: "ZooKeeper's Zab as the server runs it (ZkV3_7_0.tla): FLE or an oracle, discovery, synchronisation, broadcast, observers, disks, crashes, partitions.",
  bounds,
  presets,
  mutants,
  build(given, mutant) {
    assert(mutant === undefined || mutants.some((m) => m.name === mutant), () => `unknown zab mutant ${mutant}`);
    return buildModel(zabBounds(given), mutant);
  },
};
