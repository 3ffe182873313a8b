// Recordings of impl/quorum/peer's seeded simulation (impl/quorum/peer/recording.ts)
// judged by validate.ts: the impl -> spec direction for the peer core, used by
// `npm run conformance -- record` and conformance/recording.test.ts.

import { runSimulation } from '../../impl/quorum/peer/simulation.ts';
import { step } from '../../impl/quorum/peer/step.ts';
import type { Peer, PeerBug, PeerEvent } from '../../impl/quorum/peer/types.ts';
import { zabAdapter } from '../adapters/zab.ts';
import { ACTION_TAKEN, NODES, parseTrace, type Trace } from '../trace.ts';
import { validateTrace, type Verdict } from '../validate.ts';
import type { KnownDifference } from './replay.ts';

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

/** Runs the simulation with `record` and returns its recording, parsed as a conformance trace. */
export function recordSimulation(options: RecordOptions): Recording {
  const bugs = options.bugs;
  // The simulation builds its PeerConfig itself; a core built with bugs is injected through its `step` option.
  const withBugs = bugs === undefined || bugs.size === 0 ? undefined : (peer: Peer, event: PeerEvent) => step({ ...peer, config: { ...peer.config, bugs } } as Peer, event);
  const result = runSimulation({
    seed: options.seed,
    observer: options.observer ?? options.seed % 2 === 0,
    eras: options.eras,
    stepsPerEra: options.stepsPerEra,
    committedLogCountMax: RECORDING_COMMITTED_LOG_COUNT_MAX,
    record: true,
    ...(withBugs !== undefined ? { step: withBugs } : {}),
  });
  const parsed = parseTrace(JSON.stringify(result.recording));
  if (!parsed.ok) throw new Error(`seed ${options.seed}: the recording is not a conformance trace: ${parsed.error}`);
  return { trace: parsed.trace, crashes: result.crashes, violations: result.violations };
}

export function validateRecording(trace: Trace, hiddenStepsMax = 0): Verdict {
  return validateTrace(zabAdapter, trace, { hiddenStepsMax });
}

/**
 * Which documented difference (replay.ts KNOWN_DIFFERENCES) explains a rejection,
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
