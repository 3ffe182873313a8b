// Recordings of impl/quorum/peer's seeded simulation (simulation-recorder.ts)
// judged by validate.ts: the impl -> spec direction for the peer core, used by
// `npm run conformance -- record` and conformance/recording.test.ts.

import { runSimulation, SIMULATION_VOTERS } from '../../impl/quorum/peer/simulation.ts';
import { step } from '../../impl/quorum/peer/step.ts';
import type { Peer, PeerBug, PeerEvent } from '../../impl/quorum/peer/types.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { ACTION_TAKEN, NODES, parseTrace, type Trace } from '../trace.ts';
import { validateTrace, type Verdict } from '../validate.ts';
import type { KnownDifference } from './zab-target.ts';
import { PeerRecorder } from './simulation-recorder.ts';

/** The core's committedLog covers the whole log: spec/zab's syncFollower also DIFFs from the txn log. */
export const RECORDING_COMMITTED_LOG_COUNT_MAX = 1_000_000;

export interface RecordOptions {
  readonly seed: number;
  readonly eras: number;
  readonly stepsPerEra: number;
  /** Default: an observer on even seeds. */
  readonly observer?: boolean;
  readonly bugs?: ReadonlySet<PeerBug>;
}

export interface Recording {
  readonly trace: Trace;
  readonly crashes: number;
  /** The simulation's own checks (PrefixConsistency, ACK after fsync, ...). */
  readonly violations: readonly string[];
}

/** Runs the simulation with a recorder as its witness and returns the recording, parsed as a conformance trace. */
export function recordSimulation(options: RecordOptions): Recording {
  const bugs = options.bugs;
  // The simulation builds its PeerConfig itself; a core built with bugs is injected through its `step` option.
  const withBugs = bugs === undefined || bugs.size === 0 ? undefined : (peer: Peer, event: PeerEvent) => step({ ...peer, config: { ...peer.config, bugs } } as Peer, event);
  const observer = options.observer ?? options.seed % 2 === 0;
  let recorder: PeerRecorder | undefined;
  const result = runSimulation({
    seed: options.seed,
    observer,
    eras: options.eras,
    stepsPerEra: options.stepsPerEra,
    committedLogCountMax: RECORDING_COMMITTED_LOG_COUNT_MAX,
    witness: (view) => {
      recorder = new PeerRecorder(view);
      return recorder;
    },
    ...(withBugs !== undefined ? { step: withBugs } : {}),
  });
  // spec/zab's bounds that admit the run: its servers, and limits it never reaches.
  const big = 1_000_000;
  const bounds = { servers: SIMULATION_VOTERS, observers: observer ? 1 : 0, maxEpoch: big, maxTransactions: big, maxCrashes: big, maxPartitions: 0, maxTimeouts: big, maxMessageLosses: 0, maxMessagesInFlight: big, fle: false, initialLogs: 0 };
  const description = `impl/quorum/peer simulation, seed ${options.seed}, ${options.eras} eras of ${options.stepsPerEra} steps${observer ? ', with an observer' : ''}`;
  const parsed = parseTrace(JSON.stringify(recorder!.trace(bounds, description)));
  if (!parsed.ok) throw new Error(`seed ${options.seed}: the recording is not a conformance trace: ${parsed.error}`);
  return { trace: parsed.trace, crashes: result.crashes, violations: result.violations };
}

export function validateRecording(trace: Trace, hiddenStepsMax = 0): Verdict {
  return validateTrace(zabAdapter, trace, { hiddenStepsMax });
}

/**
 * Which documented difference (zab-target.ts KNOWN_DIFFERENCES) explains a rejection,
 * if any. discovery-leader-keeps-running: the rejected step removes a learner
 * (NodeCrash, Timeout) of a leader that stays LEADING in DISCOVERY, where
 * spec/zab's leader may give up.
 */
export function explainRejection(trace: Trace, verdict: Verdict): KnownDifference | undefined {
  if (verdict.verdict !== 'rejected' || verdict.step === 0) return undefined;
  const before = trace.states[verdict.step - 1]![NODES];
  const after = trace.states[verdict.step]![NODES];
  const leaving = /^(NodeCrash|Timeout)\(s(\d+)\)$/.exec(trace.states[verdict.step]![ACTION_TAKEN]);
  if (leaving === null) return undefined;
  const learner = before[Number(leaving[2])]!;
  const leader = typeof learner.leader === 'number' ? learner.leader : -1;
  if (leader < 0) return undefined;
  const l0 = before[leader]!;
  const l1 = after[leader]!;
  const stays = l0.state === 'LEADING' && l0.zabState === 'DISCOVERY' && l1.state === 'LEADING' && l1.zabState === 'DISCOVERY';
  return stays ? 'discovery-leader-keeps-running' : undefined;
}
